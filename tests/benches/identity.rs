//! `make bench`: identity figures measured in-process against the local moto.
//!
//! Prints Argon2id cost per hash, password-policy check cost, login latency
//! (p50, and p50 minus the time spent waiting for DynamoDB), DynamoDB round
//! trips per login and per authenticated request, and KMS calls per warm login.

use std::time::{Duration, Instant};

use bookwarden_shared::auth::policy::check_new_password;
use bookwarden_shared::crypto::{hash_password, verify_password};
use bookwarden_tests::identity::As;
use bookwarden_tests::TestApp;

fn p50(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}

async fn run() {
    let hashes: Vec<Duration> = (0..15)
        .map(|_| {
            let t = Instant::now();
            hash_password("correct horse battery staple 2026").unwrap();
            t.elapsed()
        })
        .collect();
    let stored = hash_password("correct horse battery staple 2026").unwrap();
    let verifies: Vec<Duration> = (0..15)
        .map(|_| {
            let t = Instant::now();
            verify_password("correct horse battery staple 2026", &stored).expect("verify");
            t.elapsed()
        })
        .collect();
    let policy: Vec<Duration> = (0..50)
        .map(|_| {
            let t = Instant::now();
            let _ = check_new_password(
                "tortoise mango quietly 1987 lantern",
                15,
                &["ada@example.com", "Salon Nord"],
            );
            t.elapsed()
        })
        .collect();
    println!("Argon2id m=19456 KiB, t=2, p=1");
    println!("  hash                         p50 {}", ms(p50(hashes)));
    println!("  verify                       p50 {}", ms(p50(verifies)));
    println!("password policy check (zxcvbn) p50 {}", ms(p50(policy)));

    let app = TestApp::new().await;
    let owner = app.owner("bench").await;
    app.login(&owner).await; // warm: dummy hash, data keys, connections

    // One DynamoDB round trip on moto, to separate the store's share.
    let probe: Vec<Duration> = {
        let mut v = Vec::new();
        for _ in 0..30 {
            let t = Instant::now();
            app.platform
                .store
                .resolve_slug(&owner.slug.parse().expect("slug"))
                .await
                .expect("get");
            v.push(t.elapsed());
        }
        v
    };
    let round_trip = p50(probe);

    let kms_before = app.kms_calls.get();
    let ddb_before = app.ddb_calls.get();
    let runs = 25;
    let mut logins = Vec::new();
    for _ in 0..runs {
        let t = Instant::now();
        let r = app
            .login_attempt(&owner.slug, &owner.email, &owner.password)
            .await;
        logins.push(t.elapsed());
        assert_eq!(r.status, 200);
    }
    let ddb_per_login = (app.ddb_calls.get() - ddb_before) as f64 / runs as f64;
    let kms_per_login = (app.kms_calls.get() - kms_before) as f64 / runs as f64;
    let login = p50(logins);
    let store_share = round_trip.mul_f64(ddb_per_login);
    println!("login (password, no MFA), warm, {runs} runs");
    println!("  p50 end to end               {}", ms(login));
    println!(
        "  DynamoDB round trips         {ddb_per_login:.1} (moto p50 {} each)",
        ms(round_trip)
    );
    println!(
        "  p50 excluding DynamoDB       {}",
        ms(login.saturating_sub(store_share))
    );
    println!("  KMS calls per warm login     {kms_per_login:.1}");

    let session = app.login(&owner).await;
    let path = format!("/v1/tenants/{}/me", owner.tenant_id);
    app.call(As::Session(&session), "GET", &path, None).await;
    let before = app.ddb_calls.get();
    app.call(As::Session(&session), "GET", &path, None).await;
    println!(
        "GET /me: DynamoDB round trips  {} (2 authenticate the session)",
        app.ddb_calls.get() - before
    );
}
