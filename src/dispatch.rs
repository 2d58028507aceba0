//! The one path every operation call takes, whatever the transport:
//! authenticate → scope → validate → gate → execute → audit.
//!
//! Transports only establish *who* calls (a [`Principal`]); everything else — which company
//! and project the call may touch, whether the arguments fit the schema, whether a write may
//! run, and the audit record — happens here, so no route can go around it.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use crate::app::App;
use crate::catalog::{self, Class, Exec, Op};
use crate::engine::{Ctx, verb};
use crate::error::ApiError;
use crate::journal::{self, Entry};
use crate::session::approvals::{self, Request};
use crate::session::channel::Delivery;
use crate::store::Db;
use crate::store::principals::{Principal, Project};

/// An approval waiting for the human: what the agent is told (never the passcode).
#[derive(Clone, Debug)]
pub struct Pending {
    pub approval_id: String,
    pub url: String,
    /// Epoch seconds.
    pub expires_at: i64,
    pub channel: String,
    /// True when an identical request was already pending (no new passcode was sent).
    pub reused: bool,
    pub summary: String,
}

impl Pending {
    pub fn message(&self) -> String {
        let sent = if self.reused {
            format!(
                "An identical request is already waiting for approval; its passcode was sent earlier to {}.",
                self.channel
            )
        } else {
            format!(
                "A one-time passcode was sent to the user through {}.",
                self.channel
            )
        };
        format!(
            "Not executed: this write needs a human's approval ({}). {sent} Ask the user to open {} and enter the passcode there (never ask them to tell you the passcode; it expires at epoch {}). Once approved, call the same operation again with exactly the same arguments: it will run once, within the write window.",
            self.summary, self.url, self.expires_at
        )
    }

    pub fn to_json(&self) -> Value {
        json!({"status": "approval_required", "approvalId": self.approval_id, "approvalUrl": self.url, "expiresAt": self.expires_at, "message": self.message()})
    }
}

/// Why a call did not produce a result. Each variant's message tells the agent what to do.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("{0}")]
    UnknownOperation(String),
    #[error("{0}")]
    WrongTool(String),
    #[error("{0}")]
    InvalidArguments(String),
    #[error("{}", .0.message())]
    ApprovalRequired(Pending),
    #[error("{}: {}", .0.error_code, .0.error_message)]
    Api(ApiError),
}

impl From<ApiError> for CallError {
    fn from(e: ApiError) -> Self {
        CallError::Api(e)
    }
}

impl CallError {
    fn outcome(&self) -> &'static str {
        match self {
            CallError::UnknownOperation(_) | CallError::WrongTool(_) => "unknown_operation",
            CallError::InvalidArguments(_) => "invalid_arguments",
            CallError::ApprovalRequired(_) => "approval_required",
            CallError::Api(_) => "error",
        }
    }
}

/// Resolves `operation` in `tool`, explaining where it lives if it is elsewhere.
pub fn resolve(tool: &str, operation: &str) -> Result<Op, CallError> {
    if let Some(op) = catalog::find(tool, operation) {
        return Ok(op);
    }
    let elsewhere: Vec<&str> = catalog::find_any(operation)
        .iter()
        .map(|o| o.def().tool)
        .collect();
    if !elsewhere.is_empty() {
        let class = catalog::find_any(operation)[0].def().class.as_str();
        return Err(CallError::WrongTool(format!(
            "`{operation}` is not in `{tool}`: it is a {class} operation of {}. Call that tool instead.",
            elsewhere
                .iter()
                .map(|t| format!("`{t}`"))
                .collect::<Vec<_>>()
                .join(" and ")
        )));
    }
    let names = catalog::names_of(tool);
    Err(CallError::UnknownOperation(format!(
        "unknown operation `{operation}` in `{tool}`. Valid operations: {}. Use `list_operations` with {{\"bucket\": \"{tool}\"}} to see them with summaries.",
        names.join(", ")
    )))
}

/// Checks `args` against the operation's input schema; every problem is named with its field
/// and schema path.
pub fn validate(op: Op, args: &Value) -> Result<(), CallError> {
    let errors: Vec<String> = op
        .compiled()
        .validator
        .iter_errors(args)
        .take(10)
        .map(|e| {
            let at = e.instance_path().to_string();
            let field = if at.is_empty() {
                "(arguments)".to_owned()
            } else {
                at
            };
            format!("- {field}: {} (schema path {})", e, e.schema_path())
        })
        .collect();
    if errors.is_empty() {
        return Ok(());
    }
    let d = op.def();
    Err(CallError::InvalidArguments(format!(
        "invalid arguments for `{}.{}`:\n{}\nCall `list_operations` with {{\"operation\": \"{}\", \"bucket\": \"{}\"}} for the full input schema.",
        d.tool,
        d.name,
        errors.join("\n"),
        d.name,
        d.tool
    )))
}

/// Copies `args` with every secret-bearing input replaced, for the audit record.
pub fn redact(op: Op, args: &Value) -> Value {
    let mut v = args.clone();
    for path in op.def().secrets_in {
        mask(&mut v, path);
    }
    v
}

fn mask(v: &mut Value, path: &str) {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let (name, each) = match head.strip_suffix("[]") {
        Some(n) => (n, true),
        None => (head, false),
    };
    let Some(child) = v.get_mut(name) else { return };
    match (each, rest) {
        (true, r) => {
            if let Value::Array(items) = child {
                for it in items {
                    match r {
                        Some(r) => mask(it, r),
                        None => *it = json!("***"),
                    }
                }
            }
        }
        (false, Some(r)) => mask(child, r),
        (false, None) => *child = json!("***"),
    }
}

/// Runs one operation for `principal`. This is the only way operations execute.
pub async fn call(
    app: &Arc<App>,
    principal: &Principal,
    tool: &str,
    operation: &str,
    args: Value,
) -> Result<Value, CallError> {
    let started = Instant::now();
    let now = app.clock.now_ms();
    let mut entry = Entry::new(now, "tool_call", principal)
        .tool(tool)
        .operation(operation);

    let result = run(
        app, principal, tool, operation, args, now, &mut entry, started,
    )
    .await;
    entry.duration_us = started.elapsed().as_micros() as i64;
    if let Err(e) = &result {
        entry.outcome = e.outcome().to_owned();
        if let CallError::Api(api) = e {
            entry.detail["errorCode"] = json!(api.error_code);
        }
        // Failed writes rolled back their transaction, so their record is written here.
        journal::append(app, &entry).await;
    }
    result
}

#[allow(clippy::too_many_arguments)]
async fn run(
    app: &Arc<App>,
    principal: &Principal,
    tool: &str,
    operation: &str,
    args: Value,
    now: i64,
    entry: &mut Entry,
    started: Instant,
) -> Result<Value, CallError> {
    // Validate: the operation exists in this tool and the arguments fit its schema.
    let op = resolve(tool, operation)?;
    let def = op.def();
    entry.operation = def.name.to_owned();
    entry.detail = json!({ "args": redact(op, &args) });
    validate(op, &args)?;

    // Scope: the session of this credential, in the principal's company, and its project.
    let conn = if def.class == Class::Write {
        app.store.writer().await
    } else {
        app.store.reader().await
    };
    // A read takes them from the auth cache (checked against the store's auth generation on
    // this connection); a write reads them afresh under the writer lock.
    let (session, project) = if def.class == Class::Write {
        crate::app::fresh_session(&conn, principal, now)
    } else {
        app.auth.session(&conn, principal, now)
    }
    .map_err(ApiError::from)?;
    entry.session = session.key.clone();
    entry.project_id = project.as_ref().map(|p| p.id.clone()).unwrap_or_default();

    // Gate: a write runs only as a request a human approved, once, inside its window.
    let mut approved: Option<(String, usize)> = None;
    if def.class == Class::Write {
        let Some(project) = project.as_ref() else {
            return Err(ApiError::invalid("no project is selected: call the session tool with `listProjects`, then `selectProject`").into());
        };
        let req = Request::new(def.tool, def.name, &args);
        match approvals::executable(&conn, &session.key, &project.id, &req, now)
            .map_err(ApiError::from)?
        {
            Some((id, index)) => {
                entry.approval_id = id.clone();
                approved = Some((id, index));
            }
            None => {
                // We hold the writer, so the approval's journal record is appended here.
                let (record, started) = start_approval(
                    app,
                    &conn,
                    principal,
                    &session.key,
                    project,
                    &[(op, args)],
                    now,
                );
                if let Some(record) = record {
                    journal::append_in(&conn, &record).map_err(ApiError::from)?;
                }
                let pending = started?;
                entry.approval_id = pending.approval_id.clone();
                return Err(CallError::ApprovalRequired(pending));
            }
        }
    }

    let mut ctx = Ctx {
        app: app.clone(),
        principal: principal.clone(),
        session,
        project,
        now_ms: now,
        conn,
    };
    if def.class == Class::Write {
        ctx.conn.begin().map_err(ApiError::from)?;
    }
    let out = execute(op, &mut ctx, args).await;
    match (&out, def.class) {
        (Ok(_), Class::Write) => {
            // The write and its audit record commit together, or not at all.
            entry.outcome = "ok".into();
            // The record commits with the write, so its duration ends here.
            entry.duration_us = started.elapsed().as_micros() as i64;
            let (id, index) = approved.expect("a write only executes with an approval");
            let committed = approvals::mark_used(&ctx.conn, &id, index)
                .and_then(|_| journal::append_in(&ctx.conn, entry))
                .and_then(|_| ctx.conn.commit());
            if let Err(e) = committed {
                let _ = ctx.conn.rollback();
                return Err(ApiError::from(e).into());
            }
            Ok(out?)
        }
        (Err(_), Class::Write) => {
            let _ = ctx.conn.rollback();
            Ok(out?)
        }
        (_, Class::Read) => {
            drop(ctx);
            if out.is_ok() {
                entry.outcome = "ok".into();
                entry.duration_us = started.elapsed().as_micros() as i64;
                journal::append(app, entry).await;
            }
            Ok(out?)
        }
    }
}

async fn execute(op: Op, ctx: &mut Ctx, args: Value) -> Result<Value, ApiError> {
    match &op.def().exec {
        Exec::Verb(v) => verb::run(v, ctx, args),
        Exec::Handler(h) => h(ctx, args).await,
    }
}

/// Records a pending approval for `items` (or finds the identical pending one) and sends its
/// passcode out of band. Used by the gate and by `session elevate`. Returns the journal record
/// to append (the caller knows which connection may append it) and the outcome.
pub fn start_approval(
    app: &App,
    conn: &dyn Db,
    principal: &Principal,
    session_key: &str,
    project: &Project,
    items: &[(Op, Value)],
    now: i64,
) -> (Option<Entry>, Result<Pending, CallError>) {
    match approvals::locked_until(conn, &principal.descoper_id, now) {
        Err(e) => return (None, Err(ApiError::from(e).into())),
        Ok(Some(until)) => {
            let e = Entry::new(now, "approval_refused_locked", principal).outcome("locked");
            let err = ApiError::forbidden(format!(
                "approvals are locked for {} after too many wrong passcodes, until epoch {}; try again later",
                principal.email,
                until / 1000
            ));
            return (Some(e), Err(err.into()));
        }
        Ok(None) => {}
    }
    let requests: Vec<Request> = items
        .iter()
        .map(|(op, a)| Request::new(op.def().tool, op.def().name, a))
        .collect();
    let shown: Vec<Value> = items
        .iter()
        .map(|(op, a)| json!({"bucket": op.def().tool, "operation": op.def().name, "target": approvals::target_of(a), "args": redact(*op, a)}))
        .collect();
    let summary = items
        .iter()
        .map(|(op, a)| {
            format!(
                "{}.{} on {}",
                op.def().tool,
                op.def().name,
                approvals::target_of(a)
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    let display = json!({"project": {"id": project.id, "name": project.name}, "principal": principal.email, "items": shown});
    let created = match approvals::request(
        conn,
        principal,
        session_key,
        &project.id,
        requests,
        display,
        now,
    ) {
        Ok(c) => c,
        Err(e) => return (None, Err(ApiError::from(e).into())),
    };
    let a = &created.approval;
    let url = format!(
        "{}/approve/{}",
        app.config.public_url.trim_end_matches('/'),
        a.id
    );
    let mut e = Entry::new(now, "approval_requested", principal);
    e.session = session_key.to_owned();
    e.project_id = project.id.clone();
    e.approval_id = a.id.clone();
    e.outcome = if created.otp.is_some() {
        "sent".into()
    } else {
        "reused".into()
    };
    e.detail = json!({"requests": items.iter().map(|(op, _)| format!("{}.{}", op.def().tool, op.def().name)).collect::<Vec<_>>()});
    if let Some(code) = &created.otp {
        let d = Delivery {
            approval_id: &a.id,
            email: &principal.email,
            otp: code,
            expires_at: a.expires / 1000,
            url: &url,
            summary: &summary,
        };
        if let Err(why) = app.config.channel.deliver(&d) {
            let _ = approvals::end_approval(conn, &a.id);
            e.outcome = "delivery_failed".into();
            let err = ApiError::internal(format!(
                "the passcode could not be delivered ({why}); the approval was cancelled"
            ));
            return (Some(e), Err(err.into()));
        }
    }
    let pending = Pending {
        approval_id: a.id.clone(),
        url,
        expires_at: a.expires / 1000,
        channel: app.config.channel.describe(),
        reused: created.otp.is_none(),
        summary,
    };
    (Some(e), Ok(pending))
}
