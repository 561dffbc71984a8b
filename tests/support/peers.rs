//! Real protocol peers (an OAuth authorization server, provider API fakes, a
//! CalDAV server, feed servers) started by the tests on loopback over TLS with
//! the committed test certificate, and the fetcher that trusts it.
//!
//! A peer is a Python program run with the venv's interpreter as
//! `<script> --cert <pem> --key <key> [args...]`. It binds `127.0.0.1` on a
//! port of its choosing and, once it accepts connections, prints one line
//! `LISTENING <port>` to stdout. It dies with the test process.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use bookwarden_functions::local::moto::{python, repo_root};
use bookwarden_shared::net::{FetchPolicy, Fetcher};

/// The test certificate's files: a leaf for `localhost` and `127.0.0.1`, and
/// the root that signed it.
pub fn test_tls_dir() -> PathBuf {
    repo_root().join("shared/src/net/testdata")
}

/// A fetcher that may reach loopback and trusts only the test root: what
/// the handlers get in tests, through `Platform::with_fetcher`.
pub fn test_fetcher() -> Fetcher {
    let pem = std::fs::read(test_tls_dir().join("ca.pem")).expect("read test root");
    let der = pem_to_der(&pem);
    Fetcher::new(
        FetchPolicy::default()
            .allowing_loopback()
            .trusting_only(der.into()),
    )
    .expect("test fetcher")
}

fn pem_to_der(pem: &[u8]) -> Vec<u8> {
    use base64::Engine;
    let text = std::str::from_utf8(pem).expect("PEM is text");
    let body: String = text
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .expect("PEM body is base64")
}

/// A running peer; killed when dropped.
pub struct Peer {
    child: Child,
    /// The port it listens on.
    pub port: u16,
}

impl Peer {
    /// Starts `script` (relative to the repository root) with `args` and
    /// waits for its `LISTENING` line.
    pub fn spawn(script: &str, args: &[&str]) -> Peer {
        let tls = test_tls_dir();
        let mut child = Command::new(python())
            .arg(repo_root().join(script))
            .arg("--cert")
            .arg(tls.join("localhost.pem"))
            .arg("--key")
            .arg(tls.join("localhost.key"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("start {script}: {e} (run `make venv` first)"));
        let stdout = child.stdout.take().expect("peer stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read peer's first line");
        let port = line
            .trim()
            .strip_prefix("LISTENING ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("{script} did not report a port: {line:?}"));
        Peer { child, port }
    }

    /// `https://localhost:<port>` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port)
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
