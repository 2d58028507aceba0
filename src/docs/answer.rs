//! docs_ask_question: a grounded, extractive answer. It picks the best passages, quotes their
//! most relevant sentences with a citation marker each, points questions about the caller's
//! own data to the operation that reads it, and says plainly when the docs do not cover it.

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

/// The result of docs_ask_question.
#[derive(Serialize, Debug, Clone)]
pub struct Answer {
    pub answer: String,
    pub citations: Vec<Citation>,
    pub covered: bool,
    /// For questions about the caller's own data: the operations that answer them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub operations: Vec<OperationPointer>,
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

/// docs_ask_question.
pub fn ask(ix: &DocsIndex, question: &str) -> Answer {
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
    if covered_hits.is_empty() && data_tool.is_none() {
        return not_covered();
    }
    let best = covered_hits.first().map_or(0.0, |h| h.score);
    let chosen: Vec<Hit> = covered_hits
        .iter()
        .copied()
        .filter(|h| h.score >= best * RELATIVE_SCORE)
        .take(MAX_PASSAGES)
        .collect();

    let mut citations: Vec<Citation> = Vec::new();
    let mut cite = |c: Citation| -> usize {
        match citations.iter().position(|x| *x == c) {
            Some(i) => i + 1,
            None => {
                citations.push(c);
                citations.len()
            }
        }
    };
    let mut parts: Vec<String> = Vec::new();
    let mut operations = Vec::new();

    if let Some(subject) = data_tool {
        let ptrs = pointers(ix, &plan, subject);
        let mut lines = vec!["This asks about the data in your own project, which the documentation cannot know. Read it with idmcp:".to_owned()];
        for (ptr, pid) in ptrs {
            if ptr.operation.is_empty() {
                lines.push(format!(
                    "- call `list_operations` with {{\"bucket\": \"{}\"}} (or without arguments) to pick the operation that reads it.",
                    ptr.tool
                ));
            } else {
                let marker = pid
                    .map(|pid| format!(" [{}]", cite(citation(ix, pid))))
                    .unwrap_or_default();
                lines.push(format!(
                    "- `{}` with {{\"operation\": \"{}\", \"args\": {{...}}}}: {}{marker}",
                    ptr.tool, ptr.operation, ptr.summary
                ));
                operations.push(ptr);
            }
        }
        parts.push(lines.join("\n"));
    }

    let idf_terms = plan.idf_terms(ix);
    let mut code: Option<(String, String, usize)> = None;
    for (rank, h) in chosen.iter().enumerate() {
        let p = &ix.passages[h.pid];
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
        let n = cite(citation(ix, h.pid));
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
        if code.is_none() && rank == 0 && wants_code(question) {
            code = p.blocks.iter().find_map(|b| match b {
                Block::Code { lang, text } => Some((lang.clone(), text.clone(), n)),
                Block::Prose(_) => None,
            });
        }
    }
    if let Some((lang, text, n)) = code {
        let lines: Vec<&str> = text.lines().collect();
        let mut body = lines[..lines.len().min(MAX_CODE_LINES)].join("\n");
        if lines.len() > MAX_CODE_LINES {
            body.push_str("\n…");
        }
        parts.push(format!("From [{n}]:\n```{lang}\n{body}\n```"));
    }
    if citations.is_empty() {
        return not_covered();
    }
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
    }
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
