//! Sentences and snippets: splits passage prose into sentences, cleans Markdown for display,
//! and picks the sentences that best match a query.

use std::collections::HashSet;

use super::analysis;
use super::corpus::{Block, Passage};

/// One sentence of a passage, with its position and stemmed terms.
#[derive(Clone)]
pub struct Sentence {
    pub text: String,
    /// Index of the prose block it comes from, and its order inside the passage.
    pub block: usize,
    pub pos: usize,
    pub terms: HashSet<String>,
}

/// Drops Markdown emphasis and link targets; keeps inline code.
pub fn clean(md: &str) -> String {
    let mut s = md.replace("**", "");
    // [text](url) -> text
    while let Some(open) = s.find("](") {
        let Some(start) = s[..open].rfind('[') else {
            break;
        };
        let Some(close) = s[open..].find(')') else {
            break;
        };
        let text = s[start + 1..open].to_owned();
        s.replace_range(start..open + close + 1, &text);
    }
    s.trim().to_owned()
}

fn split_sentences(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        cur.push(c);
        if matches!(c, '.' | '?' | '!') && chars.get(i + 1).is_some_and(|n| n.is_whitespace()) {
            let next = chars[i + 1..].iter().find(|c| !c.is_whitespace());
            let abbrev = cur.ends_with("e.g.")
                || cur.ends_with("i.e.")
                || cur.ends_with("vs.")
                || cur.ends_with("etc.");
            if !abbrev
                && next.is_some_and(|n| {
                    n.is_uppercase() || n.is_ascii_digit() || matches!(n, '`' | '"' | '(' | '*')
                })
            {
                out.push(cur.trim().to_owned());
                cur.clear();
            }
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_owned());
    }
    out
}

/// The sentences of a passage's prose (a list item or table row counts as one sentence or more).
pub fn sentences(p: &Passage) -> Vec<Sentence> {
    let mut out = Vec::new();
    for (bi, b) in p.blocks.iter().enumerate() {
        if let Block::Prose(t) = b {
            for s in split_sentences(&clean(t)) {
                let terms = analysis::terms(&s).into_iter().collect();
                out.push(Sentence {
                    text: s,
                    block: bi,
                    pos: out.len(),
                    terms,
                });
            }
        }
    }
    out
}

/// How well a sentence matches weighted query terms (idf-weighted, mildly length-normalised).
pub fn score(terms: &HashSet<String>, query: &[(String, f32)]) -> f32 {
    let hit: f32 = query
        .iter()
        .filter(|(t, _)| terms.contains(t))
        .map(|(_, w)| w)
        .sum();
    hit / (1.0 + terms.len() as f32 / 60.0)
}

/// [`score`], halved for a sentence that only introduces what follows it ("… as follows:").
pub fn score_sentence(s: &Sentence, query: &[(String, f32)]) -> f32 {
    let lead_in = if s.text.ends_with(':') { 0.5 } else { 1.0 };
    score(&s.terms, query) * lead_in
}

/// The best snippet of a passage: the best sentence and, while it fits, its neighbours.
pub fn snippet(sents: &[Sentence], query: &[(String, f32)], max_chars: usize) -> String {
    let Some(best) = sents
        .iter()
        .enumerate()
        .max_by(|a, b| {
            score_sentence(a.1, query)
                .total_cmp(&score_sentence(b.1, query))
                .then(b.0.cmp(&a.0))
        })
        .map(|(i, _)| i)
    else {
        return String::new();
    };
    let (mut lo, mut hi) = (best, best);
    let mut len = sents[best].text.len();
    loop {
        let next = sents.get(hi + 1).filter(|s| len + s.text.len() < max_chars);
        if let Some(s) = next {
            len += s.text.len() + 1;
            hi += 1;
            continue;
        }
        match lo
            .checked_sub(1)
            .and_then(|i| sents.get(i))
            .filter(|s| len + s.text.len() < max_chars)
        {
            Some(s) => {
                len += s.text.len() + 1;
                lo -= 1;
            }
            None => break,
        }
    }
    let mut text = sents[lo..=hi]
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    if text.len() > max_chars {
        let cut = (0..=max_chars)
            .rev()
            .find(|i| text.is_char_boundary(*i))
            .unwrap_or(0);
        let cut = text[..cut].rfind(' ').unwrap_or(cut);
        text.truncate(cut);
        text.push_str(" …");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sentences_but_not_abbreviations() {
        let s = split_sentences("Use a key, e.g. the admin one. Then rotate it. `ci-bot` is next.");
        assert_eq!(
            s,
            [
                "Use a key, e.g. the admin one.",
                "Then rotate it.",
                "`ci-bot` is next."
            ]
        );
    }

    #[test]
    fn cleans_links_and_bold() {
        assert_eq!(
            clean("See **the** [guide](../x.md) now"),
            "See the guide now"
        );
    }
}
