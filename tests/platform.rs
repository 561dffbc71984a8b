//! The platform's promises tested directly against moto: envelope encryption
//! bindings (CRY-2), tenant isolation of every store operation (ISO-2, ISO-4,
//! ISO-5), and DKIM signatures checked by an independent verifier (MAIL-1).

use aws_sdk_dynamodb::types::AttributeValue;
use bookwarden_shared::crypto::{CryptoError, Envelope, FieldBinding, Purpose};
use bookwarden_shared::email::{
    dns_records, EmailAddress, OutgoingMessage, SesIdentity, SesVerification,
    SIGNATURE_LIFETIME_SECS,
};
use bookwarden_shared::store::{
    Attrs, Collection, Condition, Entity, StoreError, TenantKey, Write,
};
use bookwarden_shared::tenancy::{TenantScope, UserId};
use bookwarden_tests::{dkim_verifies, dkim_verifies_at, TestApp};

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
    let cold = || {
        Envelope::new(
            app.clients.kms.clone(),
            app.platform.config.data_key_id.clone(),
            app.clients.dynamodb.clone(),
            app.platform.config.keystore_table.clone(),
        )
    };
    let cold_a = cold();
    assert_eq!(
        cold_a
            .open(&a, Purpose::PersonalData, EMAIL, &sealed)
            .await
            .unwrap(),
        b"secret"
    );
    assert!(matches!(
        cold().open(&b, Purpose::PersonalData, EMAIL, &sealed).await,
        Err(CryptoError::Undecryptable)
    ));

    // Copying a's wrapped root key to b's keystore entry does not help: KMS
    // unwraps it only under a's encryption context.
    let keystore = app.platform.config.keystore_table.clone();
    let a_root = app
        .clients
        .dynamodb
        .get_item()
        .table_name(&keystore)
        .key("PK", AttributeValue::S(format!("T#{}", a.tenant_id())))
        .send()
        .await
        .unwrap()
        .item
        .expect("a has a root key");
    let mut moved = a_root.clone();
    moved.insert(
        "PK".into(),
        AttributeValue::S(format!("T#{}", b.tenant_id())),
    );
    app.clients
        .dynamodb
        .put_item()
        .table_name(&keystore)
        .set_item(Some(moved))
        .send()
        .await
        .unwrap();
    assert!(matches!(
        cold().open(&b, Purpose::PersonalData, EMAIL, &sealed).await,
        Err(CryptoError::Undecryptable)
    ));
}

#[tokio::test]
async fn destroying_a_tenants_root_key_leaves_its_values_unopenable_warm_or_cold() {
    let app = TestApp::new().await;
    let (a, b) = (new_scope(), new_scope());
    let envelope = &app.platform.envelope;
    let sealed_a = envelope
        .seal(&a, Purpose::PersonalData, EMAIL, b"ada")
        .await
        .unwrap();
    let sealed_b = envelope
        .seal(&b, Purpose::Credential, EMAIL, b"bob")
        .await
        .unwrap();
    // The root keys live in the keystore table, never in the main table.
    let main_table = format!("{:?}", app.scan().await);
    for scope in [&a, &b] {
        assert!(envelope.tenant_key_exists(scope.tenant_id()).await.unwrap());
        assert!(!main_table.contains("wrapped_root"));
    }

    envelope.destroy_tenant_key(a.tenant_id()).await.unwrap();
    envelope.destroy_tenant_key(a.tenant_id()).await.unwrap(); // idempotent
    assert!(!envelope.tenant_key_exists(a.tenant_id()).await.unwrap());
    let cold = Envelope::new(
        app.clients.kms.clone(),
        app.platform.config.data_key_id.clone(),
        app.clients.dynamodb.clone(),
        app.platform.config.keystore_table.clone(),
    );
    for (what, env) in [("warm", &**envelope), ("cold", &cold)] {
        assert!(
            matches!(
                env.open(&a, Purpose::PersonalData, EMAIL, &sealed_a).await,
                Err(CryptoError::Undecryptable)
            ),
            "{what}"
        );
        assert_eq!(
            env.open(&b, Purpose::Credential, EMAIL, &sealed_b)
                .await
                .unwrap(),
            b"bob",
            "{what}: another tenant is untouched"
        );
    }
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

/// `signed` with `header` added: at the top, where relays and receivers
/// prepend, or at the bottom of the header block.
fn with_header(signed: &[u8], header: &str, at_top: bool) -> Vec<u8> {
    let text = String::from_utf8(signed.to_vec()).unwrap();
    let out = if at_top {
        format!("{header}\r\n{text}")
    } else {
        text.replacen("\r\n\r\n", &format!("\r\n{header}\r\n\r\n"), 1)
    };
    assert_ne!(out, text);
    out.into_bytes()
}

#[tokio::test]
async fn added_or_changed_headers_break_the_signature_but_transit_headers_do_not() {
    let app = TestApp::new().await;
    let mailer = &app.platform.mailer;
    let mut reminder = message("reader@example.org");
    reminder.list_unsubscribe = Some("https://app.bookwarden.test/unsubscribe#token=abc".into());
    let signed = mailer.sign(&reminder).await.unwrap();
    let key = mailer.dkim_public_key().await.unwrap();
    let verifies = |raw: &[u8]| dkim_verifies(raw, "bookwarden", "mail.bookwarden.test", &key);
    assert!(verifies(signed.as_bytes()));

    // Relays and receivers add trace headers after signing: they must not break it.
    for trace in [
        "Received: from relay.example.net by mx.example.org; Mon, 1 Jan 2024 00:00:00 +0000",
        "Authentication-Results: mx.example.org; dkim=pass header.d=mail.bookwarden.test",
        "Return-Path: <0100@amazonses.com>",
    ] {
        assert!(
            verifies(&with_header(signed.as_bytes(), trace, true)),
            "{trace}"
        );
    }

    // A replayer who adds a header to redirect replies, add recipients, pose as
    // another sender, rethread, retitle or re-render the message is caught,
    // whether the header was absent (Reply-To) or present (From, Subject).
    for added in [
        "Reply-To: Mallory <m@evil.example>",
        "Cc: victim@example.net",
        "From: Mallory <m@evil.example>",
        "Sender: m@evil.example",
        "To: victim@example.net",
        "Subject: Urgent: confirm your card details",
        "In-Reply-To: <thread@evil.example>",
        "References: <thread@evil.example>",
        "List-Unsubscribe: <https://evil.example/u>",
        "Disposition-Notification-To: m@evil.example",
        "Content-Type: text/html; charset=utf-8",
    ] {
        for at_top in [true, false] {
            assert!(
                !verifies(&with_header(signed.as_bytes(), added, at_top)),
                "{added} added (at top: {at_top}) still verifies"
            );
        }
    }

    // A signed header cannot be changed either.
    let text = String::from_utf8(signed.as_bytes().to_vec()).unwrap();
    let subject = text.lines().find(|l| l.starts_with("Subject: ")).unwrap();
    let changed = text.replacen(subject, "Subject: Urgent: confirm your card details", 1);
    assert_ne!(changed, text);
    assert!(!verifies(changed.as_bytes()));
}

#[tokio::test]
async fn signatures_expire_seven_days_after_signing() {
    let app = TestApp::new().await;
    let mailer = &app.platform.mailer;
    let before = bookwarden_shared::clock::now_unix();
    let signed = mailer.sign(&message("later@example.org")).await.unwrap();
    let after = bookwarden_shared::clock::now_unix();
    let key = mailer.dkim_public_key().await.unwrap();
    let text = String::from_utf8(signed.as_bytes().to_vec()).unwrap();
    let header = &text[..text.find("\r\n\tbh=").unwrap()];
    let tag = |name: &str| -> i64 {
        let start = header.find(&format!("; {name}=")).unwrap() + name.len() + 3;
        header[start..].split(';').next().unwrap().parse().unwrap()
    };
    let (t, x) = (tag("t"), tag("x"));
    assert!((before..=after).contains(&t));
    assert_eq!(x - t, 7 * 24 * 3600);
    assert_eq!(x - t, SIGNATURE_LIFETIME_SECS);

    // dkimpy, its clock moved: valid when sent and until just before x=...
    let at = |now: i64| {
        dkim_verifies_at(
            signed.as_bytes(),
            "bookwarden",
            "mail.bookwarden.test",
            &key,
            Some(now),
        )
    };
    assert!(at(t));
    assert!(at(x - 60));
    // ...and refused once x= has passed (dkimpy forgives 10 hours of clock skew).
    assert!(!at(x + 11 * 3600));
    assert!(!at(x + 30 * 24 * 3600));
}

#[tokio::test]
async fn dns_records_list_what_ses_and_receivers_need_with_the_dkim_key_split_into_strings() {
    let app = TestApp::new().await;
    let public_key = app.platform.mailer.dkim_public_key().await.unwrap();
    let identity = SesIdentity::lookup(&app.clients.ses, "mail.bookwarden.test")
        .await
        .unwrap();
    // moto keeps the identity but issues no Easy DKIM tokens and has no custom
    // MAIL FROM; the listing says so instead of inventing records.
    assert_eq!(
        identity.verification,
        SesVerification::EasyDkim {
            tokens: Vec::new(),
            hosted_zone: "dkim.amazonses.com".into()
        }
    );
    assert!(identity.mail_from.is_none());
    assert!(!identity.ses_signing);
    assert!(identity.notes()[0].contains("no Easy DKIM tokens"));

    let records = dns_records(
        "mail.bookwarden.test",
        "bookwarden",
        &public_key,
        &identity,
        None,
    );
    let dkim = records
        .iter()
        .find(|r| r.name == "bookwarden._domainkey.mail.bookwarden.test")
        .unwrap();
    // A 2048-bit key does not fit one character-string: several of at most 255 bytes.
    assert!(dkim.character_strings.len() >= 2);
    assert!(dkim.character_strings.iter().all(|s| s.len() <= 255));
    // Read back from the zone line as a resolver returns it: the strings joined.
    let line = dkim.zone_line();
    let rdata = line
        .strip_prefix("bookwarden._domainkey.mail.bookwarden.test. 3600 IN TXT ")
        .unwrap();
    let joined: String = rdata.split('"').skip(1).step_by(2).collect();
    assert_eq!(joined, dkim.value);
    let published = joined.strip_prefix("v=DKIM1; k=rsa; p=").unwrap();
    use base64::Engine;
    let der = base64::engine::general_purpose::STANDARD
        .decode(published)
        .unwrap();
    assert!(
        (290..=300).contains(&der.len()),
        "2048-bit RSA SPKI, got {} bytes",
        der.len()
    );
    // The published key verifies real signatures.
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

/// CRY-5: the calendar providers' OAuth clients come from a Secrets Manager
/// secret encrypted under the data key, are read once per cold start, and a
/// malformed or missing secret is an error that shows none of its value.
#[tokio::test]
async fn calendar_clients_come_from_the_encrypted_secret_and_are_read_once() {
    use bookwarden_functions::local::provision::LOCAL_CALENDAR_CLIENTS_SECRET;
    use bookwarden_shared::calendar::clients::{CalendarClients, ClientsError};

    let mut app = TestApp::new().await;
    // The local stack's clients, for the test OAuth server.
    let local = app.platform.calendar_clients().await.unwrap();
    let id = |c: &CalendarClients| {
        (
            c.google.as_ref().map(|g| g.client_id.clone()),
            c.microsoft.as_ref().map(|m| m.client_id.clone()),
        )
    };
    assert_eq!(
        id(local),
        (
            Some("google-local".to_owned()),
            Some("microsoft-local".to_owned())
        )
    );
    let described = app
        .clients
        .secrets
        .describe_secret()
        .secret_id(LOCAL_CALENDAR_CLIENTS_SECRET)
        .send()
        .await
        .unwrap();
    assert_eq!(
        described.kms_key_id(),
        Some(app.platform.config.data_key_id.as_str())
    );

    app.set_calendar_clients(r#"{"google": {"client_id": "g1", "client_secret": "s1"}}"#)
        .await;
    let first = app.platform.calendar_clients().await.unwrap().clone();
    assert_eq!(id(&first), (Some("g1".to_owned()), None));
    assert_eq!(first.google.as_ref().unwrap().client_secret, "s1");

    // A new version reaches the next cold start; a warm platform keeps what
    // it read.
    let warm = app.platform.clone();
    app.set_calendar_clients(r#"{"microsoft": {"client_id": "m2", "client_secret": "s2"}}"#)
        .await;
    assert_eq!(warm.calendar_clients().await.unwrap(), &first);
    assert_eq!(
        id(app.platform.calendar_clients().await.unwrap()),
        (None, Some("m2".to_owned()))
    );

    let logs = bookwarden_tests::LogCapture::default();
    let guard = tracing::subscriber::set_default(bookwarden_shared::telemetry::subscriber(
        logs.clone(),
        bookwarden_shared::telemetry::DEFAULT_FILTER,
    ));
    let leaked = "do-not-print-this-secret";
    app.set_calendar_clients(&format!(
        r#"{{"google": {{"client_id": "g", "client_secret": "{leaked}", "tenant": "common"}}}}"#
    ))
    .await;
    let refused = app.platform.calendar_clients().await.unwrap_err();
    assert!(matches!(refused, ClientsError::Malformed(_)), "{refused:?}");
    assert!(!format!("{refused} {refused:?}").contains(leaked));
    let missing = app
        .platform
        .clone()
        .with_calendar_clients_secret(Some("bookwarden-test/no-such-secret".to_owned()));
    assert_eq!(
        missing.calendar_clients().await.unwrap_err(),
        ClientsError::Unavailable
    );
    drop(guard);
    let logged = logs.text();
    assert!(logged.contains("calendar clients"), "{logged}");
    assert!(!logged.contains(leaked), "{logged}");

    // A stack without the secret offers no OAuth provider.
    let unconfigured = app.platform.clone().with_calendar_clients_secret(None);
    assert_eq!(
        unconfigured.calendar_clients().await.unwrap(),
        &CalendarClients::default()
    );
}
