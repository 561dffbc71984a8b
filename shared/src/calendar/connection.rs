//! A staff member's connected calendar as stored: who, which provider and
//! tier, which calendars, the sealed credential (CAL-4, CRY-2), the sync
//! state, and the health shown to its owner.

use serde::{Deserialize, Serialize};

use crate::crypto::{FieldBinding, Purpose};
use crate::store::{
    Attrs, Collection, Condition, DueQueue, Entity, Record, StoreError, TenantKey, Write,
};
use crate::tenancy::{TenantScope, UserId};
use crate::Platform;

/// Where a connection reads from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    /// Google Calendar, through OAuth.
    Google,
    /// Microsoft 365 / Outlook.com, through OAuth and Microsoft Graph.
    Microsoft,
    /// Any CalDAV server (iCloud included), with an app-specific password.
    Caldav,
    /// An ICS feed by its (secret) URL.
    Ics,
}

impl Provider {
    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Google => "google",
            Provider::Microsoft => "microsoft",
            Provider::Caldav => "caldav",
            Provider::Ics => "ics",
        }
    }

    /// The name a person recognises, for notices.
    pub fn display_name(self) -> &'static str {
        match self {
            Provider::Google => "Google Calendar",
            Provider::Microsoft => "Microsoft 365",
            Provider::Caldav => "CalDAV",
            Provider::Ics => "ICS",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "google" => Provider::Google,
            "microsoft" => Provider::Microsoft,
            "caldav" => Provider::Caldav,
            "ics" => Provider::Ics,
            _ => return None,
        })
    }
}

/// How much of a calendar an OAuth connection may read (CAL-1): the business
/// chooses; CalDAV and ICS connections read events (the protocols offer
/// nothing narrower that every server supports) and keep busy time only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Free/busy queries only: the provider never hands us events.
    BusyOnly,
    /// Events, read incrementally with sync tokens or delta links.
    Incremental,
}

impl Tier {
    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::BusyOnly => "busy_only",
            Tier::Incremental => "incremental",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "busy_only" => Tier::BusyOnly,
            "incremental" => Tier::Incremental,
            _ => return None,
        })
    }
}

/// Whether a connection syncs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Syncing on schedule.
    Active,
    /// The grant was revoked or expired: skipped until reconnected (CAL-4).
    Broken,
}

/// The credential a connection needs, sealed as one value (CRY-2).
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Secret {
    /// OAuth tokens.
    Oauth {
        /// Short-lived access token.
        access_token: String,
        /// Long-lived refresh token.
        refresh_token: Option<String>,
        /// When the access token expires (Unix seconds).
        expires_at: Option<i64>,
    },
    /// A CalDAV account.
    Caldav {
        /// The server URL the staff member gave.
        server_url: String,
        /// The account name.
        username: String,
        /// The app-specific password.
        password: String,
    },
    /// An ICS feed; its URL is the secret.
    Feed {
        /// The feed URL (`webcal://` already rewritten to `https://`).
        url: String,
    },
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// A connection as read from the store.
#[derive(Clone, Debug)]
pub struct Connection {
    /// Its id.
    pub id: String,
    /// The staff member whose calendar it is.
    pub staff_id: UserId,
    /// Where it reads from.
    pub provider: Provider,
    /// How much it may read.
    pub tier: Tier,
    /// Whether it syncs.
    pub status: Status,
    /// The selected calendars' provider ids.
    pub calendars: Vec<String>,
    /// Per calendar, where the next incremental read starts (sync token,
    /// delta link, feed validators, CalDAV method), as JSON.
    pub sync_state: serde_json::Map<String, serde_json::Value>,
    /// End of the window the last full listing covered.
    pub window_end: i64,
    /// When it was created.
    pub created_at: i64,
    /// The last sync attempt.
    pub last_sync_at: Option<i64>,
    /// The last sync that succeeded.
    pub last_success_at: Option<i64>,
    /// The class of the last failure, cleared by a success.
    pub last_error: Option<String>,
    /// Bumped by every change, so concurrent writers cannot overwrite each other.
    pub version: i64,
    sealed: Vec<u8>,
}

/// How a connection is shown to its owner: no credential, no calendar
/// content.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ConnectionView {
    /// Its id.
    pub id: String,
    /// The staff member whose calendar it is.
    #[schema(value_type = String)]
    pub staff_id: String,
    /// `google`, `microsoft`, `caldav` or `ics`.
    pub provider: Provider,
    /// `busy_only` or `incremental`.
    pub tier: Tier,
    /// `active` or `broken`.
    pub status: Status,
    /// The selected calendars.
    pub calendars: Vec<String>,
    /// RFC 3339 time of the last successful sync.
    pub last_successful_sync: Option<String>,
    /// RFC 3339 time of the last attempt.
    pub last_attempt: Option<String>,
    /// The class of the last failure (`grant_revoked`, `unreachable`,
    /// `throttled`, `timeout`, `too_large`, `address_refused`, …).
    pub last_error: Option<String>,
    /// RFC 3339 time it was connected.
    pub connected_at: String,
}

impl Connection {
    /// The connection's key.
    pub fn key(&self, scope: &TenantScope) -> TenantKey {
        TenantKey::new(scope, Entity::CalendarConnection(&self.id))
    }

    /// The owner's view.
    pub fn view(&self) -> ConnectionView {
        ConnectionView {
            id: self.id.clone(),
            staff_id: self.staff_id.to_string(),
            provider: self.provider,
            tier: self.tier,
            status: self.status,
            calendars: self.calendars.clone(),
            last_successful_sync: self.last_success_at.map(crate::clock::rfc3339),
            last_attempt: self.last_sync_at.map(crate::clock::rfc3339),
            last_error: self.last_error.clone(),
            connected_at: crate::clock::rfc3339(self.created_at),
        }
    }

    fn from_record(id: &str, r: &Record) -> Result<Self, StoreError> {
        let sync_state = match r.optional_string("sync_state") {
            Some(text) => serde_json::from_str(text).map_err(|_| StoreError::Integrity)?,
            None => serde_json::Map::new(),
        };
        let number = |name: &str| r.number(name).ok();
        Ok(Self {
            id: id.to_owned(),
            staff_id: r
                .string("staff_id")?
                .parse()
                .map_err(|_| StoreError::Integrity)?,
            provider: Provider::parse(r.string("provider")?).ok_or(StoreError::Integrity)?,
            tier: Tier::parse(r.string("tier")?).ok_or(StoreError::Integrity)?,
            status: match r.string("status")? {
                "broken" => Status::Broken,
                _ => Status::Active,
            },
            calendars: r.strings("calendars"),
            sync_state,
            window_end: r.number_or_zero("window_end"),
            created_at: r.number_or_zero("created_at"),
            last_sync_at: number("last_sync_at"),
            last_success_at: number("last_success_at"),
            last_error: r.optional_string("last_error").map(str::to_owned),
            version: r.number_or_zero("version"),
            sealed: r.bytes("secret")?.to_vec(),
        })
    }

    /// Opens the credential.
    pub async fn secret(&self, p: &Platform, scope: &TenantScope) -> Result<Secret, StoreError> {
        let key = self.key(scope);
        let plain = p
            .envelope
            .open(scope, Purpose::Credential, binding(&key), &self.sealed)
            .await
            .map_err(|_| StoreError::Unavailable)?;
        serde_json::from_slice(&plain).map_err(|_| StoreError::Integrity)
    }
}

fn binding(key: &TenantKey) -> FieldBinding<'_> {
    FieldBinding {
        pk: key.pk_str(),
        sk: key.sk_str(),
        field: "secret",
    }
}

/// Seals `secret` for the connection item at `key`.
pub async fn seal(
    p: &Platform,
    scope: &TenantScope,
    key: &TenantKey,
    secret: &Secret,
) -> Result<Vec<u8>, StoreError> {
    let plain = serde_json::to_vec(secret).map_err(|_| StoreError::Integrity)?;
    p.envelope
        .seal(scope, Purpose::Credential, binding(key), &plain)
        .await
        .map_err(|_| StoreError::Unavailable)
}

/// What a new connection starts with.
pub struct NewConnection<'a> {
    /// Its id.
    pub id: &'a str,
    /// Whose calendar.
    pub staff_id: &'a UserId,
    /// Where it reads from.
    pub provider: Provider,
    /// How much it may read.
    pub tier: Tier,
    /// The calendars selected at first.
    pub calendars: Vec<String>,
    /// The credential.
    pub secret: &'a Secret,
    /// Now.
    pub now: i64,
}

/// The write that creates a connection, due for its first sync at once.
pub async fn create_write(
    p: &Platform,
    scope: &TenantScope,
    new: NewConnection<'_>,
) -> Result<Write, StoreError> {
    let key = TenantKey::new(scope, Entity::CalendarConnection(new.id));
    let sealed = seal(p, scope, &key, new.secret).await?;
    Ok(Write::Put(
        key,
        Attrs::new()
            .string("staff_id", new.staff_id.as_str())
            .string("provider", new.provider.as_str())
            .string("tier", new.tier.as_str())
            .string("status", "active")
            .strings("calendars", new.calendars)
            .bytes("secret", sealed)
            .number("created_at", new.now)
            .number("version", 1)
            .due_in(DueQueue::CalendarSync, scope, new.id, new.now),
        Condition::NotExists,
    ))
}

/// Loads a connection.
pub async fn load(
    p: &Platform,
    scope: &TenantScope,
    id: &str,
) -> Result<Option<Connection>, StoreError> {
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Ok(None);
    }
    let key = TenantKey::new(scope, Entity::CalendarConnection(id));
    match p.store.get(scope, &key).await? {
        Some(r) => Connection::from_record(id, &r).map(Some),
        None => Ok(None),
    }
}

/// Every connection of the tenant (a few per staff member).
pub async fn all(p: &Platform, scope: &TenantScope) -> Result<Vec<Connection>, StoreError> {
    let records = p
        .store
        .list_all(scope, Collection::CalendarConnections)
        .await?;
    let mut out = Vec::with_capacity(records.len());
    for r in &records {
        let sk = r.sort_key()?;
        if let Some(id) = sk.strip_prefix("CONN#") {
            out.push(Connection::from_record(id, r)?);
        }
    }
    Ok(out)
}
