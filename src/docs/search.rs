//! docs_search: turns a natural-language query into a weighted tantivy query (stemmed terms,
//! synonym expansions, phrases), ranks passages with BM25 across fields, and diversifies the
//! results so one page does not fill the list.

use std::collections::HashMap;

use tantivy::collector::TopDocs;
use tantivy::query::{
    BooleanQuery, BoostQuery, DisjunctionMaxQuery, Occur, PhraseQuery, Query, TermQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{TantivyDocument, Term};

use super::analysis;
use super::index::DocsIndex;
use super::snippet;

/// Weight of a synonym expansion relative to a word of the query.
const SYNONYM_WEIGHT: f32 = 0.5;
/// Weight of an exact two-word phrase of the query found in the text.
const PHRASE_WEIGHT: f32 = 0.6;
/// Generated operation references rank a little below written guidance on equal evidence.
const OP_WEIGHT: f32 = 0.8;
/// How many passages of one page a result list may hold.
const PER_PAGE: usize = 2;

/// A query after analysis.
pub struct Plan {
    /// Stemmed topic words of the query (stop words removed), in order, without repeats.
    pub words: Vec<String>,
    /// Synonym groups the query mentions: (query words covered by the group, alternatives).
    pub groups: Vec<(Vec<String>, Vec<Vec<String>>)>,
    /// Two-word phrases of the query (adjacent topic words).
    pub bigrams: Vec<[String; 2]>,
}

/// Request filler that is not part of the topic ("search the docs for ...").
const PREFIXES: &[&str] = &[
    "search the docs for",
    "search the docs on",
    "search the documentation for",
    "search docs for",
    "find the docs for",
    "find the docs on",
    "find the docs about",
    "find docs on",
    "find docs for",
    "look up the docs on",
    "docs on",
    "docs for",
];

impl Plan {
    pub fn new(ix: &DocsIndex, query: &str) -> Plan {
        let lower = query.trim().to_lowercase();
        let topic = PREFIXES
            .iter()
            .find_map(|p| lower.strip_prefix(p))
            .unwrap_or(&lower);
        let topic = topic.replace("e.g.", " ").replace("i.e.", " ");
        let raw = analysis::words(&topic);
        let full: Vec<String> = raw.iter().map(|w| analysis::stem(w)).collect();
        let mut words: Vec<String> = Vec::new();
        let mut bigrams = Vec::new();
        let mut prev: Option<String> = None;
        for (w, s) in raw.iter().zip(&full) {
            if analysis::is_stop(w) || s.is_empty() {
                prev = None;
                continue;
            }
            if let Some(p) = prev.take() {
                if p != *s {
                    bigrams.push([p, s.clone()]);
                }
            }
            prev = Some(s.clone());
            if !words.contains(s) {
                words.push(s.clone());
            }
        }
        let groups = ix
            .synonyms
            .expand(&full)
            .into_iter()
            .map(|(hit, other)| {
                let covered: Vec<String> = hit
                    .into_iter()
                    .flatten()
                    .filter(|t| words.contains(t))
                    .collect();
                (covered, other)
            })
            .collect();
        Plan {
            words,
            groups,
            bigrams,
        }
    }

    /// Whether the query has anything to look for.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.groups.iter().all(|g| g.1.is_empty())
    }

    /// Single terms with their weights: the query's words, then one-word synonyms.
    pub fn weighted_terms(&self) -> Vec<(String, f32)> {
        let mut out: Vec<(String, f32)> = self.words.iter().map(|w| (w.clone(), 1.0)).collect();
        for (_, alts) in &self.groups {
            for a in alts {
                if let [t] = a.as_slice() {
                    if !analysis::is_stop(t) && !out.iter().any(|(o, _)| o == t) {
                        out.push((t.clone(), SYNONYM_WEIGHT));
                    }
                }
            }
        }
        out
    }

    /// Terms weighted by their rarity, for sentence and snippet selection.
    pub fn idf_terms(&self, ix: &DocsIndex) -> Vec<(String, f32)> {
        self.weighted_terms()
            .into_iter()
            .map(|(t, w)| {
                let idf = ix.idf(&t);
                (t, w * idf)
            })
            .collect()
    }

    fn query(&self, ix: &DocsIndex) -> BooleanQuery {
        let f = ix.fields;
        // one alternative (a term or a phrase) in every field, each field with its boost
        let in_fields = |terms: &[String], w: f32| -> Box<dyn Query> {
            let clauses: Vec<(Occur, Box<dyn Query>)> = f
                .weighted()
                .into_iter()
                .map(|(field, boost)| {
                    let q: Box<dyn Query> = match terms {
                        [t] => Box::new(TermQuery::new(
                            Term::from_field_text(field, t),
                            IndexRecordOption::WithFreqs,
                        )),
                        _ => Box::new(PhraseQuery::new(
                            terms
                                .iter()
                                .map(|t| Term::from_field_text(field, t))
                                .collect(),
                        )),
                    };
                    (
                        Occur::Should,
                        Box::new(BoostQuery::new(q, w * boost)) as Box<dyn Query>,
                    )
                })
                .collect();
            Box::new(BooleanQuery::new(clauses))
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for w in &self.words {
            clauses.push((Occur::Should, in_fields(std::slice::from_ref(w), 1.0)));
        }
        // a synonym group counts once, as its best-matching alternative
        for (_, alts) in &self.groups {
            let alts: Vec<Box<dyn Query>> = alts
                .iter()
                .filter(|a| {
                    !(a.len() == 1 && (analysis::is_stop(&a[0]) || self.words.contains(&a[0])))
                })
                .map(|a| in_fields(a, SYNONYM_WEIGHT))
                .collect();
            if !alts.is_empty() {
                clauses.push((Occur::Should, Box::new(DisjunctionMaxQuery::new(alts))));
            }
        }
        for b in &self.bigrams {
            clauses.push((Occur::Should, in_fields(b, PHRASE_WEIGHT)));
        }
        BooleanQuery::new(clauses)
    }

    /// How much of the query's information, measured in idf, passage `pid` contains: the
    /// matched idf and the query's total. A word counts as present when a synonym is.
    pub fn evidence(&self, ix: &DocsIndex, pid: usize) -> (f32, f32) {
        let terms = &ix.terms[pid];
        let (mut have, mut total) = (0.0, 0.0);
        for w in &self.words {
            let idf = ix.idf(w);
            total += idf;
            let present = terms.contains(w)
                || self.groups.iter().any(|(covered, alts)| {
                    covered.contains(w) && alts.iter().any(|a| a.iter().all(|t| terms.contains(t)))
                });
            if present {
                have += idf;
            }
        }
        (have, total)
    }

    /// The share (0..1) of the query's information that passage `pid` contains.
    pub fn coverage(&self, ix: &DocsIndex, pid: usize) -> f32 {
        let (have, total) = self.evidence(ix, pid);
        if total == 0.0 { 0.0 } else { have / total }
    }
}

/// One ranked passage.
#[derive(Clone, Copy, Debug)]
pub struct Hit {
    pub pid: usize,
    pub score: f32,
}

/// All matching passages (up to `depth`), best first, before diversification.
pub fn rank(ix: &DocsIndex, plan: &Plan, depth: usize) -> Vec<Hit> {
    if plan.is_empty() {
        return Vec::new();
    }
    let searcher = ix.reader.searcher();
    let found = match searcher.search(
        &plan.query(ix),
        &TopDocs::with_limit(depth).order_by_score(),
    ) {
        Ok(f) => f,
        Err(e) => {
            tracing::warn!("docs search failed: {e}");
            return Vec::new();
        }
    };
    let mut hits: Vec<Hit> = found
        .into_iter()
        .filter_map(|(score, addr)| {
            let doc: TantivyDocument = searcher.doc(addr).ok()?;
            let pid = doc.get_first(ix.fields.pid)?.as_u64()? as usize;
            let weight = if ix.passages[pid].is_op {
                OP_WEIGHT
            } else {
                1.0
            };
            Some(Hit {
                pid,
                score: score * weight,
            })
        })
        .collect();
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.pid.cmp(&b.pid)));
    hits
}

/// At most [`PER_PAGE`] passages per page, in rank order.
pub fn diversify(hits: &[Hit], ix: &DocsIndex, limit: usize) -> Vec<Hit> {
    let mut per_page: HashMap<&str, usize> = HashMap::new();
    let mut out = Vec::new();
    for h in hits {
        let n = per_page
            .entry(ix.passages[h.pid].page.as_str())
            .or_default();
        if *n < PER_PAGE {
            *n += 1;
            out.push(*h);
            if out.len() == limit {
                break;
            }
        }
    }
    out
}

/// One result of docs_search.
#[derive(serde::Serialize, Debug, Clone)]
pub struct SearchResult {
    pub page: String,
    pub title: String,
    pub section: String,
    pub anchor: String,
    pub link: String,
    pub snippet: String,
    pub score: f32,
}

/// docs_search: the best `limit` passages for `query`.
pub fn search(ix: &DocsIndex, query: &str, limit: usize) -> Vec<SearchResult> {
    let plan = Plan::new(ix, query);
    let hits = rank(ix, &plan, 60);
    let idf_terms = plan.idf_terms(ix);
    diversify(&hits, ix, limit)
        .into_iter()
        .map(|h| {
            let p = &ix.passages[h.pid];
            SearchResult {
                page: p.page.clone(),
                title: p.title.clone(),
                section: p.section.clone(),
                anchor: p.anchor.clone(),
                link: p.link.clone(),
                snippet: snippet::snippet(&ix.sentences[h.pid], &idf_terms, 320),
                score: (h.score * 1000.0).round() / 1000.0,
            }
        })
        .collect()
}
