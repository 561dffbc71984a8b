//! A business signs up: tenant, owner account, verification email.

use std::str::FromStr;

use serde::Deserialize;

use super::verification::VERIFICATION_TOKEN_ATTR;
use super::{limits, status, AccountsError, VERIFICATION_TTL_SECS};
use crate::audit::{AuditEvent, Outcome};
use crate::auth::policy::{check_new_password, MIN_CHARS_SINGLE_FACTOR};
use crate::crypto::{hash_password, FieldBinding, Purpose, SecretToken};
use crate::email::outbox::{Audience, Queued};
use crate::email::EmailAddress;
use crate::http::{parse_field, FieldError, RequestMeta};
use crate::i18n::{Language, Mail};
use crate::store::{Attrs, Condition, Entity, GlobalKey, StoreError, TenantKey, Write};
use crate::tenancy::{Role, Slug, TenantScope, UserId};
use crate::Platform;

const MAX_NAME_CHARS: usize = 100;
/// How long a business that has not verified its owner's address keeps its
/// slug; after that the slug is free for someone else (AUTH-4).
pub const PENDING_SLUG_SECS: i64 = 48 * 3600;

/// The sign-up body as sent; unknown fields are refused.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupInput {
    /// Business name, shown publicly.
    #[schema(min_length = 1, max_length = 100, example = "Salon Nord")]
    pub name: String,
    /// Public handle.
    #[schema(
        min_length = 3,
        max_length = 40,
        pattern = "^[a-z0-9]+(-[a-z0-9]+)*$",
        example = "salon-nord"
    )]
    pub slug: String,
    /// IANA time zone of the business.
    #[schema(example = "Europe/Berlin")]
    pub time_zone: String,
    /// Owner's name.
    #[schema(min_length = 1, max_length = 100)]
    pub owner_name: String,
    /// Owner's email address.
    #[schema(format = Email, max_length = 254)]
    pub owner_email: String,
    /// Owner's password.
    #[schema(min_length = 15, max_length = 256, format = Password)]
    pub password: String,
    /// Where the business's data lives (PRIV-4): one of the regions the
    /// operator deployed; this API's own region when left out. Asking
    /// another region's API is answered with a 307 to it.
    #[schema(max_length = 32, example = "eu-central-1")]
    #[serde(default)]
    pub region: Option<String>,
}

/// A validated sign-up.
pub struct NewTenant {
    name: String,
    slug: Slug,
    time_zone: chrono_tz::Tz,
    owner_name: String,
    owner_email: EmailAddress,
    /// NFKC-normalised and checked against the full policy.
    password: String,
    region: Option<String>,
}

fn display_name(field: &'static str, value: &str, errors: &mut Vec<FieldError>) -> String {
    let trimmed = value.trim();
    let count = trimmed.chars().count();
    if count == 0 || count > MAX_NAME_CHARS || trimmed.chars().any(char::is_control) {
        errors.push(FieldError {
            field,
            message: format!("must be 1 to {MAX_NAME_CHARS} characters without control characters"),
        });
    }
    trimmed.to_owned()
}

impl NewTenant {
    /// Validates every field, reporting all problems at once.
    pub fn parse(input: SignupInput) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = display_name("name", &input.name, &mut errors);
        let owner_name = display_name("owner_name", &input.owner_name, &mut errors);
        let slug: Option<Slug> = parse_field(&mut errors, "slug", &input.slug);
        let time_zone = chrono_tz::Tz::from_str(&input.time_zone)
            .map_err(|_| {
                errors.push(FieldError {
                    field: "time_zone",
                    message: "must be an IANA time zone such as Europe/Berlin".into(),
                })
            })
            .ok();
        let owner_email: Option<EmailAddress> =
            parse_field(&mut errors, "owner_email", &input.owner_email);
        // The same policy as every other way to set a password (AUTH-1): an
        // owner has no second factor yet, so the single-factor floor applies.
        let context = [
            input.owner_email.as_str(),
            owner_name.as_str(),
            name.as_str(),
            input.slug.as_str(),
        ];
        let password = check_new_password(&input.password, MIN_CHARS_SINGLE_FACTOR, &context)
            .map_err(|refusal| {
                errors.push(FieldError {
                    field: "password",
                    message: refusal.0,
                })
            })
            .ok();
        match (slug, time_zone, owner_email, password) {
            (Some(slug), Some(time_zone), Some(owner_email), Some(password))
                if errors.is_empty() =>
            {
                Ok(Self {
                    name,
                    slug,
                    time_zone,
                    owner_name,
                    owner_email,
                    password,
                    region: input.region,
                })
            }
            _ => Err(errors),
        }
    }
}

/// What sign-up tells the caller: nothing beyond what it chose itself and the
/// new tenant's id.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Registered {
    /// The new tenant.
    pub tenant_id: String,
    /// Its slug.
    pub slug: String,
    /// `pending_verification` until the owner follows the emailed link.
    pub status: &'static str,
}

/// Creates the tenant and its owner and sends the verification link.
///
/// Every KMS operation (data keys, DKIM signature) happens before the single
/// transaction that writes everything, so a KMS outage fails closed with nothing
/// written (CRY-3). Sign-ups are limited per client address and verification
/// mail per recipient (MAIL-4); the slug is held for [`PENDING_SLUG_SECS`]
/// until the owner verifies.
pub async fn register_tenant(
    p: &Platform,
    new: NewTenant,
    meta: &RequestMeta,
) -> Result<Registered, AccountsError> {
    let region = new
        .region
        .clone()
        .unwrap_or_else(|| p.config.region.clone());
    let Some(site) = p.config.site_of(&region) else {
        return Err(AccountsError::Invalid(vec![crate::http::FieldError {
            field: "region",
            message: "must be one of the regions this service runs in".into(),
        }]));
    };
    if region != p.config.region {
        return Err(AccountsError::InRegion(site.to_owned()));
    }
    if p.store.resolve_slug(&new.slug).await?.is_some() {
        return Err(AccountsError::SlugTaken);
    }
    limits::per_client(p, "signup", meta, limits::SIGNUPS_PER_CLIENT).await?;
    if !limits::verification_mail_allowed(p, &new.owner_email).await? {
        tracing::warn!("sign-up refused: verification mail limit for the recipient");
        return Err(AccountsError::TooManyRequests);
    }
    let scope = TenantScope::for_new_tenant();
    // The slug is claimed across every region first (PRIV-4), before any
    // key is made, held as long as the local pointer; a sign-up that then
    // fails gives it up again.
    let Some(directory) = &p.directory else {
        return register(p, new, scope, meta).await;
    };
    let now = crate::clock::now_unix();
    let held = Some(now + PENDING_SLUG_SECS);
    if !directory
        .claim(&new.slug, scope.tenant_id(), &region, held, now)
        .await?
    {
        return Err(AccountsError::SlugTaken);
    }
    let (slug, tenant_id) = (new.slug.clone(), scope.tenant_id().clone());
    let registered = register(p, new, scope, meta).await;
    if registered.is_err() {
        if let Err(e) = directory.release(&slug, &tenant_id).await {
            tracing::error!(error = %e, "a failed sign-up's slug claim was not released");
        }
    }
    registered
}

/// Writes the tenant, its owner and the verification mail, once the slug is
/// this sign-up's in every region.
async fn register(
    p: &Platform,
    new: NewTenant,
    scope: TenantScope,
    meta: &RequestMeta,
) -> Result<Registered, AccountsError> {
    let tenant_id = scope.tenant_id().clone();
    let user_id = UserId::generate();
    crate::telemetry::record_tenant(&tenant_id);

    let password = new.password;
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|_| AccountsError::Internal)??;

    let (lookup_key, wrapped_lookup_key) = p.envelope.new_lookup_key(&scope).await?;
    let email_hash = lookup_key.digest(&new.owner_email.lookup_form());
    let user_key = TenantKey::new(&scope, Entity::User(&user_id));
    let seal = |field: &'static str, value: String| {
        let user_key = &user_key;
        let scope = &scope;
        async move {
            let at = FieldBinding {
                pk: user_key.pk_str(),
                sk: user_key.sk_str(),
                field,
            };
            p.envelope
                .seal(scope, Purpose::PersonalData, at, value.as_bytes())
                .await
        }
    };
    let sealed_name = seal("name", new.owner_name.clone()).await?;
    let sealed_email = seal("email", new.owner_email.as_str().to_owned()).await?;

    let token = SecretToken::generate();
    // Queued with the account in one transaction (MAIL-5): no account without
    // its verification mail, and no wait for KMS or SES.
    let mail = crate::email::outbox::entry(
        p,
        &scope,
        &[verification_mail(
            &p.config.app_base_url,
            &token,
            &new.owner_email,
            &new.owner_name,
            &new.name,
            Language::default(),
        )],
    )
    .await?;

    let token_hash = token.hash();
    let now = crate::clock::now_unix();
    let writes = vec![
        mail,
        Write::PutPointer(
            GlobalKey::Slug(new.slug.clone()),
            tenant_id.clone(),
            Attrs::new().expires_at(now + PENDING_SLUG_SECS),
            Condition::AbsentOrExpiredAt(now),
        ),
        Write::Put(
            TenantKey::new(&scope, Entity::Profile),
            Attrs::new()
                .string("name", new.name.clone())
                .string("slug", new.slug.as_str())
                .string("time_zone", new.time_zone.name())
                .string("status", status::PENDING)
                .bytes("lookup_key", wrapped_lookup_key.0)
                .number("created_at", now),
            Condition::NotExists,
        ),
        Write::Put(
            user_key.clone(),
            Attrs::new()
                .string("user_id", user_id.as_str())
                .string("role", Role::Owner.as_str())
                .bytes("name", sealed_name)
                .bytes("email", sealed_email)
                .string("email_hash", email_hash.clone())
                .string("password_hash", password_hash.as_str())
                .string(VERIFICATION_TOKEN_ATTR, token_hash.as_str())
                .boolean("email_verified", false)
                .number("created_at", now),
            Condition::NotExists,
        ),
        Write::Put(
            TenantKey::new(&scope, Entity::UserEmail(&email_hash)),
            Attrs::new().string("user_id", user_id.as_str()),
            Condition::NotExists,
        ),
        Write::PutPointer(
            GlobalKey::EmailVerification(token_hash),
            tenant_id.clone(),
            Attrs::new()
                .string("user_id", user_id.as_str())
                .expires_at(now + VERIFICATION_TTL_SECS),
            Condition::NotExists,
        ),
        AuditEvent {
            kind: "tenant",
            action: "tenant.created",
            actor: user_id.to_string(),
            target: tenant_id.to_string(),
            client_addr: meta.client_addr.clone(),
            outcome: Outcome::Success,
        }
        .write(&scope),
    ];
    match p.store.transact(writes).await {
        Ok(()) => {}
        // Only the slug pointer can already exist: every other key is fresh.
        Err(StoreError::Conflict) => return Err(AccountsError::SlugTaken),
        Err(e) => return Err(e.into()),
    }
    tracing::info!(user_id = %user_id, "tenant registered");
    Ok(Registered {
        tenant_id: tenant_id.to_string(),
        slug: new.slug.as_str().to_owned(),
        status: status::PENDING,
    })
}

/// The link that proves an owner's address, from the catalog.
pub(crate) fn verification_mail(
    base_url: &str,
    token: &SecretToken,
    to: &EmailAddress,
    name: &str,
    business: &str,
    language: Language,
) -> Queued {
    let url = format!(
        "{}/verify-email#token={}",
        base_url.trim_end_matches('/'),
        token.expose()
    );
    Queued::mail_to_address(
        to,
        name,
        language,
        Mail::VerifyEmail {
            name: name.to_owned(),
            business: business.to_owned(),
            url,
        },
    )
    .for_audience(Audience::Team)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SignupInput {
        SignupInput {
            name: "Salon Nord".into(),
            slug: "salon-nord".into(),
            time_zone: "Europe/Berlin".into(),
            owner_name: "Ada Owner".into(),
            owner_email: "ada@example.com".into(),
            password: "violet harbour lantern seventeen".into(),
            region: None,
        }
    }

    #[test]
    fn a_valid_sign_up_parses() {
        assert!(NewTenant::parse(input()).is_ok());
    }

    #[test]
    fn every_invalid_field_is_reported_at_once() {
        let bad = SignupInput {
            name: " ".into(),
            slug: "Bad Slug".into(),
            time_zone: "Mars/Olympus".into(),
            owner_name: "x\u{7}".into(),
            owner_email: "nope".into(),
            password: "short".into(),
            region: None,
        };
        let fields: Vec<_> = NewTenant::parse(bad)
            .err()
            .unwrap()
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "name",
                "owner_name",
                "slug",
                "time_zone",
                "owner_email",
                "password"
            ]
        );
    }

    fn password_refused(password: &str) -> bool {
        let mut i = input();
        i.password = password.into();
        match NewTenant::parse(i) {
            Ok(_) => false,
            Err(errors) => errors.iter().any(|e| e.field == "password"),
        }
    }

    #[test]
    fn sign_up_applies_the_whole_password_policy() {
        // Length counts characters after NFKC, not bytes.
        assert!(password_refused(&"ü".repeat(14)));
        // Listed, guessable, or built from the sign-up's own details.
        assert!(password_refused("passwordpassword123"));
        assert!(password_refused("aaaaaaaaaaaaaaaaaaaa"));
        assert!(password_refused("ada@example.com2024!"));
        assert!(password_refused("Salon-Nord-2024!!"));
        assert!(!password_refused("violet harbour lantern seventeen"));
    }

    #[test]
    fn sign_up_stores_the_normalised_password_sign_in_uses() {
        // U+FF21 (fullwidth A) normalises to "A" under NFKC.
        let mut i = input();
        i.password = "\u{FF21}violet harbour lantern seventeen".into();
        let parsed = NewTenant::parse(i).ok().unwrap();
        assert_eq!(
            parsed.password,
            crate::auth::policy::normalize("\u{FF21}violet harbour lantern seventeen")
        );
        assert!(parsed.password.starts_with('A'));
    }
}
