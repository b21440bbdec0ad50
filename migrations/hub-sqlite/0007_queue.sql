-- The hall queue: tickets from the kiosk (取号) or made at a desk (walk-in), the windows' live
-- state (open, paused, closed; a tidal window's current domains), and every queue event in
-- order (call, recall, no-show, transfer, serve, state changes) for the display and the
-- figures. A ticket links to the case it became and the clerk who served it.
CREATE TABLE queue_ticket (
    id             TEXT PRIMARY KEY,
    day            TEXT NOT NULL,                -- the hall's local date (UTC+8) of issue
    seq            INTEGER NOT NULL,
    number         TEXT NOT NULL,                -- A012
    domain         TEXT NOT NULL,
    priority       TEXT CHECK (priority IN ('elderly', 'disabled', 'military')),
    issued_at      TEXT NOT NULL,                -- kept on transfer
    appointment_at TEXT,
    state          TEXT NOT NULL CHECK (state IN ('waiting', 'called', 'serving', 'done', 'no_show')),
    window_no      INTEGER,
    recalls        INTEGER NOT NULL DEFAULT 0,
    called_at      TEXT,
    served_at      TEXT,
    done_at        TEXT,
    clerk          TEXT,
    case_number    TEXT,
    source         TEXT NOT NULL,                -- kiosk | desk:W01
    UNIQUE (day, domain, seq)
) STRICT;
CREATE INDEX queue_ticket_state ON queue_ticket(state, day);
CREATE INDEX queue_ticket_window ON queue_ticket(window_no, state);

CREATE TABLE queue_window_state (
    number     INTEGER PRIMARY KEY,
    state      TEXT NOT NULL CHECK (state IN ('open', 'paused', 'closed')),
    domains    TEXT NOT NULL,                    -- JSON array; starts as the configuration's
    clerk      TEXT,
    updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE queue_event (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id TEXT REFERENCES queue_ticket(id),
    window_no INTEGER,
    kind      TEXT NOT NULL,                     -- issue | call | recall | serve | no_show | transfer | done | window
    by_user   TEXT,
    at        TEXT NOT NULL,
    detail    TEXT
) STRICT;
CREATE INDEX queue_event_at ON queue_event(at);
