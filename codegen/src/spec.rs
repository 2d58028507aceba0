//! Raw operation specs exactly as written in YAML, decoded from the located tree with every
//! unknown key, missing field and wrong type reported (not only the first one per file).

use std::path::Path;

use serde_json::Value as Json;

use crate::diag::{Diagnostic, Diagnostics, Loc};
use crate::node::{self, Node, Value};

/// A value together with where it was written.
#[derive(Clone, Debug, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub loc: Loc,
}

/// One parsed file under `operations/`.
#[derive(Clone, Debug)]
pub struct SpecFile {
    /// Display path, e.g. `operations/users/LoadUser.yaml`.
    pub path: String,
    /// Directory name (the bucket it sits in), or `_defs`.
    pub dir: String,
    /// File name without `.yaml`.
    pub stem: String,
    pub kind: FileKind,
}

#[derive(Clone, Debug)]
pub enum FileKind {
    Operation(Box<OperationSpec>),
    /// A shared schema under `operations/_defs/`, referenced as `#/$defs/<stem>`.
    Def(Node),
    /// A stored collection under `operations/_collections/` (its documents, keys, rules).
    Collection(Box<CollectionSpec>),
}

/// A stored collection as declared in `operations/_collections/<name>.yaml`.
#[derive(Clone, Debug)]
pub struct CollectionSpec {
    pub name: Located<String>,
    pub description: String,
    /// The `_defs` shape of its documents (`document: {$ref: "#/$defs/Tenant"}`); absent for
    /// internal collections whose documents no operation returns as such.
    pub document: Option<Located<String>>,
    /// The document field holding its ID; absent when the ID is not a document field (e.g.
    /// per-tenant settings stored under the tenant's ID).
    pub id: Option<Located<String>>,
    /// Paths documents are looked up by (indexed), e.g. `name`, `userTenants[].tenantId`.
    pub keys: Vec<Located<String>>,
    pub unique: Vec<UniqueSpec>,
    pub references: Vec<ReferenceSpec>,
    /// The error a lookup of a missing ID answers with.
    pub not_found: Option<(String, String)>,
}

/// A field whose value no two documents of the collection share.
#[derive(Clone, Debug)]
pub struct UniqueSpec {
    pub field: Located<String>,
    /// `insensitive` (the default, as Descope compares names) or `exact`.
    pub case: Located<String>,
    pub conflict: Option<(String, String)>,
}

/// Documents of another collection (`from`) that hold this collection's IDs at `path`, and
/// what deleting one of ours does to them (`on_delete`).
#[derive(Clone, Debug)]
pub struct ReferenceSpec {
    pub loc: Loc,
    pub from: Located<String>,
    pub path: Located<String>,
    pub on_delete: Located<String>,
}

#[derive(Clone, Debug)]
pub struct OperationSpec {
    pub name: Located<String>,
    pub bucket: Located<String>,
    pub class: Located<String>,
    pub summary: Located<String>,
    pub description: String,
    pub extension: Option<String>,
    pub http: Option<HttpSpec>,
    pub input: Node,
    pub output: Node,
    pub examples: Vec<ExampleSpec>,
    pub execute: ExecSpec,
}

#[derive(Clone, Debug)]
pub struct HttpSpec {
    pub method: Located<String>,
    pub path: Located<String>,
    pub query: Vec<Located<String>>,
}

#[derive(Clone, Debug)]
pub struct ExampleSpec {
    pub loc: Loc,
    pub title: String,
    pub project: Option<String>,
    pub args: Json,
    pub expect: Option<Json>,
    pub error: Option<String>,
}

#[derive(Clone, Debug)]
pub enum ExecSpec {
    Handler(Loc),
    Verb(VerbSpec),
}

/// A declarative verb on a document collection (see operations/README.md).
#[derive(Clone, Debug, Default)]
pub struct VerbSpec {
    pub loc: Loc,
    pub verb: Located<String>,
    pub collection: Located<String>,
    pub key: Vec<(String, Located<String>)>,
    pub id_field: Option<Located<String>>,
    pub id_prefix: String,
    pub id_input: Option<String>,
    pub unique: Vec<Located<String>>,
    pub body: Option<String>,
    pub items: Option<String>,
    pub omit: Vec<String>,
    pub set: Vec<(String, Json)>,
    pub defaults: Vec<(String, Json)>,
    pub fields: Vec<Located<String>>,
    pub filters: Vec<FilterSpec>,
    pub sort_input: Option<String>,
    pub sort_default: Option<String>,
    pub page_input: Option<String>,
    pub limit_input: Option<String>,
    pub limit_default: i64,
    pub wrap: Option<String>,
    pub total: bool,
    pub returns_id: Option<String>,
    pub created_field: Option<String>,
    pub modified_field: Option<String>,
    pub not_found: Option<(String, String)>,
    pub conflict: Option<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct FilterSpec {
    pub loc: Loc,
    pub input: String,
    pub op: Located<String>,
    pub field: Option<Located<String>>,
    pub fields: Vec<Located<String>>,
    pub scale: f64,
}

impl Default for Located<String> {
    fn default() -> Self {
        Self {
            value: String::new(),
            loc: Loc::default(),
        }
    }
}

/// Reads every `*.yaml` under `dir` (one level of bucket folders, sorted) and decodes it.
pub fn load_dir(dir: &Path, display_root: &str, diags: &mut Diagnostics) -> Vec<SpecFile> {
    let mut paths = Vec::new();
    let Ok(buckets) = std::fs::read_dir(dir) else {
        diags.push(Diagnostic::file(
            display_root,
            format!("cannot read directory {}", dir.display()),
        ));
        return Vec::new();
    };
    for bucket in buckets.flatten() {
        let bpath = bucket.path();
        if !bpath.is_dir() {
            continue;
        }
        if let Ok(entries) = std::fs::read_dir(&bpath) {
            for e in entries.flatten() {
                let p = e.path();
                match p.extension().and_then(|x| x.to_str()) {
                    Some("yaml") => paths.push(p),
                    Some("yml") => diags.push(Diagnostic::file(
                        display(display_root, dir, &p),
                        "operation files end in `.yaml`; rename this file",
                    )),
                    _ => {}
                }
            }
        }
    }
    paths.sort();
    paths
        .iter()
        .filter_map(|p| load_file(dir, display_root, p, diags))
        .collect()
}

fn display(display_root: &str, dir: &Path, p: &Path) -> String {
    let rel = p.strip_prefix(dir).unwrap_or(p);
    let rel = rel.to_string_lossy().replace('\\', "/");
    if display_root.is_empty() {
        rel
    } else {
        format!("{display_root}/{rel}")
    }
}

fn load_file(
    dir: &Path,
    display_root: &str,
    p: &Path,
    diags: &mut Diagnostics,
) -> Option<SpecFile> {
    let path = display(display_root, dir, p);
    let source = match std::fs::read_to_string(p) {
        Ok(s) => s,
        Err(e) => {
            diags.push(Diagnostic::file(&path, format!("cannot read file: {e}")));
            return None;
        }
    };
    let stem = p.file_stem()?.to_string_lossy().into_owned();
    let dir_name = p.parent()?.file_name()?.to_string_lossy().into_owned();
    let root = match node::parse(&source) {
        Ok(n) => n,
        Err((loc, msg)) => {
            diags.push(Diagnostic::at(&path, loc, format!("invalid YAML: {msg}")));
            return None;
        }
    };
    let kind = if dir_name == "_defs" {
        FileKind::Def(root)
    } else if dir_name == "_collections" {
        let mut cx = Cx { path: &path, diags };
        FileKind::Collection(Box::new(decode_collection(&mut cx, &root)?))
    } else {
        let mut cx = Cx { path: &path, diags };
        FileKind::Operation(Box::new(decode_operation(&mut cx, &root)?))
    };
    Some(SpecFile {
        path,
        dir: dir_name,
        stem,
        kind,
    })
}

/// Decoding context: the file being read and where problems go.
pub struct Cx<'a> {
    pub path: &'a str,
    pub diags: &'a mut Diagnostics,
}

impl Cx<'_> {
    pub fn err(&mut self, loc: Loc, msg: impl Into<String>) {
        self.diags.push(Diagnostic::at(self.path, loc, msg));
    }
}

/// A mapping being decoded: remembers which keys were read so the rest can be reported.
struct Obj<'n> {
    node: &'n Node,
    what: &'static str,
    seen: Vec<&'static str>,
}

impl<'n> Obj<'n> {
    fn new(cx: &mut Cx, node: &'n Node, what: &'static str) -> Option<Self> {
        if node.as_map().is_none() {
            cx.err(
                node.loc,
                format!("{what} must be a mapping, found {}", node.kind()),
            );
            return None;
        }
        Some(Self {
            node,
            what,
            seen: Vec::new(),
        })
    }

    fn opt(&mut self, key: &'static str) -> Option<&'n Node> {
        self.seen.push(key);
        self.node.get(key)
    }

    fn req(&mut self, cx: &mut Cx, key: &'static str) -> Option<&'n Node> {
        let v = self.opt(key);
        if v.is_none() {
            cx.err(
                self.node.loc,
                format!("{} is missing the required key `{key}`", self.what),
            );
        }
        v
    }

    fn req_str(&mut self, cx: &mut Cx, key: &'static str) -> Option<Located<String>> {
        let n = self.req(cx, key)?;
        string(cx, n, key)
    }

    fn opt_str(&mut self, cx: &mut Cx, key: &'static str) -> Option<Located<String>> {
        let n = self.opt(key)?;
        string(cx, n, key)
    }

    fn opt_strs(&mut self, cx: &mut Cx, key: &'static str) -> Vec<Located<String>> {
        match self.opt(key) {
            None => Vec::new(),
            Some(n) => strings(cx, n, key),
        }
    }

    fn opt_bool(&mut self, cx: &mut Cx, key: &'static str) -> bool {
        match self.opt(key).map(|n| (n, &n.value)) {
            None => false,
            Some((_, Value::Bool(b))) => *b,
            Some((n, _)) => {
                cx.err(
                    n.loc,
                    format!("`{key}` must be true or false, found {}", n.kind()),
                );
                false
            }
        }
    }

    /// Reports every key that was never read, naming the accepted ones.
    fn finish(self, cx: &mut Cx) {
        for (k, loc, _) in self.node.as_map().unwrap_or_default() {
            if !self.seen.contains(&k.as_str()) {
                cx.err(
                    *loc,
                    format!(
                        "unknown key `{k}` in {}; expected one of: {}",
                        self.what,
                        self.seen.join(", ")
                    ),
                );
            }
        }
    }
}

fn string(cx: &mut Cx, n: &Node, key: &str) -> Option<Located<String>> {
    match &n.value {
        Value::Str(s) => Some(Located {
            value: s.clone(),
            loc: n.loc,
        }),
        _ => {
            cx.err(
                n.loc,
                format!("`{key}` must be a string, found {}", n.kind()),
            );
            None
        }
    }
}

fn strings(cx: &mut Cx, n: &Node, key: &str) -> Vec<Located<String>> {
    match n.as_seq() {
        Some(items) => items.iter().filter_map(|i| string(cx, i, key)).collect(),
        None => {
            cx.err(
                n.loc,
                format!("`{key}` must be a list of strings, found {}", n.kind()),
            );
            Vec::new()
        }
    }
}

/// A mapping of strings whose values remember where they were written.
fn located_map(cx: &mut Cx, n: &Node, key: &str) -> Vec<(String, Located<String>)> {
    let Some(m) = n.as_map() else {
        cx.err(
            n.loc,
            format!("`{key}` must be a mapping of strings, found {}", n.kind()),
        );
        return Vec::new();
    };
    m.iter()
        .filter_map(|(k, _, v)| string(cx, v, key).map(|s| (k.clone(), s)))
        .collect()
}

fn json_map(cx: &mut Cx, n: &Node, key: &str) -> Vec<(String, Json)> {
    let Some(m) = n.as_map() else {
        cx.err(
            n.loc,
            format!("`{key}` must be a mapping, found {}", n.kind()),
        );
        return Vec::new();
    };
    m.iter().map(|(k, _, v)| (k.clone(), v.to_json())).collect()
}

fn decode_operation(cx: &mut Cx, root: &Node) -> Option<OperationSpec> {
    let mut o = Obj::new(cx, root, "an operation file")?;
    let name = o.req_str(cx, "name");
    let bucket = o.req_str(cx, "bucket");
    let class = o.req_str(cx, "class");
    let summary = o.req_str(cx, "summary");
    let description = o.req_str(cx, "description");
    let extension = o.opt_str(cx, "extension").map(|l| l.value);
    let http = o.opt("http").and_then(|n| decode_http(cx, n));
    let input = o.req(cx, "input").cloned();
    let output = o.req(cx, "output").cloned();
    let examples = seq(cx, o.opt("examples"), "examples", decode_example);
    let execute = o.req(cx, "execute").and_then(|n| decode_exec(cx, n));
    o.finish(cx);
    Some(OperationSpec {
        name: name?,
        bucket: bucket?,
        class: class?,
        summary: summary?,
        description: description?.value,
        extension,
        http,
        input: input?,
        output: output?,
        examples,
        execute: execute?,
    })
}

fn decode_http(cx: &mut Cx, n: &Node) -> Option<HttpSpec> {
    let mut o = Obj::new(cx, n, "`http`")?;
    let method = o.req_str(cx, "method");
    let path = o.req_str(cx, "path");
    let query = o.opt_strs(cx, "query");
    o.finish(cx);
    Some(HttpSpec {
        method: method?,
        path: path?,
        query,
    })
}

fn decode_example(cx: &mut Cx, n: &Node) -> Option<ExampleSpec> {
    let mut o = Obj::new(cx, n, "an example")?;
    let title = o.req_str(cx, "title");
    let project = o.opt_str(cx, "project").map(|l| l.value);
    let args = o.req(cx, "args").map(Node::to_json);
    let expect = o.opt("expect").map(Node::to_json);
    let error = o.opt_str(cx, "error").map(|l| l.value);
    o.finish(cx);
    if expect.is_some() && error.is_some() {
        cx.err(n.loc, "an example has either `expect` or `error`, not both");
    }
    Some(ExampleSpec {
        loc: n.loc,
        title: title?.value,
        project,
        args: args?,
        expect,
        error,
    })
}

fn decode_exec(cx: &mut Cx, n: &Node) -> Option<ExecSpec> {
    if let Some(h) = n.get("handler") {
        let mut o = Obj::new(cx, n, "`execute`")?;
        o.opt("handler");
        o.finish(cx);
        if h.as_str() != Some("rust") {
            cx.err(
                h.loc,
                "`handler` must be `rust` (a function bound with #[operation(...)])",
            );
        }
        return Some(ExecSpec::Handler(n.loc));
    }
    let mut o = Obj::new(cx, n, "`execute`")?;
    let mut v = VerbSpec {
        loc: n.loc,
        limit_default: 100,
        ..VerbSpec::default()
    };
    let verb = o.req_str(cx, "verb");
    let collection = o.req_str(cx, "collection");
    if let Some(k) = o.opt("key") {
        v.key = located_map(cx, k, "key");
    }
    if let Some(id) = o.opt("id") {
        if let Some(mut io) = Obj::new(cx, id, "`execute.id`") {
            v.id_field = io.req_str(cx, "field");
            v.id_prefix = io
                .opt_str(cx, "prefix")
                .map(|l| l.value)
                .unwrap_or_default();
            v.id_input = io.opt_str(cx, "from").map(|l| l.value);
            io.finish(cx);
        }
    }
    v.unique = o.opt_strs(cx, "unique");
    v.body = o.opt_str(cx, "body").map(|l| l.value);
    v.items = o.opt_str(cx, "items").map(|l| l.value);
    v.omit = o
        .opt_strs(cx, "omit")
        .into_iter()
        .map(|l| l.value)
        .collect();
    if let Some(s) = o.opt("set") {
        v.set = json_map(cx, s, "set");
    }
    if let Some(s) = o.opt("defaults") {
        v.defaults = json_map(cx, s, "defaults");
    }
    v.fields = o.opt_strs(cx, "fields");
    v.filters = seq(cx, o.opt("filters"), "filters", decode_filter);
    if let Some(s) = o.opt("sort") {
        if let Some(mut so) = Obj::new(cx, s, "`execute.sort`") {
            v.sort_input = so.opt_str(cx, "input").map(|l| l.value);
            v.sort_default = so.opt_str(cx, "default").map(|l| l.value);
            so.finish(cx);
        }
    }
    if let Some(p) = o.opt("page") {
        if let Some(mut po) = Obj::new(cx, p, "`execute.page`") {
            v.page_input = po.opt_str(cx, "page").map(|l| l.value);
            v.limit_input = po.opt_str(cx, "limit").map(|l| l.value);
            if let Some(d) = po.opt("default") {
                match d.value {
                    Value::Int(i) if i > 0 => v.limit_default = i,
                    _ => cx.err(d.loc, "`page.default` must be a positive integer"),
                }
            }
            po.finish(cx);
        }
    }
    if let Some(out) = o.opt("output") {
        if let Some(mut oo) = Obj::new(cx, out, "`execute.output`") {
            v.wrap = oo.opt_str(cx, "wrap").map(|l| l.value);
            v.total = oo.opt_bool(cx, "total");
            v.returns_id = oo.opt_str(cx, "id").map(|l| l.value);
            oo.finish(cx);
        }
    }
    if let Some(t) = o.opt("timestamps") {
        if let Some(mut to) = Obj::new(cx, t, "`execute.timestamps`") {
            v.created_field = to.opt_str(cx, "created").map(|l| l.value);
            v.modified_field = to.opt_str(cx, "modified").map(|l| l.value);
            to.finish(cx);
        }
    }
    v.not_found = o
        .opt("not_found")
        .and_then(|n| decode_err(cx, n, "`execute.not_found`"));
    v.conflict = o
        .opt("conflict")
        .and_then(|n| decode_err(cx, n, "`execute.conflict`"));
    o.finish(cx);
    v.verb = verb?;
    v.collection = collection?;
    Some(ExecSpec::Verb(v))
}

fn decode_err(cx: &mut Cx, n: &Node, what: &'static str) -> Option<(String, String)> {
    let mut o = Obj::new(cx, n, what)?;
    let code = o.req_str(cx, "code");
    let message = o.req_str(cx, "message");
    o.finish(cx);
    Some((code?.value, message?.value))
}

fn decode_filter(cx: &mut Cx, n: &Node) -> Option<FilterSpec> {
    let mut o = Obj::new(cx, n, "a filter")?;
    let input = o.req_str(cx, "input");
    let op = o.req_str(cx, "op");
    let field = o.opt_str(cx, "field");
    let fields = o.opt_strs(cx, "fields");
    let scale = match o.opt("scale").map(|n| (n, &n.value)) {
        None => 1.0,
        Some((_, Value::Float(f))) => *f,
        Some((_, Value::Int(i))) => *i as f64,
        Some((n, _)) => {
            cx.err(n.loc, "`scale` must be a number");
            1.0
        }
    };
    o.finish(cx);
    Some(FilterSpec {
        loc: n.loc,
        input: input?.value,
        op: op?,
        field,
        fields,
        scale,
    })
}

fn decode_collection(cx: &mut Cx, root: &Node) -> Option<CollectionSpec> {
    let mut o = Obj::new(cx, root, "a collection file")?;
    let name = o.req_str(cx, "name");
    let description = o.req_str(cx, "description");
    let document = o.opt("document").and_then(|d| {
        let mut d_o = Obj::new(cx, d, "`document`")?;
        let r = d_o.req_str(cx, "$ref");
        d_o.finish(cx);
        let r = r?;
        match r.value.strip_prefix("#/$defs/") {
            Some(def) => Some(Located {
                value: def.to_owned(),
                loc: r.loc,
            }),
            None => {
                cx.err(
                    r.loc,
                    "`document.$ref` names a shared shape: `#/$defs/<Name>` (a file under operations/_defs/)",
                );
                None
            }
        }
    });
    let id = o.opt_str(cx, "id");
    let keys = o.opt_strs(cx, "keys");
    let unique = seq(cx, o.opt("unique"), "unique", |cx, n| {
        if let Some(field) = string_quiet(n) {
            return Some(UniqueSpec {
                case: Located {
                    value: "insensitive".into(),
                    loc: field.loc,
                },
                field,
                conflict: None,
            });
        }
        let mut u = Obj::new(cx, n, "a `unique` entry")?;
        let field = u.req_str(cx, "field");
        let case = u.opt_str(cx, "case").unwrap_or(Located {
            value: "insensitive".into(),
            loc: n.loc,
        });
        let conflict = u
            .opt("conflict")
            .and_then(|c| decode_err(cx, c, "`unique.conflict`"));
        u.finish(cx);
        Some(UniqueSpec {
            field: field?,
            case,
            conflict,
        })
    });
    let references = seq(cx, o.opt("references"), "references", |cx, n| {
        let mut r = Obj::new(cx, n, "a `references` entry")?;
        let from = r.req_str(cx, "from");
        let path = r.req_str(cx, "path");
        let on_delete = r.req_str(cx, "on_delete");
        r.finish(cx);
        Some(ReferenceSpec {
            loc: n.loc,
            from: from?,
            path: path?,
            on_delete: on_delete?,
        })
    });
    let not_found = o
        .opt("not_found")
        .and_then(|n| decode_err(cx, n, "`not_found`"));
    o.finish(cx);
    Some(CollectionSpec {
        name: name?,
        description: description?.value,
        document,
        id,
        keys,
        unique,
        references,
        not_found,
    })
}

/// A string scalar, without reporting anything when it is not one.
fn string_quiet(n: &Node) -> Option<Located<String>> {
    match &n.value {
        Value::Str(s) => Some(Located {
            value: s.clone(),
            loc: n.loc,
        }),
        _ => None,
    }
}

/// Decodes an optional list with `item`, reporting a value that is not a list.
fn seq<T>(
    cx: &mut Cx,
    n: Option<&Node>,
    key: &str,
    mut item: impl FnMut(&mut Cx, &Node) -> Option<T>,
) -> Vec<T> {
    let Some(n) = n else { return Vec::new() };
    match n.as_seq() {
        Some(items) => items.iter().filter_map(|i| item(cx, i)).collect(),
        None => {
            cx.err(n.loc, format!("`{key}` must be a list, found {}", n.kind()));
            Vec::new()
        }
    }
}
