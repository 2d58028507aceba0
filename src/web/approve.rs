//! The approval page (`GET/POST /approve/{id}`): shows the human exactly what the assistant
//! asked to change (secrets masked), takes the passcode they received out of band — or a
//! current code of their authenticator app, if they enrolled one — and says plainly whether
//! the change was approved or why not. CSRF-protected (a per-approval token in the form and in
//! a same-site cookie, plus an Origin check); no third-party assets.

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

use crate::app::App;
use crate::journal::{self, Entry};
use crate::session::approvals::{self, Approval, Refusal, Status};
use crate::session::totp::{self, Factor};
use crate::store::Db;

pub struct Item {
    pub bucket: String,
    pub operation: String,
    pub target: String,
    pub args: String,
}

#[derive(Template)]
#[template(path = "approve.html")]
struct Page {
    found: bool,
    id: String,
    principal: String,
    company: String,
    project: String,
    status: String,
    /// "Expires" while pending; once approved, when the write window ends.
    expires_label: &'static str,
    expires: String,
    items: Vec<Item>,
    can_approve: bool,
    csrf: String,
    totp: bool,
    window_minutes: i64,
    result: Option<String>,
    result_class: &'static str,
}

fn status_of(a: &Approval, now: i64) -> (&'static str, bool) {
    match a.status {
        Status::Pending if a.expires <= now => ("expired", false),
        Status::Pending => ("waiting for your approval", true),
        Status::Approved if a.used.len() >= a.requests.len() => ("approved and carried out", false),
        Status::Approved => ("approved", false),
        Status::Voided => ("cancelled", false),
    }
}

fn fmt_time(epoch_ms: i64) -> String {
    format!(
        "epoch {} (in {} s)",
        epoch_ms / 1000,
        0.max(
            epoch_ms
                - std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis() as i64)
                    .unwrap_or(0)
        ) / 1000
    )
}

fn page(
    app: &App,
    a: Option<&Approval>,
    company: &str,
    totp: bool,
    result: Option<(String, &'static str)>,
) -> Page {
    let now = app.clock.now_ms();
    let window_minutes = app.config.write_window_secs / 60;
    let (result, result_class) = match result {
        Some((r, c)) => (Some(r), c),
        None => (None, ""),
    };
    let Some(a) = a else {
        return Page {
            found: false,
            id: String::new(),
            principal: String::new(),
            company: String::new(),
            project: String::new(),
            status: String::new(),
            expires_label: "Expires",
            expires: String::new(),
            items: Vec::new(),
            can_approve: false,
            csrf: String::new(),
            totp: false,
            window_minutes,
            result,
            result_class,
        };
    };
    let (status, can_approve) = status_of(a, now);
    let items = a.display["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|i| Item {
            bucket: i["bucket"].as_str().unwrap_or_default().to_owned(),
            operation: i["operation"].as_str().unwrap_or_default().to_owned(),
            target: i["target"].as_str().unwrap_or_default().to_owned(),
            args: serde_json::to_string_pretty(&i["args"]).unwrap_or_default(),
        })
        .collect();
    Page {
        found: true,
        id: a.id.clone(),
        principal: a.display["principal"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        company: company.to_owned(),
        project: a.display["project"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        status: status.to_owned(),
        expires_label: if a.window_until.is_some() {
            "Write window ends"
        } else {
            "Expires"
        },
        expires: fmt_time(a.window_until.unwrap_or(a.expires)),
        items,
        can_approve,
        csrf: a.csrf.clone(),
        totp,
        window_minutes,
        result,
        result_class,
    }
}

fn respond(status: StatusCode, p: Page, csrf_cookie: Option<(&str, &str)>) -> Response {
    let body = p
        .render()
        .unwrap_or_else(|e| format!("cannot render the page: {e}"));
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    );
    if let Some((id, token)) = csrf_cookie {
        let cookie = format!(
            "idmcp_csrf_{}={token}; Path=/approve; HttpOnly; SameSite=Strict",
            cookie_name(id)
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            h.insert(header::SET_COOKIE, v);
        }
    }
    r
}

/// Approval ids are URL-safe base64; keep only characters valid in a cookie name.
fn cookie_name(id: &str) -> String {
    id.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

fn company_name(conn: &dyn Db, company_id: &str) -> String {
    conn.principals()
        .company_name(company_id)
        .ok()
        .flatten()
        .unwrap_or_default()
}

pub async fn show(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let conn = app.store.reader().await;
    let found = approvals::load(&conn, &id).ok().flatten();
    let company = found
        .as_ref()
        .map(|a| company_name(&conn, &a.company_id))
        .unwrap_or_default();
    let has_totp = found
        .as_ref()
        .is_some_and(|a| totp::enrolled(&conn, &a.descoper_id).unwrap_or(false));
    drop(conn);
    match &found {
        Some(a) => {
            let csrf = a.csrf.clone();
            respond(
                StatusCode::OK,
                page(&app, Some(a), &company, has_totp, None),
                Some((&id, &csrf)),
            )
        }
        None => respond(
            StatusCode::NOT_FOUND,
            page(&app, None, "", false, None),
            None,
        ),
    }
}

#[derive(Deserialize)]
pub struct ApproveForm {
    #[serde(default)]
    otp: String,
    #[serde(default)]
    csrf: String,
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then(|| v.to_owned())
        })
}

fn same_origin(app: &App, headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        // Browsers send Origin on cross-site POSTs; its absence means same-site or non-browser.
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    origin == app.config.public_url.trim_end_matches('/') || origin.ends_with(&format!("://{host}"))
}

pub async fn submit(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<ApproveForm>,
) -> Response {
    let now = app.clock.now_ms();
    let conn = app.store.writer().await;
    let Some(a) = approvals::load(&conn, &id).ok().flatten() else {
        drop(conn);
        return respond(
            StatusCode::NOT_FOUND,
            page(&app, None, "", false, None),
            None,
        );
    };
    let company = company_name(&conn, &a.company_id);
    let has_totp = totp::enrolled(&conn, &a.descoper_id).unwrap_or(false);
    let cookie =
        cookie_value(&headers, &format!("idmcp_csrf_{}", cookie_name(&id))).unwrap_or_default();
    let csrf_ok: bool = (form.csrf.as_bytes().ct_eq(a.csrf.as_bytes())
        & cookie.as_bytes().ct_eq(a.csrf.as_bytes()))
    .into();
    let mut entry = Entry::anonymous(now, "approval_decision");
    entry.company_id = a.company_id.clone();
    entry.session = a.session_key.clone();
    entry.project_id = a.project_id.clone();
    entry.approval_id = a.id.clone();
    entry.principal = a.display["principal"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if !csrf_ok || !same_origin(&app, &headers) {
        entry.outcome = "csrf_rejected".into();
        let _ = crate::store::in_tx(&conn, |c| journal::append_in(c, &entry));
        drop(conn);
        let msg = "This form was not submitted from the approval page (missing or wrong security token). Reload the page and try again.";
        return respond(
            StatusCode::FORBIDDEN,
            page(
                &app,
                Some(&a),
                &company,
                has_totp,
                Some((msg.into(), "bad")),
            ),
            Some((&id, &a.csrf)),
        );
    }
    let window_ms = app.config.write_window_secs * 1000;
    let decided = crate::store::in_tx(&conn, |c| {
        // The passcode, or a current authenticator code of the approval's principal; a wrong
        // one of either counts as one failed attempt.
        let r = totp::approve(c, &id, &form.otp, window_ms, now)?;
        entry.outcome = match &r {
            Ok(_) => "approved".into(),
            Err(Refusal::WrongCode { .. }) | Err(Refusal::TooManyAttempts) => {
                "wrong_passcode".into()
            }
            Err(other) => format!("{other:?}").to_lowercase(),
        };
        // Which factor approved (never the code itself).
        entry.detail = json!({
            "window_until": r.as_ref().ok().and_then(|(a, _)| a.window_until),
            "factor": r.as_ref().ok().map(|(_, f)| f.as_str()),
        });
        journal::append_in(c, &entry)?;
        Ok::<_, crate::store::Error>(r)
    });
    let after = approvals::load(&conn, &id).ok().flatten();
    drop(conn);
    let shown = after.as_ref().unwrap_or(&a);
    match decided {
        Ok(Ok((done, factor))) => {
            let until = done.window_until.unwrap_or(now) / 1000;
            let how = match factor {
                Factor::Passcode => "with the passcode",
                Factor::Totp => "with your authenticator app",
            };
            let msg = format!(
                "Approved {how}. The assistant can now carry out this change (once) until epoch {until}. You can close this page."
            );
            respond(
                StatusCode::OK,
                page(&app, Some(shown), &company, has_totp, Some((msg, "ok"))),
                None,
            )
        }
        Ok(Err(refusal)) => {
            let code = match refusal {
                Refusal::WrongCode { .. } | Refusal::TooManyAttempts => StatusCode::UNAUTHORIZED,
                Refusal::Locked { .. } => StatusCode::TOO_MANY_REQUESTS,
                Refusal::Unknown => StatusCode::NOT_FOUND,
                _ => StatusCode::CONFLICT,
            };
            let msg = match refusal {
                // With an authenticator enrolled the human may have typed either code.
                Refusal::WrongCode { remaining } if has_totp => {
                    format!(
                        "Wrong code: neither the passcode nor a current, unused code of your authenticator app. {remaining} attempt(s) left before this request is cancelled."
                    )
                }
                ref other => other.message(),
            };
            respond(
                code,
                page(&app, Some(shown), &company, has_totp, Some((msg, "bad"))),
                Some((&id, &a.csrf)),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "approval decision failed");
            respond(
                StatusCode::INTERNAL_SERVER_ERROR,
                page(
                    &app,
                    Some(shown),
                    &company,
                    has_totp,
                    Some((
                        "The store could not record the decision; nothing changed. Try again."
                            .into(),
                        "bad",
                    )),
                ),
                None,
            )
        }
    }
}
