//! Compile tests of `#[operation]`: a bound handler compiles; an unknown operation, a wrong
//! signature, a non-async function and an unbound `handler: rust` operation are compile errors
//! whose messages point at the user's code (refresh with TRYBUILD=overwrite).

// #[ignore]d in `cargo test --workspace`: trybuild compiles idmcp and every fixture in its own
// target directory (about 5 minutes on 2 cores). `.ci/run` runs it in its own step with
// `cargo test --test macro_ui -- --ignored`.
#[test]
#[ignore = "slow: trybuild builds idmcp again; run with --ignored (.ci/run does)"]
fn operation_macro_ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
