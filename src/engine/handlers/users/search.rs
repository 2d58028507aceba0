//! User search (SearchUsers, and SearchTestUsers in the `tests` area): the filters, narrowing
//! candidates through the document index, sorting and paging.

use idmcp_macros::operation;
use serde_json::{Map, Value, json};

use crate::catalog::generated::types::users::*;
use crate::engine::Ctx;
use crate::error::ApiError;
use crate::store::docs;

use super::*;

/// Which users a search may return with respect to the `test` flag.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum TestScope {
    /// SearchUsers: real users, plus test users when `withTestUser` or `testUsersOnly` is set.
    ByArgs,
    /// SearchTestUsers: test users only.
    Only,
}

pub(super) fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

pub(super) fn lower_set(v: Option<&Value>) -> Vec<String> {
    strings(v).into_iter().map(|s| s.to_lowercase()).collect()
}

/// Whether `doc` matches every filter in `a` (SearchUsers semantics; see its YAML).
pub(super) fn matches(a: &Map<String, Value>, doc: &Value, scope: TestScope) -> bool {
    let is_test = doc.get("test").and_then(Value::as_bool).unwrap_or(false);
    let test_only = scope == TestScope::Only
        || a.get("testUsersOnly")
            .and_then(Value::as_bool)
            .unwrap_or(false);
    let with_test = a
        .get("withTestUser")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if test_only && !is_test || !test_only && !with_test && is_test {
        return false;
    }
    let field_text = |p: &str| {
        docs::extract(doc, p)
            .iter()
            .filter_map(|v| docs::key_text(v))
            .collect::<Vec<String>>()
    };
    let any_in = |p: &str, key: &str| {
        let want = lower_set(a.get(key));
        want.is_empty() || field_text(p).iter().any(|v| want.contains(v))
    };
    if !(any_in("userId", "userIds")
        && any_in("loginIds", "loginIds")
        && any_in("email", "emails")
        && any_in("phone", "phones")
        && any_in("status", "statuses")
        && any_in("roleNames", "roleNames")
        && any_in("signUpMethod", "signUpMethods"))
    {
        return false;
    }
    let tenant_ids = lower_set(a.get("tenantIds"));
    let tenant_roles = strings(a.get("tenantRoleNames"));
    let entries = docs::extract(doc, "userTenants[]");
    let in_tenant = |e: &&Value| {
        tenant_ids.is_empty()
            || e.get("tenantId")
                .and_then(docs::key_text)
                .is_some_and(|t| tenant_ids.contains(&t))
    };
    if !tenant_ids.is_empty() && !entries.iter().any(|e| in_tenant(e)) {
        return false;
    }
    if !tenant_roles.is_empty()
        && !entries.iter().copied().filter(|e| in_tenant(e)).any(|e| {
            strings(e.get("roleNames"))
                .iter()
                .any(|r| tenant_roles.contains(r))
        })
    {
        return false;
    }
    if let Some(text) = s(a, "text").map(str::to_lowercase) {
        let hay = [
            "userId",
            "loginIds",
            "name",
            "givenName",
            "familyName",
            "email",
            "phone",
        ];
        if !hay
            .iter()
            .any(|p| field_text(p).iter().any(|v| v.contains(&text)))
        {
            return false;
        }
    }
    if let Some(Value::Object(want)) = a.get("customAttributes") {
        for (k, v) in want {
            let have = doc.get("customAttributes").and_then(|c| c.get(k));
            let ok = match v {
                Value::Array(opts) => have.is_some_and(|h| {
                    opts.contains(h)
                        || h.as_array()
                            .is_some_and(|hs| hs.iter().any(|x| opts.contains(x)))
                }),
                other => have.is_some_and(|h| {
                    h == other || h.as_array().is_some_and(|hs| hs.contains(other))
                }),
            };
            if !ok {
                return false;
            }
        }
    }
    // Time windows: inputs in epoch milliseconds, stored times in epoch seconds.
    for (from, to, field) in [
        ("fromCreatedTime", "toCreatedTime", "createdTime"),
        ("fromModifiedTime", "toModifiedTime", "modifiedTime"),
        ("fromLastLoginTime", "toLastLoginTime", "lastLoginTime"),
    ] {
        let lo = a.get(from).and_then(num).filter(|x| *x > 0.0);
        let hi = a.get(to).and_then(num).filter(|x| *x > 0.0);
        if lo.is_none() && hi.is_none() {
            continue;
        }
        let Some(t) = doc.get(field).and_then(num) else {
            return false;
        };
        let ms = t * 1000.0;
        if lo.is_some_and(|l| ms < l) || hi.is_some_and(|h| ms > h) {
            return false;
        }
    }
    if let Some(never) = a.get("neverLoggedIn").and_then(Value::as_bool) {
        if never == doc.get("lastLoginTime").and_then(num).is_some() {
            return false;
        }
    }
    for (input, field) in [
        ("password", "password"),
        ("totp", "TOTP"),
        ("webauthn", "webauthn"),
        ("verifiedEmail", "verifiedEmail"),
        ("verifiedPhone", "verifiedPhone"),
    ] {
        if let Some(want) = a.get(input).and_then(Value::as_bool) {
            if doc.get(field).and_then(Value::as_bool).unwrap_or(false) != want {
                return false;
            }
        }
    }
    true
}

pub(super) fn cmp_values(x: Option<&Value>, y: Option<&Value>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (x, y) {
        (None, None) => Ordering::Equal,
        (None, _) => Ordering::Less,
        (_, None) => Ordering::Greater,
        (Some(a), Some(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(p), Some(q)) => p.partial_cmp(&q).unwrap_or(Ordering::Equal),
            _ => docs::key_text(a)
                .unwrap_or_default()
                .cmp(&docs::key_text(b).unwrap_or_default()),
        },
    }
}

/// SearchUsers inputs whose values are exact (case-insensitive) matches of an indexed user
/// field: (input, `doc_keys` path). Each one given narrows the candidates before any document
/// is read; [`matches`] still applies every filter to the candidates.
pub(super) const INDEXED_FILTERS: &[(&str, &str)] = &[
    ("userIds", "userId"),
    ("loginIds", "loginIds"),
    ("emails", "email"),
    ("phones", "phone"),
    ("statuses", "status"),
    ("roleNames", "roleNames"),
    ("tenantIds", "userTenants[].tenantId"),
    ("signUpMethods", "signUpMethod"),
];

/// The `doc_keys` constraints a search's arguments imply (values normalised as the index
/// stores them). Empty when no indexed filter is given: then every user is a candidate.
pub(super) fn index_constraints(
    a: &Map<String, Value>,
    scope: TestScope,
) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = INDEXED_FILTERS
        .iter()
        .filter_map(|(input, path)| {
            let values: Vec<String> = a
                .get(*input)?
                .as_array()?
                .iter()
                .filter_map(docs::key_text)
                .collect();
            (!values.is_empty()).then(|| ((*path).to_owned(), values))
        })
        .collect();
    // Test users carry `test: true`; real users may lack the flag, so only "test only" narrows.
    if scope == TestScope::Only
        || a.get("testUsersOnly")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    {
        out.push(("test".to_owned(), vec!["true".to_owned()]));
    }
    out
}

/// Runs a user search: filter, sort (`[{field, desc}]`, default newest first), page.
pub(crate) fn search(
    ctx: &Ctx,
    a: &Map<String, Value>,
    scope: TestScope,
) -> Result<Value, ApiError> {
    let pid = ctx.project_id()?.to_owned();
    // Narrow through the index first, then check every filter on the (moved, not cloned)
    // candidate documents.
    let candidates = ctx
        .db()
        .docs()
        .select(&pid, USERS, &index_constraints(a, scope))?;
    let mut found: Vec<Value> = candidates
        .into_iter()
        .map(|(_, d)| d)
        .filter(|d| matches(a, d, scope))
        .collect();
    let mut keys: Vec<(String, bool)> = a
        .get("sort")
        .and_then(Value::as_array)
        .map(|v| {
            v.iter()
                .filter_map(|s| {
                    Some((
                        s.get("field")?.as_str()?.to_owned(),
                        s.get("desc").and_then(Value::as_bool).unwrap_or(false),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    if keys.is_empty() {
        keys.push(("createdTime".into(), true));
    }
    // The platform's sort names (`displayName`, `phoneNumber`) map to the stored fields.
    for (f, _) in keys.iter_mut() {
        *f = match f.as_str() {
            "displayName" => "name".into(),
            "phoneNumber" => "phone".into(),
            "id" => "userId".into(),
            "externalId" => "loginIds".into(),
            "tenant" => "userTenants[].tenantName".into(),
            other => other.to_owned(),
        };
    }
    found.sort_by(|x, y| {
        for (f, desc) in &keys {
            let o = cmp_values(
                docs::extract(x, f).first().copied(),
                docs::extract(y, f).first().copied(),
            );
            let o = if *desc { o.reverse() } else { o };
            if o.is_ne() {
                return o;
            }
        }
        cmp_values(x.get("userId"), y.get("userId"))
    });
    let total = found.len();
    let limit = a
        .get("limit")
        .and_then(Value::as_i64)
        .filter(|l| *l > 0)
        .unwrap_or(100) as usize;
    let page = a.get("page").and_then(Value::as_i64).unwrap_or(0).max(0) as usize;
    let offset = match a.get("offset").and_then(Value::as_i64).filter(|o| *o > 0) {
        Some(o) => o as usize,
        None => page.saturating_mul(limit),
    };
    let users: Vec<Value> = found.into_iter().skip(offset).take(limit).collect();
    Ok(json!({"users": users, "total": total}))
}

#[operation(users::SearchUsers)]
async fn search_users(
    ctx: &mut Ctx,
    input: SearchUsersInput,
) -> Result<SearchUsersOutput, ApiError> {
    out(search(ctx, &args(&input)?, TestScope::ByArgs)?)
}
