//! "Adding a CRUD-shaped operation is one YAML file": build idmcp with the real catalog plus
//! one fixture YAML (no Rust edited), start the binary, and find and call the new operation
//! with rmcp's client. Also: a malformed file fails the build with file:line:col diagnostics.
//!
//! It compiles idmcp in its own target directory (target/add-operation), so it is slow and
//! runs in `.ci/run`: `cargo test --test add_operation -- --ignored`.

use std::path::{Path, PathBuf};
use std::process::Command;

use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::TokioChildProcess;
use serde_json::{Value, json};

const FIXTURE: &str = r#"name: SearchTenantsByPlan
bucket: tenants_read
class: read
summary: Tenants whose `plan` custom attribute has one of the given values.
description: A fixture added by tests/add_operation.rs to prove one YAML file is enough.
http: {method: POST, path: /v1/mgmt/tenant/search/plan}
input:
  type: object
  additionalProperties: false
  properties:
    plans: {type: array, items: {type: string}, description: Plan names.}
  required: [plans]
output:
  type: object
  properties:
    tenants: {type: array, items: {type: object}}
    total: {type: integer}
execute:
  verb: search
  collection: tenants
  filters:
    - {input: plans, op: in, field: customAttributes.plan}
  output: {wrap: tenants, total: true}
"#;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

fn build(ops: &Path) -> (bool, String, PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = root.join("target/add-operation");
    let out = Command::new(env!("CARGO"))
        .args(["build", "--bin", "idmcp", "--message-format", "short"])
        .current_dir(root)
        .env("IDMCP_OPERATIONS_DIR", ops)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        target.join("debug/idmcp"),
    )
}

#[test]
#[ignore = "builds idmcp in its own target dir; run by .ci/run"]
fn one_yaml_file_adds_a_callable_operation() {
    let tmp = tempfile::tempdir().unwrap();
    let ops = tmp.path().join("operations");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("operations"),
        &ops,
    );

    // A malformed file fails the build, every problem located.
    let broken = "name: Broken\nbucket: tenants_write\nclass: read\nsummary: Broken on purpose.\ndescription: x\ncolour: red\n\
                  input: {type: object, properties: {a: {$ref: \"#/$defs/Nope\"}}}\noutput: {type: object}\nexecute: {verb: load, collection: tenants}\n";
    std::fs::write(ops.join("tenants/Broken.yaml"), broken).unwrap();
    let (ok, stderr, _) = build(&ops);
    assert!(!ok, "a malformed operation must fail the build");
    for expect in [
        "operations/tenants/Broken.yaml:2:9: a read operation cannot be in the write bucket",
        "operations/tenants/Broken.yaml:6:1: unknown key `colour`",
        "operations/tenants/Broken.yaml:7:46: unknown `$ref` target `#/$defs/Nope`",
        "operations/tenants/Broken.yaml:9:10: verb `load` needs `key`",
    ] {
        assert!(stderr.contains(expect), "missing `{expect}` in:\n{stderr}");
    }
    std::fs::remove_file(ops.join("tenants/Broken.yaml")).unwrap();

    // One YAML file, no Rust: it builds, is listed, and is callable.
    std::fs::write(ops.join("tenants/SearchTenantsByPlan.yaml"), FIXTURE).unwrap();
    let (ok, stderr, bin) = build(&ops);
    assert!(ok, "build with the fixture failed:\n{stderr}");
    let data = tmp.path().join("data");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut cmd = tokio::process::Command::new(&bin);
        cmd.args([
            "serve",
            "--stdio",
            "--demo",
            "--local-principal",
            "admin@acme.example",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(&data);
        cmd.stderr(std::process::Stdio::null());
        let client = ().serve(TokioChildProcess::new(cmd).unwrap()).await.unwrap();
        let args = |v: Value| v.as_object().unwrap().clone();
        let detail = client
            .call_tool(
                CallToolRequestParams::new("list_operations")
                    .with_arguments(args(json!({"operation": "SearchTenantsByPlan"}))),
            )
            .await
            .unwrap();
        let d = detail.structured_content.expect("structured detail");
        assert_eq!(d["bucket"], "tenants_read");
        assert_eq!(d["inputSchema"]["required"], json!(["plans"]));
        let r = client
            .call_tool(
                CallToolRequestParams::new("tenants_read").with_arguments(args(
                    json!({"operation": "SearchTenantsByPlan", "args": {"plans": ["enterprise"]}}),
                )),
            )
            .await
            .unwrap();
        assert_ne!(r.is_error, Some(true), "{r:?}");
        let v = r.structured_content.unwrap();
        let tenants = v["tenants"].as_array().unwrap();
        assert!(!tenants.is_empty(), "the demo has enterprise tenants: {v}");
        assert!(
            tenants
                .iter()
                .all(|t| t["customAttributes"]["plan"] == "enterprise")
        );
        client.cancel().await.unwrap();
    });
}
