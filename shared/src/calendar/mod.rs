//! Connected calendars: staff members' own calendars (Google, Microsoft 365,
//! CalDAV servers such as iCloud, ICS feeds) read on a schedule into busy
//! blocks, and nothing more (CAL-1..5).
//!
//! The provider modules speak each protocol and return [`Occurrence`]s: busy
//! stretches with a provider-side id that exists only in memory while a sync
//! runs. The sync keeps a keyed hash of that id, the start, the end and, only
//! when the tenant turned subjects on, the subject; never attendees,
//! descriptions, locations or organizers.
//!
//! - [`ics`]: parse an iCalendar text, expand recurrences in each event's zone
//!   over a window, drop what does not block (CAL-2);
//! - [`oauth`]: authorization code with PKCE, refresh and revocation;
//! - [`clients`]: the platform's own OAuth clients with Google and Microsoft,
//!   read from Secrets Manager;
//! - [`google`] and [`microsoft`]: the two OAuth providers' calendar APIs, in
//!   the busy-only and the incremental tier;
//! - [`caldav`]: CalDAV servers (iCloud included): free-busy REPORT, or a
//!   time-range calendar-query where the server lacks it;
//! - [`feed`]: ICS feeds by URL;
//! - `rest`: the HTTP, status and time plumbing Google and Microsoft share.

pub mod blocks;
pub mod caldav;
pub mod clients;
pub mod connect;
pub mod connection;
pub mod feed;
pub mod google;
pub mod ics;
pub mod microsoft;
pub mod oauth;
pub mod providers;
mod rest;
pub mod sync;

use crate::net::FetchError;

/// A half-open UTC interval `[start, end)` in Unix seconds: the part of a
/// calendar a sync reads (now to the tenant's booking horizon).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// First second read.
    pub start: i64,
    /// First second not read.
    pub end: i64,
}

impl Window {
    /// Whether `[start, end)` overlaps the window.
    pub fn overlaps(&self, start: i64, end: i64) -> bool {
        start < self.end && end > self.start
    }
}

/// One stretch of busy time as a provider reports it. Held in memory while a
/// sync runs; only a keyed hash of `source_id` is ever stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    /// Identifies this occurrence within its connection and calendar: the
    /// provider's event (or instance) id, and for an expanded recurrence the
    /// instance's original start, so that each instance is its own block.
    pub source_id: String,
    /// Start, Unix seconds UTC.
    pub start: i64,
    /// End, Unix seconds UTC; greater than `start`.
    pub end: i64,
    /// The subject line, only when the caller asked for subjects.
    pub summary: Option<String>,
}

/// What an incremental read reports about one occurrence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// The occurrence blocks time (new or changed).
    Upsert(Occurrence),
    /// The occurrence no longer blocks time: deleted upstream, cancelled,
    /// declined, turned free, or moved out of the window.
    Remove {
        /// The [`Occurrence::source_id`] it had.
        source_id: String,
    },
}

/// A calendar a connection can select.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CalendarInfo {
    /// The provider's id (Google calendar id, Graph calendar id, CalDAV
    /// collection URL path).
    pub id: String,
    /// The name the staff member gave it, shown when choosing.
    pub name: String,
    /// Whether it is the account's primary calendar (selected by default).
    pub primary: bool,
}

/// Why a provider call failed, in the classes a sync acts on. Carries no
/// URL, token or event text: these errors are logged and their class is
/// shown to the staff member.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    /// The grant is gone (`invalid_grant`, or 401/403 after a fresh token, or
    /// wrong CalDAV credentials): the connection is marked broken.
    #[error("grant revoked or expired")]
    GrantRevoked,
    /// The sync token or delta link is no longer valid (HTTP 410): start a
    /// full sync.
    #[error("sync state expired")]
    SyncStateExpired,
    /// The provider asked us to slow down (429, or 503 with `Retry-After`).
    #[error("throttled by the provider")]
    Throttled {
        /// Seconds the provider asked us to wait, when it said.
        retry_after_secs: Option<u64>,
    },
    /// The request did not complete (refused address, timeout, TLS, size).
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The provider answered with a server error.
    #[error("provider unavailable")]
    Unavailable,
    /// The calendar or resource no longer exists (404).
    #[error("calendar not found")]
    NotFound,
    /// The server does not offer what was asked (e.g. no free-busy REPORT).
    #[error("not supported by the server")]
    Unsupported,
    /// The answer was not what the protocol promises.
    #[error("unexpected provider response")]
    Protocol,
}

impl ProviderError {
    /// The stable class shown as a connection's last error.
    pub fn class(&self) -> &'static str {
        match self {
            Self::GrantRevoked => "grant_revoked",
            Self::SyncStateExpired => "sync_state_expired",
            Self::Throttled { .. } => "throttled",
            Self::Fetch(FetchError::Refused(_)) | Self::Fetch(FetchError::BadTarget(_)) => {
                "address_refused"
            }
            Self::Fetch(FetchError::Timeout) => "timeout",
            Self::Fetch(FetchError::TooLarge) => "too_large",
            Self::Fetch(_) => "unreachable",
            Self::Unavailable => "provider_unavailable",
            Self::NotFound => "calendar_not_found",
            Self::Unsupported => "unsupported",
            Self::Protocol => "protocol",
        }
    }
}
