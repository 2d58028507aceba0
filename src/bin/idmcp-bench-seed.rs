//! The benchmark dataset: seeds a fresh idmcp store with the company "Bench Co" (Descoper
//! `bench@bench.example`, one project), N users `user{i}@bench.example` across T tenants
//! `T0000`…, and M platform audit events spread over the last D days, through the idmcp
//! library itself (the same document keys and event rows the server reads).
//!
//! Deterministic (a fixed-seed generator; times relative to the seeding clock). Prints what it
//! made and how long each part took. Refuses a data dir that already holds a store.
//!
//! Usage: idmcp-bench-seed --data-dir DIR [--users 100000] [--tenants 200] [--events 1000000] [--days 90]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use idmcp::store::events::Event;
use idmcp::store::{Durability, Store};
use serde_json::{Value, json};

pub const COMPANY: &str = "Bench Co";
pub const DESCOPER: &str = "bench@bench.example";
const PROJECT: &str = "bench";
const DAY_MS: i64 = 86_400_000;
/// Rows per transaction for the bulk loads.
const BATCH: usize = 100_000;

#[derive(Parser)]
#[command(
    name = "idmcp-bench-seed",
    about = "Seed a fresh idmcp store with the benchmark dataset"
)]
struct Args {
    /// Directory of the new store (must not hold one yet).
    #[arg(long)]
    data_dir: PathBuf,
    /// Users `user{i}@bench.example`, i in [0, N).
    #[arg(long, default_value_t = 100_000)]
    users: usize,
    /// Tenants `T0000`…
    #[arg(long, default_value_t = 200)]
    tenants: usize,
    /// Platform audit events.
    #[arg(long, default_value_t = 1_000_000)]
    events: usize,
    /// The events cover this many days up to now.
    #[arg(long, default_value_t = 90)]
    days: i64,
}

/// rand's seeded StdRng, with the draws the dataset needs (deterministic for a seed).
struct Rng(rand::rngs::StdRng);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(rand::SeedableRng::seed_from_u64(seed))
    }
    fn below(&mut self, n: usize) -> usize {
        rand::RngExt::random_range(&mut self.0, 0..n.max(1))
    }
    fn chance(&mut self, p: f64) -> bool {
        rand::RngExt::random_bool(&mut self.0, p.clamp(0.0, 1.0))
    }
    /// An index drawn by weight.
    fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u32 = weights.iter().sum();
        let mut x = rand::RngExt::random_range(&mut self.0, 0..total);
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len() - 1
    }
}

const FIRST: &[&str] = &[
    "Ada", "Alan", "Grace", "Linus", "Barbara", "Ken", "Dennis", "Margaret", "Edsger", "Donald",
    "Frances", "Radia", "John", "Leslie", "Niklaus",
];
const LAST: &[&str] = &[
    "Lovelace", "Turing", "Hopper", "Torvalds", "Liskov", "Thompson", "Ritchie", "Hamilton",
    "Dijkstra", "Knuth", "Allen", "Perlman", "Backus", "Lamport", "Wirth",
];
const PROJECT_ROLES: &[&str] = &["viewer", "editor", "admin", "billing"];
const TENANT_ROLES: &[&str] = &["member", "TenantAdmin", "Editor", "Viewer"];
const PLANS: &[&str] = &["free", "pro", "enterprise"];
const DEPARTMENTS: &[&str] = &["eng", "sales", "ops", "support", "finance"];

/// (action, weight, severity).
const ACTIONS: &[(&str, u32, &str)] = &[
    ("LoginSucceed", 620, "info"),
    ("LoginFailed", 90, "warn"),
    ("LoginStarted", 120, "info"),
    ("LoginStartedFailed", 20, "warn"),
    ("LogoutUser", 60, "info"),
    ("UserCreated", 20, "info"),
    ("UserModified", 40, "info"),
    ("TOTPVerifyFailed", 10, "warn"),
    ("LoginExceedMaxAttempts", 5, "error"),
    ("AccessKeyCreated", 5, "info"),
    ("ProjectSettingsModified", 2, "info"),
    ("RoleCreated", 8, "info"),
];
const METHODS: &[(&str, u32)] = &[
    ("password", 30),
    ("magiclink", 20),
    ("otp", 15),
    ("oauth", 15),
    ("sso", 10),
    ("webauthn", 7),
    ("totp", 3),
];
const DEVICES: &[(&str, u32)] = &[("Desktop", 60), ("Mobile", 32), ("Tablet", 6), ("Bot", 2)];
const GEOS: &[(&str, u32)] = &[
    ("US", 40),
    ("GB", 9),
    ("DE", 8),
    ("IN", 8),
    ("FR", 6),
    ("CA", 6),
    ("BR", 5),
    ("ES", 4),
    ("AU", 4),
    ("JP", 4),
    ("NL", 3),
    ("IL", 3),
];
const ERRORS: &[&str] = &[
    "Invalid password",
    "Magic link expired",
    "Invalid OTP code",
    "OAuth provider returned access_denied",
    "SAML response validation failed",
];

fn weights<T>(table: &[(T, u32)]) -> Vec<u32> {
    table.iter().map(|(_, w)| *w).collect()
}

fn user_id(i: usize) -> String {
    format!("U{i:027}")
}

fn tenant_id(t: usize) -> String {
    format!("T{t:04}")
}

/// The tenants a user belongs to: a home tenant, and a second one for one user in ten.
fn tenants_of(i: usize, n_tenants: usize) -> Vec<usize> {
    if n_tenants == 0 {
        return Vec::new();
    }
    let home = i % n_tenants;
    if i % 10 == 3 && n_tenants > 1 {
        vec![home, (home + 1 + i / n_tenants) % n_tenants]
    } else {
        vec![home]
    }
}

fn user_doc(rng: &mut Rng, i: usize, n_tenants: usize, now_s: i64) -> Value {
    let (first, last) = (FIRST[rng.below(FIRST.len())], LAST[rng.below(LAST.len())]);
    let login = format!("user{i}@bench.example");
    let created = now_s - 400 * 86_400 + rng.below(395 * 86_400) as i64;
    let r1 = rng.below(PROJECT_ROLES.len());
    let r2 = (r1 + 1 + rng.below(PROJECT_ROLES.len() - 1)) % PROJECT_ROLES.len();
    let user_tenants: Vec<Value> = tenants_of(i, n_tenants)
        .into_iter()
        .map(|t| {
            let id = tenant_id(t);
            json!({"tenantId": id, "tenantName": format!("Tenant {id}"), "roleNames": [TENANT_ROLES[rng.below(TENANT_ROLES.len())]], "joinedTime": created})
        })
        .collect();
    json!({
        "userId": user_id(i),
        "loginIds": [login],
        "externalIds": [login],
        "name": format!("{first} {last}"),
        "givenName": first,
        "familyName": last,
        "email": login,
        "phone": format!("+1555{:07}", rng.below(10_000_000)),
        "verifiedEmail": true,
        "verifiedPhone": rng.chance(0.4),
        "status": if rng.chance(0.9) { "enabled" } else { "disabled" },
        "roleNames": [PROJECT_ROLES[r1], PROJECT_ROLES[r2]],
        "userTenants": user_tenants,
        "customAttributes": {"plan": PLANS[rng.below(PLANS.len())], "department": DEPARTMENTS[rng.below(DEPARTMENTS.len())]},
        "picture": "",
        "ssoAppIds": [],
        "test": false,
        "editable": true,
        "createdTime": created,
        "modifiedTime": created,
        "TOTP": rng.chance(0.3), "SAML": false, "OIDC": false, "SCIM": false, "push": false,
        "webauthn": rng.chance(0.2), "password": rng.chance(0.6), "passwordExpired": false,
        "OAuth": {"google": rng.chance(0.5)},
    })
}

fn tenant_doc(t: usize, now_s: i64) -> Value {
    let id = tenant_id(t);
    json!({
        "id": id,
        "name": format!("Tenant {id}"),
        "selfProvisioningDomains": [format!("t{t:04}.bench.example")],
        "domains": [],
        "customAttributes": {"plan": PLANS[t % PLANS.len()]},
        "authType": "none",
        "disabled": false,
        "enforceSSO": false,
        "enforceSSOExclusions": [],
        "federatedAppIds": [],
        "parent": "",
        "successors": [],
        "defaultRoles": [],
        "roleInheritance": "",
        "createdTime": now_s - 400 * 86_400 + (t as i64) * 3600,
        "ssoIds": [],
    })
}

fn run(args: &Args) -> Result<(), String> {
    if args.data_dir.join("idmcp.db").exists() {
        return Err(format!(
            "{} already holds a store; give a fresh --data-dir",
            args.data_dir.display()
        ));
    }
    let started = Instant::now();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_millis() as i64;
    let now_s = now_ms / 1000;
    // A bulk load: durability of each batch is not needed (a failed seed is simply redone);
    // the checkpoint at the end makes the finished store durable.
    let store =
        Store::open_with(&args.data_dir, Durability::Throwaway).map_err(|e| e.to_string())?;
    let conn = store.writer_blocking();
    // Record the index layout first, so the server does not re-index the dataset at start-up.
    idmcp::engine::ensure_indexes(&conn).map_err(|e| e.to_string())?;
    let sql = |e: idmcp::store::Error| e.to_string();

    let project = idmcp::store::in_tx(&*conn, |c| {
        let company = c.principals().ensure_company(COMPANY, now_ms)?;
        c.principals()
            .ensure_descoper(&company, DESCOPER, "Bench Admin", true, now_ms)?;
        c.principals()
            .ensure_project(&company, PROJECT, "production", &["bench"], now_ms)
    })
    .map_err(sql)?;

    let mut rng = Rng::new(0x1d3c_be4c);

    // Tenants.
    let t0 = Instant::now();
    let tenant_paths = idmcp::engine::indexed_paths("tenants");
    idmcp::store::in_tx(&*conn, |c| {
        for t in 0..args.tenants {
            let doc = tenant_doc(t, now_s);
            c.docs().put(
                &project,
                "tenants",
                &tenant_id(t),
                &doc,
                doc["createdTime"].as_i64().unwrap_or(now_s),
                tenant_paths,
            )?;
        }
        Ok::<_, idmcp::store::Error>(())
    })
    .map_err(sql)?;
    let tenants_s = t0.elapsed().as_secs_f64();

    // Users, in large transactions.
    let t0 = Instant::now();
    let user_paths = idmcp::engine::indexed_paths("users");
    let mut i = 0;
    while i < args.users {
        let end = (i + BATCH).min(args.users);
        idmcp::store::in_tx(&*conn, |c| {
            for k in i..end {
                let doc = user_doc(&mut rng, k, args.tenants, now_s);
                c.docs().put(
                    &project,
                    "users",
                    &user_id(k),
                    &doc,
                    doc["createdTime"].as_i64().unwrap_or(now_s),
                    user_paths,
                )?;
            }
            Ok::<_, idmcp::store::Error>(())
        })
        .map_err(sql)?;
        i = end;
    }
    let users_s = t0.elapsed().as_secs_f64();

    // Audit events, oldest first (so the time index is appended in order), through one
    // prepared statement per transaction.
    let t0 = Instant::now();
    let (aw, mw, dw, gw) = (
        weights(&ACTIONS.iter().map(|(a, w, _)| (a, *w)).collect::<Vec<_>>()),
        weights(METHODS),
        weights(DEVICES),
        weights(GEOS),
    );
    let span = args.days * DAY_MS;
    let start = now_ms - span;
    let mut e = Event {
        project_id: project.clone(),
        ..Event::default()
    };
    let empty = json!({});
    let mut n = 0;
    while n < args.events {
        let end = (n + BATCH).min(args.events);
        idmcp::store::in_tx(&*conn, |c| {
            let ins = c.events();
            for k in n..end {
                // Evenly spread, with jitter inside each slot, never after now.
                let slot = span as f64 / args.events as f64;
                e.occurred =
                    (start + (k as f64 * slot) as i64 + rng.below(slot.max(1.0) as usize) as i64)
                        .min(now_ms);
                let (action, _, kind) = ACTIONS[rng.weighted(&aw)];
                e.action = action.to_owned();
                e.kind = kind.to_owned();
                let u = if args.users > 0 {
                    rng.below(args.users)
                } else {
                    0
                };
                e.user_id = user_id(u);
                e.login_id = format!("user{u}@bench.example");
                e.actor_id = if action.starts_with("Login")
                    || action.starts_with("Logout")
                    || action.starts_with("TOTP")
                {
                    e.user_id.clone()
                } else {
                    DESCOPER.to_owned()
                };
                e.method = METHODS[rng.weighted(&mw)].0.to_owned();
                e.device = DEVICES[rng.weighted(&dw)].0.to_owned();
                e.geo = GEOS[rng.weighted(&gw)].0.to_owned();
                e.remote_address = format!(
                    "{}.{}.{}.{}",
                    20 + rng.below(200),
                    rng.below(256),
                    rng.below(256),
                    1 + rng.below(254)
                );
                e.tenants = tenants_of(u, args.tenants)
                    .into_iter()
                    .map(tenant_id)
                    .collect();
                e.data = if kind == "info" {
                    empty.clone()
                } else {
                    json!({"error_message": ERRORS[rng.below(ERRORS.len())]})
                };
                ins.insert(&e)?;
            }
            Ok::<_, idmcp::store::Error>(())
        })
        .map_err(sql)?;
        n = end;
    }
    let events_s = t0.elapsed().as_secs_f64();

    let t0 = Instant::now();
    conn.checkpoint().map_err(sql)?;
    let finish_s = t0.elapsed().as_secs_f64();
    let size = std::fs::metadata(store.location())
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "seeded {}: company {COMPANY:?}, Descoper {DESCOPER}, project {project}; {} tenants in {tenants_s:.2}s, {} users in {users_s:.2}s, {} events over {} days in {events_s:.2}s, checkpoint {finish_s:.2}s; total {:.2}s; store {:.1} MB",
        args.data_dir.display(),
        args.tenants,
        args.users,
        args.events,
        args.days,
        started.elapsed().as_secs_f64(),
        size as f64 / 1e6
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("idmcp-bench-seed: {msg}");
            ExitCode::FAILURE
        }
    }
}
