//! Declarative verbs: CRUD-shaped operations described entirely in YAML (`execute.verb`),
//! run on document collections with Descope semantics (uniqueness, epoch-second timestamps,
//! `{errorCode, …}` errors, paging and sorting).

use serde_json::{Map, Value, json};

use super::Ctx;
use crate::error::ApiError;
use crate::store::docs;
use crate::store::principals::new_id;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Create,
    Load,
    List,
    Search,
    Update,
    Patch,
    Delete,
    BatchCreate,
    BatchDelete,
    DeleteWhere,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterOp {
    /// Field equals the input value.
    Eq,
    /// Field equals one of the input values (input is a list).
    In,
    /// Any element of an array field equals one of the input values.
    Any,
    /// Case-insensitive substring match over `fields`.
    Text,
    /// Field ≥ input × scale.
    Gte,
    /// Field ≤ input × scale.
    Lte,
    /// Field starts with the input (case-insensitive).
    Prefix,
    /// Input true: the field is present and not empty; false: absent or empty.
    Exists,
}

impl FilterOp {
    /// Whether the filter can be answered from `doc_keys` (exact matches).
    pub fn indexed(self) -> bool {
        matches!(self, FilterOp::Eq | FilterOp::In | FilterOp::Any)
    }
}

#[derive(Debug)]
pub struct Filter {
    pub input: &'static str,
    pub op: FilterOp,
    pub field: &'static str,
    pub fields: &'static [&'static str],
    pub scale: f64,
}

/// A verb as declared in YAML (see operations/README.md for every field).
#[derive(Debug)]
pub struct VerbDef {
    pub verb: Verb,
    pub collection: &'static str,
    pub key: &'static [(&'static str, &'static str)],
    pub id_field: Option<&'static str>,
    pub id_prefix: &'static str,
    pub id_input: Option<&'static str>,
    pub unique: &'static [&'static str],
    pub body: Option<&'static str>,
    pub items: Option<&'static str>,
    pub omit: &'static [&'static str],
    pub set: &'static [(&'static str, &'static str)],
    pub defaults: &'static [(&'static str, &'static str)],
    pub fields: &'static [&'static str],
    pub filters: &'static [Filter],
    pub sort_input: Option<&'static str>,
    pub sort_default: Option<&'static str>,
    pub page_input: Option<&'static str>,
    pub limit_input: Option<&'static str>,
    pub limit_default: i64,
    pub wrap: Option<&'static str>,
    pub total: bool,
    pub returns_id: Option<&'static str>,
    pub created_field: Option<&'static str>,
    pub modified_field: Option<&'static str>,
    pub not_found: Option<(&'static str, &'static str)>,
    pub conflict: Option<(&'static str, &'static str)>,
}

fn parse_const(s: &str) -> Value {
    serde_json::from_str(s).expect("codegen emits valid JSON constants")
}

fn present(v: Option<&Value>) -> Option<&Value> {
    v.filter(|v| match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    })
}

/// Runs a verb. The dispatch path has validated `args` against the input schema already.
pub fn run(def: &VerbDef, ctx: &mut Ctx, args: Value) -> Result<Value, ApiError> {
    match def.verb {
        Verb::Load => {
            let (_, doc) = locate(def, ctx, &args)?;
            Ok(wrap(def, doc))
        }
        Verb::List => {
            let pid = ctx.project_id()?.to_owned();
            let all: Vec<Value> = ctx
                .db()
                .docs()
                .scan(&pid, def.collection)?
                .into_iter()
                .map(|(_, d)| d)
                .collect();
            Ok(wrap_list(def, all.len(), all))
        }
        Verb::Search => search(def, ctx, &args),
        Verb::Create => {
            let (id, doc) = create_one(def, ctx, &args)?;
            Ok(created_result(def, &id, doc))
        }
        Verb::BatchCreate => {
            let items = args
                .get(def.items.unwrap_or_default())
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let mut out = Vec::new();
            for item in items {
                out.push(create_one(def, ctx, &item)?.1);
            }
            Ok(wrap_list(def, out.len(), out))
        }
        Verb::Update | Verb::Patch => {
            let (id, mut doc) = locate(def, ctx, &args)?;
            let src = match def.body {
                Some(b) => args.get(b).cloned().unwrap_or_else(|| json!({})),
                None => args.clone(),
            };
            let key_inputs: Vec<&str> = def.key.iter().map(|(i, _)| *i).collect();
            let obj = doc
                .as_object_mut()
                .ok_or_else(|| ApiError::internal("stored document is not an object"))?;
            if def.verb == Verb::Update && !def.fields.is_empty() {
                for f in def.fields {
                    match src.get(*f) {
                        Some(v) if !v.is_null() => obj.insert((*f).to_owned(), v.clone()),
                        _ => obj.remove(*f),
                    };
                }
            } else if let Some(m) = src.as_object() {
                for (k, v) in m {
                    if key_inputs.contains(&k.as_str())
                        || def.omit.contains(&k.as_str())
                        || v.is_null()
                    {
                        continue;
                    }
                    obj.insert(k.clone(), v.clone());
                }
            }
            for (k, v) in def.set {
                obj.insert((*k).to_owned(), parse_const(v));
            }
            if let Some(m) = def.modified_field {
                obj.insert(m.to_owned(), json!(ctx.now_secs()));
            }
            check_unique(def, ctx, &id, &doc)?;
            ctx.put(def.collection, &id, &doc)?;
            Ok(wrap(def, doc))
        }
        Verb::Delete => {
            match locate(def, ctx, &args) {
                Ok((id, _)) => {
                    let pid = ctx.project_id()?.to_owned();
                    ctx.db().docs().delete(&pid, def.collection, &id)?;
                }
                Err(e) if def.not_found.is_none() && e.status == 404 => {}
                Err(e) => return Err(e),
            }
            Ok(json!({}))
        }
        Verb::BatchDelete => {
            let pid = ctx.project_id()?.to_owned();
            let ids = args
                .get(def.items.unwrap_or_default())
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let field = def
                .id_field
                .or(def.key.first().map(|(_, f)| *f))
                .unwrap_or("id");
            for v in ids {
                for id in ctx
                    .db()
                    .docs()
                    .ids_by_key(&pid, def.collection, field, &v)?
                {
                    ctx.db().docs().delete(&pid, def.collection, &id)?;
                }
            }
            Ok(json!({}))
        }
        Verb::DeleteWhere => {
            let pid = ctx.project_id()?.to_owned();
            let mut n = 0;
            for (id, doc) in ctx.db().docs().scan(&pid, def.collection)? {
                if def
                    .set
                    .iter()
                    .all(|(k, v)| doc.get(*k) == Some(&parse_const(v)))
                {
                    ctx.db().docs().delete(&pid, def.collection, &id)?;
                    n += 1;
                }
            }
            Ok(match def.wrap {
                Some(w) => json!({ w: n }),
                None => json!({}),
            })
        }
    }
}

/// The verb's own `not_found`, else the one its collection declares.
fn not_found(def: &VerbDef, what: String) -> ApiError {
    let declared = super::repo::def(def.collection).and_then(|c| c.not_found);
    match def.not_found.or(declared) {
        Some((code, msg)) => ApiError::not_found(code, format!("{msg}: {what}")),
        None => ApiError::not_found("E011004", format!("not found: {what}")),
    }
}

/// Finds the target document from the first key input present.
fn locate(def: &VerbDef, ctx: &Ctx, args: &Value) -> Result<(String, Value), ApiError> {
    for (input, field) in def.key {
        if let Some(v) = present(args.get(*input)) {
            return match ctx.find(def.collection, field, v)? {
                Some(found) => Ok(found),
                None => Err(not_found(
                    def,
                    format!("no {} with {input} {v}", singular(def.collection)),
                )),
            };
        }
    }
    let names: Vec<&str> = def.key.iter().map(|(i, _)| *i).collect();
    Err(ApiError::missing(format!(
        "one of {} is required",
        names.join(", ")
    )))
}

fn singular(coll: &str) -> &str {
    coll.strip_suffix('s').unwrap_or(coll)
}

fn check_unique(def: &VerbDef, ctx: &Ctx, id: &str, doc: &Value) -> Result<(), ApiError> {
    let pid = ctx.project_id()?;
    for path in def.unique {
        for v in docs::extract(doc, path) {
            let others = ctx.db().docs().ids_by_key(pid, def.collection, path, v)?;
            if others.iter().any(|o| o != id) {
                let (code, msg) = def.conflict.unwrap_or(("E011004", "already exists"));
                return Err(ApiError::conflict(
                    code,
                    format!(
                        "{msg}: {path} {v} is already used by another {}",
                        singular(def.collection)
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn create_one(def: &VerbDef, ctx: &Ctx, args: &Value) -> Result<(String, Value), ApiError> {
    let src = match def.body {
        Some(b) => args.get(b).cloned().unwrap_or_else(|| json!({})),
        None => args.clone(),
    };
    let mut obj: Map<String, Value> = src.as_object().cloned().unwrap_or_default();
    for o in def.omit {
        obj.remove(*o);
    }
    obj.retain(|_, v| !v.is_null());
    for (k, v) in def.defaults {
        obj.entry((*k).to_owned()).or_insert_with(|| parse_const(v));
    }
    for (k, v) in def.set {
        obj.insert((*k).to_owned(), parse_const(v));
    }
    let id_field = def.id_field.unwrap_or("id");
    let given = def
        .id_input
        .and_then(|i| present(args.get(i)))
        .and_then(Value::as_str)
        .map(str::to_owned);
    let id = given.unwrap_or_else(|| new_id(def.id_prefix));
    if let Some(i) = def.id_input {
        if i != id_field {
            obj.remove(i);
        }
    }
    obj.insert(id_field.to_owned(), json!(id));
    if let Some(c) = def.created_field {
        obj.insert(c.to_owned(), json!(ctx.now_secs()));
    }
    if let Some(m) = def.modified_field {
        obj.insert(m.to_owned(), json!(ctx.now_secs()));
    }
    let doc = Value::Object(obj);
    let pid = ctx.project_id()?;
    if ctx.db().docs().get(pid, def.collection, &id)?.is_some() {
        let (code, msg) = def.conflict.unwrap_or(("E011004", "already exists"));
        return Err(ApiError::conflict(
            code,
            format!("{msg}: {id_field} {id} is already used"),
        ));
    }
    check_unique(def, ctx, &id, &doc)?;
    ctx.put(def.collection, &id, &doc)?;
    Ok((id, doc))
}

fn created_result(def: &VerbDef, id: &str, doc: Value) -> Value {
    match (def.returns_id, def.wrap) {
        (Some(k), _) => json!({ k: id }),
        (None, Some(_)) => wrap(def, doc),
        (None, None) => json!({}),
    }
}

fn wrap(def: &VerbDef, doc: Value) -> Value {
    match def.wrap {
        Some(w) => json!({ w: doc }),
        None => doc,
    }
}

fn wrap_list(def: &VerbDef, total: usize, items: Vec<Value>) -> Value {
    let mut m = Map::new();
    m.insert(def.wrap.unwrap_or("items").to_owned(), Value::Array(items));
    if def.total {
        m.insert("total".into(), json!(total));
    }
    Value::Object(m)
}

fn as_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn input_values(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    }
}

fn search(def: &VerbDef, ctx: &Ctx, args: &Value) -> Result<Value, ApiError> {
    let pid = ctx.project_id()?.to_owned();
    // Exact filters narrow the candidates in SQL; the rest are applied to the documents.
    let mut constraints = Vec::new();
    let mut rest = Vec::new();
    for f in def.filters {
        let Some(v) = present(args.get(f.input)) else {
            continue;
        };
        if f.op.indexed() {
            constraints.push((
                f.field.to_owned(),
                input_values(v)
                    .into_iter()
                    .filter_map(docs::key_text)
                    .collect(),
            ));
        } else {
            rest.push((f, v));
        }
    }
    let mut found: Vec<Value> = ctx
        .db()
        .docs()
        .select(&pid, def.collection, &constraints)?
        .into_iter()
        .map(|(_, d)| d)
        .filter(|d| rest.iter().all(|(f, v)| matches(f, v, d)))
        .collect();
    sort(def, args, &mut found);
    let total = found.len();
    let limit = def
        .limit_input
        .and_then(|l| args.get(l))
        .and_then(Value::as_i64)
        .filter(|l| *l > 0)
        .unwrap_or(def.limit_default) as usize;
    let page = def
        .page_input
        .and_then(|p| args.get(p))
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .max(0) as usize;
    let items: Vec<Value> = if def.page_input.is_some() || def.limit_input.is_some() {
        found
            .into_iter()
            .skip(page.saturating_mul(limit))
            .take(limit)
            .collect()
    } else {
        found
    };
    Ok(wrap_list(def, total, items))
}

fn matches(f: &Filter, input: &Value, doc: &Value) -> bool {
    match f.op {
        FilterOp::Text => {
            let Some(needle) = input.as_str().map(str::to_lowercase) else {
                return true;
            };
            f.fields.iter().any(|p| {
                docs::extract(doc, p).iter().any(|v| match v {
                    Value::String(s) => s.to_lowercase().contains(&needle),
                    other => other.to_string().to_lowercase().contains(&needle),
                })
            })
        }
        FilterOp::Gte | FilterOp::Lte => {
            let Some(bound) = as_f64(input).map(|b| b * f.scale) else {
                return true;
            };
            docs::extract(doc, f.field)
                .iter()
                .filter_map(|v| as_f64(v))
                .any(|x| {
                    if f.op == FilterOp::Gte {
                        x >= bound
                    } else {
                        x <= bound
                    }
                })
        }
        FilterOp::Prefix => {
            let Some(p) = input.as_str().map(str::to_lowercase) else {
                return true;
            };
            docs::extract(doc, f.field)
                .iter()
                .any(|v| v.as_str().is_some_and(|s| s.to_lowercase().starts_with(&p)))
        }
        FilterOp::Exists => {
            let want = input.as_bool().unwrap_or(true);
            let has = docs::extract(doc, f.field)
                .iter()
                .any(|v| !matches!(v, Value::Bool(false)) && v.as_str() != Some(""));
            has == want
        }
        FilterOp::Eq | FilterOp::In | FilterOp::Any => {
            let wanted: Vec<String> = input_values(input)
                .into_iter()
                .filter_map(docs::key_text)
                .collect();
            docs::extract(doc, f.field)
                .iter()
                .filter_map(|v| docs::key_text(v))
                .any(|v| wanted.contains(&v))
        }
    }
}

/// Sorts by the `sort` input (`[{field, desc}]`) or the declared default (`-field` = desc).
fn sort(def: &VerbDef, args: &Value, items: &mut [Value]) {
    let mut keys: Vec<(String, bool)> = def
        .sort_input
        .and_then(|s| args.get(s))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
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
        if let Some(d) = def.sort_default {
            keys.push(match d.strip_prefix('-') {
                Some(f) => (f.to_owned(), true),
                None => (d.to_owned(), false),
            });
        }
    }
    if keys.is_empty() {
        return;
    }
    items.sort_by(|a, b| {
        for (field, desc) in &keys {
            let (x, y) = (
                docs::extract(a, field).first().map(|v| (*v).clone()),
                docs::extract(b, field).first().map(|v| (*v).clone()),
            );
            let ord = cmp_json(x.as_ref(), y.as_ref());
            let ord = if *desc { ord.reverse() } else { ord };
            if ord.is_ne() {
                return ord;
            }
        }
        std::cmp::Ordering::Equal
    });
}

fn cmp_json(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, _) => Ordering::Less,
        (_, None) => Ordering::Greater,
        (Some(x), Some(y)) => match (as_f64(x), as_f64(y)) {
            (Some(p), Some(q)) if x.is_number() && y.is_number() => {
                p.partial_cmp(&q).unwrap_or(Ordering::Equal)
            }
            _ => x
                .as_str()
                .unwrap_or_default()
                .to_lowercase()
                .cmp(&y.as_str().unwrap_or_default().to_lowercase()),
        },
    }
}
