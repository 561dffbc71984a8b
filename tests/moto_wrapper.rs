//! The local AWS stand-in (infra/local/moto_serial.py and moto_patches.py)
//! keeps DynamoDB's transaction and query semantics while staying small and
//! fast as data grows, bounds its streams, and lists sent mail cheaply. The
//! checks are written against moto's own API in Python
//! (infra/local/test_moto_wrapper.py); this runs them with the venv's pytest.

use std::process::Command;

use bookwarden_functions::local::moto::{python, repo_root};

#[test]
fn local_aws_stand_in_keeps_semantics_and_stays_small_and_fast() {
    let script = repo_root().join("infra/local/test_moto_wrapper.py");
    let out = Command::new(python())
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(&script)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run pytest from the venv (run `make venv` first)");
    assert!(
        out.status.success(),
        "{} failed:\n{}\n{}",
        script.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
