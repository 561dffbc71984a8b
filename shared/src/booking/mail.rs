//! Messages about bookings: the customer's confirmation with the manage link and
//! an iCalendar file, change notices, and a note to the staff member. Every
//! message links to the recipient's preferences (MAIL-3), counts against the
//! send limits (MAIL-4) and goes through the outbox (MAIL-5).

use chrono::DateTime;
use icalendar::{Calendar, Component, Event, EventLike, EventStatus};

use super::bookings::{Booked, Booking, BookingError};
use crate::crypto::SecretToken;
use crate::email::{Attachment, EmailAddress, OutgoingMessage};
use crate::tenancy::{TenantScope, UserId};
use crate::Platform;

async fn send(
    p: &Platform,
    scope: &TenantScope,
    to: EmailAddress,
    to_name: String,
    subject: String,
    body: String,
    attachments: Vec<Attachment>,
) -> Result<(), BookingError> {
    send_with(
        p,
        scope,
        OutgoingMessage {
            to,
            to_name,
            subject,
            text: body,
            attachments,
            list_unsubscribe: None,
        },
    )
    .await
}

async fn send_with(
    p: &Platform,
    scope: &TenantScope,
    message: OutgoingMessage,
) -> Result<(), BookingError> {
    let to = message.to.clone();
    super::limits::allow(p, scope, &to).await?;
    crate::email::outbox::deliver(p, scope, &message)
        .await
        .map(|_| ())
        .map_err(|_| BookingError::Unavailable)
}

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

fn seconds(rfc3339: &str) -> Result<i64, BookingError> {
    DateTime::parse_from_rfc3339(rfc3339)
        .map(|t| t.timestamp())
        .map_err(|_| BookingError::Internal)
}

/// The customer's confirmation, with the unguessable manage link (BOOK-4), and
/// a note to the staff member.
pub async fn confirmation(
    p: &Platform,
    scope: &TenantScope,
    booked: &Booked,
    token: &SecretToken,
    email: &EmailAddress,
    name: &str,
) -> Result<(), BookingError> {
    let body = format!(
        "Hello {name},\r\n\r\nyour appointment is confirmed for {start} (UTC) until {end}.\r\n\r\n\
         To view, move or cancel it, open:\r\n{base}/manage-booking#token={token}\r\n",
        start = booked.start,
        end = booked.end,
        base = p.config.app_base_url.trim_end_matches('/'),
        token = token.expose(),
    );
    let invite = ics(
        p,
        &booked.booking_id,
        seconds(&booked.start)?,
        seconds(&booked.end)?,
        false,
    )?;
    send(
        p,
        scope,
        email.clone(),
        name.to_owned(),
        "Your appointment is confirmed".into(),
        body,
        vec![invite],
    )
    .await?;
    notify_staff(
        p,
        scope,
        &booked.staff_id,
        &format!("A new appointment was booked for {} (UTC).", booked.start),
    )
    .await
}

/// Tells the customer their booking was cancelled or moved, with an updated
/// calendar file, and tells the staff member.
pub async fn changed(
    p: &Platform,
    scope: &TenantScope,
    booking: &Booking,
    what: &str,
) -> Result<(), BookingError> {
    let (name, email) = booking.customer(p, scope).await?;
    let id = booking.record.string("booking_id")?.to_owned();
    // The record was read before the change; re-read it for the new times.
    let current = super::bookings::load(p, scope, &id)
        .await?
        .ok_or(BookingError::NotFound)?;
    let (start, end) = (
        current.record.number("start")?,
        current.record.number("end")?,
    );
    let cancelled = current.record.string("status")? == "cancelled";
    let body = format!(
        "Hello {name},\r\n\r\nyour appointment was {what}. Your manage link shows the details.\r\n"
    );
    let invite = ics(p, &id, start, end, cancelled)?;
    send(
        p,
        scope,
        email,
        name,
        format!("Your appointment was {what}"),
        body,
        vec![invite],
    )
    .await?;
    notify_staff(
        p,
        scope,
        booking.record.string("staff_id")?,
        &format!("An appointment was {what}."),
    )
    .await
}

async fn notify_staff(
    p: &Platform,
    scope: &TenantScope,
    staff_id: &str,
    text: &str,
) -> Result<(), BookingError> {
    let Ok(staff) = staff_id.parse::<UserId>() else {
        return Ok(());
    };
    let Some(user) = crate::accounts::user::load(p, scope, &staff)
        .await
        .map_err(|_| BookingError::Unavailable)?
    else {
        return Ok(());
    };
    let email = user
        .email(p, scope)
        .await
        .map_err(|_| BookingError::Unavailable)?;
    let name = user
        .open_text(p, scope, "name")
        .await
        .map_err(|_| BookingError::Unavailable)?;
    send(
        p,
        scope,
        email,
        name,
        "Appointment update".into(),
        text.to_owned(),
        Vec::new(),
    )
    .await
}

/// A reminder-type message (MAIL-3): it carries the RFC 8058 one-click
/// unsubscribe headers and is not sent to a recipient who unsubscribed.
/// Returns whether it was sent.
pub async fn reminder(
    p: &Platform,
    scope: &TenantScope,
    booking: &Booking,
) -> Result<bool, BookingError> {
    let (name, email) = booking.customer(p, scope).await?;
    if super::preferences::is_unsubscribed(p, scope, &email).await? {
        return Ok(false);
    }
    let url = super::preferences::unsubscribe_url(p, scope, &email).await?;
    let start = crate::clock::rfc3339(booking.record.number("start")?);
    let message = OutgoingMessage {
        to: email,
        to_name: name.clone(),
        subject: "Reminder: your appointment".into(),
        text: format!("Hello {name},\r\n\r\na reminder of your appointment at {start} (UTC).\r\n"),
        attachments: Vec::new(),
        list_unsubscribe: Some(url),
    };
    send_with(p, scope, message).await?;
    Ok(true)
}
