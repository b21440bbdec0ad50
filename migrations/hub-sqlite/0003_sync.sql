-- Desks, their pushed ops and what those ops made: the cases handed off by the windows and
-- the blobs (scanned materials) they reference.

-- One-time enrolment codes an administrator made (`onewindow-hub enrol`); only their hash.
CREATE TABLE enrol_code (
    code_hash  TEXT PRIMARY KEY,
    desk_name  TEXT NOT NULL,
    desk_code  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at    TEXT,
    device_id  TEXT
) STRICT;

CREATE TABLE device (
    id          TEXT PRIMARY KEY,
    desk_name   TEXT NOT NULL,
    desk_code   TEXT NOT NULL UNIQUE,
    token_hash  TEXT NOT NULL UNIQUE,               -- SHA-256 of the bearer token
    enrolled_at TEXT NOT NULL,
    revoked_at  TEXT
) STRICT;

-- Every op a device pushed that reached an end (applied or rejected), recorded in the same
-- transaction as its effect: a replay finds it here and gets the first result.
CREATE TABLE applied_op (
    device_id  TEXT NOT NULL REFERENCES device(id),
    op_id      TEXT NOT NULL,
    device_seq INTEGER NOT NULL,
    kind       TEXT NOT NULL,
    status     TEXT NOT NULL CHECK (status IN ('applied', 'rejected')),
    reason     TEXT,
    at         TEXT NOT NULL,
    PRIMARY KEY (device_id, op_id)
) STRICT;

-- A case handed off by a window (one per member of a 一件事).
CREATE TABLE hub_case (
    id            TEXT PRIMARY KEY,                 -- the desk's UUIDv7
    number        TEXT NOT NULL UNIQUE,
    device_id     TEXT NOT NULL REFERENCES device(id),
    item_code     TEXT NOT NULL,
    scenario_code TEXT,
    bundle_number TEXT,
    state         TEXT NOT NULL,
    payload       TEXT NOT NULL,                    -- the hand-off op's payload
    accepted_at   TEXT NOT NULL,
    promised_date TEXT,
    updated_at    TEXT NOT NULL
) STRICT;

CREATE TABLE hub_case_material (
    case_id  TEXT NOT NULL REFERENCES hub_case(id),
    sha256   TEXT NOT NULL REFERENCES blob(sha256),
    slot     INTEGER,
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL,
    size     INTEGER NOT NULL,
    pages    INTEGER,
    material TEXT,
    added_at TEXT NOT NULL,
    PRIMARY KEY (case_id, sha256)
) STRICT;

-- What happened to a case after its hand-off, as the window reported it.
CREATE TABLE hub_case_event (
    id      INTEGER PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES hub_case(id),
    kind    TEXT NOT NULL,
    payload TEXT NOT NULL,
    at      TEXT NOT NULL
) STRICT;

-- Content-addressed blobs: `received` bytes are in the partial file until the whole blob is
-- there and its SHA-256 checked; then `complete` and the file is in its final place.
CREATE TABLE blob (
    sha256     TEXT PRIMARY KEY,
    size       INTEGER NOT NULL,
    received   INTEGER NOT NULL,
    complete   INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
) STRICT;
