//! The SSO applications a user may use (`ssoAppIds` on the user): UpdateUserAddSSOApps,
//! UpdateUserRemoveSSOApps and UpdateUserSetSSOApps.
//!
//! idmcp keeps no SSO application records (no collection holds them), so an ID cannot be
//! checked against existing applications: any non-blank ID is accepted, as the YAML
//! descriptions say. Removing is strict instead: an ID the user does not have is an error, so a
//! typo cannot silently leave access in place.

use idmcp_macros::operation;
use serde_json::{Value, json};

use crate::catalog::generated::types::users::*;
use crate::engine::Ctx;
use crate::error::ApiError;

use super::*;

#[derive(Clone, Copy)]
enum AppChange {
    Add,
    Remove,
    Set,
}

/// `ids` in their first-seen order, each once.
fn unique(ids: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for id in ids {
        if !v.contains(&id) {
            v.push(id);
        }
    }
    v
}

fn change_apps(
    ctx: &Ctx,
    op: &str,
    login_id: &str,
    ids: &[String],
    how: AppChange,
) -> Result<Value, ApiError> {
    // The schema's `^\S+$` already rejects blank IDs; trimming keeps stored IDs exact anyway.
    let ids: Vec<String> = ids.iter().map(|i| i.trim().to_owned()).collect();
    modify(ctx, op, Some(login_id), None, |_, _, doc| {
        let current = strings(doc.get("ssoAppIds"));
        let next = match how {
            AppChange::Add => unique(current.into_iter().chain(ids.iter().cloned())),
            AppChange::Set => unique(ids.iter().cloned()),
            AppChange::Remove => {
                let unknown: Vec<&str> = ids
                    .iter()
                    .filter(|i| !current.contains(i))
                    .map(String::as_str)
                    .collect();
                if !unknown.is_empty() {
                    return Err(ApiError::invalid(format!(
                        "the user does not have SSO app(s) {}; their ssoAppIds are: {}. Check the IDs with users_read LoadUser.",
                        unknown.join(", "),
                        if current.is_empty() {
                            "(none)".to_owned()
                        } else {
                            current.join(", ")
                        }
                    )));
                }
                current.into_iter().filter(|c| !ids.contains(c)).collect()
            }
        };
        doc["ssoAppIds"] = json!(next);
        Ok(())
    })
}

#[operation(users::UpdateUserAddSSOApps)]
async fn add_sso_apps(
    ctx: &mut Ctx,
    input: UpdateUserAddSSOAppsInput,
) -> Result<UpdateUserAddSSOAppsOutput, ApiError> {
    out(user_out(change_apps(
        ctx,
        "UpdateUserAddSSOApps",
        &input.login_id,
        &input.sso_app_ids,
        AppChange::Add,
    )?))
}

#[operation(users::UpdateUserRemoveSSOApps)]
async fn remove_sso_apps(
    ctx: &mut Ctx,
    input: UpdateUserRemoveSSOAppsInput,
) -> Result<UpdateUserRemoveSSOAppsOutput, ApiError> {
    out(user_out(change_apps(
        ctx,
        "UpdateUserRemoveSSOApps",
        &input.login_id,
        &input.sso_app_ids,
        AppChange::Remove,
    )?))
}

#[operation(users::UpdateUserSetSSOApps)]
async fn set_sso_apps(
    ctx: &mut Ctx,
    input: UpdateUserSetSSOAppsInput,
) -> Result<UpdateUserSetSSOAppsOutput, ApiError> {
    out(user_out(change_apps(
        ctx,
        "UpdateUserSetSSOApps",
        &input.login_id,
        &input.sso_app_ids,
        AppChange::Set,
    )?))
}
