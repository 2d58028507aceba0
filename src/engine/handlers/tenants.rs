//! Handlers of the `tenants` operations that need real logic: tenant create/update/patch/delete
//! with their uniqueness and custom-attribute checks, tenant session settings, default roles,
//! SSO admin links (generate/send/revoke) and the tenant custom-attribute definitions (G12).
//!
//! Collections: `tenants` (the Tenant shape, keyed by tenant ID), `tenant_settings` (the
//! TenantSettings shape, keyed by tenant ID; absent = defaults), `tenant_admin_links` (one
//! document per generated link, holding only the token's hash) and `tenant_custom_attributes`
//! (keyed by attribute name). Tenant membership lives on users (`userTenants[]`), so renames
//! and deletes reach into the `users` collection.

use idmcp_macros::operation;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::catalog::generated::types::tenants::*;
use crate::engine::Ctx;
use crate::error::ApiError;
use crate::store::events;
use crate::store::principals::new_id;

const TENANTS: &str = "tenants";
const SETTINGS: &str = "tenant_settings";
const LINKS: &str = "tenant_admin_links";
const ATTRS: &str = "tenant_custom_attributes";

/// Longest admin-link validity idmcp accepts (30 days), and the default (one day).
const LINK_MAX_SECS: i64 = 30 * 86_400;
const LINK_DEFAULT_SECS: i64 = 86_400;

fn args<T: serde::Serialize>(input: &T) -> Result<Value, ApiError> {
    serde_json::to_value(input)
        .map_err(|e| ApiError::internal(format!("cannot read the arguments: {e}")))
}

fn out<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, ApiError> {
    serde_json::from_value(v)
        .map_err(|e| ApiError::internal(format!("cannot encode the result: {e}")))
}

/// The tenants collection's declared not-found error (one code and text for every lookup).
pub(crate) fn tenant_not_found(id: &str) -> ApiError {
    use crate::engine::repo::Collection;
    crate::engine::repo::not_found(crate::catalog::generated::defs::Tenant::DEF, id)
}

/// The tenant document with ID `id`, or a not-found error naming it.
pub(crate) fn load_tenant(ctx: &Ctx, id: &str) -> Result<Value, ApiError> {
    let pid = ctx.project_id()?;
    ctx.db()
        .docs()
        .get(pid, TENANTS, id)?
        .ok_or_else(|| tenant_not_found(id))
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

/// The session settings a tenant has until someone configures it: not in force (`enabled`
/// false, so the project's lifetimes apply), with Descope's usual lifetimes pre-filled.
pub fn default_settings() -> Value {
    json!({
        "enabled": false,
        "refreshTokenExpiration": 4, "refreshTokenExpirationUnit": "weeks",
        "sessionTokenExpiration": 10, "sessionTokenExpirationUnit": "minutes",
        "stepupTokenExpiration": 10, "stepupTokenExpirationUnit": "minutes",
        "enableInactivity": false, "inactivityTime": 0, "inactivityTimeUnit": "minutes",
        "JITDisabled": false,
        "ssoSetupSuiteSettings": {"enabled": false, "styleId": "", "disabledFeatures": {"saml": false, "oidc": false, "scim": false, "ssoDomains": false, "groupMapping": false}},
    })
}

// ---------------------------------------------------------------------------------------
// Validation shared by create, update and patch
// ---------------------------------------------------------------------------------------

fn check_name(ctx: &Ctx, name: &str, except: Option<&str>) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ApiError::missing(
            "`name` must not be empty: give the tenant a name",
        ));
    }
    let pid = ctx.project_id()?;
    for other in ctx
        .db()
        .docs()
        .ids_by_key(pid, TENANTS, "name", &json!(name))?
    {
        if Some(other.as_str()) != except {
            return Err(ApiError::conflict(
                "E011004",
                format!(
                    "a tenant named `{name}` already exists (ID `{other}`); tenant names are unique in the project, ignoring case: choose another name or update that tenant"
                ),
            ));
        }
    }
    Ok(name.to_owned())
}

/// Normalises a domain list (trimmed, lower-case, no duplicates) and checks that each one is a
/// bare domain not used by another tenant in the same field.
fn check_domains(
    ctx: &Ctx,
    list: Option<&Value>,
    field: &str,
    except: Option<&str>,
) -> Result<Vec<String>, ApiError> {
    let pid = ctx.project_id()?;
    let mut outv: Vec<String> = Vec::new();
    for raw in str_list(list) {
        let d = raw.trim().trim_start_matches('@').to_lowercase();
        let valid = d.contains('.')
            && !d.starts_with('.')
            && !d.ends_with('.')
            && d.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !valid {
            return Err(ApiError::invalid(format!(
                "`{field}` entry `{raw}` is not a domain; give bare domains such as `globex.com` (no `@`, scheme or path)"
            )));
        }
        for other in ctx.db().docs().ids_by_key(pid, TENANTS, field, &json!(d))? {
            if Some(other.as_str()) != except {
                return Err(ApiError::conflict(
                    "E011004",
                    format!(
                        "domain `{d}` is already in `{field}` of tenant `{other}`; a domain can belong to one tenant only: remove it there first"
                    ),
                ));
            }
        }
        if !outv.contains(&d) {
            outv.push(d);
        }
    }
    Ok(outv)
}

fn attr_defs(ctx: &Ctx) -> Result<Vec<Value>, ApiError> {
    let pid = ctx.project_id()?;
    Ok(ctx
        .db()
        .docs()
        .scan(pid, ATTRS)?
        .into_iter()
        .map(|(_, d)| d)
        .collect())
}

fn type_name(t: i64) -> &'static str {
    match t {
        1 => "text",
        2 => "number",
        3 => "boolean",
        4 => "single select",
        5 => "multi select",
        6 => "date",
        7 => "month-day",
        _ => "unknown",
    }
}

/// Whether `v` is a valid value for the definition `def` (type and select options).
fn check_value(def: &Value, key: &str, v: &Value) -> Result<(), ApiError> {
    let t = def.get("type").and_then(Value::as_i64).unwrap_or(1);
    let options: Vec<&str> = def
        .get("options")
        .and_then(Value::as_array)
        .map(|o| {
            o.iter()
                .filter_map(|x| x.get("value").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let bad = |why: String| {
        ApiError::invalid(format!(
            "custom attribute `{key}` ({}): {why}",
            type_name(t)
        ))
    };
    match t {
        2 if !v.is_number() => Err(bad(format!("expects a number, got {v}"))),
        3 if !v.is_boolean() => Err(bad(format!("expects true or false, got {v}"))),
        4 => match v.as_str() {
            Some(s) if options.contains(&s) => Ok(()),
            _ => Err(bad(format!(
                "{v} is not one of its options: {}",
                options.join(", ")
            ))),
        },
        5 => match v.as_array() {
            Some(items)
                if items
                    .iter()
                    .all(|i| i.as_str().is_some_and(|s| options.contains(&s))) =>
            {
                Ok(())
            }
            _ => Err(bad(format!(
                "expects a list of its options ({}), got {v}",
                options.join(", ")
            ))),
        },
        6 if !(v.is_number() || v.is_string()) => Err(bad(format!(
            "expects a date (epoch seconds or YYYY-MM-DD), got {v}"
        ))),
        1 | 7 if !v.is_string() => Err(bad(format!("expects text, got {v}"))),
        _ => Ok(()),
    }
}

/// Checks custom-attribute values against the definitions; `null` values are allowed only
/// when `allow_null` (a patch removing a key).
fn check_attributes(
    ctx: &Ctx,
    attrs: &Map<String, Value>,
    allow_null: bool,
) -> Result<(), ApiError> {
    if attrs.is_empty() {
        return Ok(());
    }
    let defs = attr_defs(ctx)?;
    let names: Vec<String> = defs
        .iter()
        .filter_map(|d| d.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect();
    let undefined: Vec<&str> = attrs
        .keys()
        .filter(|k| !names.contains(k))
        .map(String::as_str)
        .collect();
    if !undefined.is_empty() {
        return Err(ApiError::invalid(format!(
            "undefined tenant custom attribute(s): {}. Defined ones: {}. Define new ones first with tenants_write CreateTenantCustomAttribute (names match exactly).",
            undefined.join(", "),
            if names.is_empty() {
                "none".to_owned()
            } else {
                names.join(", ")
            }
        )));
    }
    for (k, v) in attrs {
        if v.is_null() {
            if allow_null {
                continue;
            }
            return Err(ApiError::invalid(format!(
                "custom attribute `{k}` is null; leave it out instead"
            )));
        }
        let def = defs
            .iter()
            .find(|d| d.get("name").and_then(Value::as_str) == Some(k.as_str()))
            .expect("checked above");
        check_value(def, k, v)?;
    }
    Ok(())
}

/// Carries a tenant rename into every member's `userTenants[].tenantName`.
fn rename_in_users(ctx: &Ctx, tenant_id: &str, name: &str) -> Result<(), ApiError> {
    let pid = ctx.project_id()?.to_owned();
    for uid in
        ctx.db()
            .docs()
            .ids_by_key(&pid, "users", "userTenants[].tenantId", &json!(tenant_id))?
    {
        let Some(mut user) = ctx.db().docs().get(&pid, "users", &uid)? else {
            continue;
        };
        if let Some(list) = user.get_mut("userTenants").and_then(Value::as_array_mut) {
            for ut in list
                .iter_mut()
                .filter(|ut| ut.get("tenantId").and_then(Value::as_str) == Some(tenant_id))
            {
                ut["tenantName"] = json!(name);
            }
        }
        ctx.put("users", &uid, &user)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// tenants_read
// ---------------------------------------------------------------------------------------

#[operation(tenants::SearchTenants)]
async fn search_tenants(
    ctx: &mut Ctx,
    input: SearchTenantsInput,
) -> Result<SearchTenantsOutput, ApiError> {
    let a = args(&input)?;
    let pid = ctx.project_id()?.to_owned();
    let lower = |k: &str| -> Vec<String> {
        str_list(a.get(k))
            .into_iter()
            .map(|s| s.trim().to_lowercase())
            .collect()
    };
    let (ids, names, sp, sso) = (
        lower("tenantIds"),
        lower("tenantNames"),
        lower("tenantSelfProvisioningDomains"),
        lower("tenantSSODomains"),
    );
    let attrs = a
        .get("customAttributes")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let auth = a.get("authType").and_then(Value::as_str);
    let parent = a
        .get("parentTenantId")
        .and_then(Value::as_str)
        .map(str::to_lowercase);
    let top_only = a
        .get("topLevelOnly")
        .and_then(Value::as_bool)
        .unwrap_or(false);

    let field_lower = |t: &Value, k: &str| {
        t.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_lowercase()
    };
    let any_in = |t: &Value, k: &str, wanted: &[String]| {
        str_list(t.get(k))
            .iter()
            .any(|d| wanted.contains(&d.to_lowercase()))
    };
    let tenants: Vec<Value> = ctx
        .db()
        .docs()
        .scan(&pid, TENANTS)?
        .into_iter()
        .map(|(_, t)| t)
        .filter(|t| ids.is_empty() || ids.contains(&field_lower(t, "id")))
        .filter(|t| names.is_empty() || names.contains(&field_lower(t, "name")))
        .filter(|t| sp.is_empty() || any_in(t, "selfProvisioningDomains", &sp))
        .filter(|t| sso.is_empty() || any_in(t, "domains", &sso))
        .filter(|t| {
            auth.is_none_or(|w| t.get("authType").and_then(Value::as_str).unwrap_or("none") == w)
        })
        .filter(|t| {
            parent
                .as_ref()
                .is_none_or(|p| &field_lower(t, "parent") == p)
        })
        .filter(|t| !top_only || field_lower(t, "parent").is_empty())
        .filter(|t| {
            attrs.iter().all(|(k, want)| {
                let have = t.get("customAttributes").and_then(|c| c.get(k));
                match (have, want) {
                    (Some(h), Value::Array(opts)) => opts.iter().any(|o| o == h),
                    (Some(h), w) => h == w,
                    (None, _) => false,
                }
            })
        })
        .collect();
    out(json!({ "tenants": tenants }))
}

#[operation(tenants::GetTenantSettings)]
async fn get_tenant_settings(
    ctx: &mut Ctx,
    input: GetTenantSettingsInput,
) -> Result<GetTenantSettingsOutput, ApiError> {
    let tenant = load_tenant(ctx, &input.id)?;
    let pid = ctx.project_id()?;
    let mut s = ctx
        .db()
        .docs()
        .get(pid, SETTINGS, &input.id)?
        .unwrap_or_else(default_settings);
    s["domains"] = json!(str_list(tenant.get("domains")));
    s["selfProvisioningDomains"] = json!(str_list(tenant.get("selfProvisioningDomains")));
    s["authType"] = json!(
        tenant
            .get("authType")
            .and_then(Value::as_str)
            .unwrap_or("none")
    );
    out(s)
}

#[operation(tenants::TenantCustomAttributes)]
async fn tenant_custom_attributes(
    ctx: &mut Ctx,
    input: TenantCustomAttributesInput,
) -> Result<TenantCustomAttributesOutput, ApiError> {
    let want = input.name.as_deref().map(str::to_lowercase);
    let data: Vec<Value> = attr_defs(ctx)?
        .into_iter()
        .filter(|d| {
            want.as_ref().is_none_or(|w| {
                d.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.to_lowercase() == *w)
            })
        })
        .collect();
    out(json!({ "total": data.len(), "data": data }))
}

// ---------------------------------------------------------------------------------------
// tenants_write: the tenant itself
// ---------------------------------------------------------------------------------------

#[operation(tenants::CreateTenant)]
async fn create_tenant(
    ctx: &mut Ctx,
    input: CreateTenantInput,
) -> Result<CreateTenantOutput, ApiError> {
    let a = args(&input)?;
    let pid = ctx.project_id()?.to_owned();
    let id = match a
        .get("id")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(id) => {
            if ctx.db().docs().get(&pid, TENANTS, id)?.is_some() {
                return Err(ApiError::conflict(
                    "E011004",
                    format!(
                        "a tenant with ID `{id}` already exists; choose another `id` or leave it out to get a generated one"
                    ),
                ));
            }
            id.to_owned()
        }
        None => new_id("T"),
    };
    let name = check_name(ctx, a["name"].as_str().unwrap_or_default(), None)?;
    let domains = check_domains(
        ctx,
        a.get("selfProvisioningDomains"),
        "selfProvisioningDomains",
        None,
    )?;
    let attrs = a
        .get("customAttributes")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    check_attributes(ctx, &attrs, false)?;
    let parent = a
        .get("parent")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim()
        .to_owned();
    if !parent.is_empty() {
        let mut p = load_tenant(ctx, &parent).map_err(|_| {
            ApiError::not_found("E011004", format!("parent tenant `{parent}` not found; give the ID of an existing tenant, or leave `parent` out for a top-level tenant"))
        })?;
        let mut succ = str_list(p.get("successors"));
        succ.push(id.clone());
        p["successors"] = json!(succ);
        ctx.put(TENANTS, &parent, &p)?;
    }
    let doc = json!({
        "id": id,
        "name": name,
        "selfProvisioningDomains": domains,
        "domains": [],
        "customAttributes": attrs,
        "authType": a.get("authType").and_then(Value::as_str).unwrap_or("none"),
        "disabled": a.get("disabled").and_then(Value::as_bool).unwrap_or(false),
        "enforceSSO": a.get("enforceSSO").and_then(Value::as_bool).unwrap_or(false),
        "enforceSSOExclusions": str_list(a.get("enforceSSOExclusions")),
        "federatedAppIds": str_list(a.get("federatedAppIds")),
        "parent": parent,
        "successors": [],
        "defaultRoles": [],
        "roleInheritance": a.get("roleInheritance").and_then(Value::as_str).unwrap_or_default(),
        "createdTime": ctx.now_secs(),
        "ssoIds": [],
    });
    ctx.put(TENANTS, &id, &doc)?;
    out(json!({ "id": id }))
}

/// The fields UpdateTenant replaces and PatchTenant changes, with their empty defaults.
/// A field and the value it takes when an update leaves it out.
type FieldDefault = (&'static str, fn() -> Value);

const UPDATABLE: &[FieldDefault] = &[
    ("selfProvisioningDomains", || json!([])),
    ("customAttributes", || json!({})),
    ("authType", || json!("none")),
    ("disabled", || json!(false)),
    ("enforceSSO", || json!(false)),
    ("enforceSSOExclusions", || json!([])),
    ("federatedAppIds", || json!([])),
    ("roleInheritance", || json!("")),
];

/// UpdateTenant (`full`: absent fields reset) and PatchTenant (only given fields change).
fn change_tenant(ctx: &Ctx, a: &Value, full: bool) -> Result<(), ApiError> {
    let id = a["id"].as_str().unwrap_or_default().to_owned();
    let mut doc = load_tenant(ctx, &id)?;
    let old_name = doc
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if let Some(n) = a.get("name").and_then(Value::as_str) {
        doc["name"] = json!(check_name(ctx, n, Some(&id))?);
    }
    for (field, empty) in UPDATABLE {
        let given = a.get(*field).filter(|v| !v.is_null());
        let value = match (*field, given) {
            (_, None) if !full => continue,
            (_, None) => empty(),
            ("selfProvisioningDomains", Some(v)) => {
                json!(check_domains(ctx, Some(v), field, Some(&id))?)
            }
            ("customAttributes", Some(v)) => {
                let given = v.as_object().cloned().unwrap_or_default();
                check_attributes(ctx, &given, !full)?;
                let mut merged = if full {
                    Map::new()
                } else {
                    doc.get("customAttributes")
                        .and_then(Value::as_object)
                        .cloned()
                        .unwrap_or_default()
                };
                for (k, val) in given {
                    if val.is_null() {
                        merged.remove(&k);
                    } else {
                        merged.insert(k, val);
                    }
                }
                Value::Object(merged)
            }
            (_, Some(v)) => v.clone(),
        };
        doc[*field] = value;
    }
    ctx.put(TENANTS, &id, &doc)?;
    let new_name = doc["name"].as_str().unwrap_or_default();
    if new_name != old_name {
        rename_in_users(ctx, &id, new_name)?;
    }
    Ok(())
}

#[operation(tenants::UpdateTenant)]
async fn update_tenant(
    ctx: &mut Ctx,
    input: UpdateTenantInput,
) -> Result<UpdateTenantOutput, ApiError> {
    change_tenant(ctx, &args(&input)?, true)?;
    Ok(UpdateTenantOutput::default())
}

#[operation(tenants::PatchTenant)]
async fn patch_tenant(
    ctx: &mut Ctx,
    input: PatchTenantInput,
) -> Result<PatchTenantOutput, ApiError> {
    change_tenant(ctx, &args(&input)?, false)?;
    Ok(PatchTenantOutput::default())
}

#[operation(tenants::DeleteTenant)]
async fn delete_tenant(
    ctx: &mut Ctx,
    input: DeleteTenantInput,
) -> Result<DeleteTenantOutput, ApiError> {
    let id = input.id.clone();
    let cascade = input.cascade.unwrap_or(false);
    let tenant = load_tenant(ctx, &id)?;
    let subs = str_list(tenant.get("successors"));
    if !subs.is_empty() {
        return Err(ApiError::invalid(format!(
            "tenant `{id}` has sub-tenants ({}); delete those first",
            subs.join(", ")
        )));
    }
    let pid = ctx.project_id()?.to_owned();
    let db = ctx.db();
    // Members: drop the membership; with cascade, users left without any tenant are deleted.
    for uid in db
        .docs()
        .ids_by_key(&pid, "users", "userTenants[].tenantId", &json!(id))?
    {
        let Some(mut user) = db.docs().get(&pid, "users", &uid)? else {
            continue;
        };
        let remaining: Vec<Value> = user
            .get("userTenants")
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter(|ut| ut.get("tenantId").and_then(Value::as_str) != Some(id.as_str()))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        if cascade && remaining.is_empty() {
            db.docs().delete(&pid, "users", &uid)?;
        } else {
            user["userTenants"] = Value::Array(remaining);
            ctx.put("users", &uid, &user)?;
        }
    }
    // Access keys keep working in their other tenants; only this tenant's entry goes.
    for kid in db
        .docs()
        .ids_by_key(&pid, "access_keys", "keyTenants[].tenantId", &json!(id))?
    {
        let Some(mut key) = db.docs().get(&pid, "access_keys", &kid)? else {
            continue;
        };
        if let Some(list) = key.get_mut("keyTenants").and_then(Value::as_array_mut) {
            list.retain(|kt| kt.get("tenantId").and_then(Value::as_str) != Some(id.as_str()));
        }
        ctx.put("access_keys", &kid, &key)?;
    }
    for rid in db
        .docs()
        .ids_by_key(&pid, "roles", "tenantId", &json!(id))?
    {
        db.docs().delete(&pid, "roles", &rid)?;
    }
    for lid in db.docs().ids_by_key(&pid, LINKS, "tenantId", &json!(id))? {
        db.docs().delete(&pid, LINKS, &lid)?;
    }
    db.docs().delete(&pid, SETTINGS, &id)?;
    let parent = tenant
        .get("parent")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !parent.is_empty()
        && let Some(mut p) = db.docs().get(&pid, TENANTS, parent)?
    {
        let succ: Vec<String> = str_list(p.get("successors"))
            .into_iter()
            .filter(|s| *s != id)
            .collect();
        p["successors"] = json!(succ);
        ctx.put(TENANTS, parent, &p)?;
    }
    db.docs().delete(&pid, TENANTS, &id)?;
    Ok(DeleteTenantOutput::default())
}

// ---------------------------------------------------------------------------------------
// tenants_write: settings and default roles
// ---------------------------------------------------------------------------------------

fn lifetime_secs(s: &Value, field: &str) -> i64 {
    let n = s.get(field).and_then(Value::as_i64).unwrap_or(0);
    let unit = s
        .get(format!("{field}Unit"))
        .and_then(Value::as_str)
        .unwrap_or("minutes");
    n * match unit {
        "hours" => 3_600,
        "days" => 86_400,
        "weeks" => 604_800,
        _ => 60,
    }
}

#[operation(tenants::ConfigureTenantSettings)]
async fn configure_tenant_settings(
    ctx: &mut Ctx,
    input: ConfigureTenantSettingsInput,
) -> Result<ConfigureTenantSettingsOutput, ApiError> {
    let a = args(&input)?;
    let id = input.tenant_id.clone();
    let mut tenant = load_tenant(ctx, &id)?;
    let pid = ctx.project_id()?.to_owned();
    let mut s = ctx
        .db()
        .docs()
        .get(&pid, SETTINGS, &id)?
        .unwrap_or_else(default_settings);
    const PLAIN: &[&str] = &[
        "enabled",
        "refreshTokenExpiration",
        "refreshTokenExpirationUnit",
        "sessionTokenExpiration",
        "sessionTokenExpirationUnit",
        "stepupTokenExpiration",
        "stepupTokenExpirationUnit",
        "enableInactivity",
        "inactivityTime",
        "inactivityTimeUnit",
        "JITDisabled",
    ];
    for f in PLAIN {
        if let Some(v) = a.get(*f).filter(|v| !v.is_null()) {
            s[*f] = v.clone();
        }
    }
    // The setup-suite options merge one level deep, so one flag can change alone.
    if let Some(suite) = a.get("ssoSetupSuiteSettings").and_then(Value::as_object) {
        for (k, v) in suite {
            if k == "disabledFeatures" {
                for (fk, fv) in v.as_object().into_iter().flatten() {
                    s["ssoSetupSuiteSettings"]["disabledFeatures"][fk] = fv.clone();
                }
            } else {
                s["ssoSetupSuiteSettings"][k] = v.clone();
            }
        }
    }
    let (session, refresh, stepup) = (
        lifetime_secs(&s, "sessionTokenExpiration"),
        lifetime_secs(&s, "refreshTokenExpiration"),
        lifetime_secs(&s, "stepupTokenExpiration"),
    );
    if session > refresh {
        return Err(ApiError::invalid(format!(
            "the session token ({} {}) would outlive the refresh token ({} {}); shorten the session token or lengthen the refresh token",
            s["sessionTokenExpiration"],
            s["sessionTokenExpirationUnit"].as_str().unwrap_or_default(),
            s["refreshTokenExpiration"],
            s["refreshTokenExpirationUnit"].as_str().unwrap_or_default()
        )));
    }
    if stepup > refresh {
        return Err(ApiError::invalid(
            "the step-up token would outlive the refresh token; shorten `stepupTokenExpiration`",
        ));
    }
    if s.get("enableInactivity").and_then(Value::as_bool) == Some(true)
        && s.get("inactivityTime").and_then(Value::as_i64).unwrap_or(0) <= 0
    {
        return Err(ApiError::invalid(
            "`enableInactivity` needs a positive `inactivityTime` (with `inactivityTimeUnit`)",
        ));
    }
    let mut tenant_changed = false;
    for field in ["domains", "selfProvisioningDomains"] {
        if a.get(field).is_some_and(|v| !v.is_null()) {
            tenant[field] = json!(check_domains(ctx, a.get(field), field, Some(&id))?);
            tenant_changed = true;
        }
    }
    if let Some(t) = a.get("authType").and_then(Value::as_str) {
        tenant["authType"] = json!(t);
        tenant_changed = true;
    }
    if tenant_changed {
        ctx.put(TENANTS, &id, &tenant)?;
    }
    ctx.put(SETTINGS, &id, &s)?;
    Ok(ConfigureTenantSettingsOutput::default())
}

#[operation(tenants::UpdateTenantDefaultRoles)]
async fn update_tenant_default_roles(
    ctx: &mut Ctx,
    input: UpdateTenantDefaultRolesInput,
) -> Result<UpdateTenantDefaultRolesOutput, ApiError> {
    let mut tenant = load_tenant(ctx, &input.id)?;
    let pid = ctx.project_id()?.to_owned();
    let mut roles: Vec<String> = Vec::new();
    let mut missing = Vec::new();
    for r in &input.default_roles {
        let r = r.trim();
        // A default role is a project-level role or one of this tenant's own roles.
        let found = ctx
            .db()
            .docs()
            .ids_by_key(&pid, "roles", "name", &json!(r))?
            .into_iter()
            .find_map(|rid| {
                let doc = ctx.db().docs().get(&pid, "roles", &rid).ok().flatten()?;
                let tid = doc
                    .get("tenantId")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                (tid.is_empty() || tid == input.id)
                    .then(|| doc["name"].as_str().unwrap_or(r).to_owned())
            });
        match found {
            Some(name) if !roles.contains(&name) => roles.push(name),
            Some(_) => {}
            None => missing.push(r.to_owned()),
        }
    }
    if !missing.is_empty() {
        return Err(ApiError::invalid(format!(
            "role(s) not found for tenant `{}`: {}. Default roles must be project-level roles or roles of this tenant; list them with access_control_read LoadAllRoles, or create them with CreateRole",
            input.id,
            missing.join(", ")
        )));
    }
    tenant["defaultRoles"] = json!(roles);
    ctx.put(TENANTS, &input.id, &tenant)?;
    Ok(UpdateTenantDefaultRolesOutput::default())
}

// ---------------------------------------------------------------------------------------
// tenants_write: SSO admin links
// ---------------------------------------------------------------------------------------

fn check_email(email: &str) -> Result<String, ApiError> {
    let e = email.trim();
    let ok = match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !e.contains(char::is_whitespace)
        }
        None => false,
    };
    if !ok {
        return Err(ApiError::invalid(format!(
            "`email` `{email}` is not an e-mail address; give the admin's address, e.g. it@customer.com"
        )));
    }
    Ok(e.to_lowercase())
}

/// Creates a link document and returns (link, link ID, expiry in epoch seconds). Only the
/// token's SHA-256 is stored: the link is a bearer secret, shown once.
fn new_admin_link(
    ctx: &Ctx,
    tenant_id: &str,
    sso_id: &str,
    email: &str,
    valid_secs: i64,
) -> Result<(String, String, i64), ApiError> {
    let token = format!("{}{}", new_id(""), new_id(""));
    let link_id = new_id("AL");
    let expires = ctx.now_secs() + valid_secs;
    let doc = json!({
        "id": link_id, "tenantId": tenant_id, "ssoId": sso_id, "email": email,
        "tokenHash": hex::encode(Sha256::digest(token.as_bytes())),
        "createdTime": ctx.now_secs(), "expireTime": expires, "revoked": false, "revokedTime": 0,
    });
    ctx.put(LINKS, &link_id, &doc)?;
    let link = format!("https://app.descope.com/sso-setup?t={token}");
    Ok((link, link_id, expires))
}

#[operation(tenants::GenerateTenantAdminLinkSSO)]
async fn generate_admin_link(
    ctx: &mut Ctx,
    input: GenerateTenantAdminLinkSSOInput,
) -> Result<GenerateTenantAdminLinkSSOOutput, ApiError> {
    load_tenant(ctx, &input.tenant_id)?;
    let email = match input.email.as_deref().filter(|e| !e.trim().is_empty()) {
        Some(e) => check_email(e)?,
        None => String::new(),
    };
    let secs = match input.expire_time.unwrap_or(0) {
        0 => LINK_DEFAULT_SECS,
        s if s > LINK_MAX_SECS => {
            return Err(ApiError::invalid(format!(
                "`expireTime` {s} s is longer than 30 days ({LINK_MAX_SECS} s); give a shorter validity in seconds"
            )));
        }
        s => s,
    };
    let (link, _, _) = new_admin_link(
        ctx,
        &input.tenant_id,
        input.sso_id.as_deref().unwrap_or_default(),
        &email,
        secs,
    )?;
    out(json!({ "adminSSOConfigurationLink": link }))
}

#[operation(tenants::SendTenantAdminLinkSSO)]
async fn send_admin_link(
    ctx: &mut Ctx,
    input: SendTenantAdminLinkSSOInput,
) -> Result<SendTenantAdminLinkSSOOutput, ApiError> {
    let tenant = load_tenant(ctx, &input.tenant_id)?;
    let email = check_email(&input.email)?;
    let sso_id = input.sso_id.clone().unwrap_or_default();
    let (_link, link_id, expires) =
        new_admin_link(ctx, &input.tenant_id, &sso_id, &email, LINK_DEFAULT_SECS)?;
    // No mail leaves the embedded engine: the send is recorded where SearchAudit finds it.
    let event = events::Event {
        project_id: ctx.project_id()?.to_owned(),
        occurred: ctx.now_ms,
        action: "TenantAdminLinkSSOSent".into(),
        kind: "info".into(),
        actor_id: ctx.principal.email.clone(),
        login_id: email.clone(),
        method: "management".into(),
        tenants: vec![input.tenant_id.clone()],
        data: json!({
            "tenantId": input.tenant_id, "tenantName": tenant.get("name"), "email": email,
            "ssoId": sso_id, "linkId": link_id, "expireTime": expires,
        }),
        ..Default::default()
    };
    ctx.db().events().insert(&event)?;
    Ok(SendTenantAdminLinkSSOOutput::default())
}

#[operation(tenants::RevokeTenantAdminLinkSSO)]
async fn revoke_admin_link(
    ctx: &mut Ctx,
    input: RevokeTenantAdminLinkSSOInput,
) -> Result<RevokeTenantAdminLinkSSOOutput, ApiError> {
    load_tenant(ctx, &input.tenant_id)?;
    let pid = ctx.project_id()?.to_owned();
    let sso = input.sso_id.as_deref().filter(|s| !s.is_empty());
    for lid in ctx
        .db()
        .docs()
        .ids_by_key(&pid, LINKS, "tenantId", &json!(input.tenant_id))?
    {
        let Some(mut link) = ctx.db().docs().get(&pid, LINKS, &lid)? else {
            continue;
        };
        let active = link.get("revoked").and_then(Value::as_bool) != Some(true)
            && link.get("expireTime").and_then(Value::as_i64).unwrap_or(0) > ctx.now_secs();
        let matches = sso.is_none_or(|s| link.get("ssoId").and_then(Value::as_str) == Some(s));
        if active && matches {
            link["revoked"] = json!(true);
            link["revokedTime"] = json!(ctx.now_secs());
            ctx.put(LINKS, &lid, &link)?;
        }
    }
    Ok(RevokeTenantAdminLinkSSOOutput::default())
}

// ---------------------------------------------------------------------------------------
// tenants_write: custom-attribute definitions (G12)
// ---------------------------------------------------------------------------------------

#[operation(tenants::CreateTenantCustomAttribute)]
async fn create_tenant_custom_attribute(
    ctx: &mut Ctx,
    input: CreateTenantCustomAttributeInput,
) -> Result<CreateTenantCustomAttributeOutput, ApiError> {
    let a = args(&input)?;
    let pid = ctx.project_id()?.to_owned();
    for attr in a["attributes"].as_array().into_iter().flatten() {
        let name = attr["name"].as_str().unwrap_or_default().trim().to_owned();
        if !name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(ApiError::invalid(format!(
                "attribute name `{name}` is invalid: start with a letter and use only letters, digits and `_`"
            )));
        }
        if let Some(existing) = ctx
            .db()
            .docs()
            .ids_by_key(&pid, ATTRS, "name", &json!(name))?
            .first()
        {
            return Err(ApiError::conflict(
                "E011004",
                format!(
                    "tenant custom attribute `{existing}` already exists (names ignore case); delete it first or choose another name"
                ),
            ));
        }
        let ty = attr["type"].as_i64().unwrap_or(1);
        let options = attr.get("options").cloned().unwrap_or_else(|| json!([]));
        let has_options = options.as_array().is_some_and(|o| !o.is_empty());
        match (ty, has_options) {
            (4 | 5, false) => {
                return Err(ApiError::invalid(format!(
                    "attribute `{name}` is a select ({}); give its `options` as [{{value, label}}]",
                    type_name(ty)
                )));
            }
            (4 | 5, true) | (_, false) => {}
            (_, true) => {
                return Err(ApiError::invalid(format!(
                    "attribute `{name}` is {}; `options` apply only to select types (4, 5)",
                    type_name(ty)
                )));
            }
        }
        let options: Vec<Value> = options
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| json!({"value": o["value"], "label": o.get("label").and_then(Value::as_str).unwrap_or_else(|| o["value"].as_str().unwrap_or_default())}))
            .collect();
        let doc = json!({
            "name": name,
            "displayName": attr.get("displayName").and_then(Value::as_str).unwrap_or(&name),
            "type": ty,
            "options": options,
            "defaultValue": attr.get("defaultValue").cloned().unwrap_or(json!("")),
            "viewPermissions": str_list(attr.get("viewPermissions")),
            "editPermissions": str_list(attr.get("editPermissions")),
            "editable": true,
        });
        if let Some(dv) = attr
            .get("defaultValue")
            .filter(|v| !v.is_null() && v.as_str() != Some(""))
        {
            check_value(&doc, &name, dv)?;
        }
        ctx.put(ATTRS, &name, &doc)?;
    }
    let data = attr_defs(ctx)?;
    out(json!({ "total": data.len(), "data": data }))
}

#[operation(tenants::DeleteTenantCustomAttribute)]
async fn delete_tenant_custom_attribute(
    ctx: &mut Ctx,
    input: DeleteTenantCustomAttributeInput,
) -> Result<DeleteTenantCustomAttributeOutput, ApiError> {
    let pid = ctx.project_id()?.to_owned();
    let Some(id) = ctx
        .db()
        .docs()
        .ids_by_key(&pid, ATTRS, "name", &json!(input.name.trim()))?
        .into_iter()
        .next()
    else {
        return Err(ApiError::not_found(
            "E011004",
            format!(
                "tenant custom attribute `{}` not found; list them with tenants_read TenantCustomAttributes",
                input.name
            ),
        ));
    };
    let name = ctx
        .db()
        .docs()
        .get(&pid, ATTRS, &id)?
        .and_then(|d| d.get("name").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| id.clone());
    ctx.db().docs().delete(&pid, ATTRS, &id)?;
    // Values of a deleted attribute would no longer validate: remove them from every tenant.
    for (tid, mut t) in ctx.db().docs().scan(&pid, TENANTS)? {
        if let Some(m) = t.get_mut("customAttributes").and_then(Value::as_object_mut)
            && m.remove(&name).is_some()
        {
            ctx.put(TENANTS, &tid, &t)?;
        }
    }
    let data = attr_defs(ctx)?;
    out(json!({ "total": data.len(), "data": data }))
}
