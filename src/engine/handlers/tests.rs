//! Handlers of the `tests` operations: test users (search, create, delete one or all) and the
//! one-time codes and links generated for them instead of being delivered.
//!
//! Only users with `test: true` are accepted here, so these operations can never sign in, hand
//! out codes for, or delete a real user. Generated codes and link tokens are stored in
//! `test_codes` as keyed hashes with an expiry, so they can be verified but not read back.

use hmac::{Hmac, KeyInit, Mac};
use idmcp_macros::operation;
use rand::RngExt;
use serde_json::{Map, Value, json};
use sha2::Sha256;

use super::users::{self, TestScope, args, out};
use crate::catalog::generated::types::tests::*;
use crate::engine::Ctx;
use crate::error::ApiError;
use crate::store::principals::new_id;

const CODES: &str = "test_codes";
const OTP_TTL_SECS: i64 = 300;
const LINK_TTL_SECS: i64 = 600;

/// The test user behind `login_id`, or a refusal if it is a real user.
fn test_user(
    ctx: &Ctx,
    login_id: Option<&str>,
    user_id: Option<&str>,
) -> Result<(String, Value), ApiError> {
    let (id, doc) = users::find_user(ctx, login_id, user_id)?;
    if !doc.get("test").and_then(Value::as_bool).unwrap_or(false) {
        let who = login_id.or(user_id).unwrap_or_default();
        return Err(ApiError::invalid(format!(
            "`{who}` is a real user, not a test user: test operations only accept users created with CreateTestUser (test: true). Use the users_write tool for real users."
        )));
    }
    Ok((id, doc))
}

fn keyed_hash(salt: &[u8], secret: &str) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(salt).expect("HMAC takes keys of any length");
    mac.update(secret.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    hex::encode(buf)
}

/// Stores a generated secret (hashed) for the user, replacing the user's previous one of the
/// same kind, and records the generation as an audit event.
fn store_code(
    ctx: &Ctx,
    user_id: &str,
    user: &Value,
    kind: &str,
    secret: &str,
    ttl: i64,
    extra: Map<String, Value>,
) -> Result<(), ApiError> {
    let pid = ctx.project_id()?.to_owned();
    for old in ctx
        .db()
        .docs()
        .ids_by_key(&pid, CODES, "userId", &json!(user_id))?
    {
        if ctx
            .db()
            .docs()
            .get(&pid, CODES, &old)?
            .is_some_and(|d| d.get("kind").and_then(Value::as_str) == Some(kind))
        {
            ctx.db().docs().delete(&pid, CODES, &old)?;
        }
    }
    let mut salt = [0u8; 16];
    rand::rng().fill(&mut salt);
    let mut doc = json!({
        "id": new_id("TC"),
        "userId": user_id,
        "kind": kind,
        "salt": hex::encode(salt),
        "secretHash": keyed_hash(&salt, secret),
        "createdTime": ctx.now_secs(),
        "expiresTime": ctx.now_secs() + ttl,
    });
    for (k, v) in extra {
        doc[k] = v;
    }
    let id = doc["id"].as_str().unwrap_or_default().to_owned();
    ctx.put(CODES, &id, &doc)?;
    let mut data = json!({"kind": kind, "expiresTime": doc["expiresTime"]});
    for k in ["deliveryMethod", "redirectUrl"] {
        if let Some(v) = doc.get(k) {
            data[k] = v.clone();
        }
    }
    users::audit(
        ctx,
        &format!("TestUser{}Generated", kind_label(kind)),
        user,
        data,
    )
}

fn kind_label(kind: &str) -> &'static str {
    match kind {
        "otp" => "OTP",
        "magiclink" => "MagicLink",
        _ => "EnchantedLink",
    }
}

fn link_with_token(base: &str, token: &str) -> String {
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}t={token}")
}

#[operation(tests::SearchTestUsers)]
async fn search_test_users(
    ctx: &mut Ctx,
    input: SearchTestUsersInput,
) -> Result<SearchTestUsersOutput, ApiError> {
    out(users::search(ctx, &args(&input)?, TestScope::Only)?)
}

#[operation(tests::CreateTestUser)]
async fn create_test_user(
    ctx: &mut Ctx,
    input: CreateTestUserInput,
) -> Result<CreateTestUserOutput, ApiError> {
    let a = args(&input)?;
    let doc = users::create_user(ctx, &a, true, input.invite.unwrap_or(false))?;
    out(json!({ "user": doc }))
}

#[operation(tests::DeleteUser)]
async fn delete_test_user(
    ctx: &mut Ctx,
    input: DeleteUserInput,
) -> Result<DeleteUserOutput, ApiError> {
    let (id, doc) = test_user(ctx, input.login_id.as_deref(), input.user_id.as_deref())?;
    users::delete_user_record(ctx, &id, &doc)?;
    out(json!({}))
}

#[operation(tests::DeleteAllTestUsers)]
async fn delete_all_test_users(
    ctx: &mut Ctx,
    _input: DeleteAllTestUsersInput,
) -> Result<DeleteAllTestUsersOutput, ApiError> {
    let pid = ctx.project_id()?.to_owned();
    for id in ctx
        .db()
        .docs()
        .ids_by_key(&pid, users::USERS, "test", &json!(true))?
    {
        if let Some(doc) = ctx.db().docs().get(&pid, users::USERS, &id)? {
            // The key index and the document agree, but only the document decides.
            if doc.get("test").and_then(Value::as_bool) == Some(true) {
                users::delete_user_record(ctx, &id, &doc)?;
            }
        }
    }
    out(json!({}))
}

#[operation(tests::GenerateOTPForTestUser)]
async fn generate_otp(
    ctx: &mut Ctx,
    input: GenerateOTPForTestUserInput,
) -> Result<GenerateOTPForTestUserOutput, ApiError> {
    let (id, user) = test_user(ctx, Some(&input.login_id), None)?;
    let method = input.delivery_method.as_str();
    let (field, what) = if method == "email" {
        ("email", "an e-mail")
    } else {
        ("phone", "a phone")
    };
    if user
        .get(field)
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(ApiError::invalid(format!(
            "test user `{}` has no {field}, so a code cannot go out by {method}: give the user {what} (users_write PatchUser) or pick another deliveryMethod",
            input.login_id
        )));
    }
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    let mut extra = Map::new();
    extra.insert("deliveryMethod".into(), json!(method));
    extra.insert(
        "loginOptions".into(),
        input
            .login_options
            .clone()
            .map(Value::Object)
            .unwrap_or(json!({})),
    );
    store_code(ctx, &id, &user, "otp", &code, OTP_TTL_SECS, extra)?;
    out(json!({"loginId": input.login_id, "code": code}))
}

#[operation(tests::GenerateMagicLinkForTestUser)]
async fn generate_magic_link(
    ctx: &mut Ctx,
    input: GenerateMagicLinkForTestUserInput,
) -> Result<GenerateMagicLinkForTestUserOutput, ApiError> {
    let (id, user) = test_user(ctx, Some(&input.login_id), None)?;
    let token = random_token(32);
    let mut extra = Map::new();
    extra.insert(
        "deliveryMethod".into(),
        json!(
            input
                .delivery_method
                .clone()
                .unwrap_or_else(|| "email".into())
        ),
    );
    extra.insert("redirectUrl".into(), json!(input.redirect_url));
    extra.insert(
        "loginOptions".into(),
        input
            .login_options
            .clone()
            .map(Value::Object)
            .unwrap_or(json!({})),
    );
    store_code(ctx, &id, &user, "magiclink", &token, LINK_TTL_SECS, extra)?;
    out(json!({"loginId": input.login_id, "link": link_with_token(&input.redirect_url, &token)}))
}

#[operation(tests::GenerateEnchantedLinkForTestUser)]
async fn generate_enchanted_link(
    ctx: &mut Ctx,
    input: GenerateEnchantedLinkForTestUserInput,
) -> Result<GenerateEnchantedLinkForTestUserOutput, ApiError> {
    let (id, user) = test_user(ctx, Some(&input.login_id), None)?;
    let token = random_token(32);
    let pending_ref = random_token(16);
    let mut extra = Map::new();
    extra.insert("redirectUrl".into(), json!(input.redirect_url));
    extra.insert("pendingRef".into(), json!(pending_ref));
    extra.insert(
        "loginOptions".into(),
        input
            .login_options
            .clone()
            .map(Value::Object)
            .unwrap_or(json!({})),
    );
    store_code(
        ctx,
        &id,
        &user,
        "enchantedlink",
        &token,
        LINK_TTL_SECS,
        extra,
    )?;
    out(
        json!({"loginId": input.login_id, "link": link_with_token(&input.redirect_url, &token), "pendingRef": pending_ref}),
    )
}

#[cfg(test)]
mod unit {
    //! Test codes are real and verifiable; real users are never touched.
    use super::*;
    use crate::testkit;

    #[test]
    fn otp_is_stored_hashed_and_delete_all_spares_real_users() {
        let dir = tempfile::tempdir().unwrap();
        let (app, p) = testkit::demo_app(dir.path());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let call = |tool: &str, op: &str, a: Value| {
            rt.block_on(crate::testkit::run_direct(&app, &p, tool, op, a))
        };

        let out = call(
            "tests_write",
            "GenerateOTPForTestUser",
            json!({"loginId": "qa_test_user@example.com", "deliveryMethod": "email"}),
        )
        .unwrap();
        let code = out["code"].as_str().unwrap().to_owned();
        assert!(code.len() == 6 && code.chars().all(|c| c.is_ascii_digit()));
        {
            let conn = app.store.writer_blocking();
            let pid = conn
                .principals()
                .find_project(&p.company_id, "acme-prod")
                .unwrap()
                .unwrap()
                .id;
            let ids = conn
                .docs()
                .ids_by_key(&pid, CODES, "userId", &json!("U-qa"))
                .unwrap();
            assert_eq!(ids.len(), 1);
            let doc = conn.docs().get(&pid, CODES, &ids[0]).unwrap().unwrap();
            assert!(!doc.to_string().contains(&format!("\"{code}\"")));
            let salt = hex::decode(doc["salt"].as_str().unwrap()).unwrap();
            assert_eq!(doc["secretHash"], json!(keyed_hash(&salt, &code)));
            assert!(doc["expiresTime"].as_i64().unwrap() > doc["createdTime"].as_i64().unwrap());
        }

        let before =
            call("users_read", "SearchUsers", json!({"limit": 1})).unwrap()["total"].clone();
        call("tests_write", "DeleteAllTestUsers", json!({})).unwrap();
        let left = call("tests_read", "SearchTestUsers", json!({})).unwrap();
        assert_eq!(left["total"], json!(0));
        assert_eq!(
            call("users_read", "SearchUsers", json!({"limit": 1})).unwrap()["total"],
            before
        );
    }
}
