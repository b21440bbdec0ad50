-- Push state: what the hub answered for each outbox op, and who this desk is to the hub.
-- An op without a result is pending. A rejected op stays visible with its reason until the
-- clerk resends it (the result row goes) or discards it with a recorded reason.

CREATE TABLE op_result (
    op_id          TEXT PRIMARY KEY REFERENCES outbox(op_id),
    status         TEXT NOT NULL CHECK (status IN ('applied', 'duplicate', 'rejected', 'discarded')),
    reason         TEXT,
    at             TEXT NOT NULL,
    discard_reason TEXT,
    discarded_by   TEXT
) STRICT;

-- The enrolment: one row. The device token is in the OS keyring, never here.
CREATE TABLE device_identity (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    device_id   TEXT NOT NULL,
    desk_code   TEXT NOT NULL,
    desk_name   TEXT NOT NULL,
    hub_url     TEXT NOT NULL,
    enrolled_at TEXT NOT NULL
) STRICT;

-- The last back-office result applied to each case: a results stream downloaded again never
-- moves a case back.
ALTER TABLE case_record ADD COLUMN last_result_seq INTEGER NOT NULL DEFAULT 0;
