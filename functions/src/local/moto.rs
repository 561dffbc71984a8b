//! Starts moto behind a one-request-at-a-time lock (infra/local/moto_serial.py).
//!
//! moto's threaded server is not atomic under concurrent transactions; the lock
//! makes it behave like one DynamoDB. The child watches its stdin and exits when
//! this process goes away, however it ends, so no stray server is left behind.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

/// A running moto server.
pub struct MotoServer {
    child: Child,
    _lifeline: ChildStdin,
    /// `http://127.0.0.1:<port>`
    pub endpoint: String,
}

/// Where the repository's local tooling lives, from this crate's manifest dir.
pub fn repo_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// The venv Python that `make` installs moto into; `BOOKWARDEN_PYTHON` overrides.
pub fn python() -> PathBuf {
    std::env::var_os("BOOKWARDEN_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv/bin/python"))
}

impl MotoServer {
    /// Starts moto on `port` (0 picks a free one) and waits until it listens.
    pub fn start(port: u16) -> std::io::Result<Self> {
        let python = python();
        if !python.exists() {
            return Err(std::io::Error::other(format!(
                "{} not found: run `make venv` (make dev and make test do it for you)",
                python.display()
            )));
        }
        let mut child = Command::new(&python)
            .arg(repo_root().join("infra/local/moto_serial.py"))
            .arg(port.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let (Some(lifeline), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(std::io::Error::other("moto's pipes were not set up"));
        };
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let port: u16 = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("moto did not start: {line:?}")))?;
        Ok(Self {
            child,
            _lifeline: lifeline,
            endpoint: format!("http://127.0.0.1:{port}"),
        })
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
