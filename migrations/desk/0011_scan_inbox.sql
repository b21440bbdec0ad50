-- Scans under a full disk and a crash (issue 25).

-- Every blob in intake/blobs that a record holds: a case's material, a waiting scan, or a
-- card photo since replaced. At start, a blob not listed here is one a crash cut off from its
-- record; it is recovered into the waiting list, never dropped and never put into a case.
CREATE TABLE kept_blob (
    sha256  TEXT PRIMARY KEY,
    kept_at TEXT NOT NULL
) STRICT, WITHOUT ROWID;
INSERT OR IGNORE INTO kept_blob (sha256, kept_at)
    SELECT sha256, min(added_at) FROM case_material GROUP BY sha256;

-- Scans that belong to no case yet: they arrived while no case was open, could not be taken at
-- first, or were recovered after a crash. Only the clerk attaches one to a case (or dismisses
-- it); the row stays, closed, as the record of what became of the scan.
CREATE TABLE waiting_scan (
    id            INTEGER PRIMARY KEY,
    sha256        TEXT NOT NULL,
    original_name TEXT NOT NULL,
    size          INTEGER NOT NULL,
    kind          TEXT NOT NULL,               -- jpeg | png | pdf
    pages         INTEGER,
    arrived_at    TEXT NOT NULL,
    why           TEXT NOT NULL,               -- no_case | earlier | at_start | was_held | not_attached | recovered
    state         TEXT NOT NULL DEFAULT 'waiting', -- waiting | attached | dismissed
    case_id       TEXT REFERENCES case_record(id), -- the case it was attached to
    closed_by     TEXT,
    closed_at     TEXT
) STRICT;
CREATE INDEX waiting_scan_open ON waiting_scan(arrived_at) WHERE state = 'waiting';
