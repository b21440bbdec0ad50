-- Issue 15: what a desk may claim, clerks' sessions at desks, the e-licence registry closed,
-- and signed audit chains.

-- 一次性告知 notices keyed by the device that sent the op and the op's id, like applied_op.
CREATE TABLE notice_issued_keyed (
    device_id   TEXT NOT NULL,
    op_id       TEXT NOT NULL,
    case_number TEXT NOT NULL,
    item_code   TEXT NOT NULL,
    ticket_id   TEXT,
    clerk       TEXT NOT NULL,
    at          TEXT NOT NULL,
    day         TEXT NOT NULL,
    PRIMARY KEY (device_id, op_id)
) STRICT;
INSERT INTO notice_issued_keyed (device_id, op_id, case_number, item_code, ticket_id, clerk, at, day)
    SELECT device_id, op_id, case_number, item_code, ticket_id, clerk, at, day FROM notice_issued;
DROP TABLE notice_issued;
ALTER TABLE notice_issued_keyed RENAME TO notice_issued;
CREATE INDEX notice_issued_day ON notice_issued(day);
CREATE INDEX notice_issued_ticket ON notice_issued(ticket_id);

-- Each device's own upload of a blob. The bytes are kept once on disk (`blob`), but a device
-- may reference a blob in its ops, or ask how much of it the hub has, only once it uploaded
-- those bytes itself. Blobs already referenced by a device's cases count as its uploads.
CREATE TABLE blob_upload (
    device_id  TEXT NOT NULL REFERENCES device(id),
    sha256     TEXT NOT NULL,
    size       INTEGER NOT NULL,
    received   INTEGER NOT NULL,
    complete   INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (device_id, sha256)
) STRICT;
INSERT OR IGNORE INTO blob_upload (device_id, sha256, size, received, complete, updated_at)
    SELECT c.device_id, m.sha256, b.size, b.size, 1, b.updated_at
    FROM hub_case_material m
    JOIN hub_case c ON c.id = m.case_id
    JOIN blob b ON b.sha256 = m.sha256 AND b.complete = 1;

-- A clerk signed in at a desk through the hub: the session token's hash, returned once.
CREATE TABLE desk_session (
    token_hash TEXT PRIMARY KEY,
    device_id  TEXT NOT NULL REFERENCES device(id),
    user_name  TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;
CREATE INDEX desk_session_device ON desk_session(device_id);

-- Everyone who ever signed in at a desk through the hub: the actors its audit records may name
-- (an offline sign-in needs a verifier the desk got from such a sign-in). Earlier sign-ins are
-- read from the records the hub holds.
CREATE TABLE desk_user (
    device_id TEXT NOT NULL REFERENCES device(id),
    user_name TEXT NOT NULL,
    first_at  TEXT NOT NULL,
    PRIMARY KEY (device_id, user_name)
) STRICT;
INSERT OR IGNORE INTO desk_user (device_id, user_name, first_at)
    SELECT device_id, actor, min(at) FROM audit_record
    WHERE action = 'login' AND result = 'ok' AND device_id IN (SELECT id FROM device)
    GROUP BY device_id, actor;

-- E-licence lookups, for the per-device hourly limit (each is also in the hub's audit chain).
CREATE TABLE elicence_lookup (
    id        INTEGER PRIMARY KEY,
    device_id TEXT NOT NULL,
    at        TEXT NOT NULL
) STRICT;
CREATE INDEX elicence_lookup_device ON elicence_lookup(device_id, at);

-- The key each audit chain is signed with: a desk's (registered at enrolment, or at the first
-- sign-in after this change) and the hub's own ('hub'). Records after `signed_from - 1` must
-- carry a valid signature; earlier ones are unsigned legacy. A chain starts on the hub after
-- (start_seq, start_hash): a desk's records from before its enrolment stay on the desk. No
-- record may be dated before `since` (the desk's enrolment).
CREATE TABLE audit_key (
    chain         TEXT PRIMARY KEY,
    public_key    TEXT NOT NULL,
    signed_from   INTEGER NOT NULL,
    start_seq     INTEGER NOT NULL DEFAULT 0,
    start_hash    TEXT NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000',
    since         TEXT NOT NULL,
    registered_at TEXT NOT NULL
) STRICT;

ALTER TABLE audit_record ADD COLUMN sig TEXT;
