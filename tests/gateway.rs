//! The local gateway serves exactly the routes template.yaml declares, each
//! function runs the packaged binary as itself, and a real HTTP client gets
//! the same answers from the local gateway as the handlers give in-process.

use std::collections::BTreeSet;

use bookwarden_functions::local::{gateway, moto::repo_root, sdk_config};
use bookwarden_functions::routes::{fallback_routes, FALLBACK_FUNCTION, ROUTES};
use bookwarden_shared::aws::Clients;
use bookwarden_shared::http::SECURITY_HEADERS;
use bookwarden_shared::Platform;
use bookwarden_tests::raw_http;
use yaml_rust2::{Yaml, YamlLoader};

/// Every (function, method, path) the template routes through API Gateway:
/// the functions' Api events, and the fallback's methods in the API's
/// definition body.
fn template_routes() -> (Yaml, BTreeSet<(String, String, String)>) {
    let text = std::fs::read_to_string(repo_root().join("template.yaml")).expect("template.yaml");
    let doc = YamlLoader::load_from_str(&text)
        .expect("template parses")
        .remove(0);
    let mut routes = BTreeSet::new();
    for (name, resource) in doc["Resources"].as_hash().expect("Resources") {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let Some(events) = resource["Properties"]["Events"].as_hash() else {
            continue;
        };
        for event in events
            .values()
            .filter(|e| e["Type"].as_str() == Some("Api"))
        {
            routes.insert((
                name.as_str().unwrap().to_owned(),
                event["Properties"]["Method"]
                    .as_str()
                    .unwrap()
                    .to_uppercase(),
                event["Properties"]["Path"].as_str().unwrap().to_owned(),
            ));
        }
    }
    let paths = doc["Resources"]["Api"]["Properties"]["DefinitionBody"]["paths"]
        .as_hash()
        .expect("the API's definition body has paths");
    for (path, methods) in paths {
        for (method, spec) in methods.as_hash().expect("methods") {
            let uri = format!("{:?}", spec["x-amazon-apigateway-integration"]["uri"]);
            assert!(
                uri.contains("${FallbackFunction.Arn}:live"),
                "{path:?} {method:?} goes to the fallback's live alias: {uri}"
            );
            assert_eq!(method.as_str(), Some("x-amazon-apigateway-any-method"));
            routes.insert((
                FALLBACK_FUNCTION.to_owned(),
                "ANY".to_owned(),
                path.as_str().unwrap().to_owned(),
            ));
        }
    }
    (doc, routes)
}

#[test]
fn the_local_gateway_serves_exactly_the_template_routes() {
    let (_, declared) = template_routes();
    let served: BTreeSet<(String, String)> = gateway::served_routes().into_iter().collect();
    let declared_pairs: BTreeSet<(String, String)> = declared
        .iter()
        .map(|(_, m, p)| (m.clone(), p.clone()))
        .collect();
    assert_eq!(declared_pairs, served);

    // And each route goes to the function the route table names.
    let mut expected: BTreeSet<(String, String, String)> = ROUTES
        .iter()
        .map(|r| {
            (
                r.function.to_owned(),
                r.method.as_str().to_owned(),
                r.path.to_owned(),
            )
        })
        .collect();
    expected.extend(
        fallback_routes()
            .into_iter()
            .map(|(m, p)| (FALLBACK_FUNCTION.to_owned(), m, p)),
    );
    assert_eq!(declared, expected);
}

#[test]
fn every_function_runs_the_packaged_binary_as_itself_on_arm64_by_default() {
    let (doc, _) = template_routes();
    assert_eq!(
        doc["Globals"]["Function"]["Runtime"].as_str(),
        Some("provided.al2023")
    );
    assert_eq!(
        doc["Globals"]["Function"]["Handler"].as_str(),
        Some("bootstrap")
    );
    assert_eq!(
        doc["Parameters"]["Architecture"]["Default"].as_str(),
        Some("arm64")
    );
    let mut functions = 0;
    let mut names = Vec::new();
    for (name, resource) in doc["Resources"].as_hash().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        functions += 1;
        let name = name.as_str().unwrap();
        let properties = &resource["Properties"];
        // `make package` puts the one binary there; each function runs it as itself.
        assert_eq!(
            properties["CodeUri"].as_str(),
            Some("build/lambda/"),
            "{name}"
        );
        let own = properties["Environment"]["Variables"]["BOOKWARDEN_FUNCTION"]
            .as_str()
            .expect("BOOKWARDEN_FUNCTION");
        assert_eq!(Some(own), name.strip_suffix("Function"), "{name}");
        assert!(
            bookwarden_functions::entry::resolve(own).is_some(),
            "{name}: the binary has no entry {own:?}"
        );
        names.push(own);
    }
    assert!(functions > 50, "{functions} functions");
    names.sort_unstable();
    let mut entries = bookwarden_functions::entry::names();
    entries.sort_unstable();
    assert_eq!(names, entries, "every entry of the binary is deployed");
}

#[test]
fn the_table_and_keys_carry_their_protections() {
    let (doc, _) = template_routes();
    let resources = &doc["Resources"];
    let table = &resources["Table"]["Properties"];
    assert_eq!(table["BillingMode"].as_str(), Some("PAY_PER_REQUEST"));
    assert_eq!(
        table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(),
        Some(true)
    );
    assert_eq!(table["DeletionProtectionEnabled"].as_bool(), Some(true));
    assert_eq!(table["SSESpecification"]["SSEType"].as_str(), Some("KMS"));
    assert_eq!(
        table["TimeToLiveSpecification"]["AttributeName"].as_str(),
        Some("expires_at")
    );
    assert_eq!(
        resources["DataKey"]["Properties"]["EnableKeyRotation"].as_bool(),
        Some(true)
    );
    assert_eq!(
        resources["DkimKey"]["Properties"]["KeySpec"].as_str(),
        Some("RSA_2048")
    );
    assert_eq!(
        resources["DkimKey"]["Properties"]["KeyUsage"].as_str(),
        Some("SIGN_VERIFY")
    );
}

#[tokio::test]
async fn a_real_http_client_gets_headers_and_problems_from_the_local_gateway() {
    // Health and refusals touch no AWS service, so an unreachable endpoint is fine.
    let clients = Clients::from_sdk_config(&sdk_config("http://127.0.0.1:9"));
    let keys = bookwarden_functions::local::provision::Keys {
        data: "alias/x".into(),
        dkim: "alias/y".into(),
    };
    let platform = Platform::new(
        bookwarden_functions::local::provision::local_config("t", &keys, "https://app.test"),
        clients,
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(gateway::run(listener, platform));

    let health = raw_http::get(&endpoint, "/health").await;
    assert_eq!(health.status, 200);
    assert_eq!(health.body, r#"{"status":"ok"}"#);
    for (name, value) in SECURITY_HEADERS {
        assert_eq!(health.header(name), Some(*value), "{name}");
    }

    let missing = raw_http::get(&endpoint, "/v2/whatever").await;
    assert_eq!(missing.status, 404);
    assert_eq!(
        missing.header("content-type"),
        Some("application/problem+json; charset=utf-8")
    );
    assert!(missing.header("x-request-id").is_some());

    let wrong_method = raw_http::request(&endpoint, "PATCH", "/v1/tenants", &[], b"").await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(wrong_method.header("allow"), Some("POST"));
    server.abort();
}

/// The README's walkthrough is `docs/walkthrough.sh`, shown verbatim in the
/// README; here it runs, step by step with its own checks, against a local
/// gateway on a free port and this binary's moto, as a new user would run it.
#[tokio::test]
async fn the_readme_walkthrough_runs_against_the_local_stack() {
    let script = std::fs::read_to_string(repo_root().join("docs/walkthrough.sh")).unwrap();
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let body = script
        .split_once("set -euo pipefail\n")
        .map(|(_, rest)| rest)
        .unwrap();
    assert!(
        readme.contains(body),
        "README.md must show docs/walkthrough.sh verbatim"
    );

    let app = bookwarden_tests::TestApp::new().await;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
        .await
        .unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(gateway::run(listener, app.platform.clone()));
    let jobs = bookwarden_functions::local::start_jobs(&app.platform);
    let out = tokio::process::Command::new("bash")
        .arg("docs/walkthrough.sh")
        .current_dir(repo_root())
        .env("API", &endpoint)
        .env("MOTO", &bookwarden_tests::moto().endpoint)
        .env("ORIGIN", bookwarden_tests::identity::ORIGIN)
        .env("PYTHON", bookwarden_functions::local::moto::python())
        .output()
        .await
        .unwrap();
    server.abort();
    jobs.iter().for_each(tokio::task::JoinHandle::abort);
    assert!(
        out.status.success(),
        "walkthrough failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// WEB-5: the committed `docs/openapi.json` is what the code generates (run
/// `make openapi` after changing a route or a type), and it describes exactly
/// the operations template.yaml routes to functions (the fallback aside).
#[test]
fn the_openapi_document_is_current_and_describes_every_template_route() {
    let committed = std::fs::read_to_string(repo_root().join("docs/openapi.json")).unwrap();
    let generated = bookwarden_functions::openapi::json();
    assert!(
        committed.trim_end() == generated.trim_end(),
        "docs/openapi.json is stale: run `make openapi`"
    );
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let described: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let (_, declared) = template_routes();
    let routed: BTreeSet<(String, String)> = declared
        .into_iter()
        .filter(|(function, _, _)| function != FALLBACK_FUNCTION)
        .map(|(_, method, path)| (method, path))
        .collect();
    assert_eq!(described, routed);
    // Every body schema refuses unknown fields, as the parser does.
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        if name.ends_with("Input") {
            assert_eq!(schema["additionalProperties"], false, "{name}");
        }
    }
}

#[tokio::test]
async fn the_openapi_document_is_served_with_the_security_headers() {
    let app = bookwarden_tests::TestApp::new().await;
    let r = app.request("GET", "/openapi.json", &[], b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    for (name, value) in SECURITY_HEADERS {
        assert_eq!(r.header(name), Some(*value), "{name}");
    }
    assert_eq!(r.json()["info"]["title"], "Bookwarden API");
}

/// Functions whose requests queue mail (MAIL-5): each seals an outbox entry
/// with the tenant's data key, and none signs or sends.
const MAIL_WRITERS: &[&str] = &[
    "cancel_booking",
    "cancel_managed_booking",
    "change_password",
    "change_user_role",
    "confirm_email_change",
    "confirm_password_reset",
    "confirm_totp",
    "create_api_key",
    "create_booking",
    "create_tenant",
    "deactivate_user",
    "delete_user",
    "disable_totp",
    "invite_user",
    "login",
    "login_mfa",
    "login_mfa_email_code",
    "regenerate_recovery_codes",
    "request_email_change",
    "request_password_reset",
    "reschedule_booking",
    "reschedule_managed_booking",
    "resend_verification",
    "revoke_api_key",
    "send_reminders",
];

/// Every action a function's own role allows, by statement id.
fn allowed(doc: &Yaml, function: &str) -> Vec<(String, String)> {
    let role = function.replace("Function", "Role");
    let mut out = Vec::new();
    for policy in doc["Resources"][role.as_str()]["Properties"]["Policies"]
        .as_vec()
        .into_iter()
        .flatten()
    {
        for statement in policy["PolicyDocument"]["Statement"]
            .as_vec()
            .into_iter()
            .flatten()
        {
            let sid = statement["Sid"].as_str().unwrap_or_default().to_owned();
            let actions = match &statement["Action"] {
                Yaml::String(a) => vec![a.clone()],
                Yaml::Array(a) => a
                    .iter()
                    .filter_map(|x| x.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
            out.extend(actions.into_iter().map(|a| (sid.clone(), a)));
        }
    }
    out
}

/// `CreateBooking` -> `create_booking`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

#[test]
fn only_the_sender_signs_and_sends_and_every_function_that_queues_mail_can_seal_it() {
    let (doc, _) = template_routes();
    let resources = doc["Resources"].as_hash().expect("resources");
    let mut writers_seen = 0;
    for (name, r) in resources {
        if r["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let name = name.as_str().expect("name");
        let binary = &snake(name.strip_suffix("Function").expect("a function"));
        let actions = allowed(&doc, name);
        let has = |a: &str| actions.iter().any(|(_, x)| x == a);
        let sends = has("kms:Sign") || has("ses:SendEmail") || has("ses:SendRawEmail");
        let sender = matches!(binary.as_str(), "send_mail" | "outbox_retry");
        assert_eq!(sends, sender, "{name:?} ({binary}): signs or sends mail");
        if sender {
            assert!(has("kms:Sign") && has("ses:SendEmail"), "{name:?}");
        }
        if MAIL_WRITERS.contains(&binary.as_str()) {
            writers_seen += 1;
            assert!(
                actions
                    .iter()
                    .any(|(sid, a)| sid == "TenantDataKeys" && a == "kms:GenerateDataKey"),
                "{name:?} ({binary}) queues mail and must seal it"
            );
        }
    }
    assert_eq!(
        writers_seen,
        MAIL_WRITERS.len(),
        "every mail writer is a function"
    );
}

#[test]
fn the_stream_sender_reminders_and_ses_events_are_wired_as_designed() {
    let (doc, _) = template_routes();
    let resources = &doc["Resources"];
    let table = &resources["Table"]["Properties"];
    assert_eq!(
        table["StreamSpecification"]["StreamViewType"].as_str(),
        Some("NEW_IMAGE")
    );
    let indexes: Vec<&str> = table["GlobalSecondaryIndexes"]
        .as_vec()
        .expect("indexes")
        .iter()
        .filter_map(|i| i["IndexName"].as_str())
        .collect();
    assert_eq!(indexes, ["Timeline", "Due"]);
    let projected = format!("{:?}", table["GlobalSecondaryIndexes"]);
    assert!(
        !projected.contains("customer_"),
        "no personal data is copied into an index"
    );

    let stream =
        &resources["SendMailFunction"]["Properties"]["Events"]["OutboxStream"]["Properties"];
    assert_eq!(
        resources["SendMailFunction"]["Properties"]["Events"]["OutboxStream"]["Type"].as_str(),
        Some("DynamoDB")
    );
    let pattern = stream["FilterCriteria"]["Filters"][0]["Pattern"]
        .as_str()
        .expect("filter");
    let pattern: serde_json::Value = serde_json::from_str(pattern).expect("JSON pattern");
    assert_eq!(
        pattern["dynamodb"]["NewImage"]["outbox_state"]["S"][0],
        "open"
    );
    assert_eq!(
        stream["FunctionResponseTypes"][0].as_str(),
        Some("ReportBatchItemFailures")
    );
    assert!(stream["MaximumRetryAttempts"]
        .as_i64()
        .is_some_and(|n| (1..=10).contains(&n)));
    assert!(stream["BatchSize"].as_i64().is_some());
    assert_eq!(
        stream["DestinationConfig"]["OnFailure"]["Type"].as_str(),
        Some("SQS")
    );

    let reminders = &resources["SendRemindersFunction"]["Properties"]["Events"]["Every"];
    assert_eq!(
        reminders["Properties"]["Schedule"].as_str(),
        Some("rate(5 minutes)")
    );
    assert_eq!(
        bookwarden_functions::jobs::REMINDER_INTERVAL_SECS,
        300,
        "the local stack runs reminders as often"
    );

    let destination = &resources["MailEventsDestination"]["Properties"]["EventDestination"];
    let kinds: Vec<&str> = destination["MatchingEventTypes"]
        .as_vec()
        .expect("event types")
        .iter()
        .filter_map(Yaml::as_str)
        .collect();
    assert_eq!(kinds, ["bounce", "complaint"]);
    assert_eq!(
        resources["SesFeedbackFunction"]["Properties"]["Events"]["MailEvents"]["Type"].as_str(),
        Some("SNS")
    );
    assert!(
        resources["MailDeferredAlarm"]["Properties"]["MetricName"].as_str()
            == Some("MailDeferredByTenantCeiling"),
        "the tenant ceiling raises an alarm"
    );
}
