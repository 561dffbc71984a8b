//! The restore script (infra/restore_table.py) restores the table into a new
//! table from a backup or a point in time, turns point-in-time recovery and
//! deletion protection back on, verifies item counts and sampled items, and
//! fails clearly (INF-4). The checks run it against the local AWS stand-in in
//! Python (infra/test_restore_table.py); this runs them with the venv's pytest.

use std::process::Command;

use bookwarden_functions::local::moto::{python, repo_root};

#[test]
fn restores_into_a_new_table_verifies_it_and_fails_clearly() {
    let script = repo_root().join("infra/test_restore_table.py");
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
