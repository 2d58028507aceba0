//! Documentation search and grounded answers (docs_search, docs_ask_question) over the
//! embedded `docs/` pages and reference passages generated from the operation catalog.
//!
//! [`corpus`] cuts pages into passages, [`index`] builds the in-memory tantivy index once
//! (on first use, or at start-up through [`warm`]), [`search`] ranks passages with BM25 and
//! identity synonyms ([`synonyms`]), and [`answer`] composes extractive, cited answers.
//! When the server is given a language model (`--llm-url`, [`use_llm`]), [`llm`] has it write
//! docs_ask_question's answer from the same passages, keeping only cited sentences, and falls
//! back to the extractive answer when it fails.

pub mod analysis;
pub mod answer;
pub mod corpus;
pub mod index;
pub mod llm;
pub mod search;
pub mod snippet;
pub mod synonyms;

use std::sync::OnceLock;

use rmcp::model::{CallToolResponse, CallToolResult, ContentBlock};
use serde_json::{Map, Value, json};

pub use answer::{Answer, Citation, Mode};
pub use index::DocsIndex;
pub use llm::Llm;
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

/// A grounded, extractive answer to `question`.
pub fn ask(question: &str) -> Answer {
    answer::ask(index(), question)
}

/// The model docs_ask_question writes with, set once at start-up.
static LLM: OnceLock<Llm> = OnceLock::new();

/// Makes the server's docs_ask_question write answers with `llm` (at start-up, once).
pub fn use_llm(llm: Llm) -> Result<(), String> {
    LLM.set(llm)
        .map_err(|_| "a language model for docs_ask_question is already configured".to_owned())
}

/// The model configured with [`use_llm`], if any.
pub fn configured_llm() -> Option<&'static Llm> {
    LLM.get()
}

/// A grounded answer to `question`, written by `llm` when given (see [`llm::ask`]).
pub async fn ask_with(llm: Option<&Llm>, question: &str) -> Answer {
    match llm {
        Some(l) => llm::ask(index(), l, question).await,
        None => ask(question),
    }
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

fn question_arg(args: &Map<String, Value>) -> Result<&str, CallToolResponse> {
    text_arg(
        args,
        "question",
        "docs_ask_question",
        r#"{"question": "How do I validate a session JWT in Go?"}"#,
    )
}

fn answer_result(answer: &Answer) -> CallToolResponse {
    let mut result =
        CallToolResult::structured(serde_json::to_value(answer).unwrap_or(Value::Null));
    // the readable answer first, so a model reading only text content gets it whole
    result.content = vec![ContentBlock::text(answer.answer.clone())];
    result.into()
}

/// Answers a docs tool call as the server does: docs_ask_question with the model configured
/// by [`use_llm`], if any; everything else as [`call`].
pub async fn call_tool(tool: &str, args: &Map<String, Value>) -> CallToolResponse {
    match (tool, configured_llm()) {
        ("docs_ask_question", Some(llm)) => match question_arg(args) {
            Ok(q) => answer_result(&llm::ask(index(), llm, q).await),
            Err(e) => e,
        },
        _ => call(tool, args),
    }
}

/// Answers a docs tool call without a language model (docs_ask_question extractive).
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
        "docs_ask_question" => match question_arg(args) {
            Ok(q) => answer_result(&ask(q)),
            Err(e) => e,
        },
        other => error(format!(
            "`{other}` is not a documentation tool; use docs_search or docs_ask_question"
        )),
    }
}
