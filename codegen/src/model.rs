//! The resolved catalog: every default applied, every `$ref` bundled, names checked. The
//! emitter reads only these types, never the raw spec.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::spec::VerbSpec;

/// The areas of the identity platform, their folder under `operations/`, and whether they
/// have a write tool. `session` is one tool without a read/write split.
pub const AREAS: &[(&str, bool)] = &[
    ("access_control", true),
    ("agentic", true),
    ("audits", false),
    ("auth_keys", true),
    ("connect", true),
    ("flows", true),
    ("project", true),
    ("session", false),
    ("tenants", true),
    ("tests", true),
    ("users", true),
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    Read,
    Write,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Read => "read",
            Class::Write => "write",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Http {
    pub method: String,
    pub path: String,
    pub query: Vec<String>,
    /// `{name}` segments of the path, in order.
    pub path_params: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Example {
    pub title: String,
    pub project: Option<String>,
    pub args: Json,
    pub expect: Option<Json>,
    pub error: Option<String>,
}

#[derive(Clone, Debug)]
pub enum Exec {
    Handler,
    Verb(VerbSpec),
}

#[derive(Clone, Debug)]
pub struct Operation {
    pub name: String,
    /// Folder under `operations/` (e.g. `users`).
    pub area: String,
    /// The MCP tool that serves it (e.g. `users_read`).
    pub tool: String,
    pub class: Class,
    pub summary: String,
    pub description: String,
    pub extension: Option<String>,
    /// Display path of the YAML file.
    pub source: String,
    pub http: Option<Http>,
    /// Input schema as written (with `$ref`s), used for Rust types.
    pub input: Json,
    pub output: Json,
    /// Self-contained schemas (`$defs` bundled) as served to clients.
    pub input_bundled: Json,
    pub output_bundled: Json,
    pub examples: Vec<Example>,
    pub secrets_in: Vec<String>,
    pub secrets_out: Vec<String>,
    pub exec: Exec,
}

/// Everything the emitter needs, in deterministic order.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    /// Sorted by tool, then name.
    pub operations: Vec<Operation>,
    /// Shared definitions by name.
    pub defs: BTreeMap<String, Json>,
    /// Stored collections by name.
    pub collections: BTreeMap<String, Collection>,
}

/// A stored collection, resolved: its index layout is complete.
#[derive(Clone, Debug)]
pub struct Collection {
    pub name: String,
    pub description: String,
    /// The `_defs` shape its documents have, if typed.
    pub document: Option<String>,
    pub id: Option<String>,
    /// The keys as declared.
    pub declared_keys: Vec<String>,
    /// Every indexed path (the ID, declared keys, unique fields, inbound reference paths),
    /// sorted.
    pub keys: Vec<String>,
    pub unique: Vec<Unique>,
    /// Collections holding this one's IDs.
    pub references: Vec<Reference>,
    pub not_found: Option<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct Unique {
    pub field: String,
    pub ignore_case: bool,
    pub conflict: Option<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct Reference {
    pub from: String,
    pub path: String,
    pub on_delete: OnDelete,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnDelete {
    Restrict,
    Cascade,
    Remove,
    Unset,
}

impl Catalog {
    /// The write-capable verbs and the read ones, as the engine names them.
    pub fn tools(&self) -> Vec<String> {
        let mut tools: Vec<String> = AREAS
            .iter()
            .flat_map(|(area, write)| {
                if *area == "session" {
                    vec![area.to_string()]
                } else if *write {
                    vec![format!("{area}_read"), format!("{area}_write")]
                } else {
                    vec![format!("{area}_read")]
                }
            })
            .collect();
        tools.sort();
        tools
    }
}
