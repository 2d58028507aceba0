//! Document collections: identity resources stored as JSON per project, with the lookup and
//! uniqueness keys the catalog declares extracted on every write ([`Docs`]), and the pure
//! key extraction every backend shares ([`extract`], [`key_text`]).

use serde_json::Value;

use super::Result;

/// The values at `path` in `doc`. Paths are dotted; `a[]` walks every element of array `a`,
/// and an array at the end of a path yields each element (so `loginIds` yields every loginId).
pub fn extract<'a>(doc: &'a Value, path: &str) -> Vec<&'a Value> {
    let mut current = vec![doc];
    for seg in path.split('.') {
        let (name, each) = match seg.strip_suffix("[]") {
            Some(n) => (n, true),
            None => (seg, false),
        };
        let mut next = Vec::new();
        for v in current {
            if let Some(x) = v.get(name) {
                match x {
                    Value::Array(items) if each => next.extend(items.iter()),
                    _ => next.push(x),
                }
            }
        }
        current = next;
    }
    current
        .into_iter()
        .flat_map(|v| match v {
            Value::Array(items) => items.iter().collect::<Vec<_>>(),
            other => vec![other],
        })
        .filter(|v| !v.is_null())
        .collect()
}

/// The normalised text of a key value (strings lower-cased so lookups ignore case).
pub fn key_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.to_lowercase()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Identity resources (users, tenants, roles, keys, lists, settings…) as JSON documents per
/// project and collection. Each write refreshes the document's keys for the paths given
/// (see [`crate::engine::indexed_paths`]); lookups by key ignore ASCII case for strings.
pub trait Docs {
    fn get(&self, project: &str, coll: &str, id: &str) -> Result<Option<Value>>;
    /// Ids whose key `path` equals `value` (by [`key_text`]), sorted.
    fn ids_by_key(
        &self,
        project: &str,
        coll: &str,
        path: &str,
        value: &Value,
    ) -> Result<Vec<String>>;
    /// Inserts or replaces a document (keeping its first `created`) and refreshes its keys.
    fn put(
        &self,
        project: &str,
        coll: &str,
        id: &str,
        doc: &Value,
        created: i64,
        paths: &[String],
    ) -> Result<()>;
    /// Whether a document was there to delete.
    fn delete(&self, project: &str, coll: &str, id: &str) -> Result<bool>;
    /// Every document of a collection, oldest first (then by id).
    fn scan(&self, project: &str, coll: &str) -> Result<Vec<(String, Value)>>;
    /// Documents whose keys match every `(path, any of key texts)` constraint, oldest first.
    fn select(
        &self,
        project: &str,
        coll: &str,
        constraints: &[(String, Vec<String>)],
    ) -> Result<Vec<(String, Value)>>;
    fn count(&self, project: &str, coll: &str) -> Result<i64>;
    /// The collections a project holds documents in, sorted.
    fn collections(&self, project: &str) -> Result<Vec<String>>;
    /// Rebuilds the keys of `coll` (every project) for `paths` when they differ from the
    /// paths it was last built for; returns how many documents were re-indexed.
    fn ensure_index(&self, coll: &str, paths: &[String]) -> Result<usize>;
}
