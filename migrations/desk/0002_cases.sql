-- Cases (办件) taken in at this desk, their append-only events, and the outbox of ops the hub
-- must receive. A state change, its event and its outbox op always commit together.

-- Per-day case number counters: '{desk}-{yyyymmdd}' → last sequence used.
CREATE TABLE case_counter (
    prefix TEXT PRIMARY KEY,
    last   INTEGER NOT NULL
) STRICT;

CREATE TABLE case_record (
    id            TEXT PRIMARY KEY,            -- UUIDv7 made on the desk
    number        TEXT NOT NULL UNIQUE,        -- {desk}-{yyyymmdd}-{NNNN}, never reused
    item_code     TEXT NOT NULL,               -- a service item, or a bundle's code
    scenario_code TEXT,
    -- A 一件事 member points at its bundle case; the bundle case has members, no parent.
    bundle_case   TEXT REFERENCES case_record(id),
    state         TEXT NOT NULL,
    applicant     TEXT,                        -- Applicant JSON
    form          TEXT NOT NULL DEFAULT '{}',  -- field key → value JSON
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;
CREATE INDEX case_record_bundle ON case_record(bundle_case);

-- Files attached to a case: content-addressed blobs, in a material slot or the unsorted tray.
CREATE TABLE case_material (
    case_id       TEXT NOT NULL REFERENCES case_record(id),
    sha256        TEXT NOT NULL,
    slot          INTEGER,                     -- material position in the scenario; NULL = tray
    original_name TEXT NOT NULL,
    size          INTEGER NOT NULL,
    kind          TEXT NOT NULL,               -- jpeg | png | pdf
    pages         INTEGER,
    added_at      TEXT NOT NULL,
    PRIMARY KEY (case_id, sha256)              -- the same file twice in a case is one file
) STRICT;

CREATE TABLE case_event (
    id         INTEGER PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES case_record(id),
    action     TEXT NOT NULL,
    from_state TEXT,                           -- NULL for the creating event
    to_state   TEXT NOT NULL,
    actor      TEXT NOT NULL,
    desk       TEXT NOT NULL,
    at         TEXT NOT NULL,
    reason     TEXT
) STRICT;
CREATE INDEX case_event_case ON case_event(case_id, id);

-- Append-only: rows are never updated or deleted by the app.
CREATE TRIGGER case_event_no_update BEFORE UPDATE ON case_event
BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END;
CREATE TRIGGER case_event_no_delete BEFORE DELETE ON case_event
BEGIN SELECT RAISE(ABORT, 'case_event is append-only'); END;

CREATE TABLE outbox (
    op_id          TEXT PRIMARY KEY,           -- UUIDv7
    device_seq     INTEGER NOT NULL UNIQUE,
    schema_version INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    payload        TEXT NOT NULL,              -- JSON
    created_at     TEXT NOT NULL
) STRICT;
