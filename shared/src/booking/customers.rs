//! End customers as a whole rather than one booking at a time: finding every
//! booking of one person (PRIV-1 exports, PRIV-2 erasure) and erasing them on
//! request.
//!
//! A customer is named only by keyed hashes of their address: bookings carry
//! [`CUSTOMER_HASH_ATTR`], the mail side (unsubscribes, suppressions, hourly
//! counters) a recipient hash. Both are derived from the address the business
//! gives, so an erasure that stopped half way is finished by asking again.
//!
//! # What erasing removes
//! From each booking of the address: the sealed name, email, phone and
//! answers, the address hash, the idempotency hash of the request that made it
//! (a keyed hash of a body holding the name and address), its reminders, and
//! the manage link (hash on the booking and the global pointer). The booking
//! keeps its time, service, staff and status, so the slot stays taken and the
//! business's accounting stays right; it is marked [`ERASED_ATTR`]. Then every
//! outbox entry still waiting to mail the address, the recipient's
//! unsubscribe record and their hourly mail counters.
//!
//! # What it keeps
//! A suppression (the address bounced permanently or its owner complained) is
//! kept: it holds only the keyed recipient hash, a reason and a time, and is
//! what stops the business mailing an address that hurts its sending
//! reputation, or mailing someone who complained, if the same address is
//! given again. Keeping the means to honour an objection is what the person
//! asked for, and the hash cannot be turned back into the address.
//!
//! # Once, under retries and races
//! Bookings are erased in transactions of at most [`BATCH`] bookings, each
//! conditional on the booking still carrying the address hash and carrying
//! its own audit event (`customer.erased`, naming a random erasure id and the
//! count, never the address or a hash of it). Two erasures of the same person
//! racing each other therefore erase each booking once and audit it once; the
//! loser re-reads its batch and finds nothing left. A booking changed
//! meanwhile (moved, cancelled) is re-read and erased as it is now. Memory
//! holds one page of the Query and one batch, whatever the tenant's size.

use serde::Serialize;

use super::bookings::{Booking, BookingError, CUSTOMER_HASH_ATTR, ERASED_ATTR};
use crate::audit::{AuditEvent, Outcome};
use crate::crypto::{LookupKey, TokenHash};
use crate::email::EmailAddress;
use crate::store::{Attrs, Collection, Condition, Filter, GlobalKey, StoreError, TenantKey, Write};
use crate::tenancy::{ItemId, TenantScope};
use crate::Platform;

/// Booking items one Query reads before its filter: bounds the memory of a
/// scan through a tenant with many bookings.
pub const PAGE_ITEMS: i32 = 500;
/// Bookings erased in one transaction (two writes each, plus the audit event,
/// within DynamoDB's 100).
pub const BATCH: usize = 40;
/// How often one batch is read again after its transaction lost a race before
/// the caller is told to try again.
const MAX_ROUNDS: usize = 5;

/// The keyed hash of an address that bookings carry.
pub fn booking_hash(lookup: &LookupKey, email: &EmailAddress) -> String {
    lookup.digest(&email.lookup_form())
}

/// One page of a customer's bookings. It may be empty while `next` is set:
/// the filter applies after the read.
pub struct BookingsPage {
    /// The bookings found on this page.
    pub bookings: Vec<Booking>,
    /// Where the next page starts, if there is one.
    pub next: Option<String>,
}

/// The bookings carrying `customer_hash` ([`booking_hash`]), one page of the
/// tenant's core partition at a time: call again with `next` until it is
/// `None`. One Query per page, strongly consistent; memory is bounded by
/// [`PAGE_ITEMS`] whatever the size of the tenant.
pub async fn bookings_of_customer(
    p: &Platform,
    scope: &TenantScope,
    customer_hash: &str,
    cursor: Option<&str>,
) -> Result<BookingsPage, BookingError> {
    let page = p
        .store
        .list_where(
            scope,
            Collection::Bookings,
            Filter::Equals(CUSTOMER_HASH_ATTR, customer_hash),
            PAGE_ITEMS,
            cursor,
        )
        .await?;
    let bookings = page
        .records
        .into_iter()
        .map(|record| {
            let key = TenantKey::new(
                scope,
                crate::store::Entity::Booking(
                    record
                        .sort_key()?
                        .strip_prefix("BOOKING#")
                        .ok_or(StoreError::Integrity)?,
                ),
            );
            Ok(Booking { key, record })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(BookingsPage {
        bookings,
        next: page.next,
    })
}

/// `POST /v1/tenants/{tenant_id}/customers/erasure`
#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureInput {
    /// The address the customer booked with (compared as the lookup form:
    /// case does not matter).
    #[schema(format = Email, max_length = 254)]
    pub email: String,
}

impl ErasureInput {
    /// The address, or the field error a client sees (422).
    pub fn address(&self) -> Result<EmailAddress, crate::http::FieldError> {
        self.email
            .parse::<EmailAddress>()
            .map_err(|e| crate::http::FieldError {
                field: "email",
                message: e.to_string(),
            })
    }
}

/// What an erasure did. The same for a person who never booked and for one
/// erased before (no bookings): the count is all a caller learns.
#[derive(Debug, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Erasure {
    /// Bookings this request erased.
    pub bookings_erased: usize,
    /// The reference in the audit log's `customer.erased` events of this
    /// request; `null` when it erased no booking (and audited nothing).
    pub erasure_id: Option<String>,
}

/// Why an erasure did not finish.
#[derive(Debug)]
pub enum ErasureError {
    /// Reading or writing failed; what was erased stays erased, asking again
    /// finishes the rest.
    Booking(BookingError),
    /// Parallel erasures of the same customer kept changing the same bookings;
    /// asking again finishes the job.
    InProgress,
}

impl From<BookingError> for ErasureError {
    fn from(e: BookingError) -> Self {
        ErasureError::Booking(e)
    }
}

impl From<StoreError> for ErasureError {
    fn from(e: StoreError) -> Self {
        ErasureError::Booking(e.into())
    }
}

/// Who asks, for the audit log.
pub struct Requester<'a> {
    /// The actor as audited (a user id, or a user's key).
    pub actor: String,
    /// The client address.
    pub client_addr: &'a str,
}

/// Erases everything of the person behind `email` in this tenant (see the
/// module documentation). Safe to repeat and to run in parallel.
pub async fn erase(
    p: &Platform,
    scope: &TenantScope,
    email: &EmailAddress,
    by: &Requester<'_>,
) -> Result<Erasure, ErasureError> {
    let lookup = super::preferences::lookup(p, scope).await?;
    let hash = booking_hash(&lookup, email);
    let erasure_id = ItemId::time_ordered().to_string();
    let mut erased = 0;
    let mut pending: Vec<Booking> = Vec::with_capacity(BATCH);
    let mut cursor: Option<String> = None;
    loop {
        let page = bookings_of_customer(p, scope, &hash, cursor.as_deref()).await?;
        for booking in page.bookings {
            pending.push(booking);
            if pending.len() == BATCH {
                let batch = std::mem::replace(&mut pending, Vec::with_capacity(BATCH));
                erased += erase_batch(p, scope, batch, &hash, &erasure_id, by).await?;
            }
        }
        match page.next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    if !pending.is_empty() {
        erased += erase_batch(p, scope, pending, &hash, &erasure_id, by).await?;
    }
    // After the bookings: a change racing the erasure could still have queued
    // mail until then (it fails from now on, see `bookings::still_as_read`).
    let dropped = crate::email::outbox::drop_waiting_for(p, scope, email).await?;
    // Their access exports (PRIV-1) hold their bookings opened.
    crate::export::forget_customer(p, scope, &hash).await?;
    let recipient = super::preferences::recipient(&lookup, email);
    p.store
        .transact(vec![Write::Delete(
            TenantKey::new(scope, crate::store::Entity::Unsubscribed(&recipient)),
            Condition::None,
        )])
        .await?;
    crate::email::outbox::forget_limits(p, &recipient, crate::clock::now_unix()).await?;
    tracing::info!(
        bookings_erased = erased,
        outbox_entries_dropped = dropped,
        erasure_id = %erasure_id,
        "customer erased"
    );
    Ok(Erasure {
        bookings_erased: erased,
        erasure_id: (erased > 0).then_some(erasure_id),
    })
}

/// Erases one batch in one transaction. When it loses a race (another
/// erasure, a move or a cancellation touched one of its bookings), each is
/// read again and the batch retried with those still naming the customer, as
/// they are now. Returns how many this call erased.
async fn erase_batch(
    p: &Platform,
    scope: &TenantScope,
    mut batch: Vec<Booking>,
    hash: &str,
    erasure_id: &str,
    by: &Requester<'_>,
) -> Result<usize, ErasureError> {
    for _ in 0..MAX_ROUNDS {
        if batch.is_empty() {
            return Ok(0);
        }
        match p
            .store
            .transact(erase_writes(scope, &batch, hash, erasure_id, by))
            .await
        {
            Ok(()) => return Ok(batch.len()),
            Err(StoreError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
        let mut current = Vec::with_capacity(batch.len());
        for booking in batch {
            if let Some(record) = p.store.get(scope, &booking.key).await? {
                if record.optional_string(CUSTOMER_HASH_ATTR) == Some(hash) {
                    current.push(Booking {
                        key: booking.key,
                        record,
                    });
                }
            }
        }
        batch = current;
    }
    tracing::warn!("customer erasure kept losing races; the caller retries");
    Err(ErasureError::InProgress)
}

/// One batch's transaction: each booking loses its personal fields and its
/// manage link, on condition it still names the customer; one audit event.
fn erase_writes(
    scope: &TenantScope,
    batch: &[Booking],
    hash: &str,
    erasure_id: &str,
    by: &Requester<'_>,
) -> Vec<Write> {
    let mut writes = Vec::with_capacity(batch.len() * 2 + 1);
    for booking in batch {
        let cleared = [
            "customer_name",
            "customer_email",
            "customer_phone",
            "answers",
            CUSTOMER_HASH_ATTR,
            "manage_token_hash",
            "request_hash",
        ]
        .into_iter()
        .fold(Attrs::new(), Attrs::remove)
        .boolean(ERASED_ATTR, true);
        writes.push(Write::Update(
            booking.key.clone(),
            super::reminders::unschedule(cleared),
            Condition::ExistsWithString(CUSTOMER_HASH_ATTR, hash.to_owned()),
        ));
        if let Some(token) = booking.record.optional_string("manage_token_hash") {
            writes.push(Write::DeletePointer(
                GlobalKey::ManageBooking(TokenHash::from_stored(token.to_owned())),
                Condition::None,
            ));
        }
    }
    writes.push(
        AuditEvent {
            kind: "customers",
            action: "customer.erased",
            actor: by.actor.clone(),
            target: format!("erasure:{erasure_id} bookings:{}", batch.len()),
            client_addr: by.client_addr.to_owned(),
            outcome: Outcome::Success,
        }
        .write(scope),
    );
    writes
}
