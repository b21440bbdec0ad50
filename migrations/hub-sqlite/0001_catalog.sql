-- Published catalog versions, the current catalog, and the change log desks pull.

CREATE TABLE catalog_version (
    id           INTEGER PRIMARY KEY,
    label        TEXT NOT NULL,    -- the imported file's version
    source       TEXT NOT NULL,    -- the imported file's name
    published_at TEXT NOT NULL,    -- RFC 3339
    upserts      INTEGER NOT NULL,
    removals     INTEGER NOT NULL,
    last_seq     INTEGER NOT NULL  -- the change log's last seq once this version is complete
) STRICT;

-- The current catalog: each entity points at the change that last set its body.
CREATE TABLE catalog_entity (
    entity     TEXT NOT NULL,      -- 'domain' | 'item' | 'bundle'
    key        TEXT NOT NULL,
    seq        INTEGER NOT NULL,   -- catalog_change.seq of its latest upsert
    PRIMARY KEY (entity, key)
) STRICT;

CREATE TABLE catalog_change (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    version_id INTEGER NOT NULL REFERENCES catalog_version(id),
    entity     TEXT NOT NULL,
    op         TEXT NOT NULL,      -- 'upsert' | 'remove'
    key        TEXT NOT NULL,
    body       TEXT
) STRICT;

CREATE TABLE calendar_year (
    year INTEGER PRIMARY KEY,
    body TEXT NOT NULL
) STRICT;

CREATE TABLE calendar_change (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    year        INTEGER NOT NULL,
    op          TEXT NOT NULL,
    body        TEXT,
    imported_at TEXT NOT NULL
) STRICT;
