//! The network passcode channels against real listeners on 127.0.0.1: `smtp://` against a
//! small SMTP server written here (it records the whole conversation), `webhook:` against an
//! axum endpoint. What the human receives must hold the code and the link and approve the
//! request; a refusing, failing or silent peer must cancel the approval with a clear error,
//! within the 5-second limit, without the code in the error, and without stalling the runtime.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use idmcp::app::{App, Clock, Config};
use idmcp::dispatch::{self, CallError};
use idmcp::session::approvals::{self, Status};
use idmcp::session::channel::Channel;
use idmcp::store::principals::Principal;
use idmcp::store::{Durability, Store};
use serde_json::{Value, json};

/// A demo store whose passcodes go through `channel`.
fn app_with(dir: &std::path::Path, channel: &str) -> (Arc<App>, Principal) {
    let store = Store::open_with(dir, Durability::Throwaway).unwrap();
    idmcp::demo::seed_if_empty(
        &store.writer_blocking(),
        idmcp::demo::TEST_NOW_MS,
        idmcp::demo::Scale::Test,
    )
    .unwrap();
    let admin = store
        .writer_blocking()
        .principals()
        .principal_for_email(idmcp::demo::ADMIN)
        .unwrap()
        .unwrap();
    let config = Config {
        channel: channel.parse::<Channel>().unwrap(),
        ..Config::default()
    };
    (
        Arc::new(App::new(
            store,
            config,
            Clock::Fixed(AtomicI64::new(idmcp::demo::TEST_NOW_MS)),
        )),
        admin,
    )
}

fn write(app: &Arc<App>, p: &Principal, name: &str) -> Result<Value, CallError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(dispatch::call(
        app,
        p,
        "tenants_write",
        "CreateTenant",
        json!({"name": name}),
    ))
}

fn status_of(app: &Arc<App>, id: &str) -> Status {
    approvals::load(&app.store.writer_blocking(), id)
        .unwrap()
        .unwrap()
        .status
}

/// The latest approval of the admin's session (the one a failed delivery cancelled).
fn latest_approval(app: &Arc<App>, admin: &Principal) -> approvals::Approval {
    let conn = app.store.writer_blocking();
    conn.approvals()
        .of_session(&admin.credential)
        .unwrap()
        .into_iter()
        .next()
        .expect("an approval was requested")
}

fn approve(app: &Arc<App>, id: &str, code: &str) -> bool {
    let conn = app.store.writer_blocking();
    approvals::approve(
        &conn,
        id,
        code,
        app.config.write_window_secs * 1000,
        app.clock.now_ms(),
    )
    .unwrap()
    .is_ok()
}

// ----- SMTP ----------------------------------------------------------------------------------

/// How the test SMTP server behaves.
#[derive(Clone, Copy, PartialEq)]
enum Peer {
    /// Accepts the message (and AUTH PLAIN).
    Accept,
    /// Refuses the recipient with 550.
    RefuseRecipient,
    /// Accepts the connection and never says a word.
    Silent,
}

/// An SMTP server on 127.0.0.1 for one connection; returns its port and the transcript.
fn smtp_server(peer: Peer) -> (u16, Arc<Mutex<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(String::new()));
    let out = log.clone();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        if peer == Peer::Silent {
            std::thread::sleep(Duration::from_secs(12));
            return;
        }
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut w = stream.try_clone().unwrap();
        let mut r = BufReader::new(stream);
        let say = |w: &mut std::net::TcpStream, s: &str| w.write_all(s.as_bytes()).unwrap();
        say(&mut w, "220 test.local ESMTP\r\n");
        let mut line = String::new();
        loop {
            line.clear();
            if r.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            log.lock().unwrap().push_str(&line);
            let cmd = line.to_ascii_uppercase();
            if cmd.starts_with("EHLO") {
                say(
                    &mut w,
                    "250-test.local\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
                );
            } else if cmd.starts_with("AUTH PLAIN") {
                say(&mut w, "235 2.7.0 accepted\r\n");
            } else if cmd.starts_with("MAIL FROM") {
                say(&mut w, "250 ok\r\n");
            } else if cmd.starts_with("RCPT TO") {
                say(
                    &mut w,
                    if peer == Peer::RefuseRecipient {
                        "550 5.1.1 no such user here\r\n"
                    } else {
                        "250 ok\r\n"
                    },
                );
            } else if cmd.starts_with("DATA") {
                say(&mut w, "354 go ahead\r\n");
                loop {
                    line.clear();
                    r.read_line(&mut line).unwrap();
                    log.lock().unwrap().push_str(&line);
                    if line == ".\r\n" {
                        break;
                    }
                }
                say(&mut w, "250 queued\r\n");
            } else if cmd.starts_with("QUIT") {
                say(&mut w, "221 bye\r\n");
                return;
            } else {
                say(&mut w, "250 ok\r\n");
            }
        }
    });
    (port, out)
}

#[test]
fn smtp_sends_the_code_and_the_link_to_the_principal() {
    let (port, transcript) = smtp_server(Peer::Accept);
    let dir = tempfile::tempdir().unwrap();
    let (app, admin) = app_with(
        dir.path(),
        &format!("smtp://mailer:s3cret@127.0.0.1:{port}?from=idmcp@example.com"),
    );
    let p = match write(&app, &admin, "Mailed") {
        Err(CallError::ApprovalRequired(p)) => p,
        other => panic!("expected an approval request, got {other:?}"),
    };
    assert!(p.message().contains("e-mail"), "{}", p.message());
    assert!(!p.message().contains("s3cret") && !p.message().contains("127.0.0.1:{port}"));
    let mail = transcript.lock().unwrap().clone();
    assert!(mail.contains("MAIL FROM:<idmcp@example.com>"), "{mail}");
    assert!(mail.contains("RCPT TO:<admin@acme.example>"), "{mail}");
    // AUTH PLAIN carries base64("\0mailer\0s3cret").
    assert!(mail.contains("AUTH PLAIN AG1haWxlcgBzM2NyZXQ="), "{mail}");
    // The link and the code are on lines of their own, unwrapped (7-bit text, no soft breaks).
    assert!(
        mail.lines().any(|l| l.trim() == p.url),
        "the link is missing: {mail}"
    );
    // The 8-digit code in the mail is the approval's passcode: it approves the request.
    let code = mail
        .lines()
        .map(str::trim)
        .find(|l| l.len() == 8 && l.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no passcode line in {mail}"))
        .to_owned();
    assert!(approve(&app, &p.approval_id, &code));
    write(&app, &admin, "Mailed").expect("the approved write runs");
}

#[test]
fn a_refused_mail_cancels_the_approval_with_a_clear_error() {
    let (port, _) = smtp_server(Peer::RefuseRecipient);
    let dir = tempfile::tempdir().unwrap();
    let (app, admin) = app_with(
        dir.path(),
        &format!("smtp://127.0.0.1:{port}?from=idmcp@example.com"),
    );
    let err = match write(&app, &admin, "Bounced") {
        Err(CallError::Api(e)) => e.error_message,
        other => panic!("expected a delivery error, got {other:?}"),
    };
    assert!(
        err.contains("could not be delivered") && err.contains("no such user"),
        "{err}"
    );
    let a = latest_approval(&app, &admin);
    assert_eq!(a.status, Status::Voided);
}

#[test]
fn a_silent_mail_server_fails_within_five_seconds_without_stalling_the_runtime() {
    let (port, _) = smtp_server(Peer::Silent);
    let dir = tempfile::tempdir().unwrap();
    let (app, admin) = app_with(
        dir.path(),
        &format!("smtp://127.0.0.1:{port}?from=idmcp@example.com"),
    );
    // One worker thread: if delivery blocked it, the ticker below would stop.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let ticks = Arc::new(AtomicUsize::new(0));
    let t = ticks.clone();
    rt.spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            t.fetch_add(1, Ordering::SeqCst);
        }
    });
    let started = Instant::now();
    let (app2, admin2) = (app.clone(), admin.clone());
    let r = rt.block_on(async move {
        tokio::spawn(async move {
            dispatch::call(
                &app2,
                &admin2,
                "tenants_write",
                "CreateTenant",
                json!({"name": "Silent"}),
            )
            .await
        })
        .await
        .unwrap()
    });
    let took = started.elapsed();
    let err = match r {
        Err(CallError::Api(e)) => e.error_message,
        other => panic!("expected a delivery error, got {other:?}"),
    };
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(7),
        "took {took:?}"
    );
    assert!(err.contains("could not be delivered"), "{err}");
    assert_eq!(latest_approval(&app, &admin).status, Status::Voided);
    // 50-ms ticks over ≥ 4 s: the runtime kept serving other tasks meanwhile.
    assert!(
        ticks.load(Ordering::SeqCst) >= 40,
        "only {} ticks: the worker was blocked",
        ticks.load(Ordering::SeqCst)
    );
    drop(admin);
}

// ----- webhook -------------------------------------------------------------------------------

/// An axum endpoint on 127.0.0.1 that records JSON bodies and answers `status`.
fn webhook_server(rt: &tokio::runtime::Runtime, status: u16) -> (String, Arc<Mutex<Vec<Value>>>) {
    use axum::routing::post;
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = got.clone();
    let router = axum::Router::new().route(
        "/hooks/idmcp",
        post(move |headers: axum::http::HeaderMap, body: String| {
            let sink = sink.clone();
            async move {
                assert_eq!(headers.get("content-type").unwrap(), "application/json");
                sink.lock()
                    .unwrap()
                    .push(serde_json::from_str::<Value>(&body).unwrap());
                axum::http::StatusCode::from_u16(status).unwrap()
            }
        }),
    );
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    rt.spawn(axum::serve(listener, router).into_future());
    (format!("http://{addr}/hooks/idmcp?token=hook-secret"), got)
}

#[test]
fn the_webhook_receives_the_code_and_the_link_as_json() {
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (url, got) = webhook_server(&server, 204);
    let dir = tempfile::tempdir().unwrap();
    let (app, admin) = app_with(dir.path(), &format!("webhook:{url}"));
    let p = match write(&app, &admin, "Hooked") {
        Err(CallError::ApprovalRequired(p)) => p,
        other => panic!("expected an approval request, got {other:?}"),
    };
    // The agent learns the host, never the hook's secret path or token.
    assert!(
        p.message().contains("the webhook on 127.0.0.1") && !p.message().contains("hook-secret"),
        "{}",
        p.message()
    );
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    let h = &got[0];
    assert_eq!(h["approvalId"], p.approval_id.as_str());
    assert_eq!(h["email"], "admin@acme.example");
    assert_eq!(h["url"], p.url.as_str());
    assert_eq!(h["expiresAt"], p.expires_at);
    let code = h["otp"].as_str().unwrap();
    assert!(
        code.len() == 8 && code.bytes().all(|b| b.is_ascii_digit()),
        "{h}"
    );
    assert!(approve(&app, &p.approval_id, code));
    write(&app, &admin, "Hooked").expect("the approved write runs");
    server.shutdown_background();
}

#[test]
fn a_failing_webhook_cancels_the_approval_with_a_clear_error() {
    let server = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let (url, got) = webhook_server(&server, 500);
    let dir = tempfile::tempdir().unwrap();
    let (app, admin) = app_with(dir.path(), &format!("webhook:{url}"));
    let err = match write(&app, &admin, "Unhooked") {
        Err(CallError::Api(e)) => e.error_message,
        other => panic!("expected a delivery error, got {other:?}"),
    };
    assert!(
        err.contains("answered HTTP 500") && !err.contains("hook-secret"),
        "{err}"
    );
    let sent = got.lock().unwrap()[0]["otp"].as_str().unwrap().to_owned();
    assert!(!err.contains(&sent), "the error shows the code");
    let a = latest_approval(&app, &admin);
    assert_eq!(a.status, Status::Voided);
    // The code that did reach the failing hook approves nothing.
    assert!(!approve(&app, &a.id, &sent));
    assert_eq!(status_of(&app, &a.id), Status::Voided);
    server.shutdown_background();
}
