//! Demo data: the tenants of Acme Holdings (from [`super::cast::TENANTS`]) with their SSO mode,
//! custom attributes, default roles and session settings, the tenant custom-attribute
//! definitions (G12), one outstanding SSO admin link, and a couple of staging tenants.
//!
//! SSO coverage the connect area builds on (`ssoIds` on the tenant document): Acme and Globex
//! use SAML (Globex enforces SSO), Initech uses OIDC, Stark Industries has two SAML
//! configurations, and every other tenant has no SSO.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::Seed;
use super::cast::TENANTS;

/// Per-tenant demo choices, keyed by the cast's tenant ID.
struct TenantPlan {
    id: &'static str,
    auth_type: &'static str,
    enforce_sso: bool,
    sso_ids: &'static [&'static str],
    /// `plan` custom attribute; `None` leaves it unset.
    plan: Option<&'static str>,
    region: Option<&'static str>,
    default_roles: &'static [&'static str],
    age_days: i64,
}

const PLANS: &[TenantPlan] = &[
    TenantPlan {
        id: "T-acme",
        auth_type: "saml",
        enforce_sso: false,
        sso_ids: &["sso-acme-okta"],
        plan: Some("enterprise"),
        region: Some("us"),
        default_roles: &["Viewer"],
        age_days: 400,
    },
    TenantPlan {
        id: "T-acme-holdings",
        auth_type: "none",
        enforce_sso: false,
        sso_ids: &[],
        plan: Some("enterprise"),
        region: Some("us"),
        default_roles: &["Viewer"],
        age_days: 200,
    },
    TenantPlan {
        id: "T-acme-corp",
        auth_type: "none",
        enforce_sso: false,
        sso_ids: &[],
        plan: Some("pro"),
        region: Some("eu"),
        default_roles: &[],
        age_days: 330,
    },
    TenantPlan {
        id: "T-acme-inc",
        auth_type: "none",
        enforce_sso: false,
        sso_ids: &[],
        plan: Some("free"),
        region: None,
        default_roles: &[],
        age_days: 45,
    },
    TenantPlan {
        id: "T-globex",
        auth_type: "saml",
        enforce_sso: true,
        sso_ids: &["sso-globex-adfs"],
        plan: Some("enterprise"),
        region: Some("eu"),
        default_roles: &["viewer"],
        age_days: 380,
    },
    TenantPlan {
        id: "T-initech",
        auth_type: "oidc",
        enforce_sso: false,
        sso_ids: &["sso-initech-google"],
        plan: Some("pro"),
        region: Some("us"),
        default_roles: &[],
        age_days: 300,
    },
    TenantPlan {
        id: "T-umbrella",
        auth_type: "none",
        enforce_sso: false,
        sso_ids: &[],
        plan: None,
        region: None,
        default_roles: &[],
        age_days: 260,
    },
    TenantPlan {
        id: "T-hooli",
        auth_type: "none",
        enforce_sso: false,
        sso_ids: &[],
        plan: Some("free"),
        region: Some("us"),
        default_roles: &["member"],
        age_days: 120,
    },
    TenantPlan {
        id: "T-stark",
        auth_type: "saml",
        enforce_sso: false,
        sso_ids: &["sso-stark-okta", "sso-stark-entra"],
        plan: Some("enterprise"),
        region: Some("us"),
        default_roles: &[],
        age_days: 150,
    },
    TenantPlan {
        id: "T-wayne",
        auth_type: "none",
        enforce_sso: false,
        sso_ids: &[],
        plan: Some("pro"),
        region: Some("us"),
        default_roles: &[],
        age_days: 90,
    },
    TenantPlan {
        id: "T-empty",
        auth_type: "none",
        enforce_sso: false,
        sso_ids: &[],
        plan: Some("free"),
        region: None,
        default_roles: &[],
        age_days: 20,
    },
];

/// Tenant custom-attribute definitions (G12). `plan` must exist so writes can set it.
fn attribute_defs() -> Vec<Value> {
    vec![
        json!({
            "name": "plan", "displayName": "Plan", "type": 4,
            "options": [{"value": "free", "label": "Free"}, {"value": "pro", "label": "Pro"}, {"value": "enterprise", "label": "Enterprise"}],
            "defaultValue": "", "viewPermissions": [], "editPermissions": [], "editable": true,
        }),
        json!({
            "name": "region", "displayName": "Data region", "type": 1, "options": [],
            "defaultValue": "", "viewPermissions": [], "editPermissions": [], "editable": true,
        }),
    ]
}

/// Session settings: most tenants follow the project; a few override it.
fn settings_for(id: &str) -> Value {
    // Start from what an unconfigured tenant reports, so the two never disagree.
    let mut s = crate::engine::handlers::tenants::default_settings();
    match id {
        // Strict enterprise customer: short sessions, idle timeout, no JIT provisioning.
        "T-globex" => {
            s["enabled"] = json!(true);
            s["refreshTokenExpiration"] = json!(1);
            s["refreshTokenExpirationUnit"] = json!("days");
            s["sessionTokenExpiration"] = json!(5);
            s["enableInactivity"] = json!(true);
            s["inactivityTime"] = json!(30);
            s["JITDisabled"] = json!(true);
            s["ssoSetupSuiteSettings"]["enabled"] = json!(true);
        }
        "T-acme" => {
            s["enabled"] = json!(true);
            s["refreshTokenExpiration"] = json!(14);
            s["refreshTokenExpirationUnit"] = json!("days");
            s["sessionTokenExpiration"] = json!(15);
            s["ssoSetupSuiteSettings"]["enabled"] = json!(true);
            s["ssoSetupSuiteSettings"]["disabledFeatures"]["scim"] = json!(true);
        }
        "T-acme-corp" => {
            s["enabled"] = json!(true);
            s["refreshTokenExpiration"] = json!(7);
            s["refreshTokenExpirationUnit"] = json!("days");
            s["enableInactivity"] = json!(true);
            s["inactivityTime"] = json!(2);
            s["inactivityTimeUnit"] = json!("hours");
        }
        "T-stark" => {
            s["enabled"] = json!(true);
            s["sessionTokenExpiration"] = json!(1);
            s["sessionTokenExpirationUnit"] = json!("hours");
            s["ssoSetupSuiteSettings"]["enabled"] = json!(true);
        }
        _ => {}
    }
    s
}

fn tenant_doc(id: &str, name: &str, domain: &str, p: &TenantPlan, created: i64) -> Value {
    let mut attrs = serde_json::Map::new();
    if let Some(plan) = p.plan {
        attrs.insert("plan".into(), json!(plan));
    }
    if let Some(region) = p.region {
        attrs.insert("region".into(), json!(region));
    }
    json!({
        "id": id,
        "name": name,
        "selfProvisioningDomains": [domain],
        // SSO domains exist only where SSO is configured.
        "domains": if p.sso_ids.is_empty() { vec![] } else { vec![domain] },
        "customAttributes": attrs,
        "authType": p.auth_type,
        "disabled": false,
        "enforceSSO": p.enforce_sso,
        "enforceSSOExclusions": [],
        "federatedAppIds": [],
        "parent": "",
        "successors": [],
        "defaultRoles": p.default_roles,
        "roleInheritance": "",
        "createdTime": created,
        "ssoIds": p.sso_ids,
    })
}

pub fn seed(s: &mut Seed) -> crate::store::Result<()> {
    let day = 86_400;
    let now = s.now_secs();
    let (prod, staging) = (s.prod.clone(), s.staging.clone());

    for project in [&prod, &staging] {
        for def in attribute_defs() {
            let name = def["name"].as_str().unwrap_or_default().to_owned();
            s.put(project, "tenant_custom_attributes", &name, &def)?;
        }
    }

    for t in TENANTS {
        let plan = PLANS
            .iter()
            .find(|p| p.id == t.id)
            .expect("every cast tenant has a demo plan");
        s.put(
            &prod,
            "tenants",
            t.id,
            &tenant_doc(t.id, t.name, t.domain, plan, now - plan.age_days * day),
        )?;
        s.put(&prod, "tenant_settings", t.id, &settings_for(t.id))?;
    }

    // One outstanding SSO setup link for Acme, generated three days ago for its IT admin. The
    // token itself is not kept (only its hash), as for every link idmcp generates.
    let token_hash = hex::encode(Sha256::digest(b"demo-acme-sso-admin-link"));
    s.put(
        &prod,
        "tenant_admin_links",
        "AL-acme-demo",
        &json!({
            "id": "AL-acme-demo", "tenantId": "T-acme", "ssoId": "sso-acme-okta", "email": "it-admin@acme.com",
            "tokenHash": token_hash, "createdTime": now - 3 * day, "expireTime": now + 4 * day,
            "revoked": false, "revokedTime": 0,
        }),
    )?;

    // Staging: a copy of Acme without SSO, and a sandbox tenant that exists only there.
    let acme = PLANS
        .iter()
        .find(|p| p.id == "T-acme")
        .expect("Acme has a plan");
    let mut acme_staging = tenant_doc("T-acme", "Acme", "acme.com", acme, now - 60 * day);
    acme_staging["authType"] = json!("none");
    acme_staging["ssoIds"] = json!([]);
    acme_staging["domains"] = json!([]);
    s.put(&staging, "tenants", "T-acme", &acme_staging)?;
    s.put(
        &staging,
        "tenant_settings",
        "T-acme",
        &settings_for("T-default"),
    )?;
    let sandbox = TenantPlan {
        id: "T-qa-sandbox",
        auth_type: "none",
        enforce_sso: false,
        sso_ids: &[],
        plan: Some("free"),
        region: None,
        default_roles: &[],
        age_days: 30,
    };
    s.put(
        &staging,
        "tenants",
        "T-qa-sandbox",
        &tenant_doc(
            "T-qa-sandbox",
            "QA Sandbox",
            "qa-sandbox.example",
            &sandbox,
            now - 30 * day,
        ),
    )?;
    s.put(
        &staging,
        "tenant_settings",
        "T-qa-sandbox",
        &settings_for("T-default"),
    )?;
    Ok(())
}
