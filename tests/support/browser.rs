//! The browser tests' harness: the local gateway on a real port, and the
//! Playwright flows (`infra/browser/flows.py`) run against it in Debian's
//! Chromium. The Rust side seeds data and reads mail; the Python side only
//! drives the browser and checks every page it sees (axe-core, CSP).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bookwarden_functions::local::gateway;
use bookwarden_functions::local::moto::repo_root;

use crate::TestApp;

impl TestApp {
    /// Serves this app's platform over HTTP on `127.0.0.1:<free port>` until
    /// the test ends, with the application's base URL set to that address
    /// (so emailed links and the pages' same-origin checks use it), and
    /// returns the base URL (`http://127.0.0.1:<port>`, no trailing slash).
    ///
    /// Call it before anything whose links a test opens is sent; data made
    /// before (a [`crate::booking::shop`]) stays usable. Session calls made
    /// after it must carry the new origin ([`crate::identity::As::SessionWith`]
    /// with `("origin", base)`): `As::Session` sends the default one.
    pub async fn serve(&mut self) -> String {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind a local port for the gateway");
        let base = format!("http://{}", listener.local_addr().expect("local address"));
        self.platform.config.app_base_url.clone_from(&base);
        // The mailer keeps its own copy of the configuration (the footer's
        // preferences link).
        self.platform.mailer = bookwarden_shared::email::Mailer::new(
            self.clients.kms.clone(),
            self.clients.ses.clone(),
            self.platform.config.clone(),
        );
        tokio::spawn(gateway::run(listener, self.platform.clone()));
        base
    }
}

/// The Python of the browser venv (`make browser-tools`), or
/// `BOOKWARDEN_BROWSER_PYTHON` when set.
pub fn python() -> PathBuf {
    std::env::var_os("BOOKWARDEN_BROWSER_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv-browser/bin/python"))
}

/// Cargo's target directory (`CARGO_TARGET_DIR` aware).
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                repo_root().join(dir)
            }
        }
        None => repo_root().join("target"),
    }
}

/// `target/browser-artifacts/<flow>/`, emptied and created.
pub fn artifacts(flow: &str) -> PathBuf {
    let dir = target_dir().join("browser-artifacts").join(flow);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the artifacts directory");
    dir
}

/// What a flow printed, and how long it took.
#[derive(Debug)]
pub struct FlowRun {
    /// Its standard output: `key=value` lines the flow reports (see
    /// [`FlowRun::value`]) and its progress.
    pub stdout: String,
    /// Wall-clock time of the Python process, browser start included.
    pub took: Duration,
}

impl FlowRun {
    /// The value of a `key=value` line the flow printed, if any.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.stdout
            .lines()
            .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
    }
}

/// Runs `infra/browser/flows.py <flow> --base <base> --artifacts <dir>` with
/// `args` appended (`("--link", url)`, ...) and fails the test, showing the
/// flow's output, unless it exits 0. Awaited on the test's runtime, so a
/// gateway spawned by [`TestApp::serve`] keeps answering meanwhile.
pub async fn run_flow(flow: &str, base: &str, args: &[(&str, &str)]) -> FlowRun {
    let dir = artifacts(flow);
    let script = repo_root().join("infra/browser/flows.py");
    let mut command = tokio::process::Command::new(python());
    command
        .arg(&script)
        .arg(flow)
        .args(["--base", base])
        .arg("--artifacts")
        .arg(&dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .kill_on_drop(true);
    for (name, value) in args {
        command.arg(name).arg(value);
    }
    let started = Instant::now();
    let out = command.output().await.unwrap_or_else(|e| {
        panic!(
            "run {} with {} ({e}); run `make browser-tools` first",
            script.display(),
            python().display()
        )
    });
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "browser flow `{flow}` failed ({}) after {took:.1?}; screenshots in {}\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        out.status,
        dir.display()
    );
    println!("browser flow `{flow}`: {took:.1?}\n{stdout}");
    FlowRun { stdout, took }
}

/// The MDN HTTP Observatory's scan of `path` on a served stack (`base`, from
/// [`TestApp::serve`]), through `infra/browser/tls_front.py`: HTTPS on
/// `localhost:443` with a throwaway CA the scanner trusts via
/// `NODE_EXTRA_CA_CERTS`, and port 80 redirecting to it. The scanner takes a
/// host name and builds `https://<host>/` and `http://<host>/` from it, so
/// `localhost<path>` scans that page. Returns the scanner's JSON (`scan`
/// with grade and score, and `tests`); the JSON and the front's log are kept
/// in `target/browser-artifacts/observatory/`.
///
/// Needs ports 80 and 443 (root, as CI runs) and `make browser-tools`.
pub async fn observatory_scan(base: &str, path: &str) -> serde_json::Value {
    use tokio::io::AsyncBufReadExt;
    let dir = artifacts("observatory");
    let front_log = std::fs::File::create(dir.join("tls_front.log")).expect("front log");
    let mut front = tokio::process::Command::new(python())
        .arg(repo_root().join("infra/browser/tls_front.py"))
        .args(["--upstream", base, "--lifetime", "300", "--certs"])
        .arg(&dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(front_log)
        .kill_on_drop(true)
        .spawn()
        .expect("start infra/browser/tls_front.py (run `make browser-tools` first)");
    let mut lines = tokio::io::BufReader::new(front.stdout.take().expect("front stdout")).lines();
    let ready = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("the TLS front starts within a minute");
    let log = || std::fs::read_to_string(dir.join("tls_front.log")).unwrap_or_default();
    assert!(
        matches!(&ready, Ok(Some(line)) if line.starts_with("ready")),
        "the TLS front did not start: {ready:?}\n{}",
        log()
    );
    let scanner =
        repo_root().join("infra/browser/node_modules/@mdn/mdn-http-observatory/src/scan.js");
    let started = Instant::now();
    let out = tokio::time::timeout(
        Duration::from_secs(120),
        tokio::process::Command::new(
            std::env::var_os("BOOKWARDEN_NODE").unwrap_or_else(|| "node".into()),
        )
        .arg(&scanner)
        .arg(format!("localhost{path}"))
        .env("NODE_EXTRA_CA_CERTS", dir.join("ca.pem"))
        .kill_on_drop(true)
        .output(),
    )
    .await
    .expect("the scan ends within two minutes")
    .unwrap_or_else(|e| panic!("run node {} ({e})", scanner.display()));
    let took = started.elapsed();
    front.kill().await.ok();
    let stdout = String::from_utf8_lossy(&out.stdout);
    std::fs::write(dir.join("observatory.json"), stdout.as_bytes()).expect("keep the scan");
    assert!(
        out.status.success(),
        "the scan failed ({}):\n{stdout}\n{}\n--- front\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        log()
    );
    println!("observatory scan of localhost{path}: {took:.1?}");
    serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("scan output is not JSON ({e}): {stdout}"))
}
