//! docs_ask_question written by a language model: an OpenAI-compatible chat-completions
//! endpoint (`--llm-url`, `--llm-model`, key in `IDMCP_LLM_KEY`) writes the answer from the
//! retrieved passages only, and only sentences that cite one of them are kept. Without a model,
//! when retrieval finds nothing, or when the model fails, the extractive answer is given.
//!
//! Requests go through the shared outbound client ([`crate::https`]), as webhook deliveries do.

use std::fmt;
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Bytes;
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue, USER_AGENT};
use serde_json::{Value, json};

use super::answer::{self, Answer, Citations, Mode, Retrieval};
use super::corpus::Block;
use super::index::DocsIndex;
use super::snippet;

/// How long the model has to answer, connection and whole body included.
pub const TIMEOUT: Duration = Duration::from_secs(20);
/// The largest reply body read; a chat completion for a few sentences is a few kilobytes.
const MAX_REPLY_BYTES: usize = 1 << 20;
/// Each passage is sent whole up to this many characters (the longest pages' sections fit).
const MAX_PASSAGE_CHARS: usize = 6000;
/// The reply a model gives when the passages do not answer the question (see [`SYSTEM`]).
const DECLINE: &str = "NOT_ANSWERED";
/// How much of an error message from the endpoint is shown.
const MAX_ERROR_CHARS: usize = 200;

/// The instructions sent with every question.
pub const SYSTEM: &str = "You answer questions about idmcp (an MCP server for an identity platform) and about identity \
topics, using only the numbered documentation passages in the user's message.
Rules:
1. Use only what the passages say. Add no outside knowledge and no guesses.
2. End every sentence with the number of each passage it comes from, in square brackets: [1], or [1][3] for two. \
A sentence without a passage number is removed before the reader sees it.
3. If the passages do not answer the question, reply with exactly NOT_ANSWERED and nothing else.
4. Be brief: at most six sentences, or a short list whose items are cited sentences.
5. Plain sentences only: no headings, no code blocks (the reader is shown the passages' code examples separately) \
and no list of sources (it is added for you).";

type HttpsClient = crate::https::Client;

/// A configured chat-completions endpoint. The key is never shown: not by `Debug`, not in
/// errors (an endpoint's error text is searched for it and redacted), not in logs.
#[derive(Clone)]
pub struct Llm {
    /// `<base>/chat/completions`.
    endpoint: hyper::Uri,
    /// Scheme and host, for messages.
    origin: String,
    model: String,
    key: Option<String>,
    client: HttpsClient,
}

impl fmt::Debug for Llm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Llm")
            .field("origin", &self.origin)
            .field("model", &self.model)
            .field("key", &self.key.as_ref().map(|_| "***"))
            .finish()
    }
}

impl Llm {
    /// The model from the `serve` settings: `None` when no URL is given. Every wrong or
    /// missing setting is an error that says how to fix it.
    pub fn from_settings(
        url: Option<&str>,
        model: Option<&str>,
        key: Option<String>,
    ) -> Result<Option<Llm>, String> {
        let url = url.map(str::trim).filter(|u| !u.is_empty());
        let model = model.map(str::trim).filter(|m| !m.is_empty());
        match (url, model) {
            (None, None) => {
                if key.is_some_and(|k| !k.trim().is_empty()) {
                    tracing::warn!("IDMCP_LLM_KEY is set but --llm-url (IDMCP_LLM_URL) is not: docs_ask_question answers stay extractive");
                }
                Ok(None)
            }
            (None, Some(_)) => Err(
                "--llm-model (IDMCP_LLM_MODEL) is set but --llm-url (IDMCP_LLM_URL) is not: give the \
                 endpoint's base URL too, e.g. --llm-url https://api.openai.com/v1, or unset the model"
                    .into(),
            ),
            (Some(_), None) => Err(
                "--llm-url (IDMCP_LLM_URL) is set but no model is: add --llm-model <name> (or \
                 IDMCP_LLM_MODEL), e.g. --llm-model gpt-4o-mini"
                    .into(),
            ),
            (Some(u), Some(m)) => Llm::new(u, m, key).map(Some),
        }
    }

    /// An endpoint at base URL `url` (requests go to `<url>/chat/completions`; a URL that
    /// already ends so is used as it is). `key`, when given, is sent as a bearer token.
    pub fn new(url: &str, model: &str, key: Option<String>) -> Result<Llm, String> {
        const EXAMPLE: &str = "e.g. --llm-url https://api.openai.com/v1";
        let parsed = url::Url::parse(url.trim()).map_err(|e| {
            format!("--llm-url {url:?} is not a URL ({e}): give the endpoint's base URL, {EXAMPLE}")
        })?;
        let host = parsed.host().ok_or_else(|| {
            format!("--llm-url {url:?} has no host: give the endpoint's base URL, {EXAMPLE}")
        })?;
        match parsed.scheme() {
            "https" => {}
            // The question, the passages and the key would cross the network readable.
            "http" if crate::https::is_loopback(&host.to_string()) => {}
            "http" => {
                return Err(format!(
                    "--llm-url http://{host}… would send questions and IDMCP_LLM_KEY in clear text: use https:// \
                     (plain http is accepted only to localhost, 127.0.0.1 or [::1])"
                ));
            }
            other => {
                return Err(format!(
                    "--llm-url must be an https:// URL, not {other}://…; {EXAMPLE}"
                ));
            }
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(
                "--llm-url must not carry a user or password: put the API key in the IDMCP_LLM_KEY environment variable"
                    .into(),
            );
        }
        let origin = format!(
            "{}://{}",
            parsed.scheme(),
            parsed.host_str().unwrap_or_default()
        ) + &parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
        let mut endpoint = parsed.clone();
        let path = parsed.path().trim_end_matches('/');
        if !path.ends_with("/chat/completions") {
            endpoint.set_path(&format!("{path}/chat/completions"));
        }
        let endpoint: hyper::Uri = endpoint
            .as_str()
            .parse()
            .map_err(|e| format!("--llm-url {url:?} cannot be requested ({e}); {EXAMPLE}"))?;
        let model = model.trim();
        if model.is_empty() {
            return Err(
                "--llm-model is empty: name the model, e.g. --llm-model gpt-4o-mini".into(),
            );
        }
        let key = key.map(|k| k.trim().to_owned()).filter(|k| !k.is_empty());
        if let Some(k) = &key {
            if HeaderValue::from_str(&format!("Bearer {k}")).is_err() {
                return Err("IDMCP_LLM_KEY holds characters an HTTP header cannot carry (a line break?): set it to the key alone".into());
            }
        }
        let client = crate::https::client().map_err(|e| format!("{e} (for the model endpoint)"))?;
        Ok(Llm {
            endpoint,
            origin,
            model: model.to_owned(),
            key,
            client,
        })
    }

    pub fn model(&self) -> &str {
        &self.model
    }

    /// Whether requests carry `Authorization: Bearer <IDMCP_LLM_KEY>`.
    pub fn has_key(&self) -> bool {
        self.key.is_some()
    }

    /// `https://host[:port]`: where answers are written, without path or key.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// An endpoint's error text with the key cut out, shortened.
    fn redact(&self, text: &str) -> String {
        let mut t = text.to_owned();
        if let Some(k) = &self.key {
            t = t.replace(k.as_str(), "***");
        }
        let mut short: String = t.chars().take(MAX_ERROR_CHARS).collect();
        if short.len() < t.len() {
            short.push('…');
        }
        short
    }

    /// One chat completion: the text of the first choice.
    pub async fn complete(&self, system: &str, user: &str) -> Result<String, String> {
        let body = json!({
            "model": self.model,
            "messages": [
                {"role": "system", "content": system},
                {"role": "user", "content": user},
            ],
            "stream": false,
        })
        .to_string();
        let mut req = hyper::Request::post(self.endpoint.clone())
            .header(CONTENT_TYPE, "application/json")
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, concat!("idmcp/", env!("CARGO_PKG_VERSION")));
        if let Some(k) = &self.key {
            let mut v = HeaderValue::from_str(&format!("Bearer {k}"))
                .map_err(|_| "IDMCP_LLM_KEY cannot be sent in a header".to_owned())?;
            v.set_sensitive(true);
            req = req.header(AUTHORIZATION, v);
        }
        let req = req
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| format!("cannot build the request to the model: {e}"))?;
        let origin = &self.origin;
        let exchange = async {
            let resp = self.client.request(req).await.map_err(|e| {
                format!(
                    "the model endpoint at {origin} could not be reached: {}",
                    chain(&e)
                )
            })?;
            let status = resp.status();
            let bytes = Limited::new(resp.into_body(), MAX_REPLY_BYTES)
                .collect()
                .await
                .map_err(|e| {
                    format!("the reply of the model endpoint at {origin} could not be read (over {} KiB?): {e}", MAX_REPLY_BYTES / 1024)
                })?
                .to_bytes();
            Ok::<_, String>((status, bytes))
        };
        let (status, bytes) = tokio::time::timeout(TIMEOUT, exchange)
            .await
            .map_err(|_| {
                format!(
                    "the model endpoint at {origin} did not answer within {} s",
                    TIMEOUT.as_secs()
                )
            })??;
        let reply: Option<Value> = serde_json::from_slice(&bytes).ok();
        if !status.is_success() {
            if matches!(status.as_u16(), 401 | 403) {
                return Err(format!(
                    "the model endpoint at {origin} refused the key (HTTP {status}): check IDMCP_LLM_KEY"
                ));
            }
            let detail = reply
                .as_ref()
                .and_then(|v| {
                    v["error"]["message"]
                        .as_str()
                        .or(v["error"].as_str())
                        .map(str::to_owned)
                })
                .unwrap_or_else(|| String::from_utf8_lossy(&bytes).trim().to_owned());
            let hint = if status.as_u16() == 404 {
                " (check --llm-url, the base URL to which /chat/completions is added, and --llm-model)"
            } else {
                ""
            };
            return Err(format!(
                "the model endpoint at {origin} answered HTTP {status}{hint}: {}",
                self.redact(&detail)
            ));
        }
        let reply = reply.ok_or_else(|| {
            format!("the model endpoint at {origin} answered with something other than JSON")
        })?;
        let content = &reply["choices"][0]["message"]["content"];
        // a string, or (some servers) a list of parts of which the text ones count
        let text = match content {
            Value::String(s) => s.clone(),
            Value::Array(parts) => parts
                .iter()
                .filter_map(|p| p["text"].as_str())
                .collect::<Vec<_>>()
                .join(""),
            _ => String::new(),
        };
        if text.trim().is_empty() {
            let why = reply["choices"][0]["finish_reason"]
                .as_str()
                .map(|r| format!(" (finish_reason {r})"))
                .unwrap_or_default();
            return Err(format!(
                "the model's reply has no text in choices[0].message.content{why}"
            ));
        }
        Ok(text)
    }
}

/// An error with its causes ("client error (Connect): tcp connect error: Connection refused").
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let t = c.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        cur = c.source();
    }
    s
}

/// The user message: the question, then the passages numbered from 1 in retrieval order, each
/// with its page title, section and link.
pub fn prompt(ix: &DocsIndex, question: &str, r: &Retrieval) -> String {
    let mut s = format!("Question: {question}\n\nPassages:\n");
    for (i, h) in r.chosen.iter().enumerate() {
        let p = &ix.passages[h.pid];
        let mut text = String::new();
        for b in &p.blocks {
            match b {
                Block::Prose(t) => text.push_str(&snippet::clean(t)),
                Block::Code { lang, text: code } => {
                    text.push_str(&format!("```{lang}\n{}\n```", code.trim_end()))
                }
            }
            text.push('\n');
        }
        if text.chars().count() > MAX_PASSAGE_CHARS {
            text = text.chars().take(MAX_PASSAGE_CHARS).collect::<String>() + "…";
        }
        s.push_str(&format!(
            "\n[{}] {} — {} ({})\n{}",
            i + 1,
            p.title,
            p.section,
            p.link,
            text.trim_end()
        ));
        s.push('\n');
    }
    s
}

/// One kept line of a written answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// `- ` or `3. ` for a list item, else empty.
    pub prefix: String,
    /// The line's sentences (markers removed), each with the passages (1-based) it cites.
    pub sentences: Vec<(String, Vec<usize>)>,
    /// Whether a blank line came before it.
    pub paragraph: bool,
}

/// A model's reply, reduced to its cited sentences.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Written {
    pub lines: Vec<Line>,
    /// Sentences (and code blocks or headings) left out because they cite no valid passage.
    pub dropped: usize,
    /// The model said the passages do not answer the question.
    pub declined: bool,
}

/// If a citation marker (`[1]`, `[1, 2]`, `[1-3]`, `[^2]`) starts at `i`: its end and numbers.
fn marker_at(chars: &[char], i: usize) -> Option<(usize, Vec<usize>)> {
    if chars.get(i) != Some(&'[') {
        return None;
    }
    let mut j = i + 1;
    if chars.get(j) == Some(&'^') {
        j += 1;
    }
    let mut nums = Vec::new();
    let mut cur = String::new();
    let mut range_from: Option<usize> = None;
    let close = |cur: &mut String, nums: &mut Vec<usize>, range_from: &mut Option<usize>| -> bool {
        let Ok(n) = cur.parse::<usize>() else {
            return cur.is_empty();
        };
        match range_from.take() {
            // a short range only; "[1-300]" is no citation
            Some(a) if a <= n && n - a < 10 => nums.extend(a..=n),
            Some(_) => return false,
            None => nums.push(n),
        }
        cur.clear();
        true
    };
    while let Some(&c) = chars.get(j) {
        match c {
            '0'..='9' if cur.len() < 4 => cur.push(c),
            ',' | ';' | ' ' => {
                if !close(&mut cur, &mut nums, &mut range_from) {
                    return None;
                }
            }
            '-' | '–' => {
                let Ok(a) = cur.parse::<usize>() else {
                    return None;
                };
                cur.clear();
                range_from = Some(a);
            }
            ']' => {
                if !close(&mut cur, &mut nums, &mut range_from) || range_from.is_some() {
                    return None;
                }
                return (!nums.is_empty()).then_some((j + 1, nums));
            }
            _ => return None,
        }
        j += 1;
    }
    None
}

/// Splits one line of prose into sentences; citation markers right after a sentence's final
/// punctuation ("… works. [2]") belong to that sentence.
fn split_sentences(line: &str) -> Vec<String> {
    let chars: Vec<char> = line.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        cur.push(c);
        i += 1;
        if !matches!(c, '.' | '?' | '!') {
            continue;
        }
        let abbrev = ["e.g.", "i.e.", "vs.", "etc.", "cf."]
            .iter()
            .any(|a| cur.to_lowercase().ends_with(a));
        let mut absorbed = false;
        loop {
            let mut j = i;
            while chars.get(j) == Some(&' ') {
                j += 1;
            }
            match marker_at(&chars, j) {
                Some((end, _)) => {
                    cur.extend(&chars[i..end]);
                    i = end;
                    absorbed = true;
                }
                None => break,
            }
        }
        let next = chars[i..].iter().find(|c| !c.is_whitespace());
        let at_space = chars.get(i).is_none_or(|c| c.is_whitespace());
        let starts_sentence = next.is_none_or(|n| {
            n.is_uppercase() || n.is_ascii_digit() || matches!(n, '`' | '"' | '(' | '*' | '[')
        });
        if at_space && (absorbed || (!abbrev && starts_sentence)) {
            out.push(cur.trim().to_owned());
            cur.clear();
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_owned());
    }
    out
}

/// A sentence without its markers, and the numbers those markers carried.
fn strip_markers(sentence: &str) -> (String, Vec<usize>) {
    let chars: Vec<char> = sentence.chars().collect();
    let mut text = String::new();
    let mut nums = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if let Some((end, n)) = marker_at(&chars, i) {
            nums.extend(n);
            i = end;
        } else {
            text.push(chars[i]);
            i += 1;
        }
    }
    // "works [1]." left "works ." behind
    let mut tidy = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for p in [" .", " ,", " ;", " :", " !", " ?", " )"] {
        tidy = tidy.replace(p, &p[1..]);
    }
    (tidy.trim().to_owned(), nums)
}

/// `- `, `* `, `+ ` (as `- `) or `3. `/`3) ` (as `3. `) at the start of a line, and the rest.
fn list_prefix(line: &str) -> (String, &str) {
    for b in ["- ", "* ", "+ ", "• "] {
        if let Some(rest) = line.strip_prefix(b) {
            return ("- ".into(), rest);
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits < 4 {
        let rest = &line[digits..];
        if let Some(r) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return (format!("{}. ", &line[..digits]), r);
        }
    }
    (String::new(), line)
}

/// Reduces a model's reply to the sentences that cite at least one of `passages` passages
/// (`[1]`…`[passages]`). Uncited sentences, code blocks and headings are counted and left out;
/// a trailing list of sources written by the model is ignored (the answer adds its own).
pub fn parse_reply(reply: &str, passages: usize) -> Written {
    let mut text = reply.to_owned();
    // reasoning models served behind the same API may prepend their thinking
    while let (Some(a), Some(b)) = (text.find("<think>"), text.find("</think>")) {
        if b < a {
            break;
        }
        text.replace_range(a..b + "</think>".len(), "");
    }
    let mut w = Written::default();
    let bare = text.trim().trim_end_matches('.').trim();
    if bare.eq_ignore_ascii_case(DECLINE) {
        w.declined = true;
        return w;
    }
    let mut in_code = false;
    let mut paragraph = false;
    for raw in text.lines() {
        let line = raw.trim();
        if line.starts_with("```") {
            if !in_code {
                w.dropped += 1;
            }
            in_code = !in_code;
            continue;
        }
        if in_code {
            continue;
        }
        if line.is_empty() {
            paragraph = true;
            continue;
        }
        let plain = line
            .trim_matches(|c| c == '*' || c == '_' || c == '#')
            .trim()
            .to_lowercase();
        if [
            "sources",
            "sources:",
            "references",
            "references:",
            "citations:",
        ]
        .contains(&plain.as_str())
        {
            break;
        }
        if line.starts_with('#') {
            w.dropped += 1;
            continue;
        }
        let (prefix, rest) = list_prefix(line);
        let mut kept: Vec<(String, Vec<usize>)> = Vec::new();
        for s in split_sentences(rest) {
            let (text, nums) = strip_markers(&s);
            let mut valid: Vec<usize> = Vec::new();
            for n in nums {
                if (1..=passages).contains(&n) && !valid.contains(&n) {
                    valid.push(n);
                }
            }
            if text.is_empty() {
                // markers alone ("[2]" on its own) add to the sentence before them
                if let Some(last) = kept.last_mut() {
                    for n in valid {
                        if !last.1.contains(&n) {
                            last.1.push(n);
                        }
                    }
                }
                continue;
            }
            if valid.is_empty() {
                w.dropped += 1;
            } else {
                kept.push((text, valid));
            }
        }
        if !kept.is_empty() {
            w.lines.push(Line {
                prefix,
                sentences: kept,
                paragraph: paragraph && !w.lines.is_empty(),
            });
            paragraph = false;
        }
    }
    w
}

/// The written answer: the data pointers (for a data question), the model's cited sentences
/// with their markers renumbered to the answer's citations, a code example of the first cited
/// passage that has one (for a how-to question), and the sources.
pub fn written_answer(
    ix: &DocsIndex,
    question: &str,
    r: &Retrieval,
    reply: &str,
    model: &str,
) -> Result<Answer, String> {
    let w = parse_reply(reply, r.chosen.len());
    if w.declined {
        return Err("the model found no answer in the passages".into());
    }
    if w.lines.is_empty() {
        return Err(format!(
            "the model's answer cited none of the {} passages ({} sentences without a valid [n])",
            r.chosen.len(),
            w.dropped
        ));
    }
    let mut cites = Citations::default();
    let mut parts = Vec::new();
    let mut operations = Vec::new();
    if let Some((text, ops)) = answer::data_part(ix, r, &mut cites) {
        parts.push(text);
        operations = ops;
    }
    let mut cited = vec![false; r.chosen.len()];
    let mut body = String::new();
    for line in &w.lines {
        if !body.is_empty() {
            body.push_str(if line.paragraph { "\n\n" } else { "\n" });
        }
        body.push_str(&line.prefix);
        for (i, (text, passages)) in line.sentences.iter().enumerate() {
            if i > 0 {
                body.push(' ');
            }
            body.push_str(text);
            body.push(' ');
            for &n in passages {
                cited[n - 1] = true;
                body.push_str(&format!("[{}]", cites.number(ix, r.chosen[n - 1].pid)));
            }
        }
    }
    parts.push(body);
    let code = r
        .chosen
        .iter()
        .zip(&cited)
        .filter(|(_, c)| **c)
        .find_map(|(h, _)| {
            let n = cites.number(ix, h.pid);
            answer::code_part(ix, question, h.pid, n)
        });
    parts.extend(code);
    let mut a = answer::finish(ix, parts, cites, operations, Mode::Llm);
    a.model = Some(model.to_owned());
    a.uncited_dropped = w.dropped;
    Ok(a)
}

/// docs_ask_question with `llm`: retrieval as for the extractive answer; no passages, no call.
pub async fn ask(ix: &DocsIndex, llm: &Llm, question: &str) -> Answer {
    let r = answer::retrieve(ix, question);
    if r.chosen.is_empty() {
        // nothing for a model to write from: "not covered", or the operations for a data question
        return answer::compose(ix, question, &r);
    }
    let written = match llm.complete(SYSTEM, &prompt(ix, question, &r)).await {
        Ok(reply) => written_answer(ix, question, &r, &reply, llm.model()),
        Err(e) => Err(e),
    };
    match written {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(
                "docs_ask_question: the extractive answer is given instead of {}'s: {e}",
                llm.model()
            );
            let mut a = answer::compose(ix, question, &r);
            a.llm_error = Some(e);
            a
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_in_their_usual_forms() {
        let c = |s: &str| marker_at(&s.chars().collect::<Vec<_>>(), 0).map(|m| m.1);
        assert_eq!(c("[1]"), Some(vec![1]));
        assert_eq!(c("[1, 3]"), Some(vec![1, 3]));
        assert_eq!(c("[2-4]"), Some(vec![2, 3, 4]));
        assert_eq!(c("[^2]"), Some(vec![2]));
        assert_eq!(c("[a]"), None);
        assert_eq!(c("[]"), None);
        assert_eq!(c("[1-300]"), None);
    }

    #[test]
    fn only_cited_sentences_are_kept_with_their_markers() {
        let w = parse_reply(
            "Tokens expire after a day [1]. This is widely known. Revoke one with the CLI. [2]\n\n\
             - First step [1].\n- Unsupported claim.\n\n```sh\nidmcp x\n```\n\nSources:\n[1] Page",
            2,
        );
        assert_eq!(w.dropped, 3, "{w:?}");
        assert_eq!(
            w.lines,
            vec![
                Line {
                    prefix: String::new(),
                    sentences: vec![
                        ("Tokens expire after a day.".into(), vec![1]),
                        ("Revoke one with the CLI.".into(), vec![2])
                    ],
                    paragraph: false
                },
                Line {
                    prefix: "- ".into(),
                    sentences: vec![("First step.".into(), vec![1])],
                    paragraph: true
                },
            ]
        );
    }

    #[test]
    fn out_of_range_markers_do_not_count_and_a_refusal_is_recognised() {
        let w = parse_reply("It works [7]. It is fast [0].", 3);
        assert!(w.lines.is_empty());
        assert_eq!(w.dropped, 2);
        assert!(parse_reply(" NOT_ANSWERED\n", 3).declined);
        assert!(
            !parse_reply("<think>hmm</think>It is [1].", 1)
                .lines
                .is_empty()
        );
    }

    #[test]
    fn abbreviations_and_versions_do_not_end_sentences() {
        assert_eq!(
            split_sentences("Use a method, e.g. SAML [1]. Version 1.2 is out. [2] Done."),
            vec![
                "Use a method, e.g. SAML [1].",
                "Version 1.2 is out. [2]",
                "Done."
            ]
        );
    }

    #[test]
    fn settings_are_checked_with_a_way_to_fix_them() {
        let err = |u: Option<&str>, m: Option<&str>| Llm::from_settings(u, m, None).unwrap_err();
        assert!(err(Some("https://api.example/v1"), None).contains("--llm-model"));
        assert!(err(None, Some("m")).contains("--llm-url"));
        assert!(err(Some("http://api.example/v1"), Some("m")).contains("https://"));
        assert!(err(Some("ftp://api.example/v1"), Some("m")).contains("https://"));
        assert!(err(Some("not a url"), Some("m")).contains("base URL"));
        assert!(err(Some("https://u:p@api.example/v1"), Some("m")).contains("IDMCP_LLM_KEY"));
        assert!(
            Llm::from_settings(None, None, Some("k".into()))
                .unwrap()
                .is_none()
        );
        let l = Llm::from_settings(
            Some("http://127.0.0.1:9/v1/"),
            Some("m"),
            Some("sk-secret".into()),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            l.endpoint.to_string(),
            "http://127.0.0.1:9/v1/chat/completions"
        );
        assert_eq!(l.origin(), "http://127.0.0.1:9");
        assert!(!format!("{l:?}").contains("sk-secret"));
        let full = Llm::new(
            "https://h.example/openai/v1/chat/completions?x=1",
            "m",
            None,
        )
        .unwrap();
        assert_eq!(
            full.endpoint.to_string(),
            "https://h.example/openai/v1/chat/completions?x=1"
        );
        assert!(Llm::new("http://[::1]:8080/v1", "m", None).is_ok());
        assert!(Llm::new("http://localhost:8080/v1", "m", None).is_ok());
    }
}
