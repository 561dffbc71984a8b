//! The restore script (infra/restore_table.py) restores the table into a new
//! table from a backup or a point in time, turns point-in-time recovery and
//! deletion protection back on, verifies item counts and sampled items, and
//! fails clearly (INF-4). The checks run it against the local AWS stand-in in
//! Python (infra/test_restore_table.py); this runs them with the venv's pytest.

#[test]
fn restores_into_a_new_table_verifies_it_and_fails_clearly() {
    bookwarden_tests::run_pytest("infra/test_restore_table.py");
}
