//! Text analysis shared by the index and the queries: the tantivy analyzer (words, lower case,
//! English stemming), the query stop words, and helpers that turn text into stemmed terms.

use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, TextAnalyzer,
};

/// Name under which [`analyzer`] is registered in the index.
pub const ANALYZER: &str = "idmcp_en";

/// Words, lower-cased and stemmed (Snowball English). Stop words stay in the index so that
/// phrases such as "sign in" or "log in" can be matched; queries drop them (see [`is_stop`]).
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(Stemmer::new(Language::English))
        .build()
}

fn words_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .build()
}

/// Lower-cased words of `text`, unstemmed, in order.
pub fn words(text: &str) -> Vec<String> {
    let mut a = words_analyzer();
    let mut ts = a.token_stream(text);
    let mut out = Vec::new();
    while ts.advance() {
        out.push(ts.token().text.clone());
    }
    out
}

/// Stemmed terms of `text`, in order (stop words included), exactly as the index sees them.
pub fn terms(text: &str) -> Vec<String> {
    let mut a = analyzer();
    let mut ts = a.token_stream(text);
    let mut out = Vec::new();
    while ts.advance() {
        out.push(ts.token().text.clone());
    }
    out
}

/// The stem of one lower-case word.
pub fn stem(word: &str) -> String {
    terms(word).into_iter().next().unwrap_or_default()
}

/// Words that carry no topic in a question: function words, question words and the filler
/// of requests to an assistant ("show me", "how do I", "the docs").
const STOP: &[&str] = &[
    "a",
    "about",
    "after",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "been",
    "before",
    "being",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "doc",
    "docs",
    "documentation",
    "does",
    "doesn",
    "don",
    "each",
    "either",
    "else",
    "etc",
    "ever",
    "every",
    "for",
    "from",
    "get",
    "give",
    "good",
    "had",
    "has",
    "have",
    "he",
    "her",
    "here",
    "him",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "just",
    "let",
    "like",
    "ll",
    "look",
    "m",
    "many",
    "me",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "need",
    "no",
    "not",
    "now",
    "of",
    "on",
    "one",
    "only",
    "or",
    "other",
    "our",
    "out",
    "please",
    "re",
    "s",
    "same",
    "she",
    "should",
    "show",
    "so",
    "some",
    "still",
    "such",
    "t",
    "tell",
    "than",
    "that",
    "the",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "up",
    "us",
    "ve",
    "very",
    "want",
    "was",
    "way",
    "we",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "without",
    "would",
    "you",
    "your",
    "yours",
];

/// Whether a lower-case word is a query stop word.
pub fn is_stop(word: &str) -> bool {
    STOP.binary_search(&word).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_words_are_sorted_for_binary_search() {
        assert!(
            STOP.windows(2).all(|w| w[0] < w[1]),
            "STOP must be sorted and unique"
        );
    }

    #[test]
    fn stems_like_the_index() {
        assert_eq!(
            terms("Users signing in with Passkeys"),
            ["user", "sign", "in", "with", "passkey"]
        );
        assert_eq!(stem("tenants"), "tenant");
    }
}
