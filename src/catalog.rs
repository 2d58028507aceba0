//! The generated registry (included from OUT_DIR) and the runtime views over it: lookup by
//! tool and name (ignoring case), parsed schemas, compiled validators, `list_operations`.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::engine::Ctx;
use crate::engine::verb::VerbDef;
use crate::error::ApiError;

/// Read or write: writes run only inside an approved write window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// The Descope management endpoint an operation maps to.
#[derive(Debug)]
pub struct HttpDef {
    pub method: &'static str,
    pub path: &'static str,
    pub query: &'static [&'static str],
    pub path_params: &'static [&'static str],
}

/// What a bound handler returns: the encoded output or a Descope-shaped error.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, ApiError>> + Send + 'a>>;
/// A handler entry point as the dispatch table stores it.
pub type HandlerFn = for<'a> fn(&'a mut Ctx, Value) -> HandlerFuture<'a>;

/// How the embedded engine executes an operation.
pub enum Exec {
    Verb(&'static VerbDef),
    Handler(HandlerFn),
}

/// One operation as compiled from its YAML file.
pub struct OperationDef {
    pub name: &'static str,
    pub area: &'static str,
    pub tool: &'static str,
    pub class: Class,
    pub summary: &'static str,
    pub description: &'static str,
    pub extension: Option<&'static str>,
    pub source: &'static str,
    pub http: Option<HttpDef>,
    pub input_schema: &'static str,
    pub output_schema: &'static str,
    pub examples: &'static str,
    pub secrets_in: &'static [&'static str],
    pub secrets_out: &'static [&'static str],
    pub exec: Exec,
}

/// The type `#[operation]` implements the generated `bind::*` traits for.
pub struct Handlers;

/// Decodes handler arguments into the generated input type.
pub fn decode_input<T: serde::de::DeserializeOwned>(args: Value) -> Result<T, ApiError> {
    serde_json::from_value(args).map_err(|e| ApiError::invalid(format!("invalid arguments: {e}")))
}

/// Encodes a handler's typed output.
pub fn encode_output<T: serde::Serialize>(out: T) -> Result<Value, ApiError> {
    serde_json::to_value(out)
        .map_err(|e| ApiError::internal(format!("cannot encode the result: {e}")))
}

/// The generated code: types, binding traits and the operation table.
#[allow(clippy::all, missing_docs)]
pub mod generated {
    include!(concat!(env!("OUT_DIR"), "/operations.rs"));
}

/// Parsed schemas and compiled validators, built once on first use.
pub struct Compiled {
    pub input: Value,
    pub output: Value,
    pub examples: Value,
    pub validator: jsonschema::Validator,
}

fn compiled() -> &'static Vec<Compiled> {
    static C: OnceLock<Vec<Compiled>> = OnceLock::new();
    C.get_or_init(|| {
        generated::OPERATIONS
            .iter()
            .map(|op| {
                let input: Value =
                    serde_json::from_str(op.input_schema).expect("codegen emits valid JSON");
                let output: Value =
                    serde_json::from_str(op.output_schema).expect("codegen emits valid JSON");
                let examples: Value =
                    serde_json::from_str(op.examples).expect("codegen emits valid JSON");
                let validator = jsonschema::options()
                    .should_validate_formats(false)
                    .build(&input)
                    .unwrap_or_else(|e| {
                        panic!("{}: input schema does not compile: {e}", op.source)
                    });
                Compiled {
                    input,
                    output,
                    examples,
                    validator,
                }
            })
            .collect()
    })
}

fn index() -> &'static HashMap<(String, String), usize> {
    static I: OnceLock<HashMap<(String, String), usize>> = OnceLock::new();
    I.get_or_init(|| {
        generated::OPERATIONS
            .iter()
            .enumerate()
            .map(|(i, op)| ((op.tool.to_owned(), op.name.to_lowercase()), i))
            .collect()
    })
}

/// An operation with its position in the table (to reach its compiled schemas).
#[derive(Clone, Copy)]
pub struct Op(pub usize);

impl Op {
    pub fn def(self) -> &'static OperationDef {
        &generated::OPERATIONS[self.0]
    }
    pub fn compiled(self) -> &'static Compiled {
        &compiled()[self.0]
    }
}

/// All operations, sorted by tool then name.
pub fn all() -> impl Iterator<Item = Op> {
    (0..generated::OPERATIONS.len()).map(Op)
}

/// Finds `name` (any case) in `tool`.
pub fn find(tool: &str, name: &str) -> Option<Op> {
    index()
        .get(&(tool.to_owned(), name.to_lowercase()))
        .copied()
        .map(Op)
}

/// Finds `name` (any case) in any tool; several tools may share a name (e.g. DeleteUser).
pub fn find_any(name: &str) -> Vec<Op> {
    let lower = name.to_lowercase();
    all()
        .filter(|op| op.def().name.to_lowercase() == lower)
        .collect()
}

/// The bucket tools, sorted.
pub fn bucket_tools() -> &'static [&'static str] {
    generated::BUCKET_TOOLS
}

/// Operation names of one tool, in catalog order.
pub fn names_of(tool: &str) -> Vec<&'static str> {
    all()
        .filter(|op| op.def().tool == tool)
        .map(|op| op.def().name)
        .collect()
}

/// `list_operations` without arguments, or for one bucket.
pub fn listing(bucket: Option<&str>) -> Value {
    let mut buckets = serde_json::Map::new();
    for tool in bucket_tools()
        .iter()
        .filter(|t| bucket.is_none_or(|b| b == **t))
    {
        let ops: Vec<Value> = all()
            .filter(|op| op.def().tool == *tool)
            .map(|op| {
                let d = op.def();
                json!({"name": d.name, "summary": d.summary, "class": d.class.as_str()})
            })
            .collect();
        buckets.insert((*tool).to_owned(), Value::Array(ops));
    }
    json!({ "buckets": buckets })
}

/// `list_operations` for one operation: full schemas, description and examples.
pub fn detail(op: Op) -> Value {
    let d = op.def();
    let c = op.compiled();
    let mut v = json!({
        "bucket": d.tool,
        "name": d.name,
        "class": d.class.as_str(),
        "summary": d.summary,
        "description": d.description,
        "inputSchema": c.input,
        "outputSchema": c.output,
        "examples": c.examples,
        "source": d.source,
    });
    if let Some(h) = &d.http {
        v["http"] = json!({"method": h.method, "path": h.path});
    }
    if let Some(x) = d.extension {
        v["extension"] = Value::String(x.to_owned());
    }
    v
}
