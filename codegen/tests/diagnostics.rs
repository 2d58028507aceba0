//! Broken fixtures: every problem is reported with file:line:col, all in one run, and the
//! text is pinned in `fixtures/broken.expected` (refresh: UPDATE_SNAPSHOTS=1 cargo test -p idmcp-codegen).

use std::path::Path;

#[test]
fn broken_fixtures_report_every_error_with_location() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken");
    let diags = idmcp_codegen::load_catalog(&dir, "operations")
        .expect_err("the broken fixtures must not load");
    let text = diags.to_string();
    for line in text.lines() {
        let mut parts = line.splitn(4, ':');
        let (path, l, c) = (
            parts.next().unwrap(),
            parts.next().unwrap(),
            parts.next().unwrap(),
        );
        assert!(
            path.starts_with("operations/") && path.ends_with(".yaml"),
            "no file in: {line}"
        );
        assert!(
            l.parse::<u64>().unwrap() >= 1 && c.parse::<u64>().unwrap() >= 1,
            "no line:col in: {line}"
        );
    }
    let expected_file =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/broken.expected");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&expected_file, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&expected_file).unwrap_or_default();
    assert_eq!(
        text, expected,
        "diagnostics changed; if intended, refresh with: UPDATE_SNAPSHOTS=1 cargo test -p idmcp-codegen"
    );
}

#[test]
fn the_real_catalog_is_clean_and_deterministic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../operations");
    let a = idmcp_codegen::render(&dir, "operations").unwrap_or_else(|d| panic!("{d}"));
    let b = idmcp_codegen::render(&dir, "operations").unwrap();
    assert_eq!(a, b, "rendering twice must give byte-identical output");
    assert!(a.starts_with("// @generated"));
}
