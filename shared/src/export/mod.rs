//! Data export (PRIV-1): a business's whole data, or everything it holds on
//! one end customer (an access request), as one zip archive of JSON Lines in
//! the export bucket, fetched by an owner through a short-lived signed link.
//!
//! # Flow
//! 1. An owner asks (`request`): an export item (`EXPORT#<id>`, on the `Due`
//!    index) and a lock naming it (`EXPORTLOCK#<subject>`) are written in one
//!    transaction with the audit event `export.created`. While the lock
//!    stands, asking again (a retry, a double click, a parallel request) gets
//!    the running export back instead of a second one.
//! 2. The export job (`run_due`, every minute) claims due exports with a
//!    lease and writes the archive: it pages through the table, opens sealed
//!    fields, deflates JSON Lines into zip entries and uploads the archive as
//!    an S3 multipart upload, part by part (at least [`PART_BYTES`] each but
//!    the last), or with one PutObject when it fits in one part. Only the
//!    part being filled is in memory, so any size completes.
//! 3. The job runs under a time budget. When it is spent, the job stores a
//!    checkpoint in the export item (which file, the page cursor, the upload
//!    id, the parts' ETags, counts, the zip writer's state) and the bytes not
//!    yet uploaded as a small object beside the archive; the next run
//!    continues from there. Checkpoints are written only while the run holds
//!    the lease, so a run that crashed is continued from its last checkpoint
//!    (re-uploading a part under the same number replaces it), never
//!    duplicated.
//! 4. Done: the export item says `ready` with counts and size, `export.ready`
//!    is audited (ids only) and every owner is told by mail (ACC-3), without
//!    the link: owners fetch it through the API with their session.
//!
//! Archives expire two days after they are written (the bucket's lifecycle
//! rule; the status says `expired` from then on), the export item after
//! [`RECORD_DAYS`].

pub mod zip;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use serde::{Deserialize, Serialize};

use crate::audit::{AuditEvent, Outcome};
use crate::auth::Caller;
use crate::booking::bookings::Booking;
use crate::email::EmailAddress;
use crate::http::{FieldError, RequestMeta};
use crate::store::{
    Attrs, Collection, Condition, DueQueue, Entity, Record, StoreError, TenantKey, TxError, Write,
};
use crate::tenancy::{ItemId, Role, TenantScope, UserId};
use crate::Platform;
use zip::{ZipState, ZipWriter};

/// How long an archive may be downloaded (the bucket's lifecycle rule
/// deletes it then).
pub const ARCHIVE_SECS: i64 = 2 * 86_400;
/// How long a download link works.
pub const LINK_SECS: u64 = 15 * 60;
/// Days an export's status stays readable; its id is unknown afterwards.
pub const RECORD_DAYS: i64 = 14;
/// Archive bytes gathered before a part is uploaded (S3 wants at least
/// 5 MiB for every part but the last).
pub const PART_BYTES: usize = 8 * 1024 * 1024;
/// Items read per Query page.
pub const PAGE: i32 = 200;
/// How long a run's claim on an export lasts: longer than the job
/// function's timeout (template.yaml), so that a claim runs out only when
/// its run is gone.
pub const LEASE_SECS: i64 = 960;
/// An export not finished this long after it was asked for is given up.
pub const GIVE_UP_SECS: i64 = 86_400;
/// The version of the archive's layout, in its manifest.
pub const SCHEMA_VERSION: u32 = 1;

/// What an export covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportKind {
    /// Everything of the business.
    Tenant,
    /// One end customer's bookings (an access request).
    Customer,
}

impl ExportKind {
    fn as_str(self) -> &'static str {
        match self {
            ExportKind::Tenant => "tenant",
            ExportKind::Customer => "customer",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "tenant" => Some(ExportKind::Tenant),
            "customer" => Some(ExportKind::Customer),
            _ => None,
        }
    }

    /// The files of the archive, in order (the manifest comes last).
    fn files(self) -> &'static [Data] {
        match self {
            ExportKind::Tenant => &[
                Data::Tenant,
                Data::Users,
                Data::Services,
                Data::Schedules,
                Data::BookingForm,
                Data::Bookings,
                Data::CalendarConnections,
                Data::Audit,
            ],
            ExportKind::Customer => &[Data::Bookings],
        }
    }
}

/// One kind of data, one JSON Lines file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Data {
    Tenant,
    Users,
    Services,
    Schedules,
    BookingForm,
    Bookings,
    CalendarConnections,
    Audit,
}

impl Data {
    fn kind(self) -> &'static str {
        match self {
            Data::Tenant => "tenant",
            Data::Users => "users",
            Data::Services => "services",
            Data::Schedules => "schedules",
            Data::BookingForm => "booking_form",
            Data::Bookings => "bookings",
            Data::CalendarConnections => "calendar_connections",
            Data::Audit => "audit",
        }
    }

    fn file(self) -> String {
        format!("{}.jsonl", self.kind())
    }
}

/// `POST /exports`: `{}` for the whole business, or one customer's address.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportInput {
    /// Export only what the business holds on this customer (an access
    /// request); leave out for everything.
    #[schema(format = Email, max_length = 254)]
    pub customer_email: Option<String>,
}

/// An export as its owner sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExportStatus {
    /// Its id.
    pub export_id: String,
    /// `tenant` or `customer`.
    pub kind: ExportKind,
    /// `pending`, `running`, `ready`, `failed` or `expired`.
    #[schema(example = "ready")]
    pub status: &'static str,
    /// When it was asked for (RFC 3339).
    pub created_at: String,
    /// Lines per file so far (final once ready).
    pub counts: BTreeMap<String, u64>,
    /// The archive's size in bytes, once ready.
    pub size_bytes: Option<u64>,
    /// When the archive is deleted (RFC 3339), once ready.
    pub archive_expires_at: Option<String>,
    /// A signed link to the archive, valid for 15 minutes, while it is ready.
    pub download_url: Option<String>,
    /// When the link stops working (RFC 3339).
    pub download_expires_at: Option<String>,
}

/// Why an export request was refused.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The input is not acceptable.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// A dependency is unavailable; nothing was started.
    #[error("unavailable")]
    Unavailable,
    /// A bug or an inconsistency; logged where found.
    #[error("internal error")]
    Internal,
}

impl From<StoreError> for ExportError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable => ExportError::Unavailable,
            StoreError::Conflict | StoreError::Integrity => ExportError::Internal,
        }
    }
}

/// What a run left behind for the next one.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Checkpoint {
    upload_id: Option<String>,
    etags: Vec<String>,
    /// Index of the file being written, into [`ExportKind::files`].
    file: usize,
    /// Where the file's next page starts.
    cursor: Option<String>,
    counts: BTreeMap<String, u64>,
    zip: Option<ZipState>,
    /// The object holding output not yet uploaded.
    pending: Option<String>,
    /// Checkpoints stored so far (names pending objects uniquely).
    seq: u64,
    /// The archive is complete; only the bookkeeping is left.
    completed: bool,
}

/// The archive of an export.
pub fn archive_key(scope: &TenantScope, export_id: &str) -> String {
    format!("exports/{}/{export_id}.zip", scope.tenant_id())
}

fn key(scope: &TenantScope, id: &str) -> TenantKey {
    TenantKey::new(scope, Entity::Export(id))
}

/// Starts an export, or returns the running one of the same subject. The
/// boolean says whether this call started it.
pub async fn request(
    p: &Platform,
    scope: &TenantScope,
    caller: &Caller,
    input: ExportInput,
    meta: &RequestMeta,
) -> Result<(ExportStatus, bool), ExportError> {
    let (kind, hash) = match input.customer_email.as_deref() {
        None => (ExportKind::Tenant, None),
        Some(raw) => {
            let email: EmailAddress = raw.trim().parse().map_err(|_| {
                ExportError::Invalid(vec![FieldError {
                    field: "customer_email",
                    message: "must be an email address".into(),
                }])
            })?;
            let tenant = crate::accounts::user::tenant(p, scope)
                .await
                .map_err(|_| ExportError::Unavailable)?;
            let lookup = tenant
                .lookup_key(p, scope)
                .await
                .map_err(|_| ExportError::Unavailable)?;
            (
                ExportKind::Customer,
                Some(lookup.digest(&email.lookup_form())),
            )
        }
    };
    let subject = match &hash {
        None => "tenant".to_owned(),
        Some(h) => format!("customer#{h}"),
    };
    let lock = TenantKey::new(scope, Entity::ExportLock(&subject));
    // A lost race for the lock, or a lock left by an export that ended, is
    // looked at and tried again; three rounds settle any real contention.
    for _ in 0..3 {
        let now = crate::clock::now_unix();
        let id = ItemId::generate();
        let mut attrs = Attrs::new()
            .string("export_id", id.as_str())
            .string("kind", kind.as_str())
            .string("subject", subject.clone())
            .string("status", "pending")
            .number("created_at", now)
            .number("lease_until", 0)
            .due_in(DueQueue::Exports, scope, id.as_str(), now)
            .expires_at(now + RECORD_DAYS * 86_400);
        if let Some(h) = &hash {
            attrs = attrs.string("customer_email_hash", h.clone());
        }
        let writes = vec![
            Write::Put(
                lock.clone(),
                Attrs::new()
                    .string("export_id", id.as_str())
                    .expires_at(now + GIVE_UP_SECS + LEASE_SECS),
                Condition::AbsentOrExpiredAt(now),
            ),
            Write::Put(key(scope, id.as_str()), attrs, Condition::NotExists),
            AuditEvent {
                kind: "privacy",
                action: "export.created",
                actor: caller.actor(),
                target: format!("export:{id}:{}", kind.as_str()),
                client_addr: meta.client_addr.clone(),
                outcome: Outcome::Success,
            }
            .write(scope),
        ];
        match p.store.transact_detailed(writes).await {
            Ok(()) => {
                let record = p
                    .store
                    .get(scope, &key(scope, id.as_str()))
                    .await?
                    .ok_or(ExportError::Internal)?;
                tracing::info!(export_id = %id, kind = kind.as_str(), "export requested");
                return Ok((view(p, scope, &record).await?, true));
            }
            Err(TxError::Cancelled(failed)) if failed.first() == Some(&true) => {
                let Some(held) = p.store.get(scope, &lock).await? else {
                    continue;
                };
                let running = held.string("export_id")?.to_owned();
                match p.store.get(scope, &key(scope, &running)).await? {
                    Some(r) if r.number_or_zero("done") == 0 => {
                        return Ok((view(p, scope, &r).await?, false));
                    }
                    _ => release_lock(p, scope, &subject, &running).await,
                }
            }
            Err(TxError::Cancelled(_)) => continue,
            Err(TxError::Store(e)) => return Err(e.into()),
        }
    }
    Err(ExportError::Unavailable)
}

/// An export's status; `None` for an id that is malformed, unknown, of
/// another tenant or no longer kept.
pub async fn status(
    p: &Platform,
    scope: &TenantScope,
    id: &str,
) -> Result<Option<ExportStatus>, ExportError> {
    let Ok(id) = id.parse::<ItemId>() else {
        return Ok(None);
    };
    match p.store.get(scope, &key(scope, id.as_str())).await? {
        Some(record) => Ok(Some(view(p, scope, &record).await?)),
        None => Ok(None),
    }
}

async fn view(p: &Platform, scope: &TenantScope, r: &Record) -> Result<ExportStatus, ExportError> {
    let id = r.string("export_id")?.to_owned();
    let kind = ExportKind::parse(r.string("kind")?).ok_or(ExportError::Internal)?;
    let now = crate::clock::now_unix();
    let counts: BTreeMap<String, u64> = r
        .optional_string("counts")
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or_default();
    let mut out = ExportStatus {
        export_id: id.clone(),
        kind,
        status: "pending",
        created_at: crate::clock::rfc3339(r.number_or_zero("created_at")),
        counts,
        size_bytes: None,
        archive_expires_at: None,
        download_url: None,
        download_expires_at: None,
    };
    match r.string("status")? {
        "ready" => {
            let gone = r.number_or_zero("archive_expires_at");
            out.size_bytes = u64::try_from(r.number_or_zero("size_bytes")).ok();
            out.archive_expires_at = Some(crate::clock::rfc3339(gone));
            if now >= gone {
                out.status = "expired";
            } else {
                out.status = "ready";
                let link = presign(p, scope, &id).await?;
                out.download_url = Some(link);
                out.download_expires_at =
                    Some(crate::clock::rfc3339((now + LINK_SECS as i64).min(gone)));
            }
        }
        "running" => out.status = "running",
        "failed" => out.status = "failed",
        _ => {}
    }
    Ok(out)
}

/// A GET link to the archive, signed with this function's credentials
/// (whose only S3 right is reading archives).
async fn presign(p: &Platform, scope: &TenantScope, id: &str) -> Result<String, ExportError> {
    let config =
        aws_sdk_s3::presigning::PresigningConfig::expires_in(Duration::from_secs(LINK_SECS))
            .map_err(|_| ExportError::Internal)?;
    let signed = p
        .s3
        .get_object()
        .bucket(&p.config.export_bucket)
        .key(archive_key(scope, id))
        .response_content_disposition(format!(
            "attachment; filename=\"bookwarden-export-{id}.zip\""
        ))
        .response_content_type("application/zip")
        .presigned(config)
        .await
        .map_err(|e| {
            tracing::error!(error = %aws_sdk_s3::error::DisplayErrorContext(&e), "presigning failed");
            ExportError::Unavailable
        })?;
    Ok(signed.uri().to_owned())
}

async fn release_lock(p: &Platform, scope: &TenantScope, subject: &str, export_id: &str) {
    let lock = TenantKey::new(scope, Entity::ExportLock(subject));
    let guarded = Write::Delete(
        lock,
        Condition::ExistsWithString("export_id", export_id.to_owned()),
    );
    match p.store.transact(vec![guarded]).await {
        Ok(()) | Err(StoreError::Conflict) => {}
        Err(e) => tracing::warn!(error = %e, "export lock not released; it expires"),
    }
}

/// What one job run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunReport {
    /// Exports completed.
    pub finished: u32,
    /// Exports that used up the budget and continue next run.
    pub paused: u32,
    /// Exports given up.
    pub failed: u32,
    /// Exports another run holds, or that are done already.
    pub skipped: u32,
    /// Exports that met an error and are retried once their claim runs out.
    pub errors: u32,
}

/// How one export's run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Progress {
    /// The archive is complete and the owners are told.
    Finished,
    /// The budget ran out; a checkpoint is stored.
    Paused,
    /// Given up (too old); the upload is aborted.
    Failed,
    /// Another run holds it, or it is done.
    Skipped,
}

/// Works on every due export until `budget` is spent.
pub async fn run_due(p: &Platform, now: i64, budget: Duration) -> Result<RunReport, StoreError> {
    let started = Instant::now();
    let due = p
        .store
        .due(DueQueue::Exports, now, GIVE_UP_SECS + 86_400, 20)
        .await?;
    let mut report = RunReport::default();
    for item in due {
        let left = budget.saturating_sub(started.elapsed());
        if left.is_zero() {
            break;
        }
        let scope = TenantScope::from_resolved(item.tenant);
        match run(p, &scope, &item.id, left).await {
            Ok(Progress::Finished) => report.finished += 1,
            Ok(Progress::Paused) => report.paused += 1,
            Ok(Progress::Failed) => report.failed += 1,
            Ok(Progress::Skipped) => report.skipped += 1,
            Err(e) => {
                tracing::error!(export_id = %item.id, error = %e, "export run failed; retried later");
                report.errors += 1;
            }
        }
    }
    Ok(report)
}

/// One claimed export being worked on.
struct Job<'a> {
    p: &'a Platform,
    scope: &'a TenantScope,
    id: String,
    kind: ExportKind,
    hash: Option<String>,
    subject: String,
    created_at: i64,
    lease: String,
    cp: Checkpoint,
}

/// Works on one export for at most about `budget` (at least one page is
/// always done, so every run makes progress).
pub async fn run(
    p: &Platform,
    scope: &TenantScope,
    id: &str,
    budget: Duration,
) -> Result<Progress, StoreError> {
    let started = Instant::now();
    let now = crate::clock::now_unix();
    let lease = crate::crypto::hex(&crate::crypto::random_bytes::<16>());
    let Some(record) = p
        .store
        .update_returning(
            scope,
            &key(scope, id),
            Attrs::new()
                .number("lease_until", now + LEASE_SECS)
                .string("lease", lease.clone())
                .string("status", "running"),
            Condition::All(vec![
                Condition::ExistsWithNumberAtMost("lease_until", now),
                Condition::ExistsWithNumber("done", 0),
            ]),
        )
        .await?
    else {
        return Ok(Progress::Skipped);
    };
    let mut job = Job {
        p,
        scope,
        id: id.to_owned(),
        kind: ExportKind::parse(record.string("kind")?).ok_or(StoreError::Integrity)?,
        hash: record
            .optional_string("customer_email_hash")
            .map(str::to_owned),
        subject: record.string("subject")?.to_owned(),
        created_at: record.number("created_at")?,
        lease,
        cp: match record.optional_string("checkpoint") {
            Some(c) => serde_json::from_str(c).map_err(|_| StoreError::Integrity)?,
            None => Checkpoint::default(),
        },
    };
    if now - job.created_at > GIVE_UP_SECS {
        job.give_up().await?;
        return Ok(Progress::Failed);
    }
    if job.cp.completed {
        if job.cp.upload_id.is_some() {
            job.complete_upload().await?;
        }
        return job.finalize().await;
    }
    job.work(started, budget).await
}

impl Job<'_> {
    fn bucket(&self) -> &str {
        &self.p.config.export_bucket
    }

    fn archive(&self) -> String {
        archive_key(self.scope, &self.id)
    }

    async fn work(&mut self, started: Instant, budget: Duration) -> Result<Progress, StoreError> {
        let mut writer = match self.cp.zip.clone() {
            Some(state) => ZipWriter::resume(state, self.pending_bytes().await?),
            None => ZipWriter::new(self.created_at),
        };
        let files = self.kind.files();
        loop {
            let Some(data) = files.get(self.cp.file).copied() else {
                return self.complete(writer).await;
            };
            if !writer.in_entry() {
                writer.begin(&data.file()).map_err(zip_error)?;
            }
            let (lines, next) = self.page(data).await?;
            let count = self.cp.counts.entry(data.kind().to_owned()).or_insert(0);
            *count += lines.len() as u64;
            for line in lines {
                writer.write(line.as_bytes()).map_err(zip_error)?;
                writer.write(b"\n").map_err(zip_error)?;
            }
            match next {
                Some(cursor) => self.cp.cursor = Some(cursor),
                None => {
                    writer.end().map_err(zip_error)?;
                    self.cp.file += 1;
                    self.cp.cursor = None;
                }
            }
            if writer.pending() >= PART_BYTES {
                self.cp.zip = Some(writer.checkpoint().map_err(zip_error)?);
                self.upload_part(writer.take()).await?;
                let previous = self.cp.pending.take();
                if !self.save(false).await? {
                    return Ok(Progress::Skipped);
                }
                self.delete_pending(previous).await;
            }
            if started.elapsed() >= budget {
                return self.pause(writer).await;
            }
        }
    }

    /// Stores the checkpoint and the output not yet uploaded, and gives the
    /// claim back so the next run may continue at once.
    async fn pause(&mut self, mut writer: ZipWriter) -> Result<Progress, StoreError> {
        self.cp.zip = Some(writer.checkpoint().map_err(zip_error)?);
        self.cp.seq += 1;
        let previous = self.cp.pending.take();
        let held = writer.take();
        if !held.is_empty() {
            let name = format!(
                "exports/{}/{}.pending/{}-{}",
                self.scope.tenant_id(),
                self.id,
                self.cp.seq,
                self.lease
            );
            self.p
                .s3
                .put_object()
                .bucket(self.bucket())
                .key(&name)
                .body(ByteStream::from(held))
                .send()
                .await
                .map_err(s3_error("PutObject"))?;
            self.cp.pending = Some(name);
        }
        if !self.save(true).await? {
            return Ok(Progress::Skipped);
        }
        self.delete_pending(previous).await;
        tracing::info!(export_id = %self.id, file = self.cp.file, parts = self.cp.etags.len(), "export paused");
        Ok(Progress::Paused)
    }

    /// Writes the manifest and the zip directory, uploads the last part and
    /// completes the upload.
    async fn complete(&mut self, mut writer: ZipWriter) -> Result<Progress, StoreError> {
        let files: Vec<serde_json::Value> = self
            .kind
            .files()
            .iter()
            .map(|d| {
                serde_json::json!({
                    "name": d.file(),
                    "kind": d.kind(),
                    "count": self.cp.counts.get(d.kind()).copied().unwrap_or(0),
                })
            })
            .collect();
        let manifest = serde_json::json!({
            "schema_version": SCHEMA_VERSION,
            "export_id": self.id,
            "kind": self.kind,
            "tenant_id": self.scope.tenant_id().as_str(),
            "created_at": crate::clock::rfc3339(self.created_at),
            "files": files,
        });
        writer.begin("manifest.json").map_err(zip_error)?;
        writer
            .write(manifest.to_string().as_bytes())
            .map_err(zip_error)?;
        writer.end().map_err(zip_error)?;
        writer.finish().map_err(zip_error)?;
        let state = writer.checkpoint().map_err(zip_error)?;
        let last = writer.take();
        // A single PutObject may simply be repeated by a run continuing
        // from an earlier checkpoint; a multipart upload is completed only
        // after a checkpoint says every part is in, so that a continuing
        // run completes it instead of uploading parts again.
        let multipart = self.cp.upload_id.is_some();
        if multipart {
            self.upload_part(last).await?;
        } else {
            self.p
                .s3
                .put_object()
                .bucket(self.bucket())
                .key(self.archive())
                .content_type("application/zip")
                .body(ByteStream::from(last))
                .send()
                .await
                .map_err(s3_error("PutObject"))?;
        }
        self.cp.zip = Some(state);
        self.cp.completed = true;
        let previous = self.cp.pending.take();
        if !self.save(false).await? {
            return Ok(Progress::Skipped);
        }
        self.delete_pending(previous).await;
        if multipart {
            self.complete_upload().await?;
        }
        self.finalize().await
    }

    /// Completes the multipart upload of every stored part. Done already (a
    /// run stopped right after): the archive exists.
    async fn complete_upload(&mut self) -> Result<(), StoreError> {
        let parts = self
            .cp
            .etags
            .iter()
            .enumerate()
            .map(|(i, etag)| {
                CompletedPart::builder()
                    .part_number(i32::try_from(i + 1).unwrap_or(i32::MAX))
                    .e_tag(etag)
                    .build()
            })
            .collect();
        let completed = self
            .p
            .s3
            .complete_multipart_upload()
            .bucket(self.bucket())
            .key(self.archive())
            .upload_id(self.cp.upload_id.clone().unwrap_or_default())
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await;
        if let Err(e) = completed {
            let exists = self
                .p
                .s3
                .head_object()
                .bucket(self.bucket())
                .key(self.archive())
                .send()
                .await
                .is_ok();
            if !exists {
                return Err(s3_error("CompleteMultipartUpload")(e));
            }
        }
        Ok(())
    }

    /// Marks the export ready, audits it and tells every owner, in one
    /// transaction; then frees the subject for the next export.
    async fn finalize(&mut self) -> Result<Progress, StoreError> {
        let now = crate::clock::now_unix();
        let size = self.cp.zip.as_ref().map_or(0, |z| z.written);
        let owners = owners(self.p, self.scope).await?;
        let mut writes = vec![
            Write::Update(
                key(self.scope, &self.id),
                Attrs::new()
                    .string("status", "ready")
                    .number("done", 1)
                    .number("ready_at", now)
                    .number("archive_expires_at", now + ARCHIVE_SECS)
                    .number("size_bytes", i64::try_from(size).unwrap_or(i64::MAX))
                    .string("counts", counts_json(&self.cp.counts))
                    .remove("checkpoint")
                    .remove("lease")
                    .not_due(),
                Condition::ExistsWithString("lease", self.lease.clone()),
            ),
            self.audit("export.ready", Outcome::Success),
        ];
        if !owners.is_empty() {
            writes.push(
                crate::accounts::notify::notice_to_users(
                    self.p,
                    self.scope,
                    &owners,
                    crate::i18n::SecurityEvent::DataExportReady,
                )
                .await
                .map_err(|_| StoreError::Unavailable)?,
            );
        }
        match self.p.store.transact(writes).await {
            Ok(()) => {}
            Err(StoreError::Conflict) => return Ok(Progress::Skipped),
            Err(e) => return Err(e),
        }
        release_lock(self.p, self.scope, &self.subject, &self.id).await;
        tracing::info!(export_id = %self.id, size_bytes = size, parts = self.cp.etags.len(), "export ready");
        Ok(Progress::Finished)
    }

    /// Gives up an export that could not finish in time.
    async fn give_up(&mut self) -> Result<(), StoreError> {
        if let Some(upload) = &self.cp.upload_id {
            if let Err(e) = self
                .p
                .s3
                .abort_multipart_upload()
                .bucket(self.bucket())
                .key(self.archive())
                .upload_id(upload)
                .send()
                .await
            {
                tracing::warn!(error = %aws_sdk_s3::error::DisplayErrorContext(&e), "abort failed; the lifecycle rule cleans up");
            }
        }
        let previous = self.cp.pending.take();
        self.delete_pending(previous).await;
        let writes = vec![
            Write::Update(
                key(self.scope, &self.id),
                Attrs::new()
                    .string("status", "failed")
                    .number("done", 1)
                    .remove("checkpoint")
                    .remove("lease")
                    .not_due(),
                Condition::ExistsWithString("lease", self.lease.clone()),
            ),
            self.audit("export.failed", Outcome::Failure),
        ];
        match self.p.store.transact(writes).await {
            Ok(()) | Err(StoreError::Conflict) => {}
            Err(e) => return Err(e),
        }
        release_lock(self.p, self.scope, &self.subject, &self.id).await;
        tracing::warn!(export_id = %self.id, "export given up");
        Ok(())
    }

    fn audit(&self, action: &'static str, outcome: Outcome) -> Write {
        AuditEvent {
            kind: "privacy",
            action,
            actor: "system".into(),
            target: format!("export:{}:{}", self.id, self.kind.as_str()),
            client_addr: String::new(),
            outcome,
        }
        .write(self.scope)
    }

    /// Stores the checkpoint while this run holds the claim; `false` when it
    /// does not any more (nothing more may be done). `release` gives the
    /// claim back.
    async fn save(&mut self, release: bool) -> Result<bool, StoreError> {
        let json = serde_json::to_string(&self.cp).map_err(|_| StoreError::Integrity)?;
        let mut attrs = Attrs::new()
            .string("checkpoint", json)
            .string("counts", counts_json(&self.cp.counts));
        if release {
            attrs = attrs.number("lease_until", 0).remove("lease");
        }
        let saved = self
            .p
            .store
            .update_returning(
                self.scope,
                &key(self.scope, &self.id),
                attrs,
                Condition::ExistsWithString("lease", self.lease.clone()),
            )
            .await?;
        if saved.is_none() {
            tracing::warn!(export_id = %self.id, "export claim lost; stopping");
        }
        Ok(saved.is_some())
    }

    async fn upload_part(&mut self, bytes: Vec<u8>) -> Result<(), StoreError> {
        if self.cp.upload_id.is_none() {
            // Started with the first full part: an archive that fits in one
            // part is written with one PutObject instead.
            let upload = self
                .p
                .s3
                .create_multipart_upload()
                .bucket(self.bucket())
                .key(self.archive())
                .content_type("application/zip")
                .send()
                .await
                .map_err(s3_error("CreateMultipartUpload"))?;
            self.cp.upload_id = Some(
                upload
                    .upload_id()
                    .ok_or(StoreError::Unavailable)?
                    .to_owned(),
            );
        }
        let number = i32::try_from(self.cp.etags.len() + 1).map_err(|_| StoreError::Integrity)?;
        let out = self
            .p
            .s3
            .upload_part()
            .bucket(self.bucket())
            .key(self.archive())
            .upload_id(self.cp.upload_id.clone().unwrap_or_default())
            .part_number(number)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(s3_error("UploadPart"))?;
        self.cp
            .etags
            .push(out.e_tag().ok_or(StoreError::Unavailable)?.to_owned());
        Ok(())
    }

    async fn pending_bytes(&self) -> Result<Vec<u8>, StoreError> {
        let Some(name) = &self.cp.pending else {
            return Ok(Vec::new());
        };
        let out = self
            .p
            .s3
            .get_object()
            .bucket(self.bucket())
            .key(name)
            .send()
            .await
            .map_err(s3_error("GetObject"))?;
        let bytes = out.body.collect().await.map_err(|e| {
            tracing::error!(error = %e, "reading held export output failed");
            StoreError::Unavailable
        })?;
        Ok(bytes.into_bytes().to_vec())
    }

    async fn delete_pending(&self, name: Option<String>) {
        let Some(name) = name else { return };
        if let Err(e) = self
            .p
            .s3
            .delete_object()
            .bucket(self.bucket())
            .key(name)
            .send()
            .await
        {
            tracing::warn!(error = %aws_sdk_s3::error::DisplayErrorContext(&e), "held export output not deleted; the lifecycle rule does");
        }
    }

    /// One page of `data` from the cursor: its JSON lines and the next
    /// cursor, `None` at the end. Small kinds come whole.
    async fn page(&self, data: Data) -> Result<(Vec<String>, Option<String>), StoreError> {
        let (p, scope) = (self.p, self.scope);
        let lines = |values: Vec<serde_json::Value>| -> Vec<String> {
            values.into_iter().map(|v| v.to_string()).collect()
        };
        match data {
            Data::Tenant => {
                let tenant = crate::accounts::user::tenant(p, scope)
                    .await
                    .map_err(accounts_error)?;
                let r = &tenant.profile;
                Ok((
                    lines(vec![serde_json::json!({
                        "tenant_id": scope.tenant_id().as_str(),
                        "name": r.optional_string("name"),
                        "slug": r.optional_string("slug"),
                        "time_zone": r.optional_string("time_zone"),
                        "status": r.optional_string("status"),
                        "created_at": crate::clock::rfc3339(r.number_or_zero("created_at")),
                        "settings": tenant.policy,
                    })]),
                    None,
                ))
            }
            Data::Users => {
                let users = crate::accounts::users::list(p, scope)
                    .await
                    .map_err(accounts_error)?;
                Ok((json_lines(&users)?, None))
            }
            Data::Services => {
                let services = crate::booking::catalog::services(&p.store, scope).await?;
                Ok((json_lines(&services)?, None))
            }
            Data::Schedules => {
                let records = p
                    .store
                    .list_between(
                        scope,
                        Collection::TenantContext,
                        "TENANT#SCHEDULE#",
                        "TENANT#SCHEDULE#~",
                    )
                    .await?;
                let mut out = Vec::with_capacity(records.len());
                for r in &records {
                    let staff = r
                        .sort_key()?
                        .strip_prefix("TENANT#SCHEDULE#")
                        .ok_or(StoreError::Integrity)?;
                    let schedule: serde_json::Value = serde_json::from_str(r.string("schedule")?)
                        .map_err(|_| StoreError::Integrity)?;
                    out.push(serde_json::json!({ "staff_id": staff, "schedule": schedule }));
                }
                Ok((lines(out), None))
            }
            Data::BookingForm => {
                let questions = crate::booking::form::questions(&p.store, scope).await?;
                Ok((json_lines(&questions)?, None))
            }
            Data::Bookings => {
                let cursor = self.cp.cursor.as_deref();
                let page = match &self.hash {
                    Some(h) => {
                        p.store
                            .list_where(
                                scope,
                                Collection::Bookings,
                                crate::store::Filter::Equals("customer_email_hash", h),
                                PAGE,
                                cursor,
                            )
                            .await?
                    }
                    None => {
                        p.store
                            .list(scope, Collection::Bookings, PAGE, cursor)
                            .await?
                    }
                };
                let mut out = Vec::with_capacity(page.records.len());
                for record in page.records {
                    let id: ItemId = record
                        .string("booking_id")?
                        .parse()
                        .map_err(|_| StoreError::Integrity)?;
                    let created_at = record.number_or_zero("created_at");
                    let booking = Booking {
                        key: TenantKey::new(scope, Entity::Booking(id.as_str())),
                        record,
                    };
                    let mut value = match booking.view(p, scope).await {
                        Ok(view) => {
                            serde_json::to_value(&view).map_err(|_| StoreError::Integrity)?
                        }
                        // Retried by the next run.
                        Err(crate::booking::bookings::BookingError::Unavailable) => {
                            return Err(StoreError::Unavailable)
                        }
                        // A booking whose personal fields cannot be read
                        // (erased, or sealed under a destroyed key) is
                        // exported as what is left of it, marked, rather
                        // than holding up the whole export until it fails.
                        Err(e) => {
                            tracing::warn!(booking_id = %id, error = ?e, "booking exported without its personal fields");
                            let r = &booking.record;
                            serde_json::json!({
                                "booking_id": id.as_str(),
                                "service_id": r.optional_string("service_id"),
                                "staff_id": r.optional_string("staff_id"),
                                "start": crate::clock::rfc3339(r.number_or_zero("start")),
                                "end": crate::clock::rfc3339(r.number_or_zero("end")),
                                "status": r.optional_string("status"),
                                "personal_data": "unreadable",
                            })
                        }
                    };
                    if let Some(map) = value.as_object_mut() {
                        map.insert(
                            "created_at".into(),
                            crate::clock::rfc3339(created_at).into(),
                        );
                    }
                    out.push(value.to_string());
                }
                Ok((out, page.next))
            }
            Data::CalendarConnections => {
                let views: Vec<_> = crate::calendar::connection::all(p, scope)
                    .await?
                    .iter()
                    .map(|c| c.view())
                    .collect();
                Ok((json_lines(&views)?, None))
            }
            Data::Audit => {
                let (entries, next) =
                    crate::audit::page(&p.store, scope, PAGE, self.cp.cursor.as_deref()).await?;
                Ok((json_lines(&entries)?, next))
            }
        }
    }
}

/// Every active owner: they are told when an export is ready.
async fn owners(p: &Platform, scope: &TenantScope) -> Result<Vec<UserId>, StoreError> {
    let users = p.store.list_all(scope, Collection::Users).await?;
    Ok(users
        .iter()
        .filter(|u| {
            u.optional_string("role") == Some(Role::Owner.as_str())
                && u.optional_string("status").unwrap_or("active") == "active"
        })
        .filter_map(|u| u.optional_string("user_id")?.parse().ok())
        .collect())
}

fn json_lines<T: Serialize>(items: &[T]) -> Result<Vec<String>, StoreError> {
    items
        .iter()
        .map(|i| serde_json::to_string(i).map_err(|_| StoreError::Integrity))
        .collect()
}

fn counts_json(counts: &BTreeMap<String, u64>) -> String {
    serde_json::to_string(counts).unwrap_or_else(|_| "{}".into())
}

fn accounts_error(e: crate::accounts::AccountsError) -> StoreError {
    tracing::error!(error = %e, "export could not read accounts");
    StoreError::Unavailable
}

fn zip_error(e: zip::ZipError) -> StoreError {
    tracing::error!(error = %e, "export archive could not be written");
    StoreError::Integrity
}

fn s3_error<E: std::error::Error + 'static>(op: &'static str) -> impl FnOnce(E) -> StoreError {
    move |e| {
        tracing::error!(operation = op, error = %aws_sdk_s3::error::DisplayErrorContext(&e), "s3 call failed");
        StoreError::Unavailable
    }
}

/// Forgets every export of one customer (PRIV-2: an erasure reaches their
/// access exports too): each archive, its record and the lock naming them go.
/// Returns how many exports were forgotten.
pub async fn forget_customer(
    p: &Platform,
    scope: &TenantScope,
    customer_hash: &str,
) -> Result<usize, crate::store::StoreError> {
    let mut forgotten = 0;
    for r in p
        .store
        .list_between(scope, Collection::TenantContext, "EXPORT#", "EXPORT#~")
        .await?
    {
        if r.optional_string("customer_email_hash") != Some(customer_hash) {
            continue;
        }
        let Some(id) = r.sort_key()?.strip_prefix("EXPORT#").map(str::to_owned) else {
            continue;
        };
        p.s3.delete_object()
            .bucket(&p.config.export_bucket)
            .key(archive_key(scope, &id))
            .send()
            .await
            .map_err(|e| {
                tracing::error!(error = %aws_sdk_s3::error::DisplayErrorContext(&e), "export archive not deleted");
                crate::store::StoreError::Unavailable
            })?;
        p.store
            .transact(vec![Write::Delete(key(scope, &id), Condition::None)])
            .await?;
        forgotten += 1;
    }
    let subject = format!("customer#{customer_hash}");
    p.store
        .transact(vec![Write::Delete(
            TenantKey::new(scope, Entity::ExportLock(&subject)),
            Condition::None,
        )])
        .await?;
    Ok(forgotten)
}
