//! Test harness: one moto server per test binary, a fresh table per test, the
//! real handlers called in-process through the same dispatch the local gateway
//! uses, and helpers to inspect what moto stored and sent.

pub mod booking;
pub mod browser;
pub mod export;
pub mod identity;
pub mod peers;
pub mod raw_http;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_kms::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_kms::config::{ConfigBag, Intercept, RuntimeComponents};
use bookwarden_functions::local::moto::MotoServer;
use bookwarden_functions::local::{gateway, provision, sdk_config};
use bookwarden_shared::aws::Clients;
use bookwarden_shared::Platform;
use lambda_http::Body;
use tokio::sync::OnceCell;

/// The binary's moto server, started on first use and gone with the process.
pub fn moto() -> &'static MotoServer {
    static MOTO: OnceLock<MotoServer> = OnceLock::new();
    MOTO.get_or_init(|| MotoServer::start(0).expect("start moto (run `make venv` first)"))
}

/// Key aliases shared by the tests of one binary (keys are not tenant data; each
/// test still gets its own table).
async fn keys(clients: &Clients) -> provision::Keys {
    static KEYS: OnceCell<provision::Keys> = OnceCell::const_new();
    KEYS.get_or_init(|| provision_keys(clients)).await.clone()
}

/// The keys, SES identity and calendar clients secret of one region.
async fn provision_keys(clients: &Clients) -> provision::Keys {
    let keys = provision::create_keys(clients, "bookwarden-test")
        .await
        .expect("create keys");
    provision::create_identity(clients, "mail.bookwarden.test")
        .await
        .expect("create SES identity");
    provision::create_calendar_clients_secret(clients, &keys)
        .await
        .expect("create the calendar clients secret");
    keys
}

/// The address of the second region's API in [`TestApp::regional_pair`].
pub const SECOND_REGION_BASE: &str = "https://eu.app.bookwarden.test";

/// The second region's keys, SES identity and calendar clients secret, made
/// once per binary like [`keys`].
async fn second_region_keys(clients: &Clients) -> provision::Keys {
    static KEYS: OnceCell<provision::Keys> = OnceCell::const_new();
    KEYS.get_or_init(|| provision_keys(clients)).await.clone()
}

/// Counts requests an AWS client sends (KMS: to prove warm requests make none;
/// DynamoDB: round trips per request), and names each operation.
#[derive(Debug, Default, Clone)]
pub struct CallCounter(Arc<AtomicUsize>, Arc<Mutex<Vec<String>>>);

/// The KMS counter.
pub type KmsCallCounter = CallCounter;

impl CallCounter {
    /// Calls so far.
    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// The operations sent so far (e.g. `GetItem`, `TransactWriteItems`), in order.
    pub fn operations(&self) -> Vec<String> {
        self.1.lock().expect("operations").clone()
    }

    /// The operations sent while `f` ran.
    pub async fn during<F: std::future::Future>(&self, f: F) -> (F::Output, Vec<String>) {
        let before = self.operations().len();
        let out = f.await;
        (out, self.operations()[before..].to_vec())
    }
}

/// DynamoDB operations that read items (as opposed to writes).
pub const DDB_READS: [&str; 5] = [
    "GetItem",
    "BatchGetItem",
    "Query",
    "Scan",
    "TransactGetItems",
];

/// How many of `operations` read items.
pub fn reads(operations: &[String]) -> usize {
    operations
        .iter()
        .filter(|op| DDB_READS.contains(&op.as_str()))
        .count()
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_kms::error::BoxError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        // JSON-protocol services name the operation in X-Amz-Target.
        let operation = context
            .request()
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("unknown")
            .to_owned();
        self.1.lock().expect("operations").push(operation);
        Ok(())
    }
}

/// How the test's KMS behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kms {
    /// moto's KMS.
    Up,
    /// An endpoint where nothing listens: every call fails.
    Down,
}

/// One test's view of the system: its own table, the shared moto.
pub struct TestApp {
    /// The platform the handlers run on.
    pub platform: Platform,
    /// Clients against moto, for inspection.
    pub clients: Clients,
    /// KMS requests made by the platform so far.
    pub kms_calls: KmsCallCounter,
    /// DynamoDB requests made by the platform so far.
    pub ddb_calls: CallCounter,
    /// This test's table.
    pub table: String,
    /// The client address requests come from.
    pub client_addr: std::sync::Mutex<String>,
}

/// An HTTP response from a handler.
pub struct TestResponse {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: http::HeaderMap,
    /// Body text.
    pub body: String,
}

impl TestResponse {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.body))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The problem type, asserting the response is problem+json.
    pub fn problem_type(&self) -> String {
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json; charset=utf-8"),
            "status {} body {}",
            self.status,
            self.body
        );
        self.json()["type"]
            .as_str()
            .expect("problem type")
            .to_owned()
    }
}

static TABLE_SEQ: AtomicUsize = AtomicUsize::new(0);

impl TestApp {
    /// A fresh table in the shared moto, with KMS up.
    pub async fn new() -> Self {
        Self::with_kms(Kms::Up).await
    }

    /// A fresh table in the shared moto, with KMS as given.
    pub async fn with_kms(kms: Kms) -> Self {
        let sdk = sdk_config(&moto().endpoint);
        let admin = Clients::from_sdk_config(&sdk);
        let keys = keys(&admin).await;
        Self::build(kms, sdk, keys, "https://app.bookwarden.test", |_| {}).await
    }

    /// Two regional stacks of one deployment (PRIV-4): this binary's usual
    /// one in us-east-1 and one in eu-central-1 at [`SECOND_REGION_BASE`],
    /// sharing a fresh global directory in us-east-1.
    pub async fn regional_pair() -> (Self, Self) {
        use bookwarden_functions::local::{sdk_config_in, PRIMARY_REGION, SECOND_REGION};
        use bookwarden_shared::config::{DirectoryLocation, RegionSite};
        let first_sdk = sdk_config(&moto().endpoint);
        let first_admin = Clients::from_sdk_config(&first_sdk);
        let directory = format!(
            "bw-dir-{}-{}",
            std::process::id(),
            TABLE_SEQ.fetch_add(1, Ordering::SeqCst)
        );
        provision::create_single_key_table(&first_admin, &directory)
            .await
            .expect("create the directory");
        let regions = vec![
            RegionSite {
                name: PRIMARY_REGION.into(),
                base_url: "https://app.bookwarden.test".into(),
            },
            RegionSite {
                name: SECOND_REGION.into(),
                base_url: SECOND_REGION_BASE.into(),
            },
        ];
        let located = |region: &'static str| {
            let regions = regions.clone();
            let directory = directory.clone();
            move |config: &mut bookwarden_shared::config::Config| {
                config.region = region.into();
                config.regions = regions;
                config.directory = Some(DirectoryLocation {
                    table: directory,
                    region: PRIMARY_REGION.into(),
                });
            }
        };
        let first_keys = keys(&first_admin).await;
        let first = Self::build(
            Kms::Up,
            first_sdk,
            first_keys,
            "https://app.bookwarden.test",
            located(PRIMARY_REGION),
        )
        .await;
        let second_sdk = sdk_config_in(&moto().endpoint, SECOND_REGION);
        let second_keys = second_region_keys(&Clients::from_sdk_config(&second_sdk)).await;
        let second = Self::build(
            Kms::Up,
            second_sdk,
            second_keys,
            SECOND_REGION_BASE,
            located(SECOND_REGION),
        )
        .await;
        (first, second)
    }

    async fn build(
        kms: Kms,
        sdk: aws_config::SdkConfig,
        keys: provision::Keys,
        base_url: &str,
        configure: impl FnOnce(&mut bookwarden_shared::config::Config),
    ) -> Self {
        let admin = Clients::from_sdk_config(&sdk);
        let table = format!(
            "bw-test-{}-{}",
            std::process::id(),
            TABLE_SEQ.fetch_add(1, Ordering::SeqCst)
        );
        provision::create_storage(&admin, &table)
            .await
            .expect("create table");
        let kms_calls = KmsCallCounter::default();
        let mut kms_config =
            aws_sdk_kms::config::Builder::from(&sdk).interceptor(kms_calls.clone());
        if kms == Kms::Down {
            kms_config = kms_config.endpoint_url("http://127.0.0.1:9");
        }
        let ddb_calls = CallCounter::default();
        let ddb_config =
            aws_sdk_dynamodb::config::Builder::from(&sdk).interceptor(ddb_calls.clone());
        let clients = Clients {
            kms: aws_sdk_kms::Client::from_conf(kms_config.build()),
            dynamodb: aws_sdk_dynamodb::Client::from_conf(ddb_config.build()),
            ses: admin.ses.clone(),
            sts: admin.sts.clone(),
            secrets: admin.secrets.clone(),
            s3: admin.s3.clone(),
        };
        let mut config = provision::local_config(&table, &keys, base_url);
        configure(&mut config);
        Self {
            platform: Platform::new(config, clients).with_fetcher(peers::test_fetcher()),
            clients: admin,
            kms_calls,
            ddb_calls,
            table,
            client_addr: std::sync::Mutex::new("203.0.113.7".to_owned()),
        }
    }

    /// The tenant scope behind a public slug, as the public routes resolve it.
    pub async fn scope_of(&self, slug: &str) -> bookwarden_shared::tenancy::TenantScope {
        let resolved = self
            .platform
            .store
            .resolve_slug(&slug.parse().expect("a slug"))
            .await
            .expect("slug lookup")
            .expect("a known slug");
        bookwarden_shared::tenancy::TenantScope::from_resolved(resolved)
    }

    /// Sends a request through the gateway's dispatch, as API Gateway would.
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> TestResponse {
        let ip = self.client_addr.lock().expect("client address").clone();
        self.request_from(&ip, method, path, headers, body).await
    }

    /// Sends a request from a given client address.
    pub async fn request_from(
        &self,
        ip: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> TestResponse {
        let mut builder = http::Request::builder().method(method).uri(path);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        let (parts, ()) = builder.body(()).expect("valid request").into_parts();
        let peer: SocketAddr = format!("{ip}:50000").parse().expect("address");
        let response = gateway::dispatch(&self.platform, parts, body.to_vec(), peer).await;
        let (parts, body) = response.into_parts();
        TestResponse {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: match body {
                Body::Empty => String::new(),
                Body::Text(t) => t,
                Body::Binary(b) => String::from_utf8(b).expect("UTF-8 body"),
                _ => String::new(),
            },
        }
    }

    /// The same platform with SES unreachable (every send fails).
    pub fn platform_without_ses(&self) -> Platform {
        let ses = aws_sdk_sesv2::config::Builder::from(&sdk_config(&moto().endpoint))
            .endpoint_url("http://127.0.0.1:9")
            .build();
        let clients = Clients {
            ses: aws_sdk_sesv2::Client::from_conf(ses),
            kms: self.clients.kms.clone(),
            dynamodb: self.clients.dynamodb.clone(),
            sts: self.clients.sts.clone(),
            secrets: self.clients.secrets.clone(),
            s3: self.clients.s3.clone(),
        };
        Platform::new(self.platform.config.clone(), clients)
    }

    /// Gives this app's platform the calendar clients `value` (the secret's
    /// JSON text, see `bookwarden_shared::calendar::clients`; malformed text
    /// too) through Secrets Manager on moto, as in AWS: a secret of this app's
    /// own, encrypted under the data key, created on the first call and given
    /// a new version on later ones. The platform reads it on next use;
    /// clones taken before (a spawned gateway) keep what they had.
    pub async fn set_calendar_clients(&mut self, value: &str) {
        let name = format!("bookwarden-test/calendar-clients/{}", self.table);
        if self.platform.config.calendar_clients_secret.as_deref() == Some(name.as_str()) {
            self.clients
                .secrets
                .put_secret_value()
                .secret_id(&name)
                .secret_string(value)
                .send()
                .await
                .expect("put a calendar clients version");
        } else {
            self.clients
                .secrets
                .create_secret()
                .name(&name)
                .kms_key_id(&self.platform.config.data_key_id)
                .secret_string(value)
                .send()
                .await
                .expect("create a calendar clients secret");
        }
        self.platform = self
            .platform
            .clone()
            .with_calendar_clients_secret(Some(name));
    }

    /// Makes later requests come from another client address.
    pub fn set_client(&self, ip: &str) {
        *self.client_addr.lock().expect("client address") = ip.to_owned();
    }

    /// POSTs a JSON value.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> TestResponse {
        self.request(
            "POST",
            path,
            &[("content-type", "application/json")],
            body.to_string().as_bytes(),
        )
        .await
    }

    /// Every item in this test's table.
    pub async fn scan(&self) -> Vec<HashMap<String, AttributeValue>> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .clients
                .dynamodb
                .scan()
                .table_name(&self.table)
                .set_exclusive_start_key(start)
                .send()
                .await
                .expect("scan");
            items.extend(out.items.unwrap_or_default());
            start = out.last_evaluated_key;
            if start.is_none() {
                return items;
            }
        }
    }

    /// Runs the outbox sender over everything queued so far, as the table's
    /// stream does in AWS and the local stack's poll does in `make dev`.
    pub async fn deliver_mail(&self) -> bookwarden_shared::email::outbox::SendReport {
        let now = bookwarden_shared::clock::now_unix();
        bookwarden_shared::email::outbox::send_recent(&self.platform, now)
            .await
            .expect("outbox sender")
    }

    /// Raw messages moto accepted for SES delivery to `recipient`, after the
    /// sender has handled what was queued.
    pub async fn mail_to(&self, recipient: &str) -> Vec<String> {
        self.deliver_mail().await;
        self.sent_to(recipient).await
    }

    /// Raw messages moto accepted for `recipient`, oldest first, without
    /// running the sender. Read through the local stack's own mail endpoint
    /// (infra/local/moto_serial.py), not moto's data.json, which serialises
    /// every object moto holds and fails once an S3 multipart upload has
    /// had a part (an export's archive).
    pub async fn sent_to(&self, recipient: &str) -> Vec<String> {
        let body = raw_http::get(&moto().endpoint, "/bookwarden/sent-mail?limit=all")
            .await
            .body;
        let data: serde_json::Value = serde_json::from_str(&body).expect("moto sent mail");
        let mut messages: Vec<serde_json::Value> =
            data["messages"].as_array().cloned().unwrap_or_default();
        messages.reverse();
        messages
            .iter()
            .filter_map(|m| m["raw_data"].as_str())
            .filter(|raw| raw.contains(recipient))
            .map(str::to_owned)
            .collect()
    }
}

/// The index of the fixed rate-limit window of `secs` seconds that holds now.
/// A test that fills a limit compares it before and after: if a window boundary
/// passed meanwhile, the counts legitimately split over two windows and the
/// test runs its scenario again (it cannot straddle twice).
pub fn limit_window(secs: i64) -> i64 {
    bookwarden_shared::clock::now_unix() / secs
}

/// A valid sign-up body with a unique slug and email.
pub fn signup_body(tag: &str) -> serde_json::Value {
    let unique = bookwarden_shared::tenancy::TenantId::generate().to_string();
    serde_json::json!({
        "name": format!("Salon {tag}"),
        "slug": format!("{tag}-{}", &unique[..8]),
        "time_zone": "Europe/Berlin",
        "owner_name": format!("Owner Of {tag}"),
        "owner_email": format!("owner.{}@example.com", &unique[..12]),
        "password": format!("correct horse battery staple {}", &unique[..6]),
    })
}

/// A raw message with its quoted-printable soft line breaks and `=3D` undone,
/// as a mail client would show the text.
pub fn decoded(raw: &str) -> String {
    raw.replace("=\r\n", "").replace("=3D", "=")
}

/// Extracts the token from a verification email, undoing the quoted-printable
/// transfer encoding that long lines get (soft breaks, `=3D`).
pub fn token_from_mail(raw: &str) -> String {
    let text = raw.replace("=\r\n", "").replace("=3D", "=");
    let start = text.find("#token=").expect("verification link in mail") + "#token=".len();
    text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Verifies a message's DKIM signature with dkimpy, given the KMS public key.
pub fn dkim_verifies(raw: &[u8], selector: &str, domain: &str, public_key_der: &[u8]) -> bool {
    dkim_verifies_at(raw, selector, domain, public_key_der, None)
}

/// Like [`dkim_verifies`], with dkimpy's clock set to `now` (Unix seconds)
/// when given, to verify a message as a receiver would at that time.
pub fn dkim_verifies_at(
    raw: &[u8],
    selector: &str,
    domain: &str,
    public_key_der: &[u8],
    now: Option<i64>,
) -> bool {
    use base64::Engine;
    use std::io::Write;
    let key = base64::engine::general_purpose::STANDARD.encode(public_key_der);
    let script = bookwarden_functions::local::moto::repo_root().join("infra/local/dkim_verify.py");
    let mut command = std::process::Command::new(bookwarden_functions::local::moto::python());
    command.arg(script).args([selector, domain, &key]);
    if let Some(now) = now {
        command.arg(format!("--now={now}"));
    }
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run dkimpy");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(raw)
        .expect("write message");
    let out = child.wait_with_output().expect("dkimpy exits");
    out.status.success()
}

/// Captures everything the JSON logger writes while `f` runs on this thread.
#[derive(Clone, Default)]
pub struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    /// The captured text.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().expect("log buffer").clone()).expect("UTF-8 logs")
    }
}

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log buffer").extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogCapture {
    type Writer = LogCapture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Runs a pytest file of the repository with the venv's Python and fails the
/// calling test with pytest's report if any check fails: the checks written
/// against AWS stand-ins in Python (moto's own API, boto3 scripts).
pub fn run_pytest(relative: &str) {
    let script = bookwarden_functions::local::moto::repo_root().join(relative);
    let out = std::process::Command::new(bookwarden_functions::local::moto::python())
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(&script)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run pytest from the venv (run `make venv` first)");
    assert!(
        out.status.success(),
        "{} failed:\n{}\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
