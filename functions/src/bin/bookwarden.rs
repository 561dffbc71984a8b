//! The one Lambda binary every function deploys: it runs the function that
//! `BOOKWARDEN_FUNCTION` names (see [`bookwarden_functions::entry`]).

use std::process::ExitCode;

use bookwarden_functions::entry::{self, FUNCTION_VAR};
use bookwarden_shared::telemetry;

#[tokio::main]
async fn main() -> ExitCode {
    let requested = std::env::var(FUNCTION_VAR).unwrap_or_default();
    let Some((name, entry)) = entry::resolve(&requested) else {
        telemetry::init();
        tracing::error!(
            variable = FUNCTION_VAR,
            value = %requested,
            "no function by this name: set {FUNCTION_VAR} to a function name \
             without the Function suffix, e.g. Login"
        );
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
