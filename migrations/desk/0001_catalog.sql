-- The catalog and calendar as pulled from the hub, and the pull checkpoints.

CREATE TABLE sync_stream (
    stream        TEXT PRIMARY KEY,           -- 'catalog' | 'calendar'
    cursor        INTEGER NOT NULL DEFAULT 0, -- last change applied to the live tables
    staged_cursor INTEGER NOT NULL DEFAULT 0, -- last change received (>= cursor)
    version_id    INTEGER,                    -- catalog version complete at `cursor`
    version_label TEXT,
    published_at  TEXT,
    last_pull_at  TEXT                        -- RFC 3339, last successful pull
) STRICT;

-- Changes received for a version that is not complete yet; applied together at its checkpoint.
CREATE TABLE catalog_staging (
    seq    INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    op     TEXT NOT NULL,
    key    TEXT NOT NULL,
    body   TEXT
) STRICT;

CREATE TABLE catalog_domain (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL
) STRICT;

CREATE TABLE catalog_item (
    code   TEXT PRIMARY KEY,
    name   TEXT NOT NULL,
    level  TEXT NOT NULL,
    parent TEXT,
    domain TEXT NOT NULL,
    body   TEXT NOT NULL -- ServiceItem JSON
) STRICT;
CREATE INDEX catalog_item_parent ON catalog_item(parent);

CREATE TABLE catalog_bundle (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    body TEXT NOT NULL -- Bundle JSON
) STRICT;

CREATE TABLE catalog_bundle_member (
    bundle   TEXT NOT NULL REFERENCES catalog_bundle(code) ON DELETE CASCADE,
    item     TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (bundle, item)
) STRICT;
CREATE INDEX catalog_bundle_member_item ON catalog_bundle_member(item);

CREATE TABLE calendar_year (
    year INTEGER PRIMARY KEY,
    body TEXT NOT NULL -- YearCalendar JSON
) STRICT;
