//! Syncing one connection, and the scheduled pass over every connection that
//! is due (CAL-3). "Sync now" and the schedule run the same code.
//!
//! A sync claims its connection with a short lease (a conditional write), so
//! the schedule, a "sync now" and a retry never read and write one
//! connection at the same time. It reads each selected calendar (a full
//! listing, or the changes since the stored sync token or delta link),
//! plans the block writes (nothing when nothing changed) and records the
//! outcome. A revoked grant marks the connection broken, tells its owner
//! once and takes it out of the schedule (CAL-4); any other failure is
//! recorded and retried at the next run. Push notifications are not used:
//! the schedule is the one path, and it always runs.

use std::time::{Duration, Instant};

use chrono_tz::Tz;
use futures_util::stream::{FuturesUnordered, StreamExt};
use serde_json::{json, Value};

use super::blocks::{self, Read};
use super::connection::{self, Connection, Provider, Secret, Status, Tier};
use super::ics::IcsOptions;
use super::oauth::{self, ProviderKind};
use super::{caldav, feed, google, microsoft, Change, Occurrence, ProviderError, Window};
use crate::store::{Attrs, Condition, DueQueue, StoreError, Write};
use crate::tenancy::TenantScope;
use crate::Platform;

/// How often a connection is synced by the schedule (the EventBridge rule
/// runs at this rate; a template parameter).
pub const SYNC_INTERVAL_SECS: i64 = 600;
/// How long a sync may hold its connection.
const LEASE_SECS: i64 = 300;
/// A "sync now" within this long of the last attempt is refused.
pub const MIN_SECS_BETWEEN_SYNCS: i64 = 60;
/// An access token this close to expiry is refreshed first.
const REFRESH_MARGIN_SECS: i64 = 300;
/// A full listing covers this much beyond the booking horizon, so that the
/// horizon can move for a while on incremental reads alone.
const WINDOW_SLACK_SECS: i64 = 7 * 86_400;
/// Connections synced side by side in the scheduled pass.
const CONCURRENT_SYNCS: usize = 8;

/// Why a sync did not complete.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The provider failed; its class is recorded on the connection.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// The table or KMS failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Another sync holds the connection, or one ran moments ago.
    #[error("sync in progress")]
    InProgress,
    /// The connection is broken; it syncs again only once reconnected.
    #[error("connection broken")]
    Broken,
    /// The connection no longer exists.
    #[error("connection not found")]
    NotFound,
    /// The provider has no client registered in this deployment.
    #[error("provider not configured")]
    NotConfigured,
}

/// What a sync did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// Blocks written.
    pub written: usize,
    /// Blocks deleted.
    pub deleted: usize,
    /// Calendars read in full (the others incrementally or not at all).
    pub full_reads: usize,
}

/// The tenant facts a sync needs.
struct TenantView {
    zone: Tz,
    horizon_days: i64,
    subjects: bool,
    lookup: crate::crypto::LookupKey,
}

async fn tenant_view(p: &Platform, scope: &TenantScope) -> Result<TenantView, StoreError> {
    let tenant = crate::accounts::user::tenant(p, scope)
        .await
        .map_err(|_| StoreError::Unavailable)?;
    let zone = tenant
        .profile
        .optional_string("time_zone")
        .and_then(|z| z.parse().ok())
        .unwrap_or(Tz::UTC);
    let lookup = tenant
        .lookup_key(p, scope)
        .await
        .map_err(|_| StoreError::Unavailable)?;
    Ok(TenantView {
        zone,
        horizon_days: tenant.policy.max_advance_days,
        subjects: tenant.policy.calendar_subjects,
        lookup,
    })
}

/// Syncs one connection now. `manual` applies the "sync now" spacing.
pub async fn sync_one(
    p: &Platform,
    scope: &TenantScope,
    id: &str,
    now: i64,
    manual: bool,
) -> Result<Outcome, SyncError> {
    let conn = connection::load(p, scope, id)
        .await?
        .ok_or(SyncError::NotFound)?;
    if conn.status == Status::Broken {
        return Err(SyncError::Broken);
    }
    if manual
        && conn
            .last_sync_at
            .is_some_and(|at| now.saturating_sub(at) < MIN_SECS_BETWEEN_SYNCS)
    {
        return Err(SyncError::InProgress);
    }
    let lease = claim(p, scope, &conn, now).await?;
    let result = run(p, scope, &conn, now, lease).await;
    record(p, scope, &conn, now, &result).await?;
    result.map(|(outcome, _)| outcome)
}

/// Takes the lease, or finds it held.
async fn claim(
    p: &Platform,
    scope: &TenantScope,
    conn: &Connection,
    now: i64,
) -> Result<blocks::Guard, SyncError> {
    let lease_until = now.saturating_add(LEASE_SECS);
    let write = Write::Update(
        conn.key(scope),
        Attrs::new().number("lease_until", lease_until),
        Condition::All(vec![
            Condition::ExistsWithNumberAtMost("lease_until", now),
            Condition::ExistsWithString("status", "active".into()),
        ]),
    );
    match p.store.transact(vec![write]).await {
        Ok(()) => Ok(blocks::Guard { lease_until }),
        Err(StoreError::Conflict) => Err(SyncError::InProgress),
        Err(e) => Err(e.into()),
    }
}

/// What a successful read leaves behind besides blocks.
struct After {
    sync_state: serde_json::Map<String, Value>,
    window_end: i64,
    secret: Option<Secret>,
}

async fn run(
    p: &Platform,
    scope: &TenantScope,
    conn: &Connection,
    now: i64,
    lease: blocks::Guard,
) -> Result<(Outcome, After), SyncError> {
    let tenant = tenant_view(p, scope).await?;
    let fetcher = p
        .fetcher()
        .await
        .map_err(|e| SyncError::Provider(e.into()))?;
    let mut secret = conn.secret(p, scope).await?;
    let horizon_end = now.saturating_add(tenant.horizon_days.saturating_mul(86_400));
    let window = Window {
        start: now,
        end: horizon_end.saturating_add(86_400),
    };
    // A full listing is needed when the horizon moved past the last one.
    let full_window = Window {
        start: now,
        end: window.end.saturating_add(WINDOW_SLACK_SECS),
    };
    let needs_full = conn.window_end < window.end;
    let mut refreshed = None;
    if let Secret::Oauth { .. } = secret {
        if let Some(fresh) = refresh_if_needed(p, conn.provider, &secret, now).await? {
            secret = fresh.clone();
            refreshed = Some(fresh);
        }
    }
    let own: Vec<String> = Vec::new();
    let options = IcsOptions {
        window: if needs_full { full_window } else { window },
        staff_zone: tenant.zone,
        own_addresses: &own,
        keep_summary: tenant.subjects,
    };
    let mut reads: Vec<(String, Read)> = Vec::new();
    let mut state = conn.sync_state.clone();
    let mut full_reads = 0;
    match (&secret, conn.provider, conn.tier) {
        (Secret::Oauth { access_token, .. }, Provider::Google, Tier::BusyOnly) => {
            let api = &p.config.calendar_endpoints.google_api()?;
            for cal in &conn.calendars {
                let found = google::free_busy(
                    fetcher,
                    api,
                    access_token,
                    std::slice::from_ref(cal),
                    window,
                )
                .await?;
                reads.push((cal.clone(), Read::Full(found)));
                full_reads += 1;
            }
        }
        (Secret::Oauth { access_token, .. }, Provider::Microsoft, Tier::BusyOnly) => {
            let api = &p.config.calendar_endpoints.graph_api()?;
            let found = microsoft::schedule(fetcher, api, access_token, window).await?;
            for cal in &conn.calendars {
                reads.push((cal.clone(), Read::Full(found.clone())));
            }
            full_reads += 1;
        }
        (
            Secret::Oauth { access_token, .. },
            provider @ (Provider::Google | Provider::Microsoft),
            Tier::Incremental,
        ) => {
            let endpoints = &p.config.calendar_endpoints;
            let api = match provider {
                Provider::Google => endpoints.google_api()?,
                _ => endpoints.graph_api()?,
            };
            let (zone, subjects) = (tenant.zone, tenant.subjects);
            for cal in &conn.calendars {
                // From the stored sync token or delta link, or in full when
                // there is none, the window moved, or it expired (410).
                let read = |position: Option<String>| {
                    let api = &api;
                    async move {
                        match (provider, position.as_deref()) {
                            (Provider::Google, from) => {
                                let from =
                                    from.map_or(google::SyncFrom::Full, google::SyncFrom::Token);
                                google::events(
                                    fetcher,
                                    api,
                                    access_token,
                                    cal,
                                    from,
                                    full_window,
                                    zone,
                                    subjects,
                                )
                                .await
                            }
                            (_, from) => {
                                let from = from
                                    .map_or(microsoft::DeltaFrom::Full, microsoft::DeltaFrom::Link);
                                microsoft::events(
                                    fetcher,
                                    api,
                                    access_token,
                                    cal,
                                    from,
                                    full_window,
                                    zone,
                                    subjects,
                                )
                                .await
                            }
                        }
                    }
                };
                let position = state_token(&state, cal).filter(|_| !needs_full);
                let delta = match read(position).await {
                    Err(ProviderError::SyncStateExpired) => read(None).await?,
                    other => other?,
                };
                if delta.full {
                    full_reads += 1;
                }
                state.insert(cal.clone(), json!(delta.next_token));
                reads.push((cal.clone(), as_read(delta.full, delta.changes)));
            }
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
            let server =
                crate::net::Target::parse(server_url).map_err(|_| ProviderError::Protocol)?;
            let account = caldav::CalDavAccount {
                server: &server,
                username,
                password,
            };
            let own = [username.to_lowercase()];
            let options = IcsOptions {
                own_addresses: &own,
                window,
                ..options
            };
            for cal in &conn.calendars {
                let prefer = match state.get(cal).and_then(Value::as_str) {
                    Some("calendar_query") => caldav::BusyMethod::CalendarQuery,
                    _ => caldav::BusyMethod::FreeBusyReport,
                };
                let (found, used) = caldav::busy(fetcher, &account, cal, prefer, &options).await?;
                let used = match used {
                    caldav::BusyMethod::CalendarQuery => "calendar_query",
                    caldav::BusyMethod::FreeBusyReport => "free_busy",
                };
                state.insert(cal.clone(), json!(used));
                reads.push((cal.clone(), Read::Full(found)));
                full_reads += 1;
            }
        }
        (Secret::Feed { url }, Provider::Ics, _) => {
            let target = crate::net::Target::parse(url).map_err(|_| ProviderError::Protocol)?;
            let options = IcsOptions { window, ..options };
            // Validators are only trusted while the window has not moved.
            let validators = state
                .get("feed")
                .filter(|_| !needs_full)
                .and_then(|v| serde_json::from_value::<Validators>(v.clone()).ok())
                .map(|v| feed::FeedValidators {
                    etag: v.etag,
                    last_modified: v.last_modified,
                });
            match feed::fetch_feed(fetcher, &target, &options, validators.as_ref()).await? {
                feed::FeedResult::NotModified => {}
                feed::FeedResult::Fetched {
                    occurrences,
                    validators,
                } => {
                    state.insert(
                        "feed".into(),
                        json!(Validators {
                            etag: validators.etag,
                            last_modified: validators.last_modified,
                        }),
                    );
                    for cal in &conn.calendars {
                        reads.push((cal.clone(), Read::Full(occurrences.clone())));
                    }
                    full_reads += 1;
                }
            }
        }
        _ => return Err(ProviderError::Protocol.into()),
    }
    let current = blocks::stored(p, scope, &conn.id).await?;
    let plan = blocks::plan(&tenant.lookup, &conn.id, &conn.calendars, &current, &reads);
    let outcome = Outcome {
        written: plan.put.len(),
        deleted: plan.delete.len(),
        full_reads,
    };
    blocks::apply(p, scope, &conn.id, &conn.staff_id, plan, Some(lease)).await?;
    let window_end = if needs_full {
        full_window.end
    } else {
        conn.window_end
    };
    Ok((
        outcome,
        After {
            sync_state: state,
            window_end,
            secret: refreshed,
        },
    ))
}

/// A feed's validators as kept in the sync state.
#[derive(serde::Serialize, serde::Deserialize)]
struct Validators {
    etag: Option<String>,
    last_modified: Option<String>,
}

fn state_token(state: &serde_json::Map<String, Value>, calendar: &str) -> Option<String> {
    state
        .get(calendar)
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

fn as_read(full: bool, changes: Vec<Change>) -> Read {
    if full {
        Read::Full(
            changes
                .into_iter()
                .filter_map(|c| match c {
                    Change::Upsert(o) => Some(o),
                    Change::Remove { .. } => None,
                })
                .collect::<Vec<Occurrence>>(),
        )
    } else {
        Read::Delta(changes)
    }
}

/// The OAuth provider of a connection, with this deployment's client.
pub async fn oauth_provider(
    p: &Platform,
    provider: Provider,
) -> Result<(ProviderKind, oauth::OAuthProvider), SyncError> {
    let kind = match provider {
        Provider::Google => ProviderKind::Google,
        Provider::Microsoft => ProviderKind::Microsoft,
        Provider::Caldav | Provider::Ics => return Err(SyncError::NotConfigured),
    };
    let clients = p
        .calendar_clients()
        .await
        .map_err(|_| SyncError::Store(StoreError::Unavailable))?;
    let client = match kind {
        ProviderKind::Google => clients.google.as_ref(),
        ProviderKind::Microsoft => clients.microsoft.as_ref(),
    }
    .ok_or(SyncError::NotConfigured)?;
    Ok((
        kind,
        p.config
            .calendar_endpoints
            .oauth(kind, &client.client_id, &client.client_secret)?,
    ))
}

/// A fresh access token when the stored one is about to expire.
async fn refresh_if_needed(
    p: &Platform,
    provider: Provider,
    secret: &Secret,
    now: i64,
) -> Result<Option<Secret>, SyncError> {
    let Secret::Oauth {
        refresh_token,
        expires_at,
        ..
    } = secret
    else {
        return Ok(None);
    };
    if expires_at.is_none_or(|at| at > now.saturating_add(REFRESH_MARGIN_SECS)) {
        return Ok(None);
    }
    let Some(refresh_token) = refresh_token else {
        return Err(ProviderError::GrantRevoked.into());
    };
    let (_, provider) = oauth_provider(p, provider).await?;
    let fetcher = p
        .fetcher()
        .await
        .map_err(|e| SyncError::Provider(e.into()))?;
    let tokens = oauth::refresh(fetcher, &provider, refresh_token, now)
        .await
        .map_err(ProviderError::from)?;
    Ok(Some(Secret::Oauth {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token.or_else(|| Some(refresh_token.clone())),
        expires_at: tokens.expires_at,
    }))
}

/// The connection's credential with an access token that is good for a while:
/// refreshed (and the refresh stored) when it is about to expire, so a
/// listing outside a sync never fails on an expired token.
pub async fn fresh_secret(
    p: &Platform,
    scope: &TenantScope,
    conn: &Connection,
    now: i64,
) -> Result<Secret, SyncError> {
    let secret = conn.secret(p, scope).await?;
    let Some(fresh) = refresh_if_needed(p, conn.provider, &secret, now).await? else {
        return Ok(secret);
    };
    let key = conn.key(scope);
    let sealed = connection::seal(p, scope, &key, &fresh).await?;
    match p
        .store
        .transact(vec![Write::Update(
            key,
            Attrs::new()
                .bytes("secret", sealed)
                .number("version", conn.version.saturating_add(1)),
            Condition::ExistsWithNumber("version", conn.version),
        )])
        .await
    {
        // Changed meanwhile (a sync stored its own refresh): ours still works.
        Ok(()) | Err(StoreError::Conflict) => Ok(fresh),
        Err(e) => Err(e.into()),
    }
}

/// Records a sync's outcome on the connection and schedules the next one.
async fn record(
    p: &Platform,
    scope: &TenantScope,
    conn: &Connection,
    now: i64,
    result: &Result<(Outcome, After), SyncError>,
) -> Result<(), StoreError> {
    let key = conn.key(scope);
    let mut attrs = Attrs::new()
        .number("last_sync_at", now)
        .number("version", conn.version.saturating_add(1))
        .remove("lease_until");
    let mut writes = Vec::new();
    match result {
        Ok((_, after)) => {
            let state =
                serde_json::to_string(&after.sync_state).map_err(|_| StoreError::Integrity)?;
            attrs = attrs
                .number("last_success_at", now)
                .remove("last_error")
                .string("sync_state", state)
                .number("window_end", after.window_end)
                .due_in(
                    DueQueue::CalendarSync,
                    scope,
                    &conn.id,
                    now.saturating_add(SYNC_INTERVAL_SECS),
                );
            if let Some(secret) = &after.secret {
                attrs = attrs.bytes("secret", connection::seal(p, scope, &key, secret).await?);
            }
        }
        Err(SyncError::Provider(ProviderError::GrantRevoked)) => {
            attrs = attrs
                .string("last_error", ProviderError::GrantRevoked.class())
                .string("status", "broken")
                .not_due();
            writes.extend(broken_notice(p, scope, conn).await);
            writes.push(
                crate::audit::AuditEvent {
                    kind: "calendar",
                    action: "calendar.connection_broken",
                    actor: "system".into(),
                    target: conn.id.clone(),
                    client_addr: String::new(),
                    outcome: crate::audit::Outcome::Failure,
                }
                .write(scope),
            );
        }
        Err(e) => {
            let (class, wait) = match e {
                SyncError::Provider(ProviderError::Throttled { retry_after_secs }) => (
                    "throttled",
                    retry_after_secs
                        .and_then(|s| i64::try_from(s).ok())
                        .unwrap_or(0)
                        .clamp(SYNC_INTERVAL_SECS, 6 * 3600),
                ),
                SyncError::Provider(pe) => (pe.class(), SYNC_INTERVAL_SECS),
                SyncError::NotConfigured => ("provider_not_configured", SYNC_INTERVAL_SECS),
                _ => ("internal", SYNC_INTERVAL_SECS),
            };
            tracing::warn!(connection_id = %conn.id, error_class = class, "calendar sync failed");
            attrs = attrs.string("last_error", class).due_in(
                DueQueue::CalendarSync,
                scope,
                &conn.id,
                now.saturating_add(wait),
            );
        }
    }
    writes.insert(
        0,
        Write::Update(
            key,
            attrs,
            Condition::ExistsWithNumber("version", conn.version),
        ),
    );
    match p.store.transact(writes).await {
        // Disconnected or changed while syncing: the change wins.
        Err(StoreError::Conflict) => Ok(()),
        other => other,
    }
}

/// The notice to the staff member that their calendar needs reconnecting;
/// written with the status change, so it is sent exactly once per break.
async fn broken_notice(p: &Platform, scope: &TenantScope, conn: &Connection) -> Option<Write> {
    let user = crate::accounts::user::load(p, scope, &conn.staff_id)
        .await
        .ok()??;
    crate::accounts::notify::security_notice(
        p,
        scope,
        &user,
        crate::i18n::SecurityEvent::CalendarNeedsReconnect {
            provider: conn.provider.display_name().to_owned(),
        },
    )
    .await
    .ok()
}

/// What a scheduled pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PassReport {
    /// Connections synced.
    pub synced: usize,
    /// Connections whose sync failed (recorded on each).
    pub failed: usize,
    /// Connections skipped (held by another sync, broken or gone).
    pub skipped: usize,
    /// Whether due connections were left for the next pass.
    pub more: bool,
}

/// Syncs connections that are due, at most `limit`, `CONCURRENT_SYNCS` at a
/// time, starting no new sync after `budget`. Each is independent: one
/// failing provider never blocks the others, and whatever is left stays due
/// for the next pass.
pub async fn run_due(p: &Platform, now: i64, limit: i32, budget: Duration) -> PassReport {
    let started = Instant::now();
    let due = match p
        .store
        .due(DueQueue::CalendarSync, now, 366 * 86_400, limit)
        .await
    {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "calendar sync queue unreadable");
            return PassReport::default();
        }
    };
    let mut report = PassReport {
        more: i32::try_from(due.len()).unwrap_or(i32::MAX) >= limit,
        ..PassReport::default()
    };
    let mut running = FuturesUnordered::new();
    let mut queue = due.into_iter();
    loop {
        while running.len() < CONCURRENT_SYNCS && started.elapsed() < budget {
            let Some(item) = queue.next() else { break };
            running.push(async move {
                let scope = TenantScope::from_resolved(item.tenant);
                sync_one(p, &scope, &item.id, now, false).await
            });
        }
        let Some(done) = running.next().await else {
            break;
        };
        match done {
            Ok(_) => report.synced += 1,
            Err(SyncError::InProgress | SyncError::Broken | SyncError::NotFound) => {
                report.skipped += 1
            }
            Err(_) => report.failed += 1,
        }
    }
    if queue.next().is_some() {
        report.more = true;
    }
    report
}
