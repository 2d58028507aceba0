//! Compile tests of `#[operation]`: a bound handler compiles; an unknown operation, a wrong
//! signature, a non-async function and an unbound `handler: rust` operation are compile errors
//! whose messages point at the user's code (refresh with TRYBUILD=overwrite).

#[test]
fn operation_macro_ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
