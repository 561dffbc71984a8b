//! WEB-5: Schemathesis fuzzes every operation of docs/openapi.json against the
//! local gateway (a free port, this binary's moto, a fresh table), anonymously
//! for public routes and with a seeded owner's session and API key for tenant
//! routes, with positive and negative data. Pass means no 5xx, no answer that
//! breaks the document (status, content type, body schema, headers), no dropped
//! connection. A fixed seed and a bounded example count keep it inside CI's
//! time; `make fuzz` runs a longer campaign (BOOKWARDEN_FUZZ_EXAMPLES).

use bookwarden_functions::local::{gateway, moto::repo_root};
use bookwarden_tests::identity::ORIGIN;
use bookwarden_tests::TestApp;

/// Which operations a run covers: the public ones, or the tenant's.
#[derive(Clone, Copy)]
enum Part {
    Public,
    Tenant,
}

/// Routes under a tenant (and signing out), which need a credential.
const TENANT_PATHS: &str = "^/v1/(tenants/\\{tenant_id\\}|auth/logout)";

async fn schemathesis(
    endpoint: &str,
    tenant: &str,
    slug: &str,
    seed: u32,
    part: Part,
    headers: &[String],
) {
    let examples = std::env::var("BOOKWARDEN_FUZZ_EXAMPLES").unwrap_or_else(|_| "8".into());
    let work = std::env::temp_dir().join(format!("bookwarden-fuzz-{}-{seed}", std::process::id()));
    std::fs::create_dir_all(&work).unwrap();
    let root = repo_root();
    let mut cmd = tokio::process::Command::new(root.join(".venv/bin/schemathesis"));
    cmd.current_dir(&work)
        .env("BOOKWARDEN_FUZZ_TENANT", tenant)
        .env("BOOKWARDEN_FUZZ_SLUG", slug)
        .arg("--config-file")
        .arg(root.join("infra/schemathesis.toml"))
        .arg("--no-color")
        .arg("run")
        .arg(root.join("docs/openapi.json"))
        .args([
            "--url",
            endpoint,
            "--seed",
            &seed.to_string(),
            "--max-examples",
            &examples,
        ])
        .args([
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--mode",
            "all",
        ])
        .args(match part {
            Part::Public => ["--exclude-path-regex", TENANT_PATHS],
            Part::Tenant => ["--include-path-regex", TENANT_PATHS],
        })
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_schema_conformance,response_headers_conformance",
        ])
        .args(["--generation-database", "none", "--workers", "1"]);
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd
        .output()
        .await
        .expect("run schemathesis (make venv installs it)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary: String = stdout
        .lines()
        .skip_while(|l| !l.contains("SUMMARY"))
        .collect::<Vec<_>>()
        .join("\n");
    println!("schemathesis (seed {seed}):\n{summary}");
    let _ = std::fs::remove_dir_all(&work);
    assert!(
        out.status.success(),
        "schemathesis found failures:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_and_no_answer_outside_the_document() {
    let app = TestApp::new().await;
    let owner = app.owner("fuzz").await;
    let session = app.login(&owner).await;
    let (key, _) = app
        .api_key(&session, &["read", "bookings:write", "admin"])
        .await;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(gateway::run(listener, app.platform.clone()));

    let (tenant, slug) = (owner.tenant_id.as_str(), owner.slug.as_str());
    // Customers and strangers: the public routes, anonymously.
    schemathesis(&endpoint, tenant, slug, 1, Part::Public, &[]).await;
    // An integration: the tenant's routes with an API key.
    let bearer = [format!("authorization: Bearer {key}")];
    schemathesis(&endpoint, tenant, slug, 2, Part::Tenant, &bearer).await;
    // A browser: the tenant's routes with the owner's session, from the app's origin.
    let cookie = [
        format!("cookie: {}", session.cookie),
        format!("origin: {ORIGIN}"),
    ];
    schemathesis(&endpoint, tenant, slug, 3, Part::Tenant, &cookie).await;
    server.abort();
}
