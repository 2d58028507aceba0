//! The JSON Schema subset operation files may use: checked with positions, and the facts the
//! later phases need from a schema (`$ref` targets, secret-bearing properties).
//!
//! The subset is deliberately small (object properties, scalars, enums, arrays, optional
//! fields, `$ref` to shared definitions, `oneOf`/`anyOf` as free-form values): enough for the
//! management API's shapes, and small enough that every schema maps to a plain Rust type.

use std::collections::BTreeSet;

use crate::diag::Loc;
use crate::node::{Node, Value};
use crate::spec::Cx;

const KEYWORDS: &[&str] = &[
    "type",
    "properties",
    "required",
    "items",
    "description",
    "enum",
    "$ref",
    "additionalProperties",
    "format",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "pattern",
    "default",
    "examples",
    "title",
    "minItems",
    "maxItems",
    "oneOf",
    "anyOf",
    "const",
    "x-secret",
    "deprecated",
    "uniqueItems",
];
const TYPES: &[&str] = &[
    "object", "array", "string", "integer", "number", "boolean", "null",
];

/// What a schema walk collects.
#[derive(Default, Debug)]
pub struct SchemaFacts {
    /// `$ref` targets (definition names) with where they were written.
    pub refs: Vec<(String, Loc)>,
    /// Dotted property paths marked `x-secret: true` (array items use `[]`).
    pub secrets: BTreeSet<String>,
}

/// Checks that `node` is an object-rooted schema (the root of an input or output).
pub fn check_root(cx: &mut Cx, node: &Node, what: &str, facts: &mut SchemaFacts) {
    let ty = node.get("type").and_then(Node::as_str);
    if node.as_map().is_none() || ty != Some("object") {
        cx.err(node.loc, format!("the {what} schema must have `type: object` at its root (MCP tool schemas are objects)"));
    }
    check(cx, node, "", facts);
}

/// Checks any schema in the subset, recursing into properties, items and alternatives.
pub fn check(cx: &mut Cx, node: &Node, path: &str, facts: &mut SchemaFacts) {
    let Some(map) = node.as_map() else {
        if !matches!(node.value, Value::Bool(true)) {
            cx.err(
                node.loc,
                format!("a schema must be a mapping, found {}", node.kind()),
            );
        }
        return;
    };
    for (k, loc, v) in map {
        if !KEYWORDS.contains(&k.as_str()) {
            if k.contains(' ') || matches!(v.value, Value::Null) {
                // The usual cause: a comma inside a `{...}` flow mapping splits the text there.
                cx.err(*loc, format!("`{k}` is not a schema keyword: a comma inside `{{...}}` starts a new key, so quote the text before it (description: \"..., ...\") or use block style"));
            } else {
                cx.err(*loc, format!("unsupported schema keyword `{k}`; operations/README.md lists the supported subset"));
            }
            continue;
        }
        match k.as_str() {
            "type" => check_type(cx, v),
            "properties" => match v.as_map() {
                Some(props) => {
                    for (name, _, sub) in props {
                        let p = if path.is_empty() {
                            name.clone()
                        } else {
                            format!("{path}.{name}")
                        };
                        check(cx, sub, &p, facts);
                    }
                }
                None => cx.err(v.loc, "`properties` must be a mapping of property schemas"),
            },
            "required" => check_required(cx, node, v),
            "items" => check(cx, v, &format!("{path}[]"), facts),
            "additionalProperties" => {
                if !matches!(v.value, Value::Bool(_)) {
                    check(cx, v, &format!("{path}{{}}"), facts);
                }
            }
            "oneOf" | "anyOf" => match v.as_seq() {
                Some(alts) => alts.iter().for_each(|a| check(cx, a, path, facts)),
                None => cx.err(v.loc, format!("`{k}` must be a list of schemas")),
            },
            "enum" => {
                if v.as_seq().is_none_or(<[Node]>::is_empty) {
                    cx.err(v.loc, "`enum` must be a non-empty list");
                }
            }
            "$ref" => match v.as_str().and_then(|r| r.strip_prefix("#/$defs/")) {
                Some(name) if !name.is_empty() => facts.refs.push((name.to_owned(), v.loc)),
                _ => cx.err(
                    v.loc,
                    "`$ref` must look like `#/$defs/<Name>` (a file in operations/_defs/)",
                ),
            },
            "x-secret" => match v.value {
                Value::Bool(true) => {
                    facts.secrets.insert(path.to_owned());
                }
                Value::Bool(false) => {}
                _ => cx.err(v.loc, "`x-secret` must be true or false"),
            },
            "description" | "title" | "format" | "pattern" => {
                if v.as_str().is_none() {
                    cx.err(v.loc, format!("`{k}` must be a string"));
                }
            }
            _ => {}
        }
    }
    if node.get("$ref").is_some() && node.get("type").is_some() {
        cx.err(
            node.loc,
            "a schema with `$ref` cannot also have `type`; put the type in the definition",
        );
    }
}

fn check_type(cx: &mut Cx, v: &Node) {
    let names: Vec<&Node> = match &v.value {
        Value::Str(_) => vec![v],
        Value::Seq(items) => items.iter().collect(),
        _ => {
            cx.err(v.loc, "`type` must be a type name or a list of them");
            return;
        }
    };
    for n in names {
        match n.as_str() {
            Some(t) if TYPES.contains(&t) => {}
            _ => cx.err(
                n.loc,
                format!("unknown schema type; expected one of {}", TYPES.join(", ")),
            ),
        }
    }
}

fn check_required(cx: &mut Cx, schema: &Node, v: &Node) {
    let Some(items) = v.as_seq() else {
        cx.err(v.loc, "`required` must be a list of property names");
        return;
    };
    let props = schema.get("properties");
    for item in items {
        match item.as_str() {
            Some(name) if props.is_none_or(|p| p.get(name).is_some()) => {}
            Some(name) => cx.err(
                item.loc,
                format!("`required` names `{name}`, which is not in `properties`"),
            ),
            None => cx.err(item.loc, "`required` entries must be strings"),
        }
    }
}
