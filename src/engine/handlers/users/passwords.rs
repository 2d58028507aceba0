//! Passwords: Argon2id hashing into PHC strings (in `user_credentials`, never in the user
//! document), generated temporary passwords, and SetUserTemporaryPassword, SetUserActivePassword
//! and ExpireUserPassword.

use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version};
use idmcp_macros::operation;
use rand::RngExt;
use serde_json::{Value, json};

use crate::catalog::generated::types::users::*;
use crate::engine::Ctx;
use crate::error::ApiError;

use super::*;

/// Argon2id cost: the OWASP Password Storage Cheat Sheet minimum (19 MiB of memory, 2 passes,
/// 1 lane). It is memory-hard enough that a leaked store does not give passwords away cheaply,
/// and small enough that a management call (and a debug-build test) hashes in well under a
/// second. Spelled out rather than `Params::default()` so a crate upgrade cannot silently change
/// what new hashes cost; stored PHC strings carry their own parameters either way.
const ARGON2_M_KIB: u32 = 19 * 1024;
const ARGON2_T: u32 = 2;
const ARGON2_P: u32 = 1;

/// The password hasher: Argon2id v1.3 with the costs above.
fn hasher() -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None)
        .map_err(|e| ApiError::internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password into a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) with a
/// fresh random salt from the operating system.
pub(super) fn hash_password(password: &str) -> Result<String, ApiError> {
    let hash = hasher()?
        .hash_password(password.as_bytes())
        .map_err(|e| ApiError::internal(format!("cannot hash the password: {e}")))?;
    Ok(hash.to_string())
}

/// Stores a password hash for `user_id` (never the password) and marks the user as having a
/// password; `temporary` makes the user choose a new one at the next sign-in.
pub(super) fn set_password(
    ctx: &Ctx,
    user_id: &str,
    doc: &mut Value,
    password: &str,
    temporary: bool,
) -> Result<(), ApiError> {
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
    const SETS: [&[u8]; 4] = [
        b"ABCDEFGHJKLMNPQRSTUVWXYZ",
        b"abcdefghijkmnopqrstuvwxyz",
        b"23456789",
        b"!@#$%^&*-_=+",
    ];
    let mut rng = rand::rng();
    let mut chars: Vec<u8> = SETS
        .iter()
        .map(|s| s[rng.random_range(0..s.len())])
        .collect();
    let all: Vec<u8> = SETS.concat();
    while chars.len() < 16 {
        chars.push(all[rng.random_range(0..all.len())]);
    }
    for i in (1..chars.len()).rev() {
        chars.swap(i, rng.random_range(0..=i));
    }
    String::from_utf8(chars).expect("ASCII")
}

#[operation(users::SetUserTemporaryPassword)]
async fn set_temporary_password(
    ctx: &mut Ctx,
    input: SetUserTemporaryPasswordInput,
) -> Result<SetUserTemporaryPasswordOutput, ApiError> {
    let generated = input
        .password
        .as_deref()
        .filter(|p| !p.is_empty())
        .is_none()
        .then(generate_password);
    let password = generated
        .clone()
        .or(input.password.clone())
        .unwrap_or_default();
    modify(
        ctx,
        "SetUserTemporaryPassword",
        Some(&input.login_id),
        None,
        |ctx, id, doc| set_password(ctx, id, doc, &password, true),
    )?;
    out(match generated {
        Some(p) => json!({ "cleartext": p }),
        None => json!({}),
    })
}

#[operation(users::SetUserActivePassword)]
async fn set_active_password(
    ctx: &mut Ctx,
    input: SetUserActivePasswordInput,
) -> Result<SetUserActivePasswordOutput, ApiError> {
    modify(
        ctx,
        "SetUserActivePassword",
        Some(&input.login_id),
        None,
        |ctx, id, doc| set_password(ctx, id, doc, &input.password, false),
    )?;
    out(json!({}))
}

#[operation(users::ExpireUserPassword)]
async fn expire_password(
    ctx: &mut Ctx,
    input: ExpireUserPasswordInput,
) -> Result<ExpireUserPasswordOutput, ApiError> {
    modify(
        ctx,
        "ExpireUserPassword",
        Some(&input.login_id),
        None,
        |ctx, id, doc| {
            if !doc
                .get("password")
                .and_then(Value::as_bool)
                .unwrap_or(false)
            {
                return Err(ApiError::invalid(
                    "the user has no password to expire (password is false); set one with SetUserTemporaryPassword",
                ));
            }
            // Users imported without a hash have the flag but no credential record.
            let pid = ctx.project_id()?;
            if let Some(mut cred) = ctx.db().docs().get(pid, CREDENTIALS, id)? {
                cred["temporary"] = json!(true);
                ctx.put(CREDENTIALS, id, &cred)?;
            }
            doc["passwordExpired"] = json!(true);
            Ok(())
        },
    )?;
    out(json!({}))
}
