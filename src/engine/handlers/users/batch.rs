//! Batch operations (CreateUsers, PatchUserBatch, DeleteUsers): how one bad entry affects the
//! others — per-entry savepoints for create and patch, all-or-nothing for delete.

use idmcp_macros::operation;
use serde_json::{Value, json};

use crate::catalog::generated::types::users::*;
use crate::engine::Ctx;
use crate::error::ApiError;

use super::*;

#[operation(users::CreateUsers)]
async fn create_batch(ctx: &mut Ctx, input: CreateUsersInput) -> Result<CreateUsersOutput, ApiError> {
    let invite = input.invite.unwrap_or(false);
    let mut created = Vec::new();
    let mut failed = Vec::new();
    let a = args(&input)?;
    for item in a.get("users").and_then(Value::as_array).cloned().unwrap_or_default() {
        let req = item.as_object().cloned().unwrap_or_default();
        let test = req.get("test").and_then(Value::as_bool).unwrap_or(false);
        // Each user is created on its own: one bad entry is reported, the others still land.
        ctx.db().savepoint("create_one")?;
        match create_user(ctx, &req, test, invite) {
            Ok(doc) => {
                ctx.db().release("create_one")?;
                created.push(doc);
            }
            Err(e) => {
                ctx.db().rollback_to("create_one")?;
                failed.push(json!({"failure": format!("{}: {}", e.error_code, e.error_message), "user": item}));
            }
        }
    }
    out(json!({"createdUsers": created, "failedUsers": failed, "additionalErrors": {}}))
}

#[operation(users::PatchUserBatch)]
async fn patch_batch(ctx: &mut Ctx, input: PatchUserBatchInput) -> Result<PatchUserBatchOutput, ApiError> {
    let a = args(&input)?;
    let mut patched = Vec::new();
    let mut failed = Vec::new();
    for item in a.get("users").and_then(Value::as_array).cloned().unwrap_or_default() {
        let req = item.as_object().cloned().unwrap_or_default();
        ctx.db().savepoint("patch_one")?;
        let r = modify(ctx, "PatchUserBatch", s(&req, "loginId"), None, |ctx, _, doc| apply_profile(ctx, doc, &req, false));
        match r {
            Ok(doc) => {
                ctx.db().release("patch_one")?;
                patched.push(doc);
            }
            Err(e) => {
                ctx.db().rollback_to("patch_one")?;
                failed.push(json!({"failure": format!("{}: {}", e.error_code, e.error_message), "user": item}));
            }
        }
    }
    out(json!({"patchedUsers": patched, "failedUsers": failed, "additionalErrors": {}}))
}

#[operation(users::DeleteUsers)]
async fn delete_batch(ctx: &mut Ctx, input: DeleteUsersInput) -> Result<DeleteUsersOutput, ApiError> {
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
