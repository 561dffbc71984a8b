//! The transactional outbox (MAIL-5): whatever a request decides to send is
//! written, sealed, in the same DynamoDB transaction as the change that causes
//! it. A sender started by the table's stream (and, as a safety net, a scheduled
//! job reading the `Due` index) signs each message with KMS and hands it to SES.
//! A request therefore never calls KMS Sign or SES, and a function that dies
//! after its commit loses no mail.
//!
//! # Exactly once
//! One entry holds every message of one change (a booking's confirmation and
//! the staff member's note), so a change adds one item to its transaction.
//! A sender claims the entry with a conditional lease (`lease_until`), so the
//! stream, its retries and the safety net never work on it at the same time;
//! after SES accepts a message its index is recorded in `sent` before the next
//! one, and a later claim skips what `sent` lists. The one gap left is a sender
//! that dies between SES accepting a message and recording it: that message is
//! sent again after the lease, with the same `Message-ID`.
//!
//! # Limits defer, never drop (MAIL-4)
//! Past a recipient's or the tenant's hourly limit a customer's message waits
//! for the next window; the tenant ceiling also logs `mail_deferred` for an
//! alarm. Account mail is limited where it is requested ([`Audience`]). Permanent
//! bounces and complaints put the recipient on the tenant's suppression list;
//! messages to them are skipped and the reason recorded on the entry.

use serde::{Deserialize, Serialize};

use super::{Attachment, EmailAddress, MailError, OutgoingMessage};
use crate::crypto::{FieldBinding, LookupKey, Purpose};
use crate::i18n::{render, Language, Mail};
use crate::store::{
    Attrs, Collection, Condition, DueQueue, Entity, Filter, Record, StoreError, TenantKey,
    ThrottleKey, Write,
};
use crate::tenancy::{ItemId, TenantScope, UserId};
use crate::Platform;

/// How long a sender holds a claimed entry before another may take it over.
pub const LEASE_SECS: i64 = 120;
/// When the safety net looks at an entry the stream should have sent already.
pub const SAFETY_NET_DELAY_SECS: i64 = 60;
/// A first retry after a minute, doubling to at most six hours.
const FIRST_RETRY_SECS: i64 = 60;
const MAX_BACKOFF_SECS: i64 = 6 * 3600;
/// After this many failed attempts the entry stays, marked failed, for an operator.
pub const MAX_ATTEMPTS: i64 = 12;
/// How long a sent entry (without its message) is kept as a record.
const SENT_RECORD_SECS: i64 = 7 * 86_400;
/// Messages one recipient may get from one tenant per hour.
pub const PER_RECIPIENT_PER_HOUR: i64 = 10;
/// Messages one tenant may send per hour.
pub const PER_TENANT_PER_HOUR: i64 = 1000;
const HOUR: i64 = 3600;

/// The attribute that marks an outbox entry (the stream's filter matches it).
pub const STATE_ATTR: &str = "outbox_state";
const OPEN: &str = "open";

/// Who a queued message goes to.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum To {
    /// An address known when the change was made (a customer, a new owner).
    Address {
        /// The address.
        email: String,
        /// Display name.
        name: String,
    },
    /// A user of the tenant, looked up when sending; `verified_only` skips an
    /// address nobody has proven to own (AUTH-4).
    User {
        /// The user.
        user_id: String,
        /// Send only to a verified address.
        verified_only: bool,
    },
}

/// What a queued message says.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Content {
    /// Text fixed when the change was made.
    Text {
        /// Subject line.
        subject: String,
        /// Plain-text body.
        text: String,
    },
    /// A catalog message, rendered when sent: addressed to the recipient's
    /// name as known then, in the given language or else the business's, and
    /// with the business's name and zone where the request left them out.
    Catalog {
        /// Language tag, or `None` for the business's language when sent.
        language: Option<String>,
        /// The message.
        mail: Mail,
    },
}

/// Whom a message is for, which decides the limits it counts against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Audience {
    /// A business's customer, mailed because of a public request: counts
    /// against the per-recipient and per-business hourly limits (MAIL-4), so
    /// public routes cannot flood an inbox.
    #[default]
    Customer,
    /// The business's own people and people signing up or invited: links,
    /// codes and security notices, each limited where it is requested
    /// (sign-in, reset, verification and invitation limits) and never delayed
    /// behind customer mail.
    Team,
}

/// One message as queued: decided when the change was made, addressed and
/// rendered when sent.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Queued {
    /// Recipient.
    pub to: To,
    /// Which limits apply.
    #[serde(default)]
    pub audience: Audience,
    /// What it says.
    pub content: Content,
    /// Attached files (name, media type, bytes).
    pub attachments: Vec<(String, String, Vec<u8>)>,
    /// RFC 8058 one-click unsubscribe URL (reminder-type mail only); such a
    /// message is not sent to a recipient who unsubscribed meanwhile.
    pub list_unsubscribe: Option<String>,
}

impl Queued {
    /// An account message (link, code, notice) to an address known now.
    pub fn to_address(email: &EmailAddress, name: &str, subject: String, text: String) -> Self {
        let mut message = Self::new(
            To::Address {
                email: email.as_str().to_owned(),
                name: name.to_owned(),
            },
            Content::Text { subject, text },
        );
        message.audience = Audience::Team;
        message
    }

    /// A catalog message to an address known now.
    pub fn mail_to_address(
        email: &EmailAddress,
        name: &str,
        language: Language,
        mail: Mail,
    ) -> Self {
        Self::new(
            To::Address {
                email: email.as_str().to_owned(),
                name: name.to_owned(),
            },
            Content::Catalog {
                language: Some(language.tag().to_owned()),
                mail,
            },
        )
    }

    /// A catalog message to a user of the tenant, addressed when it is sent.
    pub fn mail_to_user(
        user: &UserId,
        verified_only: bool,
        language: Language,
        mail: Mail,
    ) -> Self {
        let mut message = Self::new(
            To::User {
                user_id: user.to_string(),
                verified_only,
            },
            Content::Catalog {
                language: Some(language.tag().to_owned()),
                mail,
            },
        );
        message.audience = Audience::Team;
        message
    }

    fn new(to: To, content: Content) -> Self {
        Self {
            to,
            audience: Audience::Customer,
            content,
            attachments: Vec::new(),
            list_unsubscribe: None,
        }
    }

    /// An account message (link, code, notice) to an address known now, in
    /// the business's language with its name filled in when sent.
    pub fn account_mail(email: &EmailAddress, name: &str, mail: Mail) -> Self {
        Self::new(
            To::Address {
                email: email.as_str().to_owned(),
                name: name.to_owned(),
            },
            Content::Catalog {
                language: None,
                mail,
            },
        )
        .for_audience(Audience::Team)
    }

    /// A security notice to a user of the tenant (ACC-3): sent only to an
    /// address the user has proven (AUTH-4), in the business's language, with
    /// the business's name and zone filled in when sent.
    pub fn notice_to_user(user: &UserId, mail: Mail) -> Self {
        Self::new(
            To::User {
                user_id: user.to_string(),
                verified_only: true,
            },
            Content::Catalog {
                language: None,
                mail,
            },
        )
        .for_audience(Audience::Team)
    }

    /// For the given audience.
    pub fn for_audience(mut self, audience: Audience) -> Self {
        self.audience = audience;
        self
    }

    /// With a file attached.
    pub fn attach(mut self, a: Attachment) -> Self {
        self.attachments.push((a.filename, a.content_type, a.bytes));
        self
    }

    /// Subject and text for a recipient called `name` of `business`.
    fn rendered(&self, name: &str, business: &Business) -> (String, String) {
        match &self.content {
            Content::Text { subject, text } => (subject.clone(), text.clone()),
            Content::Catalog { language, mail } => {
                let language = language
                    .as_deref()
                    .and_then(Language::from_tag)
                    .unwrap_or(business.language);
                let r = render(language, &addressed(mail.clone(), name, business));
                (r.subject, r.text)
            }
        }
    }
}

/// What the sender knows of the business when it renders a message.
struct Business {
    name: String,
    zone: Option<chrono_tz::Tz>,
    language: Language,
}

impl Business {
    fn of(tenant: &crate::accounts::user::Tenant) -> Self {
        Self {
            name: tenant.name().to_owned(),
            zone: tenant
                .profile
                .optional_string("time_zone")
                .and_then(|z| z.parse().ok()),
            language: crate::booking::context::language_of(&tenant.profile),
        }
    }
}

/// The message with the recipient's name as known when it is sent, and the
/// business's name and zone where the request left them to the sender.
fn addressed(mut mail: Mail, recipient: &str, business: &Business) -> Mail {
    match &mut mail {
        Mail::BookingConfirmed { name, .. }
        | Mail::BookingCancelled { name, .. }
        | Mail::BookingMoved { name, .. }
        | Mail::StaffBookingNew { name, .. }
        | Mail::StaffBookingCancelled { name, .. }
        | Mail::StaffBookingMoved { name, .. }
        | Mail::Reminder { name, .. }
        | Mail::VerifyEmail { name, .. }
        | Mail::PasswordReset { name, .. }
        | Mail::Invitation { name, .. }
        | Mail::ConfirmNewEmail { name, .. }
        | Mail::SignInCode { name, .. }
        | Mail::Security { name, .. } => *name = recipient.to_owned(),
    }
    match &mut mail {
        Mail::BookingConfirmed { business: b, .. }
        | Mail::BookingCancelled { business: b, .. }
        | Mail::BookingMoved { business: b, .. }
        | Mail::Reminder { business: b, .. }
        | Mail::VerifyEmail { business: b, .. }
        | Mail::PasswordReset { business: b, .. }
        | Mail::Invitation { business: b, .. }
        | Mail::ConfirmNewEmail { business: b, .. }
        | Mail::SignInCode { business: b, .. }
        | Mail::Security { business: b, .. } => {
            if b.is_empty() {
                b.clone_from(&business.name);
            }
        }
        Mail::StaffBookingNew { .. }
        | Mail::StaffBookingCancelled { .. }
        | Mail::StaffBookingMoved { .. } => {}
    }
    if let (Mail::Security { at, .. }, Some(zone)) = (&mut mail, business.zone) {
        at.zone = zone;
    }
    mail
}

/// The write that queues `messages` in the caller's transaction. Sealing uses
/// the tenant's cached data key, so a warm request makes no KMS call.
pub async fn entry(
    p: &Platform,
    scope: &TenantScope,
    messages: &[Queued],
) -> Result<Write, MailError> {
    let id = ItemId::time_ordered();
    let key = TenantKey::new(scope, Entity::OutboxEntry(id.as_str()));
    let plain = serde_json::to_vec(messages).map_err(|_| MailError::Build)?;
    let sealed = p
        .envelope
        .seal(scope, Purpose::PersonalData, binding(&key), &plain)
        .await
        .map_err(|_| MailError::SigningUnavailable)?;
    let now = crate::clock::now_unix();
    Ok(Write::Put(
        key,
        Attrs::new()
            .bytes("mail", sealed)
            .string(STATE_ATTR, OPEN)
            .number("lease_until", now)
            .number("attempts", 0)
            .number("created_at", now)
            .strings("sent", Vec::new())
            .due_in(
                DueQueue::Outbox,
                scope,
                id.as_str(),
                now + SAFETY_NET_DELAY_SECS,
            ),
        Condition::NotExists,
    ))
}

fn binding(key: &TenantKey) -> FieldBinding<'_> {
    FieldBinding {
        pk: key.pk_str(),
        sk: key.sk_str(),
        field: "mail",
    }
}

/// What one attempt at an entry did.
#[derive(Debug, Default, Serialize, PartialEq, Eq)]
pub struct SendReport {
    /// Messages SES accepted now.
    pub sent: usize,
    /// Messages skipped for good: suppressed, unsubscribed, or no usable address.
    pub skipped: usize,
    /// Messages waiting for the next limit window.
    pub deferred: usize,
    /// Messages SES or KMS could not take now; retried with backoff.
    pub failed: usize,
    /// Entries another sender held, or that were done already.
    pub not_claimed: usize,
}

impl SendReport {
    fn add(&mut self, other: SendReport) {
        self.sent += other.sent;
        self.skipped += other.skipped;
        self.deferred += other.deferred;
        self.failed += other.failed;
        self.not_claimed += other.not_claimed;
    }
}

/// What happened to one message of an entry.
enum Fate {
    Sent,
    Skipped(&'static str),
    DeferredUntil(i64),
    Failed,
}

/// Sends whatever of entry `id` is still unsent, if this caller can claim it.
/// The stream sender, the safety net and the local stack all come here.
pub async fn send_entry(
    p: &Platform,
    scope: &TenantScope,
    id: &str,
    now: i64,
) -> Result<SendReport, StoreError> {
    let key = TenantKey::new(scope, Entity::OutboxEntry(id));
    let lease = now + LEASE_SECS;
    let claimed = p
        .store
        .update_returning(
            scope,
            &key,
            Attrs::new().number("lease_until", lease),
            Condition::All(vec![
                Condition::ExistsWithString(STATE_ATTR, OPEN.to_owned()),
                Condition::ExistsWithNumberAtMost("lease_until", now),
            ]),
        )
        .await?;
    let Some(entry) = claimed else {
        return Ok(SendReport {
            not_claimed: 1,
            ..SendReport::default()
        });
    };
    let mut report = SendReport::default();
    let messages: Vec<Queued> = match p
        .envelope
        .open(
            scope,
            Purpose::PersonalData,
            binding(&key),
            entry.bytes("mail")?,
        )
        .await
    {
        Ok(plain) => serde_json::from_slice(&plain).map_err(|_| StoreError::Integrity)?,
        // KMS is down: let the lease run out and retry later.
        Err(_) => {
            report.failed = 1;
            return Ok(report);
        }
    };
    let mut sent: Vec<String> = entry.strings("sent");
    let mut skipped_why: Vec<String> = entry.strings("skipped");
    let mut later: Option<i64> = None;
    let mut failed = false;
    let (lookup, business) = match crate::accounts::user::tenant(p, scope).await {
        Ok(t) => (t.lookup_key(p, scope).await.ok(), Some(Business::of(&t))),
        Err(_) => (None, None),
    };
    for (i, message) in messages.iter().enumerate() {
        let index = i.to_string();
        if sent.contains(&index) || skipped_why.iter().any(|s| s.starts_with(&format!("{i}:"))) {
            continue;
        }
        match send_one(
            p,
            scope,
            lookup.as_ref().zip(business.as_ref()),
            id,
            i,
            message,
            now,
        )
        .await
        {
            Fate::Sent => {
                sent.push(index);
                report.sent += 1;
                // Recorded before the next send, so a retry skips it.
                p.store
                    .transact(vec![Write::Update(
                        key.clone(),
                        Attrs::new().strings("sent", sent.clone()),
                        Condition::ExistsWithNumber("lease_until", lease),
                    )])
                    .await?;
            }
            Fate::Skipped(why) => {
                skipped_why.push(format!("{i}:{why}"));
                report.skipped += 1;
            }
            Fate::DeferredUntil(t) => {
                later = Some(later.map_or(t, |l: i64| l.min(t)));
                report.deferred += 1;
            }
            Fate::Failed => {
                failed = true;
                report.failed += 1;
            }
        }
    }
    let attempts = entry.number_or_zero("attempts");
    let settle = if failed {
        let attempts = attempts + 1;
        if attempts >= MAX_ATTEMPTS {
            tracing::error!(
                outbox_id = id,
                "outbox message given up after repeated failures"
            );
            Attrs::new()
                .string(STATE_ATTR, "failed")
                .number("attempts", attempts)
                .not_due()
        } else {
            let retry = now + backoff(attempts);
            let retry = later.map_or(retry, |l| l.min(retry));
            Attrs::new()
                .number("attempts", attempts)
                .number("lease_until", retry)
                .due_in(DueQueue::Outbox, scope, id, retry)
        }
    } else if let Some(t) = later {
        Attrs::new()
            .number("lease_until", t)
            .due_in(DueQueue::Outbox, scope, id, t)
    } else {
        Attrs::new()
            .string(STATE_ATTR, "sent")
            .remove("mail")
            .not_due()
            .expires_at(now + SENT_RECORD_SECS)
    };
    p.store
        .transact(vec![Write::Update(
            key,
            settle.strings("sent", sent).strings("skipped", skipped_why),
            Condition::ExistsWithNumber("lease_until", lease),
        )])
        .await?;
    Ok(report)
}

fn backoff(attempts: i64) -> i64 {
    (FIRST_RETRY_SECS << attempts.clamp(0, 20)).min(MAX_BACKOFF_SECS)
}

async fn recipient_of(
    p: &Platform,
    scope: &TenantScope,
    to: &To,
) -> Result<Option<(EmailAddress, String)>, StoreError> {
    match to {
        To::Address { email, name } => Ok(email.parse().ok().map(|e| (e, name.clone()))),
        To::User {
            user_id,
            verified_only,
        } => {
            let Ok(id) = user_id.parse::<UserId>() else {
                return Ok(None);
            };
            let Some(user) = crate::accounts::user::load(p, scope, &id)
                .await
                .map_err(|_| StoreError::Unavailable)?
            else {
                return Ok(None);
            };
            if *verified_only && !user.record.flag("email_verified") {
                return Ok(None);
            }
            let email = user
                .email(p, scope)
                .await
                .map_err(|_| StoreError::Unavailable)?;
            let name = user
                .open_text(p, scope, "name")
                .await
                .map_err(|_| StoreError::Unavailable)?;
            Ok(Some((email, name)))
        }
    }
}

async fn send_one(
    p: &Platform,
    scope: &TenantScope,
    tenant: Option<(&LookupKey, &Business)>,
    entry_id: &str,
    index: usize,
    message: &Queued,
    now: i64,
) -> Fate {
    let Some((lookup, business)) = tenant else {
        return Fate::Failed;
    };
    let (to, to_name) = match recipient_of(p, scope, &message.to).await {
        Ok(Some(r)) => r,
        Ok(None) => return Fate::Skipped("no-verified-address"),
        Err(_) => return Fate::Failed,
    };
    let hash = crate::booking::preferences::recipient(lookup, &to);
    match blocked(p, scope, &hash, message.list_unsubscribe.is_some()).await {
        Ok(Some(why)) => {
            tracing::info!(outbox_id = entry_id, reason = why, "message not sent");
            return Fate::Skipped(why);
        }
        Ok(None) => {}
        Err(_) => return Fate::Failed,
    }
    if message.audience == Audience::Customer {
        match within_limits(p, scope, &hash, now).await {
            Ok(None) => {}
            Ok(Some(until)) => return Fate::DeferredUntil(until),
            Err(_) => return Fate::Failed,
        }
    }
    let (subject, text) = message.rendered(&to_name, business);
    let outgoing = OutgoingMessage {
        to,
        to_name,
        subject,
        text,
        attachments: message
            .attachments
            .iter()
            .map(|(filename, content_type, bytes)| Attachment {
                filename: filename.clone(),
                content_type: content_type.clone(),
                bytes: bytes.clone(),
            })
            .collect(),
        list_unsubscribe: message.list_unsubscribe.clone(),
    };
    let signed = match p.mailer.sign(&outgoing).await {
        Ok(s) => s,
        Err(MailError::Build) => {
            tracing::error!(
                outbox_id = entry_id,
                index,
                "queued message cannot be built"
            );
            return Fate::Skipped("unbuildable");
        }
        Err(_) => return Fate::Failed,
    };
    match p.mailer.send_for(&signed, scope.tenant_id()).await {
        Ok(()) => Fate::Sent,
        Err(_) => Fate::Failed,
    }
}

/// Why a recipient must not get this message, if they must not.
async fn blocked(
    p: &Platform,
    scope: &TenantScope,
    recipient: &str,
    reminder_type: bool,
) -> Result<Option<&'static str>, StoreError> {
    if p.store
        .get(scope, &TenantKey::new(scope, Entity::Suppressed(recipient)))
        .await?
        .is_some()
    {
        return Ok(Some("suppressed"));
    }
    if reminder_type
        && p.store
            .get(
                scope,
                &TenantKey::new(scope, Entity::Unsubscribed(recipient)),
            )
            .await?
            .is_some()
    {
        return Ok(Some("unsubscribed"));
    }
    Ok(None)
}

/// Counts the message against the hourly limits; past one, the start of the
/// next window, when it may go.
async fn within_limits(
    p: &Platform,
    scope: &TenantScope,
    recipient: &str,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let window_start = now - now.rem_euclid(HOUR);
    let next_window = window_start + HOUR;
    let per_recipient = ThrottleKey {
        action: "mail-recipient",
        client: recipient,
        window_start,
    };
    if !p
        .store
        .throttle(per_recipient, PER_RECIPIENT_PER_HOUR, HOUR)
        .await?
    {
        tracing::info!("message deferred: recipient's hourly limit");
        return Ok(Some(next_window));
    }
    let per_tenant = ThrottleKey {
        action: "mail-tenant",
        client: scope.tenant_id().as_str(),
        window_start,
    };
    if !p
        .store
        .throttle(per_tenant, PER_TENANT_PER_HOUR, HOUR)
        .await?
    {
        // A metric filter on this field raises the tenant-ceiling alarm.
        tracing::warn!(
            mail_deferred = 1,
            tenant_id = %scope.tenant_id(),
            "message deferred: tenant's hourly sending ceiling"
        );
        return Ok(Some(next_window));
    }
    Ok(None)
}

/// Hourly windows of a recipient's counter [`forget_limits`] deletes: the
/// current one and those before it that may not have been expired by TTL yet.
const FORGOTTEN_WINDOWS: i64 = 3;

/// Deletes the hourly counters of mail to `recipient` (a keyed hash, see
/// [`crate::booking::preferences::recipient`]) for a person who asked to be
/// erased (PRIV-2). Only the live window limits anything; the earlier ones
/// are expired and read as absent, and are deleted here too for the windows
/// TTL may not have reached yet; older ones TTL has taken.
pub async fn forget_limits(p: &Platform, recipient: &str, now: i64) -> Result<(), StoreError> {
    let current = now - now.rem_euclid(HOUR);
    for back in 0..FORGOTTEN_WINDOWS {
        p.store
            .forget_count(ThrottleKey {
                action: "mail-recipient",
                client: recipient,
                window_start: current - back * HOUR,
            })
            .await?;
    }
    Ok(())
}

/// One stream record's worth of work: the entry it names, if it is one.
pub fn entry_of(pk: &str, sk: &str) -> Option<(TenantScope, String)> {
    let tenant = pk.strip_prefix("T#")?.strip_suffix("#OUTBOX")?;
    let tenant = crate::tenancy::TenantId::from_stored(tenant).ok()?;
    sk.parse::<ItemId>().ok()?;
    Some((
        TenantScope::from_resolved(crate::tenancy::ResolvedTenant::from_store(tenant)),
        sk.to_owned(),
    ))
}

/// The safety net: every entry the stream has not finished, once it is due.
pub async fn send_due(p: &Platform, now: i64) -> Result<SendReport, StoreError> {
    send_listed(p, now, now).await
}

/// The stream's part where there is no stream (the local stack polls with
/// this): every entry that may be sent now, including those just written.
pub async fn send_recent(p: &Platform, now: i64) -> Result<SendReport, StoreError> {
    send_listed(p, now + SAFETY_NET_DELAY_SECS, now).await
}

async fn send_listed(p: &Platform, listed_until: i64, now: i64) -> Result<SendReport, StoreError> {
    let mut report = SendReport::default();
    // A week back: older entries have been given up or sent.
    for due in p
        .store
        .due(DueQueue::Outbox, listed_until, 7 * 86_400, 100)
        .await?
    {
        let scope = TenantScope::from_resolved(due.tenant);
        report.add(send_entry(p, &scope, &due.id, now).await?);
    }
    Ok(report)
}

/// Drops every entry whose message to `recipient` is still waiting (PRIV-2:
/// a customer asked to be erased, so nothing more goes to them and no sealed
/// copy of their name or address stays). An entry holds the messages of one
/// change of one booking, so the whole entry goes, the staff member's note
/// with it. Only entries that still hold a message (waiting or given up) are
/// read, a page at a time; sent ones keep none. Returns how many went.
pub async fn drop_waiting_for(
    p: &Platform,
    scope: &TenantScope,
    recipient: &EmailAddress,
) -> Result<usize, StoreError> {
    let wanted = recipient.lookup_form();
    let mut dropped = 0;
    let mut cursor: Option<String> = None;
    loop {
        let page = p
            .store
            .list_where(
                scope,
                Collection::Outbox,
                Filter::Present("mail"),
                100,
                cursor.as_deref(),
            )
            .await?;
        for record in &page.records {
            let key = TenantKey::new(scope, Entity::OutboxEntry(record.sort_key()?));
            let opened = p
                .envelope
                .open(
                    scope,
                    Purpose::PersonalData,
                    binding(&key),
                    record.bytes("mail")?,
                )
                .await;
            let messages: Vec<Queued> = match opened {
                Ok(plain) => match serde_json::from_slice(&plain) {
                    Ok(messages) => messages,
                    Err(_) => {
                        tracing::error!(outbox_id = key.sk_str(), "queued mail unreadable");
                        continue;
                    }
                },
                Err(crate::crypto::CryptoError::Unavailable) => {
                    return Err(StoreError::Unavailable)
                }
                // The sender cannot open it either, so it is never sent; an
                // operator looks at it rather than every erasure failing.
                Err(_) => {
                    tracing::error!(outbox_id = key.sk_str(), "queued mail undecryptable");
                    continue;
                }
            };
            let for_them = messages.iter().any(|m| match &m.to {
                To::Address { email, .. } => email
                    .parse::<EmailAddress>()
                    .is_ok_and(|e| e.lookup_form() == wanted),
                To::User { .. } => false,
            });
            if for_them {
                p.store
                    .transact(vec![Write::Delete(key, Condition::None)])
                    .await?;
                dropped += 1;
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(dropped),
        }
    }
}

/// Whether a record read back is an open outbox entry (for tests and tools).
pub fn is_open(record: &Record) -> bool {
    record.optional_string(STATE_ATTR) == Some(OPEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(0), 60);
        assert_eq!(backoff(1), 120);
        assert_eq!(backoff(30), MAX_BACKOFF_SECS);
        assert_eq!(backoff(-5), 60);
    }

    #[test]
    fn only_outbox_keys_name_an_entry() {
        let scope = TenantScope::for_new_tenant();
        let id = ItemId::generate();
        let pk = format!("T#{}#OUTBOX", scope.tenant_id());
        assert_eq!(
            entry_of(&pk, id.as_str()).map(|(t, i)| (t.tenant_id().to_string(), i)),
            Some((scope.tenant_id().to_string(), id.to_string()))
        );
        assert!(entry_of(&format!("T#{}", scope.tenant_id()), id.as_str()).is_none());
        assert!(entry_of(&pk, "BOOKING#x").is_none());
        assert!(entry_of("T#x#OUTBOX", id.as_str()).is_none());
    }
}
