//! Demo data: the `events` part of Acme Holdings — 13 months of platform audit events for
//! every user (sign-ups, sign-ins with their failures and abandoned starts, profile and admin
//! changes), with the stories of use-cases.md §5.8 planted on top, and each user's derived
//! `lastLoginTime` (G3) written back to the user documents.
//!
//! The routine baseline is generated as compact records, sorted by time and merged with the
//! planted events (full [`Event`]s) while inserting, so the time index is appended in order.
//! Everything comes from `s.rng` and is relative to `s.now_ms`, so a seed is reproducible.

use std::collections::HashMap;

use rand::RngExt;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::Seed;
use super::cast::{self, PEOPLE, TENANTS};
use crate::engine::handlers::auth_keys::KEYS_COLL;
use crate::store::events::Event;

const MIN: i64 = 60_000;
const HOUR: i64 = 60 * MIN;
const DAY: i64 = 24 * HOUR;
/// How far back the generated history reaches (13 months).
const SPAN_DAYS: i64 = 395;

const DESCOPERS: [&str; 3] = ["admin@acme.example", "dev@acme.example", "sec@acme.example"];
/// The Descopers' office egress (the project's `office-egress` IP list).
const OFFICE_IP: &str = "192.0.2.10";

// Compact codes of the baseline records.
const ACTIONS: [&str; 5] = [
    "LoginSucceed",
    "LoginFailed",
    "LoginStarted",
    "LoginStartedFailed",
    "UserCreated",
];
const A_OK: u8 = 0;
const A_FAIL: u8 = 1;
const A_START: u8 = 2;
const A_START_FAIL: u8 = 3;
const A_CREATED: u8 = 4;

const METHODS: [&str; 8] = [
    "password",
    "magiclink",
    "otp",
    "oauth",
    "sso",
    "webauthn",
    "totp",
    "enchantedlink",
];
const M_PASSWORD: u8 = 0;
const M_MAGICLINK: u8 = 1;
const M_OTP: u8 = 2;
const M_OAUTH: u8 = 3;
const M_SSO: u8 = 4;
const M_WEBAUTHN: u8 = 5;
const M_TOTP: u8 = 6;

const DEVICES: [&str; 4] = ["Desktop", "Mobile", "Tablet", "Bot"];

/// Failure reasons, by method (index into this table is stored per record).
const ERRORS: [&str; 9] = [
    "Invalid password",
    "Magic link expired",
    "Invalid OTP code",
    "OAuth provider returned access_denied",
    "SAML response validation failed",
    "WebAuthn assertion failed: user cancelled",
    "Invalid TOTP code",
    "Too many OTP attempts",
    "",
];

/// Home countries of users: code, weight, cities, first octets of their IPs.
struct Country {
    code: &'static str,
    weight: u32,
    cities: &'static [&'static str],
    octets: &'static [u8],
}

const COUNTRIES: &[Country] = &[
    Country {
        code: "US",
        weight: 40,
        cities: &[
            "New York",
            "Chicago",
            "Austin",
            "Seattle",
            "Boston",
            "San Francisco",
            "Denver",
        ],
        octets: &[73, 98, 24, 71, 67],
    },
    Country {
        code: "GB",
        weight: 9,
        cities: &["London", "Manchester", "Leeds"],
        octets: &[81, 86, 92],
    },
    Country {
        code: "DE",
        weight: 8,
        cities: &["Berlin", "Munich", "Hamburg"],
        octets: &[84, 91, 93],
    },
    Country {
        code: "IN",
        weight: 8,
        cities: &["Bengaluru", "Mumbai", "Pune"],
        octets: &[49, 106, 117],
    },
    Country {
        code: "FR",
        weight: 6,
        cities: &["Paris", "Lyon"],
        octets: &[90, 82],
    },
    Country {
        code: "CA",
        weight: 6,
        cities: &["Toronto", "Vancouver", "Montreal"],
        octets: &[99, 174],
    },
    Country {
        code: "BR",
        weight: 5,
        cities: &["São Paulo", "Rio de Janeiro"],
        octets: &[177, 189],
    },
    Country {
        code: "ES",
        weight: 4,
        cities: &["Madrid", "Barcelona"],
        octets: &[88, 83],
    },
    Country {
        code: "AU",
        weight: 4,
        cities: &["Sydney", "Melbourne"],
        octets: &[101, 121],
    },
    Country {
        code: "JP",
        weight: 4,
        cities: &["Tokyo", "Osaka"],
        octets: &[126, 133],
    },
    Country {
        code: "NL",
        weight: 3,
        cities: &["Amsterdam", "Rotterdam"],
        octets: &[145, 77],
    },
    Country {
        code: "IL",
        weight: 3,
        cities: &["Tel Aviv", "Haifa"],
        octets: &[79, 109],
    },
];

/// A generated user's habits.
struct Profile {
    user_id: String,
    login_id: String,
    tenants: Vec<String>,
    created_ms: i64,
    /// (IP, city) pairs the user signs in from; the first is the usual one.
    places: Vec<(String, &'static str)>,
    geo: &'static str,
    device: u8,
    method: u8,
    mfa: bool,
    provider: &'static str,
    /// From when the user signs in with a passkey (WebAuthn growth).
    passkey_from: Option<i64>,
    /// Mean sign-ins per day.
    rate: f64,
    /// No generated sign-ins after this time (dormant users; planted stories take over).
    active_until: i64,
    sign_up_method: &'static str,
    self_signup: bool,
}

/// One routine event; expanded into an [`Event`] at insert time.
#[derive(Clone, Copy)]
struct Rec {
    t: i64,
    user: u32,
    action: u8,
    method: u8,
    device: u8,
    place: u8,
    tenant: u8,
    err: u8,
    factor: u8,
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn weighted(rng: &mut StdRng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut x = rng.random_range(0..total);
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

fn ip(rng: &mut StdRng, first: u8) -> String {
    format!(
        "{first}.{}.{}.{}",
        rng.random_range(1..255u8),
        rng.random_range(0..255u8),
        rng.random_range(2..254u8)
    )
}

fn iso_date(ms: i64) -> String {
    let (y, m, d) = crate::store::events::civil_from_days(ms.div_euclid(DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Tenants of a user as the users step stored them, or a fallback drawn here (Acme and
/// Globex heavy, the empty "Vandelay Imports" never).
fn tenants_of(doc: Option<&Value>, rng: &mut StdRng) -> Vec<String> {
    if let Some(d) = doc {
        return d
            .get("userTenants")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.get("tenantId").and_then(Value::as_str).map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
    }
    // none, Acme, Globex, Acme Corp, Acme-Holdings, Acme Inc, Initech, Umbrella, Hooli, Stark, Wayne
    let ids = [
        "",
        "T-acme",
        "T-globex",
        "T-acme-corp",
        "T-acme-holdings",
        "T-acme-inc",
        "T-initech",
        "T-umbrella",
        "T-hooli",
        "T-stark",
        "T-wayne",
    ];
    let i = weighted(rng, &[25, 22, 15, 8, 5, 4, 7, 5, 4, 3, 2]);
    if ids[i].is_empty() {
        Vec::new()
    } else {
        vec![ids[i].to_owned()]
    }
}

fn method_code(sign_up: &str) -> Option<u8> {
    Some(match sign_up {
        "password" => M_PASSWORD,
        "magiclink" => M_MAGICLINK,
        "otp" => M_OTP,
        s if s.starts_with("social") => M_OAUTH,
        "sso" => M_SSO,
        "passkey" => M_WEBAUTHN,
        _ => return None,
    })
}

fn sign_up_name(method: u8, provider: &str) -> &'static str {
    match method {
        M_PASSWORD => "password",
        M_MAGICLINK => "magiclink",
        M_OTP => "otp",
        M_OAUTH if provider == "github" => "social:github",
        M_OAUTH => "social:google",
        M_SSO => "sso",
        _ => "passkey",
    }
}

/// Builds the profile of one user from its stored document (if the users step made one)
/// and the RNG.
fn profile(
    s: &mut Seed,
    user_id: String,
    login_id: String,
    doc: Option<&Value>,
    i: usize,
) -> Profile {
    let now = s.now_ms;
    let rng = &mut s.rng;
    let tenants = tenants_of(doc, rng);
    let c = &COUNTRIES[weighted(rng, &COUNTRIES.iter().map(|c| c.weight).collect::<Vec<_>>())];
    let octet = *pick(rng, c.octets);
    let home = (ip(rng, octet), *pick(rng, c.cities));
    let mut places = vec![home];
    if rng.random_bool(0.4) {
        // A second network in the same country (mobile data, a second office).
        let octet = *pick(rng, c.octets);
        places.push((ip(rng, octet), *pick(rng, c.cities)));
    }
    let saml = tenants.iter().any(|t| t == "T-acme" || t == "T-globex");
    let doc_method = doc
        .and_then(|d| d.get("signUpMethod"))
        .and_then(Value::as_str)
        .and_then(method_code);
    let method = if tenants.iter().any(|t| t == "T-globex") {
        // Globex enforces SSO: its members have no other way in (so every failed Globex
        // sign-in since the certificate expired is the certificate's doing).
        M_SSO
    } else if saml && rng.random_bool(0.5) {
        M_SSO
    } else if let Some(m) = doc_method.filter(|m| *m != M_WEBAUTHN) {
        m
    } else {
        [M_PASSWORD, M_MAGICLINK, M_OTP, M_OAUTH][weighted(rng, &[38, 26, 16, 20])]
    };
    let provider = if method == M_OAUTH {
        *pick(rng, &["google", "google", "github", "microsoft"])
    } else {
        ""
    };
    let created_ms = match doc
        .and_then(|d| d.get("createdTime"))
        .and_then(Value::as_i64)
    {
        Some(secs) => secs * 1000,
        // Fallback: 40% older than the window, the rest arriving at a growing pace.
        None if rng.random_bool(0.4) => now - (SPAN_DAYS + rng.random_range(1..600)) * DAY,
        None => now - ((1.0 - rng.random::<f64>().sqrt()) * SPAN_DAYS as f64 * DAY as f64) as i64,
    };
    let status = doc.and_then(|d| d.get("status")).and_then(Value::as_str);
    let class = rng.random_range(0..100);
    let active_until = if class < 8 || status == Some("invited") {
        created_ms // never signs in after sign-up
    } else if class < 24 || status == Some("disabled") {
        now - rng.random_range(31..220) * DAY
    } else {
        now
    };
    // Passkey adoption accelerates over the last 90 days.
    let passkey_from = if rng.random_bool(0.22) {
        let back = (rng.random::<f64>().powi(2) * 120.0 * DAY as f64) as i64;
        Some(now - back)
    } else {
        None
    };
    let u: f64 = rng.random();
    Profile {
        user_id,
        login_id,
        tenants,
        created_ms,
        geo: c.code,
        places,
        device: [0u8, 1, 2][weighted(rng, &[60, 33, 7])],
        mfa: method == M_PASSWORD && rng.random_bool(0.25),
        provider,
        passkey_from,
        rate: 0.08 + 1.2 * u * u,
        active_until,
        sign_up_method: doc
            .and_then(|d| d.get("signUpMethod"))
            .and_then(Value::as_str)
            .and_then(|m| {
                [
                    "magiclink",
                    "otp",
                    "password",
                    "social:google",
                    "social:github",
                    "sso",
                    "passkey",
                ]
                .into_iter()
                .find(|k| *k == m)
            })
            .unwrap_or(sign_up_name(method, provider)),
        // Most users sign themselves up; the rest were created by an admin.
        self_signup: doc
            .map(|d| d.get("signUpMethod").is_some())
            .unwrap_or(i % 5 != 0),
        method,
    }
}

/// Probability that one attempt with `method` fails at time `t`.
fn failure_rate(method: u8, t: i64, now: i64) -> f64 {
    let recent = t > now - 10 * DAY;
    match method {
        M_PASSWORD => 0.13,
        M_MAGICLINK => 0.03,
        // OTP and TOTP failures rise over the last ten days (an anomaly to detect).
        M_OTP if recent => 0.19,
        M_OTP => 0.05,
        M_TOTP if recent => 0.22,
        M_TOTP => 0.04,
        M_OAUTH => 0.02,
        M_SSO => 0.03,
        _ => 0.01,
    }
}

fn error_for(method: u8) -> u8 {
    match method {
        M_PASSWORD => 0,
        M_MAGICLINK => 1,
        M_OTP => 2,
        M_OAUTH => 3,
        M_SSO => 4,
        M_WEBAUTHN => 5,
        M_TOTP => 6,
        _ => 8,
    }
}

/// Generates one user's routine history into `out`.
fn baseline(
    rng: &mut StdRng,
    p: &Profile,
    idx: u32,
    now: i64,
    globex_expiry: i64,
    out: &mut Vec<Rec>,
) {
    let start = now - SPAN_DAYS * DAY;
    let tenant_code = |rng: &mut StdRng| -> u8 {
        if p.tenants.is_empty() {
            u8::MAX
        } else {
            rng.random_range(0..p.tenants.len().min(2)) as u8
        }
    };
    let rec = |t, action, method, device, place, tenant, err, factor| Rec {
        t,
        user: idx,
        action,
        method,
        device,
        place,
        tenant,
        err,
        factor,
    };
    if p.created_ms >= start && p.created_ms <= now {
        let t = p.created_ms;
        let tenant = tenant_code(rng);
        let m = if p.self_signup { p.method } else { u8::MAX };
        if p.self_signup && matches!(p.method, M_MAGICLINK | M_OTP) {
            out.push(rec(
                t - rng.random_range(30_000..200_000),
                A_START,
                p.method,
                p.device,
                0,
                tenant,
                0,
                1,
            ));
        }
        out.push(rec(t, A_CREATED, m, p.device, 0, tenant, 0, 0));
        // Users who never sign in (invited, or abandoned right after sign-up) get no session.
        if p.self_signup && p.active_until > p.created_ms {
            out.push(rec(t + 2_000, A_OK, p.method, p.device, 0, tenant, 0, 1));
        }
    }
    let from = p.created_ms.max(start);
    let until = p.active_until.min(now);
    let mut day = from.div_euclid(DAY);
    while day * DAY < until {
        let day_start = day * DAY;
        day += 1;
        // Weekends are quieter; overall volume grows ~60% over the 13 months.
        let weekday = (day_start.div_euclid(DAY) + 3).rem_euclid(7);
        let season = if weekday >= 5 { 0.55 } else { 1.15 };
        let growth = 0.75 + 0.5 * (day_start - start) as f64 / (SPAN_DAYS * DAY) as f64;
        let mean = p.rate * season * growth;
        let mut n = mean.floor() as u32;
        if rng.random::<f64>() < mean.fract() {
            n += 1;
        }
        for _ in 0..n {
            // Business hours mostly (05:00–22:00 UTC).
            let t = day_start + rng.random_range(5 * HOUR..22 * HOUR);
            if t >= until || t <= p.created_ms + 60_000 {
                continue;
            }
            let tenant = tenant_code(rng);
            let place = if p.places.len() > 1 && rng.random_bool(0.3) {
                1
            } else {
                0
            };
            let device = if rng.random_bool(0.12) {
                [0u8, 1, 2][weighted(rng, &[50, 40, 10])]
            } else {
                p.device
            };
            let method = if p.passkey_from.is_some_and(|f| t >= f) && rng.random_bool(0.85) {
                M_WEBAUTHN
            } else {
                p.method
            };
            let globex_broken = method == M_SSO
                && t >= globex_expiry
                && tenant != u8::MAX
                && p.tenants[tenant as usize] == "T-globex";
            let mut t = t;
            if matches!(method, M_MAGICLINK | M_OTP | M_SSO) || (method == M_PASSWORD && p.mfa) {
                if globex_broken && rng.random_bool(0.5) {
                    // The IdP's expired certificate breaks the SSO start itself.
                    out.push(rec(
                        t,
                        A_START_FAIL,
                        method,
                        device,
                        place,
                        tenant,
                        u8::MAX,
                        1,
                    ));
                    continue;
                }
                out.push(rec(t, A_START, method, device, place, tenant, 0, 1));
                // Started but never completed: the funnel's drop-off.
                if rng.random_bool(0.08) {
                    continue;
                }
                t += rng.random_range(15_000..180_000);
            }
            let (method, factor) = if method == M_PASSWORD && p.mfa {
                (M_TOTP, 2)
            } else {
                (method, 1)
            };
            if globex_broken {
                out.push(rec(
                    t,
                    A_FAIL,
                    method,
                    device,
                    place,
                    tenant,
                    u8::MAX,
                    factor,
                ));
                continue;
            }
            if rng.random::<f64>() < failure_rate(method, t, now) {
                out.push(rec(
                    t,
                    A_FAIL,
                    method,
                    device,
                    place,
                    tenant,
                    error_for(method),
                    factor,
                ));
                if !rng.random_bool(0.65) {
                    continue;
                }
                t += rng.random_range(20_000..240_000);
            }
            out.push(rec(t, A_OK, method, device, place, tenant, 0, factor));
        }
    }
}

/// A planted event with the usual defaults.
struct Planter<'a> {
    project: &'a str,
    out: Vec<Event>,
}

impl Planter<'_> {
    #[allow(clippy::too_many_arguments)]
    fn login(
        &mut self,
        t: i64,
        action: &str,
        user: (&str, &str),
        method: &str,
        device: &str,
        geo: &str,
        ip: &str,
        tenants: &[&str],
        data: Value,
    ) {
        self.out.push(Event {
            project_id: self.project.to_owned(),
            occurred: t,
            action: action.to_owned(),
            kind: match action {
                "LoginFailed" | "LoginStartedFailed" => "error".into(),
                "LoginExceedMaxAttempts" | "UserImpersonated" => "warn".into(),
                _ => "info".into(),
            },
            actor_id: user.0.to_owned(),
            user_id: user.0.to_owned(),
            login_id: user.1.to_owned(),
            method: method.to_owned(),
            device: device.to_owned(),
            geo: geo.to_owned(),
            remote_address: ip.to_owned(),
            tenants: tenants.iter().map(|t| (*t).to_owned()).collect(),
            data,
        });
    }

    /// A change made by a Descoper (console or management API).
    fn admin(
        &mut self,
        t: i64,
        action: &str,
        actor: &str,
        user: (&str, &str),
        tenants: &[&str],
        data: Value,
    ) {
        self.out.push(Event {
            project_id: self.project.to_owned(),
            occurred: t,
            action: action.to_owned(),
            kind: "info".into(),
            actor_id: actor.to_owned(),
            user_id: user.0.to_owned(),
            login_id: user.1.to_owned(),
            device: "Desktop".into(),
            geo: "US".into(),
            remote_address: OFFICE_IP.into(),
            tenants: tenants.iter().map(|t| (*t).to_owned()).collect(),
            data,
            ..Event::default()
        });
    }
}

fn person(user_id: &str) -> (&'static str, &'static str) {
    let p = PEOPLE
        .iter()
        .find(|p| p.user_id == user_id)
        .expect("cast person");
    (p.user_id, p.login_id)
}

pub fn seed(s: &mut Seed) -> crate::store::Result<()> {
    let started = std::time::Instant::now();
    let now = s.now_ms;
    let prod = s.prod.clone();
    let staging = s.staging.clone();
    let globex_expiry = now - 7 * DAY - 5 * HOUR;

    // --- Profiles: the named cast with fixed habits, then the baseline users.
    let user_docs: HashMap<String, Value> =
        s.conn.docs().scan(&prod, "users")?.into_iter().collect();
    let mut profiles: Vec<Profile> = Vec::with_capacity(s.baseline_users + PEOPLE.len());
    for (i, p) in PEOPLE.iter().enumerate() {
        let mut pr = profile(
            s,
            p.user_id.to_owned(),
            p.login_id.to_owned(),
            user_docs.get(p.user_id),
            i + 1,
        );
        pr.created_ms = pr.created_ms.min(now - 300 * DAY);
        pr.active_until = now;
        pr.passkey_from = None;
        pr.self_signup = true;
        pr.geo = "US";
        pr.device = 0;
        match p.user_id {
            "U-jane" => {
                pr.places = vec![
                    ("198.51.100.23".into(), "Boston"),
                    ("203.0.113.77".into(), "New York"),
                ];
                pr.method = M_MAGICLINK;
                pr.rate = 0.5;
            }
            "U-alice" => {
                pr.places = vec![("73.162.18.40".into(), "San Francisco")];
                pr.method = M_PASSWORD;
                pr.mfa = false;
                pr.rate = 0.8;
                if pr.tenants.is_empty() {
                    pr.tenants = vec!["T-acme".into(), "T-acme-holdings".into()];
                }
            }
            "U-bob" => {
                pr.places = vec![("98.207.44.12".into(), "Seattle")];
                pr.method = M_SSO;
                pr.rate = 0.6;
                if pr.tenants.is_empty() {
                    pr.tenants = vec!["T-acme".into()];
                }
            }
            "U-abc123" => {
                // Weeks of quiet sign-ins from one Chicago address, until the compromise.
                pr.places = vec![("73.12.44.9".into(), "Chicago")];
                pr.method = M_PASSWORD;
                pr.mfa = false;
                pr.rate = 0.7;
                pr.active_until = now - 4 * DAY - 6 * HOUR;
            }
            "U-admin" => {
                pr.places = vec![("73.51.200.8".into(), "Austin")];
                pr.method = M_PASSWORD;
                pr.mfa = true;
                pr.rate = 0.9;
                if pr.tenants.is_empty() {
                    pr.tenants = vec!["T-acme".into()];
                }
            }
            _ => {
                pr.rate = 0.1;
            }
        }
        profiles.push(pr);
    }
    for i in 0..s.baseline_users {
        let (uid, login) = cast::baseline(i);
        let doc = user_docs.get(&uid).cloned();
        let pr = profile(s, uid, login, doc.as_ref(), i);
        profiles.push(pr);
    }
    // A traveller: three weeks and more from the US, then a first sign-in from Brazil.
    const TRAVELLER: usize = 7;
    if let Some(p) = profiles.get_mut(PEOPLE.len() + TRAVELLER) {
        p.geo = "US";
        p.places = vec![("24.17.80.133".into(), "Denver")];
        p.created_ms = p.created_ms.min(now - 200 * DAY);
        p.active_until = now - 2 * DAY - 3 * HOUR;
        p.rate = p.rate.max(0.5);
        p.passkey_from = None;
    }

    // --- Routine history.
    let mut recs: Vec<Rec> = Vec::with_capacity(s.baseline_users * 100);
    for (idx, p) in profiles.iter().enumerate() {
        baseline(&mut s.rng, p, idx as u32, now, globex_expiry, &mut recs);
    }
    // A sign-in begun just before the clock can complete after it (start, failure, retry);
    // nothing may lie in the future, or last-login times would disagree with every history.
    recs.retain(|r| r.t <= now);
    recs.sort_by_key(|r| r.t);

    // --- Planted stories (use-cases.md §5.8).
    let mut pl = Planter {
        project: &prod,
        out: Vec::new(),
    };
    plant_stories(s, &mut pl, &profiles, globex_expiry)?;
    plant_admin_history(s, &mut pl, &profiles)?;
    let mut planted = pl.out;
    planted.sort_by_key(|e| e.occurred);
    let planted_len = planted.len();

    // --- Insert, merging the two time-sorted streams.
    let globex_msg = globex_message(globex_expiry);
    let mut last_login: HashMap<String, i64> = HashMap::new();
    let ins = s.conn.events();
    let mut pi = planted.into_iter().peekable();
    for r in &recs {
        while let Some(e) = pi.next_if(|e| e.occurred <= r.t) {
            note_login(&mut last_login, &e);
            ins.insert(&e)?;
        }
        let e = expand(&prod, r, &profiles, &globex_msg);
        note_login(&mut last_login, &e);
        ins.insert(&e)?;
    }
    for e in pi {
        note_login(&mut last_login, &e);
        ins.insert(&e)?;
    }

    // --- Staging: a little activity of its own.
    let mut st = Planter {
        project: &staging,
        out: Vec::new(),
    };
    plant_staging(s, &mut st);
    for e in &st.out {
        ins.insert(e)?;
    }

    let inserted = recs.len() + planted_len + st.out.len();
    // --- G3: each user's last successful sign-in, on the user document.
    for (user_id, t) in last_login {
        if let Some(mut doc) = s.conn.docs().get(&prod, "users", &user_id)? {
            if let Some(obj) = doc.as_object_mut() {
                obj.insert("lastLoginTime".into(), json!(t / 1000));
                s.put(&prod, "users", &user_id, &doc)?;
            }
        }
    }
    tracing::info!(
        events = inserted,
        ms = started.elapsed().as_millis() as u64,
        "seeded the demo audit events"
    );
    Ok(())
}

/// What Globex's SSO sign-ins fail with since the IdP certificate expired.
fn globex_message(expiry: i64) -> String {
    format!(
        "SAML response signature validation failed: the IdP signing certificate expired on {}",
        iso_date(expiry)
    )
}

fn note_login(last: &mut HashMap<String, i64>, e: &Event) {
    if e.action == "LoginSucceed" && !e.user_id.is_empty() {
        let v = last.entry(e.user_id.clone()).or_insert(e.occurred);
        *v = (*v).max(e.occurred);
    }
}

fn expand(project: &str, r: &Rec, profiles: &[Profile], globex_msg: &str) -> Event {
    let p = &profiles[r.user as usize];
    let action = ACTIONS[r.action as usize];
    let tenant = p.tenants.get(r.tenant as usize);
    let (ip, city) = &p.places[(r.place as usize).min(p.places.len() - 1)];
    let mut data = serde_json::Map::new();
    if r.action != A_CREATED {
        data.insert("city".into(), json!(city));
    }
    if r.factor > 0 {
        data.insert(
            "factor".into(),
            json!(if r.factor == 2 { "second" } else { "first" }),
        );
    }
    if r.action == A_FAIL || r.action == A_START_FAIL {
        let msg = if r.err == u8::MAX {
            globex_msg.to_owned()
        } else {
            ERRORS[r.err as usize].to_owned()
        };
        data.insert("error_message".into(), json!(msg));
    }
    if r.method == M_OAUTH && !p.provider.is_empty() {
        data.insert("provider".into(), json!(p.provider));
    }
    if r.action == A_CREATED {
        data.insert(
            "signUpMethod".into(),
            json!(if r.method == u8::MAX {
                ""
            } else {
                p.sign_up_method
            }),
        );
        data.insert(
            "flowId".into(),
            json!(if r.method == u8::MAX {
                ""
            } else {
                "sign-up-or-in"
            }),
        );
    }
    let (actor, method) = if r.action == A_CREATED && r.method == u8::MAX {
        // Created by an admin through the console: no method, a Descoper as the actor.
        (DESCOPERS[(r.user % 3) as usize].to_owned(), String::new())
    } else {
        (
            p.user_id.clone(),
            METHODS
                .get(r.method as usize)
                .copied()
                .unwrap_or("")
                .to_owned(),
        )
    };
    Event {
        project_id: project.to_owned(),
        occurred: r.t,
        action: action.to_owned(),
        kind: if matches!(r.action, A_FAIL | A_START_FAIL) {
            "error".into()
        } else {
            "info".into()
        },
        actor_id: actor,
        user_id: p.user_id.clone(),
        login_id: p.login_id.clone(),
        method,
        device: if r.action == A_CREATED && r.method == u8::MAX {
            "Desktop".into()
        } else {
            DEVICES[r.device as usize].into()
        },
        geo: p.geo.to_owned(),
        remote_address: if r.action == A_CREATED && r.method == u8::MAX {
            OFFICE_IP.into()
        } else {
            ip.clone()
        },
        tenants: tenant.map(|t| vec![t.clone()]).unwrap_or_default(),
        data: Value::Object(data),
    }
}

fn plant_stories(
    s: &mut Seed,
    pl: &mut Planter,
    profiles: &[Profile],
    globex_expiry: i64,
) -> crate::store::Result<()> {
    let now = s.now_ms;
    let rng = &mut s.rng;
    let first = |m: &str| json!({"factor": "first", "error_message": m});
    let tenants_of = |uid: &str| -> Vec<String> {
        profiles
            .iter()
            .find(|p| p.user_id == uid)
            .map(|p| p.tenants.clone())
            .unwrap_or_default()
    };
    let baseline_in = |tenant: &str, n: usize| -> Vec<(String, String)> {
        profiles
            .iter()
            .skip(PEOPLE.len())
            .filter(|p| p.tenants.iter().any(|t| t == tenant))
            .take(n)
            .map(|p| (p.user_id.clone(), p.login_id.clone()))
            .collect()
    };

    // Last 24 h: failed sign-ins from several users, places and reasons.
    let failures = [
        ("U-bob", "password", "GB", "81.2.69.160", "Invalid password"),
        (
            "U-jane",
            "magiclink",
            "US",
            "198.51.100.23",
            "Magic link expired",
        ),
        ("U-qa", "otp", "DE", "84.17.42.9", "Invalid OTP code"),
        (
            "U-alice",
            "password",
            "US",
            "73.162.18.40",
            "Invalid password",
        ),
        ("U-admin", "totp", "US", "73.51.200.8", "Invalid TOTP code"),
    ];
    for (k, (uid, m, geo, ip, msg)) in failures.iter().enumerate() {
        let who = person(uid);
        let ts = tenants_of(uid);
        let t: Vec<&str> = ts.iter().take(1).map(String::as_str).collect();
        pl.login(
            now - (2 + 4 * k as i64) * HOUR,
            "LoginFailed",
            who,
            m,
            "Desktop",
            geo,
            ip,
            &t,
            first(msg),
        );
    }
    for k in 0..4 {
        let login = format!("unknown{}@mailbox.example", 100 + k);
        pl.login(
            now - (3 + 5 * k) * HOUR - 7 * MIN,
            "LoginFailed",
            ("", &login),
            "password",
            "Mobile",
            "IN",
            &format!("49.36.{}.{}", 10 + k, 77),
            &[],
            first("User not found"),
        );
    }

    // Brute force on the admin account, five days ago: 30 failures in 10 minutes from one
    // address, then the lockout.
    let admin = person("U-admin");
    let acme = ["T-acme"];
    let bf = now - 5 * DAY - 3 * HOUR;
    for k in 0..30 {
        pl.login(
            bf + k * 20_000 + rng.random_range(0..9_000),
            "LoginFailed",
            admin,
            "password",
            "Desktop",
            "NL",
            "185.220.101.47",
            &acme,
            json!({"factor": "first", "error_message": "Invalid password", "city": "Amsterdam"}),
        );
    }
    pl.login(bf + 10 * MIN, "LoginExceedMaxAttempts", admin, "password", "Desktop", "NL", "185.220.101.47", &acme, json!({"error_message": "Too many failed attempts: account locked for 30 minutes", "attempts": 30, "city": "Amsterdam"}));

    // Q1's incident, for quarterly evidence (P126): bob locked out after a password-spraying
    // run, and the IT admin impersonating him the next morning to check his account. Q1 is
    // this year's once it has ended, else last year's, kept inside the 13 months of history.
    let (y, m, _) = crate::store::events::civil_from_days(now.div_euclid(DAY));
    let q1_year = if m >= 4 { y } else { y - 1 };
    let q1 = (crate::store::events::days_from_civil(q1_year, 2, 12) * DAY + 9 * HOUR)
        .max(now - (SPAN_DAYS - 5) * DAY);
    let bob = person("U-bob");
    for k in 0..12 {
        pl.login(
            q1 + k * 25_000,
            "LoginFailed",
            bob,
            "password",
            "Desktop",
            "UA",
            "91.215.85.12",
            &acme,
            json!({"factor": "first", "error_message": "Invalid password", "city": "Kyiv"}),
        );
    }
    pl.login(q1 + 12 * 25_000, "LoginExceedMaxAttempts", bob, "password", "Desktop", "UA", "91.215.85.12", &acme, json!({"error_message": "Too many failed attempts: account locked for 30 minutes", "attempts": 12, "city": "Kyiv"}));
    pl.login(q1 + 20 * HOUR, "UserImpersonated", bob, "", "Desktop", "US", "73.51.200.8", &acme,
        json!({"impersonatorId": "U-admin", "impersonatorLoginId": "it-admin@acme.com", "reason": "checking the account after a lockout", "city": "Austin"}));
    if let Some(e) = pl.out.last_mut() {
        e.actor_id = "U-admin".into();
    }

    // A failed-login spike within one hour, 15 days ago (credential stuffing).
    let spike = now - 15 * DAY - 20 * HOUR;
    let pool: Vec<&Profile> = profiles
        .iter()
        .skip(PEOPLE.len())
        .step_by(7)
        .take(60)
        .collect();
    for k in 0..90 {
        let (ip, geo) = [
            ("103.75.190.12", "VN"),
            ("95.213.145.3", "RU"),
            ("36.110.62.200", "CN"),
            ("45.146.164.9", "RU"),
        ][k % 4];
        let (uid, login, msg) = match pool.get(k % pool.len().max(1)) {
            Some(p) if k % 3 != 0 => (p.user_id.clone(), p.login_id.clone(), "Invalid password"),
            _ => (
                String::new(),
                format!("admin{k}@customers.example"),
                "User not found",
            ),
        };
        pl.login(
            spike + rng.random_range(0..55 * MIN),
            "LoginFailed",
            (&uid, &login),
            "password",
            if k % 2 == 0 { "Bot" } else { "Desktop" },
            geo,
            ip,
            &[],
            first(msg),
        );
    }

    // Globex: the IdP signing certificate expired a week ago; SSO sign-ins fail in bursts.
    let msg = globex_message(globex_expiry);
    let mut globex = baseline_in("T-globex", 25);
    if globex.is_empty() {
        globex.push(("".into(), "someone@globex.example".into()));
    }
    let gt = ["T-globex"];
    for burst in 0..6 {
        let t0 = globex_expiry + HOUR + burst * 26 * HOUR;
        for k in 0..12 {
            let (uid, login) = &globex[(burst as usize * 5 + k) % globex.len()];
            let action = if k % 3 == 0 {
                "LoginFailed"
            } else {
                "LoginStartedFailed"
            };
            pl.login(
                t0 + k as i64 * 90_000,
                action,
                (uid, login),
                "sso",
                "Desktop",
                "US",
                &format!("64.233.{}.{}", 160 + k, 20 + burst),
                &gt,
                json!({"factor": "first", "error_message": msg, "ssoTenant": "T-globex"}),
            );
        }
    }

    // Sign-ups failing the same way over the last 6 days: OTP e-mails to outlook.com bounce.
    for k in 0..24 {
        let login = format!(
            "{}{}@outlook.com",
            ["sam", "lee", "kim", "pat", "max", "ana"][k % 6],
            40 + k
        );
        let t = now - 6 * DAY + (k as i64) * 5 * HOUR + rng.random_range(0..HOUR);
        pl.login(t, "LoginStartedFailed", ("", &login), "otp", if k % 3 == 0 { "Desktop" } else { "Mobile" }, "US", &format!("172.58.{}.{}", 10 + k, 9), &[],
            json!({"factor": "first", "flowId": "sign-up", "signUp": true, "error_message": "Failed to send OTP e-mail: 550 5.7.1 message rejected by outlook.com (sender domain not authenticated)"}));
    }

    // Suspicious sign-ins at Acme this week.
    let acme_users: Vec<(String, String)> = {
        let mut v = vec![
            ("U-alice".to_owned(), "alice@acme.com".to_owned()),
            ("U-bob".to_owned(), "bob@acme.com".to_owned()),
        ];
        v.extend(baseline_in("T-acme", 8));
        v
    };
    let burst = now - 2 * DAY - 4 * HOUR;
    for k in 0..14 {
        let (uid, login) = &acme_users[k % acme_users.len()];
        pl.login(
            burst + k as i64 * 17_000,
            "LoginFailed",
            (uid, login),
            "password",
            "Desktop",
            "RU",
            "45.155.205.233",
            &acme,
            first("Invalid password"),
        );
    }
    if let Some((uid, login)) = acme_users.get(2) {
        pl.login(now - DAY - 9 * HOUR, "LoginFailed", (uid, login), "password", "Bot", "US", "34.86.12.201", &acme, json!({"factor": "first", "error_message": "Invalid password", "userAgent": "python-requests/2.31"}));
        pl.login(
            now - DAY - 9 * HOUR + 40_000,
            "LoginSucceed",
            (uid, login),
            "password",
            "Bot",
            "US",
            "34.86.12.201",
            &acme,
            json!({"factor": "first", "userAgent": "python-requests/2.31", "city": "Ashburn"}),
        );
    }
    if let Some((uid, login)) = acme_users.get(3) {
        pl.login(
            now - 30 * HOUR,
            "LoginSucceed",
            (uid, login),
            "password",
            "Desktop",
            "CN",
            "36.110.62.18",
            &acme,
            json!({"factor": "first", "city": "Shenzhen"}),
        );
    }
    pl.login(now - 20 * HOUR, "UserImpersonated", ("U-bob", "bob@acme.com"), "", "Desktop", "US", "73.51.200.8", &acme,
        json!({"impersonatorId": "U-admin", "impersonatorLoginId": "it-admin@acme.com", "reason": "", "city": "Austin"}));
    if let Some(e) = pl.out.last_mut() {
        e.actor_id = "U-admin".into();
    }

    // The traveller's first sign-in from a new country.
    if let Some(p) = profiles.get(PEOPLE.len() + 7) {
        let ts: Vec<&str> = p.tenants.iter().take(1).map(String::as_str).collect();
        let t = now - 2 * DAY;
        pl.login(
            t,
            "LoginSucceed",
            (&p.user_id, &p.login_id),
            METHODS[p.method as usize],
            "Mobile",
            "BR",
            "177.92.14.61",
            &ts,
            json!({"factor": "first", "city": "Rio de Janeiro"}),
        );
        pl.login(
            t + DAY,
            "LoginSucceed",
            (&p.user_id, &p.login_id),
            METHODS[p.method as usize],
            "Mobile",
            "BR",
            "177.92.14.61",
            &ts,
            json!({"factor": "first", "city": "Rio de Janeiro"}),
        );
    }

    // alice: a failure, a role change, an access key of her own (§5.3, P131).
    let alice = person("U-alice");
    let at = tenants_of("U-alice");
    let at: Vec<&str> = at.iter().map(String::as_str).collect();
    pl.login(
        now - 11 * DAY - 2 * HOUR,
        "LoginFailed",
        alice,
        "password",
        "Mobile",
        "US",
        "172.56.21.9",
        &at[..at.len().min(1)],
        json!({"factor": "first", "error_message": "Invalid password", "city": "San Francisco"}),
    );
    pl.admin(now - 16 * DAY, "UserModified", "admin@acme.example", alice, &at,
        json!({"changed": ["userTenants.roleNames"], "tenantId": "T-acme", "old": {"roleNames": ["member"]}, "new": {"roleNames": ["member", "TenantAdmin"]}}));

    // user_abc123: the compromise (P132). The new e-mail is the one the user document holds
    // now (the attacker's), when the users step stored one.
    let abc = person("U-abc123");
    let abc_t = tenants_of("U-abc123");
    let abc_t: Vec<&str> = abc_t.iter().take(1).map(String::as_str).collect();
    let new_email = s
        .conn
        .docs()
        .get(&s.prod, "users", "U-abc123")?
        .and_then(|d| d.get("email").and_then(Value::as_str).map(str::to_owned))
        .filter(|e| e != "chris.abbott@example.com")
        .unwrap_or_else(|| "c.abbott.secure@protonmail.example".to_owned());
    let ct = now - 4 * DAY;
    for k in 0..6 {
        pl.login(
            ct + k * 45_000,
            "LoginFailed",
            abc,
            "password",
            "Mobile",
            "NG",
            "41.203.72.15",
            &abc_t,
            json!({"factor": "first", "error_message": "Invalid password", "city": "Lagos"}),
        );
    }
    pl.login(
        ct + 6 * 45_000 + 30_000,
        "LoginSucceed",
        abc,
        "password",
        "Mobile",
        "NG",
        "41.203.72.15",
        &abc_t,
        json!({"factor": "first", "city": "Lagos"}),
    );
    pl.login(ct + 9 * MIN, "UserModified", abc, "", "Mobile", "NG", "41.203.72.15", &abc_t,
        json!({"changed": ["email"], "old": {"email": "chris.abbott@example.com"}, "new": {"email": new_email}, "city": "Lagos"}));
    pl.login(ct + 12 * MIN, "UserModified", abc, "webauthn", "Mobile", "NG", "41.203.72.15", &abc_t,
        json!({"changed": ["webauthn"], "operation": "passkey added", "deviceName": "Pixel 7", "city": "Lagos"}));
    pl.login(
        ct + 13 * MIN,
        "LoginSucceed",
        abc,
        "webauthn",
        "Mobile",
        "NG",
        "41.203.72.15",
        &abc_t,
        json!({"factor": "first", "city": "Lagos"}),
    );
    pl.login(
        now - 2 * DAY - 5 * HOUR,
        "LoginSucceed",
        abc,
        "webauthn",
        "Mobile",
        "NG",
        "41.203.72.15",
        &abc_t,
        json!({"factor": "first", "city": "Lagos"}),
    );

    // Deleted users: a short life, then removal by an admin.
    const REASONS: [&str; 3] = [
        "account closure requested",
        "duplicate account",
        "spam sign-up",
    ];
    let deleted = (s.baseline_users / 80).max(5);
    for k in 0..deleted {
        let uid = format!("U-x{k:04}");
        let login = format!("former{k:04}@customers.example");
        let created = now - rng.random_range(60..SPAN_DAYS - 5) * DAY;
        let gone = created + rng.random_range(3..50) * DAY;
        pl.login(
            created,
            "UserCreated",
            (&uid, &login),
            "password",
            "Desktop",
            "US",
            "67.180.3.4",
            &[],
            json!({"signUpMethod": "password", "flowId": "sign-up-or-in"}),
        );
        for d in 1..rng.random_range(2..12) {
            pl.login(
                created + d * 2 * DAY + rng.random_range(0..DAY),
                "LoginSucceed",
                (&uid, &login),
                "password",
                "Desktop",
                "US",
                "67.180.3.4",
                &[],
                json!({"factor": "first", "city": "Denver"}),
            );
        }
        pl.admin(
            gone.min(now - HOUR),
            "UserDeleted",
            DESCOPERS[k % 3],
            (&uid, &login),
            &[],
            json!({"reason": REASONS[k % 3]}),
        );
    }
    Ok(())
}

/// Configuration and access changes by Descopers across the 13 months, and the access-key
/// lifecycle (from the keys the keys step stored).
fn plant_admin_history(
    s: &mut Seed,
    pl: &mut Planter,
    profiles: &[Profile],
) -> crate::store::Result<()> {
    let now = s.now_ms;
    let prod = s.prod.clone();

    // The prod session-token lifetime raised from 10 to 30 minutes nine days ago (matches
    // the project settings the project step stores).
    pl.admin(now - 9 * DAY, "ProjectSettingsModified", "dev@acme.example", ("", ""), &[],
        json!({"setting": "sessionTokenExpiration", "old": {"sessionTokenExpiration": 10, "sessionTokenExpirationUnit": "minutes"}, "new": {"sessionTokenExpiration": 30, "sessionTokenExpirationUnit": "minutes"}}));
    pl.admin(now - 140 * DAY, "ProjectSettingsModified", "admin@acme.example", ("", ""), &[],
        json!({"setting": "refreshTokenExpiration", "old": {"refreshTokenExpiration": 4, "refreshTokenExpirationUnit": "weeks"}, "new": {"refreshTokenExpiration": 26, "refreshTokenExpirationUnit": "weeks"}}));
    pl.admin(now - 63 * DAY, "ProjectSettingsModified", "dev@acme.example", ("", ""), &[],
        json!({"setting": "approvedDomains", "old": {"approvedDomains": ["acme.com"]}, "new": {"approvedDomains": ["acme.com", "*.acme.com"]}}));
    pl.admin(now - 22 * DAY, "ProjectSettingsModified", "sec@acme.example", ("", ""), &[],
        json!({"setting": "redirectUrls", "old": {"redirectUrls": ["https://app.acme.com/callback"]}, "new": {"redirectUrls": ["https://app.acme.com/callback", "https://*.acme.com/*"]}}));

    // The prod sign-up flow, changed by two Descopers (one of them in the last 30 days).
    let flow = [
        (
            170,
            "admin@acme.example",
            "Added the CAPTCHA step before the OTP screen",
            json!({"added": ["captcha"], "removed": []}),
        ),
        (
            75,
            "dev@acme.example",
            "Added magic link as a second sign-up option",
            json!({"added": ["magic-link-sign-up"], "removed": []}),
        ),
        (
            41,
            "dev@acme.example",
            "Removed the e-mail verification screen to shorten sign-up",
            json!({"added": [], "removed": ["verify-email"]}),
        ),
        (
            12,
            "sec@acme.example",
            "Raised the CAPTCHA score threshold from 0.3 to 0.5",
            json!({"changed": ["captcha.threshold"], "old": 0.3, "new": 0.5}),
        ),
    ];
    for (days, who, log, diff) in flow {
        pl.admin(
            now - days * DAY - 3 * HOUR,
            "FlowModified",
            who,
            ("", ""),
            &[],
            json!({"flowId": "sign-up", "changelog": log, "diff": diff}),
        );
    }
    pl.admin(now - 33 * DAY, "FlowModified", "dev@acme.example", ("", ""), &[], json!({"flowId": "sign-in", "changelog": "Tenant condition: require MFA for Acme and Acme Corp", "diff": {"added": ["mfa-condition"], "removed": []}}));

    // Keys: created events from the stored keys, plus a retired CI key.
    for (id, k) in s.conn.docs().scan(&prod, KEYS_COLL)? {
        let Some(created) = k
            .get("createdTime")
            .and_then(Value::as_i64)
            .map(|c| c * 1000)
        else {
            continue;
        };
        if created < now - SPAN_DAYS * DAY {
            continue;
        }
        let by = k
            .get("createdBy")
            .and_then(Value::as_str)
            .unwrap_or("admin@acme.example");
        // A key created by a project user (not a Descoper) has that user as the actor.
        let actor = PEOPLE
            .iter()
            .find(|p| p.login_id == by)
            .map(|p| p.user_id)
            .unwrap_or(by);
        let bound = k.get("boundUserId").and_then(Value::as_str).unwrap_or("");
        let tenants: Vec<&str> = k
            .get("keyTenants")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.get("tenantId").and_then(Value::as_str))
                    .collect()
            })
            .unwrap_or_default();
        let name = k.get("name").and_then(Value::as_str).unwrap_or("");
        let mut e = Event {
            project_id: prod.clone(),
            occurred: created,
            action: "AccessKeyCreated".into(),
            kind: "info".into(),
            actor_id: actor.to_owned(),
            user_id: bound.to_owned(),
            device: "Desktop".into(),
            geo: "US".into(),
            remote_address: if actor.starts_with("U-") {
                "73.162.18.40".into()
            } else {
                OFFICE_IP.into()
            },
            tenants: tenants.iter().map(|t| (*t).to_owned()).collect(),
            data: json!({"keyId": id, "name": name, "roleNames": k.get("roleNames").cloned().unwrap_or(json!([])), "expireTime": k.get("expireTime").cloned().unwrap_or(json!(0))}),
            ..Event::default()
        };
        if actor.starts_with("U-") {
            e.login_id = PEOPLE
                .iter()
                .find(|p| p.user_id == actor)
                .map(|p| p.login_id)
                .unwrap_or("")
                .to_owned();
        }
        pl.out.push(e);
    }
    pl.admin(
        now - 300 * DAY,
        "AccessKeyCreated",
        "dev@acme.example",
        ("", ""),
        &[],
        json!({"keyId": "K-old-ci", "name": "legacy-ci", "roleNames": ["admin"], "expireTime": 0}),
    );
    pl.admin(now - 120 * DAY, "AccessKeyModified", "sec@acme.example", ("", ""), &[], json!({"keyId": "K-old-ci", "name": "legacy-ci", "old": {"roleNames": ["admin"]}, "new": {"roleNames": ["editor"]}}));
    pl.admin(
        now - 50 * DAY,
        "AccessKeyDeleted",
        "sec@acme.example",
        ("", ""),
        &[],
        json!({"keyId": "K-old-ci", "name": "legacy-ci", "reason": "replaced by ci-deploy-bot"}),
    );

    // Routine admin work over the whole period: a few changes a week.
    let weeks = SPAN_DAYS / 7;
    let rng = &mut s.rng;
    let roles = [
        "admin",
        "member",
        "editor",
        "viewer",
        "TenantAdmin",
        "billing",
    ];
    let tenant_ids: Vec<&str> = TENANTS
        .iter()
        .map(|t| t.id)
        .filter(|t| *t != "T-empty")
        .collect();
    let users: Vec<&Profile> = profiles
        .iter()
        .filter(|p| p.created_ms < now - 30 * DAY)
        .collect();
    for w in 0..weeks {
        for _ in 0..rng.random_range(1..5) {
            let t =
                now - (w * 7 + rng.random_range(0..7)) * DAY - rng.random_range(HOUR..10 * HOUR);
            if t >= now {
                continue;
            }
            let who = *pick(rng, &DESCOPERS);
            match rng.random_range(0..4) {
                0 => {
                    let role = *pick(rng, &roles);
                    pl.admin(t, "RoleModified", who, ("", ""), &[], json!({"roleName": role, "changed": ["permissionNames"], "added": ["reports:read"], "removed": []}));
                }
                1 => {
                    let tid = *pick(rng, &tenant_ids);
                    pl.admin(t, "TenantModified", who, ("", ""), &[tid], json!({"tenantId": tid, "changed": ["selfProvisioningDomains"], "old": [], "new": [TENANTS.iter().find(|x| x.id == tid).map(|x| x.domain).unwrap_or("")]}));
                }
                _ if !users.is_empty() => {
                    let u = *pick(rng, &users);
                    let ts: Vec<&str> = u.tenants.iter().map(String::as_str).collect();
                    let (old, new) = if rng.random_bool(0.5) {
                        ("viewer", "editor")
                    } else {
                        ("editor", "viewer")
                    };
                    pl.admin(t, "UserModified", who, (&u.user_id, &u.login_id), &ts, json!({"changed": ["roleNames"], "old": {"roleNames": [old]}, "new": {"roleNames": [new]}}));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Staging: configuration drift and a little test traffic.
fn plant_staging(s: &mut Seed, pl: &mut Planter) {
    let now = s.now_ms;
    pl.admin(now - 60 * DAY, "ProjectSettingsModified", "admin@acme.example", ("", ""), &[],
        json!({"setting": "inactivityTime", "old": {"enableInactivity": false}, "new": {"enableInactivity": true, "inactivityTime": 30, "inactivityTimeUnit": "minutes"}}));
    pl.admin(now - 20 * DAY, "FlowModified", "dev@acme.example", ("", ""), &[], json!({"flowId": "sign-up", "changelog": "Experiment: sign-up without CAPTCHA", "diff": {"added": [], "removed": ["captcha"]}}));
    let qa = person("U-qa");
    for d in 0..60 {
        let t = now - d * DAY - s.rng.random_range(HOUR..8 * HOUR);
        let fail = s.rng.random_bool(0.1);
        pl.login(
            t,
            if fail { "LoginFailed" } else { "LoginSucceed" },
            qa,
            "otp",
            "Desktop",
            "US",
            OFFICE_IP,
            &[],
            if fail {
                json!({"factor": "first", "error_message": "Invalid OTP code"})
            } else {
                json!({"factor": "first", "city": "Austin"})
            },
        );
    }
}
