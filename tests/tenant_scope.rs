//! ISO-6 against moto: tenant data goes through credentials assumed per tenant
//! (tagged `tenant=<id>`), global lookups through the function's own, and STS
//! is called once per tenant per credentials lifetime.
//!
//! moto implements AssumeRole and returns distinct credentials per session but
//! enforces no IAM, so these tests check what the code sends: which access key
//! signed each DynamoDB request and which tenant partitions that request named.
//! That the role's policy then refuses another tenant's partitions is the IAM
//! part (policy patterns checked in `store::scoped::tests`).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use bookwarden_functions::local::sdk_config;
use bookwarden_shared::aws::Clients;
use bookwarden_shared::store::{
    Attrs, Condition, Entity, Store, StoreError, TenantClients, TenantCredentials, TenantKey,
    Write, SESSION_SECS,
};
use bookwarden_shared::tenancy::TenantScope;
use bookwarden_shared::Platform;
use bookwarden_tests::booking::{book, future_day, shop, slots};
use bookwarden_tests::identity::As;
use bookwarden_tests::{moto, TestApp};

const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/bookwarden-tenant";
/// The access key the local SDK configuration signs with: the function's own.
const FUNCTION_KEY: &str = "testing";

/// One DynamoDB request: its operation, the access key that signed it, and
/// the tenant ids of every `T#<tenant>` key or value it named.
#[derive(Clone, Debug)]
struct DdbCall {
    operation: String,
    access_key: String,
    tenants: BTreeSet<String>,
    body: String,
}

/// One AssumeRole call as sent, and the access key it returned.
#[derive(Clone, Debug, Default)]
struct StsCall {
    request: String,
    tenant_tag: Option<String>,
}

/// Records what the platform's DynamoDB and STS clients send.
#[derive(Clone, Debug, Default)]
struct Recorder {
    ddb: Arc<Mutex<Vec<DdbCall>>>,
    sts: Arc<Mutex<Vec<StsCall>>>,
    /// Access key returned by AssumeRole, to the tenant its session names.
    keys: Arc<Mutex<BTreeMap<String, String>>>,
}

impl Recorder {
    fn ddb(&self) -> Vec<DdbCall> {
        self.ddb.lock().unwrap().clone()
    }

    fn sts(&self) -> Vec<StsCall> {
        self.sts.lock().unwrap().clone()
    }

    fn tenant_of_key(&self, access_key: &str) -> Option<String> {
        self.keys.lock().unwrap().get(access_key).cloned()
    }
}

/// Every tenant id named as a JSON string beginning `T#<26 id characters>`
/// in `text` (a whole key or value, so `EVT#<hash>` does not count).
fn tenants_named(text: &str) -> BTreeSet<String> {
    let bytes = text.as_bytes();
    let mut found = BTreeSet::new();
    let mut i = 0;
    while let Some(at) = text[i..].find("\"T#") {
        let start = i + at + 3;
        let id: Vec<u8> = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            .copied()
            .collect();
        if id.len() >= 26 {
            found.insert(String::from_utf8(id[..26].to_vec()).unwrap());
        }
        i = start;
    }
    found
}

fn form_value(body: &str, name: &str) -> Option<String> {
    body.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == name).then(|| v.to_owned())
    })
}

#[derive(Debug)]
struct DdbRecorder(Recorder);

impl Intercept for DdbRecorder {
    fn name(&self) -> &'static str {
        "DdbRecorder"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let request = context.request();
        let operation = request
            .headers()
            .get("x-amz-target")
            .and_then(|t| t.rsplit('.').next())
            .unwrap_or("unknown")
            .to_owned();
        let access_key = request
            .headers()
            .get("authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').next())
            .unwrap_or("unsigned")
            .to_owned();
        let body = String::from_utf8_lossy(request.body().bytes().unwrap_or_default()).into_owned();
        self.0.ddb.lock().unwrap().push(DdbCall {
            operation,
            access_key,
            tenants: tenants_named(&body),
            body,
        });
        Ok(())
    }
}

#[derive(Debug)]
struct StsRecorder(Recorder);

impl Intercept for StsRecorder {
    fn name(&self) -> &'static str {
        "StsRecorder"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let request = String::from_utf8_lossy(context.request().body().bytes().unwrap_or_default())
            .into_owned();
        let tenant_tag = (form_value(&request, "Tags.member.1.Key").as_deref() == Some("tenant"))
            .then(|| form_value(&request, "Tags.member.1.Value"))
            .flatten();
        self.0.sts.lock().unwrap().push(StsCall {
            request,
            tenant_tag,
        });
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), aws_sdk_dynamodb::error::BoxError> {
        let Ok(output) = context.output_or_error() else {
            return Ok(());
        };
        let Some(out) =
            output.downcast_ref::<aws_sdk_sts::operation::assume_role::AssumeRoleOutput>()
        else {
            return Ok(());
        };
        let (Some(creds), Some(user)) = (out.credentials(), out.assumed_role_user()) else {
            return Ok(());
        };
        // The session name is `bw-<tenant>`: the last path segment of the ARN.
        let session = user.arn().rsplit('/').next().unwrap_or_default();
        if let Some(tenant) = session.strip_prefix("bw-") {
            self.0
                .keys
                .lock()
                .unwrap()
                .insert(creds.access_key_id().to_owned(), tenant.to_owned());
        }
        Ok(())
    }
}

/// DynamoDB and STS clients against moto that report to `recorder`.
fn recorded_clients(recorder: &Recorder) -> (aws_sdk_dynamodb::Client, aws_sdk_sts::Client) {
    let sdk = sdk_config(&moto().endpoint);
    let ddb = aws_sdk_dynamodb::config::Builder::from(&sdk)
        .interceptor(DdbRecorder(recorder.clone()))
        .build();
    let sts = aws_sdk_sts::config::Builder::from(&sdk)
        .interceptor(StsRecorder(recorder.clone()))
        .build();
    (
        aws_sdk_dynamodb::Client::from_conf(ddb),
        aws_sdk_sts::Client::from_conf(sts),
    )
}

/// A test app whose platform assumes the tenant role, recording its calls.
async fn scoped_app() -> (TestApp, Recorder) {
    let mut app = TestApp::new().await;
    let recorder = Recorder::default();
    let (dynamodb, sts) = recorded_clients(&recorder);
    let mut config = app.platform.config.clone();
    config.tenant_credentials = TenantCredentials::AssumeRole {
        role_arn: ROLE_ARN.to_owned(),
        actions: bookwarden_shared::store::TENANT_DATA_ACTIONS
            .map(str::to_owned)
            .to_vec(),
    };
    let clients = Clients {
        dynamodb,
        sts,
        kms: app.clients.kms.clone(),
        ses: app.clients.ses.clone(),
        secrets: app.clients.secrets.clone(),
        s3: app.clients.s3.clone(),
    };
    app.platform = Platform::new(config, clients);
    assert!(app.platform.store.tenant_clients().is_scoped());
    (app, recorder)
}

/// Checks every recorded DynamoDB request of the main table: the function's
/// key named no tenant partition; an assumed key named only the tenant it was
/// assumed for. Returns, per tenant, how many requests its credentials signed.
///
/// The keystore table (CRY-6) is read with the function's own credentials:
/// a wrapped root key opens only through KMS under its tenant's encryption
/// context, which is what isolates it.
fn assert_partitions_match_credentials(recorder: &Recorder) -> BTreeMap<String, usize> {
    let mut per_tenant = BTreeMap::new();
    for call in recorder.ddb() {
        if call.body.contains("-keystore\"") {
            assert_eq!(call.access_key, FUNCTION_KEY, "the keystore: {}", call.body);
            continue;
        }
        if call.access_key == FUNCTION_KEY {
            assert!(
                call.tenants.is_empty(),
                "the function's own credentials named tenant partitions: {} {}",
                call.operation,
                call.body
            );
        } else {
            let tenant = recorder
                .tenant_of_key(&call.access_key)
                .unwrap_or_else(|| panic!("signed by an unknown key: {call:?}"));
            assert!(
                call.tenants.iter().all(|t| *t == tenant),
                "credentials of {tenant} named {:?}: {} {}",
                call.tenants,
                call.operation,
                call.body
            );
            *per_tenant.entry(tenant).or_insert(0) += 1;
        }
    }
    per_tenant
}

/// Two businesses go through sign-up, verification, login, setup, a public
/// booking and owner reads. Every request naming a tenant partition was
/// signed with that tenant's assumed credentials; global lookups (slug,
/// session record, throttle counters, the Due index) with the function's own;
/// STS was called once per tenant, with the tenant tag, and warm requests
/// make no STS call.
#[tokio::test]
async fn tenant_data_is_reached_only_with_that_tenants_assumed_credentials() {
    let (app, recorder) = scoped_app().await;
    let a = shop(&app, "scope-a").await;
    let b = shop(&app, "scope-b").await;
    let day = future_day();
    for (s, who) in [(&a, "ada"), (&b, "bob")] {
        let free = slots(&app, s, day).await;
        let r = book(&app, s, &free[0], &format!("{who}@example.com"), who).await;
        assert_eq!(r.status, 201, "{}", r.body);
    }
    app.deliver_mail().await;

    let tenants: BTreeSet<String> = [a.owner.tenant_id.clone(), b.owner.tenant_id.clone()].into();
    let sts = recorder.sts();
    for call in &sts {
        assert_eq!(
            form_value(&call.request, "Action").as_deref(),
            Some("AssumeRole")
        );
        assert_eq!(
            form_value(&call.request, "DurationSeconds").as_deref(),
            Some(SESSION_SECS.to_string().as_str())
        );
        let tag = call.tenant_tag.clone().expect("tenant tag");
        assert!(tenants.contains(&tag), "{tag}");
        assert_eq!(
            form_value(&call.request, "RoleSessionName"),
            Some(format!("bw-{tag}"))
        );
        assert!(call
            .request
            .contains("RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fbookwarden-tenant"));
        // The session carries the function's own actions as a session policy.
        let policy = url::form_urlencoded::parse(call.request.as_bytes())
            .find_map(|(k, v)| (k == "Policy").then(|| v.into_owned()))
            .expect("a session policy");
        let policy: serde_json::Value = serde_json::from_str(&policy).expect("JSON policy");
        assert_eq!(
            policy["Statement"][0]["Action"][0], "dynamodb:GetItem",
            "{policy}"
        );
    }
    let tagged: Vec<String> = sts.iter().filter_map(|c| c.tenant_tag.clone()).collect();
    assert_eq!(
        tagged.iter().cloned().collect::<BTreeSet<_>>(),
        tenants,
        "one session per tenant"
    );
    assert_eq!(
        tagged.len(),
        2,
        "one AssumeRole call per tenant: {tagged:?}"
    );

    let per_tenant = assert_partitions_match_credentials(&recorder);
    for t in &tenants {
        assert!(
            per_tenant.get(t).copied().unwrap_or(0) > 10,
            "{per_tenant:?}"
        );
    }
    // Global lookups went out under the function's own credentials.
    let calls = recorder.ddb();
    let function_reads_of = |prefix: &str| {
        calls
            .iter()
            .filter(|c| c.access_key == FUNCTION_KEY && c.body.contains(&format!("\"{prefix}")))
            .count()
    };
    for prefix in ["SLUG#", "SESS#", "THR#", "DUE#"] {
        assert!(
            function_reads_of(prefix) > 0,
            "no {prefix} call with the function's key"
        );
    }

    // Warm: more requests of both tenants, no STS call, same checks.
    let before = recorder.sts().len();
    let ddb_before = recorder.ddb().len();
    for s in [&a, &b] {
        let t = &s.owner.tenant_id;
        for path in [
            format!("/v1/tenants/{t}/settings"),
            format!("/v1/tenants/{t}/me"),
            format!("/v1/tenants/{t}/services"),
        ] {
            let r = app.call(As::Session(&s.session), "GET", &path, None).await;
            assert_eq!(r.status, 200, "{path}: {}", r.body);
        }
    }
    assert_eq!(recorder.sts().len(), before, "warm requests called STS");
    assert!(recorder.ddb().len() > ddb_before);
    assert_partitions_match_credentials(&recorder);
    assert_eq!(app.platform.store.tenant_clients().cached_tenants(), 2);
}

/// A cross-tenant request refused by the application (ISO-3) is refused before
/// any store call of the other tenant, so it neither assumes the other
/// tenant's role nor signs anything with it.
#[tokio::test]
async fn another_tenants_path_never_assumes_that_tenants_role() {
    let (app, recorder) = scoped_app().await;
    let a = app.owner("cross-a").await;
    let b = app.owner("cross-b").await;
    let session = app.login(&a).await;
    let before = recorder.sts().len();
    let r = app
        .call(
            As::Session(&session),
            "GET",
            &format!("/v1/tenants/{}/settings", b.tenant_id),
            None,
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let new: Vec<Option<String>> = recorder.sts()[before..]
        .iter()
        .map(|c| c.tenant_tag.clone())
        .collect();
    assert!(
        new.iter()
            .all(|t| t.as_deref() != Some(b.tenant_id.as_str())),
        "{new:?}"
    );
    assert_partitions_match_credentials(&recorder);
}

/// Concurrent first uses of one tenant make one AssumeRole call; each tenant
/// gets its own; the cached credentials serve warm uses, and the cost of a
/// cold tenant is one STS round trip.
#[tokio::test]
async fn concurrent_first_uses_share_one_assume_role_call() {
    let recorder = Recorder::default();
    let (ddb, sts) = recorded_clients(&recorder);
    let role = TenantCredentials::AssumeRole {
        role_arn: ROLE_ARN.to_owned(),
        actions: Vec::new(),
    };
    let clients = TenantClients::new(ddb, sts, &role);
    let (one, two) = (TenantScope::for_new_tenant(), TenantScope::for_new_tenant());

    let cold = Instant::now();
    let firsts = futures_util::future::join_all(
        (0..16).map(|i| clients.client(if i % 2 == 0 { &one } else { &two })),
    )
    .await;
    let cold_elapsed = cold.elapsed();
    assert!(firsts.iter().all(Result::is_ok));
    let tags: Vec<String> = recorder
        .sts()
        .iter()
        .filter_map(|c| c.tenant_tag.clone())
        .collect();
    assert_eq!(tags.len(), 2, "{tags:?}");
    assert!(tags.contains(&one.tenant_id().to_string()));
    assert!(tags.contains(&two.tenant_id().to_string()));

    let warm = Instant::now();
    for _ in 0..100 {
        clients.client(&one).await.unwrap();
    }
    let warm_each = warm.elapsed() / 100;
    assert_eq!(recorder.sts().len(), 2, "warm uses called STS");

    // One cold tenant alone: the added latency of a first request.
    let three = TenantScope::for_new_tenant();
    let started = Instant::now();
    clients.client(&three).await.unwrap();
    let cold_one = started.elapsed();
    assert_eq!(recorder.sts().len(), 3);
    println!(
        "ISO-6 cost: cold tenant {cold_one:?} (one AssumeRole to moto; 16 concurrent first uses of 2 tenants {cold_elapsed:?}), warm {warm_each:?} per use, 0 STS calls warm"
    );
}

/// Credentials due for refresh are replaced with one new AssumeRole call.
#[tokio::test]
async fn credentials_are_replaced_before_they_expire() {
    let recorder = Recorder::default();
    let (ddb, sts) = recorded_clients(&recorder);
    let role = TenantCredentials::AssumeRole {
        role_arn: ROLE_ARN.to_owned(),
        actions: Vec::new(),
    };
    let scope = TenantScope::for_new_tenant();

    // Default margin: fresh credentials are reused.
    let clients = TenantClients::new(ddb.clone(), sts.clone(), &role);
    clients.client(&scope).await.unwrap();
    clients.client(&scope).await.unwrap();
    assert_eq!(recorder.sts().len(), 1);

    // A margin as long as the session: every use finds them due and refreshes.
    let eager = TenantClients::new(ddb, sts, &role)
        .with_refresh_before(Duration::from_secs(u64::try_from(SESSION_SECS).unwrap()));
    eager.client(&scope).await.unwrap();
    eager.client(&scope).await.unwrap();
    assert_eq!(recorder.sts().len(), 3);
}

/// A transaction naming two tenants cannot be signed by either's credentials:
/// it is refused before anything is sent.
#[tokio::test]
async fn a_transaction_naming_two_tenants_is_refused_unsent() {
    let app = TestApp::new().await;
    let recorder = Recorder::default();
    let (ddb, sts) = recorded_clients(&recorder);
    let role = TenantCredentials::AssumeRole {
        role_arn: ROLE_ARN.to_owned(),
        actions: Vec::new(),
    };
    let store = Store::new(ddb.clone(), app.table.clone())
        .with_tenant_clients(TenantClients::new(ddb, sts, &role));
    let (one, two) = (TenantScope::for_new_tenant(), TenantScope::for_new_tenant());
    let write = |scope: &TenantScope| {
        Write::Put(
            TenantKey::new(scope, Entity::BookingForm),
            Attrs::new(),
            Condition::NotExists,
        )
    };
    let refused = store.transact(vec![write(&one), write(&two)]).await;
    assert!(matches!(refused, Err(StoreError::Integrity)), "{refused:?}");
    assert!(recorder.ddb().is_empty());
    assert!(recorder.sts().is_empty());

    store.transact(vec![write(&one)]).await.unwrap();
    assert_partitions_match_credentials(&recorder);
    assert_eq!(recorder.sts().len(), 1);
}

/// Without a tenant role (the local stack and the other test binaries) the
/// mode is explicit and STS is never called.
#[tokio::test]
async fn the_local_stack_runs_tenant_data_on_the_function_role_explicitly() {
    let app = TestApp::new().await;
    assert_eq!(
        app.platform.config.tenant_credentials,
        TenantCredentials::FunctionRole
    );
    assert!(!app.platform.store.tenant_clients().is_scoped());
}
