//! Document collections: identity resources stored as JSON per project, with the lookup and
//! uniqueness keys the catalog declares extracted into `doc_keys` on every write.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

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
    current.into_iter().flat_map(|v| match v {
        Value::Array(items) => items.iter().collect::<Vec<_>>(),
        other => vec![other],
    }).filter(|v| !v.is_null()).collect()
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

pub fn get(conn: &Connection, project: &str, coll: &str, id: &str) -> rusqlite::Result<Option<Value>> {
    let mut st = conn.prepare_cached("SELECT doc FROM docs WHERE project_id=?1 AND collection=?2 AND id=?3")?;
    let text: Option<String> = st.query_row(params![project, coll, id], |r| r.get(0)).optional()?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

/// Ids whose key `path` equals `value` (case-insensitive for strings).
pub fn ids_by_key(conn: &Connection, project: &str, coll: &str, path: &str, value: &Value) -> rusqlite::Result<Vec<String>> {
    let Some(v) = key_text(value) else { return Ok(Vec::new()) };
    let mut st = conn.prepare_cached("SELECT id FROM doc_keys WHERE project_id=?1 AND collection=?2 AND path=?3 AND value=?4 ORDER BY id")?;
    let rows = st.query_map(params![project, coll, path, v], |r| r.get(0))?;
    rows.collect()
}

/// Inserts or replaces a document and refreshes its keys for `paths`.
pub fn put(conn: &Connection, project: &str, coll: &str, id: &str, doc: &Value, created: i64, paths: &[String]) -> rusqlite::Result<()> {
    let text = serde_json::to_string(doc).expect("JSON values serialize");
    conn.prepare_cached(
        "INSERT INTO docs (project_id, collection, id, doc, created) VALUES (?1,?2,?3,?4,?5) \
         ON CONFLICT (project_id, collection, id) DO UPDATE SET doc=excluded.doc",
    )?
    .execute(params![project, coll, id, text, created])?;
    conn.prepare_cached("DELETE FROM doc_keys WHERE project_id=?1 AND collection=?2 AND id=?3")?.execute(params![project, coll, id])?;
    let mut ins = conn.prepare_cached("INSERT OR IGNORE INTO doc_keys (project_id, collection, path, value, id) VALUES (?1,?2,?3,?4,?5)")?;
    for path in paths {
        for v in extract(doc, path) {
            if let Some(t) = key_text(v) {
                ins.execute(params![project, coll, path, t, id])?;
            }
        }
    }
    Ok(())
}

pub fn delete(conn: &Connection, project: &str, coll: &str, id: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("DELETE FROM doc_keys WHERE project_id=?1 AND collection=?2 AND id=?3")?.execute(params![project, coll, id])?;
    let n = conn.prepare_cached("DELETE FROM docs WHERE project_id=?1 AND collection=?2 AND id=?3")?.execute(params![project, coll, id])?;
    Ok(n > 0)
}

/// Every document of a collection, oldest first.
pub fn scan(conn: &Connection, project: &str, coll: &str) -> rusqlite::Result<Vec<(String, Value)>> {
    let mut st = conn.prepare_cached("SELECT id, doc FROM docs WHERE project_id=?1 AND collection=?2 ORDER BY created, id")?;
    let rows = st.query_map(params![project, coll], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, text) = row?;
        if let Ok(v) = serde_json::from_str(&text) {
            out.push((id, v));
        }
    }
    Ok(out)
}

/// Documents whose keys match every `(path, any of values)` constraint, oldest first.
pub fn select(conn: &Connection, project: &str, coll: &str, constraints: &[(String, Vec<String>)]) -> rusqlite::Result<Vec<(String, Value)>> {
    if constraints.is_empty() {
        return scan(conn, project, coll);
    }
    let mut sql = String::from("SELECT d.id, d.doc FROM docs d WHERE d.project_id=?1 AND d.collection=?2");
    let mut args: Vec<String> = vec![project.to_owned(), coll.to_owned()];
    for (path, values) in constraints {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        args.push(path.clone());
        let p = args.len();
        let mut holes = Vec::new();
        for v in values {
            args.push(v.clone());
            holes.push(format!("?{}", args.len()));
        }
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM doc_keys k WHERE k.project_id=d.project_id AND k.collection=d.collection AND k.id=d.id AND k.path=?{p} AND k.value IN ({}))",
            holes.join(",")
        ));
    }
    sql.push_str(" ORDER BY d.created, d.id");
    let mut st = conn.prepare(&sql)?;
    let rows = st.query_map(rusqlite::params_from_iter(args.iter()), |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, text) = row?;
        if let Ok(v) = serde_json::from_str(&text) {
            out.push((id, v));
        }
    }
    Ok(out)
}

/// How many documents a collection holds in a project.
pub fn count(conn: &Connection, project: &str, coll: &str) -> rusqlite::Result<i64> {
    conn.prepare_cached("SELECT COUNT(*) FROM docs WHERE project_id=?1 AND collection=?2")?.query_row(params![project, coll], |r| r.get(0))
}

/// The collections a project holds documents in, sorted.
pub fn collections(conn: &Connection, project: &str) -> rusqlite::Result<Vec<String>> {
    let mut st = conn.prepare_cached("SELECT DISTINCT collection FROM docs WHERE project_id=?1 ORDER BY collection")?;
    let rows = st.query_map([project], |r| r.get::<_, String>(0))?;
    rows.collect()
}

/// Rebuilds `doc_keys` of `coll` (every project) for `paths` when they differ from the paths
/// it was last built for; returns how many documents were re-indexed.
pub fn ensure_index(conn: &Connection, coll: &str, paths: &[String]) -> rusqlite::Result<usize> {
    let wanted = serde_json::to_string(paths).expect("strings serialize");
    let built: Option<String> = conn.query_row("SELECT paths FROM index_versions WHERE collection=?1", [coll], |r| r.get(0)).optional()?;
    if built.as_deref() == Some(wanted.as_str()) {
        return Ok(0);
    }
    let mut n = 0;
    {
        let mut st = conn.prepare("SELECT project_id, id, doc FROM docs WHERE collection=?1")?;
        let rows: Vec<(String, String, String)> = st.query_map([coll], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?.collect::<rusqlite::Result<_>>()?;
        conn.execute("DELETE FROM doc_keys WHERE collection=?1", [coll])?;
        let mut ins = conn.prepare_cached("INSERT OR IGNORE INTO doc_keys (project_id, collection, path, value, id) VALUES (?1,?2,?3,?4,?5)")?;
        for (project, id, text) in rows {
            let Ok(doc) = serde_json::from_str::<Value>(&text) else { continue };
            for path in paths {
                for v in extract(&doc, path) {
                    if let Some(t) = key_text(v) {
                        ins.execute(params![project, coll, path, t, id])?;
                    }
                }
            }
            n += 1;
        }
    }
    conn.execute("INSERT INTO index_versions (collection, paths) VALUES (?1, ?2) ON CONFLICT (collection) DO UPDATE SET paths=excluded.paths", params![coll, wanted])?;
    Ok(n)
}
