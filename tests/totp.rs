//! TOTP as an alternative approval factor (DESIGN.md §4): an enrolled Descoper's current
//! authenticator code approves their own pending request in place of the passcode, each
//! 30-second step at most once; wrong or replayed codes count as failed attempts exactly like
//! wrong passcodes; the secret never reaches MCP output or the audit journal. Also the page
//! over real HTTP: it offers the authenticator and accepts its code (with the CSRF token).

use std::io::{Read, Write};
use std::sync::Arc;

use idmcp::app::App;
use idmcp::dispatch::{self, CallError};
use idmcp::session::approvals::Refusal;
use idmcp::session::totp::{self, Factor};
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

fn pending(r: Result<Value, CallError>) -> dispatch::Pending {
    match r {
        Err(CallError::ApprovalRequired(p)) => p,
        other => panic!("expected an approval request, got {other:?}"),
    }
}

/// Approves with `code` the way the page does (passcode or authenticator code).
fn approve(app: &Arc<App>, id: &str, code: &str) -> Result<Factor, Refusal> {
    let conn = app.store.writer_blocking();
    totp::approve(
        &conn,
        id,
        code,
        app.config.write_window_secs * 1000,
        app.clock.now_ms(),
    )
    .unwrap()
    .map(|(_, f)| f)
}

fn enroll(app: &Arc<App>, p: &Principal) -> totp::Enrolment {
    totp::enroll(
        &app.store.writer_blocking(),
        &p.descoper_id,
        &p.email,
        false,
        app.clock.now_ms(),
    )
    .unwrap()
}

/// The code an authenticator app shows for `p` at `at_ms`, computed independently of idmcp's
/// verifier from the stored secret with the RFC 6238 parameters the URI announces.
fn app_code(app: &Arc<App>, p: &Principal, at_ms: i64) -> String {
    let secret = app
        .store
        .writer_blocking()
        .secrets()
        .totp(&p.descoper_id)
        .unwrap()
        .unwrap()
        .secret;
    let bytes = totp_rs::Secret::try_from_base32(&secret).unwrap();
    let t = totp_rs::Builder::new()
        .with_secret(bytes.as_bytes().to_vec())
        .build()
        .unwrap();
    t.generate((at_ms / 1000) as u64).to_string()
}

fn tenant_exists(app: &Arc<App>, p: &Principal, name: &str) -> bool {
    let out = call(app, p, "tenants_read", "LoadAllTenants", json!({})).expect("LoadAllTenants");
    out["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["name"] == name)
}

fn dev(app: &Arc<App>) -> Principal {
    app.store
        .writer_blocking()
        .principals()
        .principal_for_email("dev@acme.example")
        .unwrap()
        .unwrap()
}

#[test]
fn enrolment_gives_a_standard_otpauth_uri_and_a_terminal_qr_code_once() {
    let dir = tempfile::tempdir().unwrap();
    let (app, admin) = testkit::demo_app(dir.path());
    let e = enroll(&app, &admin);
    assert!(
        e.uri
            .starts_with("otpauth://totp/idmcp:admin%40acme.example?")
            || e.uri
                .starts_with("otpauth://totp/idmcp:admin@acme.example?"),
        "{}",
        e.uri
    );
    assert!(e.uri.contains("issuer=idmcp"), "{}", e.uri);
    // Digits, period and algorithm may be left out only because ours are the format's defaults
    // (6, 30 s, SHA1), which every authenticator app assumes.
    for (key, default) in [("digits", "6"), ("period", "30"), ("algorithm", "SHA1")] {
        if let Some(v) = e.uri.split(&format!("{key}=")).nth(1) {
            assert_eq!(v.split('&').next().unwrap(), default, "{}", e.uri);
        }
    }
    // The URI's secret is the stored one (the app and the verifier agree).
    let stored = app
        .store
        .writer_blocking()
        .secrets()
        .totp(&admin.descoper_id)
        .unwrap()
        .unwrap()
        .secret;
    assert!(e.uri.contains(&format!("secret={stored}")), "{}", e.uri);
    assert!(stored.len() >= 32, "at least 160 bits of secret: {stored}");
    // A QR code of half blocks: square-ish, dozens of rows, drawn with block characters only.
    let rows: Vec<&str> = e.qr.lines().collect();
    assert!(rows.len() >= 15, "{} rows", rows.len());
    assert!(
        e.qr.chars()
            .all(|c| matches!(c, '█' | '▀' | '▄' | ' ' | '\n')),
        "{}",
        e.qr
    );
    // A second enrolment must be asked for explicitly: it invalidates the first app entry.
    let err = totp::enroll(
        &app.store.writer_blocking(),
        &admin.descoper_id,
        &admin.email,
        false,
        app.clock.now_ms(),
    )
    .err()
    .unwrap();
    assert!(err.contains("--replace"), "{err}");
    let again = totp::enroll(
        &app.store.writer_blocking(),
        &admin.descoper_id,
        &admin.email,
        true,
        app.clock.now_ms(),
    )
    .unwrap();
    assert_ne!(again.uri, e.uri);
}

#[test]
fn a_current_authenticator_code_approves_and_the_write_runs_once() {
    let dir = tempfile::tempdir().unwrap();
    let (app, admin) = testkit::demo_app(dir.path());
    enroll(&app, &admin);
    let args = json!({"name": "Totp One"});
    let p = pending(call(
        &app,
        &admin,
        "tenants_write",
        "CreateTenant",
        args.clone(),
    ));
    assert_eq!(
        approve(
            &app,
            &p.approval_id,
            &app_code(&app, &admin, app.clock.now_ms())
        ),
        Ok(Factor::Totp)
    );
    call(&app, &admin, "tenants_write", "CreateTenant", args.clone())
        .expect("the approved write runs");
    assert!(tenant_exists(&app, &admin, "Totp One"));
    pending(call(&app, &admin, "tenants_write", "CreateTenant", args));
    // The passcode still works as the other factor — but not after the approval was used.
    assert_eq!(
        approve(&app, &p.approval_id, &testkit::passcodes(dir.path())[0].1),
        Err(Refusal::AlreadyApproved)
    );
}

#[test]
fn the_passcode_still_works_for_an_enrolled_principal() {
    let dir = tempfile::tempdir().unwrap();
    let (app, admin) = testkit::demo_app(dir.path());
    enroll(&app, &admin);
    let p = pending(call(
        &app,
        &admin,
        "tenants_write",
        "CreateTenant",
        json!({"name": "Totp Passcode"}),
    ));
    let code = testkit::passcodes(dir.path())
        .into_iter()
        .find(|(a, _)| *a == p.approval_id)
        .unwrap()
        .1;
    assert_eq!(approve(&app, &p.approval_id, &code), Ok(Factor::Passcode));
}

#[test]
fn a_code_is_accepted_once_per_step_and_a_replay_counts_as_a_failure() {
    let dir = tempfile::tempdir().unwrap();
    let (app, admin) = testkit::demo_app(dir.path());
    enroll(&app, &admin);
    let code = app_code(&app, &admin, app.clock.now_ms());
    let a = pending(call(
        &app,
        &admin,
        "tenants_write",
        "CreateTenant",
        json!({"name": "Replay A"}),
    ));
    let b = pending(call(
        &app,
        &admin,
        "tenants_write",
        "CreateTenant",
        json!({"name": "Replay B"}),
    ));
    assert_eq!(approve(&app, &a.approval_id, &code), Ok(Factor::Totp));
    // The same code, same step, for another request: refused and counted.
    assert_eq!(
        approve(&app, &b.approval_id, &code),
        Err(Refusal::WrongCode { remaining: 4 })
    );
    // The next step's code works.
    app.clock.advance_ms(30_000);
    assert_eq!(
        approve(
            &app,
            &b.approval_id,
            &app_code(&app, &admin, app.clock.now_ms())
        ),
        Ok(Factor::Totp)
    );
}

#[test]
fn one_step_of_clock_skew_is_tolerated_and_older_codes_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let (app, admin) = testkit::demo_app(dir.path());
    enroll(&app, &admin);
    let now = app.clock.now_ms();
    let a = pending(call(
        &app,
        &admin,
        "tenants_write",
        "CreateTenant",
        json!({"name": "Skew A"}),
    ));
    // Two steps behind (60 s): a code that is no longer current.
    let stale = app_code(&app, &admin, now - 60_000);
    let current = app_code(&app, &admin, now);
    if stale != current
        && stale != app_code(&app, &admin, now - 30_000)
        && stale != app_code(&app, &admin, now + 30_000)
    {
        assert_eq!(
            approve(&app, &a.approval_id, &stale),
            Err(Refusal::WrongCode { remaining: 4 })
        );
    }
    // The phone's clock runs 30 s behind: its code is still accepted.
    assert_eq!(
        approve(&app, &a.approval_id, &app_code(&app, &admin, now - 30_000)),
        Ok(Factor::Totp)
    );
}

#[test]
fn wrong_authenticator_codes_void_the_approval_and_lock_like_wrong_passcodes() {
    let dir = tempfile::tempdir().unwrap();
    let (app, admin) = testkit::demo_app(dir.path());
    enroll(&app, &admin);
    let now = app.clock.now_ms();
    let valid: Vec<String> = [-30_000, 0, 30_000]
        .iter()
        .map(|d| app_code(&app, &admin, now + d))
        .collect();
    let wrong = (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|c| !valid.contains(c))
        .unwrap();
    let p = pending(call(
        &app,
        &admin,
        "tenants_write",
        "CreateTenant",
        json!({"name": "Totp Brute"}),
    ));
    for i in 1..=4 {
        assert_eq!(
            approve(&app, &p.approval_id, &wrong),
            Err(Refusal::WrongCode { remaining: 5 - i })
        );
    }
    assert_eq!(
        approve(&app, &p.approval_id, &wrong),
        Err(Refusal::TooManyAttempts)
    );
    // Voided: even a right authenticator code cannot revive it.
    assert_eq!(
        approve(&app, &p.approval_id, &valid[1]),
        Err(Refusal::Voided)
    );
    // Five more failures on a fresh request lock the principal; then a right code is refused too.
    let p2 = pending(call(
        &app,
        &admin,
        "tenants_write",
        "CreateTenant",
        json!({"name": "Totp Brute 2"}),
    ));
    let mut last = Ok(Factor::Passcode);
    for _ in 0..5 {
        last = approve(&app, &p2.approval_id, &wrong);
    }
    assert!(
        matches!(
            last,
            Err(Refusal::Locked { .. }) | Err(Refusal::TooManyAttempts)
        ),
        "{last:?}"
    );
    let p3_refused = call(
        &app,
        &admin,
        "tenants_write",
        "CreateTenant",
        json!({"name": "Totp Brute 3"}),
    );
    assert!(
        matches!(p3_refused, Err(CallError::Api(ref e)) if e.status == 403),
        "{p3_refused:?}"
    );
}

#[test]
fn another_principals_authenticator_does_not_approve() {
    let dir = tempfile::tempdir().unwrap();
    let (app, admin) = testkit::demo_app(dir.path());
    let dev = dev(&app);
    enroll(&app, &dev);
    // admin has no authenticator; dev's current code is just a wrong code for admin's request.
    let p = pending(call(
        &app,
        &admin,
        "tenants_write",
        "CreateTenant",
        json!({"name": "Not Yours"}),
    ));
    assert_eq!(
        approve(
            &app,
            &p.approval_id,
            &app_code(&app, &dev, app.clock.now_ms())
        ),
        Err(Refusal::WrongCode { remaining: 4 })
    );
    // And after removal, a former authenticator no longer works for its owner either.
    testkit::select_project(&app, &dev, "acme-prod");
    let q = pending(call(
        &app,
        &dev,
        "tenants_write",
        "CreateTenant",
        json!({"name": "Removed"}),
    ));
    let before_removal = app_code(&app, &dev, app.clock.now_ms());
    assert!(totp::remove(&app.store.writer_blocking(), &dev.descoper_id).unwrap());
    assert_eq!(
        approve(&app, &q.approval_id, &before_removal),
        Err(Refusal::WrongCode { remaining: 4 })
    );
}

#[test]
fn the_secret_appears_in_no_mcp_output_and_no_audit_record() {
    let dir = tempfile::tempdir().unwrap();
    let (app, admin) = testkit::demo_app(dir.path());
    let e = enroll(&app, &admin);
    let secret = e
        .uri
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let mut outputs = String::new();
    for i in 0..2 {
        let args = json!({"name": format!("Totp Canary {i}")});
        let p = pending(call(
            &app,
            &admin,
            "tenants_write",
            "CreateTenant",
            args.clone(),
        ));
        outputs.push_str(&p.to_json().to_string());
        let _ = approve(&app, &p.approval_id, "000000");
        assert_eq!(
            approve(
                &app,
                &p.approval_id,
                &app_code(&app, &admin, app.clock.now_ms())
            ),
            Ok(Factor::Totp)
        );
        outputs.push_str(
            &call(&app, &admin, "tenants_write", "CreateTenant", args)
                .unwrap()
                .to_string(),
        );
        outputs.push_str(
            &call(&app, &admin, "session", "whoami", json!({}))
                .unwrap()
                .to_string(),
        );
        outputs.push_str(
            &call(&app, &admin, "audits_read", "SearchAudits", json!({}))
                .map(|v| v.to_string())
                .unwrap_or_default(),
        );
        app.clock.advance_ms(30_000);
    }
    rt().block_on(idmcp::journal::flush(&app));
    assert!(!outputs.contains(&secret));
    let conn = app.store.writer_blocking();
    let mut rows: Vec<String> = Vec::new();
    conn.journal()
        .scan(&mut |r| {
            rows.push(format!("{r:?}"));
            true
        })
        .unwrap();
    assert!(rows.len() > 5);
    assert!(
        rows.iter().all(|r| !r.contains(&secret)),
        "the secret is in the journal"
    );
}

// ----- the page over HTTP ----------------------------------------------------------------

/// One HTTP/1.1 request on a fresh connection; returns (status, headers, body).
fn http(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_owned(), body.to_owned())
}

#[test]
fn the_approval_page_offers_the_authenticator_and_accepts_its_code() {
    let dir = tempfile::tempdir().unwrap();
    let (app, admin) = testkit::demo_app(dir.path());
    let p = pending(call(
        &app,
        &admin,
        "tenants_write",
        "CreateTenant",
        json!({"name": "Totp Page"}),
    ));
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = server
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    server.spawn(axum::serve(listener, idmcp::web::routes(app.clone())).into_future());
    let path = format!("/approve/{}", p.approval_id);

    // Before enrolment the page asks only for the passcode.
    let (status, _, body) = http(addr, "GET", &path, &[], "");
    assert_eq!(status, 200);
    assert!(
        !body.contains("authenticator app"),
        "offers an authenticator before enrolment"
    );

    enroll(&app, &admin);
    let (_, head, body) = http(addr, "GET", &path, &[], "");
    assert!(
        body.contains("(or the code of your authenticator app)"),
        "{body}"
    );
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let csrf = body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let form = |otp: &str| format!("otp={otp}&csrf={csrf}");
    let ct = ("Content-Type", "application/x-www-form-urlencoded");

    let (status, _, body) = http(
        addr,
        "POST",
        &path,
        &[ct, ("Cookie", &cookie)],
        &form("000001"),
    );
    assert_eq!(status, 401);
    assert!(body.contains("neither the passcode nor a current, unused code of your authenticator app. 4 attempt(s) left"), "{body}");

    let code = app_code(&app, &admin, app.clock.now_ms());
    let (status, _, body) = http(
        addr,
        "POST",
        &path,
        &[ct, ("Cookie", &cookie)],
        &form(&code),
    );
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("Approved with your authenticator app"),
        "{body}"
    );
    call(
        &app,
        &admin,
        "tenants_write",
        "CreateTenant",
        json!({"name": "Totp Page"}),
    )
    .expect("runs after approval");
    let (_, _, body) = http(addr, "GET", &path, &[], "");
    assert!(body.contains("approved and carried out"), "{body}");
    // The audit record names the factor, not the code.
    server.block_on(idmcp::journal::flush(&app));
    let mut detail = String::new();
    app.store
        .writer_blocking()
        .journal()
        .scan(&mut |r| {
            if r.fields[5] == "approval_decision" && r.fields[8] == "approved" {
                detail = r.fields[12].clone();
            }
            true
        })
        .unwrap();
    assert!(
        detail.contains("\"factor\":\"totp\"") && !detail.contains(&code),
        "{detail}"
    );
    server.shutdown_background();
}
