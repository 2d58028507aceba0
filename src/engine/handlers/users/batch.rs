//! Batch operations (CreateUsers, PatchUserBatch, DeleteUsers): how one bad entry affects the
//! others — per-entry savepoints for create and patch, all-or-nothing for delete.

use idmcp_macros::operation;
use serde_json::{Value, json};

use crate::catalog::generated::types::users::*;
use crate::engine::Ctx;
use crate::error::ApiError;

use super::*;

/// Runs `one` on each entry of `users` inside its own savepoint: an entry that fails is undone
/// and reported (`{failure, user}`), the others still land. Returns (done, failed).
fn each_in_savepoint(
    ctx: &Ctx,
    users: Option<&Value>,
    savepoint: &str,
    mut one: impl FnMut(&Ctx, &serde_json::Map<String, Value>) -> Result<Value, ApiError>,
) -> Result<(Vec<Value>, Vec<Value>), ApiError> {
    let mut done = Vec::new();
    let mut failed = Vec::new();
    for item in users.and_then(Value::as_array).cloned().unwrap_or_default() {
        let req = item.as_object().cloned().unwrap_or_default();
        ctx.db().savepoint(savepoint)?;
        match one(ctx, &req) {
            Ok(doc) => {
                ctx.db().release(savepoint)?;
                done.push(doc);
            }
            Err(e) => {
                ctx.db().rollback_to(savepoint)?;
                failed.push(json!({"failure": format!("{}: {}", e.error_code, e.error_message), "user": item}));
            }
        }
    }
    Ok((done, failed))
}

#[operation(users::CreateUsers)]
async fn create_batch(
    ctx: &mut Ctx,
    input: CreateUsersInput,
) -> Result<CreateUsersOutput, ApiError> {
    let invite = input.invite.unwrap_or(false);
    let a = args(&input)?;
    let (created, failed) = each_in_savepoint(ctx, a.get("users"), "create_one", |ctx, req| {
        let test = req.get("test").and_then(Value::as_bool).unwrap_or(false);
        create_user(ctx, req, test, invite)
    })?;
    out(json!({"createdUsers": created, "failedUsers": failed, "additionalErrors": {}}))
}

#[operation(users::PatchUserBatch)]
async fn patch_batch(
    ctx: &mut Ctx,
    input: PatchUserBatchInput,
) -> Result<PatchUserBatchOutput, ApiError> {
    let a = args(&input)?;
    let (patched, failed) = each_in_savepoint(ctx, a.get("users"), "patch_one", |ctx, req| {
        modify(
            ctx,
            "PatchUserBatch",
            s(req, "loginId"),
            None,
            |ctx, _, doc| apply_profile(ctx, doc, req, false),
        )
    })?;
    out(json!({"patchedUsers": patched, "failedUsers": failed, "additionalErrors": {}}))
}

#[operation(users::DeleteUsers)]
async fn delete_batch(
    ctx: &mut Ctx,
    input: DeleteUsersInput,
) -> Result<DeleteUsersOutput, ApiError> {
    // All IDs are resolved first, so one unknown ID deletes nothing.
    let mut found = Vec::new();
    for u in &input.user_ids {
        found.push(find_user(ctx, None, Some(u))?);
    }
    for (id, doc) in &found {
        delete_user_record(ctx, id, doc)?;
    }
    out(json!({}))
}
