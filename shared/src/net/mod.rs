//! Outbound requests to addresses users supply (WEB-6): calendar feeds and
//! servers. [`target`] checks the URL before anything is resolved;
//! [`address`] checks every address a host resolves to, so a request can
//! never reach the function's own host, the VPC, the cloud's metadata service
//! or an unroutable range, whatever the URL or the DNS answer says.

pub mod address;
pub mod fetch;
pub mod target;

pub use fetch::{FetchError, FetchPolicy, Fetcher};
pub use target::Target;
