//! PRIV-4: a business chooses its region at sign-up; its items, keys and mail
//! exist only in that region's stack, a global directory (no personal data)
//! keeps slugs unique across regions, and any region's API sends requests for
//! a business elsewhere to its region with a 307.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use bookwarden_tests::{signup_body, token_from_mail, TestApp, SECOND_REGION_BASE};
use serde_json::json;

type Item = HashMap<String, AttributeValue>;

fn names_tenant(item: &Item, tenant: &str) -> bool {
    format!("{item:?}").contains(tenant)
}

async fn scan_table(app: &TestApp, table: &str) -> Vec<Item> {
    app.clients
        .dynamodb
        .scan()
        .table_name(table)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default()
}

#[tokio::test]
async fn a_business_lives_only_in_the_region_it_chose() {
    let (us, eu) = TestApp::regional_pair().await;
    let mut body = signup_body("resident");
    body["region"] = json!("eu-central-1");
    let slug = body["slug"].as_str().unwrap().to_owned();
    let email = body["owner_email"].as_str().unwrap().to_owned();

    // Asking the first region sends the sign-up to the chosen one.
    let r = us.post_json("/v1/tenants", &body).await;
    assert_eq!(r.status, 307, "{}", r.body);
    assert_eq!(
        r.header("location"),
        Some(format!("{SECOND_REGION_BASE}/v1/tenants").as_str())
    );
    assert!(
        us.scan().await.is_empty(),
        "nothing written in the first region"
    );

    let r = eu.post_json("/v1/tenants", &body).await;
    assert_eq!(r.status, 201, "{}", r.body);
    let tenant = r.json()["tenant_id"].as_str().unwrap().to_owned();
    let mail = eu.mail_to(&email).await;
    assert_eq!(mail.len(), 1, "the verification mail left from its region");
    let verified = eu
        .post_json(
            "/v1/auth/verify-email",
            &json!({ "token": token_from_mail(&mail[0]) }),
        )
        .await;
    assert_eq!(verified.status, 200, "{}", verified.body);

    // Items, root key and KMS use: only in the chosen region.
    assert!(eu.scan().await.iter().any(|i| names_tenant(i, &tenant)));
    assert!(!us.scan().await.iter().any(|i| names_tenant(i, &tenant)));
    let keystore = |app: &TestApp| app.platform.config.keystore_table.clone();
    assert!(scan_table(&eu, &keystore(&eu))
        .await
        .iter()
        .any(|i| names_tenant(i, &tenant)));
    assert!(scan_table(&us, &keystore(&us)).await.is_empty());
    assert_eq!(
        us.kms_calls.get(),
        0,
        "the first region's keys were never used"
    );
    assert!(eu.kms_calls.get() > 0);

    // The directory names the business's region and nothing personal.
    let directory = us.platform.config.directory.clone().unwrap().table;
    let entries = scan_table(&us, &directory).await;
    let text = format!("{entries:?}");
    assert_eq!(entries.len(), 2, "{text}");
    assert!(text.contains("eu-central-1") && text.contains(&tenant) && text.contains(&slug));
    for personal in [
        email.as_str(),
        body["owner_name"].as_str().unwrap(),
        body["name"].as_str().unwrap(),
    ] {
        assert!(!text.contains(personal), "the directory holds {personal}");
    }
    assert!(
        !text.contains("expires_at"),
        "verified: the slug is kept for good"
    );

    // Any route for it at the first region is sent to its region.
    for (method, path, payload) in [
        ("GET", format!("/v1/public/tenants/{slug}"), None),
        ("GET", format!("/book/{slug}?lang=de"), None),
        (
            "POST",
            "/v1/auth/login".to_owned(),
            Some(json!({ "tenant": slug, "email": email, "password": body["password"] })),
        ),
    ] {
        let bytes = payload.map(|p| p.to_string()).unwrap_or_default();
        let r = us
            .request(
                method,
                &path,
                &[("content-type", "application/json")],
                bytes.as_bytes(),
            )
            .await;
        assert_eq!(r.status, 307, "{method} {path}: {}", r.body);
        assert_eq!(
            r.header("location"),
            Some(format!("{SECOND_REGION_BASE}{path}").as_str()),
            "{method} {path}"
        );
    }
    let r = eu
        .request("GET", &format!("/v1/public/tenants/{slug}"), &[], b"")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);

    // The slug is taken in every region.
    let mut same_slug = signup_body("resident-copy");
    same_slug["slug"] = json!(slug);
    let r = us.post_json("/v1/tenants", &same_slug).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(us
        .scan()
        .await
        .iter()
        .all(|i| !format!("{i:?}").contains("resident-copy")));
}

#[tokio::test]
async fn only_deployed_regions_can_be_chosen() {
    let (us, _eu) = TestApp::regional_pair().await;
    for region in [
        json!("mars-north-1"),
        json!(""),
        json!("EU-CENTRAL-1"),
        json!(7),
    ] {
        let mut body = signup_body("nowhere");
        body["region"] = region.clone();
        let r = us.post_json("/v1/tenants", &body).await;
        assert!(
            r.status == 422 || r.status == 400,
            "{region}: {} {}",
            r.status,
            r.body
        );
    }
    assert!(us.scan().await.is_empty());
    // Leaving it out keeps the business in the region asked.
    let r = us.post_json("/v1/tenants", &signup_body("home")).await;
    assert_eq!(r.status, 201, "{}", r.body);
}
