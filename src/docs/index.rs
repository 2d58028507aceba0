//! The in-memory tantivy index over the corpus passages, built once on first use, with the
//! per-passage term sets and document frequencies that coverage and snippets need.

use std::collections::{HashMap, HashSet};

use tantivy::schema::{
    Field, INDEXED, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::{Index, IndexReader, IndexWriter, TantivyDocument};

use super::analysis;
use super::corpus::{self, Passage};
use super::snippet::{self, Sentence};
use super::synonyms::Synonyms;

/// The searchable fields of a passage, each with its own BM25 statistics.
#[derive(Clone, Copy)]
pub struct Fields {
    pub pid: Field,
    pub title: Field,
    pub section: Field,
    pub body: Field,
    pub context: Field,
}

impl Fields {
    /// The text fields with the boost a match in each is worth.
    pub fn weighted(&self) -> [(Field, f32); 4] {
        [
            (self.title, 2.0),
            (self.section, 1.5),
            (self.body, 1.0),
            (self.context, 0.5),
        ]
    }
}

/// Everything a search needs, built once.
pub struct DocsIndex {
    pub passages: Vec<Passage>,
    /// Stemmed terms of each passage (title, section, body).
    pub terms: Vec<HashSet<String>>,
    /// The prose sentences of each passage, analysed once for snippets and answers.
    pub sentences: Vec<Vec<Sentence>>,
    /// In how many passages each stemmed term occurs.
    pub df: HashMap<String, usize>,
    pub fields: Fields,
    pub index: Index,
    pub reader: IndexReader,
    pub synonyms: Synonyms,
}

impl DocsIndex {
    /// Builds the index over the embedded pages and the operation catalog.
    pub fn build() -> tantivy::Result<DocsIndex> {
        Self::from_passages(corpus::passages())
    }

    pub fn from_passages(passages: Vec<Passage>) -> tantivy::Result<DocsIndex> {
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(analysis::ANALYZER)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        );
        let mut sb = Schema::builder();
        let fields = Fields {
            pid: sb.add_u64_field("pid", INDEXED | STORED),
            title: sb.add_text_field("title", text.clone()),
            section: sb.add_text_field("section", text.clone()),
            body: sb.add_text_field("body", text.clone()),
            context: sb.add_text_field("context", text),
        };
        let index = Index::create_in_ram(sb.build());
        index
            .tokenizers()
            .register(analysis::ANALYZER, analysis::analyzer());
        let mut writer: IndexWriter = index.writer_with_num_threads(1, 15_000_000)?;
        let mut terms = Vec::with_capacity(passages.len());
        let mut df: HashMap<String, usize> = HashMap::new();
        for (i, p) in passages.iter().enumerate() {
            let body = p.body();
            let mut doc = TantivyDocument::default();
            doc.add_u64(fields.pid, i as u64);
            doc.add_text(fields.title, &p.title);
            if p.is_op {
                // "RotateAccessKey" is one token; its words make it findable as "rotate access key"
                doc.add_text(
                    fields.title,
                    corpus::split_camel(p.title.split(' ').next().unwrap_or_default()),
                );
            }
            if p.section != p.title {
                doc.add_text(fields.section, &p.section);
            }
            doc.add_text(fields.body, &body);
            doc.add_text(fields.context, &p.context);
            writer.add_document(doc)?;
            let set: HashSet<String> =
                analysis::terms(&format!("{}\n{}\n{}", p.title, p.section, body))
                    .into_iter()
                    .collect();
            for t in &set {
                *df.entry(t.clone()).or_default() += 1;
            }
            terms.push(set);
        }
        writer.commit()?;
        let reader = index.reader()?;
        let sentences = passages.iter().map(snippet::sentences).collect();
        Ok(DocsIndex {
            passages,
            terms,
            sentences,
            df,
            fields,
            index,
            reader,
            synonyms: Synonyms::new(),
        })
    }

    /// Inverse document frequency of a stemmed term over passages (unknown terms score highest).
    pub fn idf(&self, term: &str) -> f32 {
        let n = self.passages.len() as f32;
        let df = self.df.get(term).copied().unwrap_or(0) as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }
}
