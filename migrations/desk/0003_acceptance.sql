-- What the window decides on a case before and at acceptance: overrides of blocking findings
-- (with the clerk's written reason), pledges (告知承诺), the follow-ups acceptance leaves behind
-- (pledge checks for supervisors, 容缺 materials still to arrive), the documents printed, and the
-- e-licence lookups kept while a case is open at the window.

CREATE TABLE case_override (
    case_id     TEXT NOT NULL REFERENCES case_record(id),
    finding_key TEXT NOT NULL,                 -- code@target of the finding
    reason      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    desk        TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (case_id, finding_key)
) STRICT;

CREATE TABLE case_pledge (
    case_id  TEXT NOT NULL REFERENCES case_record(id),
    slot     INTEGER NOT NULL,                 -- material position
    material TEXT NOT NULL,
    actor    TEXT NOT NULL,
    desk     TEXT NOT NULL,
    at       TEXT NOT NULL,
    PRIMARY KEY (case_id, slot)
) STRICT;

-- Made when a case is accepted: a pledge to verify (supervisors' work list) or a 容缺 material
-- the applicant still owes. Closed, never deleted.
CREATE TABLE follow_up (
    id         INTEGER PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES case_record(id),
    kind       TEXT NOT NULL CHECK (kind IN ('pledge_check', 'deferred_material')),
    slot       INTEGER NOT NULL,
    material   TEXT NOT NULL,
    due        TEXT NOT NULL,                  -- yyyy-mm-dd
    created_at TEXT NOT NULL,
    done_at    TEXT,
    done_by    TEXT,
    done_note  TEXT,
    UNIQUE (case_id, kind, slot)
) STRICT;
CREATE INDEX follow_up_open ON follow_up(done_at, due);

CREATE TABLE case_document (
    id         INTEGER PRIMARY KEY,
    case_id    TEXT NOT NULL REFERENCES case_record(id),
    kind       TEXT NOT NULL,                  -- one_time_notice | acceptance_receipt | refusal_notice | pledge
    file       TEXT NOT NULL,                  -- path relative to the desk's documents folder
    sha256     TEXT NOT NULL,
    actor      TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX case_document_case ON case_document(case_id, id);

-- The applicant's e-licences as the hub returned them; dropped when the case leaves the window.
CREATE TABLE case_elicence (
    case_id    TEXT PRIMARY KEY REFERENCES case_record(id),
    holder     TEXT NOT NULL,
    licences   TEXT NOT NULL,                  -- JSON array of LicenceRecord
    fetched_at TEXT NOT NULL
) STRICT;
