//! Stored collections (`operations/_collections/*.yaml`): checks each declaration against its
//! `_defs` document shape, resolves its index layout, and checks every declarative verb's
//! collection and field paths against it, so a typo is a located build error rather than a
//! silently empty collection or a filter that never matches.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use crate::diag::Diagnostics;
use crate::model::{Collection, OnDelete, Reference, Unique};
use crate::spec::{CollectionSpec, Cx, FileKind, Located, SpecFile, VerbSpec};

const ON_DELETE: &[&str] = &["restrict", "cascade", "remove", "unset"];
const CASES: &[&str] = &["insensitive", "exact"];

/// Checks every collection file and resolves them (sorted by name). A collection with errors
/// is still returned so that verbs naming it are not reported as naming an unknown one.
pub fn resolve(
    files: &[SpecFile],
    defs: &BTreeMap<String, Json>,
    diags: &mut Diagnostics,
) -> BTreeMap<String, Collection> {
    let specs: Vec<(&SpecFile, &CollectionSpec)> = files
        .iter()
        .filter_map(|f| match &f.kind {
            FileKind::Collection(c) => Some((f, &**c)),
            _ => None,
        })
        .collect();
    let names: BTreeSet<&str> = specs.iter().map(|(_, c)| c.name.value.as_str()).collect();
    let mut documents: BTreeMap<&str, &str> = BTreeMap::new();
    let mut out = BTreeMap::new();
    for (f, c) in &specs {
        let mut cx = Cx {
            path: &f.path,
            diags,
        };
        let name = &c.name.value;
        if name.is_empty() || !name.chars().all(|ch| ch.is_ascii_lowercase() || ch == '_') {
            cx.err(
                c.name.loc,
                format!("collection names are lower_snake_case (`{name}` is not)"),
            );
        }
        if *name != f.stem {
            cx.err(
                c.name.loc,
                format!(
                    "collection `{name}` must be declared in a file named {name}.yaml (found {}.yaml)",
                    f.stem
                ),
            );
        }
        let doc = c.document.as_ref().and_then(|d| {
            if !defs.contains_key(&d.value) {
                cx.err(
                    d.loc,
                    format!(
                        "unknown `$ref` target `#/$defs/{0}`: there is no operations/_defs/{0}.yaml",
                        d.value
                    ),
                );
                return None;
            }
            if let Some(other) = documents.insert(&d.value, name) {
                cx.err(
                    d.loc,
                    format!(
                        "`{}` is already the document of collection `{other}`; a shape types one collection",
                        d.value
                    ),
                );
            }
            Some(d.value.as_str())
        });
        let check = |cx: &mut Cx, p: &Located<String>| {
            if let Some(doc) = doc {
                if let Err(msg) = field_path(defs, doc, &p.value) {
                    cx.err(p.loc, msg);
                }
            }
        };
        match &c.id {
            Some(id) => check(&mut cx, id),
            None if c.document.is_some() => cx.err(
                c.name.loc,
                "a typed collection (with `document`) names the field holding its IDs: `id: <field>`",
            ),
            None => {}
        }
        for k in &c.keys {
            check(&mut cx, k);
        }
        let mut unique = Vec::new();
        for u in &c.unique {
            check(&mut cx, &u.field);
            if !CASES.contains(&u.case.value.as_str()) {
                cx.err(
                    u.case.loc,
                    format!("`case` is one of: {}", CASES.join(", ")),
                );
            }
            unique.push(Unique {
                field: u.field.value.clone(),
                ignore_case: u.case.value != "exact",
                conflict: u.conflict.clone(),
            });
        }
        let mut references = Vec::new();
        for r in &c.references {
            let from = &r.from.value;
            if !names.contains(from.as_str()) {
                cx.err(r.from.loc, unknown_collection(from, &names));
            } else if let Some(from_doc) = specs
                .iter()
                .find(|(_, s)| s.name.value == *from)
                .and_then(|(_, s)| s.document.as_ref())
                .filter(|d| defs.contains_key(&d.value))
            {
                if let Err(msg) = field_path(defs, &from_doc.value, &r.path.value) {
                    cx.err(r.path.loc, msg);
                }
            }
            let on_delete = match r.on_delete.value.as_str() {
                "restrict" => OnDelete::Restrict,
                "cascade" => OnDelete::Cascade,
                "remove" => OnDelete::Remove,
                "unset" => OnDelete::Unset,
                other => {
                    cx.err(
                        r.on_delete.loc,
                        format!(
                            "unknown `on_delete` `{other}`; use one of: {}",
                            ON_DELETE.join(", ")
                        ),
                    );
                    OnDelete::Restrict
                }
            };
            references.push(Reference {
                from: from.clone(),
                path: r.path.value.clone(),
                on_delete,
            });
        }
        out.insert(
            name.clone(),
            Collection {
                name: name.clone(),
                description: c.description.trim().to_owned(),
                document: doc.map(str::to_owned),
                id: c.id.as_ref().map(|l| l.value.clone()),
                declared_keys: c.keys.iter().map(|k| k.value.clone()).collect(),
                keys: Vec::new(),
                unique,
                references,
                not_found: c.not_found.clone(),
            },
        );
    }
    // The index layout: the ID, the declared keys, the unique fields, and every path at which
    // another collection's reference points into this one's documents (so a delete finds them).
    let inbound: Vec<(String, String)> = out
        .values()
        .flat_map(|c| {
            c.references
                .iter()
                .map(|r| (r.from.clone(), r.path.clone()))
        })
        .collect();
    for c in out.values_mut() {
        let mut keys: BTreeSet<String> = c.declared_keys.iter().cloned().collect();
        keys.extend(c.id.clone());
        keys.extend(c.unique.iter().map(|u| u.field.clone()));
        keys.extend(
            inbound
                .iter()
                .filter(|(from, _)| *from == c.name)
                .map(|(_, p)| p.clone()),
        );
        c.keys = keys.into_iter().collect();
    }
    out
}

fn unknown_collection(name: &str, names: &BTreeSet<&str>) -> String {
    let known: Vec<&str> = names.iter().copied().collect();
    format!(
        "unknown collection `{name}`: declare it in operations/_collections/{name}.yaml, or use one of: {}",
        known.join(", ")
    )
}

/// Checks a verb's collection and every field path it names.
pub fn check_verb(
    cx: &mut Cx,
    v: &VerbSpec,
    colls: &BTreeMap<String, Collection>,
    defs: &BTreeMap<String, Json>,
) {
    let Some(c) = colls.get(&v.collection.value) else {
        let names = colls.keys().map(String::as_str).collect();
        cx.err(
            v.collection.loc,
            unknown_collection(&v.collection.value, &names),
        );
        return;
    };
    let field = |cx: &mut Cx, p: &Located<String>| {
        if let Some(doc) = &c.document {
            if let Err(msg) = field_path(defs, doc, &p.value) {
                cx.err(p.loc, msg);
            }
        }
    };
    for (_, f) in &v.key {
        field(cx, f);
    }
    for u in &v.unique {
        field(cx, u);
    }
    if let Some(id) = &v.id_field {
        if c.id.as_ref() != Some(&id.value) {
            cx.err(
                id.loc,
                format!(
                    "`id.field` is `{}` but collection `{}` keeps its IDs in `{}`",
                    id.value,
                    c.name,
                    c.id.as_deref().unwrap_or("no document field")
                ),
            );
        }
    }
    for f in &v.fields {
        field(cx, f);
    }
    for flt in &v.filters {
        if let Some(f) = &flt.field {
            field(cx, f);
        }
        for f in &flt.fields {
            field(cx, f);
        }
    }
}

/// Adds to each collection's index layout the paths its verbs look documents up by (`key`,
/// `unique`, and `eq`/`in`/`any` filter fields), so one operation file is enough to add an
/// indexed search; the emitted `COLLECTIONS` table shows the complete layout.
pub fn index_verbs<'a>(
    colls: &mut BTreeMap<String, Collection>,
    verbs: impl Iterator<Item = &'a VerbSpec>,
) {
    for v in verbs {
        let Some(c) = colls.get_mut(&v.collection.value) else {
            continue;
        };
        let mut keys: BTreeSet<String> = c.keys.drain(..).collect();
        keys.extend(v.key.iter().map(|(_, f)| f.value.clone()));
        keys.extend(v.unique.iter().map(|u| u.value.clone()));
        keys.extend(
            v.filters
                .iter()
                .filter(|f| matches!(f.op.value.as_str(), "eq" | "in" | "any"))
                .filter_map(|f| f.field.as_ref().map(|l| l.value.clone())),
        );
        c.keys = keys.into_iter().collect();
    }
}

/// Whether `path` (`a.b`, `list[].field`) names a field of the `_defs` shape `doc`. A field
/// whose schema is an object without `properties` is free-form: any path below it is allowed.
pub fn field_path(defs: &BTreeMap<String, Json>, doc: &str, path: &str) -> Result<(), String> {
    let mut node = defs
        .get(doc)
        .ok_or_else(|| format!("no definition `{doc}`"))?;
    for seg in path.split('.') {
        let (name, each) = match seg.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (seg, false),
        };
        node = deref(defs, node);
        let Some(props) = node.get("properties").and_then(Json::as_object) else {
            return Ok(());
        };
        let Some(child) = props.get(name) else {
            let known: Vec<&str> = props.keys().map(String::as_str).collect();
            return Err(format!(
                "`{path}`: the document `{doc}` has no field `{name}` there (fields: {})",
                known.join(", ")
            ));
        };
        node = deref(defs, child);
        if each {
            match node.get("items") {
                Some(items) if node.get("type").and_then(Json::as_str) == Some("array") => {
                    node = items;
                }
                _ => {
                    return Err(format!(
                        "`{path}`: `{name}` is not a list, so `{name}[]` names nothing"
                    ));
                }
            }
        }
    }
    Ok(())
}

fn deref<'a>(defs: &'a BTreeMap<String, Json>, node: &'a Json) -> &'a Json {
    match node
        .get("$ref")
        .and_then(Json::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
        .and_then(|n| defs.get(n))
    {
        Some(d) => deref(defs, d),
        None => node,
    }
}
