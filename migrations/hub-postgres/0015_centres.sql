-- PostgreSQL twin of migrations/hub-sqlite/0015_centres.sql (same schema and data steps; scripts/compare-hub-schemas.py checks it).
-- Centres (issue 17): one hub for a county's main hall, its town 便民服务中心 and village
-- 便民服务站. Each centre has its own queue configuration, windows, tickets, kiosks, display,
-- appointments and figures; desks, kiosks and users belong to one. A hub from before this
-- change becomes the one county-level centre `MAIN`, and everything it holds is MAIN's.
CREATE TABLE centre (
    code       TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    level      TEXT NOT NULL CHECK (level IN ('county', 'town', 'village')),
    parent     TEXT REFERENCES centre(code),
    created_at TEXT NOT NULL
);
-- created_at as SQLite's strftime('%Y-%m-%dT%H:%M:%fZ', 'now') writes it: UTC, milliseconds.
INSERT INTO centre (code, name, level, parent, created_at)
    VALUES ('MAIN', '政务服务中心', 'county', NULL,
            to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'));

-- `centre items --add/--remove`: a centre's own answer for an item, over what the catalog's
-- `levels` say for the centre's level.
CREATE TABLE centre_item (
    centre     TEXT NOT NULL REFERENCES centre(code),
    item_code  TEXT NOT NULL,
    accepts    BIGINT NOT NULL CHECK (accepts IN (0, 1)),
    changed_at TEXT NOT NULL,
    PRIMARY KEY (centre, item_code)
);

-- Who and what belongs where. (SQLite adds no REFERENCES column with a non-null default; the
-- store checks the code against `centre` before writing. PostgreSQL could, but the two
-- schemas stay the same: no REFERENCES here either.)
ALTER TABLE device ADD COLUMN centre TEXT NOT NULL DEFAULT 'MAIN';
ALTER TABLE enrol_code ADD COLUMN centre TEXT NOT NULL DEFAULT 'MAIN';
ALTER TABLE hub_user ADD COLUMN centre TEXT NOT NULL DEFAULT 'MAIN';
ALTER TABLE kiosk ADD COLUMN centre TEXT NOT NULL DEFAULT 'MAIN';
ALTER TABLE queue_config_change ADD COLUMN centre TEXT NOT NULL DEFAULT 'MAIN';
CREATE INDEX queue_config_change_centre ON queue_config_change(centre, seq);
ALTER TABLE queue_event ADD COLUMN centre TEXT NOT NULL DEFAULT 'MAIN';
-- The hall board's last calls: a centre's events newest first, without sorting them all.
CREATE INDEX queue_event_centre ON queue_event(centre, id);
ALTER TABLE appointment ADD COLUMN centre TEXT NOT NULL DEFAULT 'MAIN';
ALTER TABLE rating ADD COLUMN centre TEXT NOT NULL DEFAULT 'MAIN';
ALTER TABLE notice_issued ADD COLUMN centre TEXT NOT NULL DEFAULT 'MAIN';

-- Tickets are numbered per centre, day and domain: the table is rebuilt for its new key,
-- every id kept (centre comes second, as in SQLite). queue_event, rating and appointment
-- reference it: SQLite defers their checks to commit; here their references are dropped
-- before the rebuild and made again, under the same names, once the copied rows are in.
ALTER TABLE queue_event DROP CONSTRAINT queue_event_ticket_id_fkey;
ALTER TABLE rating DROP CONSTRAINT rating_ticket_id_fkey;
ALTER TABLE appointment DROP CONSTRAINT appointment_ticket_id_fkey;
CREATE TABLE queue_ticket_copy AS SELECT * FROM queue_ticket;
DROP TABLE queue_ticket;
CREATE TABLE queue_ticket (
    id             TEXT PRIMARY KEY,
    centre         TEXT NOT NULL DEFAULT 'MAIN',
    day            TEXT NOT NULL,                -- the hall's local date (UTC+8) of issue
    seq            BIGINT NOT NULL,
    number         TEXT NOT NULL,                -- A012
    domain         TEXT NOT NULL,
    priority       TEXT CHECK (priority IN ('elderly', 'disabled', 'military')),
    issued_at      TEXT NOT NULL,                -- kept on transfer
    appointment_at TEXT,
    state          TEXT NOT NULL CHECK (state IN ('waiting', 'called', 'serving', 'done', 'no_show')),
    window_no      BIGINT,
    recalls        BIGINT NOT NULL DEFAULT 0,
    called_at      TEXT,
    served_at      TEXT,
    done_at        TEXT,
    clerk          TEXT,
    case_number    TEXT,
    source         TEXT NOT NULL,                -- kiosk | desk:W01 | offline:W01
    UNIQUE (centre, day, domain, seq)
);
INSERT INTO queue_ticket (id, centre, day, seq, number, domain, priority, issued_at,
        appointment_at, state, window_no, recalls, called_at, served_at, done_at, clerk,
        case_number, source)
    SELECT id, 'MAIN', day, seq, number, domain, priority, issued_at, appointment_at, state,
        window_no, recalls, called_at, served_at, done_at, clerk, case_number, source
    FROM queue_ticket_copy;
DROP TABLE queue_ticket_copy;
CREATE INDEX queue_ticket_state ON queue_ticket(centre, state, day);
CREATE INDEX queue_ticket_window ON queue_ticket(centre, window_no, state);
ALTER TABLE queue_event ADD CONSTRAINT queue_event_ticket_id_fkey
    FOREIGN KEY (ticket_id) REFERENCES queue_ticket(id);
ALTER TABLE rating ADD CONSTRAINT rating_ticket_id_fkey
    FOREIGN KEY (ticket_id) REFERENCES queue_ticket(id);
ALTER TABLE appointment ADD CONSTRAINT appointment_ticket_id_fkey
    FOREIGN KEY (ticket_id) REFERENCES queue_ticket(id);

-- Window numbers are a centre's own: window 1 of a town is not window 1 of the county hall.
-- (SQLite renames the old table aside; here it is copied aside and dropped, so that the new
-- table's constraints take the names a table made in one go has.)
CREATE TABLE queue_window_state_before_centres AS SELECT * FROM queue_window_state;
DROP TABLE queue_window_state;
CREATE TABLE queue_window_state (
    centre     TEXT NOT NULL DEFAULT 'MAIN',
    number     BIGINT NOT NULL,
    state      TEXT NOT NULL CHECK (state IN ('open', 'paused', 'closed')),
    domains    TEXT NOT NULL,                    -- JSON array; starts as the configuration's
    clerk      TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (centre, number)
);
INSERT INTO queue_window_state (centre, number, state, domains, clerk, updated_at)
    SELECT 'MAIN', number, state, domains, clerk, updated_at FROM queue_window_state_before_centres;
DROP TABLE queue_window_state_before_centres;
