//! Tenant-scoped credentials for the table (ISO-6).
//!
//! In AWS, a tenant's data is read and written with credentials that can reach
//! only that tenant's partitions, so a defect in application code (a key built
//! for the wrong tenant, a scope mixed up between requests) is refused by IAM
//! instead of reaching another tenant's items.
//!
//! # How
//! The functions assume one shared *tenant role* (`TENANT_ROLE_ARN`) with
//! `sts:AssumeRole` + `sts:TagSession`, tagging the session `tenant=<id>`. The
//! role's DynamoDB policy allows only partition keys matching
//! [`tenant_leading_keys`] (with `${aws:PrincipalTag/tenant}` in place of the
//! id) and the global prefixes of [`TRANSACTION_GLOBAL_PREFIXES`], through the
//! `dynamodb:LeadingKeys` condition key. For a Query on the `Timeline` index the
//! condition is evaluated against the index's partition key
//! (`T#<tenant>#TIMELINE`), which the pattern `T#<tenant>#*` covers.
//!
//! Credentials last [`SESSION_SECS`] (15 minutes, the shortest STS allows),
//! are cached per tenant and replaced [`REFRESH_BEFORE`] before they expire.
//! Concurrent first uses of one tenant wait on that tenant's slot, so they make
//! one AssumeRole call; other tenants are not held up. The cache holds at most
//! [`CACHE_CAPACITY`] tenants and evicts the one used least recently.
//!
//! # Which operations use which credentials
//! The store picks the client; nothing above it can choose.
//!
//! Tenant credentials (scoped role, session tag `tenant=<t>`):
//! - every read and write of a tenant item: `get`, `list`, `list_between`,
//!   `list_all`, `timeline` (Timeline index), `add`, `admit`,
//!   `update_returning`;
//! - every transaction that names a tenant: its tenant items and any global
//!   items it writes with them (the slug pointer at sign-up, a session record
//!   at login, a throttle counter) go together, because a transaction is one
//!   request signed by one set of credentials. A transaction naming two
//!   tenants is refused before it is sent.
//!
//! The function's own role (never any `T#` partition):
//! - the named global lookups, which hold only a pointer to a tenant:
//!   `pointer`, `credential`, `resolve_slug` (`SLUG#`, `EVT#`, `SESS#`, `MFA#`,
//!   `PWR#`, `INV#`, `KEY#`, `EMC#`, `MBK#`);
//! - throttle counters outside transactions: `throttle`, `count_hit` (`THR#`);
//! - the platform's wrapped lookup key (`PLATFORM#LOOKUP`);
//! - the `Due` index across tenants (`DUE#OUTBOX`, `DUE#REMIND#<hour>`), which
//!   projects only keys and the tenant id; the work found is then done under
//!   each tenant's own credentials;
//! - transactions that name no tenant (only global pointers and counters).
//!
//! So tenant data (every partition under `T#<t>`) is reachable only with that
//! tenant's credentials, provided the function roles' own DynamoDB policy is
//! limited by `dynamodb:LeadingKeys` to [`FUNCTION_ROLE_PREFIXES`]. The global
//! prefixes the tenant role may also touch are not tenant data: they are keyed
//! by hashes of secrets (or a public slug, or a client address) and hold a
//! pointer.
//!
//! # Modes
//! [`TenantCredentials`] makes the mode explicit. `TENANT_ROLE_ARN` holds a role
//! ARN, or the word `function-role` to use the function's own credentials for
//! tenant data (the local stack and tests; in AWS a deliberate, logged choice).
//! Inside Lambda an unset variable stops the cold start, so a template that
//! forgets it fails loudly instead of silently running unscoped.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_sts::types::Tag;

use super::StoreError;
use crate::config::MissingVar;
use crate::tenancy::{TenantId, TenantScope};

/// The environment variable naming the tenant role.
pub const TENANT_ROLE_VAR: &str = "TENANT_ROLE_ARN";
/// The environment variable listing the DynamoDB actions this function takes
/// on tenant data (`GetItem,Query,UpdateItem`): each tenant session carries a
/// session policy allowing only those, so a function keeps to its own actions
/// under the tenant role shared by all. Unset: the tenant role's own.
pub const TENANT_ACTIONS_VAR: &str = "TENANT_ACTIONS";
/// DynamoDB actions a function may name in [`TENANT_ACTIONS_VAR`].
pub const TENANT_DATA_ACTIONS: [&str; 6] = [
    "GetItem",
    "Query",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "ConditionCheckItem",
];
/// The value of [`TENANT_ROLE_VAR`] that opts out of scoped credentials.
pub const FUNCTION_ROLE: &str = "function-role";
/// The session tag that names the tenant (`aws:PrincipalTag/tenant`).
pub const TENANT_TAG: &str = "tenant";
/// Lifetime asked for each tenant session: 15 minutes, STS's minimum.
pub const SESSION_SECS: i32 = 900;
/// Credentials are replaced this long before they expire, so that no request
/// signs with credentials about to run out (the SDK's attempts are bounded to
/// ten seconds in all).
pub const REFRESH_BEFORE: Duration = Duration::from_secs(120);
/// Tenants whose credentials a warm function keeps.
pub const CACHE_CAPACITY: usize = 256;

/// Global partition-key prefixes that transactions of a tenant write beside
/// its items (pointers and throttle counters), and so that the tenant role's
/// policy also allows. None of them holds tenant data.
pub const TRANSACTION_GLOBAL_PREFIXES: [&str; 10] = [
    "SLUG#", "EVT#", "SESS#", "MFA#", "PWR#", "INV#", "KEY#", "EMC#", "MBK#", "THR#",
];

/// Partition-key patterns (IAM `StringLike`) the functions' own roles need:
/// the global lookups, the throttle counters, the platform's lookup key and
/// the partitions of the `Due` index. No `T#` partition is among them.
pub const FUNCTION_ROLE_PREFIXES: [&str; 12] = [
    "SLUG#*",
    "EVT#*",
    "SESS#*",
    "MFA#*",
    "PWR#*",
    "INV#*",
    "KEY#*",
    "EMC#*",
    "MBK#*",
    "THR#*",
    "PLATFORM#LOOKUP",
    "DUE#*",
];

/// The `dynamodb:LeadingKeys` patterns of the tenant role for tenant `tenant`,
/// as IAM sees them once `${aws:PrincipalTag/tenant}` is substituted: the
/// tenant's partitions, then the global prefixes its transactions touch.
pub fn tenant_leading_keys(tenant: &str) -> Vec<String> {
    let mut patterns = vec![format!("T#{tenant}"), format!("T#{tenant}#*")];
    patterns.extend(TRANSACTION_GLOBAL_PREFIXES.iter().map(|p| format!("{p}*")));
    patterns
}

/// How tenant data operations get their credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TenantCredentials {
    /// The function's own credentials (`TENANT_ROLE_ARN=function-role`, or
    /// unset outside Lambda): no narrowing by IAM.
    FunctionRole,
    /// Assume this role per tenant, tagged with the tenant.
    AssumeRole {
        /// The tenant role's ARN.
        role_arn: String,
        /// The DynamoDB actions the session may take (empty: the role's).
        actions: Vec<String>,
    },
}

impl TenantCredentials {
    /// Reads [`TENANT_ROLE_VAR`]. Inside Lambda it must be set (to a role ARN or
    /// to `function-role`); anything that is neither is refused.
    pub fn from_env() -> Result<Self, MissingVar> {
        let value = std::env::var(TENANT_ROLE_VAR).ok();
        let in_lambda = std::env::var_os("AWS_LAMBDA_FUNCTION_NAME").is_some();
        let actions = parse_actions(std::env::var(TENANT_ACTIONS_VAR).ok().as_deref())?;
        Ok(match Self::parse(value.as_deref(), in_lambda)? {
            Self::AssumeRole { role_arn, .. } => Self::AssumeRole { role_arn, actions },
            other => other,
        })
    }

    fn parse(value: Option<&str>, in_lambda: bool) -> Result<Self, MissingVar> {
        match value.map(str::trim).filter(|v| !v.is_empty()) {
            None if in_lambda => Err(MissingVar(TENANT_ROLE_VAR)),
            None => Ok(Self::FunctionRole),
            Some(FUNCTION_ROLE) => Ok(Self::FunctionRole),
            Some(arn) if is_role_arn(arn) => Ok(Self::AssumeRole {
                role_arn: arn.to_owned(),
                actions: Vec::new(),
            }),
            Some(_) => Err(MissingVar(TENANT_ROLE_VAR)),
        }
    }
}

/// `GetItem,Query` -> the actions; an unknown one refuses the configuration.
fn parse_actions(value: Option<&str>) -> Result<Vec<String>, MissingVar> {
    let mut actions = Vec::new();
    for action in value.unwrap_or_default().split(',').map(str::trim) {
        if action.is_empty() {
            continue;
        }
        if !TENANT_DATA_ACTIONS.contains(&action) {
            return Err(MissingVar(TENANT_ACTIONS_VAR));
        }
        actions.push(action.to_owned());
    }
    Ok(actions)
}

/// The session policy that narrows a tenant session to `actions`; `None`
/// when no action is listed (the tenant role's policy alone applies). The
/// effective permissions are the intersection with the role's, so `*` here
/// grants nothing the role does not.
pub fn session_policy(actions: &[String]) -> Option<String> {
    if actions.is_empty() {
        return None;
    }
    let actions: Vec<String> = actions.iter().map(|a| format!("dynamodb:{a}")).collect();
    Some(
        serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]
        })
        .to_string(),
    )
}

/// `arn:<partition>:iam::<account>:role/<path and name>`.
fn is_role_arn(s: &str) -> bool {
    let parts: Vec<&str> = s.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
        if !partition.is_empty()
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && resource.len() > "role/".len()
            && resource.starts_with("role/"))
}

/// Hands out the DynamoDB client for a tenant's data: the function's own in
/// [`TenantCredentials::FunctionRole`] mode, else one signed with that tenant's
/// assumed-role credentials. Cheap to clone (one shared cache).
#[derive(Clone, Debug)]
pub struct TenantClients {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    base: aws_sdk_dynamodb::Client,
    mode: Mode,
    refresh_before: Duration,
    slots: Mutex<Slots>,
}

#[derive(Debug)]
enum Mode {
    FunctionRole,
    AssumeRole {
        sts: aws_sdk_sts::Client,
        role_arn: String,
        session_policy: Option<String>,
    },
}

#[derive(Debug, Default)]
struct Slots {
    by_tenant: HashMap<TenantId, Arc<Slot>>,
    tick: u64,
}

#[derive(Debug, Default)]
struct Slot {
    last_used: AtomicU64,
    cached: tokio::sync::Mutex<Option<Scoped>>,
}

#[derive(Debug)]
struct Scoped {
    client: aws_sdk_dynamodb::Client,
    refresh_at: SystemTime,
}

impl TenantClients {
    /// Tenant data with the function's own client.
    pub fn function_role(base: aws_sdk_dynamodb::Client) -> Self {
        Self::build(base, Mode::FunctionRole)
    }

    /// Per-tenant clients as `mode` says; `base` is the function's own client,
    /// whose configuration (endpoint, timeouts, retries, interceptors) the
    /// scoped clients share, with only the credentials replaced.
    pub fn new(
        base: aws_sdk_dynamodb::Client,
        sts: aws_sdk_sts::Client,
        mode: &TenantCredentials,
    ) -> Self {
        match mode {
            TenantCredentials::FunctionRole => Self::function_role(base),
            TenantCredentials::AssumeRole { role_arn, actions } => Self::build(
                base,
                Mode::AssumeRole {
                    sts,
                    role_arn: role_arn.clone(),
                    session_policy: session_policy(actions),
                },
            ),
        }
    }

    fn build(base: aws_sdk_dynamodb::Client, mode: Mode) -> Self {
        Self {
            inner: Arc::new(Inner {
                base,
                mode,
                refresh_before: REFRESH_BEFORE,
                slots: Mutex::new(Slots::default()),
            }),
        }
    }

    /// The same provider, replacing credentials `margin` before they expire
    /// instead of [`REFRESH_BEFORE`] (tests use it to see a refresh without
    /// waiting a quarter of an hour). Call before first use: the cache starts
    /// empty.
    pub fn with_refresh_before(self, margin: Duration) -> Self {
        let mode = match &self.inner.mode {
            Mode::FunctionRole => Mode::FunctionRole,
            Mode::AssumeRole {
                sts,
                role_arn,
                session_policy,
            } => Mode::AssumeRole {
                sts: sts.clone(),
                role_arn: role_arn.clone(),
                session_policy: session_policy.clone(),
            },
        };
        Self {
            inner: Arc::new(Inner {
                base: self.inner.base.clone(),
                mode,
                refresh_before: margin,
                slots: Mutex::new(Slots::default()),
            }),
        }
    }

    /// Whether tenant data is reached with assumed, tenant-tagged credentials.
    pub fn is_scoped(&self) -> bool {
        matches!(self.inner.mode, Mode::AssumeRole { .. })
    }

    /// The function's own client, for the global items listed in the module
    /// documentation.
    pub(crate) fn function_client(&self) -> &aws_sdk_dynamodb::Client {
        &self.inner.base
    }

    /// The client for the scope's tenant data.
    pub async fn client(
        &self,
        scope: &TenantScope,
    ) -> Result<aws_sdk_dynamodb::Client, StoreError> {
        self.for_tenant(scope.tenant_id()).await
    }

    /// Tenants whose credentials are cached now.
    pub fn cached_tenants(&self) -> usize {
        self.lock_slots().by_tenant.len()
    }

    /// Boxed: store calls await this on every tenant operation, and a boxed
    /// future keeps the handlers' future types from growing by the provider's
    /// nesting (the compiler's layout depth limit).
    pub(crate) fn for_tenant<'a>(
        &'a self,
        tenant: &'a TenantId,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<aws_sdk_dynamodb::Client, StoreError>>
                + Send
                + 'a,
        >,
    > {
        Box::pin(async move {
            let Mode::AssumeRole {
                sts,
                role_arn,
                session_policy,
            } = &self.inner.mode
            else {
                return Ok(self.inner.base.clone());
            };
            let slot = self.slot(tenant);
            // Held across the AssumeRole call: concurrent first uses of this
            // tenant wait here and then find the credentials the first fetched.
            let mut cached = slot.cached.lock().await;
            if let Some(scoped) = cached.as_ref() {
                if SystemTime::now() < scoped.refresh_at {
                    return Ok(scoped.client.clone());
                }
            }
            let scoped = self
                .assume(sts, role_arn, session_policy.as_deref(), tenant)
                .await?;
            let client = scoped.client.clone();
            *cached = Some(scoped);
            Ok(client)
        })
    }

    fn lock_slots(&self) -> std::sync::MutexGuard<'_, Slots> {
        // The map stays consistent whatever panicked while holding it.
        self.inner
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The tenant's cache slot, made (evicting the least recently used slot
    /// when full) on first use.
    fn slot(&self, tenant: &TenantId) -> Arc<Slot> {
        let mut slots = self.lock_slots();
        slots.tick += 1;
        let tick = slots.tick;
        if let Some(slot) = slots.by_tenant.get(tenant) {
            slot.last_used.store(tick, Ordering::Relaxed);
            return Arc::clone(slot);
        }
        if slots.by_tenant.len() >= CACHE_CAPACITY {
            let oldest = slots
                .by_tenant
                .iter()
                .min_by_key(|(_, s)| s.last_used.load(Ordering::Relaxed))
                .map(|(t, _)| t.clone());
            if let Some(oldest) = oldest {
                slots.by_tenant.remove(&oldest);
            }
        }
        let slot = Arc::new(Slot {
            last_used: AtomicU64::new(tick),
            cached: tokio::sync::Mutex::new(None),
        });
        slots.by_tenant.insert(tenant.clone(), Arc::clone(&slot));
        slot
    }

    async fn assume(
        &self,
        sts: &aws_sdk_sts::Client,
        role_arn: &str,
        session_policy: Option<&str>,
        tenant: &TenantId,
    ) -> Result<Scoped, StoreError> {
        let tag = Tag::builder()
            .key(TENANT_TAG)
            .value(tenant.as_str())
            .build()
            .map_err(|_| StoreError::Unavailable)?;
        let started = Instant::now();
        let out = sts
            .assume_role()
            .role_arn(role_arn)
            // Names the tenant (an opaque id), never a person.
            .role_session_name(format!("bw-{tenant}"))
            .duration_seconds(SESSION_SECS)
            .tags(tag)
            .set_policy(session_policy.map(str::to_owned))
            .send()
            .await
            .map_err(|e| {
                tracing::error!(tenant = %tenant, error = %aws_sdk_sts::error::DisplayErrorContext(&e), "assuming the tenant role failed");
                StoreError::Unavailable
            })?;
        let Some(creds) = out.credentials() else {
            tracing::error!(tenant = %tenant, "AssumeRole returned no credentials");
            return Err(StoreError::Unavailable);
        };
        let expires = SystemTime::try_from(*creds.expiration()).map_err(|_| {
            tracing::error!(tenant = %tenant, "AssumeRole returned an unusable expiry");
            StoreError::Unavailable
        })?;
        tracing::info!(
            tenant = %tenant,
            elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            "assumed the tenant role"
        );
        let credentials = Credentials::new(
            creds.access_key_id(),
            creds.secret_access_key(),
            Some(creds.session_token().to_owned()),
            Some(expires),
            "bookwarden-tenant-role",
        );
        let config = self
            .inner
            .base
            .config()
            .to_builder()
            .credentials_provider(credentials)
            .build();
        Ok(Scoped {
            client: aws_sdk_dynamodb::Client::from_conf(config),
            refresh_at: expires
                .checked_sub(self.inner.refresh_before)
                .unwrap_or(SystemTime::UNIX_EPOCH),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Collection, Entity, GlobalKey, TenantKey, ThrottleKey};
    use crate::tenancy::{ResolvedTenant, Slug, UserId};

    /// IAM `StringLike`: `*` is any run of characters, `?` any one character.
    fn glob(pattern: &[u8], text: &[u8]) -> bool {
        match (pattern.split_first(), text.split_first()) {
            (None, None) => true,
            (Some((b'*', rest)), _) => {
                glob(rest, text) || text.split_first().is_some_and(|(_, t)| glob(pattern, t))
            }
            (Some((b'?', rest)), Some((_, t))) => glob(rest, t),
            (Some((p, rest)), Some((c, t))) => p == c && glob(rest, t),
            _ => false,
        }
    }

    fn allowed(patterns: &[String], key: &str) -> bool {
        patterns.iter().any(|p| glob(p.as_bytes(), key.as_bytes()))
    }

    /// Every partition key a tenant's data uses, in the table and the
    /// Timeline index.
    fn tenant_partitions(scope: &TenantScope) -> Vec<String> {
        let user = UserId::generate();
        let mut pks: Vec<String> = [
            Entity::Profile,
            Entity::User(&user),
            Entity::Session(&user, "s"),
            Entity::AuditEvent("a"),
            Entity::Claim(&user, 42),
            Entity::BusyBlock(&user, 42, "b"),
            Entity::OutboxEntry("o"),
            Entity::Booking("k"),
        ]
        .into_iter()
        .map(|e| TenantKey::new(scope, e).pk())
        .collect();
        pks.extend(
            [
                Collection::Users,
                Collection::Sessions(&user),
                Collection::Audit,
                Collection::Claims(&user),
                Collection::BusyBlocks(&user),
            ]
            .into_iter()
            .map(|c| c.pk(scope)),
        );
        pks.push(format!("T#{}#TIMELINE", scope.tenant_id()));
        pks
    }

    #[test]
    fn glob_matches_like_iam_string_like() {
        assert!(glob(b"T#abc", b"T#abc"));
        assert!(glob(b"T#abc#*", b"T#abc#"));
        assert!(glob(b"T#abc#*", b"T#abc#SESS#x"));
        assert!(!glob(b"T#abc#*", b"T#abc"));
        assert!(!glob(b"T#abc", b"T#abcd"));
        assert!(glob(b"T#a?c", b"T#abc"));
        assert!(glob(b"*", b""));
    }

    #[test]
    fn each_tenant_reaches_its_own_partitions_and_no_other_tenants() {
        let tenants: Vec<TenantScope> = (0..200).map(|_| TenantScope::for_new_tenant()).collect();
        let partitions: Vec<Vec<String>> = tenants.iter().map(tenant_partitions).collect();
        for (a, scope) in tenants.iter().enumerate() {
            let id = scope.tenant_id().as_str();
            assert!(!id.contains(['#', '*', '?']), "{id}");
            let patterns = tenant_leading_keys(id);
            assert!(partitions[a].iter().all(|pk| allowed(&patterns, pk)));
            for (b, theirs) in partitions.iter().enumerate() {
                if a != b {
                    for pk in theirs {
                        assert!(!allowed(&patterns, pk), "{id} reaches {pk}");
                    }
                }
            }
        }
    }

    #[test]
    fn ids_that_share_all_but_the_last_character_stay_apart() {
        // Random ids rarely share a long prefix: build neighbours on purpose.
        let base = TenantScope::for_new_tenant();
        let id = base.tenant_id().as_str();
        for last in "0123456789abcdefghjkmnpqrstvwxyz".chars() {
            let other = format!("{}{last}", &id[..id.len() - 1]);
            if other == id {
                continue;
            }
            let theirs = TenantScope::from_resolved(ResolvedTenant::from_store(
                TenantId::from_stored(&other).unwrap(),
            ));
            for pk in tenant_partitions(&theirs) {
                assert!(!allowed(&tenant_leading_keys(id), &pk), "{pk}");
            }
        }
    }

    #[test]
    fn the_function_role_reaches_no_tenant_partition_and_every_global_one() {
        let function: Vec<String> = FUNCTION_ROLE_PREFIXES
            .iter()
            .map(|p| (*p).to_owned())
            .collect();
        for _ in 0..50 {
            for pk in tenant_partitions(&TenantScope::for_new_tenant()) {
                assert!(!allowed(&function, &pk), "{pk}");
            }
        }
        let hash = crate::crypto::SecretToken::generate().hash();
        let globals = [
            GlobalKey::Slug("salon-42".parse::<Slug>().unwrap()),
            GlobalKey::EmailVerification(hash.clone()),
            GlobalKey::Session(hash.clone()),
            GlobalKey::MfaChallenge(hash.clone()),
            GlobalKey::PasswordReset(hash.clone()),
            GlobalKey::Invitation(hash.clone()),
            GlobalKey::ApiKey(hash.clone()),
            GlobalKey::EmailChange(hash.clone()),
            GlobalKey::ManageBooking(hash),
        ];
        let throttle = ThrottleKey {
            action: "login",
            client: "203.0.113.7",
            window_start: 0,
        }
        .pk();
        let tenant_role = tenant_leading_keys(TenantScope::for_new_tenant().tenant_id().as_str());
        for pk in globals.iter().map(GlobalKey::pk).chain([throttle]) {
            assert!(allowed(&function, &pk), "{pk}");
            // What a tenant's transaction may write beside its own items.
            assert!(allowed(&tenant_role, &pk), "{pk}");
        }
        for pk in [
            super::super::PLATFORM_LOOKUP_KEY.0.to_owned(),
            "DUE#OUTBOX".to_owned(),
            "DUE#REMIND#2030010109".to_owned(),
        ] {
            assert!(allowed(&function, &pk), "{pk}");
            assert!(!allowed(&tenant_role, &pk), "{pk}");
        }
    }

    #[test]
    fn a_session_allows_only_the_functions_own_actions() {
        let policy =
            session_policy(&["GetItem".to_owned(), "UpdateItem".to_owned()]).expect("a policy");
        let policy: serde_json::Value = serde_json::from_str(&policy).expect("JSON");
        assert_eq!(
            policy["Statement"][0]["Action"],
            serde_json::json!(["dynamodb:GetItem", "dynamodb:UpdateItem"])
        );
        assert_eq!(policy["Statement"].as_array().map(Vec::len), Some(1));
        assert_eq!(session_policy(&[]), None);
    }

    #[test]
    fn the_mode_is_explicit_in_lambda() {
        let arn = "arn:aws:iam::123456789012:role/bookwarden-tenant";
        assert_eq!(
            TenantCredentials::parse(Some(arn), true).ok(),
            Some(TenantCredentials::AssumeRole {
                role_arn: arn.to_owned(),
                actions: Vec::new(),
            })
        );
        assert_eq!(
            parse_actions(Some("GetItem, Query,UpdateItem")).ok(),
            Some(vec![
                "GetItem".to_owned(),
                "Query".to_owned(),
                "UpdateItem".to_owned()
            ])
        );
        assert!(
            parse_actions(Some("GetItem,Scan")).is_err(),
            "Scan is never granted"
        );
        assert!(parse_actions(Some("dynamodb:*")).is_err());
        assert_eq!(parse_actions(None).ok(), Some(Vec::new()));
        assert!(TenantCredentials::parse(None, true).is_err());
        assert!(TenantCredentials::parse(Some(" "), true).is_err());
        assert!(TenantCredentials::parse(Some("role/x"), true).is_err());
        assert!(TenantCredentials::parse(Some("arn:aws:iam::12:role/x"), false).is_err());
        assert!(matches!(
            TenantCredentials::parse(Some(FUNCTION_ROLE), true),
            Ok(TenantCredentials::FunctionRole)
        ));
        assert!(matches!(
            TenantCredentials::parse(None, false),
            Ok(TenantCredentials::FunctionRole)
        ));
    }
}
