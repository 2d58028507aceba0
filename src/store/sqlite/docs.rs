//! [`Docs`] on SQLite: documents in `docs`, their extracted keys in `doc_keys`, and the
//! paths each collection's keys were built for in `index_versions`.

use rusqlite::{OptionalExtension, params};
use serde_json::Value;

use super::SqliteDb;
use crate::store::Result;
use crate::store::docs::{Docs, extract, key_text};

impl Docs for SqliteDb {
    fn get(&self, project: &str, coll: &str, id: &str) -> Result<Option<Value>> {
        let conn = &*self.conn;
        let mut st = conn.prepare_cached(
            "SELECT doc FROM docs WHERE project_id=?1 AND collection=?2 AND id=?3",
        )?;
        let text: Option<String> = st
            .query_row(params![project, coll, id], |r| r.get(0))
            .optional()?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Ids whose key `path` equals `value` (case-insensitive for strings).
    fn ids_by_key(
        &self,
        project: &str,
        coll: &str,
        path: &str,
        value: &Value,
    ) -> Result<Vec<String>> {
        let conn = &*self.conn;
        let Some(v) = key_text(value) else {
            return Ok(Vec::new());
        };
        let mut st = conn.prepare_cached("SELECT id FROM doc_keys WHERE project_id=?1 AND collection=?2 AND path=?3 AND value=?4 ORDER BY id")?;
        let rows = st.query_map(params![project, coll, path, v], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Inserts or replaces a document and refreshes its keys for `paths`.
    fn put(
        &self,
        project: &str,
        coll: &str,
        id: &str,
        doc: &Value,
        created: i64,
        paths: &[String],
    ) -> Result<()> {
        let conn = &*self.conn;
        let text = serde_json::to_string(doc).expect("JSON values serialize");
        conn.prepare_cached(
            "INSERT INTO docs (project_id, collection, id, doc, created) VALUES (?1,?2,?3,?4,?5) \
             ON CONFLICT (project_id, collection, id) DO UPDATE SET doc=excluded.doc",
        )?
        .execute(params![project, coll, id, text, created])?;
        conn.prepare_cached(
            "DELETE FROM doc_keys WHERE project_id=?1 AND collection=?2 AND id=?3",
        )?
        .execute(params![project, coll, id])?;
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

    fn delete(&self, project: &str, coll: &str, id: &str) -> Result<bool> {
        let conn = &*self.conn;
        conn.prepare_cached(
            "DELETE FROM doc_keys WHERE project_id=?1 AND collection=?2 AND id=?3",
        )?
        .execute(params![project, coll, id])?;
        let n = conn
            .prepare_cached("DELETE FROM docs WHERE project_id=?1 AND collection=?2 AND id=?3")?
            .execute(params![project, coll, id])?;
        Ok(n > 0)
    }

    /// Every document of a collection, oldest first.
    fn scan(&self, project: &str, coll: &str) -> Result<Vec<(String, Value)>> {
        let conn = &*self.conn;
        let mut st = conn.prepare_cached(
            "SELECT id, doc FROM docs WHERE project_id=?1 AND collection=?2 ORDER BY created, id",
        )?;
        id_docs(&mut st, params![project, coll])
    }

    /// Documents whose keys match every `(path, any of values)` constraint, oldest first.
    fn select(
        &self,
        project: &str,
        coll: &str,
        constraints: &[(String, Vec<String>)],
    ) -> Result<Vec<(String, Value)>> {
        let conn = &*self.conn;
        if constraints.is_empty() {
            return self.scan(project, coll);
        }
        let mut sql = String::from(
            "SELECT d.id, d.doc FROM docs d WHERE d.project_id=?1 AND d.collection=?2",
        );
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
            // `d.id IN (keys)`, not a correlated EXISTS per document: SQLite then reads only the
            // matching keys and fetches those documents by primary key, instead of walking the
            // whole collection (100k users: ~90 ms → the size of the answer).
            sql.push_str(&format!(
                " AND d.id IN (SELECT k.id FROM doc_keys k WHERE k.project_id=?1 AND k.collection=?2 AND k.path=?{p} AND k.value IN ({}))",
                holes.join(",")
            ));
        }
        sql.push_str(" ORDER BY d.created, d.id");
        let mut st = conn.prepare(&sql)?;
        id_docs(&mut st, rusqlite::params_from_iter(args.iter()))
    }

    /// How many documents a collection holds in a project.
    fn count(&self, project: &str, coll: &str) -> Result<i64> {
        let conn = &*self.conn;
        Ok(conn
            .prepare_cached("SELECT COUNT(*) FROM docs WHERE project_id=?1 AND collection=?2")?
            .query_row(params![project, coll], |r| r.get(0))?)
    }

    /// The collections a project holds documents in, sorted.
    fn collections(&self, project: &str) -> Result<Vec<String>> {
        let conn = &*self.conn;
        let mut st = conn.prepare_cached(
            "SELECT DISTINCT collection FROM docs WHERE project_id=?1 ORDER BY collection",
        )?;
        let rows = st.query_map([project], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Rebuilds `doc_keys` of `coll` (every project) for `paths` when they differ from the paths
    /// it was last built for; returns how many documents were re-indexed.
    fn ensure_index(&self, coll: &str, paths: &[String]) -> Result<usize> {
        let conn = &*self.conn;
        let wanted = serde_json::to_string(paths).expect("strings serialize");
        let built: Option<String> = conn
            .query_row(
                "SELECT paths FROM index_versions WHERE collection=?1",
                [coll],
                |r| r.get(0),
            )
            .optional()?;
        if built.as_deref() == Some(wanted.as_str()) {
            return Ok(0);
        }
        let mut n = 0;
        {
            let mut st =
                conn.prepare("SELECT project_id, id, doc FROM docs WHERE collection=?1")?;
            let rows: Vec<(String, String, String)> = st
                .query_map([coll], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<rusqlite::Result<_>>()?;
            conn.execute("DELETE FROM doc_keys WHERE collection=?1", [coll])?;
            let mut ins = conn.prepare_cached("INSERT OR IGNORE INTO doc_keys (project_id, collection, path, value, id) VALUES (?1,?2,?3,?4,?5)")?;
            for (project, id, text) in rows {
                let Ok(doc) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
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
}

/// The `(id, doc)` rows of a statement selecting `id, doc`, documents parsed (a row whose text
/// is not JSON is skipped: every write stores serialised JSON, so that is only a damaged row).
fn id_docs(
    st: &mut rusqlite::Statement<'_>,
    args: impl rusqlite::Params,
) -> Result<Vec<(String, Value)>> {
    let rows = st.query_map(args, |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (id, text) = row?;
        if let Ok(v) = serde_json::from_str(&text) {
            out.push((id, v));
        }
    }
    Ok(out)
}
