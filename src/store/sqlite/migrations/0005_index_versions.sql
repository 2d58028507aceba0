-- Which document paths each collection's `doc_keys` were built for; when the catalog indexes
-- other paths (a YAML file added a filter), the collection is re-indexed at start-up.
CREATE TABLE index_versions (
    collection TEXT PRIMARY KEY,
    paths TEXT NOT NULL
);
