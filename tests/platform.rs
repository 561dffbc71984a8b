//! The platform's promises tested directly against moto: envelope encryption
//! bindings (CRY-2), tenant isolation of every store operation (ISO-2, ISO-4,
//! ISO-5), and DKIM signatures checked by an independent verifier (MAIL-1).

use bookwarden_shared::crypto::{CryptoError, Envelope, FieldBinding, Purpose};
use bookwarden_shared::email::{dns_records, EmailAddress, OutgoingMessage};
use bookwarden_shared::store::{
    Attrs, Collection, Condition, Entity, StoreError, TenantKey, Write,
};
use bookwarden_shared::tenancy::{TenantScope, UserId};
use bookwarden_tests::{dkim_verifies, TestApp};

fn new_scope() -> TenantScope {
    TenantScope::for_new_tenant()
}

const EMAIL: FieldBinding<'static> = FieldBinding {
    pk: "T#a",
    sk: "USER#b",
    field: "email",
};

#[tokio::test]
async fn sealed_fields_open_only_where_they_were_sealed() {
    let app = TestApp::new().await;
    let envelope = &app.platform.envelope;
    let (a, b) = (new_scope(), new_scope());
    let plaintext = b"ada@example.com";
    let sealed = envelope
        .seal(&a, Purpose::PersonalData, EMAIL, plaintext)
        .await
        .unwrap();
    assert!(
        !sealed.windows(plaintext.len()).any(|w| w == plaintext),
        "ciphertext contains the plaintext"
    );
    assert_eq!(
        envelope
            .open(&a, Purpose::PersonalData, EMAIL, &sealed)
            .await
            .unwrap(),
        plaintext
    );

    // Sealing the same value twice gives different bytes (fresh nonce per value).
    let again = envelope
        .seal(&a, Purpose::PersonalData, EMAIL, plaintext)
        .await
        .unwrap();
    assert_ne!(sealed, again);

    let moved = [
        (
            a.clone(),
            Purpose::PersonalData,
            FieldBinding {
                field: "name",
                ..EMAIL
            },
            "another field",
        ),
        (
            a.clone(),
            Purpose::PersonalData,
            FieldBinding {
                sk: "USER#c",
                ..EMAIL
            },
            "another item",
        ),
        (
            a.clone(),
            Purpose::PersonalData,
            FieldBinding { pk: "T#z", ..EMAIL },
            "another partition",
        ),
        (a.clone(), Purpose::Credential, EMAIL, "another purpose"),
        (b.clone(), Purpose::PersonalData, EMAIL, "another tenant"),
    ];
    for (scope, purpose, at, what) in &moved {
        let err = envelope
            .open(scope, *purpose, *at, &sealed)
            .await
            .unwrap_err();
        assert!(matches!(err, CryptoError::Undecryptable), "{what}: {err:?}");
    }

    let mut tampered = sealed.clone();
    *tampered.last_mut().unwrap() ^= 1;
    assert!(matches!(
        envelope
            .open(&a, Purpose::PersonalData, EMAIL, &tampered)
            .await,
        Err(CryptoError::Undecryptable)
    ));
}

#[tokio::test]
async fn a_cold_function_unwraps_through_kms_and_kms_enforces_the_tenant() {
    let app = TestApp::new().await;
    let (a, b) = (new_scope(), new_scope());
    let sealed = app
        .platform
        .envelope
        .seal(&a, Purpose::PersonalData, EMAIL, b"secret")
        .await
        .unwrap();

    // A fresh process has no cached key: it asks KMS, which checks the context.
    let kms = app.clients.kms.clone();
    let key = app.platform.config.data_key_id.clone();
    let cold = Envelope::new(kms.clone(), key.clone());
    assert_eq!(
        cold.open(&a, Purpose::PersonalData, EMAIL, &sealed)
            .await
            .unwrap(),
        b"secret"
    );
    let cold = Envelope::new(kms, key);
    assert!(matches!(
        cold.open(&b, Purpose::PersonalData, EMAIL, &sealed).await,
        Err(CryptoError::Undecryptable)
    ));
}

/// Writes a tenant with one user and one audit event, as sign-up does.
async fn seed_tenant(app: &TestApp) -> (TenantScope, UserId) {
    let scope = new_scope();
    let user = UserId::generate();
    let event = bookwarden_shared::audit::AuditEvent {
        kind: "test",
        action: "seeded",
        actor: user.to_string(),
        target: scope.tenant_id().to_string(),
        client_addr: "198.51.100.1".into(),
        outcome: bookwarden_shared::audit::Outcome::Success,
    };
    app.platform
        .store
        .transact(vec![
            Write::Put(
                TenantKey::new(&scope, Entity::Profile),
                Attrs::new().string("status", "active"),
                Condition::NotExists,
            ),
            Write::Put(
                TenantKey::new(&scope, Entity::User(&user)),
                Attrs::new()
                    .string("user_id", user.as_str())
                    .string("role", "owner"),
                Condition::NotExists,
            ),
            event.write(&scope),
        ])
        .await
        .unwrap();
    (scope, user)
}

#[tokio::test]
async fn one_tenant_cannot_read_list_or_change_another_tenants_data() {
    let app = TestApp::new().await;
    let store = &app.platform.store;
    let (a, _a_user) = seed_tenant(&app).await;
    let (b, b_user) = seed_tenant(&app).await;
    let before = app.scan().await;

    // Read: B's user id in A's scope addresses nothing.
    let key = TenantKey::new(&a, Entity::User(&b_user));
    assert!(!key.pk().contains(b.tenant_id().as_str()));
    assert!(store.get(&a, &key).await.unwrap().is_none());
    assert!(store
        .get(&b, &TenantKey::new(&b, Entity::User(&b_user)))
        .await
        .unwrap()
        .is_some());

    // List: A's audit log holds only A's events.
    let a_events = store
        .list(&a, Collection::Audit, 50, None)
        .await
        .unwrap()
        .records;
    assert_eq!(a_events.len(), 1);
    assert!(a_events
        .iter()
        .all(|r| r.tenant_id().unwrap() == *a.tenant_id()));

    // Update: targeting B's user from A's scope fails and changes nothing.
    let update = Write::Update(
        key.clone(),
        Attrs::new().string("role", "staff"),
        Condition::Exists,
    );
    assert!(matches!(
        store.transact(vec![update]).await,
        Err(StoreError::Conflict)
    ));
    // Create-only puts cannot overwrite either.
    let put = Write::Put(
        TenantKey::new(&b, Entity::Profile),
        Attrs::new(),
        Condition::NotExists,
    );
    assert!(matches!(
        store.transact(vec![put]).await,
        Err(StoreError::Conflict)
    ));
    // Atomic counters on B's user from A's scope address nothing.
    assert!(matches!(
        store
            .add(
                &a,
                &TenantKey::new(&a, Entity::User(&b_user)),
                "failed_logins",
                1
            )
            .await,
        Err(StoreError::Conflict)
    ));
    // Deletes from A's scope cannot reach B's items.
    let delete = Write::Delete(TenantKey::new(&a, Entity::User(&b_user)), Condition::None);
    store.transact(vec![delete]).await.unwrap();
    // Range reads (claims, busy blocks, bookings by start) are per tenant.
    let b_claim = TenantKey::new(&b, Entity::Claim(&b_user, 600));
    store
        .transact(vec![Write::Put(
            b_claim,
            Attrs::new().string("booking_id", "x"),
            Condition::NotExists,
        )])
        .await
        .unwrap();
    let from_a = store
        .list_between(&a, Collection::Claims(&b_user), "0", "999999999999")
        .await
        .unwrap();
    assert!(from_a.is_empty());
    let from_b = store
        .list_between(&b, Collection::Claims(&b_user), "0", "999999999999")
        .await
        .unwrap();
    assert_eq!(from_b.len(), 1);
    let after: Vec<_> = app
        .scan()
        .await
        .into_iter()
        .filter(|i| !i["PK"].as_s().unwrap().contains("#CLAIM#"))
        .collect();
    assert_eq!(after, before);
}

#[tokio::test]
async fn an_item_whose_tenant_attribute_disagrees_with_its_key_is_never_returned() {
    let app = TestApp::new().await;
    let (a, _) = seed_tenant(&app).await;
    let (b, _) = seed_tenant(&app).await;
    // Simulate a corrupted or maliciously written item: A's key, B's tenant attribute.
    let forged = UserId::generate();
    let key = TenantKey::new(&a, Entity::User(&forged));
    app.clients
        .dynamodb
        .put_item()
        .table_name(&app.table)
        .item("PK", aws_sdk_dynamodb::types::AttributeValue::S(key.pk()))
        .item("SK", aws_sdk_dynamodb::types::AttributeValue::S(key.sk()))
        .item(
            "tenant_id",
            aws_sdk_dynamodb::types::AttributeValue::S(b.tenant_id().to_string()),
        )
        .send()
        .await
        .unwrap();
    assert!(matches!(
        app.platform.store.get(&a, &key).await,
        Err(StoreError::Integrity)
    ));
    // Updates check the tenant attribute too.
    let update = Write::Update(key, Attrs::new().string("role", "owner"), Condition::Exists);
    assert!(matches!(
        app.platform.store.transact(vec![update]).await,
        Err(StoreError::Conflict)
    ));
}

fn message(to: &str) -> OutgoingMessage {
    OutgoingMessage {
        to: to.parse::<EmailAddress>().unwrap(),
        to_name: "Zoë Ünicode".into(),
        subject: "Grüße: your booking".into(),
        text:
            "Hello,\r\n\r\nA line that is long enough to be wrapped by the quoted-printable encoder, with ümlauts.\r\n"
                .into(),
        attachments: Vec::new(),
            list_unsubscribe: None,
    }
}

#[tokio::test]
async fn messages_carry_a_dkim_signature_an_independent_verifier_accepts() {
    let app = TestApp::new().await;
    let mailer = &app.platform.mailer;
    let signed = mailer.sign(&message("reader@example.org")).await.unwrap();
    let public_key = mailer.dkim_public_key().await.unwrap();
    assert!(dkim_verifies(
        signed.as_bytes(),
        "bookwarden",
        "mail.bookwarden.test",
        &public_key
    ));

    // The verifier is not a rubber stamp: altered mail and the wrong key fail.
    let text = String::from_utf8(signed.as_bytes().to_vec()).unwrap();
    let altered = text.replace("Hello,", "Hullo,");
    assert_ne!(altered, text);
    assert!(!dkim_verifies(
        altered.as_bytes(),
        "bookwarden",
        "mail.bookwarden.test",
        &public_key
    ));
    let second_from = text.replacen(
        "\r\nFrom: ",
        "\r\nFrom: Mallory <m@evil.example>\r\nFrom: ",
        1,
    );
    assert_ne!(second_from, text);
    assert!(!dkim_verifies(
        second_from.as_bytes(),
        "bookwarden",
        "mail.bookwarden.test",
        &public_key
    ));
    let other = app
        .clients
        .kms
        .create_key()
        .key_spec(aws_sdk_kms::types::KeySpec::Rsa2048)
        .key_usage(aws_sdk_kms::types::KeyUsageType::SignVerify)
        .send()
        .await
        .unwrap();
    let other_key = app
        .clients
        .kms
        .get_public_key()
        .key_id(other.key_metadata().unwrap().key_id())
        .send()
        .await
        .unwrap();
    assert!(!dkim_verifies(
        signed.as_bytes(),
        "bookwarden",
        "mail.bookwarden.test",
        other_key.public_key().unwrap().as_ref()
    ));

    // Sent through SES as raw content, it arrives byte for byte.
    mailer.send(&signed).await.unwrap();
    let sent = app.mail_to("reader@example.org").await;
    assert!(sent.iter().any(|m| m.as_bytes() == signed.as_bytes()));
}

#[tokio::test]
async fn dns_records_publish_the_kms_public_key_and_a_rejecting_dmarc_policy() {
    let app = TestApp::new().await;
    let public_key = app.platform.mailer.dkim_public_key().await.unwrap();
    let records = dns_records("mail.bookwarden.test", "bookwarden", &public_key);
    let dkim = &records[0];
    assert_eq!(dkim.name, "bookwarden._domainkey.mail.bookwarden.test");
    let published = dkim.value.strip_prefix("v=DKIM1; k=rsa; p=").unwrap();
    // The published key verifies real signatures (2048-bit RSA SubjectPublicKeyInfo).
    use base64::Engine;
    let der = base64::engine::general_purpose::STANDARD
        .decode(published)
        .unwrap();
    assert!(
        (290..=300).contains(&der.len()),
        "2048-bit RSA SPKI, got {} bytes",
        der.len()
    );
    let signed = app
        .platform
        .mailer
        .sign(&message("dns@example.org"))
        .await
        .unwrap();
    assert!(dkim_verifies(
        signed.as_bytes(),
        "bookwarden",
        "mail.bookwarden.test",
        &der
    ));
    assert!(records
        .iter()
        .any(|r| r.name == "mail.bookwarden.test" && r.value.starts_with("v=spf1")));
    assert!(records
        .iter()
        .any(|r| r.name == "_dmarc.mail.bookwarden.test" && r.value.contains("p=reject")));
}
