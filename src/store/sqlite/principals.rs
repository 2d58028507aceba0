//! [`Principals`] on SQLite: `companies`, `descopers`, `projects`, `api_tokens`, `sessions`.

use rusqlite::{OptionalExtension, params};

use super::SqliteDb;
use crate::store::Result;
use crate::store::principals::{Principal, Principals, Project, Session, new_id, sha256_hex};

impl Principals for SqliteDb {
    fn ensure_company(&self, name: &str, now: i64) -> Result<String> {
        let conn = &*self.conn;
        if let Some(id) = conn
            .query_row("SELECT id FROM companies WHERE name=?1", [name], |r| {
                r.get(0)
            })
            .optional()?
        {
            return Ok(id);
        }
        let id = new_id("C");
        conn.execute(
            "INSERT INTO companies (id, name, created) VALUES (?1,?2,?3)",
            params![id, name, now],
        )?;
        Ok(id)
    }

    fn ensure_descoper(
        &self,
        company_id: &str,
        email: &str,
        name: &str,
        is_admin: bool,
        now: i64,
    ) -> Result<String> {
        let conn = &*self.conn;
        if let Some(id) = conn
            .query_row("SELECT id FROM descopers WHERE email=?1", [email], |r| {
                r.get(0)
            })
            .optional()?
        {
            return Ok(id);
        }
        let id = new_id("D");
        conn.execute(
            "INSERT INTO descopers (id, company_id, email, name, is_admin, created) VALUES (?1,?2,?3,?4,?5,?6)",
            params![id, company_id, email, name, is_admin, now],
        )?;
        Ok(id)
    }

    fn ensure_project(
        &self,
        company_id: &str,
        name: &str,
        environment: &str,
        tags: &[&str],
        now: i64,
    ) -> Result<String> {
        let conn = &*self.conn;
        if let Some(id) = conn
            .query_row(
                "SELECT id FROM projects WHERE company_id=?1 AND name=?2",
                params![company_id, name],
                |r| r.get(0),
            )
            .optional()?
        {
            return Ok(id);
        }
        let id = new_id("P");
        let tags = serde_json::to_string(tags).expect("strings serialize");
        conn.execute(
            "INSERT INTO projects (id, company_id, name, environment, tags, created) VALUES (?1,?2,?3,?4,?5,?6)",
            params![id, company_id, name, environment, tags, now],
        )?;
        Ok(id)
    }

    fn projects_of(&self, company_id: &str) -> Result<Vec<Project>> {
        let conn = &*self.conn;
        let mut st = conn.prepare_cached("SELECT id, name, environment, tags FROM projects WHERE company_id=?1 ORDER BY created, name")?;
        let rows = st.query_map([company_id], project_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Creates an API token for the Descoper with `email`; returns the secret (shown once).
    fn create_token(
        &self,
        email: &str,
        name: &str,
        expires: Option<i64>,
        now: i64,
    ) -> Result<Option<(String, String)>> {
        let conn = &*self.conn;
        let Some(descoper_id): Option<String> = conn
            .query_row("SELECT id FROM descopers WHERE email=?1", [email], |r| {
                r.get(0)
            })
            .optional()?
        else {
            return Ok(None);
        };
        let id = new_id("T");
        let secret = format!("idmcp_{}", new_id(""));
        conn.execute(
            "INSERT INTO api_tokens (id, hash, descoper_id, name, created, expires) VALUES (?1,?2,?3,?4,?5,?6)",
            params![id, sha256_hex(&secret), descoper_id, name, now, expires],
        )?;
        Ok(Some((id, secret)))
    }

    /// The principal behind a token secret and the token's expiry, if the token exists, is not
    /// revoked and not expired.
    fn token_principal(&self, secret: &str, now: i64) -> Result<Option<(Principal, Option<i64>)>> {
        let conn = &*self.conn;
        let mut st = conn.prepare_cached(
            "SELECT d.id, d.email, d.name, c.id, c.name, d.is_admin, t.id, t.expires FROM api_tokens t \
             JOIN descopers d ON d.id=t.descoper_id JOIN companies c ON c.id=d.company_id \
             WHERE t.hash=?1 AND t.revoked IS NULL AND (t.expires IS NULL OR t.expires > ?2)",
        )?;
        Ok(st
            .query_row(params![sha256_hex(secret), now], |r| {
                let tid: String = r.get(6)?;
                Ok((principal_row(r, tid)?, r.get(7)?))
            })
            .optional()?)
    }

    fn auth_generation(&self) -> Result<i64> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM auth_generation WHERE id=1")?
            .query_row([], |r| r.get(0))?)
    }

    /// The principal for a Descoper e-mail (local-only mode binds every request to one).
    fn principal_for_email(&self, email: &str) -> Result<Option<Principal>> {
        let conn = &*self.conn;
        let mut st = conn.prepare_cached(
            "SELECT d.id, d.email, d.name, c.id, c.name, d.is_admin FROM descopers d JOIN companies c ON c.id=d.company_id WHERE d.email=?1",
        )?;
        Ok(st
            .query_row([email], |r| {
                principal_row(r, format!("local:{}", email.to_lowercase()))
            })
            .optional()?)
    }

    /// The session for this credential, created on first use with the company's first project.
    fn session_for(&self, p: &Principal, now: i64) -> Result<Session> {
        let conn = &*self.conn;
        let row = conn
            .prepare_cached(
                "SELECT project_id, elevated_until, approval_id FROM sessions WHERE key=?1",
            )?
            .query_row([&p.credential], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        if let Some((project_id, elevated_until, approval_id)) = row {
            return Ok(Session {
                key: p.credential.clone(),
                project_id,
                elevated_until,
                approval_id,
            });
        }
        let first: Option<String> = conn
            .query_row(
                "SELECT id FROM projects WHERE company_id=?1 ORDER BY created, name LIMIT 1",
                [&p.company_id],
                |r| r.get(0),
            )
            .optional()?;
        conn.execute(
            "INSERT OR IGNORE INTO sessions (key, company_id, descoper_id, project_id, created, updated) VALUES (?1,?2,?3,?4,?5,?5)",
            params![p.credential, p.company_id, p.descoper_id, first, now],
        )?;
        Ok(Session {
            key: p.credential.clone(),
            project_id: first,
            elevated_until: None,
            approval_id: None,
        })
    }

    fn set_session_project(&self, key: &str, project_id: &str, now: i64) -> Result<()> {
        let conn = &*self.conn;
        conn.execute(
            "UPDATE sessions SET project_id=?2, updated=?3 WHERE key=?1",
            params![key, project_id, now],
        )?;
        Ok(())
    }

    fn set_elevation(
        &self,
        key: &str,
        until: Option<i64>,
        approval_id: Option<&str>,
        now: i64,
    ) -> Result<()> {
        let conn = &*self.conn;
        conn.execute(
            "UPDATE sessions SET elevated_until=?2, approval_id=?3, updated=?4 WHERE key=?1",
            params![key, until, approval_id, now],
        )?;
        Ok(())
    }

    /// The project `id_or_name` if it belongs to `company_id` (an id match wins over a name
    /// match; names compare ignoring ASCII case). One indexed query: it runs on every call.
    fn find_project(&self, company_id: &str, id_or_name: &str) -> Result<Option<Project>> {
        let conn = &*self.conn;
        Ok(conn.prepare_cached(
            "SELECT id, name, environment, tags FROM projects WHERE company_id=?1 AND (id=?2 OR name=?2 COLLATE NOCASE) \
             ORDER BY id=?2 DESC LIMIT 1",
        )?
        .query_row(params![company_id, id_or_name], project_row)
        .optional()?)
    }

    /// Revokes the token with this id or secret; returns its id if one was active.
    fn revoke_token(&self, id_or_secret: &str, now: i64) -> Result<Option<String>> {
        let conn = &*self.conn;
        let id: Option<String> = conn
            .query_row(
                "SELECT id FROM api_tokens WHERE (id=?1 OR hash=?2) AND revoked IS NULL",
                params![id_or_secret, sha256_hex(id_or_secret)],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = &id {
            conn.execute(
                "UPDATE api_tokens SET revoked=?2 WHERE id=?1",
                params![id, now],
            )?;
        }
        Ok(id)
    }

    /// One line per token: id, owner, name, state (never the secret or its hash).
    fn list_tokens(&self) -> Result<Vec<String>> {
        let conn = &*self.conn;
        let mut st = conn.prepare(
            "SELECT t.id, d.email, t.name, t.created, t.expires, t.revoked FROM api_tokens t JOIN descopers d ON d.id=t.descoper_id ORDER BY t.created",
        )?;
        let rows = st.query_map([], |r| {
            let (id, email, name, created, expires, revoked): (
                String,
                String,
                String,
                i64,
                Option<i64>,
                Option<i64>,
            ) = (
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            );
            let state = match (revoked, expires) {
                (Some(t), _) => format!("revoked at {}", t / 1000),
                (None, Some(e)) => format!("expires {}", e / 1000),
                (None, None) => "active".to_owned(),
            };
            Ok(format!(
                "{id}\t{email}\t{name}\tcreated {}\t{state}",
                created / 1000
            ))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn company_name(&self, company_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT name FROM companies WHERE id=?1",
                [company_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    fn company_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT COUNT(*) FROM companies", [], |r| r.get(0))?)
    }

    fn end_all_elevations(&self, now: i64) -> Result<usize> {
        Ok(self.conn.execute("UPDATE sessions SET elevated_until=NULL, approval_id=NULL, updated=?1 WHERE elevated_until IS NOT NULL", [now])?)
    }
}

/// A `projects` row selected as `id, name, environment, tags`.
fn project_row(r: &rusqlite::Row) -> rusqlite::Result<Project> {
    let tags: String = r.get(3)?;
    Ok(Project {
        id: r.get(0)?,
        name: r.get(1)?,
        environment: r.get(2)?,
        tags: serde_json::from_str(&tags).unwrap_or_default(),
    })
}

fn principal_row(r: &rusqlite::Row, credential: String) -> rusqlite::Result<Principal> {
    Ok(Principal {
        descoper_id: r.get(0)?,
        email: r.get(1)?,
        name: r.get(2)?,
        company_id: r.get(3)?,
        company_name: r.get(4)?,
        is_admin: r.get(5)?,
        credential,
    })
}
