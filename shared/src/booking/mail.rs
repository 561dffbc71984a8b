//! Messages about bookings: confirmation with the manage link, change notices.
//! Every message carries a link to the recipient's preferences (MAIL-3).

use super::bookings::{Booked, Booking, BookingError};
use crate::crypto::SecretToken;
use crate::email::{EmailAddress, OutgoingMessage};
use crate::tenancy::TenantScope;
use crate::Platform;

/// Mail about bookings also enforces send limits per recipient and per tenant
/// (MAIL-4) and goes through the outbox (MAIL-5).
async fn send(
    p: &Platform,
    scope: &TenantScope,
    to: EmailAddress,
    to_name: String,
    subject: String,
    body: String,
) -> Result<(), BookingError> {
    super::limits::allow(p, scope, &to).await?;
    let text = format!(
        "{body}\r\n\r\nEmail preferences and unsubscribe: {}/email-preferences\r\n",
        p.config.app_base_url.trim_end_matches('/')
    );
    let message = OutgoingMessage {
        to,
        to_name,
        subject,
        text,
    };
    crate::email::outbox::deliver(p, scope, &message)
        .await
        .map(|_| ())
        .map_err(|_| BookingError::Unavailable)
}

/// The customer's confirmation, with the unguessable manage link (BOOK-4).
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
    send(
        p,
        scope,
        email.clone(),
        name.to_owned(),
        "Your appointment is confirmed".into(),
        body,
    )
    .await
}

/// Tells the customer their booking was cancelled or moved.
pub async fn changed(
    p: &Platform,
    scope: &TenantScope,
    booking: &Booking,
    what: &str,
) -> Result<(), BookingError> {
    let (name, email) = booking.customer(p, scope).await?;
    let body = format!(
        "Hello {name},\r\n\r\nyour appointment was {what}. Your manage link shows the details.\r\n"
    );
    send(
        p,
        scope,
        email,
        name,
        format!("Your appointment was {what}"),
        body,
    )
    .await
}
