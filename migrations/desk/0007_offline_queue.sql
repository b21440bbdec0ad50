-- The window's own walk-in queue while the hub cannot be reached (离线取号): tickets numbered
-- with the desk code (W01-003), called, recalled, served and rated here. When a ticket ends
-- (done or no-show) its whole record, every step with its time, becomes one outbox op
-- (queue.offline_ticket), so the hub's figures get it once the desk is back; a rating given
-- after that follows as its own op (queue.offline_rating).
CREATE TABLE offline_ticket (
    id          TEXT PRIMARY KEY,              -- random, also the hub's ticket id
    day         TEXT NOT NULL,                 -- the hall's local date (UTC+8) of issue
    seq         INTEGER NOT NULL,
    number      TEXT NOT NULL,                 -- W01-003
    domain      TEXT NOT NULL,
    window_no   INTEGER NOT NULL,
    issued_at   TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('waiting', 'called', 'serving', 'done', 'no_show')),
    recalls     INTEGER NOT NULL DEFAULT 0,
    called_at   TEXT,
    served_at   TEXT,
    done_at     TEXT,
    clerk       TEXT,
    case_number TEXT,
    rated_level INTEGER CHECK (rated_level BETWEEN 1 AND 5),
    rated_reasons TEXT,                        -- JSON array
    rated_comment TEXT,
    rated_at    TEXT,
    steps       TEXT NOT NULL DEFAULT '[]',    -- JSON: [{action, by, at}] in order
    UNIQUE (day, seq)
) STRICT;
CREATE INDEX offline_ticket_state ON offline_ticket(state, day);
