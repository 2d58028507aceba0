//! Checked-in snapshots of what the YAML catalog produces: the generated Rust code and the
//! served `tools/list`. A stale snapshot fails with the command that refreshes it:
//! `UPDATE_SNAPSHOTS=1 cargo test --test snapshots`.

use std::path::Path;

const REFRESH: &str = "UPDATE_SNAPSHOTS=1 cargo test --test snapshots";

fn check(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    if expected != actual {
        let first = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .map_or(expected.lines().count().min(actual.lines().count()), |i| i);
        panic!(
            "tests/snapshots/{name} is stale (first difference at line {}).\nIf the change is intended, refresh it with: {REFRESH}",
            first + 1
        );
    }
}

#[test]
fn generated_code_snapshot() {
    let ops = Path::new(env!("CARGO_MANIFEST_DIR")).join("operations");
    let code = idmcp_codegen::render(&ops, "operations").unwrap_or_else(|d| panic!("{d}"));
    check("operations.rs", &code);
}

#[test]
fn tools_list_snapshot_has_23_annotated_tools_within_24kb() {
    let tools = idmcp::mcp::tool_list();
    let json = serde_json::to_string_pretty(&serde_json::json!({ "tools": tools })).unwrap();
    assert_eq!(tools.len(), 23, "DESIGN.md §3: exactly 23 tools");
    for t in tools {
        assert!(
            t.annotations.is_some(),
            "tool {} has no annotations",
            t.name
        );
    }
    let compact = serde_json::to_string(&serde_json::json!({ "tools": tools })).unwrap();
    assert!(
        compact.len() <= 24 * 1024,
        "tools/list is {} bytes; the budget is 24 KB",
        compact.len()
    );
    check("tools_list.json", &(json + "\n"));
}
