//! The deployed functions and what each one runs.
//!
//! Every Lambda function ships the same `bookwarden` binary; at cold start it
//! reads [`FUNCTION_VAR`] (the function's SAM logical id without the `Function`
//! suffix, e.g. `Login`, `CreateBooking`, `SendMail`) and runs that function's
//! entry. One binary means one release link for the whole deployable set,
//! while every route still gets its own function and IAM role.

use crate::handlers;
use crate::routes::{Handler, FALLBACK_FUNCTION, ROUTES};

/// The environment variable naming the function to run, e.g. `Login`.
pub const FUNCTION_VAR: &str = "BOOKWARDEN_FUNCTION";

/// The suffix SAM logical ids of functions carry and [`FUNCTION_VAR`] omits.
pub const FUNCTION_SUFFIX: &str = "Function";

/// A background job: a function not behind API Gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Job {
    /// `SendMail`: the DynamoDB stream sender of the outbox (MAIL-5).
    SendMail,
    /// `SendReminders`: the scheduled reminder job (MAIL-3).
    SendReminders,
    /// `SesFeedback`: SES bounce and complaint events (MAIL-4).
    SesFeedback,
    /// `OutboxRetry`: the scheduled outbox safety net (MAIL-5).
    OutboxRetry,
    /// `SyncCalendars`: the scheduled calendar sync (CAL-3).
    SyncCalendars,
    /// `PurgeBusinesses`: the daily purge of closed businesses (PRIV-3).
    PurgeBusinesses,
    /// `BuildExports`: the scheduled export job (PRIV-1).
    BuildExports,
    /// `SequenceAudit`: links unlinked audit events into their chains (AUD-2).
    SequenceAudit,
    /// `AnchorAudit`: anchors moved audit chain heads in the locked bucket (AUD-2).
    AnchorAudit,
}

/// Every job with the function name it is deployed as.
pub const JOBS: &[(&str, Job)] = &[
    ("SendMail", Job::SendMail),
    ("SendReminders", Job::SendReminders),
    ("SesFeedback", Job::SesFeedback),
    ("OutboxRetry", Job::OutboxRetry),
    ("SyncCalendars", Job::SyncCalendars),
    ("PurgeBusinesses", Job::PurgeBusinesses),
    ("BuildExports", Job::BuildExports),
    ("SequenceAudit", Job::SequenceAudit),
    ("AnchorAudit", Job::AnchorAudit),
];

/// What a function runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// An API Gateway route (or the fallback) served by a handler.
    Route(Handler),
    /// A background job.
    Job(Job),
}

/// `LoginFunction` → `Login`; `None` if the id lacks the suffix.
pub fn function_name(logical_id: &'static str) -> Option<&'static str> {
    logical_id
        .strip_suffix(FUNCTION_SUFFIX)
        .filter(|n| !n.is_empty())
}

/// Every function name the binary answers to, in a stable order: the routes of
/// [`ROUTES`], the fallback, then the jobs. Each is what template.yaml should
/// set as [`FUNCTION_VAR`] on the function `<name>Function`.
pub fn names() -> Vec<&'static str> {
    let routes = ROUTES
        .iter()
        .map(|r| r.function)
        .chain(std::iter::once(FALLBACK_FUNCTION))
        .filter_map(function_name);
    routes.chain(JOBS.iter().map(|(n, _)| *n)).collect()
}

/// The function called `name` (as in [`FUNCTION_VAR`]): its name with a static
/// lifetime and the entry it runs, or `None` if no function has that name.
pub fn resolve(name: &str) -> Option<(&'static str, Entry)> {
    if let Some((n, job)) = JOBS.iter().find(|(n, _)| *n == name) {
        return Some((n, Entry::Job(*job)));
    }
    ROUTES
        .iter()
        .map(|r| (r.function, r.handler))
        .chain(std::iter::once((FALLBACK_FUNCTION, Handler::Fallback)))
        .find_map(|(id, handler)| {
            function_name(id)
                .filter(|n| *n == name)
                .map(|n| (n, Entry::Route(handler)))
        })
}

impl Entry {
    /// Runs this entry as the Lambda function `name` until the runtime stops it.
    pub async fn run(self, name: &'static str) -> Result<(), lambda_runtime::Error> {
        use crate::jobs;
        match self {
            Entry::Route(handler) => crate::lambda::run(name, handlers::handler_fn(handler)).await,
            Entry::Job(Job::SendMail) => jobs::run_sender_lambda().await,
            Entry::Job(Job::SendReminders) => jobs::run_reminder_lambda().await,
            Entry::Job(Job::SesFeedback) => jobs::run_feedback_lambda().await,
            Entry::Job(Job::OutboxRetry) => jobs::run_outbox_lambda().await,
            Entry::Job(Job::SyncCalendars) => jobs::run_calendar_sync_lambda().await,
            Entry::Job(Job::PurgeBusinesses) => jobs::run_purge_lambda().await,
            Entry::Job(Job::BuildExports) => jobs::run_export_lambda().await,
            Entry::Job(Job::SequenceAudit) => jobs::run_audit_sequence_lambda().await,
            Entry::Job(Job::AnchorAudit) => jobs::run_audit_anchor_lambda().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_name_resolves_and_names_are_unique() {
        let names = names();
        let unique: HashSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "duplicate function names");
        for name in &names {
            assert_eq!(resolve(name).map(|(n, _)| n), Some(*name));
        }
        // Every route, the fallback and the jobs: one name per deployed function.
        assert_eq!(names.len(), ROUTES.len() + 1 + JOBS.len());
    }

    #[test]
    fn every_route_resolves_to_its_own_handler() {
        for route in ROUTES {
            let name = function_name(route.function);
            assert!(name.is_some(), "{} lacks the suffix", route.function);
            assert_eq!(
                name.and_then(resolve).map(|(_, e)| e),
                Some(Entry::Route(route.handler)),
                "{}",
                route.function
            );
        }
        assert_eq!(
            resolve("Fallback"),
            Some(("Fallback", Entry::Route(Handler::Fallback)))
        );
        assert_eq!(
            resolve("SendMail"),
            Some(("SendMail", Entry::Job(Job::SendMail)))
        );
        assert_eq!(
            resolve("Login"),
            Some(("Login", Entry::Route(Handler::Login)))
        );
    }

    #[test]
    fn unknown_names_do_not_resolve() {
        for name in ["", "LoginFunction", "login", "Nope", " Login", "Function"] {
            assert_eq!(resolve(name), None, "{name:?}");
        }
    }
}
