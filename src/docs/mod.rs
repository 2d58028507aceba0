//! Documentation search and grounded answers (docs_search, docs_ask_question) over the
//! embedded `docs/` pages and reference passages generated from the operation catalog.
//!
//! [`corpus`] cuts pages into passages, [`index`] builds the in-memory tantivy index once
//! (on first use, or at start-up through [`warm`]), [`search`] ranks passages with BM25 and
//! identity synonyms ([`synonyms`]), and [`answer`] composes extractive, cited answers.
//! Answers are extractive only: no language model is called.

pub mod analysis;
pub mod answer;
pub mod corpus;
pub mod index;
pub mod search;
pub mod snippet;
pub mod synonyms;

use std::sync::OnceLock;

use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};
use serde_json::{Map, Value, json};

pub use answer::{Answer, Citation};
pub use index::DocsIndex;
pub use search::SearchResult;

const DEFAULT_LIMIT: usize = 5;
const MAX_LIMIT: usize = 20;

/// The index, built on first use from the embedded pages and the catalog.
pub fn index() -> &'static DocsIndex {
    static IX: OnceLock<DocsIndex> = OnceLock::new();
    IX.get_or_init(|| {
        DocsIndex::build().expect("the in-memory docs index builds from embedded pages")
    })
}

/// Builds the index now (call at start-up so the first docs call is fast).
pub fn warm() {
    let _ = index();
}

/// Ranked passages for `query` (at most `limit`).
pub fn search(query: &str, limit: usize) -> Vec<SearchResult> {
    search::search(index(), query, limit)
}

/// A grounded answer to `question`.
pub fn ask(question: &str) -> Answer {
    answer::ask(index(), question)
}

fn error(msg: String) -> CallToolResponse {
    CallToolResult::error(vec![ContentBlock::text(msg)]).into()
}

fn text_arg<'a>(
    args: &'a Map<String, Value>,
    name: &str,
    tool: &str,
    example: &str,
) -> Result<&'a str, CallToolResponse> {
    match args.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim()),
        Some(Value::String(_)) | None | Some(Value::Null) => Err(error(format!(
            "`{tool}` needs a non-empty `{name}` string, e.g. {example}"
        ))),
        Some(other) => Err(error(format!(
            "`{name}` must be a string, not {other}; e.g. {example}"
        ))),
    }
}

/// Answers a docs tool call.
pub fn call(tool: &str, args: &Map<String, Value>) -> CallToolResponse {
    match tool {
        "docs_search" => {
            let query = match text_arg(
                args,
                "query",
                tool,
                r#"{"query": "enforce MFA for admins", "limit": 5}"#,
            ) {
                Ok(q) => q,
                Err(e) => return e,
            };
            let limit = match args.get("limit") {
                None | Some(Value::Null) => DEFAULT_LIMIT,
                Some(v) => match v.as_u64() {
                    Some(n @ 1..=20) => n as usize,
                    _ => {
                        return error(format!(
                            "`limit` must be an integer from 1 to {MAX_LIMIT}, not {v}"
                        ));
                    }
                },
            };
            let results = search(query, limit);
            CallToolResult::structured(json!({ "results": results })).into()
        }
        "docs_ask_question" => {
            let question = match text_arg(
                args,
                "question",
                tool,
                r#"{"question": "How do I validate a session JWT in Go?"}"#,
            ) {
                Ok(q) => q,
                Err(e) => return e,
            };
            let answer = ask(question);
            let mut result =
                CallToolResult::structured(serde_json::to_value(&answer).unwrap_or(Value::Null));
            // the readable answer first, so a model reading only text content gets it whole
            result.content = vec![ContentBlock::text(answer.answer.clone())];
            result.into()
        }
        other => error(format!(
            "`{other}` is not a documentation tool; use docs_search or docs_ask_question"
        )),
    }
}
