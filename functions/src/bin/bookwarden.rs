//! The one Lambda binary every function deploys: it runs the function that
//! `BOOKWARDEN_FUNCTION` names (see [`bookwarden_functions::entry`]).

use std::process::ExitCode;

use bookwarden_functions::entry::{self, FUNCTION_VAR};
use bookwarden_shared::telemetry;

#[tokio::main]
async fn main() -> ExitCode {
    let requested = std::env::var(FUNCTION_VAR).ok();
    let Some((name, entry)) = requested.as_deref().and_then(entry::resolve) else {
        telemetry::init();
        match requested {
            None => tracing::error!(
                variable = FUNCTION_VAR,
                "{FUNCTION_VAR} is not set: it names the function to run, \
                 its logical id without the Function suffix, e.g. Login"
            ),
            Some(value) => tracing::error!(
                variable = FUNCTION_VAR,
                %value,
                "{FUNCTION_VAR} names no function: expected a logical id \
                 without the Function suffix, e.g. Login"
            ),
        }
        return ExitCode::FAILURE;
    };
    match entry.run(name).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(function = name, %error, "function stopped");
            ExitCode::FAILURE
        }
    }
}
