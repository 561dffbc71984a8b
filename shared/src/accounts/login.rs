//! Signing in (AUTH-2, AUTH-3): password, lockout, second factor, sessions.
//!
//! Unknown business, unknown email, wrong password and locked account all end in
//! the same [`AccountsError::InvalidCredentials`] after the same Argon2 work, so
//! neither the answer nor its timing tells whether an account exists.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::notify::{account_mail, queue_security_notice, security_notice};
use super::user::{self, User};
use super::{conflict_as, user_status, AccountsError};
use crate::audit::{AuditEvent, Outcome};
use crate::auth::session::{self, NewSession, Restriction};
use crate::auth::{credentials, mfa};
use crate::clock::now_unix;
use crate::crypto::{
    hash_password, verify_password, PasswordCheck, PasswordHashString, SecretToken,
};
use crate::email::EmailAddress;
use crate::http::RequestMeta;
use crate::i18n::{Mail, SecurityEvent};
use crate::store::{
    Attrs, Collection, Condition, Entity, GlobalKey, TenantKey, ThrottleKey, Write,
};
use crate::tenancy::{ItemId, Role, Slug, TenantScope};
use crate::Platform;

/// Consecutive failures that lock an account.
pub const LOCK_AFTER_FAILURES: i64 = 5;
/// First lock duration; each further lock doubles it (capped at a day).
pub const FIRST_LOCK_SECS: i64 = 15 * 60;
/// Attempts one client address may make across all accounts per window.
pub const CLIENT_ATTEMPTS_PER_WINDOW: i64 = 50;
/// The throttle window.
pub const CLIENT_WINDOW_SECS: i64 = 15 * 60;
/// Emailed codes one pending login may ask for (each replaces the last).
pub const MAX_EMAIL_CODES_PER_LOGIN: i64 = 3;
/// How long a password-verified login may wait for its second factor.
pub const MFA_CHALLENGE_SECS: i64 = 300;

/// `POST /v1/auth/login`
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    /// The business's slug.
    #[schema(example = "salon-nord")]
    pub tenant: String,
    /// Email address.
    #[schema(format = Email)]
    pub email: String,
    /// Password.
    #[schema(format = Password)]
    pub password: String,
}

/// `POST /v1/auth/login/mfa`
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaInput {
    /// The token from the first step.
    pub mfa_token: String,
    /// `totp`, `email` or `recovery_code`.
    #[schema(example = "totp")]
    pub method: String,
    /// The code.
    #[schema(example = "123456")]
    pub code: String,
}

/// What a successful step tells the client.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SignedIn {
    /// `authenticated`, or a restriction the session must resolve first.
    pub status: &'static str,
    /// The tenant.
    pub tenant_id: String,
    /// The user.
    pub user_id: String,
    /// The role.
    pub role: Role,
}

/// The result of a login step.
pub enum LoginOutcome {
    /// A session was created; set its cookie.
    Session(NewSession, SignedIn),
    /// The password was right; a second factor is needed.
    MfaRequired {
        /// Token for the second step (not a session).
        mfa_token: SecretToken,
        /// Methods the user can use.
        methods: Vec<&'static str>,
    },
}

/// A hash to verify against when there is no account, so that the work (and so
/// the time) is the same as for a real one.
fn dummy_hash() -> Result<PasswordHashString, AccountsError> {
    static DUMMY: OnceLock<PasswordHashString> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return Ok(hash.clone());
    }
    let hash = hash_password("bookwarden timing equaliser, never a password")?;
    Ok(DUMMY.get_or_init(|| hash).clone())
}

async fn verify_blocking(
    password: String,
    hash: PasswordHashString,
) -> Result<PasswordCheck, AccountsError> {
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|_| AccountsError::Internal)?
        .map_err(|_| AccountsError::Internal)
}

/// Sign-in attempts (password, second factor, emailed code) and reset
/// requests one client address may make across all accounts per window.
const SIGN_IN_ATTEMPTS_PER_CLIENT: super::limits::Limit = super::limits::Limit {
    hits: CLIENT_ATTEMPTS_PER_WINDOW,
    window_secs: CLIENT_WINDOW_SECS,
};

/// Counts one attempt from this client; refuses past the limit.
pub(crate) async fn throttle(
    p: &Platform,
    action: &str,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    super::limits::per_client(p, action, meta, SIGN_IN_ATTEMPTS_PER_CLIENT).await
}

fn audit(
    kind: &'static str,
    action: &'static str,
    actor: &str,
    target: &str,
    meta: &RequestMeta,
    outcome: Outcome,
) -> AuditEvent {
    AuditEvent {
        kind,
        action,
        actor: actor.to_owned(),
        target: target.to_owned(),
        client_addr: meta.client_addr.clone(),
        outcome,
    }
}

/// The user attribute counting wrong passwords since the last sign-in (or lock).
const FAILED_LOGINS: &str = "failed_logins";
/// The user attribute counting wrong second-factor codes across pending logins.
const FAILED_SECOND_FACTORS: &str = "failed_mfa";
/// The user attribute holding the end of the current lock (unix seconds).
const LOCKED_UNTIL: &str = "locked_until";

/// First step: business, email and password.
///
/// Brute-force admission (AUTH-2) happens before any Argon2 work: one atomic
/// conditional increment admits the attempt only while the account is unlocked
/// and fewer than [`LOCK_AFTER_FAILURES`] attempts are unresolved, so a burst of
/// concurrent guesses gets at most that many evaluations. A right password
/// signs in only if the account is still unlocked when the session commits.
pub async fn login(
    p: &Platform,
    input: LoginInput,
    meta: &RequestMeta,
) -> Result<LoginOutcome, AccountsError> {
    log_refusal(check_password(p, input, meta).await)
}

/// Counts refused sign-ins in the logs, for the operators' alarm on a spike
/// (the template's SignInFailuresMetric); no account or address is named.
fn log_refusal(
    outcome: Result<LoginOutcome, AccountsError>,
) -> Result<LoginOutcome, AccountsError> {
    if matches!(
        outcome,
        Err(AccountsError::InvalidCredentials | AccountsError::InvalidCode)
    ) {
        tracing::info!(sign_in_refused = 1, "sign-in refused");
    }
    outcome
}

async fn check_password(
    p: &Platform,
    input: LoginInput,
    meta: &RequestMeta,
) -> Result<LoginOutcome, AccountsError> {
    throttle(p, "login", meta).await?;
    let password = crate::auth::policy::normalize(&input.password);
    let (scope, tenant, user) = match find_account(p, &input).await? {
        Found::User(found) => *found,
        Found::Tenant(scope) => {
            // Recorded for the business's security view; the same work and
            // answer as a wrong password.
            verify_blocking(password, dummy_hash()?).await?;
            let event = audit(
                "auth",
                "login.failure",
                "anonymous",
                "unknown-account",
                meta,
                Outcome::Failure,
            );
            record_unauthenticated(p, &scope, event).await?;
            return Err(AccountsError::InvalidCredentials);
        }
        Found::Nothing => {
            verify_blocking(password, dummy_hash()?).await?;
            return Err(AccountsError::InvalidCredentials);
        }
    };
    crate::telemetry::record_tenant(scope.tenant_id());
    let now = now_unix();
    let Some(hash) = user
        .password_hash()
        .filter(|_| user.status() == user_status::ACTIVE)
    else {
        verify_blocking(password, dummy_hash()?).await?;
        let event = audit(
            "auth",
            "login.failure",
            "anonymous",
            user.id.as_str(),
            meta,
            Outcome::Failure,
        );
        record_unauthenticated(p, &scope, event).await?;
        return Err(AccountsError::InvalidCredentials);
    };
    let Some(attempt) = p
        .store
        .admit(
            &scope,
            &user.key,
            FAILED_LOGINS,
            LOCK_AFTER_FAILURES,
            LOCKED_UNTIL,
            now,
        )
        .await?
    else {
        // Locked (or the unresolved attempts fill the limit): the guess is not
        // evaluated, but the answer takes as long as if it were.
        tokio::time::sleep(crate::crypto::typical_verify_duration()).await;
        let event = audit(
            "auth",
            "login.locked",
            "anonymous",
            user.id.as_str(),
            meta,
            Outcome::Failure,
        );
        record_unauthenticated(p, &scope, event).await?;
        return Err(AccountsError::InvalidCredentials);
    };
    let check = verify_blocking(password.clone(), hash).await?;
    if check == PasswordCheck::Mismatch {
        record_failure(p, &scope, &user, Factor::Password, attempt, meta).await?;
        return Err(AccountsError::InvalidCredentials);
    }

    let mut user_update = Attrs::new().number(FAILED_LOGINS, 0);
    if check == PasswordCheck::MatchNeedsRehash {
        let rehashed = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|_| AccountsError::Internal)??;
        user_update = user_update.string("password_hash", rehashed.as_str());
    }
    // No sign-in while locked: a failure that locked the account after this
    // attempt was admitted makes the commit fail.
    let unlocked = Condition::ExistsWithNumberAtMost(LOCKED_UNTIL, now);
    if !user.record.flag("email_verified") {
        p.store
            .transact(vec![Write::Update(user.key.clone(), user_update, unlocked)])
            .await
            .map_err(conflict_as(AccountsError::InvalidCredentials))?;
        return Err(AccountsError::EmailUnverified);
    }

    if user.has_mfa() {
        // The password alone proves nothing yet: the second-factor counter and
        // the lock history stay until the whole sign-in succeeds.
        let token = SecretToken::generate();
        let challenge = ItemId::generate();
        let writes = vec![
            Write::Update(user.key.clone(), user_update, unlocked),
            Write::Put(
                TenantKey::new(&scope, Entity::MfaChallenge(challenge.as_str())),
                Attrs::new()
                    .string("user_id", user.id.as_str())
                    .number("attempts", 0)
                    .expires_at(now + MFA_CHALLENGE_SECS),
                Condition::NotExists,
            ),
            Write::PutPointer(
                GlobalKey::MfaChallenge(token.hash()),
                scope.tenant_id().clone(),
                Attrs::new()
                    .string("user_id", user.id.as_str())
                    .string("item", challenge.as_str())
                    .expires_at(now + MFA_CHALLENGE_SECS),
                Condition::NotExists,
            ),
            audit(
                "auth",
                "login.password_ok",
                user.id.as_str(),
                user.id.as_str(),
                meta,
                Outcome::Success,
            )
            .write(&scope),
        ];
        p.store
            .transact(writes)
            .await
            .map_err(conflict_as(AccountsError::InvalidCredentials))?;
        return Ok(LoginOutcome::MfaRequired {
            mfa_token: token,
            methods: vec!["totp", "email", "recovery_code"],
        });
    }

    let role = user.role()?;
    let restriction = restriction_for(&tenant, role, &user, now);
    let (new_session, session_writes) =
        session::create(&scope, &user.id, role, restriction, &tenant.policy, meta);
    // The session copies the role and rests on the account as read: no role
    // change, deactivation or password change may have happened since.
    let mut writes = vec![Write::Update(
        user.key.clone(),
        credentials::issuing(signed_in_update(user_update)),
        Condition::All(vec![unlocked, credentials::unrevoked_since(&user.record)]),
    )];
    writes.extend(session_writes);
    writes.push(
        audit(
            "auth",
            "login.success",
            user.id.as_str(),
            user.id.as_str(),
            meta,
            Outcome::Success,
        )
        .write(&scope),
    );
    p.store
        .transact(writes)
        .await
        .map_err(conflict_as(AccountsError::InvalidCredentials))?;
    tracing::info!(user_id = %user.id, "signed in");
    Ok(LoginOutcome::Session(
        new_session,
        signed_in(&scope, &user, role, restriction),
    ))
}

/// A whole sign-in succeeded: every brute-force counter and the lock history
/// start over.
fn signed_in_update(update: Attrs) -> Attrs {
    update
        .number(FAILED_LOGINS, 0)
        .number(FAILED_SECOND_FACTORS, 0)
        .number(LOCKED_UNTIL, 0)
        .number("lockouts", 0)
}

/// Unauthenticated events a business's audit log records per window; past
/// it, one event says that further ones were only counted, so nobody can
/// flood a business's log by guessing at its sign-in.
pub const UNAUTHENTICATED_AUDIT_PER_WINDOW: i64 = 50;

/// Appends an event caused by an unauthenticated client, within the
/// per-business budget.
async fn record_unauthenticated(
    p: &Platform,
    scope: &TenantScope,
    event: AuditEvent,
) -> Result<(), AccountsError> {
    let now = now_unix();
    let key = ThrottleKey {
        action: "audit-unauthenticated",
        client: scope.tenant_id().as_str(),
        window_start: now - now % CLIENT_WINDOW_SECS,
    };
    let seen = p.store.count_hit(key, CLIENT_WINDOW_SECS).await?;
    if seen <= UNAUTHENTICATED_AUDIT_PER_WINDOW {
        event.append(&p.store, scope).await?;
    } else if seen == UNAUTHENTICATED_AUDIT_PER_WINDOW + 1 {
        tracing::warn!("unauthenticated audit events aggregated for this window");
        AuditEvent {
            action: "audit.unauthenticated_suppressed",
            actor: "system".into(),
            target: "sign-in".into(),
            ..event
        }
        .append(&p.store, scope)
        .await?;
    }
    Ok(())
}

fn signed_in(
    scope: &TenantScope,
    user: &User,
    role: Role,
    restriction: Option<Restriction>,
) -> SignedIn {
    SignedIn {
        status: match restriction {
            None => "authenticated",
            Some(Restriction::MfaEnrolment) => "mfa_enrolment_required",
            Some(Restriction::PasswordChange) => "password_change_required",
            Some(Restriction::BusinessClosed) => "business_closed",
        },
        tenant_id: scope.tenant_id().to_string(),
        user_id: user.id.to_string(),
        role,
    }
}

/// What a fresh session must do first, if anything: nothing but look at
/// itself (or restore, for an owner) while the business is closed, enrol MFA
/// when the tenant requires it for this role, or change an expired password.
pub(crate) fn restriction_for(
    tenant: &user::Tenant,
    role: Role,
    user: &User,
    now: i64,
) -> Option<Restriction> {
    if tenant.is_closed() {
        return Some(Restriction::BusinessClosed);
    }
    let policy = &tenant.policy;
    let privileged = matches!(role, Role::Owner | Role::Admin);
    if policy.mfa_required_for_admins && privileged && !user.has_mfa() {
        return Some(Restriction::MfaEnrolment);
    }
    let changed = user
        .record
        .number("password_changed_at")
        .or_else(|_| user.record.number("created_at"))
        .unwrap_or(now);
    if policy.password_max_age_days > 0 && now >= changed + policy.password_max_age_days * 86_400 {
        return Some(Restriction::PasswordChange);
    }
    None
}

/// What sign-in found: nothing, a business without that user, or the user.
enum Found {
    Nothing,
    Tenant(TenantScope),
    User(Box<(TenantScope, user::Tenant, User)>),
}

async fn find_account(p: &Platform, input: &LoginInput) -> Result<Found, AccountsError> {
    let (Ok(slug), Ok(email)) = (
        input.tenant.parse::<Slug>(),
        input.email.parse::<EmailAddress>(),
    ) else {
        return Ok(Found::Nothing);
    };
    let Some(resolved) = p.store.resolve_slug(&slug).await? else {
        if let Some(site) = crate::directory::elsewhere(p, &slug).await? {
            return Err(AccountsError::InRegion(site));
        }
        return Ok(Found::Nothing);
    };
    let scope = TenantScope::from_resolved(resolved);
    let tenant = user::tenant(p, &scope).await?;
    let lookup = tenant.lookup_key(p, &scope).await?;
    Ok(
        match user::find_by_email(p, &scope, &lookup, &email).await? {
            Some(u) => Found::User(Box::new((scope, tenant, u))),
            None => Found::Tenant(scope),
        },
    )
}

/// Which secret a failed attempt was for; each has its own counter and both
/// lock the same account.
#[derive(Clone, Copy)]
enum Factor {
    Password,
    Second,
}

impl Factor {
    fn counter(self) -> &'static str {
        match self {
            Factor::Password => FAILED_LOGINS,
            Factor::Second => FAILED_SECOND_FACTORS,
        }
    }
}

/// Records an admitted attempt that failed. The attempt admitted as number
/// [`LOCK_AFTER_FAILURES`] (exactly one, however many run concurrently) locks
/// the account, records it and emails the account's owner.
async fn record_failure(
    p: &Platform,
    scope: &TenantScope,
    user: &User,
    factor: Factor,
    attempt: i64,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    let (failure, lockout) = match factor {
        Factor::Password => ("login.failure", "login.lockout"),
        Factor::Second => ("login.mfa_failure", "login.mfa_lockout"),
    };
    let mut writes = vec![audit(
        "auth",
        failure,
        "anonymous",
        user.id.as_str(),
        meta,
        Outcome::Failure,
    )
    .write(scope)];
    let locking = attempt >= LOCK_AFTER_FAILURES;
    if locking {
        let lockouts = user.record.number_or_zero("lockouts").clamp(0, 6);
        let duration = (FIRST_LOCK_SECS << lockouts).min(86_400);
        writes.push(Write::Update(
            user.key.clone(),
            Attrs::new()
                .number(LOCKED_UNTIL, now_unix() + duration)
                .number(factor.counter(), 0)
                .number("lockouts", lockouts + 1),
            Condition::Exists,
        ));
        writes.push(
            audit(
                "auth",
                lockout,
                "system",
                user.id.as_str(),
                meta,
                Outcome::Success,
            )
            .write(scope),
        );
    }
    if locking {
        let event = match factor {
            Factor::Password => SecurityEvent::LockedAfterPasswords,
            Factor::Second => SecurityEvent::LockedAfterSecondStep,
        };
        writes.push(security_notice(p, scope, user, event).await?);
    }
    p.store.transact(writes).await?;
    if locking {
        tracing::warn!(user_id = %user.id, "account locked after repeated failures");
    }
    Ok(())
}

/// A pending second-factor login, found by its token.
struct Challenge {
    scope: TenantScope,
    key: TenantKey,
    token_hash: crate::crypto::TokenHash,
    user: User,
    record: crate::store::Record,
}

async fn find_challenge(p: &Platform, mfa_token: &str) -> Result<Challenge, AccountsError> {
    let token = SecretToken::parse(mfa_token).ok_or(AccountsError::InvalidCode)?;
    let token_hash = token.hash();
    let pointer = p
        .store
        .pointer(&GlobalKey::MfaChallenge(token_hash.clone()))
        .await?
        .ok_or(AccountsError::InvalidCode)?;
    let (Some(user_id), Some(id)) = (pointer.user_id, pointer.item) else {
        return Err(AccountsError::Internal);
    };
    let scope = TenantScope::from_resolved(pointer.tenant);
    crate::telemetry::record_tenant(scope.tenant_id());
    let key = TenantKey::new(&scope, Entity::MfaChallenge(&id));
    let record = p
        .store
        .get(&scope, &key)
        .await?
        .ok_or(AccountsError::InvalidCode)?;
    let user = user::load(p, &scope, &user_id)
        .await?
        .ok_or(AccountsError::InvalidCode)?;
    Ok(Challenge {
        scope,
        key,
        token_hash,
        user,
        record,
    })
}

/// Ends every login of `user` that waits for its second factor (on
/// deactivation): the pointer then leads nowhere.
pub(crate) async fn end_pending_logins(
    p: &Platform,
    scope: &TenantScope,
    user: &crate::tenancy::UserId,
) -> Result<usize, AccountsError> {
    let mut ended = 0;
    for challenge in p.store.list_all(scope, Collection::MfaChallenges).await? {
        if challenge.optional_string("user_id") == Some(user.as_str()) {
            let id = challenge.sort_key()?.trim_start_matches("MFA#").to_owned();
            p.store
                .transact(vec![Write::Delete(
                    TenantKey::new(scope, Entity::MfaChallenge(&id)),
                    Condition::None,
                )])
                .await?;
            ended += 1;
        }
    }
    Ok(ended)
}

fn end_challenge(c: &Challenge) -> Vec<Write> {
    vec![
        Write::Delete(c.key.clone(), Condition::Exists),
        Write::DeletePointer(
            GlobalKey::MfaChallenge(c.token_hash.clone()),
            Condition::None,
        ),
    ]
}

/// The second factors a pending login accepts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Method {
    Totp,
    Email,
    RecoveryCode,
}

impl Method {
    fn parse(s: &str) -> Result<Self, AccountsError> {
        match s {
            "totp" => Ok(Method::Totp),
            "email" => Ok(Method::Email),
            "recovery_code" => Ok(Method::RecoveryCode),
            _ => Err(AccountsError::Invalid(vec![crate::http::FieldError {
                field: "method",
                message: "must be totp, email or recovery_code".into(),
            }])),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Method::Totp => "totp",
            Method::Email => "email",
            Method::RecoveryCode => "recovery_code",
        }
    }
}

/// Second step: a TOTP code, an emailed code or a recovery code.
///
/// Wrong codes count per account across every pending login and lock the
/// account like wrong passwords; the account's status and lock are checked at
/// this step too, and consuming a TOTP step or a recovery code is conditional
/// on the value read, so two concurrent logins cannot both use it.
pub async fn verify_mfa(
    p: &Platform,
    input: MfaInput,
    meta: &RequestMeta,
) -> Result<LoginOutcome, AccountsError> {
    log_refusal(check_second_factor(p, input, meta).await)
}

async fn check_second_factor(
    p: &Platform,
    input: MfaInput,
    meta: &RequestMeta,
) -> Result<LoginOutcome, AccountsError> {
    let method = Method::parse(&input.method)?;
    throttle(p, "login", meta).await?;
    let c = find_challenge(p, &input.mfa_token).await?;
    if c.user.status() != user_status::ACTIVE || !c.user.has_mfa() {
        let _ = p.store.transact(end_challenge(&c)).await;
        return Err(AccountsError::InvalidCode);
    }
    let attempts = p
        .store
        .add(&c.scope, &c.key, "attempts", 1)
        .await?
        .number_or_zero("attempts");
    if attempts > mfa::MAX_ATTEMPTS {
        let _ = p.store.transact(end_challenge(&c)).await;
        return Err(AccountsError::InvalidCode);
    }
    let now = now_unix();
    let Some(attempt) = p
        .store
        .admit(
            &c.scope,
            &c.user.key,
            FAILED_SECOND_FACTORS,
            LOCK_AFTER_FAILURES,
            LOCKED_UNTIL,
            now,
        )
        .await?
    else {
        let _ = p.store.transact(end_challenge(&c)).await;
        let event = audit(
            "auth",
            "login.locked",
            "anonymous",
            c.user.id.as_str(),
            meta,
            Outcome::Failure,
        );
        record_unauthenticated(p, &c.scope, event).await?;
        return Err(AccountsError::InvalidCode);
    };
    let mut user_update = signed_in_update(Attrs::new());
    let mut expected = vec![Condition::ExistsWithNumberAtMost(LOCKED_UNTIL, now)];
    let accepted = match method {
        Method::Totp => {
            let secret = c.user.open_credential(p, &c.scope, "totp_secret").await?;
            let last = c.user.record.number_or_zero("totp_last_step");
            mfa::check_totp(&secret, input.code.trim(), now, last).map(|step| {
                user_update = std::mem::take(&mut user_update).number("totp_last_step", step);
                expected.push(Condition::ExistsWithNumber("totp_last_step", last));
            })
        }
        Method::Email => {
            let id = c.record.sort_key()?.trim_start_matches("MFA#").to_owned();
            let fresh = c.record.number_or_zero("email_code_expires") > now;
            c.record
                .optional_string("email_code_hash")
                .filter(|h| fresh && mfa::email_code_hash(&id, input.code.trim()) == *h)
                .map(|_| ())
        }
        Method::RecoveryCode => {
            let used = mfa::recovery_code_hash(&input.code);
            let mut remaining = c.user.record.strings("recovery_codes");
            let before = remaining.len();
            remaining.retain(|h| *h != used);
            (remaining.len() < before).then(|| {
                let spent = c.user.record.number_or_zero("recovery_codes_used");
                user_update = std::mem::take(&mut user_update)
                    .strings("recovery_codes", remaining)
                    .number("recovery_codes_used", spent + 1);
                expected.push(Condition::ExistsWithNumber("recovery_codes_used", spent));
            })
        }
    };
    if accepted.is_none() {
        record_failure(p, &c.scope, &c.user, Factor::Second, attempt, meta).await?;
        if attempts == 1 && attempt < LOCK_AFTER_FAILURES {
            queue_security_notice(p, &c.scope, &c.user, SecurityEvent::SecondStepFailed).await;
        }
        return Err(AccountsError::InvalidCode);
    }
    let tenant = user::tenant(p, &c.scope).await?;
    let role = c.user.role()?;
    let restriction = restriction_for(&tenant, role, &c.user, now);
    let (new_session, session_writes) = session::create(
        &c.scope,
        &c.user.id,
        role,
        restriction,
        &tenant.policy,
        meta,
    );
    let mut writes = end_challenge(&c);
    expected.push(credentials::unrevoked_since(&c.user.record));
    writes.push(Write::Update(
        c.user.key.clone(),
        credentials::issuing(user_update),
        Condition::All(expected),
    ));
    writes.extend(session_writes);
    writes.push(
        audit(
            "auth",
            "login.success",
            c.user.id.as_str(),
            c.user.id.as_str(),
            meta,
            Outcome::Success,
        )
        .write(&c.scope),
    );
    if method == Method::RecoveryCode {
        writes.push(security_notice(p, &c.scope, &c.user, SecurityEvent::RecoveryCodeUsed).await?);
    }
    // Deleting the challenge under a condition makes the code single-use even
    // under concurrent submissions; the user's conditions make a TOTP step or
    // a recovery code single-use across pending logins, and refuse a locked
    // account.
    p.store
        .transact(writes)
        .await
        .map_err(conflict_as(AccountsError::InvalidCode))?;
    tracing::info!(user_id = %c.user.id, method = method.as_str(), "signed in with a second factor");
    Ok(LoginOutcome::Session(
        new_session,
        signed_in(&c.scope, &c.user, role, restriction),
    ))
}

/// `POST /v1/auth/login/mfa/email`: emails a six-digit code for the pending login.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailCodeInput {
    /// The token from the first step.
    pub mfa_token: String,
}

/// Sends (or re-sends) the emailed code; the previous one stops working.
pub async fn send_email_code(
    p: &Platform,
    input: EmailCodeInput,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    throttle(p, "login", meta).await?;
    let c = find_challenge(p, &input.mfa_token).await?;
    let locked = c.user.record.number_or_zero(LOCKED_UNTIL) > now_unix();
    if c.user.status() != user_status::ACTIVE || locked {
        let _ = p.store.transact(end_challenge(&c)).await;
        return Err(AccountsError::InvalidCode);
    }
    let sent = p
        .store
        .add(&c.scope, &c.key, "codes_sent", 1)
        .await?
        .number_or_zero("codes_sent");
    if sent > MAX_EMAIL_CODES_PER_LOGIN {
        return Err(AccountsError::TooManyRequests);
    }
    let id = c.record.sort_key()?.trim_start_matches("MFA#").to_owned();
    let code = mfa::new_email_code();
    let to = c.user.email(p, &c.scope).await?;
    let name = c.user.open_text(p, &c.scope, "name").await?;
    let mail = account_mail(
        p,
        &c.scope,
        &to,
        &name,
        Mail::SignInCode {
            name: name.clone(),
            business: String::new(),
            code: code.clone(),
        },
    )
    .await?;
    p.store
        .transact(vec![
            Write::Update(
                c.key.clone(),
                Attrs::new()
                    .string("email_code_hash", mfa::email_code_hash(&id, &code))
                    .number("email_code_expires", now_unix() + mfa::EMAIL_CODE_TTL_SECS),
                Condition::Exists,
            ),
            mail,
        ])
        .await?;
    Ok(())
}

/// Ends the caller's session on the server.
pub async fn logout(
    p: &Platform,
    scope: &TenantScope,
    user: &crate::tenancy::UserId,
    session_id: &str,
    meta: &RequestMeta,
) -> Result<(), AccountsError> {
    let event = audit(
        "auth",
        "session.logout",
        user.as_str(),
        session_id,
        meta,
        Outcome::Success,
    );
    session::end(&p.store, scope, user, session_id, vec![event.write(scope)]).await?;
    Ok(())
}

#[cfg(test)]
mod refusal_log {
    use std::sync::{Arc, Mutex};

    use super::{log_refusal, AccountsError};

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut b) = self.0.lock() {
                b.extend_from_slice(buf);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    /// Refused passwords and second factors log the one line the template's
    /// SignInFailuresMetric counts (`{ $.sign_in_refused = 1 }`); other
    /// outcomes do not.
    #[test]
    fn a_refused_sign_in_logs_the_line_the_alarm_counts() {
        let buffer = Buffer::default();
        let subscriber =
            crate::telemetry::subscriber(buffer.clone(), crate::telemetry::DEFAULT_FILTER);
        tracing::subscriber::with_default(subscriber, || {
            let _ = log_refusal(Err(AccountsError::InvalidCredentials));
            let _ = log_refusal(Err(AccountsError::InvalidCode));
            let _ = log_refusal(Err(AccountsError::TooManyRequests));
        });
        let text = String::from_utf8(buffer.0.lock().map(|b| b.clone()).unwrap_or_default())
            .unwrap_or_default();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(lines.iter().all(|l| l["sign_in_refused"] == 1), "{text}");
    }
}
