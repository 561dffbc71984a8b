//! Messages about bookings: the customer's confirmation with the manage link and
//! an iCalendar file, change notices, reminders, and a note to the staff
//! member. They are rendered from the message catalog in the business's
//! language with times in its zone, and queued in the outbox by the change
//! that causes them (MAIL-5); limits, suppression and unsubscribes apply when
//! they are sent.

use chrono::DateTime;
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};

use super::bookings::{Booked, Booking, BookingError};
use super::context::TenantContext;
use crate::crypto::SecretToken;
use crate::email::outbox::Queued;
use crate::email::{Attachment, EmailAddress};
use crate::i18n::{Mail, When};
use crate::tenancy::{TenantScope, UserId};
use crate::Platform;

/// An iCalendar file for the appointment; a cancellation carries the same UID
/// with status CANCELLED so calendars remove it.
pub fn ics(
    p: &Platform,
    booking_id: &str,
    start: i64,
    end: i64,
    cancelled: bool,
) -> Result<Attachment, BookingError> {
    let at = |secs| DateTime::from_timestamp(secs, 0).ok_or(BookingError::Internal);
    let mut event = Event::new();
    event
        .uid(&format!("{booking_id}@{}", p.config.mail_domain))
        .summary("Appointment")
        .starts(at(start)?)
        .ends(at(end)?)
        .status(if cancelled {
            EventStatus::Cancelled
        } else {
            EventStatus::Confirmed
        });
    let calendar = Calendar::new().push(event.done()).done();
    Ok(Attachment {
        filename: "appointment.ics".into(),
        content_type: "text/calendar; charset=utf-8; method=PUBLISH".into(),
        bytes: calendar.to_string().into_bytes(),
    })
}

fn when(ctx: &TenantContext, unix: i64) -> When {
    When { unix, zone: ctx.tz }
}

fn to_staff(ctx: &TenantContext, staff_id: &str, mail: Mail) -> Option<Queued> {
    let staff: UserId = staff_id.parse().ok()?;
    Some(Queued::mail_to_user(&staff, false, ctx.language(), mail))
}

/// The customer's confirmation, with the unguessable manage link (BOOK-4) and
/// a calendar file, and a note to the staff member.
pub fn confirmation(
    p: &Platform,
    ctx: &TenantContext,
    booked: &Booked,
    start: i64,
    token: &SecretToken,
    email: &EmailAddress,
    name: &str,
) -> Result<Vec<Queued>, BookingError> {
    let end = DateTime::parse_from_rfc3339(&booked.end)
        .map(|t| t.timestamp())
        .map_err(|_| BookingError::Internal)?;
    let customer = Mail::BookingConfirmed {
        name: name.to_owned(),
        business: ctx.tenant.name().to_owned(),
        start: when(ctx, start),
        end: when(ctx, end),
        manage_url: format!(
            "{}/manage#token={}",
            p.config.app_base_url.trim_end_matches('/'),
            token.expose()
        ),
    };
    let mut out = vec![
        Queued::mail_to_address(email, name, ctx.language(), customer).attach(ics(
            p,
            &booked.booking_id,
            start,
            end,
            false,
        )?),
    ];
    out.extend(to_staff(
        ctx,
        &booked.staff_id,
        Mail::StaffBookingNew {
            name: String::new(),
            start: when(ctx, start),
            end: when(ctx, end),
        },
    ));
    Ok(out)
}

/// Tells the customer their booking was cancelled (`moved_to` is `None`) or
/// moved, with an updated calendar file, and tells the staff member. A
/// customer who was erased (PRIV-2) is not told: nobody knows their address.
pub async fn changed(
    p: &Platform,
    scope: &TenantScope,
    ctx: &TenantContext,
    booking: &Booking,
    moved_to: Option<i64>,
) -> Result<Vec<Queued>, BookingError> {
    let customer = if booking.is_erased() {
        None
    } else {
        Some(booking.customer(p, scope).await?)
    };
    let name = customer
        .as_ref()
        .map(|(name, _)| name.clone())
        .unwrap_or_default();
    let record = &booking.record;
    let id = record.string("booking_id")?;
    let (old_start, old_end) = (record.number("start")?, record.number("end")?);
    let business = ctx.tenant.name().to_owned();
    let (customer_mail, staff_note, invite) = match moved_to {
        None => (
            Mail::BookingCancelled {
                name: name.clone(),
                business,
                start: when(ctx, old_start),
            },
            Mail::StaffBookingCancelled {
                name: String::new(),
                start: when(ctx, old_start),
                end: when(ctx, old_end),
            },
            ics(p, id, old_start, old_end, true)?,
        ),
        Some(start) => {
            let end = start + (old_end - old_start);
            (
                Mail::BookingMoved {
                    name: name.clone(),
                    business,
                    previous_start: when(ctx, old_start),
                    start: when(ctx, start),
                    end: when(ctx, end),
                },
                Mail::StaffBookingMoved {
                    name: String::new(),
                    previous_start: when(ctx, old_start),
                    start: when(ctx, start),
                    end: when(ctx, end),
                },
                ics(p, id, start, end, false)?,
            )
        }
    };
    let mut out: Vec<Queued> = customer
        .map(|(name, email)| {
            Queued::mail_to_address(&email, &name, ctx.language(), customer_mail).attach(invite)
        })
        .into_iter()
        .collect();
    out.extend(to_staff(ctx, record.string("staff_id")?, staff_note));
    Ok(out)
}

/// A reminder (MAIL-3): it carries the RFC 8058 one-click unsubscribe headers,
/// and the sender skips a recipient who unsubscribed.
pub async fn reminder(
    p: &Platform,
    scope: &TenantScope,
    ctx: &TenantContext,
    booking: &Booking,
) -> Result<Queued, BookingError> {
    let (name, email) = booking.customer(p, scope).await?;
    let links = super::preferences::unsubscribe_links(p, scope, &email).await?;
    let mail = Mail::Reminder {
        name: name.clone(),
        business: ctx.tenant.name().to_owned(),
        start: when(ctx, booking.record.number("start")?),
        unsubscribe_url: links.page,
    };
    let mut message = Queued::mail_to_address(&email, &name, ctx.language(), mail);
    message.list_unsubscribe = Some(links.one_click);
    Ok(message)
}
