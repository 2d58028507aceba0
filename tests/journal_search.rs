//! idmcp's own journal searched through `audits_read` (DESIGN.md §4: "`audits_read` can search
//! it like any other audit event"): records come back as `Mcp…` actions only when asked for,
//! only those of the caller's company, and only those of the selected project or of no project.
//! Company isolation is the point: two companies share one store, and neither may see a trace
//! of the other's MCP activity through search, text match or analytics.

use std::sync::Arc;

use idmcp::app::App;
use idmcp::dispatch::{self, CallError};
use idmcp::store::principals::Principal;
use idmcp::testkit;
use serde_json::{Value, json};

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn call(
    app: &Arc<App>,
    p: &Principal,
    tool: &str,
    op: &str,
    args: Value,
) -> Result<Value, CallError> {
    rt().block_on(dispatch::call(app, p, tool, op, args))
}

fn search(app: &Arc<App>, p: &Principal, args: Value) -> Value {
    call(app, p, "audits_read", "SearchAudit", args.clone())
        .unwrap_or_else(|e| panic!("SearchAudit {args}: {e}"))
}

fn audits(v: &Value) -> Vec<Value> {
    v["audits"].as_array().cloned().unwrap_or_default()
}

fn journal_count(app: &Arc<App>, company_id: &str) -> i64 {
    let conn = app.store.writer_blocking();
    let mut n = 0;
    conn.journal()
        .scan(&mut |r| {
            n += i64::from(r.fields[1] == company_id);
            true
        })
        .unwrap();
    n
}

const ACME_MARKER: &str = "Journal Canary Acme";

/// Acme's admin leaves a varied trail: a read, a refused (invalid) read, a write that asks for
/// approval, and the end of its write window.
fn acme_activity(app: &Arc<App>, admin: &Principal) -> String {
    testkit::select_project(app, admin, "acme-prod");
    call(
        app,
        admin,
        "tenants_read",
        "SearchTenants",
        json!({"tenantNames": [ACME_MARKER]}),
    )
    .unwrap();
    assert!(matches!(
        call(app, admin, "tenants_read", "LoadTenant", json!({})),
        Err(CallError::InvalidArguments(_))
    ));
    let approval = match call(
        app,
        admin,
        "tenants_write",
        "CreateTenant",
        json!({"name": ACME_MARKER}),
    ) {
        Err(CallError::ApprovalRequired(p)) => p.approval_id,
        other => panic!("expected an approval request, got {other:?}"),
    };
    call(app, admin, "session", "endElevation", json!({})).unwrap();
    approval
}

#[test]
fn a_company_never_sees_another_companys_journal_records() {
    let dir = tempfile::tempdir().unwrap();
    let (app, admin) = testkit::demo_app(dir.path());
    let other = testkit::other_company(&app);
    let approval = acme_activity(&app, &admin);
    call(&app, &other, "tenants_read", "LoadAllTenants", json!({})).unwrap();
    call(&app, &other, "session", "whoami", json!({})).unwrap();
    assert!(
        journal_count(&app, &admin.company_id) >= 5,
        "Acme's activity is in the journal: there is something to leak"
    );

    // Acme sees its own trail, with the documented shape.
    let mine = search(
        &app,
        &admin,
        json!({"actions": ["McpToolCall", "McpApprovalRequested", "McpElevationEnded"], "size": 1000}),
    );
    let rows = audits(&mine);
    assert!(
        !rows.is_empty() && rows.len() as i64 == mine["total"].as_i64().unwrap(),
        "{mine}"
    );
    for r in &rows {
        assert_eq!(r["actorId"], admin.email, "{r}");
        assert!(r["ID"].as_str().unwrap().starts_with("mcp-"), "{r}");
        assert!(r["type"] == "info" || r["type"] == "warn", "{r}");
        assert_eq!(r["tenants"], json!([]), "{r}");
    }
    let find = |action: &str, pred: &dyn Fn(&Value) -> bool| {
        rows.iter()
            .find(|r| r["action"] == action && pred(r))
            .cloned()
    };
    let read = find("McpToolCall", &|r| {
        r["data"]["operation"] == "SearchTenants"
    })
    .expect("the SearchTenants call is searchable");
    assert_eq!(read["data"]["tool"], "tenants_read");
    assert_eq!(read["data"]["outcome"], "ok");
    assert_eq!(read["type"], "info");
    assert_eq!(
        read["data"]["detail"]["args"]["tenantNames"],
        json!([ACME_MARKER])
    );
    let asked = find("McpApprovalRequested", &|r| {
        r["data"]["approvalId"] == approval
    })
    .expect("the approval request is searchable");
    assert_eq!(asked["data"]["outcome"], "sent");
    let gated = find("McpToolCall", &|r| r["data"]["operation"] == "CreateTenant")
        .expect("the gated write is searchable");
    assert_eq!(gated["data"]["outcome"], "approval_required");
    assert_eq!(gated["data"]["approvalId"], approval);
    assert!(
        find("McpElevationEnded", &|_| true).is_some(),
        "endElevation is searchable: {mine}"
    );
    // The refused call is a warning.
    let warn = audits(&search(
        &app,
        &admin,
        json!({"includeMcpEvents": true, "auditTypes": ["warn"], "size": 1000}),
    ));
    assert!(
        warn.iter().any(|r| r["action"] == "McpToolCall"
            && r["data"]["operation"] == "LoadTenant"
            && r["data"]["outcome"] == "invalid_arguments"),
        "{warn:?}"
    );

    // The other company sees only its own records, whatever it asks.
    let theirs = search(
        &app,
        &other,
        json!({"includeMcpEvents": true, "size": 1000}),
    );
    let rows = audits(&theirs);
    assert!(
        rows.iter()
            .any(|r| r["data"]["operation"] == "LoadAllTenants"),
        "its own records are searchable: {theirs}"
    );
    for r in &rows {
        assert_eq!(
            r["actorId"], other.email,
            "a record of another principal leaked: {r}"
        );
    }
    let text = theirs.to_string();
    for leak in [
        admin.email.as_str(),
        ACME_MARKER,
        approval.as_str(),
        admin.company_id.as_str(),
    ] {
        assert!(
            !text.contains(leak),
            "`{leak}` leaked to the other company: {text}"
        );
    }
    for probe in [
        json!({"includeMcpEvents": true, "text": ACME_MARKER}),
        json!({"includeMcpEvents": true, "text": approval}),
        json!({"actions": ["McpToolCall", "McpApprovalRequested", "McpElevationEnded"], "actorIds": [admin.email]}),
    ] {
        let r = search(&app, &other, probe.clone());
        assert_eq!(
            r["total"], 0,
            "{probe} found another company's records: {r}"
        );
    }
    // Arguments cannot name another company or project.
    for smuggled in [
        json!({"includeMcpEvents": true, "companyId": admin.company_id}),
        json!({"includeMcpEvents": true, "projectId": "acme-prod"}),
    ] {
        let r = call(&app, &other, "audits_read", "SearchAudit", smuggled.clone());
        assert!(
            matches!(r, Err(CallError::InvalidArguments(_))),
            "{smuggled}: {r:?}"
        );
    }
    // Analytics count exactly the other company's own records.
    let expected = journal_count(&app, &other.company_id);
    let counted = call(
        &app,
        &other,
        "audits_read",
        "SearchAnalytics",
        json!({"includeMcpEvents": true, "groupByAction": true}),
    )
    .unwrap();
    let total: i64 = counted["analytics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["cnt"].as_str().unwrap().parse::<i64>().unwrap())
        .sum();
    assert_eq!(
        total, expected,
        "analytics counted records that are not the other company's: {counted}"
    );
    assert!(
        counted["analytics"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["action"].as_str().unwrap().starts_with("Mcp")),
        "{counted}"
    );
}

#[test]
fn journal_records_appear_only_when_asked_for_and_only_for_the_selected_project() {
    let dir = tempfile::tempdir().unwrap();
    let (app, admin) = testkit::demo_app(dir.path());
    acme_activity(&app, &admin);

    // Descope's request shapes: platform events only (the journal records are the newest, so
    // they would be on this first page if they were included).
    for args in [
        json!({"size": 1000}),
        json!({"actorIds": [admin.email], "size": 1000}),
        json!({"actions": ["McpToolCall"], "includeMcpEvents": false}),
    ] {
        let r = search(&app, &admin, args.clone());
        assert!(
            audits(&r)
                .iter()
                .all(|a| !a["action"].as_str().unwrap().starts_with("Mcp")),
            "{args} returned journal records: {r}"
        );
    }
    let plain = call(
        &app,
        &admin,
        "audits_read",
        "SearchAnalytics",
        json!({"groupByAction": true}),
    )
    .unwrap();
    assert!(
        plain["analytics"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| !a["action"].as_str().unwrap().starts_with("Mcp")),
        "{plain}"
    );

    // Another project of the same company: its own records, not prod's.
    call(
        &app,
        &admin,
        "session",
        "selectProject",
        json!({"project": "acme-staging"}),
    )
    .unwrap();
    call(&app, &admin, "session", "whoami", json!({})).unwrap();
    let staging = search(
        &app,
        &admin,
        json!({"actions": ["McpToolCall", "McpProjectSwitch"], "size": 1000}),
    );
    let rows = audits(&staging);
    assert!(
        rows.iter().any(|r| r["action"] == "McpProjectSwitch"),
        "the switch to staging is searchable from staging: {staging}"
    );
    assert!(
        rows.iter().any(|r| r["data"]["operation"] == "whoami"),
        "{staging}"
    );
    assert!(
        !rows
            .iter()
            .any(|r| r["data"]["operation"] == "SearchTenants"),
        "a prod record is visible from staging: {staging}"
    );
    // Newest first even within one millisecond (the test clock is fixed): whoami came after
    // the switch; oldestFirst reverses it.
    let pos =
        |rows: &[Value], pred: &dyn Fn(&Value) -> bool| rows.iter().position(|r| pred(r)).unwrap();
    let is_switch = |r: &Value| r["action"] == "McpProjectSwitch";
    let is_whoami = |r: &Value| r["data"]["operation"] == "whoami";
    assert!(pos(&rows, &is_whoami) < pos(&rows, &is_switch), "{staging}");
    let oldest = audits(&search(
        &app,
        &admin,
        json!({"actions": ["McpToolCall", "McpProjectSwitch"], "size": 1000, "oldestFirst": true}),
    ));
    assert!(
        pos(&oldest, &is_whoami) > pos(&oldest, &is_switch),
        "{oldest:?}"
    );
    let staging_id = &rows
        .iter()
        .find(|r| r["action"] == "McpProjectSwitch")
        .unwrap()["projectId"];
    for r in &rows {
        assert!(
            r["projectId"] == *staging_id || r["projectId"] == "",
            "a record of another project: {r}"
        );
    }
}
