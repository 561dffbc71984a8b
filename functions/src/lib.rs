//! Bookwarden's route handlers.
//!
//! Handlers are plain async functions from a request to a response, so the
//! Lambda binary `src/bin/bookwarden.rs` (one per deployment, dispatching on
//! [`entry::FUNCTION_VAR`]), the local gateway and the tests all run the
//! very same code. [`routes::ROUTES`] is the single list of what the API serves.

pub mod entry;
pub mod handlers;
pub mod jobs;
pub mod lambda;
pub mod local;
pub mod openapi;
pub mod pages;
pub mod routes;
