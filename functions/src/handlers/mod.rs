//! One module per resource; each function maps HTTP to a domain call and back.

pub mod auth;
pub mod fallback;
pub mod health;
pub mod tenants;

use bookwarden_shared::accounts::AccountsError;
use bookwarden_shared::http::Problem;

/// The single mapping from domain errors to problems.
pub(crate) fn problem(e: AccountsError) -> Problem {
    match e {
        AccountsError::SlugTaken => Problem::SlugTaken,
        AccountsError::InvalidToken => Problem::InvalidToken,
        AccountsError::Unavailable => Problem::ServiceUnavailable,
        AccountsError::Internal => Problem::Internal,
    }
}
