//! Demo data: the `users` part of Acme Holdings — the named cast with their stories, the
//! generated baseline users (cohorts by creation month, sign-up method, tenant and status),
//! test users, passkeys and trusted devices, and the user custom-attribute definitions.
//!
//! Everything is deterministic: times are relative to the seeding clock and every random
//! choice comes from `s.rng`. `lastLoginTime` is left to the events step, which derives it
//! from the login events it seeds.

use rand::RngExt;
use serde_json::{Value, json};

use super::Seed;
use super::cast::{self, PEOPLE, TENANTS};

const DAY: i64 = 86_400;

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month) of a day count since 1970-01-01.
fn year_month(days: i64) -> (i64, i64) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m)
}

/// Creation-time windows (epoch seconds, half-open) the cohorts are drawn from.
struct Windows {
    now: i64,
    last_30_days: (i64, i64),
    last_month: (i64, i64),
    march: (i64, i64),
    thirteen_months: (i64, i64),
}

fn windows(now: i64) -> Windows {
    let (y, m) = year_month(now / DAY);
    let this_month = days_from_civil(y, m, 1) * DAY;
    let (py, pm) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
    let last_month = days_from_civil(py, pm, 1) * DAY;
    // March of this year, or of last year while this year's March has not begun.
    let my = if m >= 4 { y } else { y - 1 };
    let march = (
        days_from_civil(my, 3, 1) * DAY,
        (days_from_civil(my, 4, 1) * DAY).min(now - DAY),
    );
    Windows {
        now,
        last_30_days: (now - 30 * DAY, now - 3600),
        last_month: (last_month, this_month),
        march,
        thirteen_months: (now - 395 * DAY, now - 3600),
    }
}

const GIVEN: &[&str] = &[
    "Olivia", "Liam", "Emma", "Noah", "Ava", "Mateo", "Sophia", "Lucas", "Mia", "Ethan", "Amara",
    "Kenji", "Priya", "Diego", "Fatima", "Jonas", "Chloe", "Omar", "Hana", "Viktor", "Isla",
    "Ravi", "Zoe", "Tomas", "Leila", "Samuel", "Yuki", "Nadia", "Felix", "Grace",
];
const FAMILY: &[&str] = &[
    "Smith",
    "Garcia",
    "Chen",
    "Müller",
    "Okafor",
    "Rossi",
    "Novak",
    "Kim",
    "Silva",
    "Johansson",
    "Patel",
    "Dubois",
    "Nakamura",
    "Kowalski",
    "Haddad",
    "O'Brien",
    "Singh",
    "Lopez",
    "Andersen",
    "Ivanova",
];
const DEPARTMENTS: &[&str] = &[
    "Engineering",
    "Sales",
    "Marketing",
    "Support",
    "Finance",
    "Operations",
    "HR",
    "IT",
];

/// Tenant shares of the baseline users (index into TENANTS, weight); the rest have no tenant.
/// Sizes differ by an order of magnitude, and "Vandelay Imports" (T-empty) stays empty.
const TENANT_WEIGHTS: &[(&str, u32)] = &[
    ("T-acme", 26),
    ("T-globex", 22),
    ("T-initech", 10),
    ("T-acme-corp", 7),
    ("T-acme-holdings", 6),
    ("T-acme-inc", 5),
    ("T-umbrella", 5),
    ("T-hooli", 3),
    ("T-stark", 2),
    ("T-wayne", 1),
];

fn tenant_name(id: &str) -> &'static str {
    TENANTS
        .iter()
        .find(|t| t.id == id)
        .map(|t| t.name)
        .unwrap_or("")
}

fn between(s: &mut Seed, (lo, hi): (i64, i64)) -> i64 {
    if hi <= lo {
        lo
    } else {
        s.rng.random_range(lo..hi)
    }
}

/// A user document with every flag present, so all users share one shape.
#[allow(clippy::too_many_arguments)]
fn user(
    id: &str,
    login: &str,
    name: &str,
    email: Option<&str>,
    created: i64,
    status: &str,
    roles: &[&str],
    tenants: Vec<Value>,
    attrs: Value,
) -> Value {
    let mut parts = name.splitn(2, ' ');
    let given = parts.next().unwrap_or_default();
    let family = parts.next().unwrap_or_default();
    let mut u = json!({
        "userId": id,
        "loginIds": [login],
        "externalIds": [login],
        "name": name,
        "givenName": given,
        "familyName": family,
        "verifiedEmail": email.is_some() && status != "invited",
        "verifiedPhone": false,
        "status": status,
        "roleNames": roles,
        "userTenants": tenants,
        "customAttributes": attrs,
        "ssoAppIds": [],
        "test": false,
        "editable": true,
        "createdTime": created,
        "modifiedTime": created,
        "TOTP": false, "SAML": false, "OIDC": false, "SCIM": false, "push": false,
        "webauthn": false, "password": false, "passwordExpired": false, "OAuth": {},
    });
    if let Some(e) = email {
        u["email"] = json!(e);
    }
    u
}

fn membership(tenant: &str, roles: &[&str], joined: i64) -> Value {
    json!({"tenantId": tenant, "tenantName": tenant_name(tenant), "roleNames": roles, "joinedTime": joined})
}

/// Sets the credential flags that go with a sign-up method.
fn sign_up(u: &mut Value, method: &str) {
    u["signUpMethod"] = json!(method);
    match method {
        "password" => u["password"] = json!(true),
        "social:google" => u["OAuth"] = json!({"google": true}),
        "social:github" => u["OAuth"] = json!({"github": true}),
        "sso" => u["SAML"] = json!(true),
        "passkey" => u["webauthn"] = json!(true),
        _ => {}
    }
}

fn attribute_definitions() -> Vec<Value> {
    vec![
        json!({"name": "onboardingCompleted", "displayName": "Onboarding completed", "type": 3, "defaultValue": false, "editable": false, "viewPermissions": [], "editPermissions": []}),
        json!({"name": "employmentType", "displayName": "Employment type", "type": 4, "options": [{"value": "employee", "label": "Employee"}, {"value": "contractor", "label": "Contractor"}], "defaultValue": "employee", "editable": false, "viewPermissions": [], "editPermissions": []}),
        json!({"name": "department", "displayName": "Department", "type": 1, "editable": true, "viewPermissions": [], "editPermissions": []}),
    ]
}

/// The named cast of `cast::PEOPLE`, plus Carol (an Acme member without any role).
fn named(w: &Windows) -> Vec<Value> {
    let now = w.now;
    let person = |id: &str| {
        PEOPLE
            .iter()
            .find(|p| p.user_id == id)
            .expect("cast member")
    };
    let mut out = Vec::new();

    let p = person("U-jane");
    let mut jane = user(
        p.user_id,
        p.login_id,
        p.name,
        Some(p.login_id),
        now - 210 * DAY,
        "enabled",
        &["member"],
        vec![],
        json!({"onboardingCompleted": false, "employmentType": "employee", "department": "Marketing"}),
    );
    sign_up(&mut jane, "magiclink");
    out.push(jane);

    let p = person("U-alice");
    let joined = now - 380 * DAY;
    let mut alice = user(
        p.user_id,
        p.login_id,
        p.name,
        Some(p.login_id),
        joined,
        "enabled",
        &["admin", "editor"],
        vec![
            membership("T-acme", &["TenantAdmin", "Editor"], joined),
            membership("T-acme-holdings", &["TenantAdmin"], now - 120 * DAY),
        ],
        json!({"onboardingCompleted": true, "employmentType": "employee", "department": "Engineering"}),
    );
    sign_up(&mut alice, "password");
    alice["TOTP"] = json!(true);
    alice["phone"] = json!("+14155550101");
    alice["verifiedPhone"] = json!(true);
    alice["modifiedTime"] = json!(now - 12 * DAY);
    out.push(alice);

    let p = person("U-bob");
    let mut bob = user(
        p.user_id,
        p.login_id,
        p.name,
        Some(p.login_id),
        now - 300 * DAY,
        "enabled",
        &["member"],
        vec![membership("T-acme", &["Editor", "Viewer"], now - 300 * DAY)],
        json!({"onboardingCompleted": true, "employmentType": "employee", "department": "Finance"}),
    );
    sign_up(&mut bob, "password");
    out.push(bob);

    let p = person("U-abc123");
    let mut chris = user(
        p.user_id,
        p.login_id,
        p.name,
        Some("chris.abbott@example.com"),
        now - 330 * DAY,
        "enabled",
        &["member"],
        vec![membership("T-hooli", &["Viewer"], now - 330 * DAY)],
        json!({"onboardingCompleted": true, "employmentType": "employee", "department": "Support"}),
    );
    sign_up(&mut chris, "passkey");
    chris["modifiedTime"] = json!(now - 2 * DAY);
    out.push(chris);

    let p = person("U-qa");
    let mut qa = user(
        p.user_id,
        p.login_id,
        p.name,
        Some(p.login_id),
        now - 20 * DAY,
        "enabled",
        &["member"],
        vec![],
        json!({"onboardingCompleted": false, "employmentType": "employee", "department": "Engineering"}),
    );
    qa["test"] = json!(true);
    sign_up(&mut qa, "otp");
    out.push(qa);

    let p = person("U-admin");
    let mut admin = user(
        p.user_id,
        p.login_id,
        p.name,
        Some(p.login_id),
        now - 390 * DAY,
        "enabled",
        &["admin", "super_admin_role"],
        // TenantAdmin grants super_admin in Stark Industries and Acme-Holdings: with the project
        // role, three paths to the same power (the privileged-access review finds them).
        vec![
            membership("T-acme", &["TenantAdmin"], now - 390 * DAY),
            membership("T-stark", &["TenantAdmin"], now - 150 * DAY),
            membership("T-acme-holdings", &["TenantAdmin"], now - 100 * DAY),
        ],
        json!({"onboardingCompleted": true, "employmentType": "employee", "department": "IT"}),
    );
    sign_up(&mut admin, "password");
    admin["TOTP"] = json!(true);
    out.push(admin);

    let mut carol = user(
        "U-carol",
        "carol@acme.com",
        "Carol Chen",
        Some("carol@acme.com"),
        now - 45 * DAY,
        "enabled",
        &[],
        vec![membership("T-acme", &[], now - 45 * DAY)],
        json!({"onboardingCompleted": false, "employmentType": "employee", "department": "Sales"}),
    );
    sign_up(&mut carol, "sso");
    out.push(carol);
    out
}

/// Test users next to the named QA user: `qa_…` and `test_…` login IDs.
fn test_users(now: i64) -> Vec<Value> {
    let mut out = Vec::new();
    for (i, login) in [
        "qa_checkout_01@example.com",
        "qa_checkout_02@example.com",
        "qa_sso_03@example.com",
        "test_signup_01@example.com",
        "test_signup_02@example.com",
        "test_passkey_03@example.com",
        "test_mfa_04@example.com",
    ]
    .iter()
    .enumerate()
    {
        let id = format!("U-t{:02}", i + 1);
        let created = now - (3 + 4 * i as i64) * DAY;
        let mut u = user(
            &id,
            login,
            &format!("Test User{:02}", i + 1),
            Some(login),
            created,
            "enabled",
            &["member"],
            vec![],
            json!({"onboardingCompleted": false, "employmentType": "employee"}),
        );
        u["test"] = json!(true);
        sign_up(
            &mut u,
            if login.contains("passkey") {
                "passkey"
            } else {
                "otp"
            },
        );
        if i % 2 == 0 {
            u["phone"] = json!(format!("+1555010{:04}", i));
        }
        out.push(u);
    }
    out
}

/// Generated baseline user `i` (see the module doc for the cohorts).
fn baseline(s: &mut Seed, w: &Windows, i: usize) -> Value {
    let (id, login) = cast::baseline(i);
    // Tenant first: a tenant's users differ in age (Globex grows fast, Initech is old).
    let total: u32 = 100;
    let mut pick = s.rng.random_range(0..total);
    let mut tenant = None;
    for (t, weight) in TENANT_WEIGHTS {
        if pick < *weight {
            tenant = Some(*t);
            break;
        }
        pick -= weight;
    }
    let cohort = s.rng.random_range(0..100u32);
    let mut created = match cohort {
        0..25 => between(s, w.last_30_days),
        25..40 => between(s, w.last_month),
        40..50 => between(s, w.march),
        _ => between(s, w.thirteen_months),
    };
    match tenant {
        Some("T-globex") if s.rng.random_range(0..2u32) == 0 => {
            created = between(s, w.last_30_days)
        }
        Some("T-initech") | Some("T-wayne") => {
            created = created.min(w.now - 150 * DAY - s.rng.random_range(0..90) * DAY)
        }
        _ => {}
    }
    let in_march = created >= w.march.0 && created < w.march.1;
    let age_days = (w.now - created) / DAY;

    let roll = s.rng.random_range(0..100u32);
    let status = if roll < 2 {
        "invited"
    } else if roll < if in_march { 27 } else { 9 } {
        "disabled"
    } else {
        "enabled"
    };

    let given = GIVEN[s.rng.random_range(0..GIVEN.len())];
    let family = FAMILY[s.rng.random_range(0..FAMILY.len())];
    let contractor = s.rng.random_range(0..100u32) < 15;
    let onboarded_pct = if w.last_month.0 <= created && created < w.last_month.1 {
        55
    } else if age_days < 14 {
        30
    } else {
        80
    };
    let onboarded = s.rng.random_range(0..100u32) < onboarded_pct;
    let department = DEPARTMENTS[s.rng.random_range(0..DEPARTMENTS.len())];

    let r = s.rng.random_range(0..100u32);
    let mut roles: Vec<&str> = vec![match r {
        0..3 => "admin",
        3..15 => "editor",
        15..25 => "viewer",
        _ => "member",
    }];
    // Some contractors hold admin-level roles (the RBAC review story).
    if contractor && s.rng.random_range(0..4u32) == 0 && !roles.contains(&"admin") {
        roles.push("admin");
    }
    // Only Acme and Acme-Holdings define tenant roles (Stark only TenantAdmin; BillingViewer is
    // held by nobody); elsewhere members hold project roles inside the tenant, or none.
    let tenants = match tenant {
        Some(t) => {
            let tr = s.rng.random_range(0..100u32);
            let troles: &[&str] = match (t, tr) {
                ("T-acme" | "T-acme-holdings", 0..2) => &["TenantAdmin"],
                ("T-acme" | "T-acme-holdings", 2..20) => &["Editor"],
                ("T-acme" | "T-acme-holdings", 20..80) => &["Viewer"],
                ("T-stark", 0..10) => &["TenantAdmin"],
                ("T-acme" | "T-acme-holdings" | "T-stark", _) => &[],
                (_, 0..50) => &["viewer"],
                (_, 50..65) => &["editor"],
                _ => &[],
            };
            vec![membership(t, troles, created)]
        }
        None => vec![],
    };
    let attrs = json!({"onboardingCompleted": onboarded, "employmentType": if contractor { "contractor" } else { "employee" }, "department": department});
    let mut u = user(
        &id,
        &login,
        &format!("{given} {family}"),
        Some(&login),
        created,
        status,
        &roles,
        tenants,
        attrs,
    );

    if status != "invited" {
        // Passkey sign-ups grow over the last 90 days; SSO is for users of SSO tenants.
        let passkey_pct = if age_days < 90 {
            5 + (25 * (90 - age_days) / 90) as u32
        } else {
            3
        };
        let m = s.rng.random_range(0..100u32);
        let sso_tenant = matches!(
            tenant,
            Some("T-acme") | Some("T-globex") | Some("T-initech") | Some("T-umbrella")
        );
        let method = if m < passkey_pct {
            "passkey"
        } else {
            match s.rng.random_range(0..100u32) {
                0..26 => "social:google",
                26..34 => "social:github",
                34..58 => "password",
                58..80 => "magiclink",
                80..88 => "otp",
                _ if sso_tenant => "sso",
                _ => "password",
            }
        };
        sign_up(&mut u, method);
        // Some users add a passkey or an authenticator app later.
        if s.rng.random_range(0..100u32) < 6 {
            u["webauthn"] = json!(true);
        }
        if s.rng.random_range(0..100u32) < 10 {
            u["TOTP"] = json!(true);
        }
    }
    if s.rng.random_range(0..100u32) < 30 {
        u["phone"] = json!(format!("+1555{:07}", i));
        u["verifiedPhone"] = json!(s.rng.random_range(0..2u32) == 0);
    }
    let modified = created + s.rng.random_range(0..=(w.now - created).max(1) / 2);
    u["modifiedTime"] = json!(modified);
    u
}

fn docs_of(v: &Value) -> Vec<Value> {
    v.as_array().cloned().unwrap_or_default()
}

fn put_user(s: &Seed, project: &str, u: &Value) -> crate::store::Result<()> {
    let id = u["userId"].as_str().expect("userId").to_owned();
    s.put(project, "users", &id, u)
}

pub fn seed(s: &mut Seed) -> crate::store::Result<()> {
    let w = windows(s.now_secs());
    let now = w.now;
    let (prod, staging) = (s.prod.clone(), s.staging.clone());

    for def in attribute_definitions() {
        let name = def["name"].as_str().expect("name").to_owned();
        s.put(&prod, "user_attributes", &name, &def)?;
        s.put(&staging, "user_attributes", &name, &def)?;
    }

    let cast_users = named(&w);
    for u in &cast_users {
        put_user(s, &prod, u)?;
    }
    for u in test_users(now) {
        put_user(s, &prod, &u)?;
    }
    // user_abc123: the original passkey, one added two days ago (after the account takeover),
    // and the laptop trusted before it.
    let passkeys = [
        json!({"id": "PK-abc123-1", "userId": "U-abc123", "rpId": "acme.com", "kind": "platform", "displayName": "iCloud Keychain", "createdTime": now - 330 * DAY}),
        json!({"id": "PK-abc123-2", "userId": "U-abc123", "rpId": "acme.com", "kind": "cross-platform", "displayName": "Security key", "createdTime": now - 2 * DAY}),
        json!({"id": "PK-alice-1", "userId": "U-alice", "rpId": "acme.com", "kind": "platform", "displayName": "Windows Hello", "createdTime": now - 60 * DAY}),
    ];
    for p in &passkeys {
        s.put(&prod, "user_passkeys", p["id"].as_str().expect("id"), p)?;
    }
    let devices = [
        json!({"id": "TD-abc123-laptop", "userId": "U-abc123", "name": "Safari on macOS", "deviceType": "desktop", "lastLoginTime": now - 9 * DAY, "expirationTime": now + 21 * DAY, "lastLocation": "Austin, US", "isCurrentDevice": false}),
        json!({"id": "TD-abc123-phone", "userId": "U-abc123", "name": "Safari on iOS", "deviceType": "mobile", "lastLoginTime": now - 30 * DAY, "expirationTime": now + 1 * DAY, "lastLocation": "Austin, US", "isCurrentDevice": false}),
        json!({"id": "TD-alice-laptop", "userId": "U-alice", "name": "Chrome on Windows", "deviceType": "desktop", "lastLoginTime": now - 1 * DAY, "expirationTime": now + 29 * DAY, "lastLocation": "Boston, US", "isCurrentDevice": false}),
    ];
    for d in &devices {
        s.put(&prod, "trusted_devices", d["id"].as_str().expect("id"), d)?;
    }
    for i in 0..s.baseline_users {
        let u = baseline(s, &w, i);
        put_user(s, &prod, &u)?;
    }

    // Staging: a handful of the same people and test users, with the same IDs.
    // Staging defines only TenantAdmin in Acme, so the copies keep just that.
    for u in cast_users.iter().filter(|u| {
        ["U-jane", "U-alice", "U-bob", "U-qa", "U-admin"]
            .contains(&u["userId"].as_str().unwrap_or(""))
    }) {
        let mut copy = u.clone();
        let tenants: Vec<Value> = docs_of(&copy["userTenants"])
            .into_iter()
            .filter(|t| t["tenantId"] == "T-acme")
            .map(|mut t| {
                let keep: Vec<Value> = docs_of(&t["roleNames"])
                    .into_iter()
                    .filter(|r| r == "TenantAdmin")
                    .collect();
                t["roleNames"] = json!(keep);
                t
            })
            .collect();
        copy["userTenants"] = json!(tenants);
        put_user(s, &staging, &copy)?;
    }
    for u in test_users(now).iter().take(3) {
        put_user(s, &staging, u)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        // 2026-11-20 is day 20_777; its month starts on 2026-11-01.
        assert_eq!(days_from_civil(2026, 11, 20), 20_777);
        assert_eq!(year_month(20_777), (2026, 11));
        assert_eq!(year_month(days_from_civil(2024, 2, 29)), (2024, 2));
        assert_eq!(year_month(days_from_civil(2027, 1, 1)), (2027, 1));
    }

    #[test]
    fn cohort_windows_at_the_test_clock() {
        let w = windows(crate::demo::TEST_NOW_MS / 1000);
        assert_eq!(w.last_month.0, days_from_civil(2026, 10, 1) * DAY);
        assert_eq!(w.last_month.1, days_from_civil(2026, 11, 1) * DAY);
        assert_eq!(w.march.0, days_from_civil(2026, 3, 1) * DAY);
    }
}
