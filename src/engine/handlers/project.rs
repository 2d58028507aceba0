//! Handlers of the `project` operations: IP and text lists (entry checks, CIDR matching with
//! `ipnet`), the project settings read/update extension, and snapshots (export, validate,
//! import) of the project's configuration.
//!
//! ## Snapshot layout
//! `ExportSnapshot` returns `{files: {<path>: <json>}}` with:
//! - `project/settings.json`: the project settings object (token lifetimes, inactivity,
//!   approved domains, redirect URLs, project password policy), as GetProjectSettings shows it;
//! - `<collection>.json` for every configuration collection of the project (e.g. `roles.json`,
//!   `permissions.json`, `tenants.json`, `lists.json`, `access_keys.json`,
//!   `password_settings.json`): an object mapping each document's stored ID to the document.
//!
//! Runtime data (users, tokens, consents, relations, sessions, …; see [`is_runtime_data`]) is
//! not configuration and is never exported. Secrets never leave: access keys lose their
//! `secretHash`, and any field whose name contains "secret" is removed from its document, whose
//! `secretsOmitted` then names the removed fields. Import keeps the current value of an omitted
//! field when the same document exists, or takes it from `inputSecrets`; otherwise validation
//! reports it in `missingSecrets`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use idmcp_macros::operation;
use ipnet::IpNet;
use serde_json::{Map, Value, json};

use super::auth_keys::{PROJECT_SETTINGS, project_password_settings};
use crate::catalog::generated::types::project::*;
use crate::engine::Ctx;
use crate::error::ApiError;
use crate::store::principals::new_id;

const LISTS: &str = "lists";
const SETTINGS_FILE: &str = "project/settings.json";
const UNITS: &[&str] = &["minutes", "hours", "days", "weeks"];

// ---------------------------------------------------------------------------------------------
// Lists

/// Parses an IP list entry: a single IPv4/IPv6 address or a CIDR range.
pub fn parse_ip_entry(s: &str) -> Option<IpNet> {
    let s = s.trim();
    if s.contains('/') {
        s.parse::<IpNet>().ok()
    } else {
        s.parse::<IpAddr>().ok().map(IpNet::from)
    }
}

/// The canonical text of an entry, so `2001:DB8::1` and `2001:db8::1` are one entry.
fn canonical_ip(net: &IpNet) -> String {
    if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    }
}

fn list_kind(list: &Value) -> &str {
    list.get("type").and_then(Value::as_str).unwrap_or("texts")
}

/// Checks and canonicalises entries for a list of `kind`; duplicates are kept once, in order.
fn normalise_entries(kind: &str, entries: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    let mut bad = Vec::new();
    for e in entries {
        let v = match kind {
            "ips" => match parse_ip_entry(e) {
                Some(net) => canonical_ip(&net),
                None => {
                    bad.push(e.clone());
                    continue;
                }
            },
            _ => {
                let t = e.trim();
                if t.is_empty() {
                    bad.push(format!("{e:?}"));
                    continue;
                }
                t.to_owned()
            }
        };
        if !out.contains(&v) {
            out.push(v);
        }
    }
    if bad.is_empty() {
        Ok(out)
    } else if kind == "ips" {
        Err(format!(
            "not an IPv4/IPv6 address or CIDR range: {} (write e.g. 203.0.113.7, 203.0.113.0/24 or 2001:db8::/32)",
            bad.join(", ")
        ))
    } else {
        Err(format!(
            "empty text entries are not allowed: {}",
            bad.join(", ")
        ))
    }
}

fn unknown_list(id: &str) -> ApiError {
    ApiError::not_found(
        "E011004",
        format!("list not found: no list with id `{id}`; see GetAllLists for the project's lists"),
    )
}

fn load_list(ctx: &Ctx, id: &str) -> Result<Value, ApiError> {
    if let Some(d) = ctx.db().docs().get(ctx.project_id()?, LISTS, id)? {
        return Ok(d);
    }
    ctx.find(LISTS, "id", &json!(id))?
        .map(|(_, d)| d)
        .ok_or_else(|| unknown_list(id))
}

fn require_kind(list: &Value, kind: &str, hint: &str) -> Result<(), ApiError> {
    if list_kind(list) == kind {
        return Ok(());
    }
    Err(ApiError::invalid(format!(
        "list `{}` is a `{}` list, not `{kind}`; {hint}",
        list.get("name").and_then(Value::as_str).unwrap_or_default(),
        list_kind(list)
    )))
}

fn entries(list: &Value) -> Vec<String> {
    list.get("data")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Fails when another list already uses `name` (case-insensitive).
fn check_name_free(ctx: &Ctx, name: &str, own_id: Option<&str>) -> Result<(), ApiError> {
    let taken = ctx
        .db()
        .docs()
        .ids_by_key(ctx.project_id()?, LISTS, "name", &json!(name))?;
    if taken.iter().any(|id| Some(id.as_str()) != own_id) {
        return Err(ApiError::new(
            409,
            "E011001",
            "Already exists",
            format!(
                "a list named `{name}` already exists; choose another name or update that list"
            ),
        ));
    }
    Ok(())
}

fn save_list(ctx: &Ctx, list: &Value) -> Result<(), ApiError> {
    let id = list
        .get("id")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::internal("list without id"))?;
    ctx.put(LISTS, id, list)
}

#[operation(project::CheckIPInList)]
async fn check_ip_in_list(
    ctx: &mut Ctx,
    input: CheckIPInListInput,
) -> Result<CheckIPInListOutput, ApiError> {
    let ip: IpAddr = input.ip.trim().parse().map_err(|_| {
        ApiError::invalid(format!(
            "`{}` is not an IPv4 or IPv6 address (write e.g. 203.0.113.50 or 2001:db8::1)",
            input.ip
        ))
    })?;
    let list = load_list(ctx, &input.id)?;
    require_kind(&list, "ips", "use CheckTextInList for text lists")?;
    let exists = entries(&list)
        .iter()
        .filter_map(|e| parse_ip_entry(e))
        .any(|net| net.contains(&ip));
    Ok(CheckIPInListOutput { exists })
}

#[operation(project::CheckTextInList)]
async fn check_text_in_list(
    ctx: &mut Ctx,
    input: CheckTextInListInput,
) -> Result<CheckTextInListOutput, ApiError> {
    let list = load_list(ctx, &input.id)?;
    require_kind(&list, "texts", "use CheckIPInList for IP lists")?;
    let text = input.text.trim();
    Ok(CheckTextInListOutput {
        exists: entries(&list).iter().any(|e| e == text),
    })
}

#[operation(project::CreateList)]
async fn create_list(ctx: &mut Ctx, input: CreateListInput) -> Result<CreateListOutput, ApiError> {
    check_name_free(ctx, &input.name, None)?;
    let data = normalise_entries(&input.r#type, &input.data.clone().unwrap_or_default())
        .map_err(ApiError::invalid)?;
    let list = json!({
        "id": new_id("L2"),
        "name": input.name,
        "description": input.description.unwrap_or_default(),
        "type": input.r#type,
        "data": data,
    });
    save_list(ctx, &list)?;
    Ok(serde_json::from_value(json!({ "list": list }))?)
}

#[operation(project::UpdateList)]
async fn update_list(ctx: &mut Ctx, input: UpdateListInput) -> Result<UpdateListOutput, ApiError> {
    let mut list = load_list(ctx, &input.id)?;
    if let Some(name) = &input.name {
        check_name_free(ctx, name, list.get("id").and_then(Value::as_str))?;
        list["name"] = json!(name);
    }
    if let Some(d) = &input.description {
        list["description"] = json!(d);
    }
    if let Some(t) = &input.r#type {
        list["type"] = json!(t);
    }
    // Entries are re-checked whenever the data or the type changes.
    let data = input.data.clone().unwrap_or_else(|| entries(&list));
    let kind = list_kind(&list).to_owned();
    list["data"] = json!(normalise_entries(&kind, &data).map_err(ApiError::invalid)?);
    save_list(ctx, &list)?;
    Ok(serde_json::from_value(json!({ "list": list }))?)
}

/// Adds or removes entries of a list of `kind`, failing on invalid or (for removal) absent ones.
fn change_entries(
    ctx: &Ctx,
    id: &str,
    kind: &str,
    given: &[String],
    add: bool,
) -> Result<(), ApiError> {
    let mut list = load_list(ctx, id)?;
    let other = if kind == "ips" {
        "use AddTextsToList/RemoveTextsFromList for text lists"
    } else {
        "use AddIPsToList/RemoveIPsFromList for IP lists"
    };
    require_kind(&list, kind, other)?;
    let given = normalise_entries(kind, given).map_err(ApiError::invalid)?;
    let mut current = entries(&list);
    if add {
        for g in given {
            if !current.contains(&g) {
                current.push(g);
            }
        }
    } else {
        let absent: Vec<&str> = given
            .iter()
            .filter(|g| !current.contains(g))
            .map(String::as_str)
            .collect();
        if !absent.is_empty() {
            return Err(ApiError::invalid(format!(
                "the list does not hold: {}; nothing was removed (see GetList for its entries)",
                absent.join(", ")
            )));
        }
        current.retain(|c| !given.contains(c));
    }
    list["data"] = json!(current);
    save_list(ctx, &list)
}

#[operation(project::AddIPsToList)]
async fn add_ips(ctx: &mut Ctx, input: AddIPsToListInput) -> Result<AddIPsToListOutput, ApiError> {
    change_entries(ctx, &input.id, "ips", &input.ips, true)?;
    Ok(AddIPsToListOutput {})
}

#[operation(project::RemoveIPsFromList)]
async fn remove_ips(
    ctx: &mut Ctx,
    input: RemoveIPsFromListInput,
) -> Result<RemoveIPsFromListOutput, ApiError> {
    change_entries(ctx, &input.id, "ips", &input.ips, false)?;
    Ok(RemoveIPsFromListOutput {})
}

#[operation(project::AddTextsToList)]
async fn add_texts(
    ctx: &mut Ctx,
    input: AddTextsToListInput,
) -> Result<AddTextsToListOutput, ApiError> {
    change_entries(ctx, &input.id, "texts", &input.texts, true)?;
    Ok(AddTextsToListOutput {})
}

#[operation(project::RemoveTextsFromList)]
async fn remove_texts(
    ctx: &mut Ctx,
    input: RemoveTextsFromListInput,
) -> Result<RemoveTextsFromListOutput, ApiError> {
    change_entries(ctx, &input.id, "texts", &input.texts, false)?;
    Ok(RemoveTextsFromListOutput {})
}

#[operation(project::ClearList)]
async fn clear_list(ctx: &mut Ctx, input: ClearListInput) -> Result<ClearListOutput, ApiError> {
    let mut list = load_list(ctx, &input.id)?;
    list["data"] = json!([]);
    save_list(ctx, &list)?;
    Ok(ClearListOutput {})
}

/// Checks lists for import; returns the documents to store, or every problem found.
fn prepare_lists(ctx: &Ctx, lists: &[Value]) -> Result<Vec<Value>, Vec<String>> {
    let mut problems = Vec::new();
    let mut out = Vec::new();
    let mut names = BTreeSet::new();
    for (i, l) in lists.iter().enumerate() {
        let name = l
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let kind = l
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let at = format!("list {i} (`{name}`)");
        if name.trim().is_empty() {
            problems.push(format!("{at}: `name` is required"));
            continue;
        }
        if !names.insert(name.to_lowercase()) {
            problems.push(format!("{at}: the name appears twice"));
        }
        if kind != "ips" && kind != "texts" {
            problems.push(format!("{at}: `type` must be `ips` or `texts`"));
            continue;
        }
        let data: Vec<String> = entries(l);
        let data = match normalise_entries(&kind, &data) {
            Ok(d) => d,
            Err(e) => {
                problems.push(format!("{at}: {e}"));
                continue;
            }
        };
        // Match by ID, else by name; a new list gets a new ID.
        let given_id = l
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let by_name = ctx
            .find(LISTS, "name", &json!(name))
            .ok()
            .flatten()
            .map(|(id, _)| id);
        let id = given_id
            .clone()
            .or(by_name.clone())
            .unwrap_or_else(|| new_id("L2"));
        if let (Some(_), Some(other)) = (&given_id, &by_name) {
            if other != &id {
                problems.push(format!(
                    "{at}: another list (`{other}`) already has this name"
                ));
            }
        }
        out.push(json!({
            "id": id, "name": name, "type": kind, "data": data,
            "description": l.get("description").and_then(Value::as_str).unwrap_or_default(),
        }));
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

#[operation(project::ImportLists)]
async fn import_lists(
    ctx: &mut Ctx,
    input: ImportListsInput,
) -> Result<ImportListsOutput, ApiError> {
    let lists: Vec<Value> = input
        .lists
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()?;
    let prepared = prepare_lists(ctx, &lists)
        .map_err(|p| ApiError::invalid(format!("nothing was imported: {}", p.join("; "))))?;
    for l in &prepared {
        save_list(ctx, l)?;
    }
    Ok(ImportListsOutput {})
}

// ---------------------------------------------------------------------------------------------
// Project settings (G17 extension)

/// The project settings as GetProjectSettings and `project/settings.json` show them.
fn project_settings(ctx: &Ctx) -> Result<Value, ApiError> {
    let (coll, id) = PROJECT_SETTINGS;
    let mut s = ctx
        .db()
        .docs()
        .get(ctx.project_id()?, coll, id)?
        .unwrap_or_else(|| json!({}));
    let mut pw = project_password_settings(ctx)?;
    if let Some(m) = pw.as_object_mut() {
        m.remove("tenantId");
    }
    s["passwordSettings"] = pw;
    Ok(s)
}

#[operation(project::GetProjectSettings)]
async fn get_project_settings(
    ctx: &mut Ctx,
    _input: GetProjectSettingsInput,
) -> Result<GetProjectSettingsOutput, ApiError> {
    Ok(serde_json::from_value(
        json!({ "settings": project_settings(ctx)? }),
    )?)
}

/// Lifetime in minutes, for comparing lifetimes given in different units.
fn minutes(value: i64, unit: &str) -> i64 {
    value
        * match unit {
            "hours" => 60,
            "days" => 1440,
            "weeks" => 10080,
            _ => 1,
        }
}

/// Problems with a settings object (shared by UpdateProjectSettings and snapshot validation).
fn settings_problems(s: &Value) -> Vec<String> {
    let mut p = Vec::new();
    // An idle timeout is only required when inactivity checking is on (0 = unset otherwise).
    let idle_on = s
        .get("enableInactivity")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    for f in [
        "sessionTokenExpiration",
        "refreshTokenExpiration",
        "stepupTokenExpiration",
        "inactivityTime",
    ] {
        if let Some(v) = s.get(f) {
            let min = if f == "inactivityTime" && !idle_on {
                0
            } else {
                1
            };
            if !v.as_i64().is_some_and(|n| n >= min) {
                p.push(format!("`{f}` must be an integer ≥ {min}"));
            }
        }
        let unit = format!("{f}Unit");
        if let Some(u) = s.get(&unit) {
            if !u.as_str().is_some_and(|u| UNITS.contains(&u)) {
                p.push(format!("`{unit}` must be one of {}", UNITS.join(", ")));
            }
        }
    }
    let life = |f: &str| {
        Some(minutes(
            s.get(f)?.as_i64()?,
            s.get(format!("{f}Unit"))?.as_str().unwrap_or("minutes"),
        ))
    };
    if let (Some(sess), Some(refresh)) = (
        life("sessionTokenExpiration"),
        life("refreshTokenExpiration"),
    ) {
        if sess > refresh {
            p.push("the session token may not outlive the refresh token (sessionTokenExpiration > refreshTokenExpiration)".into());
        }
    }
    for f in ["approvedDomains", "redirectUrls"] {
        if let Some(v) = s.get(f) {
            match v.as_array() {
                Some(a)
                    if a.iter()
                        .all(|x| x.as_str().is_some_and(|x| !x.trim().is_empty())) => {}
                _ => p.push(format!("`{f}` must be a list of non-empty strings")),
            }
        }
    }
    for u in s
        .get("redirectUrls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !(u.starts_with("https://") || u.starts_with("http://")) {
            p.push(format!("redirect URL `{u}` is not an absolute http(s) URL"));
        }
    }
    p
}

#[operation(project::UpdateProjectSettings)]
async fn update_project_settings(
    ctx: &mut Ctx,
    input: UpdateProjectSettingsInput,
) -> Result<UpdateProjectSettingsOutput, ApiError> {
    let given = serde_json::to_value(&input)?;
    let (coll, id) = PROJECT_SETTINGS;
    let mut doc = ctx
        .db()
        .docs()
        .get(ctx.project_id()?, coll, id)?
        .unwrap_or_else(|| json!({}));
    if let (Some(d), Some(g)) = (doc.as_object_mut(), given.as_object()) {
        for (k, v) in g {
            d.insert(k.clone(), v.clone());
        }
    }
    let problems = settings_problems(&doc);
    if !problems.is_empty() {
        return Err(ApiError::invalid(format!(
            "invalid project settings, nothing was changed: {}",
            problems.join("; ")
        )));
    }
    doc["modifiedTime"] = json!(ctx.now_secs());
    doc["modifiedBy"] = json!(ctx.principal.email);
    ctx.put(coll, id, &doc)?;
    Ok(serde_json::from_value(
        json!({ "settings": project_settings(ctx)? }),
    )?)
}

// ---------------------------------------------------------------------------------------------
// Snapshots

/// Collections that hold runtime data rather than configuration (users, issued tokens and
/// links, consents, relations, sessions, devices): never exported or imported.
pub fn is_runtime_data(coll: &str) -> bool {
    const MARKERS: &[&str] = &[
        "token",
        "admin_link",
        "consent",
        "tuple",
        "relation",
        "session",
        "device",
        "passkey",
        "backup",
        "history",
        "test_user",
    ];
    coll == "users"
        || (coll.starts_with("user_") && !coll.ends_with("_attributes"))
        || MARKERS.iter().any(|m| coll.contains(m))
}

fn collections(ctx: &Ctx) -> Result<Vec<String>, ApiError> {
    Ok(ctx.db().docs().collections(ctx.project_id()?)?)
}

/// Removes secret-bearing fields (recursively); returns the dotted paths removed.
fn strip_secrets(v: &mut Value, prefix: &str, removed: &mut Vec<String>) {
    if let Value::Object(m) = v {
        let names: Vec<String> = m
            .keys()
            .filter(|k| k.to_lowercase().contains("secret") && k.as_str() != "secretsOmitted")
            .cloned()
            .collect();
        for k in names {
            m.remove(&k);
            removed.push(format!("{prefix}{k}"));
        }
        for (k, child) in m.iter_mut() {
            strip_secrets(child, &format!("{prefix}{k}."), removed);
        }
    }
}

fn file_of(coll: &str) -> String {
    format!("{coll}.json")
}

#[operation(project::ExportSnapshot)]
async fn export_snapshot(
    ctx: &mut Ctx,
    _input: ExportSnapshotInput,
) -> Result<ExportSnapshotOutput, ApiError> {
    let pid = ctx.project_id()?.to_owned();
    let mut files = Map::new();
    files.insert(SETTINGS_FILE.into(), project_settings(ctx)?);
    for coll in collections(ctx)? {
        if is_runtime_data(&coll) || coll == PROJECT_SETTINGS.0 {
            continue;
        }
        let mut out = Map::new();
        for (id, mut doc) in ctx.db().docs().scan(&pid, &coll)? {
            let mut removed = Vec::new();
            if let Some(m) = doc.as_object_mut() {
                // The key hash is dropped silently: a key's secret is never re-imported.
                m.remove("secretHash");
            }
            strip_secrets(&mut doc, "", &mut removed);
            if !removed.is_empty() {
                doc["secretsOmitted"] = json!(removed);
            }
            out.insert(id, doc);
        }
        files.insert(file_of(&coll), Value::Object(out));
    }
    Ok(serde_json::from_value(json!({ "files": files }))?)
}

/// The kind under which `inputSecrets`/`missingSecrets` name a collection's secrets.
fn secret_kind(coll: &str) -> &'static str {
    if coll.contains("outbound") {
        "outboundApps"
    } else if coll.contains("connector") {
        "connectors"
    } else if coll.contains("sso") || coll.contains("oauth") {
        "oauthProviders"
    } else {
        "externalAuth"
    }
}

/// What a snapshot would change, or why it cannot be applied.
struct Plan {
    failures: Vec<String>,
    missing: BTreeMap<&'static str, Vec<Value>>,
    /// (collection, documents by ID) to replace; the settings document under its collection.
    writes: Vec<(String, Vec<(String, Value)>)>,
}

fn supplied_secret<'a>(input_secrets: &'a Value, kind: &str, id: &str) -> Option<&'a str> {
    input_secrets
        .get(kind)?
        .as_array()?
        .iter()
        .find(|s| s.get("id").and_then(Value::as_str) == Some(id))?
        .get("value")?
        .as_str()
}

fn set_path(doc: &mut Value, path: &str, v: Value) {
    let mut cur = doc;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, p) in parts.iter().enumerate() {
        if i == parts.len() - 1 {
            cur[*p] = v;
            return;
        }
        if cur.get(*p).is_none() {
            cur[*p] = json!({});
        }
        cur = &mut cur[*p];
    }
}

fn get_path<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(doc, |d, p| d.get(p))
}

fn plan_snapshot(
    ctx: &Ctx,
    files: &Map<String, Value>,
    excludes: &[String],
    input_secrets: &Value,
) -> Result<Plan, ApiError> {
    let pid = ctx.project_id()?.to_owned();
    let mut plan = Plan {
        failures: Vec::new(),
        missing: BTreeMap::new(),
        writes: Vec::new(),
    };
    let mut docs_of: BTreeMap<String, Vec<(String, Value)>> = BTreeMap::new();
    if files.is_empty() {
        plan.failures
            .push("`files` is empty: pass the `files` object of an ExportSnapshot result".into());
    }
    for (path, content) in files {
        if excludes.iter().any(|e| e == path) {
            continue;
        }
        if path == SETTINGS_FILE {
            if !content.is_object() {
                plan.failures.push(format!("{path}: must be a JSON object"));
                continue;
            }
            plan.failures.extend(
                settings_problems(content)
                    .into_iter()
                    .map(|p| format!("{path}: {p}")),
            );
            let mut doc = content.clone();
            if let Some(pw) = doc
                .get_mut("passwordSettings")
                .and_then(Value::as_object_mut)
            {
                pw.remove("tenantId");
            }
            docs_of.insert(
                PROJECT_SETTINGS.0.to_owned(),
                vec![(PROJECT_SETTINGS.1.to_owned(), doc)],
            );
            continue;
        }
        let Some(coll) = path.strip_suffix(".json").filter(|c| {
            !c.is_empty()
                && c.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
        }) else {
            plan.failures.push(format!("{path}: unknown file; a snapshot holds `{SETTINGS_FILE}` and `<collection>.json` files with lower_snake_case names"));
            continue;
        };
        if is_runtime_data(coll) || coll == PROJECT_SETTINGS.0 {
            plan.failures.push(format!("{path}: `{coll}` is runtime data, not configuration; snapshots do not carry it (remove the file or add it to `excludes`)"));
            continue;
        }
        let Some(map) = content.as_object() else {
            plan.failures.push(format!(
                "{path}: must be an object mapping document IDs to documents"
            ));
            continue;
        };
        let mut list = Vec::new();
        for (id, doc) in map {
            if !doc.is_object() || id.is_empty() {
                plan.failures.push(format!(
                    "{path}: entry `{id}` must be a non-empty ID mapping to a JSON object"
                ));
                continue;
            }
            let mut doc = doc.clone();
            // Secrets the export left out: keep the project's current value, or take the
            // supplied one; otherwise the import cannot be complete.
            let omitted: Vec<String> = doc
                .get("secretsOmitted")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            if !omitted.is_empty() {
                let current = ctx.db().docs().get(&pid, coll, id)?;
                let kind = secret_kind(coll);
                let mut unresolved = false;
                for field in &omitted {
                    if let Some(v) = current.as_ref().and_then(|c| get_path(c, field)).cloned() {
                        set_path(&mut doc, field, v);
                    } else if let (Some(v), 1) =
                        (supplied_secret(input_secrets, kind, id), omitted.len())
                    {
                        set_path(&mut doc, field, json!(v));
                    } else {
                        unresolved = true;
                    }
                }
                if unresolved {
                    plan.missing.entry(kind).or_default().push(json!({
                        "id": id, "name": doc.get("name").cloned().unwrap_or(json!("")), "type": coll, "value": ""
                    }));
                }
                if let Some(m) = doc.as_object_mut() {
                    m.remove("secretsOmitted");
                }
            }
            list.push((id.clone(), doc));
        }
        docs_of.insert(coll.to_owned(), list);
    }
    check_shapes(ctx, &docs_of, &mut plan.failures)?;
    plan.writes = docs_of.into_iter().collect();
    Ok(plan)
}

/// Shape and reference checks for the collections this project knows the meaning of.
fn check_shapes(
    ctx: &Ctx,
    docs_of: &BTreeMap<String, Vec<(String, Value)>>,
    failures: &mut Vec<String>,
) -> Result<(), ApiError> {
    let pid = ctx.project_id()?.to_owned();
    // The state after import: the snapshot's collection when it has one, else the project's.
    let after = |coll: &str| -> Result<Vec<Value>, ApiError> {
        Ok(match docs_of.get(coll) {
            Some(d) => d.iter().map(|(_, v)| v.clone()).collect(),
            None => ctx
                .db()
                .docs()
                .scan(&pid, coll)?
                .into_iter()
                .map(|(_, v)| v)
                .collect(),
        })
    };
    let s = |d: &Value, f: &str| {
        d.get(f)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let strs = |d: &Value, f: &str| -> Option<Vec<String>> {
        match d.get(f) {
            None => Some(Vec::new()),
            Some(Value::Array(a)) => a.iter().map(|x| x.as_str().map(str::to_owned)).collect(),
            _ => None,
        }
    };
    let roles = after("roles")?;
    let permissions: BTreeSet<String> =
        after("permissions")?.iter().map(|p| s(p, "name")).collect();
    let tenants: BTreeSet<String> = after("tenants")?.iter().map(|t| s(t, "id")).collect();
    let role_ok = |name: &str, tenant: &str| {
        roles.iter().any(|r| {
            s(r, "name") == name && (s(r, "tenantId").is_empty() || s(r, "tenantId") == tenant)
        })
    };
    for (coll, list) in docs_of {
        let file = file_of(coll);
        for (id, d) in list {
            let at = format!("{file}: `{id}`");
            match coll.as_str() {
                "roles" => {
                    if s(d, "name").is_empty() {
                        failures.push(format!("{at}: a role needs a `name`"));
                    }
                    match strs(d, "permissionNames") {
                        None => failures
                            .push(format!("{at}: `permissionNames` must be a list of strings")),
                        Some(ps) => {
                            for p in ps.iter().filter(|p| !permissions.contains(*p)) {
                                failures.push(format!(
                                    "{at}: role `{}` grants unknown permission `{p}`",
                                    s(d, "name")
                                ));
                            }
                        }
                    }
                    let t = s(d, "tenantId");
                    if !t.is_empty() && !tenants.contains(&t) {
                        failures.push(format!(
                            "{at}: role `{}` belongs to unknown tenant `{t}`",
                            s(d, "name")
                        ));
                    }
                }
                "permissions" | "tenants" if s(d, "name").is_empty() => {
                    failures.push(format!("{at}: needs a `name`"))
                }
                "lists" => {
                    let kind = s(d, "type");
                    if kind != "ips" && kind != "texts" {
                        failures.push(format!("{at}: `type` must be `ips` or `texts`"));
                    } else if let Err(e) = strs(d, "data")
                        .ok_or("`data` must be a list of strings".to_owned())
                        .and_then(|data| normalise_entries(&kind, &data))
                    {
                        failures.push(format!("{at}: {e}"));
                    }
                }
                "access_keys" => {
                    if s(d, "name").is_empty() {
                        failures.push(format!("{at}: an access key needs a `name`"));
                    }
                    if !matches!(s(d, "status").as_str(), "active" | "inactive") {
                        failures.push(format!("{at}: `status` must be `active` or `inactive`"));
                    }
                    for r in strs(d, "roleNames")
                        .unwrap_or_default()
                        .iter()
                        .filter(|r| !role_ok(r, ""))
                    {
                        failures.push(format!(
                            "{at}: key `{}` references unknown project role `{r}`",
                            s(d, "name")
                        ));
                    }
                    for kt in d
                        .get("keyTenants")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let t = s(kt, "tenantId");
                        if !tenants.contains(&t) {
                            failures.push(format!(
                                "{at}: key `{}` references unknown tenant `{t}`",
                                s(d, "name")
                            ));
                        }
                        for r in strs(kt, "roleNames")
                            .unwrap_or_default()
                            .iter()
                            .filter(|r| !role_ok(r, &t))
                        {
                            failures.push(format!(
                                "{at}: key `{}` references unknown role `{r}` in tenant `{t}`",
                                s(d, "name")
                            ));
                        }
                    }
                }
                "tenants" => {
                    for r in strs(d, "defaultRoles")
                        .unwrap_or_default()
                        .iter()
                        .filter(|r| !role_ok(r, id))
                    {
                        failures.push(format!(
                            "{at}: tenant `{}` has unknown default role `{r}`",
                            s(d, "name")
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    Ok(())
}

fn snapshot_args(
    files: &Map<String, Value>,
    excludes: Option<&Vec<String>>,
    secrets: Option<&Map<String, Value>>,
) -> (Map<String, Value>, Vec<String>, Value) {
    (
        files.clone(),
        excludes.cloned().unwrap_or_default(),
        secrets
            .map(|m| Value::Object(m.clone()))
            .unwrap_or_else(|| json!({})),
    )
}

fn missing_json(plan: &Plan) -> Value {
    let mut m =
        json!({"connectors": [], "oauthProviders": [], "outboundApps": [], "externalAuth": []});
    for (k, v) in &plan.missing {
        m[*k] = json!(v);
    }
    m
}

#[operation(project::ValidateSnapshot)]
async fn validate_snapshot(
    ctx: &mut Ctx,
    input: ValidateSnapshotInput,
) -> Result<ValidateSnapshotOutput, ApiError> {
    let (files, excludes, secrets) = snapshot_args(
        &input.files,
        input.excludes.as_ref(),
        input.input_secrets.as_ref(),
    );
    let plan = plan_snapshot(ctx, &files, &excludes, &secrets)?;
    let ok = plan.failures.is_empty() && plan.missing.is_empty();
    Ok(serde_json::from_value(
        json!({ "ok": ok, "failures": plan.failures, "missingSecrets": missing_json(&plan) }),
    )?)
}

#[operation(project::ImportSnapshot)]
async fn import_snapshot(
    ctx: &mut Ctx,
    input: ImportSnapshotInput,
) -> Result<ImportSnapshotOutput, ApiError> {
    let (files, excludes, secrets) = snapshot_args(
        &input.files,
        input.excludes.as_ref(),
        input.input_secrets.as_ref(),
    );
    let plan = plan_snapshot(ctx, &files, &excludes, &secrets)?;
    if !plan.failures.is_empty() {
        return Err(ApiError::invalid(format!(
            "the snapshot is invalid, nothing was imported:\n- {}",
            plan.failures.join("\n- ")
        )));
    }
    if !plan.missing.is_empty() {
        return Err(ApiError::invalid(format!(
            "the snapshot needs secrets this project does not have, nothing was imported: {}; pass them in `inputSecrets` (see ValidateSnapshot's missingSecrets)",
            missing_json(&plan)
        )));
    }
    let pid = ctx.project_id()?.to_owned();
    for (coll, list) in &plan.writes {
        // A file replaces its whole collection. Access keys keep the secret hash of a key with
        // the same ID, since the snapshot never carries it.
        let old: BTreeMap<String, Value> = ctx.db().docs().scan(&pid, coll)?.into_iter().collect();
        for id in old.keys() {
            ctx.db().docs().delete(&pid, coll, id)?;
        }
        for (id, doc) in list {
            let mut doc = doc.clone();
            if coll == super::auth_keys::KEYS_COLL {
                match old.get(id).and_then(|o| o.get("secretHash")) {
                    Some(h) => doc["secretHash"] = h.clone(),
                    // A key new to this project has no usable secret: it arrives inactive,
                    // to be rotated before use.
                    None => doc["status"] = json!("inactive"),
                }
            }
            ctx.put(coll, id, &doc)?;
        }
    }
    Ok(ImportSnapshotOutput {})
}
