//! Looking users up, storing them and recording audit events: the helpers every users
//! handler (and the `tests` area's) builds on, plus the JSON glue between typed inputs/outputs and
//! the `User` documents.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::engine::Ctx;
use crate::error::ApiError;
use crate::store::{docs, events};

use super::*;

/// Decodes a handler's JSON result into its generated output type. A failure here is a bug in
/// the handler or a stored document that does not fit the schema, never the caller's fault.
pub(crate) fn out<T: DeserializeOwned>(v: Value) -> Result<T, ApiError> {
    serde_json::from_value(v)
        .map_err(|e| ApiError::internal(format!("the result does not fit the output schema: {e}")))
}

/// The typed input as a JSON object (absent optionals are left out).
pub(crate) fn args<T: serde::Serialize>(input: &T) -> Result<Map<String, Value>, ApiError> {
    match serde_json::to_value(input)
        .map_err(|e| ApiError::internal(format!("cannot read the arguments: {e}")))?
    {
        Value::Object(m) => Ok(m),
        _ => Ok(Map::new()),
    }
}

pub(super) fn s<'a>(m: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    m.get(k).and_then(Value::as_str).filter(|v| !v.is_empty())
}

pub(super) fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn user_not_found(what: &str) -> ApiError {
    ApiError::not_found(
        "E062108",
        format!(
            "user not found: no user with {what} in this project. Check the spelling, or find the user with users_read SearchUsers (`text` matches names, e-mails and login IDs)."
        ),
    )
}

/// Finds a user by login ID (any of `loginIds`, case-insensitive; a userId is accepted too,
/// as the platform does) or by user ID.
pub(crate) fn find_user(
    ctx: &Ctx,
    login_id: Option<&str>,
    user_id: Option<&str>,
) -> Result<(String, Value), ApiError> {
    if let Some(l) = login_id.filter(|l| !l.is_empty()) {
        if let Some(found) = ctx.find(USERS, "loginIds", &json!(l))? {
            return Ok(found);
        }
        return ctx
            .find(USERS, "userId", &json!(l))?
            .ok_or_else(|| user_not_found(&format!("loginId `{l}`")));
    }
    if let Some(u) = user_id.filter(|u| !u.is_empty()) {
        return ctx
            .find(USERS, "userId", &json!(u))?
            .ok_or_else(|| user_not_found(&format!("userId `{u}`")));
    }
    Err(ApiError::missing(
        "a loginId (or userId) is required to identify the user",
    ))
}

/// Appends a platform audit event about `user`, with the calling Descoper as actor.
pub(crate) fn audit(ctx: &Ctx, action: &str, user: &Value, data: Value) -> Result<(), ApiError> {
    let tenants = docs::extract(user, "userTenants[].tenantId")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let e = events::Event {
        project_id: ctx.project_id()?.to_owned(),
        occurred: ctx.now_ms,
        action: action.to_owned(),
        kind: "info".into(),
        actor_id: ctx.principal.email.clone(),
        user_id: user
            .get("userId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        login_id: docs::extract(user, "loginIds")
            .first()
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned(),
        method: "management".into(),
        tenants,
        data,
        ..Default::default()
    };
    ctx.db().events().insert(&e)?;
    Ok(())
}

/// Stores a user after checking that none of its login IDs belongs to another user.
pub(super) fn save_user(ctx: &Ctx, id: &str, doc: &mut Value) -> Result<(), ApiError> {
    let pid = ctx.project_id()?.to_owned();
    for l in strings(doc.get("loginIds")) {
        let others = ctx
            .db()
            .docs()
            .ids_by_key(&pid, USERS, "loginIds", &json!(l))?;
        if let Some(other) = others.iter().find(|o| o.as_str() != id) {
            return Err(ApiError::conflict(
                "E062107",
                format!(
                    "user already exists: login ID `{l}` already belongs to user {other}. Login IDs are unique per project; load that user with LoadUser, or pick another login ID."
                ),
            ));
        }
    }
    doc["externalIds"] = doc.get("loginIds").cloned().unwrap_or_else(|| json!([]));
    doc["modifiedTime"] = json!(ctx.now_secs());
    ctx.put(USERS, id, doc)
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
        .map(|m| {
            m.iter()
                .filter(|(k, v)| k.as_str() != "modifiedTime" && before.get(k.as_str()) != Some(*v))
                .map(|(k, _)| k)
                .collect()
        })
        .unwrap_or_default();
    audit(
        ctx,
        "UserModified",
        &doc,
        json!({"operation": op, "changedFields": changed}),
    )?;
    Ok(doc)
}

pub(super) fn user_out(doc: Value) -> Value {
    json!({ "user": doc })
}
