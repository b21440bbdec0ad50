-- Desks' audit logs as received: every record, each device's chain head (the anchor the next
-- records must link to), and every break found — an edited record, a record removed, the
-- newest records deleted after they were sent.
CREATE TABLE audit_record (
    device_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    desk      TEXT NOT NULL,
    action    TEXT NOT NULL,
    object    TEXT NOT NULL,
    result    TEXT NOT NULL,
    detail    TEXT,
    prev_hash TEXT NOT NULL,
    hash      TEXT NOT NULL,
    received  TEXT NOT NULL,
    PRIMARY KEY (device_id, seq)
) STRICT;

CREATE TABLE audit_anchor (
    device_id TEXT PRIMARY KEY,
    seq       INTEGER NOT NULL,
    hash      TEXT NOT NULL,
    at        TEXT NOT NULL
) STRICT;

CREATE TABLE audit_break (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    device_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    reason    TEXT NOT NULL,
    at        TEXT NOT NULL,
    UNIQUE (device_id, seq, reason)
) STRICT;
