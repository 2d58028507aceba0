-- Pending and decided approvals of write requests. The passcode is stored only as a keyed
-- hash; the request is stored canonically so the executed write must match it byte for byte.
CREATE TABLE approvals (
    id TEXT PRIMARY KEY,
    company_id TEXT NOT NULL,
    descoper_id TEXT NOT NULL,
    session_key TEXT NOT NULL,
    project_id TEXT NOT NULL,
    requests TEXT NOT NULL,
    display TEXT NOT NULL,
    otp_hash TEXT NOT NULL,
    csrf TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created INTEGER NOT NULL,
    expires INTEGER NOT NULL,
    approved_at INTEGER,
    window_until INTEGER,
    used TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX approvals_session ON approvals (session_key, status);
-- Failed passcode entries per principal, for the elevation lock-out (never reset by a new code).
CREATE TABLE elevation_failures (
    descoper_id TEXT NOT NULL,
    occurred INTEGER NOT NULL
);
CREATE INDEX elevation_failures_by ON elevation_failures (descoper_id, occurred);
-- Server secrets generated on first start (the key that hashes passcodes).
CREATE TABLE server_keys (
    name TEXT PRIMARY KEY,
    key BLOB NOT NULL
);
-- Optional TOTP second factor per Descoper (base32 secret).
CREATE TABLE totp (
    descoper_id TEXT PRIMARY KEY REFERENCES descopers(id),
    secret TEXT NOT NULL,
    created INTEGER NOT NULL,
    last_step INTEGER NOT NULL DEFAULT 0
);
-- Hash chain over the journal: each record commits to the previous one.
ALTER TABLE journal ADD COLUMN prev_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE journal ADD COLUMN hash TEXT NOT NULL DEFAULT '';
