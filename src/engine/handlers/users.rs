//! Handlers of the `users` operations: user records (create, replace, patch, delete), search,
//! roles and tenant membership, credentials (password hashes, passkeys, TOTP, trusted
//! devices) and the project's user custom-attribute definitions.
//!
//! Storage: a user is one `users` document in the `User` shape of `_defs/User.yaml`, keyed by
//! `userId`. Secrets never live in that document, so no read path can leak them: a password
//! hash sits in `user_credentials` (keyed by userId), passkeys in `user_passkeys`, trusted
//! devices in `trusted_devices`, attribute definitions in `user_attributes` (keyed by name).
//! Every change writes a platform audit event (UserCreated / UserModified / UserDeleted, with
//! the Descoper as actor), as the platform does for management-API changes.

use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version};
use idmcp_macros::operation;
use rand::RngExt;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::catalog::generated::types::users::*;
use crate::engine::Ctx;
use crate::error::ApiError;
use crate::store::docs;
use crate::store::principals::new_id;
use crate::store::events;

/// Document keys these handlers look documents up by (beyond what the YAML verbs declare).
pub const KEYS: &[(&str, &[&str])] = &[
    // Lookup keys, plus the SearchUsers filters that narrow candidates in `doc_keys` (see
    // [`INDEXED_FILTERS`]) so a search reads only the documents that can match.
    ("users", &["userId", "loginIds", "email", "phone", "status", "roleNames", "userTenants[].tenantId", "signUpMethod", "test"]),
    ("user_credentials", &["userId"]),
    ("user_passkeys", &["userId"]),
    ("trusted_devices", &["userId"]),
    ("user_attributes", &["name"]),
    ("test_codes", &["userId"]),
];

pub(crate) const USERS: &str = "users";
const CREDENTIALS: &str = "user_credentials";
const PASSKEYS: &str = "user_passkeys";
const DEVICES: &str = "trusted_devices";
const ATTRIBUTES: &str = "user_attributes";

/// Argon2id cost: the OWASP Password Storage Cheat Sheet minimum (19 MiB of memory, 2 passes,
/// 1 lane). It is memory-hard enough that a leaked store does not give passwords away cheaply,
/// and small enough that a management call (and a debug-build test) hashes in well under a
/// second. Spelled out rather than `Params::default()` so a crate upgrade cannot silently change
/// what new hashes cost; stored PHC strings carry their own parameters either way.
const ARGON2_M_KIB: u32 = 19 * 1024;
const ARGON2_T: u32 = 2;
const ARGON2_P: u32 = 1;

// ---------------------------------------------------------------------------------------------
// Shared helpers (also used by the `tests` handlers)
// ---------------------------------------------------------------------------------------------

/// Decodes a handler's JSON result into its generated output type. A failure here is a bug in
/// the handler or a stored document that does not fit the schema, never the caller's fault.
pub(crate) fn out<T: DeserializeOwned>(v: Value) -> Result<T, ApiError> {
    serde_json::from_value(v).map_err(|e| ApiError::internal(format!("the result does not fit the output schema: {e}")))
}

/// The typed input as a JSON object (absent optionals are left out).
pub(crate) fn args<T: serde::Serialize>(input: &T) -> Result<Map<String, Value>, ApiError> {
    match serde_json::to_value(input).map_err(|e| ApiError::internal(format!("cannot read the arguments: {e}")))? {
        Value::Object(m) => Ok(m),
        _ => Ok(Map::new()),
    }
}

fn s<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k).and_then(Value::as_str).filter(|v| !v.is_empty())
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array).map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect()).unwrap_or_default()
}

pub(crate) fn user_not_found(what: &str) -> ApiError {
    ApiError::not_found(
        "E062108",
        format!("user not found: no user with {what} in this project. Check the spelling, or find the user with users_read SearchUsers (`text` matches names, e-mails and login IDs)."),
    )
}

/// Finds a user by login ID (any of `loginIds`, case-insensitive; a userId is accepted too,
/// as the platform does) or by user ID.
pub(crate) fn find_user(ctx: &Ctx, login_id: Option<&str>, user_id: Option<&str>) -> Result<(String, Value), ApiError> {
    if let Some(l) = login_id.filter(|l| !l.is_empty()) {
        if let Some(found) = ctx.find(USERS, "loginIds", &json!(l))? {
            return Ok(found);
        }
        return ctx.find(USERS, "userId", &json!(l))?.ok_or_else(|| user_not_found(&format!("loginId `{l}`")));
    }
    if let Some(u) = user_id.filter(|u| !u.is_empty()) {
        return ctx.find(USERS, "userId", &json!(u))?.ok_or_else(|| user_not_found(&format!("userId `{u}`")));
    }
    Err(ApiError::missing("a loginId (or userId) is required to identify the user"))
}

/// Appends a platform audit event about `user`, with the calling Descoper as actor.
pub(crate) fn audit(ctx: &Ctx, action: &str, user: &Value, data: Value) -> Result<(), ApiError> {
    let tenants = docs::extract(user, "userTenants[].tenantId").iter().filter_map(|v| v.as_str().map(str::to_owned)).collect();
    let e = events::Event {
        project_id: ctx.project_id()?.to_owned(),
        occurred: ctx.now_ms,
        action: action.to_owned(),
        kind: "info".into(),
        actor_id: ctx.principal.email.clone(),
        user_id: user.get("userId").and_then(Value::as_str).unwrap_or_default().to_owned(),
        login_id: docs::extract(user, "loginIds").first().and_then(|v| v.as_str()).unwrap_or_default().to_owned(),
        method: "management".into(),
        tenants,
        data,
        ..Default::default()
    };
    ctx.db().events().insert(&e)?;
    Ok(())
}

/// Stores a user after checking that none of its login IDs belongs to another user.
fn save_user(ctx: &Ctx, id: &str, doc: &mut Value) -> Result<(), ApiError> {
    let pid = ctx.project_id()?.to_owned();
    for l in strings(doc.get("loginIds")) {
        let others = ctx.db().docs().ids_by_key(&pid, USERS, "loginIds", &json!(l))?;
        if let Some(other) = others.iter().find(|o| o.as_str() != id) {
            return Err(ApiError::conflict(
                "E062107",
                format!("user already exists: login ID `{l}` already belongs to user {other}. Login IDs are unique per project; load that user with LoadUser, or pick another login ID."),
            ));
        }
    }
    doc["externalIds"] = doc.get("loginIds").cloned().unwrap_or_else(|| json!([]));
    doc["modifiedTime"] = json!(ctx.now_secs());
    ctx.put(USERS, id, doc)
}

/// The tenant's name, or an error naming the unknown tenant ID.
fn tenant_name(ctx: &Ctx, tenant_id: &str) -> Result<String, ApiError> {
    let pid = ctx.project_id()?;
    match ctx.db().docs().get(pid, "tenants", tenant_id)? {
        Some(t) => Ok(t.get("name").and_then(Value::as_str).unwrap_or(tenant_id).to_owned()),
        None => Err(ApiError::invalid(format!(
            "tenant `{tenant_id}` does not exist in this project: pass a tenant ID (not a name); tenants_read LoadAllTenants or SearchTenants list them"
        ))),
    }
}

/// Checks that every role exists where it is used: project roles (no tenantId) anywhere, a
/// tenant-scoped role only in its own tenant.
fn check_roles(ctx: &Ctx, names: &[String], tenant: Option<&str>) -> Result<(), ApiError> {
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
    let missing: Vec<&str> = names.iter().map(String::as_str).filter(|n| !usable.contains(n)).collect();
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
        if avail.is_empty() { "(none)".to_owned() } else { avail.join(", ") }
    )))
}

/// Checks custom attribute values against the project's definitions.
fn check_custom_attributes(ctx: &Ctx, attrs: &Map<String, Value>) -> Result<(), ApiError> {
    let pid = ctx.project_id()?;
    for (k, v) in attrs {
        let Some(def) = ctx.db().docs().get(pid, ATTRIBUTES, k)? else {
            let names: Vec<String> = ctx.db().docs().scan(pid, ATTRIBUTES)?.into_iter().map(|(id, _)| id).collect();
            return Err(ApiError::invalid(format!(
                "custom attribute `{k}` is not defined in this project (defined: {}). Define it with CreateUserCustomAttribute first.",
                if names.is_empty() { "none".to_owned() } else { names.join(", ") }
            )));
        };
        check_attribute_value(k, &def, v)?;
    }
    Ok(())
}

fn check_attribute_value(name: &str, def: &Value, v: &Value) -> Result<(), ApiError> {
    if v.is_null() {
        return Ok(());
    }
    let options: Vec<&str> = docs::extract(def, "options[].value").iter().filter_map(|o| o.as_str()).collect();
    let ok = match def.get("type").and_then(Value::as_i64).unwrap_or(1) {
        1 => v.is_string(),
        2 | 6 => v.is_number(),
        3 => v.is_boolean(),
        4 => v.as_str().is_some_and(|x| options.is_empty() || options.contains(&x)),
        5 => v.as_array().is_some_and(|a| a.iter().all(|x| x.as_str().is_some_and(|x| options.is_empty() || options.contains(&x)))),
        _ => v.is_string(),
    };
    if ok {
        return Ok(());
    }
    let want = match def.get("type").and_then(Value::as_i64).unwrap_or(1) {
        2 => "a number".to_owned(),
        3 => "true or false".to_owned(),
        4 => format!("one of {}", options.join(", ")),
        5 => format!("a list of values from {}", options.join(", ")),
        6 => "a date in epoch milliseconds".to_owned(),
        _ => "a text".to_owned(),
    };
    Err(ApiError::invalid(format!("custom attribute `{name}` must be {want}, got {v}")))
}

/// Normalises requested tenant memberships: the tenant must exist, its roles must be usable
/// there, the name is filled in, and a membership the user already had keeps its join time.
fn normalize_tenants(ctx: &Ctx, requested: &[Value], current: Option<&Value>) -> Result<Vec<Value>, ApiError> {
    let mut out: Vec<Value> = Vec::new();
    for t in requested {
        let Some(tid) = t.get("tenantId").and_then(Value::as_str).filter(|x| !x.is_empty()) else {
            return Err(ApiError::missing("every userTenants entry needs a tenantId"));
        };
        let roles = strings(t.get("roleNames"));
        check_roles(ctx, &roles, Some(tid))?;
        let joined = current
            .and_then(|c| docs::extract(c, "userTenants[]").into_iter().find(|e| e.get("tenantId").and_then(Value::as_str) == Some(tid)).cloned())
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

const PROFILE_TEXT: &[&str] = &["name", "givenName", "middleName", "familyName", "picture"];

/// Applies the profile fields of a create/update/patch request. With `replace` (UpdateUser),
/// fields the request leaves out are cleared; otherwise (PatchUser) only given fields change.
fn apply_profile(ctx: &Ctx, doc: &mut Value, req: &Map<String, Value>, replace: bool) -> Result<(), ApiError> {
    let current = doc.clone();
    let obj = doc.as_object_mut().ok_or_else(|| ApiError::internal("stored user is not an object"))?;
    for f in PROFILE_TEXT {
        match req.get(*f) {
            Some(v) if !v.is_null() => {
                obj.insert((*f).to_owned(), v.clone());
            }
            _ if replace => {
                obj.remove(*f);
            }
            _ => {}
        }
    }
    // A new e-mail or phone is unverified unless the request says otherwise.
    for (f, flag) in [("email", "verifiedEmail"), ("phone", "verifiedPhone")] {
        match req.get(f).filter(|v| !v.is_null()) {
            Some(v) => {
                let changed = obj.get(f) != Some(v);
                obj.insert(f.to_owned(), v.clone());
                match req.get(flag).and_then(Value::as_bool) {
                    Some(b) => obj.insert(flag.to_owned(), json!(b)),
                    None if changed => obj.insert(flag.to_owned(), json!(false)),
                    None => None,
                };
            }
            None if replace => {
                obj.remove(f);
                obj.insert(flag.to_owned(), json!(false));
            }
            None => {
                if let Some(b) = req.get(flag).and_then(Value::as_bool) {
                    obj.insert(flag.to_owned(), json!(b));
                }
            }
        }
    }
    if let Some(v) = req.get("roleNames").filter(|v| !v.is_null()) {
        let roles = strings(Some(v));
        check_roles(ctx, &roles, None)?;
        obj.insert("roleNames".into(), json!(roles));
    } else if replace {
        obj.insert("roleNames".into(), json!([]));
    }
    if let Some(v) = req.get("userTenants").filter(|v| !v.is_null()) {
        let t = normalize_tenants(ctx, v.as_array().map(Vec::as_slice).unwrap_or_default(), Some(&current))?;
        obj.insert("userTenants".into(), json!(t));
    } else if replace {
        obj.insert("userTenants".into(), json!([]));
    }
    if let Some(Value::Object(attrs)) = req.get("customAttributes") {
        check_custom_attributes(ctx, attrs)?;
        let mut merged = if replace { Map::new() } else { obj.get("customAttributes").and_then(Value::as_object).cloned().unwrap_or_default() };
        for (k, v) in attrs {
            if v.is_null() {
                merged.remove(k);
            } else {
                merged.insert(k.clone(), v.clone());
            }
        }
        obj.insert("customAttributes".into(), Value::Object(merged));
    } else if replace {
        obj.insert("customAttributes".into(), json!({}));
    }
    if let Some(v) = req.get("ssoAppIds").filter(|v| !v.is_null()) {
        obj.insert("ssoAppIds".into(), v.clone());
    } else if replace {
        obj.insert("ssoAppIds".into(), json!([]));
    }
    if let Some(st) = req.get("status").and_then(Value::as_str) {
        obj.insert("status".into(), json!(st));
    }
    if let Some(v) = req.get("additionalIdentifiers").filter(|v| !v.is_null()) {
        let mut ids: Vec<String> = strings(obj.get("loginIds")).into_iter().take(1).collect();
        for l in strings(Some(v)) {
            if !ids.iter().any(|x| x.eq_ignore_ascii_case(&l)) {
                ids.push(l);
            }
        }
        obj.insert("loginIds".into(), json!(ids));
    } else if replace {
        let ids: Vec<String> = strings(obj.get("loginIds")).into_iter().take(1).collect();
        obj.insert("loginIds".into(), json!(ids));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Passwords
// ---------------------------------------------------------------------------------------------

/// The password hasher: Argon2id v1.3 with the costs above.
fn hasher() -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None).map_err(|e| ApiError::internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) with a
/// fresh random salt from the operating system.
fn hash_password(password: &str) -> Result<String, ApiError> {
    let hash = hasher()?.hash_password(password.as_bytes()).map_err(|e| ApiError::internal(format!("cannot hash the password: {e}")))?;
    Ok(hash.to_string())
}

/// Stores a password hash for `user_id` (never the password) and marks the user as having a
/// password; `temporary` makes the user choose a new one at the next sign-in.
fn set_password(ctx: &Ctx, user_id: &str, doc: &mut Value, password: &str, temporary: bool) -> Result<(), ApiError> {
    if password.is_empty() {
        return Err(ApiError::invalid("the password must not be empty"));
    }
    // The PHC string holds algorithm, parameters and salt, so nothing else is stored with it.
    let cred = json!({
        "userId": user_id,
        "passwordHash": hash_password(password)?,
        "setTime": ctx.now_secs(),
        "temporary": temporary,
    });
    ctx.put(CREDENTIALS, user_id, &cred)?;
    doc["password"] = json!(true);
    doc["passwordExpired"] = json!(temporary);
    Ok(())
}

/// A random password that satisfies common policies (upper, lower, digit, symbol; 16 chars).
fn generate_password() -> String {
    const SETS: [&[u8]; 4] = [b"ABCDEFGHJKLMNPQRSTUVWXYZ", b"abcdefghijkmnopqrstuvwxyz", b"23456789", b"!@#$%^&*-_=+"];
    let mut rng = rand::rng();
    let mut chars: Vec<u8> = SETS.iter().map(|s| s[rng.random_range(0..s.len())]).collect();
    let all: Vec<u8> = SETS.concat();
    while chars.len() < 16 {
        chars.push(all[rng.random_range(0..all.len())]);
    }
    for i in (1..chars.len()).rev() {
        chars.swap(i, rng.random_range(0..=i));
    }
    String::from_utf8(chars).expect("ASCII")
}

// ---------------------------------------------------------------------------------------------
// Create, modify, delete
// ---------------------------------------------------------------------------------------------

/// Builds and stores a new user from a create request; `test` marks a test user.
pub(crate) fn create_user(ctx: &Ctx, req: &Map<String, Value>, test: bool, invite: bool) -> Result<Value, ApiError> {
    let Some(login_id) = s(req, "loginId") else {
        return Err(ApiError::missing("loginId is required: the e-mail, phone or username the user signs in with"));
    };
    let user_id = new_id("U");
    let now = ctx.now_secs();
    let mut doc = json!({
        "userId": user_id,
        "loginIds": [login_id],
        "status": if invite { "invited" } else { "enabled" },
        "roleNames": [],
        "userTenants": [],
        "customAttributes": {},
        "ssoAppIds": [],
        "test": test,
        "editable": true,
        "verifiedEmail": false,
        "verifiedPhone": false,
        "TOTP": false, "SAML": false, "OIDC": false, "SCIM": false, "push": false,
        "webauthn": false, "password": false, "OAuth": {},
        "createdTime": now,
    });
    apply_profile(ctx, &mut doc, req, false)?;
    if invite && req.get("status").is_none() {
        doc["status"] = json!("invited");
    }
    // Attributes with a default value get it when the request leaves them out.
    let pid = ctx.project_id()?.to_owned();
    for (name, def) in ctx.db().docs().scan(&pid, ATTRIBUTES)? {
        if let Some(d) = def.get("defaultValue").filter(|d| !d.is_null() && d.as_str() != Some("")) {
            if doc["customAttributes"].get(&name).is_none() {
                doc["customAttributes"][&name] = d.clone();
            }
        }
    }
    if let Some(p) = s(req, "password") {
        set_password(ctx, &user_id, &mut doc, p, false)?;
    }
    save_user(ctx, &user_id, &mut doc)?;
    audit(ctx, "UserCreated", &doc, json!({"test": test, "invite": invite}))?;
    Ok(doc)
}

/// Loads a user, applies `f`, stores the result and records a UserModified event naming the
/// fields that changed.
pub(crate) fn modify(
    ctx: &Ctx,
    op: &str,
    login_id: Option<&str>,
    user_id: Option<&str>,
    f: impl FnOnce(&Ctx, &str, &mut Value) -> Result<(), ApiError>,
) -> Result<Value, ApiError> {
    let (id, mut doc) = find_user(ctx, login_id, user_id)?;
    let before = doc.clone();
    f(ctx, &id, &mut doc)?;
    save_user(ctx, &id, &mut doc)?;
    let changed: Vec<&String> = doc
        .as_object()
        .map(|m| m.iter().filter(|(k, v)| k.as_str() != "modifiedTime" && before.get(k.as_str()) != Some(*v)).map(|(k, _)| k).collect())
        .unwrap_or_default();
    audit(ctx, "UserModified", &doc, json!({"operation": op, "changedFields": changed}))?;
    Ok(doc)
}

/// Deletes a user with every record that belongs to it (credentials, passkeys, devices, test
/// codes), and records UserDeleted.
pub(crate) fn delete_user_record(ctx: &Ctx, id: &str, doc: &Value) -> Result<(), ApiError> {
    let pid = ctx.project_id()?.to_owned();
    ctx.db().docs().delete(&pid, USERS, id)?;
    ctx.db().docs().delete(&pid, CREDENTIALS, id)?;
    for coll in [PASSKEYS, DEVICES, "test_codes"] {
        for d in ctx.db().docs().ids_by_key(&pid, coll, "userId", &json!(id))? {
            ctx.db().docs().delete(&pid, coll, &d)?;
        }
    }
    audit(ctx, "UserDeleted", doc, json!({"test": doc.get("test").cloned().unwrap_or(json!(false))}))
}

fn user_out(doc: Value) -> Value {
    json!({ "user": doc })
}

// ---------------------------------------------------------------------------------------------
// Search
// ---------------------------------------------------------------------------------------------

/// Which users a search may return with respect to the `test` flag.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum TestScope {
    /// SearchUsers: real users, plus test users when `withTestUser` or `testUsersOnly` is set.
    ByArgs,
    /// SearchTestUsers: test users only.
    Only,
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn lower_set(v: Option<&Value>) -> Vec<String> {
    strings(v).into_iter().map(|s| s.to_lowercase()).collect()
}

/// Whether `doc` matches every filter in `a` (SearchUsers semantics; see its YAML).
fn matches(a: &Map<String, Value>, doc: &Value, scope: TestScope) -> bool {
    let is_test = doc.get("test").and_then(Value::as_bool).unwrap_or(false);
    let test_only = scope == TestScope::Only || a.get("testUsersOnly").and_then(Value::as_bool).unwrap_or(false);
    let with_test = a.get("withTestUser").and_then(Value::as_bool).unwrap_or(false);
    if test_only && !is_test || !test_only && !with_test && is_test {
        return false;
    }
    let field_text = |p: &str| docs::extract(doc, p).iter().filter_map(|v| docs::key_text(v)).collect::<Vec<String>>();
    let any_in = |p: &str, key: &str| {
        let want = lower_set(a.get(key));
        want.is_empty() || field_text(p).iter().any(|v| want.contains(v))
    };
    if !(any_in("userId", "userIds")
        && any_in("loginIds", "loginIds")
        && any_in("email", "emails")
        && any_in("phone", "phones")
        && any_in("status", "statuses")
        && any_in("roleNames", "roleNames")
        && any_in("signUpMethod", "signUpMethods"))
    {
        return false;
    }
    let tenant_ids = lower_set(a.get("tenantIds"));
    let tenant_roles = strings(a.get("tenantRoleNames"));
    let entries = docs::extract(doc, "userTenants[]");
    let in_tenant = |e: &&Value| tenant_ids.is_empty() || e.get("tenantId").and_then(docs::key_text).is_some_and(|t| tenant_ids.contains(&t));
    if !tenant_ids.is_empty() && !entries.iter().any(|e| in_tenant(e)) {
        return false;
    }
    if !tenant_roles.is_empty()
        && !entries.iter().copied().filter(|e| in_tenant(e)).any(|e| strings(e.get("roleNames")).iter().any(|r| tenant_roles.contains(r)))
    {
        return false;
    }
    if let Some(text) = s(a, "text").map(str::to_lowercase) {
        let hay = ["userId", "loginIds", "name", "givenName", "familyName", "email", "phone"];
        if !hay.iter().any(|p| field_text(p).iter().any(|v| v.contains(&text))) {
            return false;
        }
    }
    if let Some(Value::Object(want)) = a.get("customAttributes") {
        for (k, v) in want {
            let have = doc.get("customAttributes").and_then(|c| c.get(k));
            let ok = match v {
                Value::Array(opts) => have.is_some_and(|h| opts.contains(h) || h.as_array().is_some_and(|hs| hs.iter().any(|x| opts.contains(x)))),
                other => have.is_some_and(|h| h == other || h.as_array().is_some_and(|hs| hs.contains(other))),
            };
            if !ok {
                return false;
            }
        }
    }
    // Time windows: inputs in epoch milliseconds, stored times in epoch seconds.
    for (from, to, field) in [
        ("fromCreatedTime", "toCreatedTime", "createdTime"),
        ("fromModifiedTime", "toModifiedTime", "modifiedTime"),
        ("fromLastLoginTime", "toLastLoginTime", "lastLoginTime"),
    ] {
        let lo = a.get(from).and_then(num).filter(|x| *x > 0.0);
        let hi = a.get(to).and_then(num).filter(|x| *x > 0.0);
        if lo.is_none() && hi.is_none() {
            continue;
        }
        let Some(t) = doc.get(field).and_then(num) else { return false };
        let ms = t * 1000.0;
        if lo.is_some_and(|l| ms < l) || hi.is_some_and(|h| ms > h) {
            return false;
        }
    }
    if let Some(never) = a.get("neverLoggedIn").and_then(Value::as_bool) {
        if never == doc.get("lastLoginTime").and_then(num).is_some() {
            return false;
        }
    }
    for (input, field) in [("password", "password"), ("totp", "TOTP"), ("webauthn", "webauthn"), ("verifiedEmail", "verifiedEmail"), ("verifiedPhone", "verifiedPhone")] {
        if let Some(want) = a.get(input).and_then(Value::as_bool) {
            if doc.get(field).and_then(Value::as_bool).unwrap_or(false) != want {
                return false;
            }
        }
    }
    true
}

fn cmp_values(x: Option<&Value>, y: Option<&Value>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (x, y) {
        (None, None) => Ordering::Equal,
        (None, _) => Ordering::Less,
        (_, None) => Ordering::Greater,
        (Some(a), Some(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(p), Some(q)) => p.partial_cmp(&q).unwrap_or(Ordering::Equal),
            _ => docs::key_text(a).unwrap_or_default().cmp(&docs::key_text(b).unwrap_or_default()),
        },
    }
}

/// SearchUsers inputs whose values are exact (case-insensitive) matches of an indexed user
/// field: (input, `doc_keys` path). Each one given narrows the candidates before any document
/// is read; [`matches`] still applies every filter to the candidates.
const INDEXED_FILTERS: &[(&str, &str)] = &[
    ("userIds", "userId"),
    ("loginIds", "loginIds"),
    ("emails", "email"),
    ("phones", "phone"),
    ("statuses", "status"),
    ("roleNames", "roleNames"),
    ("tenantIds", "userTenants[].tenantId"),
    ("signUpMethods", "signUpMethod"),
];

/// The `doc_keys` constraints a search's arguments imply (values normalised as the index
/// stores them). Empty when no indexed filter is given: then every user is a candidate.
fn index_constraints(a: &Map<String, Value>, scope: TestScope) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = INDEXED_FILTERS
        .iter()
        .filter_map(|(input, path)| {
            let values: Vec<String> = a.get(*input)?.as_array()?.iter().filter_map(docs::key_text).collect();
            (!values.is_empty()).then(|| ((*path).to_owned(), values))
        })
        .collect();
    // Test users carry `test: true`; real users may lack the flag, so only "test only" narrows.
    if scope == TestScope::Only || a.get("testUsersOnly").and_then(Value::as_bool).unwrap_or(false) {
        out.push(("test".to_owned(), vec!["true".to_owned()]));
    }
    out
}

/// Runs a user search: filter, sort (`[{field, desc}]`, default newest first), page.
pub(crate) fn search(ctx: &Ctx, a: &Map<String, Value>, scope: TestScope) -> Result<Value, ApiError> {
    let pid = ctx.project_id()?.to_owned();
    // Narrow through the index first, then check every filter on the (moved, not cloned)
    // candidate documents.
    let candidates = ctx.db().docs().select(&pid, USERS, &index_constraints(a, scope))?;
    let mut found: Vec<Value> = candidates.into_iter().map(|(_, d)| d).filter(|d| matches(a, d, scope)).collect();
    let mut keys: Vec<(String, bool)> = a
        .get("sort")
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(|s| Some((s.get("field")?.as_str()?.to_owned(), s.get("desc").and_then(Value::as_bool).unwrap_or(false)))).collect())
        .unwrap_or_default();
    if keys.is_empty() {
        keys.push(("createdTime".into(), true));
    }
    // The platform's sort names (`displayName`, `phoneNumber`) map to the stored fields.
    for (f, _) in keys.iter_mut() {
        *f = match f.as_str() {
            "displayName" => "name".into(),
            "phoneNumber" => "phone".into(),
            "id" => "userId".into(),
            "externalId" => "loginIds".into(),
            "tenant" => "userTenants[].tenantName".into(),
            other => other.to_owned(),
        };
    }
    found.sort_by(|x, y| {
        for (f, desc) in &keys {
            let o = cmp_values(docs::extract(x, f).first().copied(), docs::extract(y, f).first().copied());
            let o = if *desc { o.reverse() } else { o };
            if o.is_ne() {
                return o;
            }
        }
        cmp_values(x.get("userId"), y.get("userId"))
    });
    let total = found.len();
    let limit = a.get("limit").and_then(Value::as_i64).filter(|l| *l > 0).unwrap_or(100) as usize;
    let page = a.get("page").and_then(Value::as_i64).unwrap_or(0).max(0) as usize;
    let offset = match a.get("offset").and_then(Value::as_i64).filter(|o| *o > 0) {
        Some(o) => o as usize,
        None => page.saturating_mul(limit),
    };
    let users: Vec<Value> = found.into_iter().skip(offset).take(limit).collect();
    Ok(json!({"users": users, "total": total}))
}

// ---------------------------------------------------------------------------------------------
// users_read
// ---------------------------------------------------------------------------------------------

#[operation(users::SearchUsers)]
async fn search_users(ctx: &mut Ctx, input: SearchUsersInput) -> Result<SearchUsersOutput, ApiError> {
    out(search(ctx, &args(&input)?, TestScope::ByArgs)?)
}

#[operation(users::ListTrustedDevicesForUsers)]
async fn list_trusted_devices(ctx: &mut Ctx, input: ListTrustedDevicesForUsersInput) -> Result<ListTrustedDevicesForUsersOutput, ApiError> {
    let pid = ctx.project_id()?.to_owned();
    let mut devices = Vec::new();
    for ident in &input.identifiers {
        let (id, _) = find_user(ctx, Some(ident), None)?;
        for d in ctx.db().docs().ids_by_key(&pid, DEVICES, "userId", &json!(id))? {
            if let Some(doc) = ctx.db().docs().get(&pid, DEVICES, &d)? {
                devices.push(doc);
            }
        }
    }
    devices.sort_by(|a, b| cmp_values(b.get("lastLoginTime"), a.get("lastLoginTime")));
    out(json!({ "devices": devices }))
}

#[operation(users::ListUserPasskeys)]
async fn list_user_passkeys(ctx: &mut Ctx, input: ListUserPasskeysInput) -> Result<ListUserPasskeysOutput, ApiError> {
    let (id, _) = find_user(ctx, Some(&input.login_id), None)?;
    let pid = ctx.project_id()?.to_owned();
    let mut passkeys = Vec::new();
    for d in ctx.db().docs().ids_by_key(&pid, PASSKEYS, "userId", &json!(id))? {
        if let Some(mut doc) = ctx.db().docs().get(&pid, PASSKEYS, &d)? {
            if let Some(m) = doc.as_object_mut() {
                m.remove("userId");
            }
            passkeys.push(doc);
        }
    }
    out(json!({ "passkeys": passkeys }))
}

fn attribute_list(ctx: &Ctx) -> Result<Value, ApiError> {
    let pid = ctx.project_id()?.to_owned();
    let data: Vec<Value> = ctx.db().docs().scan(&pid, ATTRIBUTES)?.into_iter().map(|(_, d)| d).collect();
    // The platform reports `total` as a string.
    Ok(json!({"total": data.len().to_string(), "data": data}))
}

#[operation(users::UserCustomAttributes)]
async fn user_custom_attributes(ctx: &mut Ctx, _input: UserCustomAttributesInput) -> Result<UserCustomAttributesOutput, ApiError> {
    out(attribute_list(ctx)?)
}

// ---------------------------------------------------------------------------------------------
// users_write: records
// ---------------------------------------------------------------------------------------------

#[operation(users::CreateUser)]
async fn create(ctx: &mut Ctx, input: CreateUserInput) -> Result<CreateUserOutput, ApiError> {
    let a = args(&input)?;
    let invite = input.invite.unwrap_or(false);
    let test = input.test.unwrap_or(false);
    out(user_out(create_user(ctx, &a, test, invite)?))
}

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

#[operation(users::UpdateUser)]
async fn update(ctx: &mut Ctx, input: UpdateUserInput) -> Result<UpdateUserOutput, ApiError> {
    let a = args(&input)?;
    let doc = modify(ctx, "UpdateUser", Some(&input.login_id), None, |ctx, _, doc| apply_profile(ctx, doc, &a, true))?;
    out(user_out(doc))
}

#[operation(users::PatchUser)]
async fn patch(ctx: &mut Ctx, input: PatchUserInput) -> Result<PatchUserOutput, ApiError> {
    let a = args(&input)?;
    let doc = modify(ctx, "PatchUser", Some(&input.login_id), None, |ctx, _, doc| apply_profile(ctx, doc, &a, false))?;
    out(user_out(doc))
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

#[operation(users::DeleteUser)]
async fn delete(ctx: &mut Ctx, input: DeleteUserInput) -> Result<DeleteUserOutput, ApiError> {
    let (id, doc) = find_user(ctx, input.login_id.as_deref(), input.user_id.as_deref())?;
    delete_user_record(ctx, &id, &doc)?;
    out(json!({}))
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

#[operation(users::UpdateUserStatus)]
async fn update_status(ctx: &mut Ctx, input: UpdateUserStatusInput) -> Result<UpdateUserStatusOutput, ApiError> {
    let doc = modify(ctx, "UpdateUserStatus", Some(&input.login_id), None, |_, _, doc| {
        doc["status"] = json!(input.status);
        Ok(())
    })?;
    out(user_out(doc))
}

#[operation(users::UpdateUserLoginID)]
async fn update_login_id(ctx: &mut Ctx, input: UpdateUserLoginIDInput) -> Result<UpdateUserLoginIDOutput, ApiError> {
    let old = input.login_id.clone();
    let new = input.new_login_id.clone().unwrap_or_default();
    let doc = modify(ctx, "UpdateUserLoginID", Some(&input.login_id), None, |_, _, doc| {
        let mut ids = strings(doc.get("loginIds"));
        let pos = ids.iter().position(|l| l.eq_ignore_ascii_case(&old));
        match (pos, new.is_empty()) {
            (Some(i), true) => {
                if ids.len() == 1 {
                    return Err(ApiError::invalid("cannot remove the user's only login ID; add another one first (newLoginId on another login ID, or PatchUser additionalIdentifiers)"));
                }
                ids.remove(i);
            }
            (Some(i), false) => ids[i] = new.clone(),
            // Identified by userId: replace the primary login ID.
            (None, false) => ids[0] = new.clone(),
            (None, true) => return Err(ApiError::invalid("pass the login ID to remove as loginId, with an empty newLoginId")),
        }
        doc["loginIds"] = json!(ids);
        Ok(())
    })?;
    out(user_out(doc))
}

/// E-mail and phone changes share this: optional conflict check, then set value + verified.
fn update_contact(ctx: &Ctx, op: &str, login_id: &str, field: &str, flag: &str, value: &str, verified: Option<bool>, fail_on_conflict: bool) -> Result<Value, ApiError> {
    if fail_on_conflict && !value.is_empty() {
        let (me, _) = find_user(ctx, Some(login_id), None)?;
        let pid = ctx.project_id()?;
        for path in [field, "loginIds"] {
            if let Some(other) = ctx.db().docs().ids_by_key(pid, USERS, path, &json!(value))?.into_iter().find(|o| *o != me) {
                return Err(ApiError::conflict("E062107", format!("user already exists: `{value}` is already the {field} or login ID of user {other} (failOnConflict is set)")));
            }
        }
    }
    modify(ctx, op, Some(login_id), None, |_, _, doc| {
        if value.is_empty() {
            doc.as_object_mut().map(|m| m.remove(field));
        } else {
            doc[field] = json!(value);
        }
        doc[flag] = json!(verified.unwrap_or(false) && !value.is_empty());
        Ok(())
    })
}

#[operation(users::UpdateUserEmail)]
async fn update_email(ctx: &mut Ctx, input: UpdateUserEmailInput) -> Result<UpdateUserEmailOutput, ApiError> {
    let v = input.email.clone().unwrap_or_default();
    out(user_out(update_contact(ctx, "UpdateUserEmail", &input.login_id, "email", "verifiedEmail", &v, input.verified, input.fail_on_conflict.unwrap_or(false))?))
}

#[operation(users::UpdateUserPhone)]
async fn update_phone(ctx: &mut Ctx, input: UpdateUserPhoneInput) -> Result<UpdateUserPhoneOutput, ApiError> {
    let v = input.phone.clone().unwrap_or_default();
    out(user_out(update_contact(ctx, "UpdateUserPhone", &input.login_id, "phone", "verifiedPhone", &v, input.verified, input.fail_on_conflict.unwrap_or(false))?))
}

#[operation(users::UpdateUserDisplayName)]
async fn update_name(ctx: &mut Ctx, input: UpdateUserDisplayNameInput) -> Result<UpdateUserDisplayNameOutput, ApiError> {
    let a = args(&input)?;
    let doc = modify(ctx, "UpdateUserDisplayName", Some(&input.login_id), None, |_, _, doc| {
        for f in ["name", "givenName", "middleName", "familyName"] {
            if let Some(v) = a.get(f) {
                doc[f] = v.clone();
            }
        }
        Ok(())
    })?;
    out(user_out(doc))
}

#[operation(users::UpdateUserPicture)]
async fn update_picture(ctx: &mut Ctx, input: UpdateUserPictureInput) -> Result<UpdateUserPictureOutput, ApiError> {
    let doc = modify(ctx, "UpdateUserPicture", Some(&input.login_id), None, |_, _, doc| {
        doc["picture"] = json!(input.picture);
        Ok(())
    })?;
    out(user_out(doc))
}

#[operation(users::UpdateUserCustomAttribute)]
async fn update_custom_attribute(ctx: &mut Ctx, input: UpdateUserCustomAttributeInput) -> Result<UpdateUserCustomAttributeOutput, ApiError> {
    let mut attrs = Map::new();
    attrs.insert(input.attribute_key.clone(), input.attribute_value.clone());
    check_custom_attributes(ctx, &attrs)?;
    let doc = modify(ctx, "UpdateUserCustomAttribute", Some(&input.login_id), None, |_, _, doc| {
        if !doc.get("customAttributes").is_some_and(Value::is_object) {
            doc["customAttributes"] = json!({});
        }
        if input.attribute_value.is_null() {
            doc["customAttributes"].as_object_mut().map(|m| m.remove(&input.attribute_key));
        } else {
            doc["customAttributes"][&input.attribute_key] = input.attribute_value.clone();
        }
        Ok(())
    })?;
    out(user_out(doc))
}

// ---------------------------------------------------------------------------------------------
// users_write: roles and tenants
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum RoleChange {
    Add,
    Remove,
    Set,
}

/// Adds, removes or sets roles: project roles without `tenant`, else the roles the user holds
/// in that tenant (the user must already belong to it).
fn change_roles(ctx: &Ctx, op: &str, login_id: &str, tenant: Option<&str>, roles: &[String], how: RoleChange) -> Result<Value, ApiError> {
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
                let Some(entry) = entries.and_then(|es| es.iter_mut().find(|e| e.get("tenantId").and_then(Value::as_str) == Some(t))) else {
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
async fn add_roles(ctx: &mut Ctx, input: UpdateUserAddRolesInput) -> Result<UpdateUserAddRolesOutput, ApiError> {
    out(user_out(change_roles(ctx, "UpdateUserAddRoles", &input.login_id, input.tenant_id.as_deref().filter(|t| !t.is_empty()), &input.role_names, RoleChange::Add)?))
}

#[operation(users::UpdateUserRemoveRoles)]
async fn remove_roles(ctx: &mut Ctx, input: UpdateUserRemoveRolesInput) -> Result<UpdateUserRemoveRolesOutput, ApiError> {
    out(user_out(change_roles(ctx, "UpdateUserRemoveRoles", &input.login_id, input.tenant_id.as_deref().filter(|t| !t.is_empty()), &input.role_names, RoleChange::Remove)?))
}

#[operation(users::UpdateUserSetRoles)]
async fn set_roles(ctx: &mut Ctx, input: UpdateUserSetRolesInput) -> Result<UpdateUserSetRolesOutput, ApiError> {
    out(user_out(change_roles(ctx, "UpdateUserSetRoles", &input.login_id, input.tenant_id.as_deref().filter(|t| !t.is_empty()), &input.role_names, RoleChange::Set)?))
}

#[operation(users::UpdateUserAddTenant)]
async fn add_tenant(ctx: &mut Ctx, input: UpdateUserAddTenantInput) -> Result<UpdateUserAddTenantOutput, ApiError> {
    let name = tenant_name(ctx, &input.tenant_id)?;
    let doc = modify(ctx, "UpdateUserAddTenant", Some(&input.login_id), None, |ctx, _, doc| {
        if !doc.get("userTenants").is_some_and(Value::is_array) {
            doc["userTenants"] = json!([]);
        }
        let entries = doc["userTenants"].as_array_mut().expect("just ensured");
        if !entries.iter().any(|e| e.get("tenantId").and_then(Value::as_str) == Some(input.tenant_id.as_str())) {
            entries.push(json!({"tenantId": input.tenant_id, "tenantName": name, "roleNames": [], "joinedTime": ctx.now_secs()}));
        }
        Ok(())
    })?;
    out(user_out(doc))
}

#[operation(users::UpdateUserRemoveTenant)]
async fn remove_tenant(ctx: &mut Ctx, input: UpdateUserRemoveTenantInput) -> Result<UpdateUserRemoveTenantOutput, ApiError> {
    let doc = modify(ctx, "UpdateUserRemoveTenant", Some(&input.login_id), None, |_, _, doc| {
        let entries = doc.get_mut("userTenants").and_then(Value::as_array_mut);
        let Some(entries) = entries.filter(|es| es.iter().any(|e| e.get("tenantId").and_then(Value::as_str) == Some(input.tenant_id.as_str()))) else {
            return Err(ApiError::invalid(format!("the user is not a member of tenant `{}`; nothing to remove (LoadUser shows its userTenants)", input.tenant_id)));
        };
        entries.retain(|e| e.get("tenantId").and_then(Value::as_str) != Some(input.tenant_id.as_str()));
        Ok(())
    })?;
    out(user_out(doc))
}

// ---------------------------------------------------------------------------------------------
// users_write: credentials and sessions
// ---------------------------------------------------------------------------------------------

#[operation(users::SetUserTemporaryPassword)]
async fn set_temporary_password(ctx: &mut Ctx, input: SetUserTemporaryPasswordInput) -> Result<SetUserTemporaryPasswordOutput, ApiError> {
    let generated = input.password.as_deref().filter(|p| !p.is_empty()).is_none().then(generate_password);
    let password = generated.clone().or(input.password.clone()).unwrap_or_default();
    modify(ctx, "SetUserTemporaryPassword", Some(&input.login_id), None, |ctx, id, doc| set_password(ctx, id, doc, &password, true))?;
    out(match generated {
        Some(p) => json!({ "cleartext": p }),
        None => json!({}),
    })
}

#[operation(users::SetUserActivePassword)]
async fn set_active_password(ctx: &mut Ctx, input: SetUserActivePasswordInput) -> Result<SetUserActivePasswordOutput, ApiError> {
    modify(ctx, "SetUserActivePassword", Some(&input.login_id), None, |ctx, id, doc| set_password(ctx, id, doc, &input.password, false))?;
    out(json!({}))
}

#[operation(users::ExpireUserPassword)]
async fn expire_password(ctx: &mut Ctx, input: ExpireUserPasswordInput) -> Result<ExpireUserPasswordOutput, ApiError> {
    modify(ctx, "ExpireUserPassword", Some(&input.login_id), None, |ctx, id, doc| {
        if !doc.get("password").and_then(Value::as_bool).unwrap_or(false) {
            return Err(ApiError::invalid("the user has no password to expire (password is false); set one with SetUserTemporaryPassword"));
        }
        // Users imported without a hash have the flag but no credential record.
        let pid = ctx.project_id()?;
        if let Some(mut cred) = ctx.db().docs().get(pid, CREDENTIALS, id)? {
            cred["temporary"] = json!(true);
            ctx.put(CREDENTIALS, id, &cred)?;
        }
        doc["passwordExpired"] = json!(true);
        Ok(())
    })?;
    out(json!({}))
}

#[operation(users::RemoveUserPasskeys)]
async fn remove_passkeys(ctx: &mut Ctx, input: RemoveUserPasskeysInput) -> Result<RemoveUserPasskeysOutput, ApiError> {
    modify(ctx, "RemoveUserPasskeys", Some(&input.login_id), None, |ctx, id, doc| {
        let pid = ctx.project_id()?.to_owned();
        for k in ctx.db().docs().ids_by_key(&pid, PASSKEYS, "userId", &json!(id))? {
            ctx.db().docs().delete(&pid, PASSKEYS, &k)?;
        }
        doc["webauthn"] = json!(false);
        Ok(())
    })?;
    out(json!({}))
}

#[operation(users::RemoveUserTOTP)]
async fn remove_totp(ctx: &mut Ctx, input: RemoveUserTOTPInput) -> Result<RemoveUserTOTPOutput, ApiError> {
    modify(ctx, "RemoveUserTOTP", Some(&input.login_id), None, |_, _, doc| {
        doc["TOTP"] = json!(false);
        Ok(())
    })?;
    out(json!({}))
}

#[operation(users::LogoutAllUserDevices)]
async fn logout_all(ctx: &mut Ctx, input: LogoutAllUserDevicesInput) -> Result<LogoutAllUserDevicesOutput, ApiError> {
    let (_, doc) = find_user(ctx, input.login_id.as_deref(), input.user_id.as_deref())?;
    // There are no end-user sessions in the embedded store; the revocation is recorded as the
    // platform records it, so audit search and auth history show when and by whom.
    audit(ctx, "LogoutAllUserDevices", &doc, json!({"sessionTypes": input.session_types.clone().unwrap_or_default()}))?;
    out(json!({}))
}

#[operation(users::UpdateUserRemoveTrustedDevices)]
async fn remove_trusted_devices(ctx: &mut Ctx, input: UpdateUserRemoveTrustedDevicesInput) -> Result<UpdateUserRemoveTrustedDevicesOutput, ApiError> {
    let (id, doc) = find_user(ctx, Some(&input.login_id), None)?;
    let pid = ctx.project_id()?.to_owned();
    let mine = ctx.db().docs().ids_by_key(&pid, DEVICES, "userId", &json!(id))?;
    let wanted = input.device_ids.clone().unwrap_or_default();
    let unknown: Vec<&String> = wanted.iter().filter(|d| !mine.contains(d)).collect();
    if !unknown.is_empty() {
        return Err(ApiError::invalid(format!(
            "device(s) {} are not trusted devices of this user; ListTrustedDevicesForUsers shows theirs (or pass no deviceIds to remove all)",
            unknown.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        )));
    }
    let remove: Vec<String> = if wanted.is_empty() { mine } else { wanted };
    for d in &remove {
        ctx.db().docs().delete(&pid, DEVICES, d)?;
    }
    audit(ctx, "UserModified", &doc, json!({"operation": "UpdateUserRemoveTrustedDevices", "removedDevices": remove}))?;
    out(json!({}))
}

// ---------------------------------------------------------------------------------------------
// users_write: custom attribute definitions
// ---------------------------------------------------------------------------------------------

#[operation(users::CreateUserCustomAttribute)]
async fn create_custom_attribute(ctx: &mut Ctx, input: CreateUserCustomAttributeInput) -> Result<CreateUserCustomAttributeOutput, ApiError> {
    let a = args(&input)?;
    let pid = ctx.project_id()?.to_owned();
    for attr in a.get("attributes").and_then(Value::as_array).cloned().unwrap_or_default() {
        let name = attr.get("name").and_then(Value::as_str).unwrap_or_default();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(ApiError::invalid(format!("attribute name `{name}` is not valid: use letters, digits and underscores (e.g. `onboardingCompleted`)")));
        }
        let ty = attr.get("type").and_then(Value::as_i64).unwrap_or(1);
        if matches!(ty, 4 | 5) && docs::extract(&attr, "options[]").is_empty() {
            return Err(ApiError::invalid(format!("attribute `{name}` is a select (type {ty}) and needs `options`")));
        }
        if let Some(d) = attr.get("defaultValue").filter(|d| !d.is_null()) {
            check_attribute_value(name, &attr, d)?;
        }
        // Creating an existing name replaces its definition, as the platform's create does.
        let mut doc = attr.clone();
        if doc.get("displayName").is_none() {
            doc["displayName"] = json!(name);
        }
        ctx.db().docs().put(&pid, ATTRIBUTES, name, &doc, ctx.now_secs(), crate::engine::indexed_paths(ATTRIBUTES))?;
    }
    out(attribute_list(ctx)?)
}

#[operation(users::DeleteUserCustomAttribute)]
async fn delete_custom_attribute(ctx: &mut Ctx, input: DeleteUserCustomAttributeInput) -> Result<DeleteUserCustomAttributeOutput, ApiError> {
    let pid = ctx.project_id()?.to_owned();
    let unknown: Vec<&String> = input.names.iter().filter(|n| ctx.db().docs().get(&pid, ATTRIBUTES, n).ok().flatten().is_none()).collect();
    if !unknown.is_empty() {
        return Err(ApiError::invalid(format!(
            "no user custom attribute named {}; UserCustomAttributes lists the defined ones",
            unknown.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
        )));
    }
    for n in &input.names {
        ctx.db().docs().delete(&pid, ATTRIBUTES, n)?;
    }
    out(attribute_list(ctx)?)
}

#[cfg(test)]
pub(crate) mod tests {
    //! What the YAML examples cannot state: absences (a removed role is gone), cascades, and
    //! that secrets are stored only as hashes.
    use super::*;
    use crate::dispatch::{self, CallError};
    use crate::testkit;

    struct T {
        rt: tokio::runtime::Runtime,
        app: std::sync::Arc<crate::app::App>,
        p: crate::store::principals::Principal,
        _dir: tempfile::TempDir,
    }

    /// Runs an operation's engine directly on acme-prod, in a transaction, without the
    /// approval gate (that is dispatch's concern and tested there): validation, execution,
    /// commit or rollback.
    pub(crate) async fn run_direct(app: &std::sync::Arc<crate::app::App>, p: &crate::store::principals::Principal, tool: &str, op: &str, args: Value) -> Result<Value, CallError> {
        use crate::catalog::{self, Exec};
        let op = catalog::find(tool, op).expect("known operation");
        dispatch::validate(op, &args)?;
        let conn = app.store.writer().await;
        let now = app.clock.now_ms();
        let session = conn.principals().session_for(p, now).unwrap();
        let project = conn.principals().find_project(&p.company_id, "acme-prod").unwrap();
        let mut ctx = Ctx { app: app.clone(), principal: p.clone(), session, project, now_ms: now, conn };
        ctx.conn.begin().unwrap();
        let out = match &op.def().exec {
            Exec::Verb(v) => crate::engine::verb::run(v, &mut ctx, args),
            Exec::Handler(h) => h(&mut ctx, args).await,
        };
        if out.is_ok() { ctx.conn.commit() } else { ctx.conn.rollback() }.unwrap();
        out.map_err(CallError::Api)
    }

    impl T {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let (app, p) = testkit::demo_app(dir.path());
            T { rt: tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap(), app, p, _dir: dir }
        }
        fn call(&self, tool: &str, op: &str, args: Value) -> Result<Value, CallError> {
            self.rt.block_on(run_direct(&self.app, &self.p, tool, op, args))
        }
        fn load(&self, login: &str) -> Result<Value, CallError> {
            self.call("users_read", "LoadUser", json!({"loginId": login})).map(|v| v["user"].clone())
        }
        fn doc(&self, coll: &str, id: &str) -> Option<Value> {
            let conn = self.app.store.writer_blocking();
            let pid = conn.principals().find_project(&self.p.company_id, "acme-prod").unwrap().unwrap().id;
            conn.docs().get(&pid, coll, id).unwrap()
        }
    }

    fn code(e: CallError) -> String {
        match e {
            CallError::Api(a) => a.error_code,
            other => format!("{other}"),
        }
    }

    #[test]
    fn removals_really_remove() {
        let t = T::new();
        t.call("users_write", "UpdateUserRemoveRoles", json!({"loginId": "alice@acme.com", "roleNames": ["admin"]})).unwrap();
        t.call("users_write", "UpdateUserRemoveTenant", json!({"loginId": "alice@acme.com", "tenantId": "T-acme-holdings"})).unwrap();
        let alice = t.load("alice@acme.com").unwrap();
        assert_eq!(alice["roleNames"], json!(["editor"]));
        assert_eq!(docs::extract(&alice, "userTenants[].tenantId"), vec![&json!("T-acme")]);
        // UpdateUser is a full replace: what the request leaves out is cleared.
        t.call("users_write", "UpdateUser", json!({"loginId": "bob@acme.com", "name": "Bob"})).unwrap();
        let bob = t.load("bob@acme.com").unwrap();
        assert_eq!(bob["userTenants"], json!([]));
        assert!(bob.get("email").is_none());
        assert_eq!(bob["password"], json!(true), "credentials survive a profile replace");
    }

    #[test]
    fn a_failed_write_changes_nothing() {
        let t = T::new();
        let before = t.load("bob@acme.com").unwrap();
        let e = t.call("users_write", "UpdateUserSetRoles", json!({"loginId": "bob@acme.com", "roleNames": ["member", "NoSuchRole"]})).unwrap_err();
        assert_eq!(code(e), "E011003");
        let e = t.call("users_write", "DeleteUsers", json!({"userIds": ["U-bob", "U-nobody"]})).unwrap_err();
        assert_eq!(code(e), "E062108");
        assert_eq!(t.load("bob@acme.com").unwrap(), before);
    }

    #[test]
    fn delete_cascades_to_credentials_and_devices() {
        let t = T::new();
        assert!(t.doc("trusted_devices", "TD-abc123-laptop").is_some());
        t.call("users_write", "DeleteUser", json!({"loginId": "user_abc123"})).unwrap();
        assert_eq!(code(t.load("user_abc123").unwrap_err()), "E062108");
        assert!(t.doc("trusted_devices", "TD-abc123-laptop").is_none());
        assert!(t.doc("user_passkeys", "PK-abc123-1").is_none());
    }

    #[test]
    fn passwords_are_stored_as_salted_hashes_only() {
        let t = T::new();
        let out = t.call("users_write", "SetUserTemporaryPassword", json!({"loginId": "jane.doe@example.com"})).unwrap();
        let clear = out["cleartext"].as_str().unwrap().to_owned();
        assert_eq!(clear.len(), 16);
        let jane = t.load("jane.doe@example.com").unwrap();
        assert_eq!((jane["password"].clone(), jane["passwordExpired"].clone()), (json!(true), json!(true)));
        assert!(!jane.to_string().contains(&clear));
        let cred = t.doc("user_credentials", "U-jane").unwrap();
        assert!(!cred.to_string().contains(&clear));
        let phc = cred["passwordHash"].as_str().unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        // Verification reads the parameters and salt from the PHC string itself.
        use argon2::PasswordVerifier;
        assert!(Argon2::default().verify_password(clear.as_bytes(), phc).is_ok());
        assert!(Argon2::default().verify_password(b"wrong", phc).is_err());
        // A fresh salt per hash: the same password never gives the same string twice.
        assert_ne!(hash_password(&clear).unwrap(), phc);
    }

    #[test]
    fn search_excludes_test_users_unless_asked() {
        let t = T::new();
        let real = t.call("users_read", "SearchUsers", json!({"text": "qa_", "limit": 1})).unwrap();
        assert_eq!(real["total"], json!(0));
        let with = t.call("users_read", "SearchUsers", json!({"text": "qa_", "withTestUser": true})).unwrap();
        assert!(with["total"].as_u64().unwrap() >= 4);
        let page = t.call("users_read", "SearchUsers", json!({"limit": 7, "page": 1, "sort": [{"field": "createdTime"}]})).unwrap();
        let times: Vec<i64> = page["users"].as_array().unwrap().iter().map(|u| u["createdTime"].as_i64().unwrap()).collect();
        assert_eq!(times.len(), 7);
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn indexed_search_agrees_with_a_full_scan() {
        let t = T::new();
        let all: Vec<Value> = {
            let conn = t.app.store.writer_blocking();
            let pid = conn.principals().find_project(&t.p.company_id, "acme-prod").unwrap().unwrap().id;
            conn.docs().scan(&pid, USERS).unwrap().into_iter().map(|(_, d)| d).collect()
        };
        let ids = |v: &Value| -> Vec<String> {
            let mut out: Vec<String> = v["users"].as_array().unwrap().iter().map(|u| u["userId"].as_str().unwrap().to_owned()).collect();
            out.sort();
            out
        };
        for args in [
            json!({"statuses": ["disabled"], "emails": ["USER00012@customers.example", "bob@acme.com"]}),
            json!({"statuses": ["disabled"]}),
            json!({"tenantIds": ["T-acme"], "tenantRoleNames": ["TenantAdmin"]}),
            json!({"roleNames": ["admin"], "customAttributes": {"employmentType": "contractor"}}),
            json!({"loginIds": ["Alice@Acme.com"], "userIds": ["U-alice", "U-bob"]}),
            json!({"signUpMethods": ["passkey"], "withTestUser": true}),
            json!({"testUsersOnly": true, "text": "qa_"}),
        ] {
            let a = args.as_object().unwrap().clone();
            let mut want: Vec<String> =
                all.iter().filter(|d| matches(&a, d, TestScope::ByArgs)).map(|d| d["userId"].as_str().unwrap().to_owned()).collect();
            want.sort();
            let mut with_limit = args.clone();
            with_limit["limit"] = json!(1000);
            let got = t.call("users_read", "SearchUsers", with_limit).unwrap();
            assert!(!want.is_empty(), "{args}: the demo should have matches");
            assert_eq!(ids(&got), want, "{args}");
        }
    }

    #[test]
    fn writes_refresh_the_index_and_name_the_descoper() {
        let t = T::new();
        t.call("users_write", "UpdateUserStatus", json!({"loginId": "bob@acme.com", "status": "disabled"})).unwrap();
        let found = t.call("users_read", "SearchUsers", json!({"statuses": ["disabled"], "loginIds": ["bob@acme.com"]})).unwrap();
        assert_eq!(found["total"], json!(1), "the status index follows the write");
        let ev = t
            .call("audits_read", "SearchAudit", json!({"userIds": ["U-bob"], "actions": ["UserModified"], "from": t.app.clock.now_ms() - 60_000}))
            .unwrap();
        // The actor is the Descoper's e-mail, as in the demo history and the tenants handlers.
        assert_eq!(ev["audits"][0]["actorId"], json!(t.p.email), "{ev}");
    }
}
