//! Every `examples:` entry of every operation YAML runs here against the embedded engine on
//! the demo company, through the same dispatch path MCP calls take. Read examples share one
//! store; each write example runs inside a write window on a fresh store.
//!
//! Filter with an environment variable: `EXAMPLES=users_read cargo test --test examples`.

use idmcp::catalog::{self, Class};
use idmcp::dispatch::{self, CallError};
use idmcp::testkit;
use serde_json::Value;

fn run_examples(filter: Option<&str>) -> (usize, Vec<String>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let shared_dir = tempfile::tempdir().unwrap();
    let (shared, admin) = testkit::demo_app(shared_dir.path());
    let mut ran = 0;
    let mut failures = Vec::new();
    for op in catalog::all() {
        let d = op.def();
        if filter.is_some_and(|f| !format!("{}.{}", d.tool, d.name).contains(f)) {
            continue;
        }
        let examples = op
            .compiled()
            .examples
            .as_array()
            .cloned()
            .unwrap_or_default();
        for ex in examples {
            let title = ex["title"].as_str().unwrap_or("?").to_owned();
            let args = ex["args"].clone();
            let label = format!("{} ({}) example {title:?}", d.name, d.source);
            // Writes each get a fresh store; so do examples that switch project.
            let fresh = d.class == Class::Write || ex.get("project").is_some();
            let dir = tempfile::tempdir().unwrap();
            let (app, p) = if fresh {
                testkit::demo_app(dir.path())
            } else {
                (shared.clone(), admin.clone())
            };
            // Every example starts in its project (prod unless it names one), whatever an earlier
            // example (e.g. selectProject) did to the shared session.
            testkit::select_project(
                &app,
                &p,
                ex.get("project")
                    .and_then(Value::as_str)
                    .unwrap_or("acme-prod"),
            );
            let result = if d.class == Class::Write {
                rt.block_on(testkit::call_approved(
                    &app,
                    dir.path(),
                    &p,
                    d.tool,
                    d.name,
                    args.clone(),
                ))
            } else {
                rt.block_on(dispatch::call(&app, &p, d.tool, d.name, args.clone()))
            };
            ran += 1;
            match (
                result,
                ex.get("expect"),
                ex.get("error").and_then(Value::as_str),
            ) {
                (Ok(out), Some(expect), _) => {
                    if !testkit::contains(&out, expect) {
                        failures.push(format!("{label}: result does not contain the expected values\n  expected ⊆ {expect}\n  actual: {}", truncate(&out)));
                    }
                }
                (Ok(out), None, Some(code)) => failures.push(format!(
                    "{label}: expected error {code}, got a result: {}",
                    truncate(&out)
                )),
                (Ok(_), None, None) => {}
                (Err(CallError::Api(e)), _, Some(code)) if e.error_code == code => {}
                // Arguments the schema rejects are Descope's E011003 (invalid request).
                (Err(CallError::InvalidArguments(_)), _, Some("E011003")) => {}
                (Err(e), _, _) => failures.push(format!("{label}: failed: {e}")),
            }
        }
    }
    (ran, failures)
}

fn truncate(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 600 {
        format!("{}…", &s[..600])
    } else {
        s
    }
}

#[test]
fn every_yaml_example_passes() {
    // EXAMPLES=users_read limits the run to operations whose `tool.Name` contains it.
    let filter = std::env::var("EXAMPLES").ok();
    let (ran, failures) = run_examples(filter.as_deref());
    assert!(ran > 0, "no example ran");
    assert!(
        failures.is_empty(),
        "{} of {ran} examples failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{ran} examples passed");
}
