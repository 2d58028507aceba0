//! Cross-file rules and resolution: names, buckets and classes agree, HTTP bindings name real
//! inputs, declarative verbs are complete, every `$ref` exists; then the resolved [`Catalog`].

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as Json};

use crate::diag::{Diagnostic, Diagnostics, Loc};
use crate::model::{AREAS, Catalog, Class, Example, Exec, Http, Operation};
use crate::node::Node;
use crate::schema::{self, SchemaFacts};
use crate::spec::{Cx, ExecSpec, FileKind, OperationSpec, SpecFile, VerbSpec};

const VERBS_READ: &[&str] = &["load", "list", "search"];
const VERBS_WRITE: &[&str] = &[
    "create",
    "update",
    "patch",
    "delete",
    "batch_create",
    "batch_delete",
    "delete_where",
];
const FILTER_OPS: &[&str] = &["eq", "in", "any", "text", "gte", "lte", "prefix", "exists"];
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];

pub fn validate(files: Vec<SpecFile>, diags: &mut Diagnostics) -> Catalog {
    // Definitions first: operations refer to them.
    let mut def_nodes: BTreeMap<String, (String, Node)> = BTreeMap::new();
    let mut def_refs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &files {
        if let FileKind::Def(node) = &f.kind {
            let mut cx = Cx {
                path: &f.path,
                diags,
            };
            if !is_pascal(&f.stem) {
                cx.err(
                    Loc { line: 1, col: 1 },
                    format!("definition file names are PascalCase (`{}` is not)", f.stem),
                );
            }
            let mut facts = SchemaFacts::default();
            schema::check(&mut cx, node, "", &mut facts);
            def_refs.insert(
                f.stem.clone(),
                facts.refs.iter().map(|(n, _)| n.clone()).collect(),
            );
            def_nodes.insert(f.stem.clone(), (f.path.clone(), node.clone()));
            // Refs inside definitions are checked below, once all names are known.
            for (name, loc) in facts.refs {
                if !files
                    .iter()
                    .any(|g| matches!(g.kind, FileKind::Def(_)) && g.stem == name)
                {
                    diags.push(Diagnostic::at(&f.path, loc, unknown_ref(&name)));
                }
            }
        }
    }
    let defs: BTreeMap<String, Json> = def_nodes
        .iter()
        .map(|(k, (_, n))| (k.clone(), n.to_json()))
        .collect();

    let mut collections = crate::collections::resolve(&files, &defs, diags);

    let mut ops = Vec::new();
    let mut seen: BTreeMap<(String, String), String> = BTreeMap::new();
    for f in &files {
        let FileKind::Operation(spec) = &f.kind else {
            continue;
        };
        let mut cx = Cx {
            path: &f.path,
            diags,
        };
        if let Some(op) = resolve(&mut cx, f, spec, &defs, &def_refs, &collections) {
            let key = (op.tool.clone(), op.name.to_lowercase());
            if let Some(first) = seen.get(&key) {
                cx.err(spec.name.loc, format!("duplicate operation `{}` in tool `{}` (also defined in {first}); names are unique per tool, ignoring case", op.name, op.tool));
            } else {
                seen.insert(key, f.path.clone());
                ops.push(op);
            }
        }
    }
    ops.sort_by(|a, b| (&a.tool, &a.name).cmp(&(&b.tool, &b.name)));
    crate::collections::index_verbs(
        &mut collections,
        ops.iter().filter_map(|o| match &o.exec {
            Exec::Verb(v) => Some(v),
            Exec::Handler => None,
        }),
    );
    Catalog {
        operations: ops,
        defs,
        collections,
    }
}

fn unknown_ref(name: &str) -> String {
    format!("unknown `$ref` target `#/$defs/{name}`: there is no operations/_defs/{name}.yaml")
}

fn is_pascal(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
}

fn is_camel(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars().all(|c| c.is_ascii_alphanumeric())
}

fn resolve(
    cx: &mut Cx,
    f: &SpecFile,
    spec: &OperationSpec,
    defs: &BTreeMap<String, Json>,
    def_refs: &BTreeMap<String, Vec<String>>,
    collections: &BTreeMap<String, crate::model::Collection>,
) -> Option<Operation> {
    let name = &spec.name.value;
    let area = f.dir.as_str();
    let before = cx.diags.len();
    let fail = |cx: &mut Cx, loc: Loc, msg: String| cx.err(loc, msg);

    // Names: PascalCase operationIds, camelCase for the session tool's own operations.
    let name_ok = if area == "session" {
        is_camel(name)
    } else {
        is_pascal(name)
    };
    if !name_ok || name.len() > 64 {
        let want = if area == "session" {
            "camelCase (e.g. `getProjectStatus`)"
        } else {
            "PascalCase like the Descope operationId (e.g. `LoadUser`)"
        };
        fail(
            cx,
            spec.name.loc,
            format!(
                "invalid operation name `{name}`: must be {want}, letters and digits only, at most 64 characters"
            ),
        );
    }
    if *name != f.stem {
        fail(
            cx,
            spec.name.loc,
            format!(
                "operation `{name}` must live in a file named {name}.yaml (found {}.yaml)",
                f.stem
            ),
        );
    }

    // Class and bucket.
    let class = match spec.class.value.as_str() {
        "read" => Class::Read,
        "write" => Class::Write,
        other => {
            fail(
                cx,
                spec.class.loc,
                format!("`class` must be `read` or `write`, found `{other}`"),
            );
            Class::Read
        }
    };
    let Some((_, has_write)) = AREAS.iter().find(|(a, _)| *a == area) else {
        let known: Vec<&str> = AREAS.iter().map(|(a, _)| *a).collect();
        cx.err(
            Loc { line: 1, col: 1 },
            format!(
                "`operations/{area}/` is not a known area; use one of: {}",
                known.join(", ")
            ),
        );
        return None;
    };
    let bucket = spec.bucket.value.as_str();
    let expected_tool = if area == "session" {
        "session".to_owned()
    } else {
        format!("{area}_{}", class.as_str())
    };
    if area == "session" {
        if bucket != "session" {
            fail(
                cx,
                spec.bucket.loc,
                format!(
                    "operations in operations/session/ belong to bucket `session`, not `{bucket}`"
                ),
            );
        }
        if class == Class::Write {
            fail(
                cx,
                spec.class.loc,
                "session operations change the session, not identity data: their class is `read`"
                    .into(),
            );
        }
    } else if class == Class::Write && !has_write {
        fail(
            cx,
            spec.class.loc,
            format!(
                "`{area}` has no write tool; a write operation cannot live in operations/{area}/"
            ),
        );
    } else if bucket != expected_tool {
        let (b_area, b_class) = bucket.rsplit_once('_').unwrap_or((bucket, ""));
        let msg = if b_area == area && (b_class == "read" || b_class == "write") {
            format!(
                "a {} operation cannot be in the {b_class} bucket `{bucket}`: use `{expected_tool}` or change `class`",
                class.as_str()
            )
        } else {
            format!(
                "bucket `{bucket}` does not match the file's folder and class: expected `{expected_tool}`"
            )
        };
        fail(cx, spec.bucket.loc, msg);
    }

    // Summary.
    let summary = spec.summary.value.trim();
    if summary.is_empty() || summary.contains('\n') || summary.len() > 200 {
        fail(
            cx,
            spec.summary.loc,
            "`summary` is one line of at most 200 characters".into(),
        );
    }

    // Schemas.
    let mut facts_in = SchemaFacts::default();
    schema::check_root(cx, &spec.input, "input", &mut facts_in);
    let mut facts_out = SchemaFacts::default();
    schema::check_root(cx, &spec.output, "output", &mut facts_out);
    for (r, loc) in facts_in.refs.iter().chain(facts_out.refs.iter()) {
        if !defs.contains_key(r) {
            fail(cx, *loc, unknown_ref(r));
        }
    }
    let input = spec.input.to_json();
    let output = spec.output.to_json();
    let props: BTreeSet<String> = input
        .get("properties")
        .and_then(Json::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();

    // HTTP binding.
    let http = match &spec.http {
        None => {
            if area != "session" {
                cx.err(spec.name.loc, "missing `http`: every platform operation names its Descope management endpoint (`http: {method, path}`)");
            }
            None
        }
        Some(h) => {
            if !METHODS.contains(&h.method.value.as_str()) {
                fail(
                    cx,
                    h.method.loc,
                    format!("`http.method` must be one of {}", METHODS.join(", ")),
                );
            }
            if !(h.path.value.starts_with("/v1/") || h.path.value.starts_with("/v2/")) {
                fail(
                    cx,
                    h.path.loc,
                    "`http.path` must start with /v1/ or /v2/ (the Descope management API)".into(),
                );
            }
            let path_params: Vec<String> = h
                .path
                .value
                .split('/')
                .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
                .map(str::to_owned)
                .collect();
            for p in &path_params {
                if !props.contains(p) {
                    fail(
                        cx,
                        h.path.loc,
                        format!("path parameter `{{{p}}}` is not an input property"),
                    );
                }
            }
            for q in &h.query {
                if !props.contains(&q.value) {
                    fail(
                        cx,
                        q.loc,
                        format!("query parameter `{}` is not an input property", q.value),
                    );
                }
            }
            Some(Http {
                method: h.method.value.clone(),
                path: h.path.value.clone(),
                query: h.query.iter().map(|q| q.value.clone()).collect(),
                path_params,
            })
        }
    };

    // Examples.
    for ex in &spec.examples {
        if !ex.args.is_object() {
            fail(cx, ex.loc, "an example's `args` must be a mapping".into());
        }
    }

    // Execution.
    let exec = match &spec.execute {
        ExecSpec::Handler(_) => Exec::Handler,
        ExecSpec::Verb(v) => {
            check_verb(cx, v, class, &props);
            crate::collections::check_verb(cx, v, collections, defs);
            Exec::Verb(v.clone())
        }
    };

    if cx.diags.len() != before {
        return None;
    }
    Some(Operation {
        name: name.clone(),
        area: area.to_owned(),
        tool: expected_tool,
        class,
        summary: summary.to_owned(),
        description: spec.description.trim().to_owned(),
        extension: spec.extension.clone(),
        source: f.path.clone(),
        http,
        input_bundled: bundle(&input, defs, def_refs),
        output_bundled: bundle(&output, defs, def_refs),
        input,
        output,
        examples: spec
            .examples
            .iter()
            .map(|e| Example {
                title: e.title.clone(),
                project: e.project.clone(),
                args: e.args.clone(),
                expect: e.expect.clone(),
                error: e.error.clone(),
            })
            .collect(),
        secrets_in: facts_in.secrets.into_iter().collect(),
        secrets_out: facts_out.secrets.into_iter().collect(),
        exec,
    })
}

fn check_verb(cx: &mut Cx, v: &VerbSpec, class: Class, props: &BTreeSet<String>) {
    let verb = v.verb.value.as_str();
    let allowed = match class {
        Class::Read => VERBS_READ,
        Class::Write => VERBS_WRITE,
    };
    if !allowed.contains(&verb) {
        cx.err(
            v.verb.loc,
            format!(
                "verb `{verb}` is not valid for a {} operation; use one of: {}",
                class.as_str(),
                allowed.join(", ")
            ),
        );
    }
    let coll = &v.collection.value;
    if coll.is_empty() || !coll.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        cx.err(
            v.collection.loc,
            "`collection` is a lower_snake_case name (e.g. `users`)",
        );
    }
    let needs_key = matches!(verb, "load" | "update" | "patch" | "delete");
    if needs_key && v.key.is_empty() {
        cx.err(v.loc, format!("verb `{verb}` needs `key`: which input field finds the document (e.g. `key: {{loginId: loginIds}}`)"));
    }
    for (input, _) in &v.key {
        if !props.contains(input) {
            cx.err(
                v.loc,
                format!("`key` uses input `{input}`, which is not an input property"),
            );
        }
    }
    if matches!(verb, "create" | "batch_create") && v.id_field.is_none() {
        cx.err(
            v.loc,
            format!("verb `{verb}` needs `id: {{field: <doc field>, prefix: <letters>}}`"),
        );
    }
    if matches!(verb, "batch_create" | "batch_delete") && v.items.is_none() {
        cx.err(
            v.loc,
            format!("verb `{verb}` needs `items`: the input field holding the list"),
        );
    }
    for named in [
        &v.body,
        &v.items,
        &v.id_input,
        &v.sort_input,
        &v.page_input,
        &v.limit_input,
    ]
    .into_iter()
    .flatten()
    {
        if !props.contains(named) {
            cx.err(
                v.loc,
                format!("`execute` names input `{named}`, which is not an input property"),
            );
        }
    }
    for f in &v.filters {
        if !props.contains(&f.input) {
            cx.err(
                f.loc,
                format!("filter input `{}` is not an input property", f.input),
            );
        }
        if !FILTER_OPS.contains(&f.op.value.as_str()) {
            cx.err(
                f.op.loc,
                format!(
                    "unknown filter op `{}`; use one of: {}",
                    f.op.value,
                    FILTER_OPS.join(", ")
                ),
            );
        }
        if f.op.value == "text" && f.fields.is_empty() {
            cx.err(
                f.loc,
                "a `text` filter needs `fields`: the document fields it searches",
            );
        }
        if f.op.value != "text" && f.field.is_none() {
            cx.err(
                f.loc,
                "this filter needs `field`: the document field it compares",
            );
        }
    }
}

/// Returns `schema` with every transitively referenced definition under `$defs`.
fn bundle(
    schema: &Json,
    defs: &BTreeMap<String, Json>,
    def_refs: &BTreeMap<String, Vec<String>>,
) -> Json {
    let mut wanted = BTreeSet::new();
    let mut stack = Vec::new();
    collect_refs(schema, &mut stack);
    while let Some(name) = stack.pop() {
        if wanted.insert(name.clone()) {
            stack.extend(def_refs.get(&name).cloned().unwrap_or_default());
        }
    }
    let mut out = schema.clone();
    if !wanted.is_empty() {
        let d: Map<String, Json> = wanted
            .into_iter()
            .filter_map(|n| defs.get(&n).map(|s| (n, s.clone())))
            .collect();
        if let Some(obj) = out.as_object_mut() {
            obj.insert("$defs".into(), Json::Object(d));
        }
    }
    out
}

fn collect_refs(v: &Json, out: &mut Vec<String>) {
    match v {
        Json::Object(m) => {
            if let Some(r) = m
                .get("$ref")
                .and_then(Json::as_str)
                .and_then(|r| r.strip_prefix("#/$defs/"))
            {
                out.push(r.to_owned());
            }
            m.values().for_each(|x| collect_refs(x, out));
        }
        Json::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}
