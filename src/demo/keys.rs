//! Demo data: Acme's access keys and password policies (use-cases §5.5).
//!
//! The keys tell the stories the auth-key requests need: an active `ci-deploy-bot`, keys by
//! different creators with project and tenant roles, keys that never expire next to keys that
//! do, one inactive and one expired key, keys created before and after a cutoff about six
//! months ago, a read-only key that explains a 403, keys created by and bound to alice, and
//! last-use times (G1) older than 60 days, recent, and never. Password policy: weak for the
//! project (minimum length 6, no lockout) and strict for tenant "Acme Corp".

use rand::RngExt;
use serde_json::{Value, json};

use super::Seed;
use crate::engine::handlers::auth_keys::{KEYS_COLL, PASSWORD_COLL, default_password_settings};
use crate::store::principals::sha256_hex;

const DAY: i64 = 86_400;

/// One planted key; times are days relative to the seeding clock (negative = in the past).
struct KeyCast {
    id: &'static str,
    name: &'static str,
    description: &'static str,
    status: &'static str,
    roles: &'static [&'static str],
    tenants: &'static [(&'static str, &'static [&'static str])],
    created_days_ago: i64,
    /// `None` = never expires; `Some(d)` = expires `d` days from now (negative = expired).
    expires_in_days: Option<i64>,
    created_by: &'static str,
    bound_user: &'static str,
    /// `None` = never used; `Some(h)` = last used `h` hours ago.
    last_used_hours_ago: Option<i64>,
}

const PROD_KEYS: &[KeyCast] = &[
    KeyCast {
        id: "K-ci-deploy",
        name: "ci-deploy-bot",
        description: "Deploys from the CI pipeline",
        status: "active",
        roles: &["editor"],
        tenants: &[],
        created_days_ago: 400,
        expires_in_days: None,
        created_by: "admin@acme.example",
        bound_user: "",
        last_used_hours_ago: Some(2),
    },
    KeyCast {
        id: "K-payments",
        name: "payments-service",
        description: "Payments backend acting in the Acme tenant",
        status: "active",
        roles: &[],
        tenants: &[("T-acme", &["TenantAdmin", "Editor"])],
        created_days_ago: 30,
        expires_in_days: Some(335),
        created_by: "dev@acme.example",
        bound_user: "",
        last_used_hours_ago: Some(40),
    },
    KeyCast {
        // Holds only "viewer": its writes fail with 403 (P053).
        id: "K-reporting",
        name: "reporting-export",
        description: "Nightly reporting export; its write-back step gets 403",
        status: "active",
        roles: &["viewer"],
        tenants: &[],
        created_days_ago: 250,
        expires_in_days: None,
        created_by: "dev@acme.example",
        bound_user: "",
        last_used_hours_ago: Some(95 * 24),
    },
    KeyCast {
        id: "K-legacy-sync",
        name: "legacy-crm-sync",
        description: "Old CRM sync, replaced by the payments service",
        status: "inactive",
        roles: &["member"],
        tenants: &[],
        created_days_ago: 500,
        expires_in_days: None,
        created_by: "admin@acme.example",
        bound_user: "",
        last_used_hours_ago: Some(200 * 24),
    },
    KeyCast {
        id: "K-partner",
        name: "partner-import",
        description: "Partner data import; expired last week",
        status: "active",
        roles: &[],
        tenants: &[("T-acme", &["Viewer"])],
        created_days_ago: 380,
        expires_in_days: Some(-10),
        created_by: "sec@acme.example",
        bound_user: "",
        last_used_hours_ago: Some(70 * 24),
    },
    KeyCast {
        id: "K-alice-cli",
        name: "alice-cli",
        description: "Alice's personal CLI key",
        status: "active",
        roles: &["member"],
        tenants: &[("T-acme", &["Editor"])],
        created_days_ago: 12,
        expires_in_days: Some(78),
        created_by: "alice@acme.com",
        bound_user: "U-alice",
        last_used_hours_ago: Some(3 * 24),
    },
    KeyCast {
        id: "K-notebook",
        name: "data-notebook",
        description: "Analytics notebook acting as Alice",
        status: "active",
        roles: &["viewer"],
        tenants: &[],
        created_days_ago: 45,
        expires_in_days: Some(45),
        created_by: "dev@acme.example",
        bound_user: "U-alice",
        last_used_hours_ago: Some(20 * 24),
    },
    KeyCast {
        id: "K-monitoring",
        name: "monitoring-probe",
        description: "Synthetic monitoring, not wired up yet",
        status: "active",
        roles: &["viewer"],
        tenants: &[],
        created_days_ago: 3,
        expires_in_days: None,
        created_by: "admin@acme.example",
        bound_user: "",
        last_used_hours_ago: None,
    },
];

const STAGING_KEYS: &[KeyCast] = &[KeyCast {
    id: "K-staging-ci",
    name: "staging-ci",
    description: "CI for the staging project",
    status: "active",
    roles: &["admin"],
    tenants: &[],
    created_days_ago: 90,
    expires_in_days: None,
    created_by: "dev@acme.example",
    bound_user: "",
    last_used_hours_ago: Some(5),
}];

/// Prod's weak project-level policy (stored by `project.rs` in the project settings).
pub fn prod_project_password_policy() -> Value {
    let mut p = default_password_settings();
    p["minLength"] = json!(6);
    p["uppercase"] = json!(false);
    p["number"] = json!(false);
    p["lock"] = json!(false);
    p
}

/// Staging's project-level policy: the platform defaults with lockout on.
pub fn staging_project_password_policy() -> Value {
    let mut p = default_password_settings();
    p["lock"] = json!(true);
    p["lockAttempts"] = json!(10);
    p
}

fn key_doc(s: &mut Seed, project: &str, k: &KeyCast) -> Value {
    let now = s.now_secs();
    // A real but unknowable secret: only its hash is stored, as for created keys.
    let secret: String = (0..40)
        .map(|_| char::from(b'a' + s.rng.random_range(0..26u8)))
        .collect();
    json!({
        "id": k.id,
        "name": k.name,
        "description": k.description,
        "status": k.status,
        "roleNames": k.roles,
        "keyTenants": k.tenants.iter().map(|(t, r)| json!({"tenantId": t, "roleNames": r})).collect::<Vec<_>>(),
        "createdTime": now - k.created_days_ago * DAY,
        "expireTime": k.expires_in_days.map(|d| now + d * DAY).unwrap_or(0),
        "createdBy": k.created_by,
        "clientId": project,
        "boundUserId": k.bound_user,
        "customClaims": {},
        "customAttributes": {},
        "permittedIps": [],
        "editable": true,
        "lastUsedTime": k.last_used_hours_ago.map(|h| now - h * 3600).unwrap_or(0),
        "secretHash": sha256_hex(&secret),
    })
}

pub fn seed(s: &mut Seed) -> crate::store::Result<()> {
    let (prod, staging) = (s.prod.clone(), s.staging.clone());
    for (project, keys) in [(&prod, PROD_KEYS), (&staging, STAGING_KEYS)] {
        for k in keys {
            let doc = key_doc(s, project, k);
            s.put(project, KEYS_COLL, k.id, &doc)?;
        }
    }
    // Acme Corp has its own, stricter policy (P023).
    let mut strict = default_password_settings();
    for (k, v) in [
        ("tenantId", json!("T-acme-corp")),
        ("minLength", json!(14)),
        ("nonAlphanumeric", json!(true)),
        ("lock", json!(true)),
        ("lockAttempts", json!(5)),
        ("reuse", json!(true)),
        ("reuseAmount", json!(5)),
        ("expiration", json!(true)),
        ("expirationWeeks", json!(26)),
    ] {
        strict[k] = v;
    }
    s.put(&prod, PASSWORD_COLL, "T-acme-corp", &strict)?;
    Ok(())
}
