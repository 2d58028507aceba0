//! Handlers of the `access_control` (RBAC) operations that need real logic: role search,
//! role create/update/delete (single and batch) with per-tenant name uniqueness and
//! permission checks, and permission batch create, rename and delete.
//!
//! Collections: `roles` (the Role shape; `tenantId` empty for project-level roles) and
//! `permissions` (the Permission shape). Roles are held by users (`roleNames`,
//! `userTenants[].roleNames`), access keys (`roleNames`, `keyTenants[].roleNames`) and tenant
//! defaults (`defaultRoles`), so renames and deletes are carried into those documents: a
//! dangling role name would silently grant nothing, which is worse than an explicit change.

use idmcp_macros::operation;
use serde_json::{Value, json};

use super::tenants::load_tenant;
use crate::catalog::generated::types::access_control::*;
use crate::engine::Ctx;
use crate::error::ApiError;
use crate::store::principals::new_id;

const ROLES: &str = "roles";
const PERMS: &str = "permissions";

fn args<T: serde::Serialize>(input: &T) -> Result<Value, ApiError> {
    serde_json::to_value(input)
        .map_err(|e| ApiError::internal(format!("cannot read the arguments: {e}")))
}

fn out<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, ApiError> {
    serde_json::from_value(v)
        .map_err(|e| ApiError::internal(format!("cannot encode the result: {e}")))
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or_default()
}

fn str_list(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn scope(tenant: &str) -> String {
    if tenant.is_empty() {
        "among the project-level roles".to_owned()
    } else {
        format!("in tenant `{tenant}`")
    }
}

// ---------------------------------------------------------------------------------------
// Lookups
// ---------------------------------------------------------------------------------------

/// The role named `name` (ignoring case) in scope `tenant` ("" = project-level).
fn find_role(ctx: &Ctx, name: &str, tenant: &str) -> Result<Option<(String, Value)>, ApiError> {
    let pid = ctx.project_id()?;
    for id in ctx
        .db()
        .docs()
        .ids_by_key(pid, ROLES, "name", &json!(name.trim()))?
    {
        if let Some(doc) = ctx.db().docs().get(pid, ROLES, &id)?
            && s(&doc, "tenantId").eq_ignore_ascii_case(tenant)
        {
            return Ok(Some((id, doc)));
        }
    }
    Ok(None)
}

/// The role a request names by `id`, or by `name` + `tenantId`.
fn locate_role(ctx: &Ctx, a: &Value) -> Result<(String, Value), ApiError> {
    let pid = ctx.project_id()?;
    if let Some(id) = a
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        return ctx.db().docs().get(pid, ROLES, id)?
            .map(|d| (id.to_owned(), d))
            .ok_or_else(|| ApiError::not_found("E011004", format!("role with ID `{id}` not found; list roles with access_control_read LoadAllRoles")));
    }
    let name = s(a, "name");
    if name.is_empty() {
        return Err(ApiError::missing(
            "give the role's `name` (with `tenantId` for a tenant role) or its `id`",
        ));
    }
    let tenant = s(a, "tenantId");
    find_role(ctx, name, tenant)?.ok_or_else(|| {
        ApiError::not_found(
            "E011004",
            format!(
                "role `{name}` not found {}; list roles with access_control_read SearchRoles{}",
                scope(tenant),
                if tenant.is_empty() {
                    " (for a tenant role, also give `tenantId`)"
                } else {
                    ""
                }
            ),
        )
    })
}

/// Canonical names of `wanted` permissions, or an error naming every missing one.
fn check_permissions(ctx: &Ctx, wanted: &[String]) -> Result<Vec<String>, ApiError> {
    let pid = ctx.project_id()?;
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for w in wanted {
        let hit = ctx
            .db()
            .docs()
            .ids_by_key(pid, PERMS, "name", &json!(w.trim()))?
            .into_iter()
            .next();
        match hit.and_then(|id| ctx.db().docs().get(pid, PERMS, &id).ok().flatten()) {
            Some(p) => {
                let n = s(&p, "name").to_owned();
                if !found.contains(&n) {
                    found.push(n);
                }
            }
            None => missing.push(w.clone()),
        }
    }
    if !missing.is_empty() {
        return Err(ApiError::invalid(format!(
            "permission(s) not found: {}. A role can only grant existing permissions: create them first with access_control_write CreatePermission or CreatePermissions (list them with LoadAllPermissions)",
            missing.join(", ")
        )));
    }
    Ok(found)
}

fn check_tenant(ctx: &Ctx, tenant: &str) -> Result<(), ApiError> {
    if !tenant.is_empty() {
        load_tenant(ctx, tenant)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Carrying role and permission changes to the documents that refer to them
// ---------------------------------------------------------------------------------------

/// Replaces (`Some(new)`) or removes (`None`) role `old` of scope `tenant` in a name list.
fn edit_names(list: &mut Value, old: &str, new: Option<&str>) -> bool {
    let Some(items) = list.as_array_mut() else {
        return false;
    };
    let before = items.clone();
    let mut out: Vec<Value> = Vec::new();
    for it in items.iter() {
        let hit = it.as_str().is_some_and(|n| n.eq_ignore_ascii_case(old));
        let v = match (hit, new) {
            (true, Some(n)) => json!(n),
            (true, None) => continue,
            (false, _) => it.clone(),
        };
        if !out.contains(&v) {
            out.push(v);
        }
    }
    *items = out;
    *items != before
}

/// Carries a role rename or deletion into users, access keys and tenant defaults.
fn retarget_role(ctx: &Ctx, tenant: &str, old: &str, new: Option<&str>) -> Result<(), ApiError> {
    let pid = ctx.project_id()?.to_owned();
    let db = ctx.db();
    // Holders: (collection, project-level path, per-tenant list, per-tenant roles field).
    for (coll, top, per_tenant) in [
        ("users", "roleNames", "userTenants"),
        ("access_keys", "roleNames", "keyTenants"),
    ] {
        let path = if tenant.is_empty() {
            top.to_owned()
        } else {
            format!("{per_tenant}[].roleNames")
        };
        for id in db.docs().ids_by_key(&pid, coll, &path, &json!(old))? {
            let Some(mut doc) = db.docs().get(&pid, coll, &id)? else {
                continue;
            };
            let mut changed = false;
            if tenant.is_empty() {
                if let Some(list) = doc.get_mut(top) {
                    changed |= edit_names(list, old, new);
                }
            } else if let Some(entries) = doc.get_mut(per_tenant).and_then(Value::as_array_mut) {
                for e in entries.iter_mut().filter(|e| s(e, "tenantId") == tenant) {
                    if let Some(list) = e.get_mut("roleNames") {
                        changed |= edit_names(list, old, new);
                    }
                }
            }
            if changed {
                ctx.put(coll, &id, &doc)?;
            }
        }
    }
    // Tenant defaults: a tenant role only in its tenant; a project role in every tenant that
    // has no role of its own with that name (its own role would be the one meant).
    for (tid, mut t) in db.docs().scan(&pid, "tenants")? {
        let applies = if tenant.is_empty() {
            find_role(ctx, old, &tid)?.is_none()
        } else {
            tid == tenant
        };
        if applies
            && let Some(list) = t.get_mut("defaultRoles")
            && edit_names(list, old, new)
        {
            ctx.put("tenants", &tid, &t)?;
        }
    }
    Ok(())
}

/// Carries a permission rename or deletion into every role that grants it.
fn retarget_permission(ctx: &Ctx, old: &str, new: Option<&str>) -> Result<(), ApiError> {
    let pid = ctx.project_id()?.to_owned();
    for rid in ctx
        .db()
        .docs()
        .ids_by_key(&pid, ROLES, "permissionNames", &json!(old))?
    {
        let Some(mut role) = ctx.db().docs().get(&pid, ROLES, &rid)? else {
            continue;
        };
        if let Some(list) = role.get_mut("permissionNames")
            && edit_names(list, old, new)
        {
            ctx.put(ROLES, &rid, &role)?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Roles
// ---------------------------------------------------------------------------------------

fn create_role(ctx: &Ctx, a: &Value) -> Result<Value, ApiError> {
    let name = s(a, "name").trim().to_owned();
    if name.is_empty() {
        return Err(ApiError::missing("every role needs a `name`"));
    }
    let tenant = s(a, "tenantId").trim().to_owned();
    check_tenant(ctx, &tenant)?;
    if let Some((id, existing)) = find_role(ctx, &name, &tenant)? {
        return Err(ApiError::conflict(
            "E011004",
            format!(
                "role `{}` already exists {} (ID `{id}`); role names are unique per tenant and among project roles, ignoring case: update it with UpdateRole or choose another name",
                s(&existing, "name"),
                scope(&tenant)
            ),
        ));
    }
    let perms = check_permissions(ctx, &str_list(a.get("permissionNames")))?;
    let id = new_id("RL");
    let doc = json!({
        "id": id,
        "name": name,
        "description": s(a, "description"),
        "permissionNames": perms,
        "tenantId": tenant,
        "default": a.get("default").and_then(Value::as_bool).unwrap_or(false),
        "private": a.get("private").and_then(Value::as_bool).unwrap_or(false),
        "createdTime": ctx.now_secs(),
    });
    ctx.put(ROLES, &id, &doc)?;
    Ok(doc)
}

fn update_role(ctx: &Ctx, a: &Value) -> Result<Value, ApiError> {
    let (id, mut doc) = locate_role(ctx, a)?;
    let tenant = s(&doc, "tenantId").to_owned();
    let old = s(&doc, "name").to_owned();
    let new = a
        .get("newName")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or(&old)
        .to_owned();
    if !new.eq_ignore_ascii_case(&old)
        && let Some((other, _)) = find_role(ctx, &new, &tenant)?
    {
        return Err(ApiError::conflict(
            "E011004",
            format!(
                "cannot rename `{old}` to `{new}`: role `{other}` already has that name {}",
                scope(&tenant)
            ),
        ));
    }
    // Descope's update overwrites: absent description and permissions become empty.
    doc["name"] = json!(new);
    doc["description"] = json!(s(a, "description"));
    doc["permissionNames"] = json!(check_permissions(ctx, &str_list(a.get("permissionNames")))?);
    for flag in ["default", "private"] {
        doc[flag] = json!(a.get(flag).and_then(Value::as_bool).unwrap_or(false));
    }
    ctx.put(ROLES, &id, &doc)?;
    if new != old {
        retarget_role(ctx, &tenant, &old, Some(&new))?;
    }
    Ok(doc)
}

fn delete_role(ctx: &Ctx, id: &str, doc: &Value) -> Result<(), ApiError> {
    let pid = ctx.project_id()?.to_owned();
    ctx.db().docs().delete(&pid, ROLES, id)?;
    retarget_role(ctx, s(doc, "tenantId"), s(doc, "name"), None)
}

#[operation(access_control::SearchRoles)]
async fn search_roles(
    ctx: &mut Ctx,
    input: SearchRolesInput,
) -> Result<SearchRolesOutput, ApiError> {
    let a = args(&input)?;
    let pid = ctx.project_id()?.to_owned();
    let lower = |k: &str| -> Vec<String> {
        str_list(a.get(k))
            .into_iter()
            .map(|x| x.trim().to_lowercase())
            .collect()
    };
    let (tenants, names, ids, perms) = (
        lower("tenantIds"),
        lower("roleNames"),
        lower("roleIds"),
        lower("permissionNames"),
    );
    let with_project = a
        .get("includeProjectRoles")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let like = s(&a, "roleNameLike").to_lowercase();
    let text = s(&a, "text").to_lowercase();
    let mut roles: Vec<Value> = ctx
        .db()
        .docs()
        .scan(&pid, ROLES)?
        .into_iter()
        .map(|(_, r)| r)
        .filter(|r| {
            let t = s(r, "tenantId").to_lowercase();
            tenants.is_empty() || tenants.contains(&t) || (with_project && t.is_empty())
        })
        .filter(|r| names.is_empty() || names.contains(&s(r, "name").to_lowercase()))
        .filter(|r| ids.is_empty() || ids.contains(&s(r, "id").to_lowercase()))
        .filter(|r| like.is_empty() || s(r, "name").to_lowercase().contains(&like))
        .filter(|r| {
            text.is_empty()
                || s(r, "name").to_lowercase().contains(&text)
                || s(r, "description").to_lowercase().contains(&text)
        })
        .filter(|r| {
            perms.is_empty()
                || str_list(r.get("permissionNames"))
                    .iter()
                    .any(|p| perms.contains(&p.to_lowercase()))
        })
        .collect();
    let keys: Vec<(String, bool)> = a
        .get("sort")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .map(|k| {
                    (
                        s(k, "field").to_owned(),
                        k.get("desc").and_then(Value::as_bool).unwrap_or(false),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    if !keys.is_empty() {
        roles.sort_by(|x, y| {
            for (f, desc) in &keys {
                let ord = match (x.get(f), y.get(f)) {
                    (Some(Value::Number(p)), Some(Value::Number(q))) => p
                        .as_f64()
                        .partial_cmp(&q.as_f64())
                        .unwrap_or(std::cmp::Ordering::Equal),
                    (p, q) => {
                        let txt = |v: Option<&Value>| {
                            v.map(|v| {
                                v.as_str()
                                    .map(str::to_lowercase)
                                    .unwrap_or_else(|| v.to_string())
                            })
                            .unwrap_or_default()
                        };
                        txt(p).cmp(&txt(q))
                    }
                };
                let ord = if *desc { ord.reverse() } else { ord };
                if ord.is_ne() {
                    return ord;
                }
            }
            std::cmp::Ordering::Equal
        });
    }
    out(json!({ "roles": roles }))
}

#[operation(access_control::CreateRole)]
async fn create_role_op(
    ctx: &mut Ctx,
    input: CreateRoleInput,
) -> Result<CreateRoleOutput, ApiError> {
    out(create_role(ctx, &args(&input)?)?)
}

#[operation(access_control::CreateRoles)]
async fn create_roles(
    ctx: &mut Ctx,
    input: CreateRolesInput,
) -> Result<CreateRolesOutput, ApiError> {
    let a = args(&input)?;
    let mut created = Vec::new();
    for (i, r) in a["roles"].as_array().into_iter().flatten().enumerate() {
        // The whole batch runs in one transaction: an error here rolls back the earlier roles.
        created.push(create_role(ctx, r).map_err(|mut e| {
            e.error_message = format!("roles[{i}] (`{}`): {}", s(r, "name"), e.error_message);
            e
        })?);
    }
    out(json!({ "roles": created }))
}

#[operation(access_control::UpdateRole)]
async fn update_role_op(
    ctx: &mut Ctx,
    input: UpdateRoleInput,
) -> Result<UpdateRoleOutput, ApiError> {
    out(update_role(ctx, &args(&input)?)?)
}

#[operation(access_control::UpdateRoles)]
async fn update_roles(
    ctx: &mut Ctx,
    input: UpdateRolesInput,
) -> Result<UpdateRolesOutput, ApiError> {
    let a = args(&input)?;
    let mut updated = Vec::new();
    for (i, r) in a["roles"].as_array().into_iter().flatten().enumerate() {
        updated.push(update_role(ctx, r).map_err(|mut e| {
            e.error_message = format!("roles[{i}] (`{}`): {}", s(r, "name"), e.error_message);
            e
        })?);
    }
    out(json!({ "roles": updated }))
}

#[operation(access_control::DeleteRole)]
async fn delete_role_op(
    ctx: &mut Ctx,
    input: DeleteRoleInput,
) -> Result<DeleteRoleOutput, ApiError> {
    let (id, doc) = locate_role(ctx, &args(&input)?)?;
    delete_role(ctx, &id, &doc)?;
    Ok(DeleteRoleOutput::default())
}

#[operation(access_control::DeleteRoles)]
async fn delete_roles(
    ctx: &mut Ctx,
    input: DeleteRolesInput,
) -> Result<DeleteRolesOutput, ApiError> {
    let a = args(&input)?;
    let names = str_list(a.get("roleNames"));
    let ids = str_list(a.get("roleIds"));
    if names.is_empty() && ids.is_empty() {
        // Descope's endpoint treats "no filter" as "every role"; idmcp refuses it instead.
        return Err(ApiError::missing(
            "name the roles to delete in `roleNames` (with `tenantId` for tenant roles) or `roleIds`",
        ));
    }
    let tenant = s(&a, "tenantId");
    let mut targets: Vec<(String, Value)> = Vec::new();
    for n in &names {
        targets.push(locate_role(ctx, &json!({"name": n, "tenantId": tenant}))?);
    }
    for id in &ids {
        targets.push(locate_role(ctx, &json!({"id": id}))?);
    }
    targets.dedup_by(|x, y| x.0 == y.0);
    for (id, doc) in &targets {
        delete_role(ctx, id, doc)?;
    }
    Ok(DeleteRolesOutput::default())
}

// ---------------------------------------------------------------------------------------
// Permissions
// ---------------------------------------------------------------------------------------

fn locate_permission(
    ctx: &Ctx,
    name: Option<&str>,
    id: Option<&str>,
) -> Result<(String, Value), ApiError> {
    let pid = ctx.project_id()?;
    if let Some(id) = id.filter(|s| !s.is_empty()) {
        return ctx.db().docs().get(pid, PERMS, id)?
            .map(|d| (id.to_owned(), d))
            .ok_or_else(|| ApiError::not_found("E011004", format!("permission with ID `{id}` not found; list them with access_control_read LoadAllPermissions")));
    }
    let Some(name) = name.map(str::trim).filter(|s| !s.is_empty()) else {
        return Err(ApiError::missing("give the permission's `name` or `id`"));
    };
    for pidoc in ctx
        .db()
        .docs()
        .ids_by_key(pid, PERMS, "name", &json!(name))?
    {
        if let Some(d) = ctx.db().docs().get(pid, PERMS, &pidoc)? {
            return Ok((pidoc, d));
        }
    }
    Err(ApiError::not_found(
        "E011004",
        format!(
            "permission `{name}` not found; list them with access_control_read LoadAllPermissions"
        ),
    ))
}

fn refuse_system(p: &Value, what: &str) -> Result<(), ApiError> {
    if p.get("systemDefault").and_then(Value::as_bool) == Some(true) {
        return Err(ApiError::invalid(format!(
            "permission `{}` is a system permission and cannot be {what}",
            s(p, "name")
        )));
    }
    Ok(())
}

fn update_permission(ctx: &Ctx, a: &Value) -> Result<(), ApiError> {
    let (id, mut p) = locate_permission(
        ctx,
        a.get("name").and_then(Value::as_str),
        a.get("id").and_then(Value::as_str),
    )?;
    refuse_system(&p, "changed")?;
    let old = s(&p, "name").to_owned();
    let new = s(a, "newName").trim().to_owned();
    if new.is_empty() {
        return Err(ApiError::missing(
            "give `newName` (the current name to keep it)",
        ));
    }
    if !new.eq_ignore_ascii_case(&old) {
        let pid = ctx.project_id()?;
        if let Some(other) = ctx
            .db()
            .docs()
            .ids_by_key(pid, PERMS, "name", &json!(new))?
            .first()
        {
            return Err(ApiError::conflict(
                "E011004",
                format!(
                    "cannot rename `{old}` to `{new}`: permission `{other}` already has that name"
                ),
            ));
        }
    }
    p["name"] = json!(new);
    // Descope's update overwrites the description: absent means empty.
    p["description"] = json!(s(a, "description"));
    ctx.put(PERMS, &id, &p)?;
    if new != old {
        retarget_permission(ctx, &old, Some(&new))?;
    }
    Ok(())
}

fn delete_permission(ctx: &Ctx, id: &str, p: &Value) -> Result<(), ApiError> {
    refuse_system(p, "deleted")?;
    let pid = ctx.project_id()?.to_owned();
    ctx.db().docs().delete(&pid, PERMS, id)?;
    retarget_permission(ctx, s(p, "name"), None)
}

#[operation(access_control::CreatePermissions)]
async fn create_permissions(
    ctx: &mut Ctx,
    input: CreatePermissionsInput,
) -> Result<CreatePermissionsOutput, ApiError> {
    let a = args(&input)?;
    let pid = ctx.project_id()?.to_owned();
    for (i, p) in a["permissions"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let name = s(p, "name").trim();
        if let Some(other) = ctx
            .db()
            .docs()
            .ids_by_key(&pid, PERMS, "name", &json!(name))?
            .first()
        {
            return Err(ApiError::conflict(
                "E011004",
                format!(
                    "permissions[{i}]: permission `{name}` already exists (ID `{other}`; names are unique, ignoring case); nothing was created"
                ),
            ));
        }
        let id = new_id("P");
        ctx.put(PERMS, &id, &json!({"id": id, "name": name, "description": s(p, "description"), "systemDefault": false}))?;
    }
    Ok(CreatePermissionsOutput::default())
}

#[operation(access_control::UpdatePermission)]
async fn update_permission_op(
    ctx: &mut Ctx,
    input: UpdatePermissionInput,
) -> Result<UpdatePermissionOutput, ApiError> {
    update_permission(ctx, &args(&input)?)?;
    Ok(UpdatePermissionOutput::default())
}

#[operation(access_control::UpdatePermissions)]
async fn update_permissions(
    ctx: &mut Ctx,
    input: UpdatePermissionsInput,
) -> Result<UpdatePermissionsOutput, ApiError> {
    let a = args(&input)?;
    for (i, p) in a["permissions"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        update_permission(ctx, p).map_err(|mut e| {
            e.error_message = format!("permissions[{i}] (`{}`): {}", s(p, "name"), e.error_message);
            e
        })?;
    }
    Ok(UpdatePermissionsOutput::default())
}

#[operation(access_control::DeletePermission)]
async fn delete_permission_op(
    ctx: &mut Ctx,
    input: DeletePermissionInput,
) -> Result<DeletePermissionOutput, ApiError> {
    let (id, p) = locate_permission(ctx, input.name.as_deref(), input.id.as_deref())?;
    delete_permission(ctx, &id, &p)?;
    Ok(DeletePermissionOutput::default())
}

#[operation(access_control::DeletePermissions)]
async fn delete_permissions(
    ctx: &mut Ctx,
    input: DeletePermissionsInput,
) -> Result<DeletePermissionsOutput, ApiError> {
    let names = input.names.clone().unwrap_or_default();
    let ids = input.ids.clone().unwrap_or_default();
    if names.is_empty() && ids.is_empty() {
        return Err(ApiError::missing(
            "name the permissions to delete in `names` or `ids`",
        ));
    }
    let mut targets = Vec::new();
    for n in &names {
        targets.push(locate_permission(ctx, Some(n), None)?);
    }
    for id in &ids {
        targets.push(locate_permission(ctx, None, Some(id))?);
    }
    targets.dedup_by(|x, y| x.0 == y.0);
    for (id, p) in &targets {
        delete_permission(ctx, id, p)?;
    }
    Ok(DeletePermissionsOutput::default())
}
