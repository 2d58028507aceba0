//! Handlers that read the platform audit trail: `audits_read` SearchAudit and SearchAnalytics,
//! and `users_read` UsersAuthHistoryV2 (successful sign-ins are audit events too). They turn
//! Descope-shaped requests into [`events::Filter`]s, enforce the search window, and shape the
//! rows back into Descope's `Audit` / `Analytic` / `UserAuthHistory` objects.
//!
//! idmcp's own journal (DESIGN.md §4: every MCP tool call, refusal, approval step, project
//! switch, elevation end) is searchable here too, as `Mcp…` actions, when the request asks
//! for it (`includeMcpEvents`, or an `actions` filter naming an `Mcp…` action). Only the
//! caller's company's records are ever read: the company comes from the principal the
//! dispatch path authenticated, never from an argument.

use idmcp_macros::operation;
use serde_json::{Value, json};

use crate::catalog::generated::types::audits::*;
use crate::catalog::generated::types::users::{UsersAuthHistoryV2Input, UsersAuthHistoryV2Output};
use crate::engine::Ctx;
use crate::error::ApiError;
use crate::store::events::{self, Bucket, Filter, GroupBy, Stored};

const DAY_MS: i64 = 86_400_000;
/// How far back audit search reaches (G2): Descope keeps 30 days, idmcp a little over 13
/// months so quarter-over-quarter and Q1 questions have data.
pub const WINDOW_DAYS: i64 = 400;
/// The range searched when the request gives no `from`, as Descope does.
const DEFAULT_DAYS: i64 = 30;
const DEFAULT_SIZE: i64 = 100;
const MAX_SIZE: i64 = 1000;

/// Reads an epoch-millisecond bound given as a number or a numeric string (the OAS types
/// them as int64 strings, the SDKs send numbers).
fn millis(name: &str, v: Option<&Value>) -> Result<Option<i64>, ApiError> {
    let n = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(Value::String(s)) => s.trim().parse::<i64>().ok(),
        Some(_) => None,
    };
    let Some(n) = n else {
        return Err(ApiError::invalid(format!(
            "`{name}` must be epoch milliseconds, as a number or a numeric string, e.g. 1795176000000"
        )));
    };
    // Epoch seconds are a common mistake; in milliseconds they would point at January 1970.
    if (1..100_000_000_000).contains(&n) {
        return Err(ApiError::invalid(format!(
            "`{name}` {n} looks like epoch seconds; audit times are epoch milliseconds: send {}",
            n * 1000
        )));
    }
    Ok(Some(n))
}

fn iso_date(ms: i64) -> String {
    let (y, m, d) = events::civil_from_days(ms.div_euclid(DAY_MS));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Resolves `from`/`to` into an inclusive range inside the search window.
fn time_range(
    now_ms: i64,
    from: Option<&Value>,
    to: Option<&Value>,
) -> Result<(i64, i64), ApiError> {
    let oldest = now_ms - WINDOW_DAYS * DAY_MS;
    let to_ms = millis("to", to)?.unwrap_or(now_ms);
    let from_ms = match millis("from", from)? {
        Some(f) => {
            if f < oldest {
                return Err(ApiError::invalid(format!(
                    "`from` {f} ({}) is older than the audit search window: idmcp keeps {WINDOW_DAYS} days, so the oldest allowed `from` is {oldest} ({}); narrow the range",
                    iso_date(f),
                    iso_date(oldest)
                )));
            }
            f
        }
        // Descope's default: the 30 days before the end of the range, kept inside the window.
        None => (to_ms - DEFAULT_DAYS * DAY_MS).max(oldest),
    };
    if from_ms > to_ms {
        return Err(ApiError::invalid(format!(
            "`from` {from_ms} ({}) is after `to` {to_ms} ({}); swap them or widen the range",
            iso_date(from_ms),
            iso_date(to_ms)
        )));
    }
    Ok((from_ms, to_ms))
}

fn list(v: &Option<Vec<String>>) -> Vec<String> {
    v.iter()
        .flatten()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The company whose journal records the search covers too, if any: the caller's, when
/// `includeMcpEvents` is true, or when it is absent and `actions` names an `Mcp…` action.
/// By default (Descope's request shapes) only platform events are searched, so totals and
/// analytics stay what Descope-compatible callers expect.
fn mcp_scope(ctx: &Ctx, include: Option<bool>, actions: &[String]) -> Option<String> {
    let wanted = include.unwrap_or_else(|| actions.iter().any(|a| events::is_mcp_action(a)));
    wanted.then(|| ctx.principal.company_id.clone())
}

fn audit_json(s: &Stored) -> Value {
    let e = &s.event;
    let factor = e
        .data
        .get("factor")
        .and_then(Value::as_str)
        .filter(|f| matches!(*f, "first" | "second"));
    // Journal records get their own ID space, so an ID never names two different things.
    let id = match s.journal_seq() {
        Some(seq) => format!("mcp-{seq}"),
        None => s.id.to_string(),
    };
    json!({
        "ID": id,
        "projectId": e.project_id,
        "userId": e.user_id,
        "actorId": e.actor_id,
        "action": e.action,
        "type": e.kind,
        "occurred": e.occurred.to_string(),
        "device": e.device,
        "method": e.method,
        "geo": e.geo,
        "remoteAddress": e.remote_address,
        "externalIds": if e.login_id.is_empty() { vec![] } else { vec![e.login_id.clone()] },
        "tenants": e.tenants,
        "data": if e.data.is_object() { e.data.clone() } else { json!({}) },
        "factor": factor,
    })
}

#[operation(audits::SearchAudit)]
async fn search_audit(
    ctx: &mut Ctx,
    input: SearchAuditInput,
) -> Result<SearchAuditOutput, ApiError> {
    let project_id = ctx.project_id()?.to_owned();
    let (from, to) = time_range(ctx.now_ms, input.from.as_ref(), input.to.as_ref())?;
    let size = input.size.unwrap_or(DEFAULT_SIZE);
    if !(1..=MAX_SIZE).contains(&size) {
        return Err(ApiError::invalid(format!(
            "`size` must be between 1 and {MAX_SIZE} (got {size}); page with `page` for more"
        )));
    }
    let page = input.page.unwrap_or(0);
    if page < 0 {
        return Err(ApiError::invalid(format!(
            "`page` is 0-based and cannot be negative (got {page})"
        )));
    }
    let mut login_ids = list(&input.external_ids);
    login_ids.extend(list(&input.login_ids));
    let actions = list(&input.actions);
    let mcp_company = mcp_scope(ctx, input.include_mcp_events, &actions);
    let filter = Filter {
        project_id,
        from,
        to,
        user_ids: list(&input.user_ids),
        actions,
        excluded_actions: list(&input.excluded_actions),
        devices: list(&input.devices),
        methods: list(&input.methods),
        geos: list(&input.geos),
        remote_addresses: list(&input.remote_addresses),
        login_ids,
        excluded_login_ids: list(&input.excluded_external_ids),
        login_ids_contain: list(&input.login_ids_contain),
        login_ids_not_contain: list(&input.login_ids_not_contain),
        tenants: list(&input.tenants),
        no_tenants: input.no_tenants.unwrap_or(false),
        actor_ids: list(&input.actor_ids),
        types: list(&input.audit_types),
        factors: list(&input.factors),
        text: input.text.clone().filter(|t| !t.trim().is_empty()),
        mcp_company,
    };
    if filter.no_tenants && !filter.tenants.is_empty() {
        return Err(ApiError::invalid(
            "`noTenants: true` asks for events without a tenant, `tenants` for events of a tenant: give one of them",
        ));
    }
    let (rows, total) = ctx.db().events().search(
        &filter,
        input.oldest_first.unwrap_or(false),
        page.saturating_mul(size),
        size,
    )?;
    let audits: Vec<Value> = rows.iter().map(audit_json).collect();
    Ok(serde_json::from_value(
        json!({ "audits": audits, "total": total }),
    )?)
}

#[operation(audits::SearchAnalytics)]
async fn search_analytics(
    ctx: &mut Ctx,
    input: SearchAnalyticsInput,
) -> Result<SearchAnalyticsOutput, ApiError> {
    let project_id = ctx.project_id()?.to_owned();
    let (from, to) = time_range(ctx.now_ms, input.from.as_ref(), input.to.as_ref())?;
    let created = match input.group_by_created.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("day") => Some(Bucket::Day),
        Some("week") => Some(Bucket::Week),
        Some("month") => Some(Bucket::Month),
        Some(other) => {
            return Err(ApiError::invalid(format!(
                "`groupByCreated` must be `day`, `week` or `month` (got `{other}`)"
            )));
        }
    };
    let group = GroupBy {
        action: input.group_by_action.unwrap_or(false),
        device: input.group_by_device.unwrap_or(false),
        method: input.group_by_method.unwrap_or(false),
        geo: input.group_by_geo.unwrap_or(false),
        tenant: input.group_by_tenant.unwrap_or(false),
        created,
        distinct_users: input.count_distinct_users.unwrap_or(false),
    };
    let actions = list(&input.actions);
    let mcp_company = mcp_scope(ctx, input.include_mcp_events, &actions);
    let filter = Filter {
        project_id: project_id.clone(),
        from,
        to,
        actions,
        mcp_company,
        excluded_actions: list(&input.excluded_actions),
        devices: list(&input.devices),
        methods: list(&input.methods),
        geos: list(&input.geos),
        tenants: list(&input.tenants),
        ..Filter::default()
    };
    let rows = ctx.db().events().aggregate(&filter, &group)?;
    let analytics: Vec<Value> = rows
        .into_iter()
        .map(|a| {
            let mut row = json!({
                "projectId": project_id,
                "action": a.action,
                "device": a.device,
                "method": a.method,
                "geo": a.geo,
                "tenant": a.tenant,
                "referrer": "",
                "created": a.bucket_start_ms.map(|b| b.to_string()).unwrap_or_default(),
                "cnt": a.count.to_string(),
            });
            if let Some(b) = a.bucket_start_ms {
                row["createdDate"] = json!(iso_date(b));
            }
            if let Some(n) = a.distinct_users {
                row["distinctUsers"] = json!(n.to_string());
            }
            row
        })
        .collect();
    Ok(serde_json::from_value(json!({ "analytics": analytics }))?)
}

/// Whether `id` names a user of the project: a stored user document, or a user that has
/// audit events (deleted users keep their history).
fn known_user(ctx: &Ctx, project_id: &str, id: &str) -> Result<bool, ApiError> {
    if ctx.db().docs().get(project_id, "users", id)?.is_some()
        || !ctx
            .db()
            .docs()
            .ids_by_key(project_id, "users", "userId", &json!(id))?
            .is_empty()
    {
        return Ok(true);
    }
    let probe = Filter {
        project_id: project_id.to_owned(),
        from: 0,
        to: i64::MAX,
        user_ids: vec![id.to_owned()],
        ..Filter::default()
    };
    Ok(ctx.db().events().search(&probe, false, 0, 1)?.1 > 0)
}

#[operation(users::UsersAuthHistoryV2)]
async fn users_auth_history(
    ctx: &mut Ctx,
    input: UsersAuthHistoryV2Input,
) -> Result<UsersAuthHistoryV2Output, ApiError> {
    let project_id = ctx.project_id()?.to_owned();
    let user_ids = list(&Some(input.user_ids));
    if user_ids.is_empty() {
        return Err(ApiError::missing(
            "`userIds` must name at least one user ID, e.g. [\"U-jane\"]",
        ));
    }
    for id in &user_ids {
        if !known_user(ctx, &project_id, id)? {
            let hint = if id.contains('@') || !id.starts_with('U') {
                " This looks like a login ID: find the user ID with users_read LoadUser {\"loginId\": …} first."
            } else {
                ""
            };
            return Err(ApiError::not_found(
                "E062108",
                format!("User not found: no user with userId `{id}` in this project.{hint}"),
            ));
        }
    }
    let filter = Filter {
        project_id,
        from: ctx.now_ms - WINDOW_DAYS * DAY_MS,
        to: ctx.now_ms,
        user_ids,
        actions: vec!["LoginSucceed".into()],
        ..Filter::default()
    };
    // The full history inside the window: a few thousand rows at most for 100 users.
    let (rows, _) = ctx.db().events().search(&filter, false, 0, i64::MAX)?;
    let history: Vec<Value> = rows
        .iter()
        .map(|s| {
            let e = &s.event;
            json!({
                "userId": e.user_id,
                "loginTime": e.occurred / 1000,
                "city": e.data.get("city").and_then(Value::as_str).unwrap_or(""),
                "country": e.geo,
                "ip": e.remote_address,
                "selectedTenant": e.data.get("selectedTenant").and_then(Value::as_str).or(e.tenants.first().map(String::as_str)).unwrap_or(""),
            })
        })
        .collect();
    Ok(serde_json::from_value(
        json!({ "usersAuthHistory": history }),
    )?)
}
