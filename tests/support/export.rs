//! Helpers for export tests and the export bench: many bookings written
//! fast in the booking code's layout, running the export job, and reading an
//! archive back through its signed link with Python's `zipfile` (an
//! implementation independent of the writer).

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use bookwarden_shared::crypto::{FieldBinding, Purpose};
use bookwarden_shared::export::{self, Progress};
use bookwarden_shared::tenancy::{ItemId, TenantScope};
use serde_json::Value;

use crate::TestApp;

/// One booking to seed.
pub struct SeedBooking {
    /// The customer's name.
    pub name: String,
    /// The customer's address.
    pub email: String,
    /// The customer's phone, if any.
    pub phone: Option<String>,
    /// Form answers.
    pub answers: BTreeMap<String, String>,
}

/// Writes bookings straight into the table with BatchWriteItem, in the
/// layout `booking::bookings::create` writes (same attributes, personal
/// fields sealed through the real envelope and bound to their item, the
/// keyed email hash from the tenant's lookup key), without claims, timeline
/// or mail: what an export reads. Starts are one hour apart from `first`.
pub async fn seed_bookings(
    app: &TestApp,
    scope: &TenantScope,
    service_id: &str,
    staff_id: &str,
    first: i64,
    bookings: impl IntoIterator<Item = SeedBooking>,
) -> Vec<String> {
    let p = &app.platform;
    let tenant = bookwarden_shared::accounts::user::tenant(p, scope)
        .await
        .expect("tenant");
    let lookup = tenant.lookup_key(p, scope).await.expect("lookup key");
    let t = scope.tenant_id().to_string();
    let mut ids = Vec::new();
    let mut batch = Vec::new();
    let mut writes = Vec::new();
    for (i, b) in bookings.into_iter().enumerate() {
        let id = ItemId::generate().to_string();
        let pk = format!("T#{t}");
        let sk = format!("BOOKING#{id}");
        let seal = |field: &'static str, value: Vec<u8>| {
            let (pk, sk) = (pk.clone(), sk.clone());
            async move {
                let sealed = p
                    .envelope
                    .seal(
                        scope,
                        Purpose::PersonalData,
                        FieldBinding {
                            pk: &pk,
                            sk: &sk,
                            field,
                        },
                        &value,
                    )
                    .await
                    .expect("seal");
                AttributeValue::B(Blob::new(sealed))
            }
        };
        let start = first + i as i64 * 3600;
        let s = |v: &str| AttributeValue::S(v.to_owned());
        let n = |v: i64| AttributeValue::N(v.to_string());
        let email_hash = lookup.digest(&b.email.to_lowercase());
        let mut item = std::collections::HashMap::from([
            ("PK".to_owned(), s(&pk)),
            ("SK".to_owned(), s(&sk)),
            ("tenant_id".to_owned(), s(&t)),
            ("customer_email_hash".to_owned(), s(&email_hash)),
            ("request_hash".to_owned(), s(&format!("seed-{id}"))),
            ("booking_id".to_owned(), s(&id)),
            ("service_id".to_owned(), s(service_id)),
            ("staff_id".to_owned(), s(staff_id)),
            ("start".to_owned(), n(start)),
            ("end".to_owned(), n(start + 3600)),
            ("span_start".to_owned(), n(start)),
            ("span_end".to_owned(), n(start + 4500)),
            ("status".to_owned(), s("confirmed")),
            ("created_at".to_owned(), n(first - 86_400)),
            (
                "customer_name".to_owned(),
                seal("customer_name", b.name.into_bytes()).await,
            ),
            (
                "customer_email".to_owned(),
                seal("customer_email", b.email.into_bytes()).await,
            ),
            (
                "answers".to_owned(),
                seal("answers", serde_json::to_vec(&b.answers).unwrap()).await,
            ),
            ("reminder_offsets".to_owned(), AttributeValue::L(Vec::new())),
        ]);
        if let Some(phone) = b.phone {
            item.insert(
                "customer_phone".to_owned(),
                seal("customer_phone", phone.into_bytes()).await,
            );
        }
        ids.push(id);
        batch.push(
            WriteRequest::builder()
                .put_request(PutRequest::builder().set_item(Some(item)).build().unwrap())
                .build(),
        );
        if batch.len() == 25 {
            writes.push(std::mem::take(&mut batch));
        }
        // A few batches in flight at once; the rest wait their turn.
        if writes.len() == 8 {
            flush(app, std::mem::take(&mut writes)).await;
        }
    }
    if !batch.is_empty() {
        writes.push(batch);
    }
    flush(app, writes).await;
    ids
}

async fn flush(app: &TestApp, batches: Vec<Vec<WriteRequest>>) {
    let sends = batches.into_iter().map(|batch| async move {
        let mut pending = batch;
        while !pending.is_empty() {
            let out = app
                .clients
                .dynamodb
                .batch_write_item()
                .request_items(&app.table, pending)
                .send()
                .await
                .expect("batch write");
            pending = out
                .unprocessed_items
                .and_then(|mut u| u.remove(&app.table))
                .unwrap_or_default();
        }
    });
    futures_util::future::join_all(sends).await;
}

/// Runs the export until it is ready, each run with `budget`; returns how
/// many runs it took.
pub async fn finish(
    app: &TestApp,
    scope: &TenantScope,
    export_id: &str,
    budget: Duration,
) -> usize {
    for run in 1..=10_000 {
        match export::run(&app.platform, scope, export_id, budget)
            .await
            .expect("export run")
        {
            Progress::Finished => return run,
            Progress::Paused => {}
            other => panic!("export run ended {other:?}"),
        }
    }
    panic!("export did not finish");
}

/// A downloaded archive: its size and each file's text.
pub struct Archive {
    /// Bytes downloaded.
    pub size: u64,
    /// File name to content, in archive order of names.
    pub files: BTreeMap<String, String>,
    /// Names in archive order.
    pub names: Vec<String>,
}

impl Archive {
    /// The JSON lines of a file.
    pub fn lines(&self, name: &str) -> Vec<Value> {
        self.files
            .get(name)
            .unwrap_or_else(|| panic!("{name} in the archive"))
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON line"))
            .collect()
    }

    /// Every file's text together, for searching.
    pub fn text(&self) -> String {
        self.files.values().cloned().collect::<Vec<_>>().join("\n")
    }
}

/// Downloads `url` (a signed link) with Python's urllib and reads it with
/// `zipfile`, which checks every entry's CRC.
pub async fn download(url: &str) -> Archive {
    const SCRIPT: &str = r#"
import io, json, sys, urllib.request, zipfile
data = urllib.request.urlopen(sys.argv[1]).read()
z = zipfile.ZipFile(io.BytesIO(data))
bad = z.testzip()
assert bad is None, bad
names = z.namelist()
json.dump({"size": len(data), "names": names,
           "files": {n: z.read(n).decode("utf-8") for n in names}}, sys.stdout)
"#;
    let out = tokio::process::Command::new(bookwarden_functions::local::moto::python())
        .arg("-c")
        .arg(SCRIPT)
        .arg(url)
        .output()
        .await
        .expect("python");
    assert!(
        out.status.success(),
        "download failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("archive listing");
    Archive {
        size: v["size"].as_u64().unwrap(),
        names: v["names"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap().to_owned())
            .collect(),
        files: v["files"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
            .collect(),
    }
}

/// Whether an export archive is in the app's export bucket.
pub async fn archive_exists(app: &TestApp, key: &str) -> bool {
    app.platform
        .s3
        .head_object()
        .bucket(&app.platform.config.export_bucket)
        .key(key)
        .send()
        .await
        .is_ok()
}
