//! Demo data: the RBAC model of Acme Holdings — permissions and roles (project-level and
//! tenant-scoped) in prod, and a slightly different set in staging (drift the agent can find).
//!
//! Other seeding steps refer to these role names when they give roles to users and keys:
//! project roles "admin", "member", "editor", "viewer", "super_admin_role", "support" and the
//! unheld "auditor"; tenant roles "TenantAdmin", "Editor", "Viewer" and the unheld
//! "BillingViewer" in Acme and Acme-Holdings, and "TenantAdmin" in Stark Industries.

use serde_json::json;

use super::Seed;

/// One permission: name and description.
type Perm = (&'static str, &'static str);

const PERMISSIONS: &[Perm] = &[
    ("users:read", "Read user profiles and memberships"),
    ("users:write", "Create, update, disable and delete users"),
    ("tenants:read", "Read tenants and their settings"),
    ("tenants:write", "Create and configure tenants"),
    ("roles:manage", "Create roles and assign them to users"),
    (
        "admin:read",
        "Read access to the admin console API, /admin/*",
    ),
    (
        "admin:write",
        "Write access to the admin console API, /admin/* (settings, users, billing pages)",
    ),
    (
        "super_admin",
        "Unrestricted access to every resource of every tenant; bypasses tenant isolation",
    ),
    ("docs:read", "Read documents"),
    ("docs:write", "Create and edit documents"),
    ("docs:delete", "Delete documents"),
    ("invoices:read", "View invoices and payment history"),
    ("reports:export", "Export reports as CSV or PDF"),
    ("audit:read", "Read the audit trail"),
    ("keys:manage", "Create, rotate and revoke access keys"),
    // Referenced by no role: left over from a retired integration (an orphaned permission).
    (
        "legacy:sync",
        "Run the legacy nightly sync job (retired with the v2 migration)",
    ),
];

/// A role: name, description, permissions, and how many days ago it was created.
struct RoleDef {
    name: &'static str,
    description: &'static str,
    permissions: &'static [&'static str],
    age_days: i64,
}

const PROJECT_ROLES: &[RoleDef] = &[
    RoleDef {
        name: "admin",
        description: "Project administrator: manages users, tenants, roles, keys and the admin console",
        permissions: &[
            "users:read",
            "users:write",
            "tenants:read",
            "tenants:write",
            "roles:manage",
            "admin:read",
            "admin:write",
            "docs:read",
            "docs:write",
            "docs:delete",
            "audit:read",
            "keys:manage",
            "reports:export",
        ],
        age_days: 420,
    },
    RoleDef {
        name: "member",
        description: "Regular member: reads documents and the user directory",
        permissions: &["docs:read", "users:read"],
        age_days: 420,
    },
    RoleDef {
        name: "editor",
        description: "Edits documents",
        permissions: &["docs:read", "docs:write"],
        age_days: 410,
    },
    RoleDef {
        name: "viewer",
        description: "Read-only access to documents",
        permissions: &["docs:read"],
        age_days: 410,
    },
    // Holds almost every permission (all but the orphaned legacy one): the broadest role.
    RoleDef {
        name: "super_admin_role",
        description: "Break-glass super administrator with unrestricted access",
        permissions: &[
            "super_admin",
            "users:read",
            "users:write",
            "tenants:read",
            "tenants:write",
            "roles:manage",
            "admin:read",
            "admin:write",
            "docs:read",
            "docs:write",
            "docs:delete",
            "invoices:read",
            "reports:export",
            "audit:read",
            "keys:manage",
        ],
        age_days: 380,
    },
    RoleDef {
        name: "support",
        description: "Customer support: looks up users and reads the admin console",
        permissions: &["users:read", "admin:read", "tenants:read"],
        age_days: 300,
    },
    // Created for an external audit and never given to anyone (a role nobody holds).
    RoleDef {
        name: "auditor",
        description: "External auditor: read-only access to the audit trail and reports",
        permissions: &["audit:read", "reports:export", "admin:read"],
        age_days: 95,
    },
];

/// Tenant roles shared by Acme and Acme-Holdings (same names, so users can move between them).
fn acme_tenant_roles(
    with_super_admin: bool,
) -> Vec<(&'static str, &'static str, Vec<&'static str>)> {
    let mut admin = vec![
        "users:read",
        "users:write",
        "roles:manage",
        "tenants:read",
        "admin:read",
        "admin:write",
    ];
    if with_super_admin {
        admin.push("super_admin");
    }
    vec![
        (
            "TenantAdmin",
            "Administers the tenant: members, roles and SSO",
            admin,
        ),
        (
            "Editor",
            "Edits the tenant's documents",
            vec!["docs:read", "docs:write"],
        ),
        ("Viewer", "Reads the tenant's documents", vec!["docs:read"]),
        // Nobody holds it: defined for a billing portal that has not launched.
        (
            "BillingViewer",
            "Views the tenant's invoices",
            vec!["invoices:read", "reports:export"],
        ),
    ]
}

pub fn seed(s: &mut Seed) -> crate::store::Result<()> {
    let day = 86_400;
    let now = s.now_secs();
    let (prod, staging) = (s.prod.clone(), s.staging.clone());

    for (project, skip) in [(&prod, None), (&staging, Some("legacy:sync"))] {
        for (name, description) in PERMISSIONS {
            if Some(*name) == skip {
                continue;
            }
            let id = format!("P-{}", name.replace(':', "-"));
            let doc =
                json!({"id": id, "name": name, "description": description, "systemDefault": false});
            s.put(project, "permissions", &id, &doc)?;
        }
    }

    for project in [&prod, &staging] {
        for r in PROJECT_ROLES {
            put_role(
                s,
                project,
                "",
                r.name,
                r.description,
                r.permissions,
                now - r.age_days * day,
            )?;
        }
    }
    // Drift: a role that exists only in staging.
    put_role(
        s,
        &staging,
        "",
        "qa_tester",
        "QA engineers testing flows in staging",
        &["docs:read", "docs:write", "users:read"],
        now - 40 * day,
    )?;

    // Tenant roles (prod). Globex deliberately has none.
    for (tenant, super_admin, age) in [("T-acme", false, 400), ("T-acme-holdings", true, 200)] {
        for (name, description, perms) in acme_tenant_roles(super_admin) {
            put_role(s, &prod, tenant, name, description, &perms, now - age * day)?;
        }
    }
    put_role(
        s,
        &prod,
        "T-stark",
        "TenantAdmin",
        "Stark Industries administrators (full access)",
        &["users:read", "users:write", "super_admin"],
        now - 150 * day,
    )?;

    // Staging: one tenant role for the staging copy of Acme.
    put_role(
        s,
        &staging,
        "T-acme",
        "TenantAdmin",
        "Administers the tenant (staging)",
        &["users:read", "users:write", "roles:manage"],
        now - 60 * day,
    )?;
    Ok(())
}

fn put_role(
    s: &Seed,
    project: &str,
    tenant: &str,
    name: &str,
    description: &str,
    perms: &[&str],
    created: i64,
) -> crate::store::Result<()> {
    let id = if tenant.is_empty() {
        format!("R-{name}")
    } else {
        format!("R-{tenant}-{name}")
    };
    let doc = json!({
        "id": id,
        "name": name,
        "description": description,
        "permissionNames": perms,
        "tenantId": tenant,
        "default": false,
        "private": false,
        "createdTime": created,
    });
    s.put(project, "roles", &id, &doc)
}
