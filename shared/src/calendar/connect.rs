//! Connecting, choosing calendars, syncing on demand and disconnecting
//! (CAL-1, CAL-4, CAL-5), for the signed-in staff member's own calendars.
//!
//! OAuth providers use the authorization code flow with PKCE. The `state`
//! sent to the provider is a random token; the callback (one address for
//! every tenant) is authenticated by the session cookie that started the
//! flow, which names the tenant. The pending authorization is stored under
//! that tenant by the token's hash, bound to the user and the session,
//! expires after ten minutes and is consumed by a conditional delete, so a
//! replayed or parallel callback finds nothing. The PKCE verifier is sealed
//! in it.

use serde::Deserialize;

use super::blocks;
use super::connection::{self, Connection, NewConnection, Provider, Secret, Tier};
use super::ics::IcsOptions;
use super::oauth::{self, ProviderKind};
use super::sync::{self, SyncError};
use super::{caldav, feed, google, microsoft, CalendarInfo, ProviderError, Window};
use crate::audit::{AuditEvent, Outcome};
use crate::auth::Caller;
use crate::crypto::{FieldBinding, Purpose, SecretToken};
use crate::http::{FieldError, Problem, RequestMeta};
use crate::i18n::SecurityEvent;
use crate::store::{Attrs, Condition, Entity, StoreError, TenantKey, Write};
use crate::tenancy::{ItemId, TenantScope};
use crate::Platform;

/// How long a started authorization waits for its callback.
pub const AUTHORIZATION_TTL_SECS: i64 = 600;
/// Most connections one staff member may have.
pub const MAX_CONNECTIONS_PER_USER: usize = 10;
/// Most calendars one connection may select.
pub const MAX_CALENDARS: usize = 20;
/// The callback's path on the API (the redirect URI registered with each
/// provider is the API's base URL followed by it).
pub const CALLBACK_PATH: &str = "/v1/calendar-connections/oauth/callback";

/// `POST /v1/tenants/{tenant_id}/me/calendar-connections`: `provider` and
/// the fields that provider needs.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectInput {
    /// `google`, `microsoft`, `caldav` or `ics`.
    pub provider: Provider,
    /// Google and Microsoft: `busy_only` (free/busy queries, the default) or
    /// `incremental` (events with sync tokens or delta links; needed for
    /// subjects).
    pub tier: Option<Tier>,
    /// ICS: the feed's https or webcal URL (a secret: it is sealed).
    pub url: Option<String>,
    /// CalDAV: the server's https URL (iCloud: `https://caldav.icloud.com/`).
    pub server_url: Option<String>,
    /// CalDAV: the account name.
    pub username: Option<String>,
    /// CalDAV: an app-specific password (sealed).
    pub password: Option<String>,
}

fn required<'a>(value: &'a Option<String>, field: &'static str) -> Result<&'a str, Problem> {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() && v.len() <= 2048 => Ok(v),
        _ => Err(validation(
            field,
            "required for this provider (at most 2048 characters)",
        )),
    }
}

fn absent(value: &Option<String>, field: &'static str) -> Result<(), Problem> {
    match value {
        None => Ok(()),
        Some(_) => Err(validation(field, "not used by this provider")),
    }
}

/// What starting a connection answers.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Started {
    /// OAuth: send the browser here; the provider returns it to the callback.
    Authorize {
        /// The provider's authorization URL.
        authorization_url: String,
        /// RFC 3339 time after which the callback is refused.
        expires_at: String,
    },
    /// CalDAV or ICS: connected and synced once.
    Connected(connection::ConnectionView),
}

fn validation(field: &'static str, message: impl Into<String>) -> Problem {
    Problem::Validation(vec![FieldError {
        field,
        message: message.into(),
    }])
}

fn store_problem(e: StoreError) -> Problem {
    match e {
        StoreError::Conflict => Problem::Conflict("state-changed"),
        StoreError::Unavailable => Problem::ServiceUnavailable,
        StoreError::Integrity => Problem::Internal,
    }
}

impl From<SyncError> for Problem {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::InProgress => Problem::Conflict("sync-in-progress"),
            SyncError::Broken => Problem::Conflict("connection-broken"),
            SyncError::NotFound => Problem::NotFound,
            SyncError::NotConfigured => Problem::Conflict("provider-not-configured"),
            SyncError::Store(e) => store_problem(e),
            // Recorded on the connection; the answer shows its status.
            SyncError::Provider(_) => Problem::ServiceUnavailable,
        }
    }
}

/// Connections are part of the paid plan (CAL-5).
async fn require_paid_plan(p: &Platform, scope: &TenantScope) -> Result<(), Problem> {
    let tenant = crate::accounts::user::tenant(p, scope)
        .await
        .map_err(|_| Problem::ServiceUnavailable)?;
    if tenant.profile.optional_string("plan") == Some("paid") {
        Ok(())
    } else {
        Err(Problem::Conflict("plan-required"))
    }
}

async fn own_connections(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
) -> Result<Vec<Connection>, Problem> {
    Ok(connection::all(p, scope)
        .await
        .map_err(store_problem)?
        .into_iter()
        .filter(|c| &c.staff_id == caller.user_id())
        .collect())
}

/// The caller's connection `id`; another user's is not found (staff see only
/// their own).
async fn own_connection(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    id: &str,
) -> Result<Connection, Problem> {
    match connection::load(p, scope, id)
        .await
        .map_err(store_problem)?
    {
        Some(c) if &c.staff_id == caller.user_id() => Ok(c),
        _ => Err(Problem::NotFound),
    }
}

/// The redirect URI registered with the providers.
pub fn redirect_uri(p: &Platform) -> Result<url::Url, Problem> {
    let text = match &p.config.calendar_endpoints.redirect_uri {
        Some(configured) => configured.clone(),
        None => format!(
            "{}{CALLBACK_PATH}",
            p.config.app_base_url.trim_end_matches('/')
        ),
    };
    url::Url::parse(&text).map_err(|_| Problem::Internal)
}

fn kind_of(provider: Provider) -> Option<ProviderKind> {
    match provider {
        Provider::Google => Some(ProviderKind::Google),
        Provider::Microsoft => Some(ProviderKind::Microsoft),
        Provider::Caldav | Provider::Ics => None,
    }
}

fn oauth_tier(tier: Tier) -> oauth::Tier {
    match tier {
        Tier::BusyOnly => oauth::Tier::BusyOnly,
        Tier::Incremental => oauth::Tier::Incremental,
    }
}

/// Starts a connection.
pub async fn start(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    input: ConnectInput,
    meta: &RequestMeta,
) -> Result<(u16, Started), Problem> {
    require_paid_plan(p, scope).await?;
    if own_connections(p, scope, caller).await?.len() >= MAX_CONNECTIONS_PER_USER {
        return Err(Problem::Conflict("too-many-connections"));
    }
    let now = crate::clock::now_unix();
    match input.provider {
        Provider::Google | Provider::Microsoft => {
            for (value, field) in [
                (&input.url, "url"),
                (&input.server_url, "server_url"),
                (&input.username, "username"),
                (&input.password, "password"),
            ] {
                absent(value, field)?;
            }
            let tier = input.tier.unwrap_or(Tier::BusyOnly);
            begin_oauth(p, scope, caller, input.provider, tier, now).await
        }
        Provider::Caldav => {
            absent(&input.url, "url")?;
            let server_url = required(&input.server_url, "server_url")?;
            let username = required(&input.username, "username")?.to_owned();
            let password = input
                .password
                .clone()
                .filter(|p| !p.is_empty() && p.len() <= 256)
                .ok_or_else(|| validation("password", "1 to 256 characters"))?;
            let server = crate::net::Target::parse(server_url)
                .map_err(|_| validation("server_url", "must be an https URL of a public server"))?;
            let fetcher = p.fetcher().await.map_err(|_| Problem::ServiceUnavailable)?;
            let account = caldav::CalDavAccount {
                server: &server,
                username: &username,
                password: &password,
            };
            let found = caldav::discover(fetcher, &account)
                .await
                .map_err(|e| connect_refused("server_url", &e))?;
            let calendars: Vec<String> = found
                .into_iter()
                .take(MAX_CALENDARS)
                .map(|c| c.id)
                .collect();
            if calendars.is_empty() {
                return Err(validation(
                    "server_url",
                    "the account has no calendar with events",
                ));
            }
            let secret = Secret::Caldav {
                server_url: server.url().to_string(),
                username,
                password,
            };
            create(
                p,
                scope,
                caller,
                Provider::Caldav,
                Tier::Incremental,
                calendars,
                &secret,
                meta,
                now,
            )
            .await
        }
        Provider::Ics => {
            for (value, field) in [
                (&input.server_url, "server_url"),
                (&input.username, "username"),
                (&input.password, "password"),
            ] {
                absent(value, field)?;
            }
            let url = required(&input.url, "url")?;
            let target = crate::net::Target::parse(url).map_err(|_| {
                validation("url", "must be an https or webcal URL of a public server")
            })?;
            let fetcher = p.fetcher().await.map_err(|_| Problem::ServiceUnavailable)?;
            let options = IcsOptions {
                window: Window {
                    start: now,
                    end: now.saturating_add(86_400),
                },
                staff_zone: chrono_tz::Tz::UTC,
                own_addresses: &[],
                keep_summary: false,
            };
            feed::fetch_feed(fetcher, &target, &options, None)
                .await
                .map_err(|e| connect_refused("url", &e))?;
            let secret = Secret::Feed {
                url: target.url().to_string(),
            };
            create(
                p,
                scope,
                caller,
                Provider::Ics,
                Tier::Incremental,
                vec!["feed".into()],
                &secret,
                meta,
                now,
            )
            .await
        }
    }
}

/// A connection attempt the peer refused, as a 422 naming the class.
fn connect_refused(field: &'static str, e: &ProviderError) -> Problem {
    let message = match e {
        ProviderError::GrantRevoked => "the server refused these credentials".to_owned(),
        ProviderError::Fetch(crate::net::FetchError::Refused(_))
        | ProviderError::Fetch(crate::net::FetchError::BadTarget(_)) => {
            "the address is not a public https server".to_owned()
        }
        other => format!("could not be read ({})", other.class()),
    };
    validation(field, message)
}

async fn begin_oauth(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    provider: Provider,
    tier: Tier,
    now: i64,
) -> Result<(u16, Started), Problem> {
    let Some(session_id) = caller.session_id() else {
        // The callback arrives in the browser: only a browser session can
        // finish what it starts.
        return Err(Problem::Forbidden);
    };
    let kind = kind_of(provider).ok_or(Problem::Internal)?;
    let (_, oauth_provider) = sync::oauth_provider(p, provider).await?;
    let token = SecretToken::generate();
    let state = token.expose().to_owned();
    let redirect = redirect_uri(p)?;
    let authorization = oauth::authorization(
        &oauth_provider,
        &redirect,
        &state,
        oauth::scopes(kind, oauth_tier(tier)),
        oauth::extra_authorize_params(kind),
    );
    let key = TenantKey::new(scope, Entity::CalendarAuthorization(token.hash().as_str()));
    let verifier = p
        .envelope
        .seal(
            scope,
            Purpose::Credential,
            FieldBinding {
                pk: key.pk_str(),
                sk: key.sk_str(),
                field: "verifier",
            },
            authorization.pkce_verifier.as_bytes(),
        )
        .await
        .map_err(|_| Problem::ServiceUnavailable)?;
    let expires = now.saturating_add(AUTHORIZATION_TTL_SECS);
    p.store
        .transact(vec![Write::Put(
            key,
            Attrs::new()
                .string("user_id", caller.user_id().as_str())
                .string("session_id", session_id)
                .string("provider", provider.as_str())
                .string("tier", tier.as_str())
                .bytes("verifier", verifier)
                .expires_at(expires),
            Condition::NotExists,
        )])
        .await
        .map_err(store_problem)?;
    Ok((
        201,
        Started::Authorize {
            authorization_url: authorization.url.to_string(),
            expires_at: crate::clock::rfc3339(expires),
        },
    ))
}

/// The callback's query.
#[derive(Deserialize)]
pub struct CallbackQuery {
    /// The state we sent.
    pub state: Option<String>,
    /// The authorization code.
    pub code: Option<String>,
    /// The provider's refusal (`access_denied`, …).
    pub error: Option<String>,
}

/// Finishes an OAuth connection: the callback of the session that started it.
pub async fn finish(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    query: CallbackQuery,
    meta: &RequestMeta,
) -> Result<(u16, Started), Problem> {
    let state = query.state.ok_or(Problem::InvalidToken)?;
    let token = SecretToken::parse(&state).ok_or(Problem::InvalidToken)?;
    let key = TenantKey::new(scope, Entity::CalendarAuthorization(token.hash().as_str()));
    let now = crate::clock::now_unix();
    let pending = p
        .store
        .get(scope, &key)
        .await
        .map_err(store_problem)?
        .ok_or(Problem::InvalidToken)?;
    if pending.optional_string("user_id") != Some(caller.user_id().as_str())
        || pending.optional_string("session_id") != caller.session_id()
    {
        return Err(Problem::InvalidToken);
    }
    // Single use: whoever deletes it first finishes; a replay or a parallel
    // callback finds it gone.
    match p
        .store
        .transact(vec![Write::Delete(
            key.clone(),
            Condition::ExistsUnexpiredAt(now),
        )])
        .await
    {
        Ok(()) => {}
        Err(StoreError::Conflict) => return Err(Problem::InvalidToken),
        Err(e) => return Err(store_problem(e)),
    }
    if query.error.is_some() {
        return Err(validation("code", "the provider did not grant access"));
    }
    let code = query
        .code
        .filter(|c| !c.is_empty() && c.len() <= 4096)
        .ok_or_else(|| validation("code", "missing"))?;
    let provider = match pending.optional_string("provider") {
        Some("google") => Provider::Google,
        Some("microsoft") => Provider::Microsoft,
        _ => return Err(Problem::Internal),
    };
    let tier = match pending.optional_string("tier") {
        Some("busy_only") => Tier::BusyOnly,
        _ => Tier::Incremental,
    };
    let verifier = p
        .envelope
        .open(
            scope,
            Purpose::Credential,
            FieldBinding {
                pk: key.pk_str(),
                sk: key.sk_str(),
                field: "verifier",
            },
            pending.bytes("verifier").map_err(store_problem)?,
        )
        .await
        .map_err(|_| Problem::ServiceUnavailable)?;
    let verifier = String::from_utf8(verifier).map_err(|_| Problem::Internal)?;
    let (_, oauth_provider) = sync::oauth_provider(p, provider).await?;
    let fetcher = p.fetcher().await.map_err(|_| Problem::ServiceUnavailable)?;
    let tokens = oauth::exchange_code(
        fetcher,
        &oauth_provider,
        &redirect_uri(p)?,
        &code,
        &verifier,
        now,
    )
    .await
    .map_err(|e| match e {
        oauth::OAuthError::InvalidGrant => validation("code", "the code is invalid or was used"),
        _ => Problem::ServiceUnavailable,
    })?;
    let calendars = match (provider, tier) {
        // Google names the account's main calendar `primary`.
        (Provider::Google, _) => vec!["primary".to_owned()],
        // getSchedule reads the account's own schedule.
        (Provider::Microsoft, Tier::BusyOnly) => vec!["schedule".to_owned()],
        (Provider::Microsoft, Tier::Incremental) => {
            let found = microsoft::calendars(
                fetcher,
                &p.config
                    .calendar_endpoints
                    .graph_api()
                    .map_err(|_| Problem::Internal)?,
                &tokens.access_token,
            )
            .await
            .map_err(|_| Problem::ServiceUnavailable)?;
            found
                .iter()
                .find(|c| c.primary)
                .or(found.first())
                .map(|c| vec![c.id.clone()])
                .unwrap_or_default()
        }
        _ => Vec::new(),
    };
    let secret = Secret::Oauth {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        expires_at: tokens.expires_at,
    };
    create(
        p, scope, caller, provider, tier, calendars, &secret, meta, now,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn create(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    provider: Provider,
    tier: Tier,
    calendars: Vec<String>,
    secret: &Secret,
    meta: &RequestMeta,
    now: i64,
) -> Result<(u16, Started), Problem> {
    let id = ItemId::generate().to_string();
    let user = crate::accounts::user::load(p, scope, caller.user_id())
        .await
        .map_err(|_| Problem::ServiceUnavailable)?
        .ok_or(Problem::Unauthenticated)?;
    let writes = vec![
        connection::create_write(
            p,
            scope,
            NewConnection {
                id: &id,
                staff_id: caller.user_id(),
                provider,
                tier,
                calendars,
                secret,
                now,
            },
        )
        .await
        .map_err(store_problem)?,
        audit(caller, meta, "calendar.connected", &id, Outcome::Success).write(scope),
        crate::accounts::notify::security_notice(
            p,
            scope,
            &user,
            SecurityEvent::CalendarConnected {
                provider: provider.display_name().to_owned(),
            },
        )
        .await
        .map_err(|_| Problem::ServiceUnavailable)?,
    ];
    p.store.transact(writes).await.map_err(store_problem)?;
    // The first sync runs now; a failure is recorded on the connection and
    // the schedule retries it.
    let _ = sync::sync_one(p, scope, &id, now, false).await;
    let view = connection::load(p, scope, &id)
        .await
        .map_err(store_problem)?
        .ok_or(Problem::Internal)?
        .view();
    Ok((201, Started::Connected(view)))
}

fn audit(
    caller: &Caller,
    meta: &RequestMeta,
    action: &'static str,
    target: &str,
    outcome: Outcome,
) -> AuditEvent {
    AuditEvent {
        kind: "calendar",
        action,
        actor: caller.actor(),
        target: target.to_owned(),
        client_addr: meta.client_addr.clone(),
        outcome,
    }
}

/// The caller's connections.
pub async fn list(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
) -> Result<Vec<connection::ConnectionView>, Problem> {
    let mut views: Vec<_> = own_connections(p, scope, caller)
        .await?
        .iter()
        .map(Connection::view)
        .collect();
    views.sort_by(|a, b| a.connected_at.cmp(&b.connected_at));
    Ok(views)
}

/// A calendar the connection can select, and whether it is selected.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct CalendarChoice {
    /// The provider's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The account's main calendar.
    pub primary: bool,
    /// Whether its busy time is imported.
    pub selected: bool,
}

async fn available(
    p: &Platform,
    scope: &TenantScope,
    conn: &Connection,
) -> Result<Vec<CalendarInfo>, Problem> {
    let fetcher = p.fetcher().await.map_err(|_| Problem::ServiceUnavailable)?;
    let secret = match conn.provider {
        Provider::Google | Provider::Microsoft => {
            sync::fresh_secret(p, scope, conn, crate::clock::now_unix())
                .await
                .map_err(|e| match e {
                    SyncError::Provider(ProviderError::GrantRevoked) => {
                        Problem::Conflict("connection-broken")
                    }
                    other => other.into(),
                })?
        }
        Provider::Caldav | Provider::Ics => conn.secret(p, scope).await.map_err(store_problem)?,
    };
    let single = |id: &str, name: &str| {
        vec![CalendarInfo {
            id: id.to_owned(),
            name: name.to_owned(),
            primary: true,
        }]
    };
    let found = match (&secret, conn.provider, conn.tier) {
        (Secret::Oauth { access_token, .. }, Provider::Google, _) => {
            match p.config.calendar_endpoints.google_api() {
                Ok(api) => google::calendars(fetcher, &api, access_token).await,
                Err(e) => Err(e),
            }
        }
        (_, Provider::Microsoft, Tier::BusyOnly) => Ok(single("schedule", "Schedule")),
        (Secret::Oauth { access_token, .. }, Provider::Microsoft, Tier::Incremental) => {
            microsoft::calendars(
                fetcher,
                &p.config
                    .calendar_endpoints
                    .graph_api()
                    .map_err(|_| Problem::Internal)?,
                access_token,
            )
            .await
        }
        (
            Secret::Caldav {
                server_url,
                username,
                password,
            },
            Provider::Caldav,
            _,
        ) => {
            let server = crate::net::Target::parse(server_url).map_err(|_| Problem::Internal)?;
            caldav::discover(
                fetcher,
                &caldav::CalDavAccount {
                    server: &server,
                    username,
                    password,
                },
            )
            .await
        }
        (_, Provider::Ics, _) => Ok(single("feed", "Feed")),
        _ => Err(ProviderError::Protocol),
    };
    found.map_err(|e| match e {
        ProviderError::GrantRevoked => Problem::Conflict("connection-broken"),
        _ => Problem::ServiceUnavailable,
    })
}

/// The calendars a connection can select, read from the provider now.
pub async fn calendars(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    id: &str,
) -> Result<Vec<CalendarChoice>, Problem> {
    let conn = own_connection(p, scope, caller, id).await?;
    let found = available(p, scope, &conn).await?;
    // A new Google connection names the main calendar by Google's alias.
    Ok(found
        .into_iter()
        .map(|c| CalendarChoice {
            selected: conn.calendars.contains(&c.id)
                || (c.primary && conn.calendars.iter().any(|s| s == "primary")),
            id: c.id,
            name: c.name,
            primary: c.primary,
        })
        .collect())
}

/// `PUT …/calendar-connections/{id}/calendars`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectInput {
    /// The ids of the calendars whose busy time to import (1–20).
    pub calendar_ids: Vec<String>,
}

/// Chooses which calendars a connection imports; due for a sync at once.
pub async fn select(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    id: &str,
    input: SelectInput,
    meta: &RequestMeta,
) -> Result<connection::ConnectionView, Problem> {
    let conn = own_connection(p, scope, caller, id).await?;
    let mut wanted = input.calendar_ids;
    wanted.sort();
    wanted.dedup();
    if wanted.is_empty() || wanted.len() > MAX_CALENDARS {
        return Err(validation(
            "calendar_ids",
            format!("choose 1 to {MAX_CALENDARS} calendars"),
        ));
    }
    let offered = available(p, scope, &conn).await?;
    let offered_or_alias = |w: &String| {
        offered.iter().any(|o| &o.id == w)
            || (w.as_str() == "primary" && conn.provider == Provider::Google)
    };
    if !wanted.iter().all(offered_or_alias) {
        return Err(validation(
            "calendar_ids",
            "not a calendar of this connection",
        ));
    }
    let now = crate::clock::now_unix();
    p.store
        .transact(vec![
            Write::Update(
                conn.key(scope),
                Attrs::new()
                    .strings("calendars", wanted)
                    .number("version", conn.version.saturating_add(1))
                    .due_in(crate::store::DueQueue::CalendarSync, scope, &conn.id, now),
                Condition::ExistsWithNumber("version", conn.version),
            ),
            audit(
                caller,
                meta,
                "calendar.calendars_selected",
                &conn.id,
                Outcome::Success,
            )
            .write(scope),
        ])
        .await
        .map_err(store_problem)?;
    let _ = sync::sync_one(p, scope, &conn.id, now, false).await;
    Ok(connection::load(p, scope, &conn.id)
        .await
        .map_err(store_problem)?
        .ok_or(Problem::NotFound)?
        .view())
}

/// "Sync now": the scheduled sync, for one connection, at most once a minute.
pub async fn sync_now(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    id: &str,
) -> Result<connection::ConnectionView, Problem> {
    let conn = own_connection(p, scope, caller, id).await?;
    match sync::sync_one(p, scope, &conn.id, crate::clock::now_unix(), true).await {
        Ok(_) | Err(SyncError::Provider(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(connection::load(p, scope, &conn.id)
        .await
        .map_err(store_problem)?
        .ok_or(Problem::NotFound)?
        .view())
}

/// Disconnects the caller's connection.
pub async fn disconnect(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    id: &str,
    meta: &RequestMeta,
) -> Result<(), Problem> {
    let conn = own_connection(p, scope, caller, id).await?;
    remove(p, scope, &conn, &caller.actor(), &meta.client_addr)
        .await
        .map_err(store_problem)
}

/// Disconnects every connection of the tenant (downgrade to the free plan,
/// cancellation), or of one user (deletion): CAL-5.
pub async fn disconnect_all(
    p: &Platform,
    scope: &TenantScope,
    only_user: Option<&crate::tenancy::UserId>,
    actor: &str,
    client_addr: &str,
) -> Result<usize, StoreError> {
    let mut n = 0;
    for conn in connection::all(p, scope).await? {
        if only_user.is_some_and(|u| u != &conn.staff_id) {
            continue;
        }
        remove(p, scope, &conn, actor, client_addr).await?;
        n += 1;
    }
    Ok(n)
}

/// Revokes the grant at the provider where it offers revocation, deletes the
/// connection with its credential and every block it imported, audits, and
/// tells the staff member. A provider that cannot be reached does not keep
/// the connection: the credential is deleted here either way.
async fn remove(
    p: &Platform,
    scope: &TenantScope,
    conn: &Connection,
    actor: &str,
    client_addr: &str,
) -> Result<(), StoreError> {
    if let (
        Some(_),
        Ok(Secret::Oauth {
            access_token,
            refresh_token,
            ..
        }),
    ) = (kind_of(conn.provider), conn.secret(p, scope).await)
    {
        if let (Ok((_, provider)), Ok(fetcher)) = (
            sync::oauth_provider(p, conn.provider).await,
            p.fetcher().await,
        ) {
            let token = refresh_token.as_deref().unwrap_or(&access_token);
            match oauth::revoke(fetcher, &provider, token).await {
                Ok(()) | Err(oauth::OAuthError::NoRevocation) => {}
                Err(e) => {
                    tracing::warn!(connection_id = %conn.id, error = %e, "grant revocation failed; credential deleted anyway")
                }
            }
        }
    }
    let user = crate::accounts::user::load(p, scope, &conn.staff_id)
        .await
        .ok()
        .flatten();
    let mut writes = vec![
        Write::Delete(conn.key(scope), Condition::None),
        AuditEvent {
            kind: "calendar",
            action: "calendar.disconnected",
            actor: actor.to_owned(),
            target: conn.id.clone(),
            client_addr: client_addr.to_owned(),
            outcome: Outcome::Success,
        }
        .write(scope),
    ];
    if let Some(user) = user {
        if let Ok(w) = crate::accounts::notify::security_notice(
            p,
            scope,
            &user,
            SecurityEvent::CalendarDisconnected {
                provider: conn.provider.display_name().to_owned(),
            },
        )
        .await
        {
            writes.push(w);
        }
    }
    p.store.transact(writes).await?;
    // The blocks go after the connection, so no sync can write new ones.
    let stored = blocks::stored(p, scope, &conn.id).await?;
    blocks::apply(
        p,
        scope,
        &conn.id,
        &conn.staff_id,
        blocks::Plan {
            put: Vec::new(),
            delete: stored.into_iter().map(|b| b.id).collect(),
        },
        None,
    )
    .await
}

/// The tenant's plan (CAL-5): `free` or `paid`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    /// No connected calendars.
    Free,
    /// Everything.
    Paid,
}

/// `PUT /v1/tenants/{tenant_id}/plan`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    /// `free` or `paid`.
    pub plan: Plan,
}

/// Changes the plan; moving to free disconnects every calendar of the tenant.
pub async fn set_plan(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    input: PlanInput,
    meta: &RequestMeta,
) -> Result<Plan, Problem> {
    let name = match input.plan {
        Plan::Free => "free",
        Plan::Paid => "paid",
    };
    p.store
        .transact(vec![
            Write::Update(
                TenantKey::new(scope, Entity::Profile),
                Attrs::new().string("plan", name),
                Condition::Exists,
            ),
            AuditEvent {
                kind: "tenant",
                action: if input.plan == Plan::Free {
                    "tenant.plan_free"
                } else {
                    "tenant.plan_paid"
                },
                actor: caller.actor(),
                target: scope.tenant_id().to_string(),
                client_addr: meta.client_addr.clone(),
                outcome: Outcome::Success,
            }
            .write(scope),
        ])
        .await
        .map_err(store_problem)?;
    if input.plan == Plan::Free {
        disconnect_all(p, scope, None, &caller.actor(), &meta.client_addr)
            .await
            .map_err(store_problem)?;
    }
    Ok(input.plan)
}

/// The tenant's plan.
pub async fn plan_of(p: &Platform, scope: &TenantScope) -> Result<Plan, Problem> {
    let tenant = crate::accounts::user::tenant(p, scope)
        .await
        .map_err(|_| Problem::ServiceUnavailable)?;
    Ok(match tenant.profile.optional_string("plan") {
        Some("paid") => Plan::Paid,
        _ => Plan::Free,
    })
}
