-- 好差评: the applicant's rating at the window, tied to the ticket (and through it the case and
-- the clerk). A bad rating (level 1 or 2) starts a rectification: 待整改 → 已整改 → 已回访,
-- due in 15 working days, each step with who, when and what was done.
CREATE TABLE rating (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id    TEXT REFERENCES queue_ticket(id),
    case_number  TEXT,
    window_no    INTEGER,
    clerk        TEXT,
    level        INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    reasons      TEXT NOT NULL,                -- JSON array
    comment      TEXT NOT NULL DEFAULT '',
    at           TEXT NOT NULL,
    day          TEXT NOT NULL,                -- the hall's local date
    rectify      TEXT CHECK (rectify IN ('pending', 'rectified', 'revisited')),
    due          TEXT,                         -- rectification due date
    rectified_at TEXT, rectified_by TEXT, rectified_note TEXT,
    revisited_at TEXT, revisited_by TEXT, revisited_note TEXT
) STRICT;
CREATE INDEX rating_day ON rating(day);
CREATE INDEX rating_rectify ON rating(rectify) WHERE rectify IS NOT NULL;
