//! Bookings (BOOK-1, BOOK-3, BOOK-4): a booking and a claim on every 5-minute
//! unit it blocks are written in one conditional transaction, so a slot can
//! never be booked twice, however many requests race for it.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::availability::{is_open, open_slots, span, units, Interval, Timing};
use super::catalog::Service;
use super::context::TenantContext;
use super::horizon::Horizon;
use crate::crypto::{FieldBinding, Purpose, SecretToken};
use crate::email::EmailAddress;
use crate::http::FieldError;
use crate::store::{
    Attrs, Condition, Entity, GlobalKey, Record, StoreError, TenantKey, ThrottleKey, TimelineEntry,
    TxError, Write, MAX_TIMELINE_SPAN_SECS,
};
use crate::tenancy::{ItemId, TenantScope, UserId};
use crate::Platform;

/// The keyed hash of the customer's address on a booking: how erasure and
/// exports find a customer's bookings without an address in any key.
pub const CUSTOMER_HASH_ATTR: &str = "customer_email_hash";
/// Set on a booking whose customer was erased (PRIV-2).
pub const ERASED_ATTR: &str = "erased";

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

/// What occupies `staff` according to timeline records: confirmed bookings
/// with their buffers (except `except`, a booking being moved) and busy time.
fn occupied(records: &[Record], staff: &UserId, except: Option<&str>) -> Vec<Interval> {
    records
        .iter()
        .filter(|r| r.optional_string("staff_id") == Some(staff.as_str()))
        .filter_map(|r| match r.optional_string("kind") {
            Some("booking")
                if r.optional_string("status") == Some("confirmed")
                    && r.optional_string("booking_id") != except =>
            {
                Some(Interval {
                    start: r.number("span_start").ok()?,
                    end: r.number("span_end").ok()?,
                })
            }
            Some("busy") => Some(Interval {
                start: r.number("start").ok()?,
                end: r.number("end").ok()?,
            }),
            _ => None,
        })
        .collect()
}

/// Timeline records that can overlap `window`: one Query.
async fn timeline_around(
    p: &Platform,
    scope: &TenantScope,
    window: Interval,
) -> Result<Vec<Record>, StoreError> {
    p.store
        .timeline(scope, window.start - MAX_TIMELINE_SPAN_SECS, window.end)
        .await
}

/// Open slots of a service between two local dates (inclusive), for one staff
/// member or all who deliver it: the business from `ctx`, and one Query of the
/// timeline for everything that occupies them.
pub async fn availability(
    p: &Platform,
    scope: &TenantScope,
    ctx: &TenantContext,
    service: &Service,
    staff: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Slot>, BookingError> {
    let now = crate::clock::now_unix();
    let (tz, horizon) = (ctx.tz, ctx.horizon());
    horizon.check_range(to, tz, now)?;
    if to < from || to.signed_duration_since(from).num_days() >= MAX_WINDOW_DAYS {
        return Err(invalid(
            "to",
            format!("the range must be 1 to {MAX_WINDOW_DAYS} days"),
        ));
    }
    let t = timing(service);
    let mut working = Vec::new();
    for member in candidates(service, staff)? {
        let hours = super::availability::working_intervals(tz, &ctx.schedule(&member), from, to);
        if !hours.is_empty() {
            working.push((member, hours));
        }
    }
    let (Some(first), Some(last)) = (
        working
            .iter()
            .filter_map(|(_, h)| h.first())
            .map(|i| i.start)
            .min(),
        working
            .iter()
            .filter_map(|(_, h)| h.last())
            .map(|i| i.end)
            .max(),
    ) else {
        return Ok(Vec::new());
    };
    let records = timeline_around(
        p,
        scope,
        Interval {
            start: first - t.buffer_before,
            end: last + t.buffer_after,
        },
    )
    .await?;
    Ok(slots_of(&working, &records, t, horizon, now))
}

/// The open slots of every candidate, earliest first (pure: measured in-process).
pub fn slots_of(
    working: &[(UserId, Vec<Interval>)],
    records: &[Record],
    t: Timing,
    horizon: Horizon,
    now: i64,
) -> Vec<Slot> {
    let latest = horizon.latest(now);
    // Nothing starts before the notice period has passed.
    let earliest = horizon.earliest(now);
    let mut slots = Vec::new();
    for (member, hours) in working {
        let (Some(first), Some(last)) = (hours.first(), hours.last()) else {
            continue;
        };
        let window = Interval {
            start: first.start,
            end: last.end,
        };
        let busy = occupied(records, member, None);
        for start in open_slots(hours, &busy, t, window, earliest) {
            if start <= latest {
                slots.push((start, member.to_string()));
            }
        }
    }
    slots.sort();
    slots
        .into_iter()
        .map(|(s, staff_id)| Slot {
            start: rfc3339(s),
            staff_id,
        })
        .collect()
}

fn parse_staff(ids: &[String]) -> Vec<UserId> {
    ids.iter().filter_map(|s| s.parse().ok()).collect()
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

/// A created booking.
pub struct Created {
    /// The answer.
    pub booked: Booked,
    /// Whether this answer replays an earlier request with the same key.
    pub replayed: bool,
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

/// Books a slot exactly once, in one transaction: the booking, a claim on
/// every unit it blocks, its manage link, its mail (outbox) and the client's
/// count against the booking limit.
///
/// Idempotency: the booking's id is a keyed hash of the idempotency key, so the
/// booking item itself is the idempotency record. A repeat of a request that
/// committed finds its booking and gets the same answer; two copies racing
/// each other cannot both create it; a repeat with a different body is refused.
pub async fn create(
    p: &Platform,
    scope: &TenantScope,
    ctx: &TenantContext,
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
    let lookup = ctx
        .tenant
        .lookup_key(p, scope)
        .await
        .map_err(|_| BookingError::Unavailable)?;
    let booking_id = ItemId::from_digest_hex(&lookup.digest(&format!("booking:{idempotency_key}")))
        .ok_or(BookingError::Internal)?;
    // Keyed: the body holds the customer's name, email and phone.
    let request_hash =
        lookup.digest(&serde_json::to_string(&input).map_err(|_| BookingError::Internal)?);
    let new = NewBooking {
        ctx,
        input,
        lookup: &lookup,
        booking_id: &booking_id,
        request_hash: &request_hash,
        client_addr,
    };
    match book(p, scope, new).await {
        Ok(created) => Ok(created),
        // Whatever refused it, a copy of this request that committed earlier
        // or meanwhile has the one true answer.
        Err(refused) => match replay(p, scope, &booking_id, &request_hash).await? {
            Some(r) => Ok(r),
            None => Err(refused),
        },
    }
}

/// A booking request.
struct NewBooking<'a> {
    ctx: &'a TenantContext,
    input: BookingInput,
    lookup: &'a crate::crypto::LookupKey,
    booking_id: &'a ItemId,
    request_hash: &'a str,
    client_addr: &'a str,
}

/// The work of a new booking.
async fn book(
    p: &Platform,
    scope: &TenantScope,
    new: NewBooking<'_>,
) -> Result<Created, BookingError> {
    let NewBooking {
        ctx,
        input,
        lookup,
        booking_id,
        request_hash,
        client_addr,
    } = new;
    let tz = ctx.tz;
    let service = ctx
        .bookable_service(&input.service_id)
        .ok_or_else(|| invalid("service_id", "is not a bookable service"))?;
    let email = validate_customer(&input, &ctx.form)?;
    let start = parse_start(&input.start)?;
    let t = timing(service);
    let now = crate::clock::now_unix();
    ctx.horizon().check_start(start, now)?;
    let date = DateTime::from_timestamp(start, 0)
        .ok_or(BookingError::Internal)?
        .with_timezone(&tz)
        .date_naive();
    let candidates = candidates(service, Some(&input.staff_id))
        .map_err(|_| invalid("staff_id", "does not deliver this service"))?;
    let s = span(start, t.duration, t.buffer_before, t.buffer_after);
    let records = timeline_around(p, scope, s).await?;
    let staff = candidates
        .into_iter()
        .find(|member| {
            let working = super::availability::working_intervals(
                tz,
                &ctx.schedule(member),
                date.pred_opt().unwrap_or(date),
                date.succ_opt().unwrap_or(date),
            );
            is_open(&working, &occupied(&records, member, None), t, start, now)
        })
        .ok_or(BookingError::SlotTaken)?;

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
    let offsets = ctx.reminder_offsets();
    let mut booking = Attrs::new()
        .string(CUSTOMER_HASH_ATTR, lookup.digest(&email.lookup_form()))
        .string("request_hash", request_hash)
        .string("booking_id", booking_id.as_str())
        .string("service_id", service.id.clone())
        .string("staff_id", staff.as_str())
        .number("start", start)
        .number("end", start + t.duration)
        .number("span_start", s.start)
        .number("span_end", s.end)
        .string("status", "confirmed")
        .bytes("customer_name", sealed_name)
        .bytes("customer_email", sealed_email)
        .bytes("answers", sealed_answers)
        .number("created_at", now)
        .strings(
            "reminder_offsets",
            offsets.iter().map(ToString::to_string).collect(),
        )
        .on_timeline(scope, start, TimelineEntry::Booking(booking_id.as_str()));
    if let Some(due) = super::reminders::next_due(start, &offsets, now) {
        booking = super::reminders::schedule(booking, scope, booking_id.as_str(), due);
    }
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
    let mail = super::mail::confirmation(p, ctx, &booked, start, &token, &email, &name)?;
    let window_start = now - now.rem_euclid(BOOKING_WINDOW_SECS);
    let mut writes = vec![
        Write::Put(
            booking_key.clone(),
            booking.string("manage_token_hash", token.hash().as_str()),
            Condition::NotExists,
        ),
        Write::PutPointer(
            GlobalKey::ManageBooking(token.hash()),
            scope.tenant_id().clone(),
            Attrs::new()
                .string("item", booking_id.as_str())
                .expires_at(start + 30 * 86_400),
            Condition::NotExists,
        ),
        crate::email::outbox::entry(p, scope, &mail)
            .await
            .map_err(|_| BookingError::Unavailable)?,
        Write::count(
            ThrottleKey {
                action: "booking",
                client: client_addr,
                window_start,
            },
            BOOKINGS_PER_CLIENT,
            BOOKING_WINDOW_SECS,
        ),
    ];
    const THROTTLE_WRITE: usize = 3;
    for unit in units(s) {
        writes.push(Write::Put(
            TenantKey::new(scope, Entity::Claim(&staff, unit)),
            Attrs::new()
                .string("booking_id", booking_id.as_str())
                .expires_at(unit + 86_400),
            Condition::NotExists,
        ));
    }
    match p.store.transact_detailed(writes).await {
        Ok(()) => Ok(Created {
            booked,
            replayed: false,
        }),
        Err(TxError::Cancelled(failed))
            if failed.get(THROTTLE_WRITE) == Some(&true)
                && !failed
                    .iter()
                    .enumerate()
                    .any(|(i, f)| *f && i != THROTTLE_WRITE) =>
        {
            Err(BookingError::TooManyRequests)
        }
        Err(TxError::Cancelled(_)) => Err(BookingError::SlotTaken),
        Err(TxError::Store(e)) => Err(e.into()),
    }
}

/// The answer to a request whose booking exists already: the same answer for
/// the same body, a refusal for a different one.
async fn replay(
    p: &Platform,
    scope: &TenantScope,
    booking_id: &ItemId,
    request_hash: &str,
) -> Result<Option<Created>, BookingError> {
    let Some(record) = p
        .store
        .get(
            scope,
            &TenantKey::new(scope, Entity::Booking(booking_id.as_str())),
        )
        .await?
    else {
        return Ok(None);
    };
    if record.optional_string("request_hash") != Some(request_hash) {
        return Err(BookingError::IdempotencyMismatch);
    }
    Ok(Some(Created {
        booked: booked_from(&record)?,
        replayed: true,
    }))
}

/// Booking creations one client address may make per window (MAIL-4: the
/// public route cannot be used to flood inboxes). Only well-formed requests for
/// an open slot count, so refused input changes nothing.
pub const BOOKINGS_PER_CLIENT: i64 = 20;
const BOOKING_WINDOW_SECS: i64 = 900;

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

    /// Whether the customer's personal data was erased on request (PRIV-2):
    /// the booking keeps its time, service, staff and status, so availability
    /// and accounting stay right, and nothing else.
    pub fn is_erased(&self) -> bool {
        self.record.flag(ERASED_ATTR)
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
        if self.is_erased() {
            return Ok(BookingView {
                booking: booked_from(&self.record)?,
                customer_name: None,
                customer_email: None,
                customer_phone: None,
                answers: BTreeMap::new(),
                erased: true,
            });
        }
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
            customer_name: Some(customer_name),
            customer_email: Some(customer_email.as_str().to_owned()),
            customer_phone,
            answers: serde_json::from_slice(&answers).map_err(|_| BookingError::Internal)?,
            erased: false,
        })
    }
}

/// A booking with its customer's details.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BookingView {
    /// Times, service, staff and status.
    #[serde(flatten)]
    pub booking: Booked,
    /// Customer's name; `null` once the customer was erased.
    pub customer_name: Option<String>,
    /// Customer's email; `null` once the customer was erased.
    pub customer_email: Option<String>,
    /// Customer's phone.
    pub customer_phone: Option<String>,
    /// Form answers (none once the customer was erased).
    pub answers: BTreeMap<String, String>,
    /// Whether the customer's personal data was erased on request (PRIV-2);
    /// the time, service, staff and status stay.
    pub erased: bool,
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
    // Erasure deletes the pointer with the booking's personal data; a link
    // read while that happened is as dead as one read after.
    if booking.is_erased() {
        return Err(BookingError::NotFound);
    }
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

fn span_of(r: &Record) -> Result<Interval, BookingError> {
    Ok(Interval {
        start: r.number("span_start")?,
        end: r.number("span_end")?,
    })
}

/// Cancels a booking, releases its claims, drops its reminders and queues the
/// notices, in one transaction.
pub async fn cancel(
    p: &Platform,
    scope: &TenantScope,
    ctx: &TenantContext,
    booking: &Booking,
) -> Result<(), BookingError> {
    if booking.record.string("status")? != "confirmed" {
        return Err(BookingError::NotFound);
    }
    let staff = booking.staff()?;
    let id = booking.record.string("booking_id")?.to_owned();
    let mail = super::mail::changed(p, scope, ctx, booking, None).await?;
    let mut writes = vec![
        // Only a booking still confirmed at its start can be cancelled: a
        // concurrent cancel or move makes this one fail instead of releasing
        // claims that are no longer its own.
        Write::Update(
            booking.key.clone(),
            super::reminders::unschedule(Attrs::new().string("status", "cancelled")),
            still_as_read(&booking.record)?,
        ),
        crate::email::outbox::entry(p, scope, &mail)
            .await
            .map_err(|_| BookingError::Unavailable)?,
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

/// The state a change of a booking expects: confirmed, starting when it did
/// when it was read, and with the customer it had then, so a change racing an
/// erasure (PRIV-2) fails instead of queueing mail to the erased customer.
fn still_as_read(record: &Record) -> Result<Condition, BookingError> {
    Ok(Condition::All(vec![
        Condition::ExistsWithString("status", "confirmed".into()),
        Condition::ExistsWithNumber("start", record.number("start")?),
        Condition::ExistsWithOptionalString(
            CUSTOMER_HASH_ATTR,
            record
                .optional_string(CUSTOMER_HASH_ATTR)
                .map(str::to_owned),
        ),
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
/// claims, released claims, the booking change, its reminders for the new time
/// and the notices in one transaction, so the booking never holds both slots
/// or neither.
pub async fn reschedule(
    p: &Platform,
    scope: &TenantScope,
    ctx: &TenantContext,
    horizon: Horizon,
    booking: &Booking,
    new_start: &str,
) -> Result<Booked, BookingError> {
    if booking.record.string("status")? != "confirmed" {
        return Err(BookingError::NotFound);
    }
    let start = parse_start(new_start)?;
    let now = crate::clock::now_unix();
    horizon.check_start(start, now)?;
    if start == booking.record.number("start")? {
        // Already there: nothing to move.
        return booked_from(&booking.record);
    }
    let service = ctx
        .services
        .iter()
        .find(|s| booking.record.optional_string("service_id") == Some(s.id.as_str()))
        .ok_or(BookingError::NotFound)?;
    let t = timing(service);
    let staff = booking.staff()?;
    let id = booking.record.string("booking_id")?.to_owned();
    let old_span = span_of(&booking.record)?;
    let new_span = span(start, t.duration, t.buffer_before, t.buffer_after);
    let old_units = units(old_span);
    let new_units = units(new_span);
    let date = DateTime::from_timestamp(start, 0)
        .ok_or(BookingError::Internal)?
        .with_timezone(&ctx.tz)
        .date_naive();
    let working = super::availability::working_intervals(
        ctx.tz,
        &ctx.schedule(&staff),
        date.pred_opt().unwrap_or(date),
        date.succ_opt().unwrap_or(date),
    );
    // The booking's own time does not block its move.
    let records = timeline_around(p, scope, new_span).await?;
    if !is_open(
        &working,
        &occupied(&records, &staff, Some(&id)),
        t,
        start,
        now,
    ) {
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
    if release.len() + claim.len() + 2 > 100 {
        return Err(invalid(
            "start",
            "a move this far for an appointment this long must be a cancellation and a new booking",
        ));
    }
    let old_start = booking.record.number("start")?;
    let offsets: Vec<i64> = booking
        .record
        .strings("reminder_offsets")
        .iter()
        .filter_map(|o| o.parse().ok())
        .collect();
    let mut moved = Attrs::new()
        .number("start", start)
        .number("end", start + t.duration)
        .number("span_start", new_span.start)
        .number("span_end", new_span.end)
        .on_timeline(scope, start, TimelineEntry::Booking(&id));
    moved = match super::reminders::next_due(start, &offsets, now) {
        Some(due) => super::reminders::schedule(moved, scope, &id, due),
        None => super::reminders::unschedule(moved),
    };
    let mail = super::mail::changed(p, scope, ctx, booking, Some(start)).await?;
    let mut writes = vec![
        Write::Update(booking.key.clone(), moved, still_as_read(&booking.record)?),
        crate::email::outbox::entry(p, scope, &mail)
            .await
            .map_err(|_| BookingError::Unavailable)?,
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
        service_id: service.id.clone(),
        staff_id: staff.to_string(),
        start: rfc3339(start),
        end: rfc3339(start + t.duration),
        status: "confirmed".into(),
    })
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
    p.store
        .timeline(scope, from, to - 1)
        .await?
        .iter()
        .filter(|r| r.optional_string("kind") == Some("booking"))
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
