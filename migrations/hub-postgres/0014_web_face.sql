-- PostgreSQL twin of migrations/hub-sqlite/0014_web_face.sql (same schema and data steps; scripts/compare-hub-schemas.py checks it).
-- Issue 16: the hub's web face. Sign-in limits per name and address kept in the store (several
-- hub processes share them later), idle sessions, disabled users, kiosk credentials and the
-- applicants' progress codes.

-- Failed sign-ins of a name from one address: five in a row lock the name for that address
-- only, so nobody locks an approver out from elsewhere.
CREATE TABLE login_failure (
    name         TEXT NOT NULL,
    address      TEXT NOT NULL,
    failures     BIGINT NOT NULL DEFAULT 0,
    locked_until TEXT,
    last_at      TEXT NOT NULL,
    PRIMARY KEY (name, address)
);

-- Throttles by key (an address signing in, an address or a case asking for progress, a
-- kiosk): failures within a window; past the allowance each further attempt waits twice as
-- long as the last, up to a cap.
CREATE TABLE throttle (
    scope         TEXT NOT NULL,
    key           TEXT NOT NULL,
    window_start  TEXT NOT NULL,
    count         BIGINT NOT NULL,
    wait_secs     BIGINT NOT NULL DEFAULT 0,
    blocked_until TEXT,
    PRIMARY KEY (scope, key)
);

-- A session ends after 30 idle minutes as well as at its absolute limit.
ALTER TABLE office_session ADD COLUMN last_seen TEXT NOT NULL DEFAULT '';
UPDATE office_session SET last_seen = created_at;

-- `user disable` keeps the user (and their records) but refuses their sign-ins.
ALTER TABLE hub_user ADD COLUMN disabled BIGINT NOT NULL DEFAULT 0;

-- The hall's kiosks: a credential each (its hash), from a one-time link.
CREATE TABLE kiosk (
    name        TEXT PRIMARY KEY,
    link_hash   TEXT UNIQUE,
    token_hash  TEXT UNIQUE,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT
);

-- The progress page's query code of a case, random (at least 60 bits), sent by the desk with
-- the hand-off. Cases handed off before this keep the code derived from their id.
ALTER TABLE hub_case ADD COLUMN query_code TEXT;
