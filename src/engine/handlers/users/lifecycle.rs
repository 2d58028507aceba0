//! Creating and deleting single users (CreateUser, DeleteUser) and the record logic the batch
//! and test-user operations share: a new user's defaults, and the cascade a deletion runs.

use idmcp_macros::operation;
use serde_json::{Map, Value, json};

use crate::catalog::generated::types::users::*;
use crate::engine::Ctx;
use crate::error::ApiError;

use super::*;
use crate::store::principals::new_id;

/// Builds and stores a new user from a create request; `test` marks a test user.
pub(crate) fn create_user(
    ctx: &Ctx,
    req: &Map<String, Value>,
    test: bool,
    invite: bool,
) -> Result<Value, ApiError> {
    let Some(login_id) = s(req, "loginId") else {
        return Err(ApiError::missing(
            "loginId is required: the e-mail, phone or username the user signs in with",
        ));
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
        if let Some(d) = def
            .get("defaultValue")
            .filter(|d| !d.is_null() && d.as_str() != Some(""))
        {
            if doc["customAttributes"].get(&name).is_none() {
                doc["customAttributes"][&name] = d.clone();
            }
        }
    }
    if let Some(p) = s(req, "password") {
        set_password(ctx, &user_id, &mut doc, p, false)?;
    }
    save_user(ctx, &user_id, &mut doc)?;
    audit(
        ctx,
        "UserCreated",
        &doc,
        json!({"test": test, "invite": invite}),
    )?;
    Ok(doc)
}

/// Deletes a user with every record that belongs to it (credentials, passkeys, devices, test
/// codes), and records UserDeleted.
pub(crate) fn delete_user_record(ctx: &Ctx, id: &str, doc: &Value) -> Result<(), ApiError> {
    let pid = ctx.project_id()?.to_owned();
    ctx.db().docs().delete(&pid, USERS, id)?;
    ctx.db().docs().delete(&pid, CREDENTIALS, id)?;
    for coll in [PASSKEYS, DEVICES, "test_codes"] {
        for d in ctx
            .db()
            .docs()
            .ids_by_key(&pid, coll, "userId", &json!(id))?
        {
            ctx.db().docs().delete(&pid, coll, &d)?;
        }
    }
    audit(
        ctx,
        "UserDeleted",
        doc,
        json!({"test": doc.get("test").cloned().unwrap_or(json!(false))}),
    )
}

#[operation(users::CreateUser)]
async fn create(ctx: &mut Ctx, input: CreateUserInput) -> Result<CreateUserOutput, ApiError> {
    let a = args(&input)?;
    let invite = input.invite.unwrap_or(false);
    let test = input.test.unwrap_or(false);
    out(user_out(create_user(ctx, &a, test, invite)?))
}

#[operation(users::DeleteUser)]
async fn delete(ctx: &mut Ctx, input: DeleteUserInput) -> Result<DeleteUserOutput, ApiError> {
    let (id, doc) = find_user(ctx, input.login_id.as_deref(), input.user_id.as_deref())?;
    delete_user_record(ctx, &id, &doc)?;
    out(json!({}))
}
