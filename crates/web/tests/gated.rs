//! The web edge cannot reach the database: each file under `tests/gated/` is a handler that
//! tries, and must not compile. The expected compiler errors are kept beside each file, so
//! a file that fails for another reason (a typo) fails this test too.

#[test]
fn a_handler_cannot_take_a_connection() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/gated/*.rs");
}
