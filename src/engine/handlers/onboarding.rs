//! `session generateOnboardingPlan`: turns a stated use case ("a Next.js app with passkeys and
//! social login") into a concrete plan — which operations, in which order, with which
//! arguments — built from the operation catalog (only operations this server has; each step's
//! arguments validate against its schema) and from the documentation (the pages to read).

use serde_json::{Value, json};

use crate::catalog::{self, Class};
use crate::dispatch;

/// A capability a use case can ask for, recognised by its words.
pub struct Feature {
    pub id: &'static str,
    pub title: &'static str,
    /// Lower-case words or phrases that name it.
    pub words: &'static [&'static str],
    /// What to search the docs for.
    pub docs_query: &'static str,
    pub steps: fn(&Context) -> Vec<Step>,
}

/// What the steps may be shaped by.
pub struct Context {
    pub slug: String,
    pub framework: Option<String>,
}

/// One planned call.
pub struct Step {
    pub title: String,
    pub tool: &'static str,
    pub operation: &'static str,
    pub args: Value,
    pub why: String,
}

fn step(
    title: impl Into<String>,
    tool: &'static str,
    operation: &'static str,
    args: Value,
    why: impl Into<String>,
) -> Step {
    Step {
        title: title.into(),
        tool,
        operation,
        args,
        why: why.into(),
    }
}

pub const FEATURES: &[Feature] = &[
    Feature {
        id: "passkeys",
        title: "Passkeys (WebAuthn)",
        words: &[
            "passkey",
            "webauthn",
            "biometric",
            "face id",
            "touch id",
            "fido",
        ],
        docs_query: "passkeys webauthn sign in",
        steps: |_| {
            vec![step(
                "See which users already sign in with passkeys",
                "users_read",
                "SearchUsers",
                json!({"signUpMethods": ["passkey"], "limit": 20}),
                "A baseline before rollout, and the way to watch adoption afterwards.",
            )]
        },
    },
    Feature {
        id: "social",
        title: "Social login (Google, GitHub, Apple)",
        words: &[
            "social",
            "google",
            "github",
            "apple",
            "oauth",
            "facebook",
            "microsoft login",
        ],
        docs_query: "social login google github oauth",
        steps: |_| {
            vec![step(
                "Check how social sign-ins perform today",
                "audits_read",
                "SearchAnalytics",
                json!({"actions": ["LoginSucceed", "LoginFailed"], "groupByMethod": true, "groupByAction": true}),
                "Success and failure per method shows whether the social providers are configured well.",
            )]
        },
    },
    Feature {
        id: "magiclink",
        title: "Magic links and one-time codes",
        words: &[
            "magic link",
            "magiclink",
            "passwordless",
            "otp",
            "one-time",
            "email code",
            "sms",
        ],
        docs_query: "magic link passwordless sign in",
        steps: |c| {
            vec![
                step(
                    "Create a test user to walk through the passwordless flow",
                    "tests_write",
                    "CreateTestUser",
                    json!({"loginId": format!("test_{}@example.com", c.slug), "email": format!("test_{}@example.com", c.slug), "name": "Onboarding test user"}),
                    "Test users can receive generated links and codes without a real inbox.",
                ),
                step(
                    "Generate a magic link for the test user",
                    "tests_write",
                    "GenerateMagicLinkForTestUser",
                    json!({"loginId": format!("test_{}@example.com", c.slug), "deliveryMethod": "email", "redirectUrl": "http://localhost:3000/auth/verify"}),
                    "Open the link to verify the sign-in end to end in your app.",
                ),
            ]
        },
    },
    Feature {
        id: "sso",
        title: "Enterprise SSO (SAML / OIDC) per tenant",
        words: &[
            "sso",
            "saml",
            "oidc",
            "single sign-on",
            "okta",
            "azure ad",
            "entra",
            "enterprise",
        ],
        docs_query: "sso saml tenant configuration",
        steps: |c| {
            vec![
                step(
                    "Create the customer's tenant with its e-mail domain",
                    "tenants_write",
                    "CreateTenant",
                    json!({"name": format!("{} customer", c.slug), "id": format!("T-{}", c.slug), "selfProvisioningDomains": [format!("{}.example", c.slug)]}),
                    "SSO is configured per tenant; the domain routes users to it.",
                ),
                step(
                    "Generate the self-service SSO setup link for the customer's IT admin",
                    "tenants_write",
                    "GenerateTenantAdminLinkSSO",
                    json!({"tenantId": format!("T-{}", c.slug)}),
                    "The customer's admin configures their IdP without sharing credentials with you.",
                ),
            ]
        },
    },
    Feature {
        id: "b2b",
        title: "B2B multi-tenancy with tenant roles",
        words: &[
            "b2b",
            "tenant",
            "multi-tenant",
            "organization",
            "organisation",
            "customers",
            "workspace",
        ],
        docs_query: "b2b multi tenancy tenant roles",
        steps: |c| {
            vec![
                step(
                    "Review the roles that exist before creating tenants",
                    "access_control_read",
                    "LoadAllRoles",
                    json!({}),
                    "Default roles for new tenants must exist first.",
                ),
                step(
                    "Create a first tenant",
                    "tenants_write",
                    "CreateTenant",
                    json!({"name": format!("{} pilot", c.slug)}),
                    "Each customer organisation is a tenant; users can belong to several.",
                ),
            ]
        },
    },
    Feature {
        id: "rbac",
        title: "Roles and permissions",
        words: &[
            "role",
            "permission",
            "rbac",
            "admin panel",
            "authorization",
            "access control",
        ],
        docs_query: "rbac roles permissions",
        steps: |c| {
            vec![
                step(
                    "Create the permissions your app checks",
                    "access_control_write",
                    "CreatePermissions",
                    json!({"permissions": [{"name": format!("{}:read", c.slug), "description": "Read access"}, {"name": format!("{}:write", c.slug), "description": "Write access"}]}),
                    "Permissions land in the session JWT; your backend checks them.",
                ),
                step(
                    "Create roles that bundle them",
                    "access_control_write",
                    "CreateRoles",
                    json!({"roles": [{"name": format!("{}-viewer", c.slug), "permissionNames": [format!("{}:read", c.slug)]}, {"name": format!("{}-editor", c.slug), "permissionNames": [format!("{}:read", c.slug), format!("{}:write", c.slug)]}]}),
                    "Assign roles, not individual permissions, to users and keys.",
                ),
            ]
        },
    },
    Feature {
        id: "m2m",
        title: "Machine-to-machine access (access keys)",
        words: &[
            "m2m",
            "machine",
            "backend service",
            "service account",
            "api key",
            "access key",
            "cron",
            "worker",
        ],
        docs_query: "access keys machine to machine",
        steps: |c| {
            vec![step(
                "Create an access key for the backend service",
                "auth_keys_write",
                "CreateAccessKey",
                json!({"name": format!("{}-backend", c.slug), "description": "Created from the onboarding plan"}),
                "The secret is shown once: store it in your secret manager.",
            )]
        },
    },
    Feature {
        id: "mfa",
        title: "MFA and password policy",
        words: &[
            "mfa",
            "2fa",
            "totp",
            "authenticator",
            "password",
            "step-up",
            "step up",
        ],
        docs_query: "mfa totp step-up password policy",
        steps: |_| {
            vec![step(
                "Review the password policy",
                "auth_keys_read",
                "GetPasswordSettings",
                json!({}),
                "A weak policy (short minimum, no lockout) is the first thing to fix before launch.",
            )]
        },
    },
];

fn slug_of(text: &str) -> String {
    let words: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() > 2)
        .map(str::to_lowercase)
        .filter(|w| {
            ![
                "the",
                "and",
                "with",
                "for",
                "app",
                "using",
                "application",
                "our",
                "new",
            ]
            .contains(&w.as_str())
        })
        .take(2)
        .collect();
    if words.is_empty() {
        "app".into()
    } else {
        words.join("-")
    }
}

const FRAMEWORKS: &[&str] = &[
    "next.js", "nextjs", "react", "vue", "angular", "svelte", "node", "express", "go", "python",
    "django", "flask", "ios", "android", "flutter",
];

/// The plan as JSON (the operation's output).
pub fn plan(use_case: &str, framework: Option<&str>) -> Value {
    let lower = use_case.to_lowercase();
    let framework = framework.map(str::to_owned).or_else(|| {
        FRAMEWORKS
            .iter()
            .find(|f| lower.contains(**f))
            .map(|f| (*f).to_owned())
    });
    let cx = Context {
        slug: slug_of(use_case),
        framework: framework.clone(),
    };
    let mut chosen: Vec<&Feature> = FEATURES
        .iter()
        .filter(|f| f.words.iter().any(|w| lower.contains(w)))
        .collect();
    let guessed = chosen.is_empty();
    if guessed {
        // Nothing recognised: start from passwordless sign-in, the most common first step.
        chosen = FEATURES.iter().filter(|f| f.id == "magiclink").collect();
    }

    let mut steps = vec![json!({
        "order": 1,
        "title": "Confirm which project you are configuring",
        "tool": "session", "operation": "getProjectStatus", "args": {},
        "class": "read", "needsApproval": false,
        "why": "Every later step works on the selected project; switch with selectProject first if needed.",
    })];
    let mut notes = Vec::new();
    for f in &chosen {
        for s in (f.steps)(&cx) {
            let Some(op) = catalog::find(s.tool, s.operation) else {
                notes.push(format!(
                    "{}: `{}.{}` is not available in this server; do this step in the console.",
                    f.title, s.tool, s.operation
                ));
                continue;
            };
            if let Err(e) = dispatch::validate(op, &s.args) {
                notes.push(format!(
                    "{}: adjust the arguments of `{}.{}`: {e}",
                    f.title, s.tool, s.operation
                ));
            }
            let write = op.def().class == Class::Write;
            steps.push(json!({
                "order": steps.len() + 1,
                "feature": f.id,
                "title": s.title,
                "tool": s.tool, "operation": op.def().name, "args": s.args,
                "class": op.def().class.as_str(), "needsApproval": write,
                "why": s.why,
            }));
        }
    }
    let mut docs = Vec::new();
    for f in &chosen {
        let query = match &framework {
            Some(fw) => format!("{} {fw}", f.docs_query),
            None => f.docs_query.to_owned(),
        };
        for r in crate::docs::search(&query, 2) {
            if !docs.iter().any(|d: &Value| d["link"] == r.link) {
                docs.push(json!({"feature": f.id, "title": r.title, "section": r.section, "link": r.link}));
            }
        }
    }
    if steps.iter().any(|s| s["needsApproval"] == true) {
        notes.push("Steps marked needsApproval are writes: ask for them together with session elevate {requests: [...]}, so one human approval covers the batch.".into());
    }
    if guessed {
        notes.push("No specific capability was recognised in the use case; this plan starts with passwordless sign-in. Name the methods you want (passkeys, social login, SSO, MFA, roles, access keys) for a fuller plan.".into());
    }
    json!({
        "useCase": use_case,
        "framework": framework,
        "features": chosen.iter().map(|f| json!({"id": f.id, "title": f.title})).collect::<Vec<_>>(),
        "steps": steps,
        "docs": docs,
        "notes": notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every template's arguments fit the current schema of its operation, so plans stay
    /// executable as the catalog changes.
    #[test]
    fn every_template_validates_against_the_catalog() {
        let cx = Context {
            slug: "acme-portal".into(),
            framework: None,
        };
        for f in FEATURES {
            for s in (f.steps)(&cx) {
                let op = catalog::find(s.tool, s.operation)
                    .unwrap_or_else(|| panic!("{}: no {}.{}", f.id, s.tool, s.operation));
                dispatch::validate(op, &s.args).unwrap_or_else(|e| panic!("{}: {e}", f.id));
            }
        }
    }

    #[test]
    fn a_nextjs_passkeys_and_social_plan_names_both_and_the_framework() {
        let p = plan("A Next.js app using passkeys and social login", None);
        let ids: Vec<&str> = p["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["passkeys", "social"]);
        assert_eq!(p["framework"], "next.js");
        assert_eq!(p["steps"][0]["operation"], "getProjectStatus");
        assert!(p["steps"].as_array().unwrap().len() >= 3);
        assert!(!p["docs"].as_array().unwrap().is_empty());
    }
}
