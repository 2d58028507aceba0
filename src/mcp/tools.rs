//! The 23 MCP tools: `list_operations`, `session`, the bucket tools generated from the
//! catalog, and the two documentation tools, with their annotations and input schemas.

use std::sync::Arc;

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};

use crate::catalog;

pub const LIST_OPERATIONS: &str = "list_operations";
pub const SESSION: &str = "session";
pub const DOCS_SEARCH: &str = "docs_search";
pub const DOCS_ASK: &str = "docs_ask_question";

fn obj(v: Value) -> Arc<JsonObject> {
    Arc::new(v.as_object().cloned().expect("tool schemas are objects"))
}

/// The `{operation, args}` schema of a bucket tool, with the operation names as an enum.
fn bucket_schema(tool: &str) -> Arc<JsonObject> {
    let names = catalog::names_of(tool);
    // An empty `enum` is not valid JSON Schema; a bucket without operations says so instead.
    let operation = if names.is_empty() {
        json!({"type": "string", "description": "This bucket has no operations in this build; list_operations shows what exists."})
    } else {
        json!({"type": "string", "enum": names, "description": "Operation name (case-insensitive). Its argument schema: list_operations {\"operation\": name}."})
    };
    obj(json!({
        "type": "object",
        "properties": {
            "operation": operation,
            "args": {"type": "object", "description": "The operation's arguments.", "default": {}}
        },
        "required": ["operation"],
        "additionalProperties": false
    }))
}

fn describe_bucket(tool: &str) -> String {
    let (area, class) = tool.rsplit_once('_').unwrap_or((tool, ""));
    let area = area.replace('_', " ");
    match class {
        "read" => format!(
            "Read {area} data of the selected project. Input {{operation, args}}; list_operations gives each operation's schema."
        ),
        "write" => format!(
            "Change {area} data of the selected project. Runs only in a write window a human approved (see session elevate); otherwise it starts an approval."
        ),
        _ => format!("{area} operations."),
    }
}

/// All tools in a stable order (the fixed ones first, then buckets by name).
pub fn all() -> Vec<Tool> {
    let mut tools = vec![
        Tool::new(
            LIST_OPERATIONS,
            "Discover operations. No args: every bucket with its operations (name, summary, class). {bucket}: one bucket. {operation[, bucket]}: that operation's input/output JSON Schema, description and examples.",
            obj(json!({
                "type": "object",
                "properties": {
                    "bucket": {"type": "string", "enum": catalog::bucket_tools(), "description": "A bucket tool name."},
                    "operation": {"type": "string", "description": "An operation name (case-insensitive)."}
                },
                "additionalProperties": false
            })),
        )
        .with_annotations(ToolAnnotations::new().read_only(true).open_world(false)),
        Tool::new(
            SESSION,
            "Session, project and approvals: whoami, listProjects, selectProject, getProjectStatus, elevate (ask a human to approve exact writes), endElevation, generateOnboardingPlan. Input {operation, args}.",
            bucket_schema(SESSION),
        )
        .with_annotations(ToolAnnotations::new().read_only(false).destructive(false).idempotent(false).open_world(false)),
        Tool::new(
            DOCS_SEARCH,
            "Search the documentation: ranked passages with page, section and link.",
            obj(json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "minLength": 1, "description": "What to look for."},
                    "limit": {"type": "integer", "minimum": 1, "maximum": 20, "description": "Passages to return (default 5)."}
                },
                "required": ["query"],
                "additionalProperties": false
            })),
        )
        .with_annotations(ToolAnnotations::new().read_only(true).open_world(false)),
        Tool::new(
            DOCS_ASK,
            "Answer an implementation question from the documentation, citing the pages used.",
            obj(json!({
                "type": "object",
                "properties": {"question": {"type": "string", "minLength": 1, "description": "The question."}},
                "required": ["question"],
                "additionalProperties": false
            })),
        )
        .with_annotations(ToolAnnotations::new().read_only(true).open_world(false)),
    ];
    for tool in catalog::bucket_tools().iter().filter(|t| **t != SESSION) {
        let ann = if tool.ends_with("_read") {
            ToolAnnotations::new().read_only(true).open_world(false)
        } else {
            ToolAnnotations::new()
                .read_only(false)
                .destructive(true)
                .idempotent(false)
                .open_world(false)
        };
        tools.push(
            Tool::new(*tool, describe_bucket(tool), bucket_schema(tool)).with_annotations(ann),
        );
    }
    tools
}
