//! The `session` tool's own operations: who am I, which projects, which one is selected, and
//! whether this session may write right now.

use idmcp_macros::operation;
use serde_json::{Value, json};

use crate::catalog::generated::types::session::*;
use crate::dispatch::{self, CallError};
use crate::engine::Ctx;
use crate::error::ApiError;
use crate::journal::{self, Entry};
use crate::session::approvals;
use crate::store::principals::Project;

fn project_json(p: &Project) -> Value {
    json!({"id": p.id, "name": p.name, "environment": p.environment, "tags": p.tags})
}

/// Read-only or elevated, and until when (epoch seconds).
fn mode(ctx: &Ctx) -> (bool, Option<i64>) {
    match ctx.session.elevated_until {
        Some(until) if until > ctx.now_ms => (true, Some(until / 1000)),
        _ => (false, None),
    }
}

#[operation(session::whoami)]
async fn whoami(ctx: &mut Ctx, _input: WhoamiInput) -> Result<WhoamiOutput, ApiError> {
    let (elevated, until) = mode(ctx);
    let p = &ctx.principal;
    Ok(serde_json::from_value(json!({
        "principal": {"descoperId": p.descoper_id, "email": p.email, "name": p.name, "companyAdmin": p.is_admin},
        "company": {"id": p.company_id, "name": p.company_name},
        "project": ctx.project.as_ref().map(project_json),
        "mode": if elevated { "elevated" } else { "read-only" },
        "writeWindowEndsAt": until,
        "approvalId": if elevated { ctx.session.approval_id.clone() } else { None },
        "serverTime": ctx.now_secs(),
    }))?)
}

#[operation(session::listProjects)]
async fn list_projects(
    ctx: &mut Ctx,
    _input: ListProjectsInput,
) -> Result<ListProjectsOutput, ApiError> {
    let selected = ctx.project.as_ref().map(|p| p.id.clone());
    let projects: Vec<Value> = ctx
        .db()
        .principals()
        .projects_of(&ctx.principal.company_id)?
        .iter()
        .map(|p| {
            let mut v = project_json(p);
            v["selected"] = json!(selected.as_deref() == Some(p.id.as_str()));
            v
        })
        .collect();
    Ok(serde_json::from_value(json!({ "projects": projects }))?)
}

#[operation(session::selectProject)]
async fn select_project(
    ctx: &mut Ctx,
    input: SelectProjectInput,
) -> Result<SelectProjectOutput, ApiError> {
    // Only projects of the principal's own company can be found here.
    let Some(project) = ctx
        .db()
        .principals()
        .find_project(&ctx.principal.company_id, &input.project)?
    else {
        let names: Vec<String> = ctx
            .db()
            .principals()
            .projects_of(&ctx.principal.company_id)?
            .into_iter()
            .map(|p| p.name)
            .collect();
        return Err(ApiError::not_found(
            "E011004",
            format!(
                "no project `{}` in your company; your projects are: {}",
                input.project,
                names.join(", ")
            ),
        ));
    };
    ctx.db()
        .principals()
        .set_session_project(&ctx.session.key, &project.id, ctx.now_ms)?;
    let mut e = Entry::new(ctx.now_ms, "project_switch", &ctx.principal);
    e.session = ctx.session.key.clone();
    e.project_id = project.id.clone();
    e.outcome = "ok".into();
    e.detail = json!({"from": ctx.project.as_ref().map(|p| p.id.clone()), "to": project.id});
    journal::append(&ctx.app, &e).await;
    ctx.project = Some(project.clone());
    Ok(serde_json::from_value(
        json!({ "project": project_json(&project) }),
    )?)
}

#[operation(session::getProjectStatus)]
async fn get_project_status(
    ctx: &mut Ctx,
    _input: GetProjectStatusInput,
) -> Result<GetProjectStatusOutput, ApiError> {
    let (elevated, until) = mode(ctx);
    Ok(serde_json::from_value(json!({
        "project": ctx.project.as_ref().map(project_json),
        "mode": if elevated { "elevated" } else { "read-only" },
        "elevated": elevated,
        "writeWindowEndsAt": until,
        "backend": "embedded",
        "serverTime": ctx.now_secs(),
    }))?)
}

/// The items an `elevate` call asks for: one request, or a list of them.
fn elevate_items(input: &ElevateInput) -> Result<Vec<(String, String, Value)>, ApiError> {
    let mut items = Vec::new();
    if let (Some(b), Some(o)) = (&input.bucket, &input.operation) {
        items.push((
            b.clone(),
            o.clone(),
            Value::Object(input.args.clone().unwrap_or_default()),
        ));
    }
    for r in input.requests.iter().flatten() {
        items.push((
            r.bucket.clone(),
            r.operation.clone(),
            Value::Object(r.args.clone().unwrap_or_default()),
        ));
    }
    if items.is_empty() {
        return Err(ApiError::missing(
            "name the write to approve: `bucket`, `operation` and `args`, or `requests: [{bucket, operation, args}, ...]`",
        ));
    }
    Ok(items)
}

#[operation(session::elevate)]
async fn elevate(ctx: &mut Ctx, input: ElevateInput) -> Result<ElevateOutput, ApiError> {
    let project = ctx
        .project
        .clone()
        .ok_or_else(|| ApiError::invalid("no project is selected: call `selectProject` first"))?;
    let mut resolved = Vec::new();
    for (bucket, operation, args) in elevate_items(&input)? {
        let op =
            dispatch::resolve(&bucket, &operation).map_err(|e| ApiError::invalid(e.to_string()))?;
        if op.def().class != crate::catalog::Class::Write {
            return Err(ApiError::invalid(format!(
                "`{bucket}.{}` is a read: reads need no approval, call it directly",
                op.def().name
            )));
        }
        dispatch::validate(op, &args).map_err(|e| ApiError::invalid(e.to_string()))?;
        resolved.push((op, args));
    }
    let (record, started) = dispatch::start_approval(
        &ctx.app,
        ctx.db(),
        &ctx.principal,
        &ctx.session.key,
        &project,
        &resolved,
        ctx.now_ms,
    );
    if let Some(record) = record {
        journal::append(&ctx.app, &record).await;
    }
    match started {
        Ok(p) => Ok(serde_json::from_value(p.to_json())?),
        Err(CallError::Api(e)) => Err(e),
        Err(e) => Err(ApiError::invalid(e.to_string())),
    }
}

#[operation(session::endElevation)]
async fn end_elevation(
    ctx: &mut Ctx,
    _input: EndElevationInput,
) -> Result<EndElevationOutput, ApiError> {
    let cancelled = approvals::end_session(ctx.db(), &ctx.session.key, ctx.now_ms)?;
    let mut e = Entry::new(ctx.now_ms, "elevation_ended", &ctx.principal);
    e.outcome = "ok".into();
    e.detail = json!({"cancelledApprovals": cancelled});
    journal::append(&ctx.app, &e).await;
    ctx.session.elevated_until = None;
    Ok(serde_json::from_value(
        json!({"mode": "read-only", "cancelledApprovals": cancelled}),
    )?)
}

#[operation(session::generateOnboardingPlan)]
async fn generate_onboarding_plan(
    _ctx: &mut Ctx,
    input: GenerateOnboardingPlanInput,
) -> Result<GenerateOnboardingPlanOutput, ApiError> {
    if input.use_case.trim().is_empty() {
        return Err(ApiError::missing(
            "describe the use case, e.g. \"a Next.js app with passkeys and social login\"",
        ));
    }
    Ok(serde_json::from_value(super::onboarding::plan(
        &input.use_case,
        input.framework.as_deref(),
    ))?)
}
