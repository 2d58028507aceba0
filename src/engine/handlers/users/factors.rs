//! Other sign-in factors and sessions: passkeys (`user_passkeys`), TOTP, trusted devices
//! (`trusted_devices`) and signing a user out everywhere.
//!
//! A passkey is one `user_passkeys` document keyed by its credential ID, holding the owner's
//! `userId`; the user document only carries the `webauthn` flag (at least one passkey).

use idmcp_macros::operation;
use serde_json::json;

use crate::catalog::generated::types::users::*;
use crate::engine::Ctx;
use crate::error::ApiError;

use super::*;

#[operation(users::ListUserPasskeys)]
async fn list_user_passkeys(
    ctx: &mut Ctx,
    input: ListUserPasskeysInput,
) -> Result<ListUserPasskeysOutput, ApiError> {
    let (id, _) = find_user(ctx, Some(&input.login_id), None)?;
    let pid = ctx.project_id()?.to_owned();
    let mut passkeys = Vec::new();
    for d in ctx
        .db()
        .docs()
        .ids_by_key(&pid, PASSKEYS, "userId", &json!(id))?
    {
        if let Some(mut doc) = ctx.db().docs().get(&pid, PASSKEYS, &d)? {
            if let Some(m) = doc.as_object_mut() {
                m.remove("userId");
            }
            passkeys.push(doc);
        }
    }
    out(json!({ "passkeys": passkeys }))
}

#[operation(users::RemoveUserPasskeys)]
async fn remove_passkeys(
    ctx: &mut Ctx,
    input: RemoveUserPasskeysInput,
) -> Result<RemoveUserPasskeysOutput, ApiError> {
    modify(
        ctx,
        "RemoveUserPasskeys",
        Some(&input.login_id),
        None,
        |ctx, id, doc| {
            let pid = ctx.project_id()?.to_owned();
            for k in ctx
                .db()
                .docs()
                .ids_by_key(&pid, PASSKEYS, "userId", &json!(id))?
            {
                ctx.db().docs().delete(&pid, PASSKEYS, &k)?;
            }
            doc["webauthn"] = json!(false);
            Ok(())
        },
    )?;
    out(json!({}))
}

#[operation(users::RemoveUserTOTP)]
async fn remove_totp(
    ctx: &mut Ctx,
    input: RemoveUserTOTPInput,
) -> Result<RemoveUserTOTPOutput, ApiError> {
    modify(
        ctx,
        "RemoveUserTOTP",
        Some(&input.login_id),
        None,
        |_, _, doc| {
            doc["TOTP"] = json!(false);
            Ok(())
        },
    )?;
    out(json!({}))
}

#[operation(users::ListTrustedDevicesForUsers)]
async fn list_trusted_devices(
    ctx: &mut Ctx,
    input: ListTrustedDevicesForUsersInput,
) -> Result<ListTrustedDevicesForUsersOutput, ApiError> {
    let pid = ctx.project_id()?.to_owned();
    let mut devices = Vec::new();
    for ident in &input.identifiers {
        let (id, _) = find_user(ctx, Some(ident), None)?;
        for d in ctx
            .db()
            .docs()
            .ids_by_key(&pid, DEVICES, "userId", &json!(id))?
        {
            if let Some(doc) = ctx.db().docs().get(&pid, DEVICES, &d)? {
                devices.push(doc);
            }
        }
    }
    devices.sort_by(|a, b| cmp_values(b.get("lastLoginTime"), a.get("lastLoginTime")));
    out(json!({ "devices": devices }))
}

#[operation(users::UpdateUserRemoveTrustedDevices)]
async fn remove_trusted_devices(
    ctx: &mut Ctx,
    input: UpdateUserRemoveTrustedDevicesInput,
) -> Result<UpdateUserRemoveTrustedDevicesOutput, ApiError> {
    let (id, doc) = find_user(ctx, Some(&input.login_id), None)?;
    let pid = ctx.project_id()?.to_owned();
    let mine = ctx
        .db()
        .docs()
        .ids_by_key(&pid, DEVICES, "userId", &json!(id))?;
    let wanted = input.device_ids.clone().unwrap_or_default();
    let unknown: Vec<&String> = wanted.iter().filter(|d| !mine.contains(d)).collect();
    if !unknown.is_empty() {
        return Err(ApiError::invalid(format!(
            "device(s) {} are not trusted devices of this user; ListTrustedDevicesForUsers shows theirs (or pass no deviceIds to remove all)",
            unknown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let remove: Vec<String> = if wanted.is_empty() { mine } else { wanted };
    for d in &remove {
        ctx.db().docs().delete(&pid, DEVICES, d)?;
    }
    audit(
        ctx,
        "UserModified",
        &doc,
        json!({"operation": "UpdateUserRemoveTrustedDevices", "removedDevices": remove}),
    )?;
    out(json!({}))
}

#[operation(users::LogoutAllUserDevices)]
async fn logout_all(
    ctx: &mut Ctx,
    input: LogoutAllUserDevicesInput,
) -> Result<LogoutAllUserDevicesOutput, ApiError> {
    let (_, doc) = find_user(ctx, input.login_id.as_deref(), input.user_id.as_deref())?;
    // There are no end-user sessions in the embedded store; the revocation is recorded as the
    // platform records it, so audit search and auth history show when and by whom.
    audit(
        ctx,
        "LogoutAllUserDevices",
        &doc,
        json!({"sessionTypes": input.session_types.clone().unwrap_or_default()}),
    )?;
    out(json!({}))
}

#[operation(users::RemoveUserPasskey)]
async fn remove_passkey(
    ctx: &mut Ctx,
    input: RemoveUserPasskeyInput,
) -> Result<RemoveUserPasskeyOutput, ApiError> {
    let (id, mut doc) = find_user(ctx, Some(&input.login_id), None)?;
    let pid = ctx.project_id()?.to_owned();
    // Only the user's own passkeys count: naming another user's passkey must not remove it.
    let mine = ctx
        .db()
        .docs()
        .ids_by_key(&pid, PASSKEYS, "userId", &json!(id))?;
    if !mine.contains(&input.credential_id) {
        return Err(ApiError::not_found(
            "E011004",
            format!(
                "passkey not found: user {id} has no passkey `{}` (theirs: {}). Pass an `id` from users_read ListUserPasskeys for this user.",
                input.credential_id,
                if mine.is_empty() {
                    "none".to_owned()
                } else {
                    mine.join(", ")
                }
            ),
        ));
    }
    ctx.db()
        .docs()
        .delete(&pid, PASSKEYS, &input.credential_id)?;
    // `webauthn` says whether the user has at least one passkey, so it stays while others remain.
    if mine.len() == 1 {
        doc["webauthn"] = json!(false);
    }
    save_user(ctx, &id, &mut doc)?;
    audit(
        ctx,
        "UserModified",
        &doc,
        json!({"operation": "RemoveUserPasskey", "removedPasskey": input.credential_id}),
    )?;
    out(json!({}))
}
