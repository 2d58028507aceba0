//! [`Events`] on SQLite: the `audit_events` SQL (insert, filtered search with paging, the
//! one-pass aggregation behind analytics) and the projection of the `journal` table onto
//! audit-event columns for searches that take in idmcp's own records.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, Statement, params};
use serde_json::Value;

use super::SqliteDb;
use crate::store::Result;
use crate::store::events::{
    Aggregate, DAY_MS, Event, Events, Filter, GroupBy, MCP_ACTIONS, MCP_INFO_OUTCOMES, Stored,
};

impl Events for SqliteDb {
    fn insert(&self, e: &Event) -> Result<()> {
        Ok(insert(&self.conn, e)?)
    }
    fn search(
        &self,
        f: &Filter,
        oldest_first: bool,
        offset: i64,
        limit: i64,
    ) -> Result<(Vec<Stored>, i64)> {
        Ok(search(&self.conn, f, oldest_first, offset, limit)?)
    }
    fn aggregate(&self, f: &Filter, g: &GroupBy) -> Result<Vec<Aggregate>> {
        Ok(aggregate(&self.conn, f, g)?)
    }
    fn oldest(&self, project_id: &str) -> Result<Option<i64>> {
        Ok(oldest(&self.conn, project_id)?)
    }
}

const INSERT_SQL: &str = "INSERT INTO audit_events (project_id, occurred, action, type, actor_id, user_id, login_id, method, device, geo, remote_address, tenants, data) \
     VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)";

fn insert_with(st: &mut Statement<'_>, e: &Event) -> rusqlite::Result<()> {
    st.execute(params![
        e.project_id,
        e.occurred,
        e.action,
        if e.kind.is_empty() { "info" } else { &e.kind },
        e.actor_id,
        e.user_id,
        e.login_id,
        e.method,
        e.device,
        e.geo,
        e.remote_address,
        serde_json::to_string(&e.tenants).expect("strings serialize"),
        if e.data.is_null() {
            "{}".to_owned()
        } else {
            serde_json::to_string(&e.data).expect("JSON serializes")
        },
    ])?;
    Ok(())
}

fn insert(conn: &Connection, e: &Event) -> rusqlite::Result<()> {
    let mut st = conn.prepare_cached(INSERT_SQL)?;
    insert_with(&mut st, e)
}

fn sql_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The journal projected onto the `audit_events` columns. Journal records carry no user,
/// device or tenant; the actor is the Descoper's e-mail; `data` holds what the record says
/// (tool, operation, outcome, approval, duration, redacted arguments). Their IDs are the
/// negated journal sequence numbers, so they never collide with platform event IDs.
fn journal_projection() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        let arms: Vec<String> = MCP_ACTIONS
            .iter()
            .map(|(kind, outcome, action)| match outcome {
                Some(o) => format!("WHEN kind = {} AND outcome = {} THEN {}", sql_str(kind), sql_str(o), sql_str(action)),
                None => format!("WHEN kind = {} THEN {}", sql_str(kind), sql_str(action)),
            })
            .collect();
        let info: Vec<String> = MCP_INFO_OUTCOMES.iter().map(|o| sql_str(o)).collect();
        format!(
            "SELECT -seq, project_id, occurred, CASE {} ELSE 'Mcp' || kind END, \
             CASE WHEN outcome IN ({}) THEN 'info' ELSE 'warn' END, principal, '', '', '', '', '', '', '[]', \
             json_object('kind', kind, 'tool', tool, 'operation', operation, 'outcome', outcome, 'approvalId', approval_id, \
             'durationUs', duration_us, 'correlationId', correlation_id, 'journalSeq', seq, \
             'detail', CASE WHEN json_valid(detail) THEN json(detail) ELSE detail END) \
             FROM journal",
            arms.join(" "),
            info.join(",")
        )
    })
}

/// Builds the row source (`audit_events`, or it and the company's journal records), the
/// WHERE clause over it, and the bound values.
fn where_clause(f: &Filter) -> (String, String, Vec<SqlValue>) {
    let mut args: Vec<SqlValue> = vec![f.project_id.clone().into(), f.from.into(), f.to.into()];
    let (source, mut sql) = match f.mcp_company.as_deref().filter(|c| !c.is_empty()) {
        None => (
            "audit_events".to_owned(),
            String::from("project_id = ?1 AND occurred >= ?2 AND occurred <= ?3"),
        ),
        Some(company) => {
            args.push(company.to_owned().into());
            // Project and time go into each arm, so each uses its own index
            // (audit_events (project_id, occurred), journal (company_id, occurred)).
            let source = format!(
                "(SELECT {COLUMNS} FROM audit_events WHERE project_id = ?1 AND occurred >= ?2 AND occurred <= ?3 \
                 UNION ALL {} WHERE company_id = ?4 AND (project_id = ?1 OR project_id = '') AND occurred >= ?2 AND occurred <= ?3)",
                journal_projection()
            );
            (source, String::from("1"))
        }
    };
    let list = |sql: &mut String,
                args: &mut Vec<SqlValue>,
                expr: &str,
                not: bool,
                values: &[String],
                lower: bool| {
        if values.is_empty() {
            return;
        }
        let holes: Vec<String> = values
            .iter()
            .map(|v| {
                args.push(if lower { v.to_lowercase() } else { v.clone() }.into());
                format!("?{}", args.len())
            })
            .collect();
        sql.push_str(&format!(
            " AND {expr} {}IN ({})",
            if not { "NOT " } else { "" },
            holes.join(",")
        ));
    };
    list(&mut sql, &mut args, "user_id", false, &f.user_ids, false);
    list(&mut sql, &mut args, "action", false, &f.actions, false);
    list(
        &mut sql,
        &mut args,
        "action",
        true,
        &f.excluded_actions,
        false,
    );
    list(
        &mut sql,
        &mut args,
        "lower(device)",
        false,
        &f.devices,
        true,
    );
    list(
        &mut sql,
        &mut args,
        "lower(method)",
        false,
        &f.methods,
        true,
    );
    list(&mut sql, &mut args, "lower(geo)", false, &f.geos, true);
    list(
        &mut sql,
        &mut args,
        "remote_address",
        false,
        &f.remote_addresses,
        false,
    );
    list(
        &mut sql,
        &mut args,
        "lower(login_id)",
        false,
        &f.login_ids,
        true,
    );
    list(
        &mut sql,
        &mut args,
        "lower(login_id)",
        true,
        &f.excluded_login_ids,
        true,
    );
    list(&mut sql, &mut args, "actor_id", false, &f.actor_ids, false);
    list(&mut sql, &mut args, "lower(type)", false, &f.types, true);
    list(
        &mut sql,
        &mut args,
        "lower(json_extract(data, '$.factor'))",
        false,
        &f.factors,
        true,
    );
    if !f.login_ids_contain.is_empty() {
        let ors: Vec<String> = f
            .login_ids_contain
            .iter()
            .map(|s| {
                args.push(s.to_lowercase().into());
                format!("instr(lower(login_id), ?{}) > 0", args.len())
            })
            .collect();
        sql.push_str(&format!(" AND ({})", ors.join(" OR ")));
    }
    for s in &f.login_ids_not_contain {
        args.push(s.to_lowercase().into());
        sql.push_str(&format!(" AND instr(lower(login_id), ?{}) = 0", args.len()));
    }
    if !f.tenants.is_empty() {
        // `tenants` holds a JSON array of strings; a tenant ID matches as its quoted JSON form,
        // which avoids parsing the array on every row.
        let ors: Vec<String> = f
            .tenants
            .iter()
            .map(|t| {
                args.push(serde_json::to_string(t).expect("strings serialize").into());
                format!("instr(tenants, ?{}) > 0", args.len())
            })
            .collect();
        sql.push_str(&format!(" AND ({})", ors.join(" OR ")));
    }
    if f.no_tenants {
        sql.push_str(" AND tenants = '[]'");
    }
    if let Some(t) = f.text.as_deref().filter(|t| !t.is_empty()) {
        args.push(t.to_lowercase().into());
        let n = args.len();
        let cols = [
            "action",
            "user_id",
            "login_id",
            "actor_id",
            "method",
            "device",
            "geo",
            "remote_address",
            "tenants",
            "data",
        ];
        let ors: Vec<String> = cols
            .iter()
            .map(|c| format!("instr(lower({c}), ?{n}) > 0"))
            .collect();
        sql.push_str(&format!(" AND ({})", ors.join(" OR ")));
    }
    (source, sql, args)
}

const COLUMNS: &str = "id, project_id, occurred, action, type, actor_id, user_id, login_id, method, device, geo, remote_address, tenants, data";

fn read_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
    let tenants: String = r.get(12)?;
    let data: String = r.get(13)?;
    Ok(Stored {
        id: r.get(0)?,
        event: Event {
            project_id: r.get(1)?,
            occurred: r.get(2)?,
            action: r.get(3)?,
            kind: r.get(4)?,
            actor_id: r.get(5)?,
            user_id: r.get(6)?,
            login_id: r.get(7)?,
            method: r.get(8)?,
            device: r.get(9)?,
            geo: r.get(10)?,
            remote_address: r.get(11)?,
            tenants: serde_json::from_str(&tenants).unwrap_or_default(),
            data: serde_json::from_str(&data).unwrap_or(Value::Object(Default::default())),
        },
    })
}

/// One page of the events matching `f` (newest first unless `oldest_first`), and how many
/// match in all.
fn search(
    conn: &Connection,
    f: &Filter,
    oldest_first: bool,
    offset: i64,
    limit: i64,
) -> rusqlite::Result<(Vec<Stored>, i64)> {
    let (source, wh, mut args) = where_clause(f);
    let total: i64 = conn
        .prepare(&format!("SELECT COUNT(*) FROM {source} WHERE {wh}"))?
        .query_row(rusqlite::params_from_iter(args.iter()), |r| r.get(0))?;
    if total == 0 || offset >= total {
        return Ok((Vec::new(), total));
    }
    let dir = if oldest_first { "ASC" } else { "DESC" };
    args.push(limit.into());
    args.push(offset.into());
    let n = args.len();
    // Ties within a millisecond go by row order. Journal rows carry -seq as their id, so they
    // order by |id| (their sequence), which keeps a burst of MCP events in the order it happened.
    let order = if f.mcp_company.is_some() {
        format!("abs(id) {dir}, id {dir}")
    } else {
        format!("id {dir}")
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM {source} WHERE {wh} ORDER BY occurred {dir}, {order} LIMIT ?{} OFFSET ?{n}",
        n - 1
    );
    let mut st = conn.prepare(&sql)?;
    let rows = st
        .query_map(rusqlite::params_from_iter(args.iter()), read_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok((rows, total))
}

/// FNV-1a: the aggregation hashes short strings and small tuples once per event, where
/// SipHash's DoS resistance buys nothing and costs several times more.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;
type FastSet<T> = HashSet<T, BuildHasherDefault<Fnv>>;

/// Interns the few distinct strings of a column so the per-row work is a lookup, not an
/// allocation.
#[derive(Default)]
struct Interner {
    ids: FastMap<String, u32>,
    names: Vec<String>,
}

impl Interner {
    fn id(&mut self, v: ValueRef<'_>) -> u32 {
        let s = match v {
            ValueRef::Text(t) => std::str::from_utf8(t).unwrap_or(""),
            _ => "",
        };
        if let Some(i) = self.ids.get(s) {
            return *i;
        }
        let i = self.names.len() as u32;
        self.ids.insert(s.to_owned(), i);
        self.names.push(s.to_owned());
        i
    }
}

type Key = (u32, u32, u32, u32, u32, i64);

/// Counts the events matching `f` per group, in one pass over the matching rows. Only the
/// grouped columns are read; the raw `tenants` arrays are grouped first and split into one
/// row per tenant at the end (an event with two tenants counts once for each), so the JSON
/// is parsed once per distinct array rather than once per event.
fn aggregate(conn: &Connection, f: &Filter, g: &GroupBy) -> rusqlite::Result<Vec<Aggregate>> {
    let (source, wh, args) = where_clause(f);
    let col = |on: bool, c: &str| if on { c.to_owned() } else { "''".to_owned() };
    let sql = format!(
        "SELECT {}, {}, {}, {}, {}, {}, {} FROM {source} WHERE {wh}",
        col(g.action, "action"),
        col(g.device, "device"),
        col(g.method, "method"),
        col(g.geo, "geo"),
        if g.tenant { "tenants" } else { "'[]'" },
        if g.created.is_some() { "occurred" } else { "0" },
        col(g.distinct_users, "user_id"),
    );
    let mut st = conn.prepare(&sql)?;
    let mut rows = st.query(rusqlite::params_from_iter(args.iter()))?;
    let mut dims: [Interner; 5] = Default::default();
    let mut users = Interner::default();
    let mut counts: FastMap<Key, (i64, Option<FastSet<u32>>)> = FastMap::default();
    let grouped = [g.action, g.device, g.method, g.geo, g.tenant];
    for (i, on) in grouped.iter().enumerate() {
        if !on {
            // A column not grouped by is not read: every event gets id 0, its empty value.
            dims[i].id(ValueRef::Text(if i == 4 { b"[]" } else { b"" }));
        }
    }
    // Day-to-bucket is the same for every event of a day; remember the last one.
    let mut last_day = (i64::MIN, 0);
    while let Some(r) = rows.next()? {
        let bucket = match g.created {
            Some(b) => {
                let day = r.get::<_, i64>(5)?.div_euclid(DAY_MS);
                if day != last_day.0 {
                    last_day = (day, b.start_day(day));
                }
                last_day.1
            }
            None => 0,
        };
        let mut ids = [0u32; 5];
        for (i, on) in grouped.iter().enumerate() {
            if *on {
                ids[i] = dims[i].id(r.get_ref(i)?);
            }
        }
        let key = (ids[0], ids[1], ids[2], ids[3], ids[4], bucket);
        let entry = counts
            .entry(key)
            .or_insert_with(|| (0, g.distinct_users.then(Default::default)));
        entry.0 += 1;
        if let Some(set) = entry.1.as_mut() {
            set.insert(users.id(r.get_ref(6)?));
        }
    }
    // Split tenant arrays and merge rows that now share a key.
    let mut merged: FastMap<(u32, u32, u32, u32, String, i64), (i64, Option<FastSet<u32>>)> =
        FastMap::default();
    for ((a, d, m, geo, t, b), (n, set)) in counts {
        let tenants: Vec<String> = if g.tenant {
            serde_json::from_str(&dims[4].names[t as usize]).unwrap_or_default()
        } else {
            Vec::new()
        };
        let tenants = if tenants.is_empty() {
            vec![String::new()]
        } else {
            tenants
        };
        for tenant in tenants {
            let e = merged
                .entry((a, d, m, geo, tenant, b))
                .or_insert_with(|| (0, g.distinct_users.then(Default::default)));
            e.0 += n;
            if let (Some(into), Some(from)) = (e.1.as_mut(), set.as_ref()) {
                into.extend(from.iter().copied());
            }
        }
    }
    let mut out: Vec<Aggregate> = merged
        .into_iter()
        .map(|((a, d, m, geo, tenant, b), (n, set))| Aggregate {
            action: dims[0].names[a as usize].clone(),
            device: dims[1].names[d as usize].clone(),
            method: dims[2].names[m as usize].clone(),
            geo: dims[3].names[geo as usize].clone(),
            tenant,
            bucket_start_ms: g.created.map(|_| b * DAY_MS),
            count: n,
            // Events without a user (e.g. project settings changes) are not users.
            distinct_users: set.map(|s| {
                s.iter()
                    .filter(|u| !users.names[**u as usize].is_empty())
                    .count() as i64
            }),
        })
        .collect();
    // Chronological, then the largest groups first; names break ties so output is stable.
    out.sort_by(|x, y| {
        x.bucket_start_ms
            .cmp(&y.bucket_start_ms)
            .then(y.count.cmp(&x.count))
            .then_with(|| {
                (&x.action, &x.method, &x.device, &x.geo, &x.tenant)
                    .cmp(&(&y.action, &y.method, &y.device, &y.geo, &y.tenant))
            })
    });
    Ok(out)
}

/// The oldest event time of a project, if it has any events.
fn oldest(conn: &Connection, project_id: &str) -> rusqlite::Result<Option<i64>> {
    conn.prepare_cached("SELECT MIN(occurred) FROM audit_events WHERE project_id=?1")?
        .query_row(params![project_id], |r| r.get(0))
}
