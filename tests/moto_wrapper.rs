//! The local AWS stand-in (infra/local/moto_serial.py and moto_patches.py)
//! keeps DynamoDB's transaction and query semantics while staying small and
//! fast as data grows, bounds its streams, and lists sent mail cheaply. The
//! checks are written against moto's own API in Python
//! (infra/local/test_moto_wrapper.py); this runs them with the venv's pytest.

#[test]
fn local_aws_stand_in_keeps_semantics_and_stays_small_and_fast() {
    bookwarden_tests::run_pytest("infra/local/test_moto_wrapper.py");
}
