//! Bookings (BOOK-1, BOOK-3, BOOK-4): a booking and a claim on every 5-minute
//! unit it blocks are written in one conditional transaction, so a slot can
//! never be booked twice, however many requests race for it.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::availability::{is_open, merge_units, open_slots, span, units, Interval, Timing};
use super::catalog::{self, Service};
use super::horizon::Horizon;
use crate::crypto::{sha256_hex, FieldBinding, Purpose, SecretToken};
use crate::email::EmailAddress;
use crate::http::FieldError;
use crate::store::{
    time_key, Attrs, Collection, Condition, Entity, GlobalKey, Record, StoreError, TenantKey, Write,
};
use crate::tenancy::{ItemId, TenantScope, UserId};
use crate::Platform;

/// Longest availability window a customer may ask for.
pub const MAX_WINDOW_DAYS: i64 = 62;

/// Why a booking operation was refused.
#[derive(Debug)]
pub enum BookingError {
    /// Input failed validation.
    Invalid(Vec<FieldError>),
    /// No such service, staff member, booking or link.
    NotFound,
    /// The slot is not open (or was just taken).
    SlotTaken,
    /// The idempotency key was used with a different request.
    IdempotencyMismatch,
    /// The first request with this idempotency key is still being processed;
    /// retry shortly for its answer.
    IdempotencyInProgress,
    /// A dependency failed; nothing was written.
    Unavailable,
    /// A bug or integrity violation.
    Internal,
    /// Too many bookings from this client address.
    TooManyRequests,
}

impl From<StoreError> for BookingError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable => BookingError::Unavailable,
            StoreError::Conflict => BookingError::SlotTaken,
            StoreError::Integrity => BookingError::Internal,
        }
    }
}

impl From<crate::crypto::CryptoError> for BookingError {
    fn from(e: crate::crypto::CryptoError) -> Self {
        match e {
            crate::crypto::CryptoError::Unavailable => BookingError::Unavailable,
            _ => BookingError::Internal,
        }
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> BookingError {
    BookingError::Invalid(vec![FieldError {
        field,
        message: message.into(),
    }])
}

fn timing(s: &Service) -> Timing {
    Timing {
        duration: s.duration_minutes * 60,
        buffer_before: s.buffer_before_minutes * 60,
        buffer_after: s.buffer_after_minutes * 60,
    }
}

/// One open slot.
#[derive(Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Slot {
    /// RFC 3339 UTC start.
    pub start: String,
    /// Who would deliver it.
    pub staff_id: String,
}

fn rfc3339(secs: i64) -> String {
    crate::clock::rfc3339(secs)
}

/// What blocks a staff member inside `window`: claimed units and busy blocks.
async fn occupied(
    p: &Platform,
    scope: &TenantScope,
    staff: &UserId,
    window: Interval,
) -> Result<Vec<Interval>, StoreError> {
    let claims = p
        .store
        .list_between(
            scope,
            Collection::Claims(staff),
            &time_key(window.start),
            &time_key(window.end),
        )
        .await?;
    let claimed: Vec<i64> = claims
        .iter()
        .filter_map(|r| r.sort_key().ok()?.parse().ok())
        .collect();
    let mut busy = merge_units(&claimed);
    busy.extend(catalog::busy_blocks(&p.store, scope, staff, window).await?);
    Ok(busy)
}

fn parse_staff(ids: &[String]) -> Vec<UserId> {
    ids.iter().filter_map(|s| s.parse().ok()).collect()
}

/// Open slots of a service between two local dates (inclusive), for one staff
/// member or all who deliver it.
#[allow(clippy::too_many_arguments)]
pub async fn availability(
    p: &Platform,
    scope: &TenantScope,
    tz: chrono_tz::Tz,
    horizon: Horizon,
    service: &Service,
    staff: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Slot>, BookingError> {
    let now = crate::clock::now_unix();
    horizon.check_range(to, tz, now)?;
    if to < from || to.signed_duration_since(from).num_days() >= MAX_WINDOW_DAYS {
        return Err(invalid(
            "to",
            format!("the range must be 1 to {MAX_WINDOW_DAYS} days"),
        ));
    }
    let candidates = candidates(service, staff)?;
    let latest = horizon.latest(now);
    // Nothing starts before the notice period has passed.
    let now = horizon.earliest(now);
    let mut slots = Vec::new();
    for member in candidates {
        let schedule = catalog::schedule(&p.store, scope, &member).await?;
        let working = super::availability::working_intervals(tz, &schedule, from, to);
        let (Some(first), Some(last)) = (working.first(), working.last()) else {
            continue;
        };
        let window = Interval {
            start: first.start,
            end: last.end,
        };
        let t = timing(service);
        let padded = Interval {
            start: window.start - t.buffer_before,
            end: window.end + t.buffer_after,
        };
        let busy = occupied(p, scope, &member, padded).await?;
        for start in open_slots(&working, &busy, t, window, now) {
            if start <= latest {
                slots.push((start, member.to_string()));
            }
        }
    }
    slots.sort();
    Ok(slots
        .into_iter()
        .map(|(s, staff_id)| Slot {
            start: rfc3339(s),
            staff_id,
        })
        .collect())
}

fn candidates(service: &Service, staff: Option<&str>) -> Result<Vec<UserId>, BookingError> {
    let all = parse_staff(&service.staff_ids);
    match staff {
        None | Some("any") => Ok(all),
        Some(id) => {
            let wanted: UserId = id.parse().map_err(|_| BookingError::NotFound)?;
            if all.contains(&wanted) {
                Ok(vec![wanted])
            } else {
                Err(BookingError::NotFound)
            }
        }
    }
}

/// `POST /v1/public/tenants/{slug}/bookings`
#[derive(Deserialize, Serialize, Clone, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingInput {
    /// The service.
    pub service_id: String,
    /// A staff member's id, or `any`.
    #[schema(example = "any")]
    pub staff_id: String,
    /// RFC 3339 start.
    #[schema(format = DateTime)]
    pub start: String,
    /// Customer's name.
    #[schema(min_length = 1, max_length = 100)]
    pub customer_name: String,
    /// Customer's email.
    #[schema(format = Email, max_length = 254)]
    pub customer_email: String,
    /// Customer's phone, optional.
    #[serde(default)]
    #[schema(max_length = 40)]
    pub customer_phone: Option<String>,
    /// Answers to the tenant's booking-form questions, by question id.
    #[serde(default)]
    pub answers: BTreeMap<String, String>,
}

/// A booking without personal data: what the customer (and a retry with the
/// same key) gets back and what listings show. The manage link travels by email
/// only, never in an answer that is stored for replays.
#[derive(Debug, Serialize, Deserialize, Clone, PartialEq, Eq, utoipa::ToSchema)]
pub struct Booked {
    /// Booking id.
    pub booking_id: String,
    /// Service.
    pub service_id: String,
    /// Staff member.
    pub staff_id: String,
    /// RFC 3339 start.
    pub start: String,
    /// RFC 3339 end.
    pub end: String,
    /// `confirmed` or `cancelled`.
    pub status: String,
}

/// A created booking and what the mailer needs.
pub struct Created {
    /// The answer.
    pub booked: Booked,
    /// Whether this answer replays an earlier request with the same key.
    pub replayed: bool,
    /// The manage-link token (only for a new booking).
    pub manage_token: Option<SecretToken>,
    /// The customer's address (only for a new booking).
    pub customer: Option<(EmailAddress, String)>,
}

fn parse_start(s: &str) -> Result<i64, BookingError> {
    let t = DateTime::parse_from_rfc3339(s)
        .map_err(|_| invalid("start", "must be an RFC 3339 time"))?;
    let secs = t.with_timezone(&Utc).timestamp();
    if secs % 300 != 0 {
        return Err(invalid("start", "must be on a 5-minute mark"));
    }
    Ok(secs)
}

fn validate_customer(
    input: &BookingInput,
    form: &[super::form::Question],
) -> Result<EmailAddress, BookingError> {
    let mut errors = Vec::new();
    let name = input.customer_name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        errors.push(FieldError {
            field: "customer_name",
            message: "must be 1 to 100 characters".into(),
        });
    }
    let email = input
        .customer_email
        .parse::<EmailAddress>()
        .map_err(|e| {
            errors.push(FieldError {
                field: "customer_email",
                message: e.to_string(),
            })
        })
        .ok();
    if let Some(phone) = &input.customer_phone {
        let ok = (5..=20).contains(&phone.len())
            && phone
                .chars()
                .all(|c| c.is_ascii_digit() || " +-()".contains(c));
        if !ok {
            errors.push(FieldError {
                field: "customer_phone",
                message: "must be 5 to 20 digits, spaces, +, -, ( or )".into(),
            });
        }
    }
    if let Err(mut e) = super::form::check_answers(form, &input.answers) {
        errors.append(&mut e);
    }
    match email {
        Some(e) if errors.is_empty() => Ok(e),
        _ => Err(BookingError::Invalid(errors)),
    }
}

/// Books a slot exactly once. The same `idempotency_key` with the same body
/// returns the original answer; with a different body it is refused.
pub async fn create(
    p: &Platform,
    scope: &TenantScope,
    tz: chrono_tz::Tz,
    horizon: Horizon,
    input: BookingInput,
    idempotency_key: &str,
    client_addr: &str,
) -> Result<Created, BookingError> {
    if idempotency_key.is_empty()
        || idempotency_key.len() > 128
        || !idempotency_key.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(invalid(
            "idempotency_key",
            "send an Idempotency-Key header of 1 to 128 visible characters",
        ));
    }
    let key_hash = sha256_hex(idempotency_key.as_bytes());
    let lookup = crate::accounts::user::tenant(p, scope)
        .await
        .map_err(|_| BookingError::Unavailable)?
        .lookup_key(p, scope)
        .await
        .map_err(|_| BookingError::Unavailable)?;
    // Keyed: the body holds the customer's name, email and phone.
    let request_hash =
        lookup.digest(&serde_json::to_string(&input).map_err(|_| BookingError::Internal)?);
    let now = crate::clock::now_unix();
    let attempt = ItemId::generate();
    if let Some(replay) = claim_key(p, scope, &key_hash, &request_hash, &attempt, now).await? {
        return Ok(replay);
    }
    let key = TenantKey::new(scope, Entity::Idempotency(&key_hash));
    let booking = NewBooking {
        tz,
        horizon,
        input,
        lookup: &lookup,
        idempotency: &key,
        request_hash: &request_hash,
        attempt: &attempt,
        client_addr,
    };
    match book(p, scope, booking).await {
        Ok(created) => Ok(created),
        Err(refused) => {
            // Release the key so the client can retry; the outcome of this
            // attempt was a refusal, not a booking.
            let release = Write::Delete(
                key.clone(),
                Condition::ExistsWithString(ATTEMPT_ATTR, attempt.to_string()),
            );
            let _ = p.store.transact(vec![release]).await;
            // Whatever refused it, a copy of this request that committed
            // meanwhile has the one true answer.
            match replay(p, scope, &key_hash, &request_hash).await? {
                Some(r) => Ok(r),
                None => Err(refused),
            }
        }
    }
}

/// How long a claimed idempotency key counts as in progress before a retry may
/// take it over (longer than any request runs).
pub const IDEMPOTENCY_IN_PROGRESS_SECS: i64 = 60;
const ATTEMPT_ATTR: &str = "attempt";

/// Claims the idempotency key for this attempt before any work: a conditional
/// put that only one request can make. Another request with the key gets the
/// finished answer, or `IdempotencyInProgress` while the first still runs, or
/// `IdempotencyMismatch` for a different body; never a verdict of its own.
async fn claim_key(
    p: &Platform,
    scope: &TenantScope,
    key_hash: &str,
    request_hash: &str,
    attempt: &ItemId,
    now: i64,
) -> Result<Option<Created>, BookingError> {
    let claim = Write::Put(
        TenantKey::new(scope, Entity::Idempotency(key_hash)),
        Attrs::new()
            .string("request_hash", request_hash)
            .string(ATTEMPT_ATTR, attempt.as_str())
            .expires_at(now + IDEMPOTENCY_IN_PROGRESS_SECS),
        Condition::AbsentOrExpiredAt(now),
    );
    match p.store.transact(vec![claim]).await {
        Ok(()) => Ok(None),
        Err(StoreError::Conflict) => match replay(p, scope, key_hash, request_hash).await? {
            Some(done) => Ok(Some(done)),
            None => Err(BookingError::IdempotencyInProgress),
        },
        Err(e) => Err(e.into()),
    }
}

/// A booking request under a claimed idempotency key.
struct NewBooking<'a> {
    tz: chrono_tz::Tz,
    horizon: Horizon,
    input: BookingInput,
    lookup: &'a crate::crypto::LookupKey,
    idempotency: &'a TenantKey,
    request_hash: &'a str,
    attempt: &'a ItemId,
    client_addr: &'a str,
}

/// The work of a new booking.
async fn book(
    p: &Platform,
    scope: &TenantScope,
    new: NewBooking<'_>,
) -> Result<Created, BookingError> {
    let NewBooking {
        tz,
        horizon,
        input,
        lookup,
        idempotency,
        request_hash,
        attempt,
        client_addr,
    } = new;
    let service = catalog::service(&p.store, scope, &input.service_id)
        .await?
        .filter(|s| s.active)
        .ok_or_else(|| invalid("service_id", "is not a bookable service"))?;
    let form = super::form::questions(&p.store, scope).await?;
    let email = validate_customer(&input, &form)?;
    let start = parse_start(&input.start)?;
    let t = timing(&service);
    let now = crate::clock::now_unix();
    horizon.check_start(start, now)?;
    let date = DateTime::from_timestamp(start, 0)
        .ok_or(BookingError::Internal)?
        .with_timezone(&tz)
        .date_naive();
    let candidates = candidates(&service, Some(&input.staff_id))
        .map_err(|_| invalid("staff_id", "does not deliver this service"))?;
    let mut chosen = None;
    for member in candidates {
        let schedule = catalog::schedule(&p.store, scope, &member).await?;
        let working = super::availability::working_intervals(
            tz,
            &schedule,
            date.pred_opt().unwrap_or(date),
            date.succ_opt().unwrap_or(date),
        );
        let s = span(start, t.duration, t.buffer_before, t.buffer_after);
        let busy = occupied(p, scope, &member, s).await?;
        if is_open(&working, &busy, t, start, now) {
            chosen = Some(member);
            break;
        }
    }
    let staff = chosen.ok_or(BookingError::SlotTaken)?;
    throttle(p, client_addr).await?;

    let booking_id = ItemId::generate();
    let booking_key = TenantKey::new(scope, Entity::Booking(booking_id.as_str()));
    let seal = |field: &'static str, value: Vec<u8>| {
        let key = &booking_key;
        async move {
            let at = FieldBinding {
                pk: key.pk_str(),
                sk: key.sk_str(),
                field,
            };
            p.envelope
                .seal(scope, Purpose::PersonalData, at, &value)
                .await
        }
    };
    let name = input.customer_name.trim().to_owned();
    let sealed_name = seal("customer_name", name.as_bytes().to_vec()).await?;
    let sealed_email = seal("customer_email", email.as_str().as_bytes().to_vec()).await?;
    let sealed_answers = seal(
        "answers",
        serde_json::to_vec(&input.answers).map_err(|_| BookingError::Internal)?,
    )
    .await?;
    let mut booking = Attrs::new()
        .string("customer_email_hash", lookup.digest(&email.lookup_form()))
        .string("booking_id", booking_id.as_str())
        .string("service_id", service.id.clone())
        .string("staff_id", staff.as_str())
        .number("start", start)
        .number("end", start + t.duration)
        .number("span_start", start - t.buffer_before)
        .number("span_end", start + t.duration + t.buffer_after)
        .string("status", "confirmed")
        .bytes("customer_name", sealed_name)
        .bytes("customer_email", sealed_email)
        .bytes("answers", sealed_answers)
        .number("created_at", now);
    if let Some(phone) = &input.customer_phone {
        booking = booking.bytes(
            "customer_phone",
            seal("customer_phone", phone.as_bytes().to_vec()).await?,
        );
    }
    let token = SecretToken::generate();
    let booked = Booked {
        booking_id: booking_id.to_string(),
        service_id: service.id.clone(),
        staff_id: staff.to_string(),
        start: rfc3339(start),
        end: rfc3339(start + t.duration),
        status: "confirmed".into(),
    };
    let mut writes = vec![
        Write::Put(
            booking_key.clone(),
            booking.string("manage_token_hash", token.hash().as_str()),
            Condition::NotExists,
        ),
        Write::Put(
            TenantKey::new(scope, Entity::BookingByStart(start, booking_id.as_str())),
            index_attrs(
                booking_id.as_str(),
                &staff,
                &service.id,
                start,
                start + t.duration,
            ),
            Condition::NotExists,
        ),
        // The answer, recorded only if this attempt still holds the key.
        Write::Put(
            idempotency.clone(),
            Attrs::new()
                .string("request_hash", request_hash)
                .string(
                    "response",
                    serde_json::to_string(&booked).map_err(|_| BookingError::Internal)?,
                )
                .expires_at(now + 86_400),
            Condition::ExistsWithString(ATTEMPT_ATTR, attempt.to_string()),
        ),
        Write::PutPointer(
            GlobalKey::ManageBooking(token.hash()),
            scope.tenant_id().clone(),
            Attrs::new()
                .string("item", booking_id.as_str())
                .expires_at(start + 30 * 86_400),
            Condition::NotExists,
        ),
    ];
    for unit in units(span(start, t.duration, t.buffer_before, t.buffer_after)) {
        writes.push(Write::Put(
            TenantKey::new(scope, Entity::Claim(&staff, unit)),
            Attrs::new()
                .string("booking_id", booking_id.as_str())
                .expires_at(unit + 86_400),
            Condition::NotExists,
        ));
    }
    match p.store.transact(writes).await {
        Ok(()) => Ok(Created {
            booked,
            replayed: false,
            manage_token: Some(token),
            customer: Some((email, name)),
        }),
        Err(StoreError::Conflict) => Err(BookingError::SlotTaken),
        Err(e) => Err(e.into()),
    }
}

async fn replay(
    p: &Platform,
    scope: &TenantScope,
    key_hash: &str,
    request_hash: &str,
) -> Result<Option<Created>, BookingError> {
    let Some(record) = p
        .store
        .get(scope, &TenantKey::new(scope, Entity::Idempotency(key_hash)))
        .await?
    else {
        return Ok(None);
    };
    if record.string("request_hash")? != request_hash {
        return Err(BookingError::IdempotencyMismatch);
    }
    // Claimed but not answered yet: the first attempt is still running.
    let Some(response) = record.optional_string("response") else {
        return Ok(None);
    };
    let booked: Booked = serde_json::from_str(response).map_err(|_| BookingError::Internal)?;
    Ok(Some(Created {
        booked,
        replayed: true,
        manage_token: None,
        customer: None,
    }))
}

/// Booking creations one client address may make per window (MAIL-4: the
/// public route cannot be used to flood inboxes). Only well-formed requests for
/// an open slot count, so refused input changes nothing.
pub const BOOKINGS_PER_CLIENT: i64 = 20;
const BOOKING_WINDOW_SECS: i64 = 900;

async fn throttle(p: &Platform, client_addr: &str) -> Result<(), BookingError> {
    let now = crate::clock::now_unix();
    let key = crate::store::ThrottleKey {
        action: "booking",
        client: client_addr,
        window_start: now - now % BOOKING_WINDOW_SECS,
    };
    if p.store
        .throttle(key, BOOKINGS_PER_CLIENT, BOOKING_WINDOW_SECS)
        .await?
    {
        Ok(())
    } else {
        Err(BookingError::TooManyRequests)
    }
}

/// A booking as stored.
pub struct Booking {
    /// Its key.
    pub key: TenantKey,
    /// The item.
    pub record: Record,
}

impl Booking {
    /// The staff member.
    pub fn staff(&self) -> Result<UserId, BookingError> {
        self.record
            .string("staff_id")?
            .parse()
            .map_err(|_| BookingError::Internal)
    }

    fn open(&self, field: &'static str) -> FieldBinding<'_> {
        FieldBinding {
            pk: self.key.pk_str(),
            sk: self.key.sk_str(),
            field,
        }
    }

    /// The customer's name and email, opened.
    pub async fn customer(
        &self,
        p: &Platform,
        scope: &TenantScope,
    ) -> Result<(String, EmailAddress), BookingError> {
        let name = p
            .envelope
            .open(
                scope,
                Purpose::PersonalData,
                self.open("customer_name"),
                self.record.bytes("customer_name")?,
            )
            .await?;
        let email = p
            .envelope
            .open(
                scope,
                Purpose::PersonalData,
                self.open("customer_email"),
                self.record.bytes("customer_email")?,
            )
            .await?;
        let name = String::from_utf8(name).map_err(|_| BookingError::Internal)?;
        let email = String::from_utf8(email)
            .map_err(|_| BookingError::Internal)?
            .parse()
            .map_err(|_| BookingError::Internal)?;
        Ok((name, email))
    }

    /// The view the tenant and the customer see.
    pub async fn view(
        &self,
        p: &Platform,
        scope: &TenantScope,
    ) -> Result<BookingView, BookingError> {
        let (customer_name, customer_email) = self.customer(p, scope).await?;
        let answers = p
            .envelope
            .open(
                scope,
                Purpose::PersonalData,
                self.open("answers"),
                self.record.bytes("answers")?,
            )
            .await?;
        let customer_phone = match self.record.optional_bytes("customer_phone") {
            Some(sealed) => Some(
                String::from_utf8(
                    p.envelope
                        .open(
                            scope,
                            Purpose::PersonalData,
                            self.open("customer_phone"),
                            sealed,
                        )
                        .await?,
                )
                .map_err(|_| BookingError::Internal)?,
            ),
            None => None,
        };
        Ok(BookingView {
            booking: booked_from(&self.record)?,
            customer_name,
            customer_email: customer_email.as_str().to_owned(),
            customer_phone,
            answers: serde_json::from_slice(&answers).map_err(|_| BookingError::Internal)?,
        })
    }
}

/// A booking with its customer's details.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BookingView {
    /// Times, service, staff and status.
    #[serde(flatten)]
    pub booking: Booked,
    /// Customer's name.
    pub customer_name: String,
    /// Customer's email.
    pub customer_email: String,
    /// Customer's phone.
    pub customer_phone: Option<String>,
    /// Form answers.
    pub answers: BTreeMap<String, String>,
}

/// Loads a booking by id.
pub async fn load(
    p: &Platform,
    scope: &TenantScope,
    id: &str,
) -> Result<Option<Booking>, BookingError> {
    let Ok(id) = id.parse::<ItemId>() else {
        return Ok(None);
    };
    let key = TenantKey::new(scope, Entity::Booking(id.as_str()));
    Ok(p.store
        .get(scope, &key)
        .await?
        .map(|record| Booking { key, record }))
}

/// Follows a manage link to its booking.
pub async fn by_manage_token(
    p: &Platform,
    token: &str,
) -> Result<(TenantScope, Booking), BookingError> {
    let token = SecretToken::parse(token).ok_or(BookingError::NotFound)?;
    let pointer = p
        .store
        .pointer(&GlobalKey::ManageBooking(token.hash()))
        .await?
        .ok_or(BookingError::NotFound)?;
    let id = pointer.item.ok_or(BookingError::Internal)?;
    let scope = TenantScope::from_resolved(pointer.tenant);
    crate::telemetry::record_tenant(scope.tenant_id());
    let booking = load(p, &scope, &id).await?.ok_or(BookingError::NotFound)?;
    Ok((scope, booking))
}

fn claim_writes(
    scope: &TenantScope,
    staff: &UserId,
    units: &[i64],
    booking_id: &str,
    put: bool,
) -> Vec<Write> {
    units
        .iter()
        .map(|u| {
            let key = TenantKey::new(scope, Entity::Claim(staff, *u));
            if put {
                Write::Put(
                    key,
                    Attrs::new()
                        .string("booking_id", booking_id)
                        .expires_at(u + 86_400),
                    Condition::NotExists,
                )
            } else {
                Write::Delete(key, Condition::Exists)
            }
        })
        .collect()
}

/// The personal-data-free part of a booking or index item.
fn booked_from(r: &Record) -> Result<Booked, BookingError> {
    Ok(Booked {
        booking_id: r.string("booking_id")?.to_owned(),
        service_id: r.string("service_id")?.to_owned(),
        staff_id: r.string("staff_id")?.to_owned(),
        start: rfc3339(r.number("start")?),
        end: rfc3339(r.number("end")?),
        status: r.string("status")?.to_owned(),
    })
}

/// The by-start index entry of a confirmed booking.
fn index_attrs(booking_id: &str, staff: &UserId, service_id: &str, start: i64, end: i64) -> Attrs {
    Attrs::new()
        .string("booking_id", booking_id)
        .string("staff_id", staff.as_str())
        .string("service_id", service_id)
        .number("start", start)
        .number("end", end)
        .string("status", "confirmed")
}

fn span_of(r: &Record) -> Result<Interval, BookingError> {
    Ok(Interval {
        start: r.number("span_start")?,
        end: r.number("span_end")?,
    })
}

/// Cancels a booking and releases its claims in one transaction.
pub async fn cancel(
    p: &Platform,
    scope: &TenantScope,
    booking: &Booking,
) -> Result<(), BookingError> {
    if booking.record.string("status")? != "confirmed" {
        return Err(BookingError::NotFound);
    }
    let staff = booking.staff()?;
    let id = booking.record.string("booking_id")?.to_owned();
    let start = booking.record.number("start")?;
    let mut writes = vec![
        // Only a booking still confirmed at its start can be cancelled: a
        // concurrent cancel or move makes this one fail instead of releasing
        // claims that are no longer its own.
        Write::Update(
            booking.key.clone(),
            Attrs::new().string("status", "cancelled"),
            still_as_read(&booking.record)?,
        ),
        Write::Update(
            TenantKey::new(scope, Entity::BookingByStart(start, &id)),
            Attrs::new().string("status", "cancelled"),
            Condition::Exists,
        ),
    ];
    writes.extend(claim_writes(
        scope,
        &staff,
        &units(span_of(&booking.record)?),
        &id,
        false,
    ));
    p.store
        .transact(writes)
        .await
        .map_err(|e| changed_meanwhile(e, BookingError::NotFound))?;
    Ok(())
}

/// The state a change of a booking expects: confirmed, and starting when it did
/// when it was read.
fn still_as_read(record: &Record) -> Result<Condition, BookingError> {
    Ok(Condition::All(vec![
        Condition::ExistsWithString("status", "confirmed".into()),
        Condition::ExistsWithNumber("start", record.number("start")?),
    ]))
}

/// A booking changed by another request between read and write: the caller
/// learns what the refusal means for it, never a server error.
fn changed_meanwhile(e: StoreError, refusal: BookingError) -> BookingError {
    match e {
        StoreError::Conflict => refusal,
        other => other.into(),
    }
}

/// Moves a booking to another open start with the same staff member: new
/// claims, released claims and the booking change in one transaction, so the
/// booking never holds both slots or neither.
pub async fn reschedule(
    p: &Platform,
    scope: &TenantScope,
    tz: chrono_tz::Tz,
    horizon: Horizon,
    booking: &Booking,
    new_start: &str,
) -> Result<Booked, BookingError> {
    if booking.record.string("status")? != "confirmed" {
        return Err(BookingError::NotFound);
    }
    let start = parse_start(new_start)?;
    horizon.check_start(start, crate::clock::now_unix())?;
    if start == booking.record.number("start")? {
        // Already there: nothing to move.
        return booked_from(&booking.record);
    }
    let service = catalog::service(&p.store, scope, booking.record.string("service_id")?)
        .await?
        .ok_or(BookingError::NotFound)?;
    let t = timing(&service);
    let staff = booking.staff()?;
    let id = booking.record.string("booking_id")?.to_owned();
    let old_span = span_of(&booking.record)?;
    let new_span = span(start, t.duration, t.buffer_before, t.buffer_after);
    let old_units = units(old_span);
    let new_units = units(new_span);
    let date = DateTime::from_timestamp(start, 0)
        .ok_or(BookingError::Internal)?
        .with_timezone(&tz)
        .date_naive();
    let schedule = catalog::schedule(&p.store, scope, &staff).await?;
    let working = super::availability::working_intervals(
        tz,
        &schedule,
        date.pred_opt().unwrap_or(date),
        date.succ_opt().unwrap_or(date),
    );
    // The booking's own units do not block its move.
    let others = merge_units(
        &occupied_units(p, scope, &staff, new_span)
            .await?
            .into_iter()
            .filter(|u| !old_units.contains(u))
            .collect::<Vec<_>>(),
    );
    let mut blocking = catalog::busy_blocks(&p.store, scope, &staff, new_span).await?;
    blocking.extend(others);
    if !is_open(&working, &blocking, t, start, crate::clock::now_unix()) {
        return Err(BookingError::SlotTaken);
    }
    let release: Vec<i64> = old_units
        .iter()
        .copied()
        .filter(|u| !new_units.contains(u))
        .collect();
    let claim: Vec<i64> = new_units
        .iter()
        .copied()
        .filter(|u| !old_units.contains(u))
        .collect();
    if release.len() + claim.len() + 3 > 100 {
        return Err(invalid(
            "start",
            "a move this far for an appointment this long must be a cancellation and a new booking",
        ));
    }
    let old_start = booking.record.number("start")?;
    let mut writes = vec![
        Write::Update(
            booking.key.clone(),
            Attrs::new()
                .number("start", start)
                .number("end", start + t.duration)
                .number("span_start", new_span.start)
                .number("span_end", new_span.end),
            still_as_read(&booking.record)?,
        ),
        Write::Delete(
            TenantKey::new(scope, Entity::BookingByStart(old_start, &id)),
            Condition::Exists,
        ),
        Write::Put(
            TenantKey::new(scope, Entity::BookingByStart(start, &id)),
            index_attrs(&id, &staff, &service.id, start, start + t.duration),
            Condition::NotExists,
        ),
    ];
    writes.extend(claim_writes(scope, &staff, &release, &id, false));
    writes.extend(claim_writes(scope, &staff, &claim, &id, true));
    match p.store.transact(writes).await {
        Ok(()) => {}
        Err(StoreError::Conflict) => {
            // Either the new time was taken, or the booking itself changed
            // (cancelled or moved by another request): say which.
            let now = load(p, scope, &id).await?;
            let unchanged = now.as_ref().is_some_and(|b| {
                b.record.optional_string("status") == Some("confirmed")
                    && b.record.number("start").ok() == Some(old_start)
            });
            return Err(if unchanged {
                BookingError::SlotTaken
            } else {
                BookingError::NotFound
            });
        }
        Err(e) => return Err(e.into()),
    }
    Ok(Booked {
        booking_id: id,
        service_id: service.id,
        staff_id: staff.to_string(),
        start: rfc3339(start),
        end: rfc3339(start + t.duration),
        status: "confirmed".into(),
    })
}

async fn occupied_units(
    p: &Platform,
    scope: &TenantScope,
    staff: &UserId,
    window: Interval,
) -> Result<Vec<i64>, StoreError> {
    Ok(p.store
        .list_between(
            scope,
            Collection::Claims(staff),
            &time_key(window.start - 300),
            &time_key(window.end),
        )
        .await?
        .iter()
        .filter_map(|r| r.sort_key().ok()?.parse().ok())
        .collect())
}

/// Bookings starting in `[from, to)`, optionally for one staff member.
pub async fn list(
    p: &Platform,
    scope: &TenantScope,
    from: i64,
    to: i64,
    staff: Option<&str>,
) -> Result<Vec<Booked>, BookingError> {
    if to <= from || to - from > MAX_WINDOW_DAYS * 86_400 {
        return Err(invalid(
            "to",
            format!("the range must be at most {MAX_WINDOW_DAYS} days"),
        ));
    }
    let records = p
        .store
        .list_between(
            scope,
            Collection::BookingsByStart,
            &time_key(from),
            &time_key(to - 1),
        )
        .await?;
    records
        .iter()
        .filter(|r| staff.is_none_or(|s| r.optional_string("staff_id") == Some(s)))
        .map(booked_from)
        .collect()
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any text, and any RFC 3339 time chrono can represent, is accepted or
        /// refused as a start without panicking; what is accepted is on the grid.
        #[test]
        fn starts_parse_or_are_refused_without_panicking(
            text in ".{0,40}",
            secs in -8_000_000_000_000i64..8_000_000_000_000,
            offset_minutes in -1439i32..=1439,
        ) {
            let _ = parse_start(&text);
            if let (Some(t), Some(zone)) = (
                DateTime::from_timestamp(secs, 0),
                chrono::FixedOffset::east_opt(offset_minutes * 60),
            ) {
                let written = t.with_timezone(&zone).to_rfc3339();
                if let Ok(start) = parse_start(&written) {
                    prop_assert_eq!(start % 300, 0);
                    prop_assert_eq!(start, secs);
                }
            }
        }
    }
}
