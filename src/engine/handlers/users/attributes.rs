//! User custom attributes: the project's definitions (`user_attributes`: list, create,
//! delete), checking values against them, and setting one value on a user.

use idmcp_macros::operation;
use serde_json::{Map, Value, json};

use crate::catalog::generated::types::users::*;
use crate::engine::Ctx;
use crate::error::ApiError;
use crate::store::docs;

use super::*;

/// Checks custom attribute values against the project's definitions.
pub(super) fn check_custom_attributes(
    ctx: &Ctx,
    attrs: &Map<String, Value>,
) -> Result<(), ApiError> {
    let pid = ctx.project_id()?;
    for (k, v) in attrs {
        let Some(def) = ctx.db().docs().get(pid, ATTRIBUTES, k)? else {
            let names: Vec<String> = ctx
                .db()
                .docs()
                .scan(pid, ATTRIBUTES)?
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            return Err(ApiError::invalid(format!(
                "custom attribute `{k}` is not defined in this project (defined: {}). Define it with CreateUserCustomAttribute first.",
                if names.is_empty() {
                    "none".to_owned()
                } else {
                    names.join(", ")
                }
            )));
        };
        check_attribute_value(k, &def, v)?;
    }
    Ok(())
}

pub(super) fn check_attribute_value(name: &str, def: &Value, v: &Value) -> Result<(), ApiError> {
    if v.is_null() {
        return Ok(());
    }
    let options: Vec<&str> = docs::extract(def, "options[].value")
        .iter()
        .filter_map(|o| o.as_str())
        .collect();
    let ok = match def.get("type").and_then(Value::as_i64).unwrap_or(1) {
        1 => v.is_string(),
        2 | 6 => v.is_number(),
        3 => v.is_boolean(),
        4 => v
            .as_str()
            .is_some_and(|x| options.is_empty() || options.contains(&x)),
        5 => v.as_array().is_some_and(|a| {
            a.iter().all(|x| {
                x.as_str()
                    .is_some_and(|x| options.is_empty() || options.contains(&x))
            })
        }),
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
    Err(ApiError::invalid(format!(
        "custom attribute `{name}` must be {want}, got {v}"
    )))
}

pub(super) fn attribute_list(ctx: &Ctx) -> Result<Value, ApiError> {
    let pid = ctx.project_id()?.to_owned();
    let data: Vec<Value> = ctx
        .db()
        .docs()
        .scan(&pid, ATTRIBUTES)?
        .into_iter()
        .map(|(_, d)| d)
        .collect();
    // The platform reports `total` as a string.
    Ok(json!({"total": data.len().to_string(), "data": data}))
}

#[operation(users::UserCustomAttributes)]
async fn user_custom_attributes(
    ctx: &mut Ctx,
    _input: UserCustomAttributesInput,
) -> Result<UserCustomAttributesOutput, ApiError> {
    out(attribute_list(ctx)?)
}

#[operation(users::CreateUserCustomAttribute)]
async fn create_custom_attribute(
    ctx: &mut Ctx,
    input: CreateUserCustomAttributeInput,
) -> Result<CreateUserCustomAttributeOutput, ApiError> {
    let a = args(&input)?;
    let pid = ctx.project_id()?.to_owned();
    for attr in a
        .get("attributes")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let name = attr.get("name").and_then(Value::as_str).unwrap_or_default();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(ApiError::invalid(format!(
                "attribute name `{name}` is not valid: use letters, digits and underscores (e.g. `onboardingCompleted`)"
            )));
        }
        let ty = attr.get("type").and_then(Value::as_i64).unwrap_or(1);
        if matches!(ty, 4 | 5) && docs::extract(&attr, "options[]").is_empty() {
            return Err(ApiError::invalid(format!(
                "attribute `{name}` is a select (type {ty}) and needs `options`"
            )));
        }
        if let Some(d) = attr.get("defaultValue").filter(|d| !d.is_null()) {
            check_attribute_value(name, &attr, d)?;
        }
        // Creating an existing name replaces its definition, as the platform's create does.
        let mut doc = attr.clone();
        if doc.get("displayName").is_none() {
            doc["displayName"] = json!(name);
        }
        ctx.db().docs().put(
            &pid,
            ATTRIBUTES,
            name,
            &doc,
            ctx.now_secs(),
            crate::engine::indexed_paths(ATTRIBUTES),
        )?;
    }
    out(attribute_list(ctx)?)
}

#[operation(users::DeleteUserCustomAttribute)]
async fn delete_custom_attribute(
    ctx: &mut Ctx,
    input: DeleteUserCustomAttributeInput,
) -> Result<DeleteUserCustomAttributeOutput, ApiError> {
    let pid = ctx.project_id()?.to_owned();
    let unknown: Vec<&String> = input
        .names
        .iter()
        .filter(|n| {
            ctx.db()
                .docs()
                .get(&pid, ATTRIBUTES, n)
                .ok()
                .flatten()
                .is_none()
        })
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::invalid(format!(
            "no user custom attribute named {}; UserCustomAttributes lists the defined ones",
            unknown
                .iter()
                .map(|s| format!("`{s}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    for n in &input.names {
        ctx.db().docs().delete(&pid, ATTRIBUTES, n)?;
    }
    out(attribute_list(ctx)?)
}

#[operation(users::UpdateUserCustomAttribute)]
async fn update_custom_attribute(
    ctx: &mut Ctx,
    input: UpdateUserCustomAttributeInput,
) -> Result<UpdateUserCustomAttributeOutput, ApiError> {
    let mut attrs = Map::new();
    attrs.insert(input.attribute_key.clone(), input.attribute_value.clone());
    check_custom_attributes(ctx, &attrs)?;
    let doc = modify(
        ctx,
        "UpdateUserCustomAttribute",
        Some(&input.login_id),
        None,
        |_, _, doc| {
            if !doc.get("customAttributes").is_some_and(Value::is_object) {
                doc["customAttributes"] = json!({});
            }
            if input.attribute_value.is_null() {
                doc["customAttributes"]
                    .as_object_mut()
                    .map(|m| m.remove(&input.attribute_key));
            } else {
                doc["customAttributes"][&input.attribute_key] = input.attribute_value.clone();
            }
            Ok(())
        },
    )?;
    out(user_out(doc))
}
