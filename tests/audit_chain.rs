//! AUD-2: each tenant's audit log is one hash chain, linked under a
//! conditional head whatever runs concurrently, checked by the verification
//! route, and anchored in an object-locked bucket the application cannot
//! rewrite. Tampering is done as an attacker with table access would: through
//! the admin DynamoDB client, past every check of the application.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use bookwarden_shared::audit::chain::{link_hash, Linked};
use bookwarden_shared::audit::{AuditEvent, Outcome};
use bookwarden_shared::tenancy::TenantScope;
use bookwarden_tests::identity::{session_from, As, Session};
use bookwarden_tests::TestApp;
use serde_json::{json, Value};

type Item = HashMap<String, AttributeValue>;

fn s<'a>(item: &'a Item, name: &str) -> &'a str {
    item.get(name).and_then(|v| v.as_s().ok()).map_or("", |v| v)
}

fn n(item: &Item, name: &str) -> i64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1)
}

fn event(i: usize) -> AuditEvent {
    AuditEvent {
        kind: "test",
        action: "test.recorded",
        actor: format!("actor-{i}"),
        target: format!("target-{i}"),
        client_addr: "198.51.100.4".into(),
        outcome: Outcome::Success,
    }
}

struct Tenant {
    session: Session,
    scope: TenantScope,
}

async fn tenant(app: &TestApp, tag: &str) -> Tenant {
    let owner = app.owner(tag).await;
    let session = app.login(&owner).await;
    let scope = app.scope_of(&owner.slug).await;
    Tenant { session, scope }
}

async fn append(app: &TestApp, t: &Tenant, count: usize) {
    for i in 0..count {
        event(i)
            .append(&app.platform.store, &t.scope)
            .await
            .expect("append");
    }
}

async fn verification(app: &TestApp, session: &Session) -> Value {
    let r = app
        .call(
            As::Session(session),
            "GET",
            &format!("/v1/tenants/{}/audit/verification", session.tenant_id),
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// Every item of the tenant's audit partition, in chain order (unlinked last).
async fn audit_items(app: &TestApp, t: &Tenant) -> Vec<Item> {
    let mut items = Vec::new();
    let mut start = None;
    loop {
        let out = app
            .clients
            .dynamodb
            .query()
            .table_name(&app.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(
                ":pk",
                AttributeValue::S(format!("T#{}#AUDIT", t.scope.tenant_id())),
            )
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("query");
        items.extend(out.items.unwrap_or_default());
        start = out.last_evaluated_key;
        if start.is_none() {
            break;
        }
    }
    items.sort_by_key(|i| {
        let seq = n(i, "seq");
        if seq < 0 {
            i64::MAX
        } else {
            seq
        }
    });
    items
}

async fn put(app: &TestApp, item: Item) {
    app.clients
        .dynamodb
        .put_item()
        .table_name(&app.table)
        .set_item(Some(item))
        .send()
        .await
        .expect("put");
}

async fn delete(app: &TestApp, item: &Item) {
    app.clients
        .dynamodb
        .delete_item()
        .table_name(&app.table)
        .key("PK", item["PK"].clone())
        .key("SK", item["SK"].clone())
        .send()
        .await
        .expect("delete");
}

fn broken(v: &Value) -> (i64, String, String) {
    let b = &v["first_broken"];
    (
        b["seq"].as_i64().unwrap_or(-1),
        b["sort_key"].as_str().unwrap_or("?").to_owned(),
        b["reason"].as_str().unwrap_or("?").to_owned(),
    )
}

/// A tenant with a linked chain of setup events plus `extra`, verified intact.
async fn chain(app: &TestApp, tag: &str, extra: usize) -> (Tenant, Vec<Item>) {
    let t = tenant(app, tag).await;
    append(app, &t, extra).await;
    let v = verification(app, &t.session).await;
    assert_eq!(v["valid"], true, "{v}");
    let items = audit_items(app, &t).await;
    assert_eq!(v["events"], items.len() as i64, "{v}");
    (t, items)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_appends_make_one_unbroken_chain() {
    let app = TestApp::new().await;
    let t = tenant(&app, "chain50").await;
    let before = audit_items(&app, &t).await.len();
    let started = std::time::Instant::now();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let store = app.platform.store.clone();
            let scope = t.scope.clone();
            tokio::spawn(async move { event(i).append(&store, &scope).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("task").expect("append");
    }
    eprintln!(
        "50 concurrent appends, each linking: {:?}",
        started.elapsed()
    );

    let v = verification(&app, &t.session).await;
    let items = audit_items(&app, &t).await;
    assert_eq!(items.len(), before + 50);
    assert_eq!(
        v,
        json!({ "valid": true, "events": items.len(), "first_broken": null,
                "anchored_through": 0, "pending": 0 })
    );
    // Exactly 1..=n, each naming its predecessor's hash: no gap, no fork.
    let seqs: Vec<i64> = items.iter().map(|i| n(i, "seq")).collect();
    assert_eq!(seqs, (1..=items.len() as i64).collect::<Vec<_>>());
    for pair in items.windows(2) {
        assert_eq!(s(&pair[1], "prev"), s(&pair[0], "hash"));
    }
    // Linked events leave the sequencer's queue.
    assert!(items.iter().all(|i| !i.contains_key("DUE_PK")));
    // The listing shows each event's place in the chain, newest first.
    let listed = app
        .call(
            As::Session(&t.session),
            "GET",
            &format!("/v1/tenants/{}/audit?limit=3", t.session.tenant_id),
            None,
        )
        .await
        .json();
    assert_eq!(listed["events"][0]["action"], "test.recorded");
    assert!(listed["events"][0]["seq"].as_i64().is_some(), "{listed}");
}

#[tokio::test]
async fn two_sequencers_racing_link_each_event_once() {
    let app = TestApp::new().await;
    let t = tenant(&app, "race").await;
    let setup = verification(&app, &t.session).await["events"]
        .as_i64()
        .unwrap_or(0);
    for i in 0..30 {
        // Written unlinked, as the fifty transactional call sites write them.
        app.platform
            .store
            .transact(vec![event(i).write(&t.scope)])
            .await
            .expect("write");
    }
    let store = &app.platform.store;
    let late = bookwarden_shared::audit::chain::LATE_SECS;
    let (a, b, c) = tokio::join!(
        bookwarden_shared::audit::chain::sequence(store, &t.scope, late, None),
        bookwarden_shared::audit::chain::sequence(store, &t.scope, late, None),
        bookwarden_shared::audit::chain::sequence(store, &t.scope, late, None),
    );
    // Each event linked by exactly one of them.
    assert_eq!(a.expect("a") + b.expect("b") + c.expect("c"), 30);
    let items = audit_items(&app, &t).await;
    assert!(items.iter().all(|i| n(i, "seq") > 0));
    let v = verification(&app, &t.session).await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["events"], setup + 30);
    assert_eq!(v["events"], items.len() as i64);
}

#[tokio::test]
async fn an_event_committed_late_is_linked_after_the_head_never_lost() {
    let app = TestApp::new().await;
    let (t, items) = chain(&app, "late", 3).await;
    let head_seq = items.len() as i64;

    // Timed a moment ago but committed after newer events were linked: the
    // next append links it (it is within the look-back).
    let moments_ago = chrono::Utc::now() - chrono::Duration::seconds(20);
    app.platform
        .store
        .transact(vec![event(100).write_at(&t.scope, moments_ago)])
        .await
        .expect("write");
    append(&app, &t, 1).await;
    let items = audit_items(&app, &t).await;
    assert!(items.iter().all(|i| n(i, "seq") > 0), "all linked");
    assert_eq!(items.len() as i64, head_seq + 2);

    // Timed an hour ago (far behind every look-back): the verification sees
    // it waiting, and the scheduled sequencer finds it on the queue.
    let hour_ago = chrono::Utc::now() - chrono::Duration::hours(1);
    app.platform
        .store
        .transact(vec![event(101).write_at(&t.scope, hour_ago)])
        .await
        .expect("write");
    let v = verification(&app, &t.session).await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["pending"], 1, "{v}");
    let report = bookwarden_functions::jobs::audit_sequence(&app.platform)
        .await
        .expect("job");
    assert_eq!((report.tenants, report.linked), (1, 1));
    let v = verification(&app, &t.session).await;
    assert_eq!(
        (
            v["valid"].clone(),
            v["pending"].clone(),
            v["events"].clone()
        ),
        (json!(true), json!(0), json!(head_seq + 3)),
        "{v}"
    );
    // Chain order is the order of linking: the oldest sort key is the newest link.
    let items = audit_items(&app, &t).await;
    let last = items.last().expect("events");
    assert_eq!(s(last, "actor"), "actor-101");
    assert_eq!(n(last, "seq"), head_seq + 3);
    let oldest_key = items.iter().map(|i| s(i, "SK")).min().unwrap_or_default();
    assert_eq!(s(last, "SK"), oldest_key);
    // Nothing left for the job.
    let again = bookwarden_functions::jobs::audit_sequence(&app.platform)
        .await
        .expect("job");
    assert_eq!(again.linked, 0);
}

#[tokio::test]
async fn editing_a_field_of_one_event_breaks_the_chain_there() {
    let app = TestApp::new().await;
    let (t, items) = chain(&app, "edit", 8).await;
    let mut victim = items[5].clone();
    victim.insert("actor".into(), AttributeValue::S("someone-else".into()));
    put(&app, victim.clone()).await;
    let v = verification(&app, &t.session).await;
    assert_eq!(v["valid"], false);
    assert_eq!(
        broken(&v),
        (6, s(&victim, "SK").to_owned(), "altered".to_owned()),
        "{v}"
    );
    assert_eq!(v["events"], items.len() as i64);
}

#[tokio::test]
async fn deleting_one_event_is_reported_as_the_missing_link() {
    let app = TestApp::new().await;
    let (t, items) = chain(&app, "gap", 8).await;
    delete(&app, &items[4]).await;
    let v = verification(&app, &t.session).await;
    assert_eq!(v["valid"], false);
    // Seq 5 is gone; the event that names it as predecessor is reported.
    assert_eq!(
        broken(&v),
        (5, s(&items[5], "SK").to_owned(), "missing".to_owned()),
        "{v}"
    );
    assert_eq!(v["events"], items.len() as i64 - 1);
}

#[tokio::test]
async fn swapping_two_events_contents_breaks_the_chain_at_the_first() {
    let app = TestApp::new().await;
    let (t, items) = chain(&app, "swap", 8).await;
    let (a, b) = (items[3].clone(), items[6].clone());
    let mut a2 = a.clone();
    let mut b2 = b.clone();
    for field in [
        "kind",
        "action",
        "actor",
        "target",
        "at",
        "client_addr",
        "outcome",
    ] {
        a2.insert(field.into(), b[field].clone());
        b2.insert(field.into(), a[field].clone());
    }
    put(&app, a2).await;
    put(&app, b2).await;
    let v = verification(&app, &t.session).await;
    assert_eq!(
        broken(&v),
        (4, s(&a, "SK").to_owned(), "altered".to_owned()),
        "{v}"
    );

    // Swapping whole items, links included, moves each under the other's
    // sort key, which its hash covers.
    let app = TestApp::new().await;
    let (t, items) = chain(&app, "swapall", 8).await;
    let (a, b) = (items[3].clone(), items[6].clone());
    let mut a2 = b.clone();
    let mut b2 = a.clone();
    a2.insert("SK".into(), a["SK"].clone());
    b2.insert("SK".into(), b["SK"].clone());
    put(&app, a2).await;
    put(&app, b2).await;
    let v = verification(&app, &t.session).await;
    // Seq 4 now lives under the seventh event's sort key.
    assert_eq!(
        broken(&v),
        (4, s(&b, "SK").to_owned(), "altered".to_owned()),
        "{v}"
    );
}

async fn anchor_now(app: &TestApp) -> usize {
    bookwarden_functions::jobs::audit_anchor(&app.platform)
        .await
        .expect("anchor job")
        .anchored
}

async fn anchor_keys(app: &TestApp, t: &Tenant) -> Vec<String> {
    app.clients
        .s3
        .list_objects_v2()
        .bucket(&app.platform.config.audit_anchor_bucket)
        .prefix(format!("anchors/{}/", t.scope.tenant_id()))
        .send()
        .await
        .expect("list")
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn cutting_off_the_tail_behind_an_anchor_is_detected_even_with_the_head_rewound() {
    let app = TestApp::new().await;
    let (t, items) = chain(&app, "tail", 6).await;
    assert_eq!(anchor_now(&app).await, 1);
    let last = items.len();
    let v = verification(&app, &t.session).await;
    assert_eq!(
        (v["valid"].clone(), v["anchored_through"].clone()),
        (json!(true), json!(last))
    );

    // The attacker deletes the two newest events and rewinds the head to
    // the survivor, so the table alone looks consistent.
    delete(&app, &items[last - 1]).await;
    delete(&app, &items[last - 2]).await;
    let survivor = &items[last - 3];
    app.clients
        .dynamodb
        .update_item()
        .table_name(&app.table)
        .key(
            "PK",
            AttributeValue::S(format!("T#{}#AUDITHEAD", t.scope.tenant_id())),
        )
        .key("SK", AttributeValue::S("HEAD".into()))
        .update_expression("SET seq = :s, #h = :h")
        .expression_attribute_names("#h", "hash")
        .expression_attribute_values(":s", AttributeValue::N((last - 2).to_string()))
        .expression_attribute_values(":h", survivor["hash"].clone())
        .send()
        .await
        .expect("rewind head");
    let v = verification(&app, &t.session).await;
    assert_eq!(v["valid"], false);
    assert_eq!(
        broken(&v),
        ((last - 1) as i64, String::new(), "truncated".to_owned()),
        "{v}"
    );
    assert_eq!(v["anchored_through"], last as i64);
}

#[tokio::test]
async fn rewriting_history_before_an_anchor_with_every_hash_recomputed_is_detected() {
    let app = TestApp::new().await;
    let (t, items) = chain(&app, "rewrite", 6).await;
    assert_eq!(anchor_now(&app).await, 1);

    // The attacker knows the encoding: edit event 3 and rebuild every link
    // after it, and the head, so the chain itself verifies.
    let tenant = t.scope.tenant_id().to_string();
    let mut prev = s(&items[1], "hash").to_owned();
    let mut rewritten = Vec::new();
    for (i, item) in items.iter().enumerate().skip(2) {
        let mut item = item.clone();
        if i == 2 {
            item.insert("target".into(), AttributeValue::S("forged".into()));
        }
        let at = n(&item, "at");
        let hash = link_hash(&Linked {
            tenant: &tenant,
            kind: Some(s(&item, "kind")),
            action: Some(s(&item, "action")),
            actor: Some(s(&item, "actor")),
            target: Some(s(&item, "target")),
            at: Some(at),
            client_addr: Some(s(&item, "client_addr")),
            outcome: Some(s(&item, "outcome")),
            sort_key: s(&item, "SK"),
            seq: n(&item, "seq"),
            prev: &prev,
        });
        item.insert("prev".into(), AttributeValue::S(prev.clone()));
        item.insert("hash".into(), AttributeValue::S(hash.clone()));
        prev = hash;
        rewritten.push(item);
    }
    for item in rewritten {
        put(&app, item).await;
    }
    app.clients
        .dynamodb
        .update_item()
        .table_name(&app.table)
        .key("PK", AttributeValue::S(format!("T#{tenant}#AUDITHEAD")))
        .key("SK", AttributeValue::S("HEAD".into()))
        .update_expression("SET #h = :h")
        .expression_attribute_names("#h", "hash")
        .expression_attribute_values(":h", AttributeValue::S(prev))
        .send()
        .await
        .expect("head");

    let v = verification(&app, &t.session).await;
    assert_eq!(v["valid"], false, "{v}");
    let last = items.len();
    assert_eq!(
        broken(&v),
        (
            last as i64,
            s(&items[last - 1], "SK").to_owned(),
            "anchor_mismatch".to_owned()
        ),
        "{v}"
    );
}

#[tokio::test]
async fn anchors_land_in_the_locked_bucket_once_per_moved_head_and_cannot_be_removed() {
    let app = TestApp::new().await;
    let (t, items) = chain(&app, "anchor", 2).await;
    let bucket = app.platform.config.audit_anchor_bucket.clone();
    assert_eq!(anchor_now(&app).await, 1);
    let keys = anchor_keys(&app, &t).await;
    let head_hash = s(items.last().expect("events"), "hash").to_owned();
    assert_eq!(
        keys,
        [format!(
            "anchors/{}/{:012}-{head_hash}.json",
            t.scope.tenant_id(),
            items.len()
        )]
    );
    let object = app
        .clients
        .s3
        .get_object()
        .bucket(&bucket)
        .key(&keys[0])
        .send()
        .await
        .expect("get");
    let version = object.version_id().expect("versioned").to_owned();
    let body: Value =
        serde_json::from_slice(&object.body.collect().await.expect("body").into_bytes())
            .expect("json");
    assert_eq!(body["seq"], items.len() as i64);
    assert_eq!(body["hash"], head_hash);
    assert_eq!(body["tenant"], t.scope.tenant_id().as_str());

    // Nothing moved: nothing new to anchor.
    assert_eq!(anchor_now(&app).await, 0);
    assert_eq!(anchor_keys(&app, &t).await.len(), 1);

    // Kept in compliance mode: even the admin client cannot delete the
    // version or shorten its retention.
    let head = app
        .clients
        .s3
        .head_object()
        .bucket(&bucket)
        .key(&keys[0])
        .send()
        .await
        .expect("head");
    assert_eq!(
        head.object_lock_mode(),
        Some(&aws_sdk_s3::types::ObjectLockMode::Compliance)
    );
    let until = head
        .object_lock_retain_until_date()
        .expect("retained")
        .secs();
    assert!(until > bookwarden_shared::clock::now_unix() + 399 * 86_400);
    let deleted = app
        .clients
        .s3
        .delete_object()
        .bucket(&bucket)
        .key(&keys[0])
        .version_id(&version)
        .send()
        .await;
    assert!(deleted.is_err(), "a locked version was deleted");
    let bypass = app
        .clients
        .s3
        .delete_object()
        .bucket(&bucket)
        .key(&keys[0])
        .version_id(&version)
        .bypass_governance_retention(true)
        .send()
        .await;
    assert!(bypass.is_err(), "compliance mode has no bypass");
    // Overwriting makes a new version; the anchored one stays as it was.
    app.clients
        .s3
        .put_object()
        .bucket(&bucket)
        .key(&keys[0])
        .checksum_algorithm(aws_sdk_s3::types::ChecksumAlgorithm::Sha256)
        .body(b"{}".to_vec().into())
        .send()
        .await
        .expect("a new version");
    let original = app
        .clients
        .s3
        .get_object()
        .bucket(&bucket)
        .key(&keys[0])
        .version_id(&version)
        .send()
        .await
        .expect("the locked version");
    let kept: Value =
        serde_json::from_slice(&original.body.collect().await.expect("body").into_bytes())
            .expect("json");
    assert_eq!(kept, body);

    // New events move the head: the next pass anchors it again.
    append(&app, &t, 1).await;
    assert_eq!(anchor_now(&app).await, 1);
    assert_eq!(anchor_keys(&app, &t).await.len(), 2);
    let v = verification(&app, &t.session).await;
    assert_eq!(v["valid"], true, "{v}");
    assert_eq!(v["anchored_through"], items.len() as i64 + 1);
}

#[tokio::test]
async fn a_forged_anchor_is_reported_not_trusted() {
    let app = TestApp::new().await;
    let (t, items) = chain(&app, "forged", 2).await;
    // Someone with the application's PutObject writes an anchor the chain
    // does not hold (beyond its end): verification fails rather than trust it.
    let key = bookwarden_shared::audit::chain::anchor_key(
        t.scope.tenant_id().as_str(),
        items.len() as i64 + 5,
        &"ab".repeat(32),
    );
    app.clients
        .s3
        .put_object()
        .bucket(&app.platform.config.audit_anchor_bucket)
        .key(key)
        .checksum_algorithm(aws_sdk_s3::types::ChecksumAlgorithm::Sha256)
        .body(b"{}".to_vec().into())
        .send()
        .await
        .expect("put");
    let v = verification(&app, &t.session).await;
    assert_eq!(v["valid"], false);
    assert_eq!(broken(&v).2, "truncated");
}

#[tokio::test]
async fn verification_is_for_owners_and_admins_signed_in_and_unrestricted() {
    let app = TestApp::new().await;
    let owner = app.owner("verifyaccess").await;
    let owner_session = app.login(&owner).await;
    let (_, admin) = app.member(&owner_session, &owner, "admin").await;
    let (_, staff) = app.member(&owner_session, &owner, "staff").await;
    let (read_key, _) = app.api_key(&owner_session, &["read"]).await;
    let (admin_key, _) = app.api_key(&owner_session, &["read", "admin"]).await;
    let other = app.owner("verifyother").await;
    let outsider = app.login(&other).await;
    let path = format!("/v1/tenants/{}/audit/verification", owner.tenant_id);

    for (who, caller) in [
        ("owner", As::Session(&owner_session)),
        ("admin", As::Session(&admin)),
    ] {
        let r = app.call(caller, "GET", &path, None).await;
        assert_eq!(r.status, 200, "{who}: {}", r.body);
        assert_eq!(r.json()["valid"], true, "{who}");
    }
    for (who, caller) in [
        ("staff", As::Session(&staff)),
        ("read key", As::Key(&read_key)),
        ("admin key", As::Key(&admin_key)),
    ] {
        let r = app.call(caller, "GET", &path, None).await;
        assert_eq!(r.status, 403, "{who}: {}", r.body);
        assert!(
            r.header("content-type")
                .is_some_and(|c| c.starts_with("application/problem+json")),
            "{who}"
        );
    }
    assert_eq!(
        app.call(As::Anonymous, "GET", &path, None).await.status,
        401
    );
    // Another tenant's owner: not found, and nothing of this tenant's chain
    // moves; the attempt is audited in the outsider's own log.
    let crossed = app.call(As::Session(&outsider), "GET", &path, None).await;
    assert_eq!(crossed.status, 404, "{}", crossed.body);
    assert!(app
        .audit_actions(&outsider)
        .await
        .contains(&"tenant.cross_access_attempt".to_owned()));
    // A stale or crafted query is refused, not ignored.
    let r = app
        .call(
            As::Session(&owner_session),
            "GET",
            &format!("{path}?from=0"),
            None,
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);

    // Parallel verifications agree and leave one chain.
    let (a, b) = tokio::join!(
        app.call(As::Session(&owner_session), "GET", &path, None),
        app.call(As::Session(&admin), "GET", &path, None),
    );
    assert_eq!((a.status, b.status), (200, 200));
    assert_eq!(a.json()["valid"], true);
    assert_eq!(b.json()["valid"], true);

    // A session restricted to enrolling a second factor may not verify.
    app.set_settings(&owner_session, json!({ "mfa_required_for_admins": true }))
        .await;
    let r = app
        .login_attempt(&owner.slug, &owner.email, &owner.password)
        .await;
    assert_eq!(r.json()["status"], "mfa_enrolment_required");
    let restricted = session_from(&r);
    let refused = app.call(As::Session(&restricted), "GET", &path, None).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("step-required"), "{}", refused.body);
}

#[tokio::test]
async fn a_log_longer_than_a_page_is_linked_in_batches_and_walked_page_by_page() {
    let app = TestApp::new().await;
    let t = tenant(&app, "long").await;
    // 300 events written unlinked, 50 to a transaction, as busy call sites would.
    for chunk in 0..6 {
        let writes = (0..50)
            .map(|i| event(chunk * 50 + i).write(&t.scope))
            .collect();
        app.platform.store.transact(writes).await.expect("write");
    }
    let started = std::time::Instant::now();
    let v = verification(&app, &t.session).await;
    let first = started.elapsed();
    let total = audit_items(&app, &t).await.len();
    assert!(total > 300);
    assert_eq!(
        (
            v["valid"].clone(),
            v["events"].clone(),
            v["pending"].clone()
        ),
        (json!(true), json!(total), json!(0)),
        "{v}"
    );
    let started = std::time::Instant::now();
    let again = verification(&app, &t.session).await;
    let walk = started.elapsed();
    assert_eq!(again, v);
    eprintln!("linking and walking {total} events: {first:?}; walking again: {walk:?}");

    // A break on the third page is found there.
    let items = audit_items(&app, &t).await;
    let mut victim = items[249].clone();
    victim.insert("outcome".into(), AttributeValue::S("failure".into()));
    put(&app, victim.clone()).await;
    let v = verification(&app, &t.session).await;
    assert_eq!(
        broken(&v),
        (250, s(&victim, "SK").to_owned(), "altered".to_owned()),
        "{v}"
    );
    assert_eq!(v["events"], total as i64);
}
