//! Handlers of the `auth_keys` operations: access keys (search with the G1 last-use and expiry
//! filters, create/rotate with a secret shown once and stored only as a hash, role and tenant
//! checks) and password policies (project level, tenant level with inheritance).
//!
//! Access keys live in collection `access_keys`, one document per key in the `AccessKey` shape
//! plus `lastUsedTime` (G1) and `secretHash`. Every handler answers through the generated typed
//! output, whose `AccessKey` struct has no `secretHash` field, so the hash can never leave the
//! engine; [`public`] also removes it explicitly so the intent is visible where keys are built.

use std::collections::BTreeSet;

use idmcp_macros::operation;
use serde_json::{Map, Value, json};

use crate::catalog::generated::types::auth_keys::*;
use crate::engine::Ctx;
use crate::error::ApiError;
use crate::store::docs;
use crate::store::principals::{new_id, sha256_hex};

pub const KEYS_COLL: &str = "access_keys";
/// Tenant-level password policies, keyed by tenant ID. The project-level policy is the
/// `passwordSettings` field of the project settings document (see [`PROJECT_SETTINGS`]).
pub const PASSWORD_COLL: &str = "password_settings";
/// The project settings collection and its single document's ID (owned by the project area;
/// the project's password policy lives inside it so a snapshot carries it in one file).
pub const PROJECT_SETTINGS: (&str, &str) = ("project_settings", "settings");

/// Fields a key search may sort by.
const SORT_FIELDS: &[&str] = &[
    "id",
    "name",
    "status",
    "createdTime",
    "expireTime",
    "lastUsedTime",
    "createdBy",
];

fn unknown_key(id: &str) -> ApiError {
    ApiError::not_found(
        "E011004",
        format!(
            "access key not found: no key with id `{id}`; find keys and their IDs with SearchAccessKeys"
        ),
    )
}

fn load_key(ctx: &Ctx, id: &str) -> Result<Value, ApiError> {
    ctx.db()
        .docs()
        .get(ctx.project_id()?, KEYS_COLL, id)?
        .ok_or_else(|| unknown_key(id))
}

/// A tenant document by ID, if the tenant exists.
pub fn find_tenant(ctx: &Ctx, tenant_id: &str) -> Result<Option<Value>, ApiError> {
    if let Some(t) = ctx
        .db()
        .docs()
        .get(ctx.project_id()?, "tenants", tenant_id)?
    {
        return Ok(Some(t));
    }
    Ok(ctx
        .find("tenants", "id", &json!(tenant_id))?
        .map(|(_, d)| d))
}

/// The key as agents see it: no secret hash, tenant names filled in, G1 field present.
fn public(ctx: &Ctx, mut doc: Value) -> Result<Value, ApiError> {
    let Some(obj) = doc.as_object_mut() else {
        return Err(ApiError::internal("stored access key is not an object"));
    };
    obj.remove("secretHash");
    obj.entry("lastUsedTime").or_insert(json!(0));
    if let Some(Value::Array(tenants)) = obj.get_mut("keyTenants") {
        for t in tenants.iter_mut() {
            let tid = t
                .get("tenantId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if let Some(name) = find_tenant(ctx, &tid)?.and_then(|d| d.get("name").cloned()) {
                t["tenantName"] = name;
            }
        }
    }
    Ok(doc)
}

/// A strong random secret (40 characters from a 62-symbol alphabet ≈ 238 bits, from the
/// thread's CSPRNG), prefixed so leaked secrets are recognisable in logs and scanners.
fn new_secret() -> String {
    use rand::RngExt;
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    let tail: String = (0..40)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    format!("idk_{tail}")
}

/// Checks that every tenant exists and every role does, in the scope it is used in: a project
/// role has no tenant; a tenant role is a role of that tenant or a project role. Reports every
/// problem at once so the agent can fix the request in one go.
fn check_roles(ctx: &Ctx, role_names: &[String], key_tenants: &[Value]) -> Result<(), ApiError> {
    let pid = ctx.project_id()?.to_owned();
    let roles = ctx.db().docs().scan(&pid, "roles")?;
    let scope_of = |r: &Value| {
        r.get("tenantId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let exists = |name: &str, tenant: &str| {
        roles.iter().any(|(_, r)| {
            r.get("name").and_then(Value::as_str) == Some(name)
                && (scope_of(r).is_empty() || scope_of(r) == tenant)
        })
    };
    let project_roles: BTreeSet<String> = roles
        .iter()
        .filter(|(_, r)| scope_of(r).is_empty())
        .filter_map(|(_, r)| r.get("name")?.as_str().map(str::to_owned))
        .collect();
    let mut problems = Vec::new();
    let unknown: Vec<&str> = role_names
        .iter()
        .filter(|n| !exists(n, ""))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        let known: Vec<&str> = project_roles.iter().map(String::as_str).collect();
        problems.push(format!(
            "unknown project role(s): {} (project roles are: {})",
            unknown.join(", "),
            if known.is_empty() {
                "none".into()
            } else {
                known.join(", ")
            }
        ));
    }
    let mut seen = BTreeSet::new();
    for kt in key_tenants {
        let tid = kt
            .get("tenantId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if !seen.insert(tid.to_owned()) {
            problems.push(format!("tenant `{tid}` is listed twice in keyTenants; list each tenant once with all its roles"));
            continue;
        }
        if find_tenant(ctx, tid)?.is_none() {
            problems.push(format!(
                "unknown tenant `{tid}` (find tenant IDs with tenants_read.SearchTenants)"
            ));
            continue;
        }
        let names: Vec<&str> = kt
            .get("roleNames")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let unknown: Vec<&str> = names.into_iter().filter(|n| !exists(n, tid)).collect();
        if !unknown.is_empty() {
            let mut known: Vec<&str> = roles
                .iter()
                .filter(|(_, r)| scope_of(r) == tid || scope_of(r).is_empty())
                .filter_map(|(_, r)| r.get("name")?.as_str())
                .collect();
            known.sort_unstable();
            known.dedup();
            problems.push(format!(
                "unknown role(s) in tenant `{tid}`: {} (roles usable there: {})",
                unknown.join(", "),
                known.join(", ")
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "{}. Create missing roles with access_control_write.CreateRole or use existing ones.",
            problems.join("; ")
        )))
    }
}

/// Every permitted IP must be a single address or a CIDR range.
fn check_ips(ips: &[String]) -> Result<(), ApiError> {
    let bad: Vec<&str> = ips
        .iter()
        .filter(|ip| super::project::parse_ip_entry(ip).is_none())
        .map(String::as_str)
        .collect();
    if bad.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "invalid permittedIps entr{}: {}; give IPv4/IPv6 addresses (203.0.113.7) or CIDR ranges (10.0.0.0/8)",
            if bad.len() == 1 { "y" } else { "ies" },
            bad.join(", ")
        )))
    }
}

fn to_values<T: serde::Serialize>(v: &T) -> Result<Value, ApiError> {
    serde_json::to_value(v).map_err(|e| ApiError::internal(format!("cannot encode: {e}")))
}

#[operation(auth_keys::SearchAccessKeys)]
async fn search_access_keys(
    ctx: &mut Ctx,
    input: SearchAccessKeysInput,
) -> Result<SearchAccessKeysOutput, ApiError> {
    let args = to_values(&input)?;
    let pid = ctx.project_id()?.to_owned();
    let now = ctx.now_secs();
    // Validate the sort first: a typo should fail loudly rather than silently not sort.
    let mut sort: Vec<(String, bool)> = Vec::new();
    for s in args
        .get("sort")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let field = s.get("field").and_then(Value::as_str).unwrap_or_default();
        if !SORT_FIELDS.contains(&field) {
            return Err(ApiError::invalid(format!(
                "cannot sort access keys by `{field}`; sortable fields: {}",
                SORT_FIELDS.join(", ")
            )));
        }
        sort.push((
            field.to_owned(),
            s.get("desc").and_then(Value::as_bool).unwrap_or(false),
        ));
    }
    if sort.is_empty() {
        sort.push(("createdTime".into(), true));
    }
    let int = |d: &Value, f: &str| d.get(f).and_then(Value::as_i64).unwrap_or(0);
    let str_of = |d: &Value, f: &str| {
        d.get(f)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_lowercase()
    };
    // Time filters arrive in epoch milliseconds; key times are epoch seconds.
    let ms = |name: &str| args.get(name).and_then(Value::as_i64).map(|v| v / 1000);
    let (from_c, to_c, from_u, to_u, unused_since) = (
        ms("fromCreatedTime"),
        ms("toCreatedTime"),
        ms("fromLastUsedTime"),
        ms("toLastUsedTime"),
        ms("notUsedSince"),
    );
    let tenant_ids: Vec<String> = input
        .tenant_ids
        .clone()
        .unwrap_or_default()
        .into_iter()
        .filter(|t| !t.is_empty())
        .collect();
    let text = input
        .text
        .as_deref()
        .map(str::to_lowercase)
        .filter(|t| !t.is_empty());
    let mut keys: Vec<Value> = ctx
        .db()
        .docs()
        .scan(&pid, KEYS_COLL)?
        .into_iter()
        .map(|(_, d)| d)
        .filter(|d| {
            let used = int(d, "lastUsedTime");
            let expire = int(d, "expireTime");
            let created = int(d, "createdTime");
            (tenant_ids.is_empty()
                || docs::extract(d, "keyTenants[].tenantId").iter().any(|t| {
                    t.as_str()
                        .is_some_and(|t| tenant_ids.iter().any(|w| w == t))
                }))
                && text.as_ref().is_none_or(|t| {
                    ["name", "description", "id", "clientId"]
                        .iter()
                        .any(|f| str_of(d, f).contains(t.as_str()))
                })
                && input
                    .bound_user_id
                    .as_deref()
                    .filter(|u| !u.is_empty())
                    .is_none_or(|u| str_of(d, "boundUserId") == u.to_lowercase())
                && input
                    .creating_user
                    .as_deref()
                    .filter(|u| !u.is_empty())
                    .is_none_or(|u| str_of(d, "createdBy") == u.to_lowercase())
                && input.custom_attributes.as_ref().is_none_or(|want| {
                    want.iter()
                        .all(|(k, v)| d.get("customAttributes").and_then(|a| a.get(k)) == Some(v))
                })
                && input
                    .status
                    .as_deref()
                    .is_none_or(|s| str_of(d, "status") == s)
                && from_c.is_none_or(|b| created >= b)
                && to_c.is_none_or(|b| created <= b)
                && from_u.is_none_or(|b| used > 0 && used >= b)
                && to_u.is_none_or(|b| used > 0 && used <= b)
                && unused_since.is_none_or(|b| used < b)
                && input.without_expiration.is_none_or(|w| (expire == 0) == w)
                && input
                    .expired
                    .is_none_or(|e| (expire > 0 && expire <= now) == e)
        })
        .collect();
    keys.sort_by(|a, b| {
        for (field, desc) in &sort {
            let ord = match (a.get(field), b.get(field)) {
                (Some(Value::Number(x)), Some(Value::Number(y))) => x
                    .as_f64()
                    .partial_cmp(&y.as_f64())
                    .unwrap_or(std::cmp::Ordering::Equal),
                (x, y) => {
                    let s = |v: Option<&Value>| {
                        v.and_then(Value::as_str).unwrap_or_default().to_lowercase()
                    };
                    s(x).cmp(&s(y))
                }
            };
            let ord = if *desc { ord.reverse() } else { ord };
            if ord.is_ne() {
                return ord;
            }
        }
        std::cmp::Ordering::Equal
    });
    let keys: Vec<Value> = keys
        .into_iter()
        .map(|k| public(ctx, k))
        .collect::<Result<_, _>>()?;
    Ok(serde_json::from_value(json!({ "keys": keys }))?)
}

#[operation(auth_keys::LoadAccessKey)]
async fn load_access_key(
    ctx: &mut Ctx,
    input: LoadAccessKeyInput,
) -> Result<LoadAccessKeyOutput, ApiError> {
    let doc = load_key(ctx, &input.id)?;
    Ok(serde_json::from_value(json!({ "key": public(ctx, doc)? }))?)
}

#[operation(auth_keys::CreateAccessKey)]
async fn create_access_key(
    ctx: &mut Ctx,
    input: CreateAccessKeyInput,
) -> Result<CreateAccessKeyOutput, ApiError> {
    let args = to_values(&input)?;
    let now = ctx.now_secs();
    let expire = input.expire_time.unwrap_or(0);
    if expire != 0 && expire <= now {
        return Err(ApiError::invalid(format!(
            "expireTime {expire} is not in the future (now is {now}, epoch seconds); give a later time, or 0 for a key that never expires"
        )));
    }
    let role_names = input.role_names.clone().unwrap_or_default();
    let key_tenants: Vec<Value> = args
        .get("keyTenants")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    check_roles(ctx, &role_names, &key_tenants)?;
    let permitted = input.permitted_ips.clone().unwrap_or_default();
    check_ips(&permitted)?;
    let bound = input.user_id.clone().unwrap_or_default();
    if !bound.is_empty() && ctx.find("users", "userId", &json!(bound))?.is_none() {
        return Err(ApiError::invalid(format!(
            "userId `{bound}` is not a user of this project; find the user's ID with users_read.SearchUsers"
        )));
    }
    let secret = new_secret();
    let id = new_id("K2");
    let pid = ctx.project_id()?.to_owned();
    let tenants: Vec<Value> = key_tenants
        .iter()
        .map(|t| json!({"tenantId": t["tenantId"], "roleNames": t.get("roleNames").cloned().unwrap_or_else(|| json!([]))}))
        .collect();
    let doc = json!({
        "id": id,
        "name": input.name,
        "description": input.description.clone().unwrap_or_default(),
        "status": "active",
        "roleNames": role_names,
        "keyTenants": tenants,
        "createdTime": now,
        "expireTime": expire,
        "createdBy": ctx.principal.email,
        "clientId": pid,
        "boundUserId": bound,
        "customClaims": args.get("customClaims").cloned().unwrap_or_else(|| json!({})),
        "customAttributes": args.get("customAttributes").cloned().unwrap_or_else(|| json!({})),
        "permittedIps": permitted,
        "editable": true,
        "lastUsedTime": 0,
        "secretHash": sha256_hex(&secret),
    });
    ctx.put(KEYS_COLL, &id, &doc)?;
    Ok(serde_json::from_value(
        json!({ "cleartext": secret, "key": public(ctx, doc)? }),
    )?)
}

#[operation(auth_keys::UpdateAccessKey)]
async fn update_access_key(
    ctx: &mut Ctx,
    input: UpdateAccessKeyInput,
) -> Result<UpdateAccessKeyOutput, ApiError> {
    let args = to_values(&input)?;
    let mut doc = load_key(ctx, &input.id)?;
    if doc.get("editable") == Some(&json!(false)) {
        return Err(ApiError::invalid(format!(
            "access key `{}` is not editable through the management API",
            input.id
        )));
    }
    // Check the roles the key will end up with: given ones, or the current ones if not given.
    let role_names: Vec<String> = match &input.role_names {
        Some(r) => r.clone(),
        None => docs::extract(&doc, "roleNames")
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
    };
    let key_tenants: Vec<Value> = args
        .get("keyTenants")
        .or(doc.get("keyTenants"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    check_roles(ctx, &role_names, &key_tenants)?;
    if let Some(ips) = &input.permitted_ips {
        check_ips(ips)?;
    }
    let obj = doc
        .as_object_mut()
        .ok_or_else(|| ApiError::internal("stored access key is not an object"))?;
    for field in [
        "name",
        "description",
        "roleNames",
        "customClaims",
        "permittedIps",
        "customAttributes",
    ] {
        if let Some(v) = args.get(field) {
            obj.insert(field.into(), v.clone());
        }
    }
    if args.get("keyTenants").is_some() {
        let tenants: Vec<Value> = key_tenants
            .iter()
            .map(|t| json!({"tenantId": t["tenantId"], "roleNames": t.get("roleNames").cloned().unwrap_or_else(|| json!([]))}))
            .collect();
        obj.insert("keyTenants".into(), Value::Array(tenants));
    }
    ctx.put(KEYS_COLL, &input.id, &doc)?;
    Ok(serde_json::from_value(json!({ "key": public(ctx, doc)? }))?)
}

/// Sets the status of every key in `ids`, after checking all of them exist.
fn set_status(ctx: &Ctx, ids: &[String], status: &str) -> Result<(), ApiError> {
    let pid = ctx.project_id()?.to_owned();
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for id in ids {
        match ctx.db().docs().get(&pid, KEYS_COLL, id)? {
            Some(d) => found.push((id, d)),
            None => unknown.push(id.as_str()),
        }
    }
    if !unknown.is_empty() {
        return Err(ApiError::not_found(
            "E011004",
            format!(
                "access key(s) not found: {}; nothing was changed. Find key IDs with SearchAccessKeys",
                unknown.join(", ")
            ),
        ));
    }
    for (id, mut d) in found {
        d["status"] = json!(status);
        ctx.put(KEYS_COLL, id, &d)?;
    }
    Ok(())
}

#[operation(auth_keys::ActivateAccessKey)]
async fn activate_access_key(
    ctx: &mut Ctx,
    input: ActivateAccessKeyInput,
) -> Result<ActivateAccessKeyOutput, ApiError> {
    set_status(ctx, &[input.id], "active")?;
    Ok(ActivateAccessKeyOutput {})
}

#[operation(auth_keys::DeactivateAccessKey)]
async fn deactivate_access_key(
    ctx: &mut Ctx,
    input: DeactivateAccessKeyInput,
) -> Result<DeactivateAccessKeyOutput, ApiError> {
    set_status(ctx, &[input.id], "inactive")?;
    Ok(DeactivateAccessKeyOutput {})
}

#[operation(auth_keys::ActivateAccessKeys)]
async fn activate_access_keys(
    ctx: &mut Ctx,
    input: ActivateAccessKeysInput,
) -> Result<ActivateAccessKeysOutput, ApiError> {
    set_status(ctx, &input.ids, "active")?;
    Ok(ActivateAccessKeysOutput {})
}

#[operation(auth_keys::DeactivateAccessKeys)]
async fn deactivate_access_keys(
    ctx: &mut Ctx,
    input: DeactivateAccessKeysInput,
) -> Result<DeactivateAccessKeysOutput, ApiError> {
    set_status(ctx, &input.ids, "inactive")?;
    Ok(DeactivateAccessKeysOutput {})
}

#[operation(auth_keys::DeleteAccessKeys)]
async fn delete_access_keys(
    ctx: &mut Ctx,
    input: DeleteAccessKeysInput,
) -> Result<DeleteAccessKeysOutput, ApiError> {
    let pid = ctx.project_id()?.to_owned();
    let unknown: Vec<&str> = input
        .ids
        .iter()
        .filter(|id| {
            ctx.db()
                .docs()
                .get(&pid, KEYS_COLL, id)
                .ok()
                .flatten()
                .is_none()
        })
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::not_found(
            "E011004",
            format!(
                "access key(s) not found: {}; nothing was deleted",
                unknown.join(", ")
            ),
        ));
    }
    for id in &input.ids {
        ctx.db().docs().delete(&pid, KEYS_COLL, id)?;
    }
    Ok(DeleteAccessKeysOutput {})
}

#[operation(auth_keys::RotateAccessKey)]
async fn rotate_access_key(
    ctx: &mut Ctx,
    input: RotateAccessKeyInput,
) -> Result<RotateAccessKeyOutput, ApiError> {
    let mut doc = load_key(ctx, &input.id)?;
    if doc.get("status").and_then(Value::as_str) != Some("active") {
        return Err(ApiError::invalid(format!(
            "access key `{}` is inactive; activate it first (ActivateAccessKey) or create a new key",
            input.id
        )));
    }
    // Replacing the hash is what makes the old secret stop working: exchange compares hashes.
    let secret = new_secret();
    doc["secretHash"] = json!(sha256_hex(&secret));
    ctx.put(KEYS_COLL, &input.id, &doc)?;
    Ok(serde_json::from_value(
        json!({ "cleartext": secret, "key": public(ctx, doc)? }),
    )?)
}

/// The policy a project has before anyone configures one.
pub fn default_password_settings() -> Value {
    json!({
        "enabled": true, "minLength": 8, "lowercase": true, "uppercase": true, "number": true,
        "nonAlphanumeric": false, "anyLetter": false, "disallowedCharacters": "", "disallowEmailMatch": false,
        "expiration": false, "expirationWeeks": 0, "reuse": false, "reuseAmount": 0,
        "lock": false, "lockAttempts": 0, "tempLock": false, "tempLockAttempts": 0, "tempLockDuration": 0,
        "enablePasswordStrength": false, "passwordStrengthScore": 0
    })
}

/// The project-level policy (stored inside the project settings document).
pub fn project_password_settings(ctx: &Ctx) -> Result<Value, ApiError> {
    let (coll, id) = PROJECT_SETTINGS;
    let stored = ctx
        .db()
        .docs()
        .get(ctx.project_id()?, coll, id)?
        .and_then(|d| d.get("passwordSettings").cloned());
    let mut p = default_password_settings();
    merge(&mut p, stored.as_ref());
    p["tenantId"] = json!("");
    Ok(p)
}

fn merge(into: &mut Value, from: Option<&Value>) {
    if let (Some(dst), Some(Value::Object(src))) = (into.as_object_mut(), from) {
        for (k, v) in src {
            dst.insert(k.clone(), v.clone());
        }
    }
}

/// The policy in force for `tenant_id`: its own, or the project's.
fn effective_settings(ctx: &Ctx, tenant_id: &str) -> Result<Value, ApiError> {
    if tenant_id.is_empty() {
        return project_password_settings(ctx);
    }
    if find_tenant(ctx, tenant_id)?.is_none() {
        return Err(ApiError::not_found(
            "E011004",
            format!(
                "tenant not found: no tenant with id `{tenant_id}`; find tenant IDs with tenants_read.SearchTenants"
            ),
        ));
    }
    let mut p = project_password_settings(ctx)?;
    merge(
        &mut p,
        ctx.db()
            .docs()
            .get(ctx.project_id()?, PASSWORD_COLL, tenant_id)?
            .as_ref(),
    );
    p["tenantId"] = json!(tenant_id);
    Ok(p)
}

#[operation(auth_keys::GetPasswordSettings)]
async fn get_password_settings(
    ctx: &mut Ctx,
    input: GetPasswordSettingsInput,
) -> Result<GetPasswordSettingsOutput, ApiError> {
    let p = effective_settings(ctx, input.tenant_id.as_deref().unwrap_or_default())?;
    Ok(serde_json::from_value(p)?)
}

/// Rejects a policy whose switches and numbers contradict each other.
fn check_policy(p: &Value) -> Result<(), ApiError> {
    let on = |f: &str| p.get(f).and_then(Value::as_bool).unwrap_or(false);
    let n = |f: &str| p.get(f).and_then(Value::as_i64).unwrap_or(0);
    let mut problems = Vec::new();
    if on("lock") && n("lockAttempts") < 1 {
        problems.push("`lock` is on but `lockAttempts` is not ≥ 1");
    }
    if on("tempLock") && (n("tempLockAttempts") < 1 || n("tempLockDuration") < 1) {
        problems.push(
            "`tempLock` is on but `tempLockAttempts` and `tempLockDuration` are not both ≥ 1",
        );
    }
    if on("expiration") && n("expirationWeeks") < 1 {
        problems.push("`expiration` is on but `expirationWeeks` is not ≥ 1");
    }
    if on("reuse") && n("reuseAmount") < 1 {
        problems.push("`reuse` is on but `reuseAmount` is not ≥ 1");
    }
    if on("lock") && on("tempLock") && n("tempLockAttempts") >= n("lockAttempts") {
        problems.push("`tempLockAttempts` must be lower than `lockAttempts`, or the permanent lock always comes first");
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "inconsistent password policy: {}",
            problems.join("; ")
        )))
    }
}

#[operation(auth_keys::ConfigurePasswordSettings)]
async fn configure_password_settings(
    ctx: &mut Ctx,
    input: ConfigurePasswordSettingsInput,
) -> Result<ConfigurePasswordSettingsOutput, ApiError> {
    let given = to_values(&input)?;
    let tenant_id = input.tenant_id.clone().unwrap_or_default();
    let mut policy = effective_settings(ctx, &tenant_id)?;
    merge(&mut policy, Some(&given));
    check_policy(&policy)?;
    let pid = ctx.project_id()?.to_owned();
    if tenant_id.is_empty() {
        let (coll, id) = PROJECT_SETTINGS;
        let mut settings = ctx
            .db()
            .docs()
            .get(&pid, coll, id)?
            .unwrap_or_else(|| json!({}));
        if let Some(m) = policy.as_object_mut() {
            m.remove("tenantId");
        }
        settings["passwordSettings"] = policy;
        settings["modifiedTime"] = json!(ctx.now_secs());
        settings["modifiedBy"] = json!(ctx.principal.email);
        ctx.put(coll, id, &settings)?;
    } else {
        // The tenant's own policy is stored whole, so later project changes no longer leak in.
        let mut own: Map<String, Value> = policy.as_object().cloned().unwrap_or_default();
        own.insert("tenantId".into(), json!(tenant_id));
        ctx.put(PASSWORD_COLL, &tenant_id, &Value::Object(own))?;
    }
    Ok(ConfigurePasswordSettingsOutput {})
}
