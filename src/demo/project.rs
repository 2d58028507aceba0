//! Demo data: Acme's project settings and IP/text lists (use-cases §5.1, §5.7).
//!
//! Prod carries the risky settings security reviews should find (a refresh token living 26
//! weeks, a wildcard approved domain and redirect URL, the weak password policy from
//! [`super::keys`]) and differs from staging in its session-token lifetime (planted drift).
//! Lists: an IP list holding 203.0.113.0/24 next to one that does not, and a text list of
//! blocked e-mail domains. All of it is what ExportSnapshot returns.
//!
//! JWT templates (§5.7, P011): prod has a valid Hasura template and a draft partner-portal
//! template with real problems for ValidateJwtTemplate to find: it overrides `sub` without
//! `overrideSubject` and sets `exp`, names an undefined custom attribute (`partnerTier`) and an
//! unknown user field (`fullName`), leaves a dynamic value unclosed, and has two claims that
//! differ only in case.

use serde_json::{Value, json};

use super::Seed;
use super::keys::{prod_project_password_policy, staging_project_password_policy};
use crate::engine::handlers::auth_keys::PROJECT_SETTINGS;
use crate::engine::handlers::jwt_templates;

const DAY: i64 = 86_400;

pub fn seed(s: &mut Seed) -> crate::store::Result<()> {
    let now = s.now_secs();
    let (coll, id) = PROJECT_SETTINGS;
    let prod = json!({
        "sessionTokenExpiration": 30, "sessionTokenExpirationUnit": "minutes",
        "refreshTokenExpiration": 26, "refreshTokenExpirationUnit": "weeks",
        "stepupTokenExpiration": 10, "stepupTokenExpirationUnit": "minutes",
        "enableInactivity": false, "inactivityTime": 0, "inactivityTimeUnit": "minutes",
        "approvedDomains": ["acme.com", "*.acme.com"],
        "redirectUrls": ["https://app.acme.com/callback", "https://*.acme.com/*"],
        "passwordSettings": prod_project_password_policy(),
        // The prod session-token lifetime was raised from 10 to 30 minutes by a Descoper
        // nine days ago (the audit trail of that change is seeded with the events).
        "modifiedTime": now - 9 * DAY, "modifiedBy": "dev@acme.example",
        "createdTime": now - 700 * DAY,
    });
    let staging = json!({
        "sessionTokenExpiration": 10, "sessionTokenExpirationUnit": "minutes",
        "refreshTokenExpiration": 4, "refreshTokenExpirationUnit": "weeks",
        "stepupTokenExpiration": 10, "stepupTokenExpirationUnit": "minutes",
        "enableInactivity": true, "inactivityTime": 30, "inactivityTimeUnit": "minutes",
        "approvedDomains": ["staging.acme.com"],
        "redirectUrls": ["https://staging.acme.com/callback"],
        "passwordSettings": staging_project_password_policy(),
        "modifiedTime": now - 60 * DAY, "modifiedBy": "admin@acme.example",
        "createdTime": now - 400 * DAY,
    });
    let (p, st) = (s.prod.clone(), s.staging.clone());
    s.put(&p, coll, id, &prod)?;
    s.put(&st, coll, id, &staging)?;

    let blocked = json!({
        "id": "L-blocked-ips", "name": "blocked-ips", "type": "ips",
        "description": "Networks blocked at sign-in after abuse reports",
        "data": ["198.51.100.23", "203.0.113.0/24", "2001:db8:bad::/48"],
    });
    let office = json!({
        "id": "L-office-ips", "name": "office-egress", "type": "ips",
        "description": "HQ and VPN egress addresses (skip CAPTCHA)",
        "data": ["192.0.2.10", "192.0.2.11", "10.20.0.0/16"],
    });
    let domains = json!({
        "id": "L-blocked-domains", "name": "blocked-email-domains", "type": "texts",
        "description": "Disposable e-mail domains refused at sign-up",
        "data": ["mailinator.com", "guerrillamail.com", "10minutemail.com", "tempmail.dev"],
    });
    for l in [&blocked, &office, &domains] {
        s.put(&p, "lists", l["id"].as_str().unwrap_or_default(), l)?;
    }
    // Staging has only the office list.
    s.put(&st, "lists", "L-office-ips", &office)?;

    for t in demo_jwt_templates() {
        s.put(
            &p,
            "jwt_templates",
            t["id"].as_str().unwrap_or_default(),
            &t,
        )?;
    }
    Ok(())
}

/// A stored template: the fields and defaults CreateJwtTemplate gives a template, then `fields`.
fn jwt_template(fields: Value) -> Value {
    let mut t = jwt_templates::defaults();
    if let Some(f) = fields.as_object() {
        t.extend(f.clone());
    }
    Value::Object(t)
}

fn demo_jwt_templates() -> Vec<Value> {
    vec![
        jwt_template(json!({
            "id": "JT-hasura", "name": "Hasura GraphQL", "source": "hasura", "tags": ["graphql"],
            "description": "Claims Hasura reads to authorize the customer app's GraphQL queries",
            "template": {"https://hasura.io/jwt/claims": {
                "x-hasura-user-id": "{{user.userId}}", "x-hasura-default-role": "user",
                "x-hasura-allowed-roles": "{{user.roleNames}}", "x-hasura-department": "{{user.customAttributes.department}}",
            }},
        })),
        jwt_template(json!({
            "id": "JT-partner-portal", "name": "Partner portal", "tags": ["partners", "draft"],
            "description": "Draft claims for the partner portal's API gateway",
            "template": {
                "sub": "{{user.email}}",
                "exp": 4_102_444_800_i64,
                "partner_tier": "{{user.customAttributes.partnerTier}}",
                "partner_plan": "{{tenant.customAttributes.plan}}",
                "display_name": "{{user.fullName}}",
                "portal_user": "{{user.userId}",
                "Email": "{{user.email}}",
                "email": "{{user.email}}",
            },
        })),
    ]
}
