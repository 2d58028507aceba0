//! Profile updates: the full replace (UpdateUser) and patch (PatchUser) of a user's fields,
//! the single-field updates (status, login ID, e-mail, phone, name, picture), the recovery
//! e-mail and phone, and the impersonation consent.

use idmcp_macros::operation;
use serde_json::{Map, Value, json};

use crate::catalog::generated::types::users::*;
use crate::engine::Ctx;
use crate::error::ApiError;

use super::*;

pub(super) const PROFILE_TEXT: &[&str] =
    &["name", "givenName", "middleName", "familyName", "picture"];

/// Applies the profile fields of a create/update/patch request. With `replace` (UpdateUser),
/// fields the request leaves out are cleared; otherwise (PatchUser) only given fields change.
pub(super) fn apply_profile(
    ctx: &Ctx,
    doc: &mut Value,
    req: &Map<String, Value>,
    replace: bool,
) -> Result<(), ApiError> {
    let current = doc.clone();
    let obj = doc
        .as_object_mut()
        .ok_or_else(|| ApiError::internal("stored user is not an object"))?;
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
        let t = normalize_tenants(
            ctx,
            v.as_array().map(Vec::as_slice).unwrap_or_default(),
            Some(&current),
        )?;
        obj.insert("userTenants".into(), json!(t));
    } else if replace {
        obj.insert("userTenants".into(), json!([]));
    }
    if let Some(Value::Object(attrs)) = req.get("customAttributes") {
        check_custom_attributes(ctx, attrs)?;
        let mut merged = if replace {
            Map::new()
        } else {
            obj.get("customAttributes")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
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

#[operation(users::UpdateUser)]
async fn update(ctx: &mut Ctx, input: UpdateUserInput) -> Result<UpdateUserOutput, ApiError> {
    let a = args(&input)?;
    let doc = modify(
        ctx,
        "UpdateUser",
        Some(&input.login_id),
        None,
        |ctx, _, doc| apply_profile(ctx, doc, &a, true),
    )?;
    out(user_out(doc))
}

#[operation(users::PatchUser)]
async fn patch(ctx: &mut Ctx, input: PatchUserInput) -> Result<PatchUserOutput, ApiError> {
    let a = args(&input)?;
    let doc = modify(
        ctx,
        "PatchUser",
        Some(&input.login_id),
        None,
        |ctx, _, doc| apply_profile(ctx, doc, &a, false),
    )?;
    out(user_out(doc))
}

#[operation(users::UpdateUserStatus)]
async fn update_status(
    ctx: &mut Ctx,
    input: UpdateUserStatusInput,
) -> Result<UpdateUserStatusOutput, ApiError> {
    let doc = modify(
        ctx,
        "UpdateUserStatus",
        Some(&input.login_id),
        None,
        |_, _, doc| {
            doc["status"] = json!(input.status);
            Ok(())
        },
    )?;
    out(user_out(doc))
}

#[operation(users::UpdateUserLoginID)]
async fn update_login_id(
    ctx: &mut Ctx,
    input: UpdateUserLoginIDInput,
) -> Result<UpdateUserLoginIDOutput, ApiError> {
    let old = input.login_id.clone();
    let new = input.new_login_id.clone().unwrap_or_default();
    let doc = modify(
        ctx,
        "UpdateUserLoginID",
        Some(&input.login_id),
        None,
        |_, _, doc| {
            let mut ids = strings(doc.get("loginIds"));
            let pos = ids.iter().position(|l| l.eq_ignore_ascii_case(&old));
            match (pos, new.is_empty()) {
                (Some(i), true) => {
                    if ids.len() == 1 {
                        return Err(ApiError::invalid(
                            "cannot remove the user's only login ID; add another one first (newLoginId on another login ID, or PatchUser additionalIdentifiers)",
                        ));
                    }
                    ids.remove(i);
                }
                (Some(i), false) => ids[i] = new.clone(),
                // Identified by userId: replace the primary login ID.
                (None, false) => ids[0] = new.clone(),
                (None, true) => {
                    return Err(ApiError::invalid(
                        "pass the login ID to remove as loginId, with an empty newLoginId",
                    ));
                }
            }
            doc["loginIds"] = json!(ids);
            Ok(())
        },
    )?;
    out(user_out(doc))
}

/// E-mail and phone changes share this: optional conflict check, then set value + verified.
pub(super) fn update_contact(
    ctx: &Ctx,
    op: &str,
    login_id: &str,
    field: &str,
    flag: &str,
    value: &str,
    verified: Option<bool>,
    fail_on_conflict: bool,
) -> Result<Value, ApiError> {
    if fail_on_conflict && !value.is_empty() {
        let (me, _) = find_user(ctx, Some(login_id), None)?;
        let pid = ctx.project_id()?;
        for path in [field, "loginIds"] {
            if let Some(other) = ctx
                .db()
                .docs()
                .ids_by_key(pid, USERS, path, &json!(value))?
                .into_iter()
                .find(|o| *o != me)
            {
                return Err(ApiError::conflict(
                    "E062107",
                    format!(
                        "user already exists: `{value}` is already the {field} or login ID of user {other} (failOnConflict is set)"
                    ),
                ));
            }
        }
    }
    modify(ctx, op, Some(login_id), None, |_, _, doc| {
        set_contact(doc, field, flag, value, verified);
        Ok(())
    })
}

#[operation(users::UpdateUserEmail)]
async fn update_email(
    ctx: &mut Ctx,
    input: UpdateUserEmailInput,
) -> Result<UpdateUserEmailOutput, ApiError> {
    let v = input.email.clone().unwrap_or_default();
    out(user_out(update_contact(
        ctx,
        "UpdateUserEmail",
        &input.login_id,
        "email",
        "verifiedEmail",
        &v,
        input.verified,
        input.fail_on_conflict.unwrap_or(false),
    )?))
}

#[operation(users::UpdateUserPhone)]
async fn update_phone(
    ctx: &mut Ctx,
    input: UpdateUserPhoneInput,
) -> Result<UpdateUserPhoneOutput, ApiError> {
    let v = input.phone.clone().unwrap_or_default();
    out(user_out(update_contact(
        ctx,
        "UpdateUserPhone",
        &input.login_id,
        "phone",
        "verifiedPhone",
        &v,
        input.verified,
        input.fail_on_conflict.unwrap_or(false),
    )?))
}

#[operation(users::UpdateUserDisplayName)]
async fn update_name(
    ctx: &mut Ctx,
    input: UpdateUserDisplayNameInput,
) -> Result<UpdateUserDisplayNameOutput, ApiError> {
    let a = args(&input)?;
    let doc = modify(
        ctx,
        "UpdateUserDisplayName",
        Some(&input.login_id),
        None,
        |_, _, doc| {
            for f in ["name", "givenName", "middleName", "familyName"] {
                if let Some(v) = a.get(f) {
                    doc[f] = v.clone();
                }
            }
            Ok(())
        },
    )?;
    out(user_out(doc))
}

#[operation(users::UpdateUserPicture)]
async fn update_picture(
    ctx: &mut Ctx,
    input: UpdateUserPictureInput,
) -> Result<UpdateUserPictureOutput, ApiError> {
    let doc = modify(
        ctx,
        "UpdateUserPicture",
        Some(&input.login_id),
        None,
        |_, _, doc| {
            doc["picture"] = json!(input.picture);
            Ok(())
        },
    )?;
    out(user_out(doc))
}

/// Sets a contact `field` (an empty value removes it) and its verified `flag`, which is true only
/// for a value the caller says is verified.
fn set_contact(doc: &mut Value, field: &str, flag: &str, value: &str, verified: Option<bool>) {
    if value.is_empty() {
        doc.as_object_mut().map(|m| m.remove(field));
    } else {
        doc[field] = json!(value);
    }
    doc[flag] = json!(verified.unwrap_or(false) && !value.is_empty());
}

/// Recovery e-mail and phone share this: set the value (empty removes it) and its verified flag.
/// A recovery contact equal to the primary one of the same kind would recover nothing, so it is
/// refused. The format is the schema's concern (a `pattern` on the input).
fn update_recovery(
    ctx: &Ctx,
    op: &str,
    login_id: &str,
    field: &str,
    flag: &str,
    primary: &str,
    value: &str,
    verified: Option<bool>,
) -> Result<Value, ApiError> {
    modify(ctx, op, Some(login_id), None, |_, _, doc| {
        if !value.is_empty()
            && doc
                .get(primary)
                .and_then(Value::as_str)
                .is_some_and(|p| p.eq_ignore_ascii_case(value))
        {
            return Err(ApiError::invalid(format!(
                "`{value}` is already the user's {primary}; a {field} must be a different one, so that recovery works when the {primary} is lost (pass an empty {field} to remove it)"
            )));
        }
        set_contact(doc, field, flag, value, verified);
        Ok(())
    })
}

#[operation(users::UpdateUserRecoveryEmail)]
async fn update_recovery_email(
    ctx: &mut Ctx,
    input: UpdateUserRecoveryEmailInput,
) -> Result<UpdateUserRecoveryEmailOutput, ApiError> {
    let v = input.recovery_email.clone().unwrap_or_default();
    out(user_out(update_recovery(
        ctx,
        "UpdateUserRecoveryEmail",
        &input.login_id,
        "recoveryEmail",
        "verifiedRecoveryEmail",
        "email",
        &v,
        input.verified,
    )?))
}

#[operation(users::UpdateUserRecoveryPhone)]
async fn update_recovery_phone(
    ctx: &mut Ctx,
    input: UpdateUserRecoveryPhoneInput,
) -> Result<UpdateUserRecoveryPhoneOutput, ApiError> {
    let v = input.recovery_phone.clone().unwrap_or_default();
    out(user_out(update_recovery(
        ctx,
        "UpdateUserRecoveryPhone",
        &input.login_id,
        "recoveryPhone",
        "verifiedRecoveryPhone",
        "phone",
        &v,
        input.verified,
    )?))
}

#[operation(users::UpdateUserImpersonationConsent)]
async fn update_impersonation_consent(
    ctx: &mut Ctx,
    input: UpdateUserImpersonationConsentInput,
) -> Result<UpdateUserImpersonationConsentOutput, ApiError> {
    let doc = modify(
        ctx,
        "UpdateUserImpersonationConsent",
        Some(&input.login_id),
        None,
        |_, _, doc| {
            doc["impersonationConsent"] = json!(input.impersonation_consent);
            Ok(())
        },
    )?;
    out(user_out(doc))
}
