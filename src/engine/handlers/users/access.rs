//! Roles and tenant membership: checking that roles and tenants exist where they are used,
//! and the add/remove/set operations on project roles, tenant roles and tenants.

use idmcp_macros::operation;
use serde_json::{Value, json};

use crate::catalog::generated::types::users::*;
use crate::engine::Ctx;
use crate::error::ApiError;
use crate::store::docs;

use super::*;

/// The tenant's name, or an error naming the unknown tenant ID.
pub(super) fn tenant_name(ctx: &Ctx, tenant_id: &str) -> Result<String, ApiError> {
    let pid = ctx.project_id()?;
    match ctx.db().docs().get(pid, "tenants", tenant_id)? {
        Some(t) => Ok(t
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or(tenant_id)
            .to_owned()),
        None => Err(ApiError::invalid(format!(
            "tenant `{tenant_id}` does not exist in this project: pass a tenant ID (not a name); tenants_read LoadAllTenants or SearchTenants list them"
        ))),
    }
}

/// Checks that every role exists where it is used: project roles (no tenantId) anywhere, a
/// tenant-scoped role only in its own tenant.
pub(super) fn check_roles(
    ctx: &Ctx,
    names: &[String],
    tenant: Option<&str>,
) -> Result<(), ApiError> {
    if names.is_empty() {
        return Ok(());
    }
    let pid = ctx.project_id()?;
    let roles = ctx.db().docs().scan(pid, "roles")?;
    let usable: Vec<&str> = roles
        .iter()
        .filter(|(_, r)| {
            let t = r.get("tenantId").and_then(Value::as_str).unwrap_or("");
            t.is_empty() || Some(t) == tenant
        })
        .filter_map(|(_, r)| r.get("name").and_then(Value::as_str))
        .collect();
    let missing: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| !usable.contains(n))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let scope = match tenant {
        Some(t) => format!("in tenant `{t}`"),
        None => "at project level".to_owned(),
    };
    let mut avail = usable.clone();
    avail.sort_unstable();
    avail.dedup();
    Err(ApiError::invalid(format!(
        "unknown role(s) {scope}: {}. Roles usable there: {}. Create a role with access_control_write CreateRole first if it is missing.",
        missing.join(", "),
        if avail.is_empty() {
            "(none)".to_owned()
        } else {
            avail.join(", ")
        }
    )))
}

/// Normalises requested tenant memberships: the tenant must exist, its roles must be usable
/// there, the name is filled in, and a membership the user already had keeps its join time.
pub(super) fn normalize_tenants(
    ctx: &Ctx,
    requested: &[Value],
    current: Option<&Value>,
) -> Result<Vec<Value>, ApiError> {
    let mut out: Vec<Value> = Vec::new();
    for t in requested {
        let Some(tid) = t
            .get("tenantId")
            .and_then(Value::as_str)
            .filter(|x| !x.is_empty())
        else {
            return Err(ApiError::missing(
                "every userTenants entry needs a tenantId",
            ));
        };
        let roles = strings(t.get("roleNames"));
        check_roles(ctx, &roles, Some(tid))?;
        let joined = current
            .and_then(|c| {
                docs::extract(c, "userTenants[]")
                    .into_iter()
                    .find(|e| e.get("tenantId").and_then(Value::as_str) == Some(tid))
                    .cloned()
            })
            .and_then(|e| e.get("joinedTime").cloned())
            .unwrap_or_else(|| json!(ctx.now_secs()));
        let entry = json!({"tenantId": tid, "tenantName": tenant_name(ctx, tid)?, "roleNames": roles, "joinedTime": joined});
        match out.iter_mut().find(|e| e["tenantId"] == tid) {
            Some(e) => *e = entry,
            None => out.push(entry),
        }
    }
    Ok(out)
}

#[derive(Clone, Copy)]
pub(super) enum RoleChange {
    Add,
    Remove,
    Set,
}

/// Adds, removes or sets roles: project roles without `tenant`, else the roles the user holds
/// in that tenant (the user must already belong to it).
pub(super) fn change_roles(
    ctx: &Ctx,
    op: &str,
    login_id: &str,
    tenant: Option<&str>,
    roles: &[String],
    how: RoleChange,
) -> Result<Value, ApiError> {
    if !matches!(how, RoleChange::Remove) {
        check_roles(ctx, roles, tenant)?;
    }
    let apply = |current: Vec<String>| -> Vec<String> {
        match how {
            RoleChange::Set => {
                let mut v: Vec<String> = Vec::new();
                for r in roles {
                    if !v.contains(r) {
                        v.push(r.clone());
                    }
                }
                v
            }
            RoleChange::Add => {
                let mut v = current;
                for r in roles {
                    if !v.contains(r) {
                        v.push(r.clone());
                    }
                }
                v
            }
            RoleChange::Remove => current.into_iter().filter(|r| !roles.contains(r)).collect(),
        }
    };
    modify(ctx, op, Some(login_id), None, |_, _, doc| {
        match tenant {
            None => {
                let current = strings(doc.get("roleNames"));
                doc["roleNames"] = json!(apply(current));
            }
            Some(t) => {
                let entries = doc.get_mut("userTenants").and_then(Value::as_array_mut);
                let Some(entry) = entries.and_then(|es| {
                    es.iter_mut()
                        .find(|e| e.get("tenantId").and_then(Value::as_str) == Some(t))
                }) else {
                    return Err(ApiError::invalid(format!(
                        "the user is not a member of tenant `{t}`; add the tenant first with UpdateUserAddTenant (or pass no tenantId to change project roles)"
                    )));
                };
                let current = strings(entry.get("roleNames"));
                entry["roleNames"] = json!(apply(current));
            }
        }
        Ok(())
    })
}

#[operation(users::UpdateUserAddRoles)]
async fn add_roles(
    ctx: &mut Ctx,
    input: UpdateUserAddRolesInput,
) -> Result<UpdateUserAddRolesOutput, ApiError> {
    out(user_out(change_roles(
        ctx,
        "UpdateUserAddRoles",
        &input.login_id,
        input.tenant_id.as_deref().filter(|t| !t.is_empty()),
        &input.role_names,
        RoleChange::Add,
    )?))
}

#[operation(users::UpdateUserRemoveRoles)]
async fn remove_roles(
    ctx: &mut Ctx,
    input: UpdateUserRemoveRolesInput,
) -> Result<UpdateUserRemoveRolesOutput, ApiError> {
    out(user_out(change_roles(
        ctx,
        "UpdateUserRemoveRoles",
        &input.login_id,
        input.tenant_id.as_deref().filter(|t| !t.is_empty()),
        &input.role_names,
        RoleChange::Remove,
    )?))
}

#[operation(users::UpdateUserSetRoles)]
async fn set_roles(
    ctx: &mut Ctx,
    input: UpdateUserSetRolesInput,
) -> Result<UpdateUserSetRolesOutput, ApiError> {
    out(user_out(change_roles(
        ctx,
        "UpdateUserSetRoles",
        &input.login_id,
        input.tenant_id.as_deref().filter(|t| !t.is_empty()),
        &input.role_names,
        RoleChange::Set,
    )?))
}

#[operation(users::UpdateUserAddTenant)]
async fn add_tenant(
    ctx: &mut Ctx,
    input: UpdateUserAddTenantInput,
) -> Result<UpdateUserAddTenantOutput, ApiError> {
    let name = tenant_name(ctx, &input.tenant_id)?;
    let doc = modify(
        ctx,
        "UpdateUserAddTenant",
        Some(&input.login_id),
        None,
        |ctx, _, doc| {
            if !doc.get("userTenants").is_some_and(Value::is_array) {
                doc["userTenants"] = json!([]);
            }
            let entries = doc["userTenants"].as_array_mut().expect("just ensured");
            if !entries.iter().any(|e| {
                e.get("tenantId").and_then(Value::as_str) == Some(input.tenant_id.as_str())
            }) {
                entries.push(json!({"tenantId": input.tenant_id, "tenantName": name, "roleNames": [], "joinedTime": ctx.now_secs()}));
            }
            Ok(())
        },
    )?;
    out(user_out(doc))
}

#[operation(users::UpdateUserRemoveTenant)]
async fn remove_tenant(
    ctx: &mut Ctx,
    input: UpdateUserRemoveTenantInput,
) -> Result<UpdateUserRemoveTenantOutput, ApiError> {
    let doc = modify(
        ctx,
        "UpdateUserRemoveTenant",
        Some(&input.login_id),
        None,
        |_, _, doc| {
            let entries = doc.get_mut("userTenants").and_then(Value::as_array_mut);
            let Some(entries) = entries.filter(|es| {
                es.iter().any(|e| {
                    e.get("tenantId").and_then(Value::as_str) == Some(input.tenant_id.as_str())
                })
            }) else {
                return Err(ApiError::invalid(format!(
                    "the user is not a member of tenant `{}`; nothing to remove (LoadUser shows its userTenants)",
                    input.tenant_id
                )));
            };
            entries.retain(|e| {
                e.get("tenantId").and_then(Value::as_str) != Some(input.tenant_id.as_str())
            });
            Ok(())
        },
    )?;
    out(user_out(doc))
}
