-- One counter that moves whenever anything an authenticated request depends on changes: a
-- token created, revoked or removed, a Descoper, company or project changed, a session's
-- project or write window changed. A server caches principals and sessions in memory and
-- reads this row (one primary-key lookup) on every request: a different value empties the
-- cache, so a revoke by the CLI (another process on the same file) takes effect on the next
-- request. Triggers, so that no writer (old code paths, a manual UPDATE) can forget it.
CREATE TABLE auth_generation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO auth_generation (id, value) VALUES (1, 0);
CREATE TRIGGER auth_generation_api_tokens_insert AFTER INSERT ON api_tokens BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER auth_generation_api_tokens_update AFTER UPDATE ON api_tokens BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER auth_generation_api_tokens_delete AFTER DELETE ON api_tokens BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER auth_generation_descopers_insert AFTER INSERT ON descopers BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER auth_generation_descopers_update AFTER UPDATE ON descopers BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER auth_generation_descopers_delete AFTER DELETE ON descopers BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER auth_generation_companies_insert AFTER INSERT ON companies BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER auth_generation_companies_update AFTER UPDATE ON companies BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER auth_generation_companies_delete AFTER DELETE ON companies BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER auth_generation_projects_insert AFTER INSERT ON projects BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER auth_generation_projects_update AFTER UPDATE ON projects BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER auth_generation_projects_delete AFTER DELETE ON projects BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER auth_generation_sessions_insert AFTER INSERT ON sessions BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER auth_generation_sessions_update AFTER UPDATE ON sessions BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
CREATE TRIGGER auth_generation_sessions_delete AFTER DELETE ON sessions BEGIN UPDATE auth_generation SET value = value + 1 WHERE id = 1; END;
