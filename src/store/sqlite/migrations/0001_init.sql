-- Companies own projects and Descopers (console users); every resource lives in a project.
CREATE TABLE companies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created INTEGER NOT NULL
);
CREATE TABLE descopers (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id),
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name TEXT NOT NULL,
    is_admin INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL
);
CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id),
    name TEXT NOT NULL,
    environment TEXT NOT NULL DEFAULT '',
    tags TEXT NOT NULL DEFAULT '[]',
    created INTEGER NOT NULL,
    UNIQUE (company_id, name)
);
-- API tokens are stored only as SHA-256 hashes of the secret.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    hash TEXT NOT NULL UNIQUE,
    descoper_id TEXT NOT NULL REFERENCES descopers(id),
    name TEXT NOT NULL DEFAULT '',
    created INTEGER NOT NULL,
    expires INTEGER,
    revoked INTEGER
);
-- A session is keyed by the credential (token id or OAuth grant); company fixed at creation.
CREATE TABLE sessions (
    key TEXT PRIMARY KEY,
    company_id TEXT NOT NULL REFERENCES companies(id),
    descoper_id TEXT NOT NULL REFERENCES descopers(id),
    project_id TEXT REFERENCES projects(id),
    elevated_until INTEGER,
    approval_id TEXT,
    created INTEGER NOT NULL,
    updated INTEGER NOT NULL
);
-- Identity resources as JSON documents, one collection per resource kind.
CREATE TABLE docs (
    project_id TEXT NOT NULL REFERENCES projects(id),
    collection TEXT NOT NULL,
    id TEXT NOT NULL,
    doc TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (project_id, collection, id)
) WITHOUT ROWID;
-- Lookup and uniqueness keys extracted from documents (lower-cased strings).
CREATE TABLE doc_keys (
    project_id TEXT NOT NULL,
    collection TEXT NOT NULL,
    path TEXT NOT NULL,
    value TEXT NOT NULL,
    id TEXT NOT NULL,
    PRIMARY KEY (project_id, collection, path, value, id)
) WITHOUT ROWID;
CREATE INDEX doc_keys_by_id ON doc_keys (project_id, collection, id);
-- Platform audit events (what SearchAudit and SearchAnalytics read). Times in epoch ms.
CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    project_id TEXT NOT NULL,
    occurred INTEGER NOT NULL,
    action TEXT NOT NULL,
    type TEXT NOT NULL DEFAULT 'info',
    actor_id TEXT NOT NULL DEFAULT '',
    user_id TEXT NOT NULL DEFAULT '',
    login_id TEXT NOT NULL DEFAULT '',
    method TEXT NOT NULL DEFAULT '',
    device TEXT NOT NULL DEFAULT '',
    geo TEXT NOT NULL DEFAULT '',
    remote_address TEXT NOT NULL DEFAULT '',
    tenants TEXT NOT NULL DEFAULT '[]',
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_time ON audit_events (project_id, occurred);
CREATE INDEX audit_events_action ON audit_events (project_id, action, occurred);
CREATE INDEX audit_events_user ON audit_events (project_id, user_id, occurred);
-- idmcp's own audit journal: every MCP request, refusal, sign-in and write.
CREATE TABLE journal (
    seq INTEGER PRIMARY KEY,
    occurred INTEGER NOT NULL,
    company_id TEXT NOT NULL DEFAULT '',
    principal TEXT NOT NULL DEFAULT '',
    session TEXT NOT NULL DEFAULT '',
    project_id TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL,
    tool TEXT NOT NULL DEFAULT '',
    operation TEXT NOT NULL DEFAULT '',
    outcome TEXT NOT NULL,
    duration_us INTEGER NOT NULL DEFAULT 0,
    approval_id TEXT NOT NULL DEFAULT '',
    correlation_id TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX journal_company ON journal (company_id, occurred);
