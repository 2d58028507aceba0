//! docs_ask_question: a grounded, extractive answer. It picks the best passages, quotes their
//! most relevant sentences with a citation marker each, points questions about the caller's
//! own data to the operation that reads it, and says plainly when the docs do not cover it.
//! Retrieval ([`retrieve`]) and the parts of an answer (operation pointers, code, sources) are
//! shared with the language-model path in [`super::llm`], which writes the prose instead.

use serde::Serialize;

use super::analysis;
use super::corpus::{self, Block};
use super::index::DocsIndex;
use super::search::{self, Hit, Plan};
use super::snippet;
use crate::catalog;

/// A passage answers a question when it holds at least half of the question's information
/// (idf of its words, see [`Plan::evidence`]), or a third of it if that third is substantial
/// (several specific words). Off-topic questions share at most a common word or two.
pub fn relevant(plan: &Plan, ix: &DocsIndex, pid: usize) -> bool {
    let (have, total) = plan.evidence(ix, pid);
    total > 0.0 && (have >= 0.5 * total || (have >= 0.3 * total && have >= 5.5))
}
/// Passages cited after the first must score at least this fraction of the best one.
const RELATIVE_SCORE: f32 = 0.5;
const MAX_PASSAGES: usize = 3;
const MAX_CODE_LINES: usize = 24;

/// One cited passage.
#[derive(Serialize, Debug, Clone, PartialEq)]
pub struct Citation {
    pub page: String,
    pub section: String,
    pub link: String,
}

/// An operation that reads the data a question is about.
#[derive(Serialize, Debug, Clone)]
pub struct OperationPointer {
    pub tool: String,
    pub operation: String,
    pub summary: String,
}

/// Who wrote the prose of an answer.
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Sentences quoted from the passages (always available, no model involved).
    Extractive,
    /// Written by the configured language model from the passages, every sentence cited.
    Llm,
}

/// The result of docs_ask_question.
#[derive(Serialize, Debug, Clone)]
#[serde(rename_all = "camelCase")]
pub struct Answer {
    pub answer: String,
    pub citations: Vec<Citation>,
    pub covered: bool,
    /// For questions about the caller's own data: the operations that answer them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<OperationPointer>,
    pub mode: Mode,
    /// The model that wrote the answer (mode `llm`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Why a configured model's answer was not used and the extractive one was given instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm_error: Option<String>,
    /// Sentences of the model's answer left out because they cited no passage (mode `llm`).
    #[serde(skip_serializing_if = "is_zero")]
    pub uncited_dropped: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

const DATA_CUES: &[&str] = &[
    "how many",
    "list my",
    "list all",
    "list our",
    "list the",
    "show me",
    "who has",
    "who have",
    "who is",
    "who are",
    "which users",
    "which tenants",
    "which roles",
    "which of my",
    "count of",
    "do i have",
    "do we have",
    "are there any",
    "in my project",
    "in our project",
];
/// Subjects of data questions, most specific first: (cue, bucket tool, the record noun an
/// operation that lists them ends with).
const ENTITIES: &[(&str, &str, &str)] = &[
    ("who has", "users_read", "user"),
    ("who have", "users_read", "user"),
    ("who is", "users_read", "user"),
    ("who are", "users_read", "user"),
    ("signed up", "audits_read", "analyt"),
    ("sign-up", "audits_read", "analyt"),
    ("signups", "audits_read", "analyt"),
    ("login", "audits_read", "audit"),
    ("sign-in", "audits_read", "audit"),
    ("audit", "audits_read", "audit"),
    ("event", "audits_read", "audit"),
    ("access key", "auth_keys_read", "key"),
    ("user", "users_read", "user"),
    ("tenant", "tenants_read", "tenant"),
    ("role", "access_control_read", "role"),
    ("permission", "access_control_read", "permiss"),
    ("flow", "flows_read", "flow"),
    ("theme", "flows_read", "theme"),
    ("project", "project_read", "project"),
    ("app", "connect_read", "app"),
];
const HOWTO_CUES: &[&str] = &[
    "how do i",
    "how to",
    "how can",
    "how should",
    "how does",
    "best practice",
    "example",
    "sdk",
    "difference",
    "should i",
    "should we",
    "what is a",
    "what is the",
    "why ",
    "when should",
    "docs",
];

/// Whether the question asks about the caller's own data rather than how something works,
/// with the bucket tool that most likely reads it and the stem of the record noun.
pub fn data_question(question: &str) -> Option<(&'static str, &'static str)> {
    let q = format!(" {} ", question.to_lowercase());
    if HOWTO_CUES.iter().any(|c| q.contains(c)) {
        return None;
    }
    if !DATA_CUES.iter().any(|c| q.contains(c)) {
        return None;
    }
    ENTITIES
        .iter()
        .find(|(cue, ..)| q.contains(cue))
        .map(|(_, tool, noun)| (*tool, *noun))
}

fn citation(ix: &DocsIndex, pid: usize) -> Citation {
    let p = &ix.passages[pid];
    Citation {
        page: p.page.clone(),
        section: p.section.clone(),
        link: p.link.clone(),
    }
}

/// The citations of one answer, numbered from 1 in order of first use; a passage cited twice
/// (or two passages with the same page and section) keeps one number.
#[derive(Default)]
pub struct Citations(Vec<Citation>);

impl Citations {
    /// The marker number of passage `pid`, adding it on first use.
    pub fn number(&mut self, ix: &DocsIndex, pid: usize) -> usize {
        let c = citation(ix, pid);
        match self.0.iter().position(|x| *x == c) {
            Some(i) => i + 1,
            None => {
                self.0.push(c);
                self.0.len()
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The record an operation name is about: its last word, or the word before "For"/"By"/"Of"
/// ("ListTrustedDevicesForUsers" is about devices).
fn head_noun(name: &str) -> String {
    let split = corpus::split_camel(name);
    let words: Vec<&str> = split.split(' ').collect();
    let cut = words
        .iter()
        .position(|w| matches!(*w, "For" | "By" | "Of" | "In"))
        .unwrap_or(words.len());
    words[..cut].last().copied().unwrap_or(name).to_lowercase()
}

/// Operation name prefixes that enumerate or count records.
const LISTING_OPS: &[&str] = &["Search", "LoadAll", "List", "Get"];

/// The operations that read the data a question is about: the best-ranked read operations
/// (those that list or search first), else the bucket the question's subject belongs to.
fn pointers(
    ix: &DocsIndex,
    plan: &Plan,
    (tool, noun): (&str, &str),
) -> Vec<(OperationPointer, Option<usize>)> {
    let mut ops: Vec<(f32, catalog::Op, usize, bool)> = search::rank(ix, plan, ix.passages.len())
        .into_iter()
        .filter(|h| ix.passages[h.pid].is_op)
        .filter_map(|h| {
            let (op_tool, name) = ix.passages[h.pid]
                .page
                .strip_prefix("ops/")?
                .split_once('/')?;
            let op =
                catalog::find(op_tool, name).filter(|op| op.def().class == catalog::Class::Read)?;
            let listing = if LISTING_OPS.iter().any(|p| name.starts_with(p)) {
                1.5
            } else {
                1.0
            };
            let same_bucket = if op_tool == tool { 1.2 } else { 1.0 };
            // "SearchUsers" lists users; "ListUserPasskeys" lists passkeys
            let lists_noun = analysis::stem(&head_noun(name)) == noun;
            Some((h.score * listing * same_bucket, op, h.pid, lists_noun))
        })
        .collect();
    // operations that return the records asked about come first ("who has the admin role"
    // asks for users, so SearchUsers, not SearchRoles)
    if ops.iter().any(|o| o.3) {
        ops.retain(|o| o.3);
    }
    ops.sort_by(|a, b| b.0.total_cmp(&a.0));
    let best = ops.first().map_or(0.0, |o| o.0);
    let mut out: Vec<(OperationPointer, Option<usize>)> = ops
        .into_iter()
        .take_while(|o| o.0 >= best * 0.6)
        .take(2)
        .map(|(_, op, pid, _)| {
            let d = op.def();
            (
                OperationPointer {
                    tool: d.tool.to_owned(),
                    operation: d.name.to_owned(),
                    summary: d.summary.to_owned(),
                },
                Some(pid),
            )
        })
        .collect();
    if out.is_empty() {
        out.push((
            OperationPointer {
                tool: tool.to_owned(),
                operation: String::new(),
                summary: String::new(),
            },
            None,
        ));
    }
    out
}

fn not_covered() -> Answer {
    Answer {
        answer: "The documentation does not cover this. It covers idmcp itself (tools, sessions, elevation, audit, \
                 configuration) and identity topics: authentication methods, SSO, tenants, roles and authorization, \
                 tokens, flows, apps and migrations. Rephrase the question with those terms, or try docs_search."
            .to_owned(),
        citations: Vec::new(),
        covered: false,
        operations: Vec::new(),
        mode: Mode::Extractive,
        model: None,
        llm_error: None,
        uncited_dropped: 0,
    }
}

fn wants_code(question: &str) -> bool {
    let q = question.to_lowercase();
    [
        "how do i",
        "how to",
        "how can",
        "example",
        "code",
        "snippet",
        "implement",
        "configure",
        "config",
        "set up",
        "setup",
        "validate",
        "verify",
        "add ",
    ]
    .iter()
    .any(|c| q.contains(c))
}

/// What retrieval found for a question: the passages an answer may quote or cite.
pub struct Retrieval {
    pub plan: Plan,
    /// For a question about the caller's own data: the bucket tool and record noun.
    pub data_tool: Option<(&'static str, &'static str)>,
    /// The passages to answer from, best first (at most [`MAX_PASSAGES`], each scoring at
    /// least [`RELATIVE_SCORE`] of the best, each [`relevant`] to the question).
    pub chosen: Vec<Hit>,
}

impl Retrieval {
    /// Whether the documentation has nothing for this question (and it asks for no data).
    pub fn not_covered(&self) -> bool {
        self.chosen.is_empty() && self.data_tool.is_none()
    }
}

/// Finds the passages that answer `question`: the same for the extractive and written paths.
pub fn retrieve(ix: &DocsIndex, question: &str) -> Retrieval {
    let plan = Plan::new(ix, question);
    let hits = search::rank(ix, &plan, 60);
    let data_tool = data_question(question);
    // a data question quotes the docs only when it asks more than "how many <records>"
    let topical = data_tool.is_none_or(|(_, noun)| plan.words.iter().any(|w| w != noun));
    let covered_hits: Vec<Hit> = search::diversify(&hits, ix, 8)
        .into_iter()
        .filter(|_| topical)
        .filter(|h| !ix.passages[h.pid].is_op || data_tool.is_none())
        .filter(|h| relevant(&plan, ix, h.pid))
        .collect();
    let best = covered_hits.first().map_or(0.0, |h| h.score);
    let chosen: Vec<Hit> = covered_hits
        .iter()
        .copied()
        .filter(|h| h.score >= best * RELATIVE_SCORE)
        .take(MAX_PASSAGES)
        .collect();
    Retrieval {
        plan,
        data_tool,
        chosen,
    }
}

/// For a data question: the lines that point to the operations reading that data.
pub fn data_part(
    ix: &DocsIndex,
    r: &Retrieval,
    cites: &mut Citations,
) -> Option<(String, Vec<OperationPointer>)> {
    let subject = r.data_tool?;
    let mut operations = Vec::new();
    let mut lines = vec!["This asks about the data in your own project, which the documentation cannot know. Read it with idmcp:".to_owned()];
    for (ptr, pid) in pointers(ix, &r.plan, subject) {
        if ptr.operation.is_empty() {
            lines.push(format!(
                "- call `list_operations` with {{\"bucket\": \"{}\"}} (or without arguments) to pick the operation that reads it.",
                ptr.tool
            ));
        } else {
            let marker = pid
                .map(|pid| format!(" [{}]", cites.number(ix, pid)))
                .unwrap_or_default();
            lines.push(format!(
                "- `{}` with {{\"operation\": \"{}\", \"args\": {{...}}}}: {}{marker}",
                ptr.tool, ptr.operation, ptr.summary
            ));
            operations.push(ptr);
        }
    }
    Some((lines.join("\n"), operations))
}

/// For a how-to question: the first code example of passage `pid` (cited as `[n]`), cut to
/// [`MAX_CODE_LINES`].
pub fn code_part(ix: &DocsIndex, question: &str, pid: usize, n: usize) -> Option<String> {
    if !wants_code(question) {
        return None;
    }
    let (lang, text) = ix.passages[pid].blocks.iter().find_map(|b| match b {
        Block::Code { lang, text } => Some((lang, text)),
        Block::Prose(_) => None,
    })?;
    let lines: Vec<&str> = text.lines().collect();
    let mut body = lines[..lines.len().min(MAX_CODE_LINES)].join("\n");
    if lines.len() > MAX_CODE_LINES {
        body.push_str("\n…");
    }
    Some(format!("From [{n}]:\n```{lang}\n{body}\n```"))
}

/// The answer from its parts, with the numbered list of sources appended; "not covered" when
/// nothing was cited.
pub fn finish(
    ix: &DocsIndex,
    mut parts: Vec<String>,
    cites: Citations,
    operations: Vec<OperationPointer>,
    mode: Mode,
) -> Answer {
    if cites.is_empty() {
        return not_covered();
    }
    let citations = cites.0;
    let sources: Vec<String> = citations
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let title = ix
                .passages
                .iter()
                .find(|p| p.page == c.page)
                .map_or(c.page.as_str(), |p| p.title.as_str());
            format!("[{}] {} — {} ({})", i + 1, title, c.section, c.link)
        })
        .collect();
    parts.push(format!("Sources:\n{}", sources.join("\n")));
    Answer {
        answer: parts.join("\n\n"),
        citations,
        covered: true,
        operations,
        mode,
        model: None,
        llm_error: None,
        uncited_dropped: 0,
    }
}

/// docs_ask_question, extractive.
pub fn ask(ix: &DocsIndex, question: &str) -> Answer {
    compose(ix, question, &retrieve(ix, question))
}

/// The extractive answer from what [`retrieve`] found: the best sentences of each chosen
/// passage, each group followed by its citation marker.
pub fn compose(ix: &DocsIndex, question: &str, r: &Retrieval) -> Answer {
    if r.not_covered() {
        return not_covered();
    }
    let mut cites = Citations::default();
    let mut parts: Vec<String> = Vec::new();
    let mut operations = Vec::new();
    if let Some((text, ops)) = data_part(ix, r, &mut cites) {
        parts.push(text);
        operations = ops;
    }

    let idf_terms = r.plan.idf_terms(ix);
    let mut code: Option<String> = None;
    for (rank, h) in r.chosen.iter().enumerate() {
        let mut sents: Vec<&snippet::Sentence> = ix.sentences[h.pid].iter().collect();
        if sents.is_empty() {
            continue;
        }
        let take = if rank == 0 { 3 } else { 2 };
        sents.sort_by(|a, b| {
            snippet::score_sentence(b, &idf_terms)
                .total_cmp(&snippet::score_sentence(a, &idf_terms))
                .then(a.pos.cmp(&b.pos))
        });
        let mut picked: Vec<_> = sents
            .into_iter()
            .take(take)
            .filter(|s| snippet::score_sentence(s, &idf_terms) > 0.0)
            .collect();
        if picked.is_empty() {
            continue;
        }
        picked.sort_by_key(|s| s.pos);
        let n = cites.number(ix, h.pid);
        // list items stay on lines of their own
        let mut text = String::new();
        for s in &picked {
            let item = s.text.starts_with("- ")
                || s.text
                    .split_once(". ")
                    .is_some_and(|(n, _)| n.parse::<u32>().is_ok());
            if !text.is_empty() {
                text.push(if item { '\n' } else { ' ' });
            }
            text.push_str(&s.text);
        }
        parts.push(format!("{text} [{n}]"));
        if rank == 0 {
            code = code_part(ix, question, h.pid, n);
        }
    }
    parts.extend(code);
    finish(ix, parts, cites, operations, Mode::Extractive)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_questions_are_told_apart_from_how_to() {
        assert_eq!(
            data_question("How many users do I have?"),
            Some(("users_read", "user"))
        );
        assert_eq!(
            data_question("list my tenants"),
            Some(("tenants_read", "tenant"))
        );
        assert_eq!(
            data_question("who has the admin role"),
            Some(("users_read", "user"))
        );
        assert_eq!(
            data_question("how many users signed up last week"),
            Some(("audits_read", "analyt"))
        );
        assert_eq!(data_question("How do I add a user to a tenant?"), None);
        assert_eq!(data_question("What is the capital of France?"), None);
    }

    #[test]
    fn head_nouns_of_operation_names() {
        assert_eq!(head_noun("SearchUsers"), "users");
        assert_eq!(head_noun("ListTrustedDevicesForUsers"), "devices");
        assert_eq!(head_noun("LoadAllTenants"), "tenants");
    }
}
