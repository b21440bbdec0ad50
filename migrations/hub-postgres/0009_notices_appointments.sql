-- PostgreSQL twin of migrations/hub-sqlite/0009_notices_appointments.sql (same schema; scripts/compare-hub-schemas.py checks it).
-- 一次性告知: each notice a desk issued (pushed as the op case.notice_issued), tied to the queue
-- ticket the window was serving, for the hall's figures. The case itself stays at the window.
CREATE TABLE notice_issued (
    op_id       TEXT PRIMARY KEY,
    device_id   TEXT NOT NULL,
    case_number TEXT NOT NULL,
    item_code   TEXT NOT NULL,
    ticket_id   TEXT,                          -- an offline ticket's record may come later
    clerk       TEXT NOT NULL,
    at          TEXT NOT NULL,
    day         TEXT NOT NULL                  -- the hall's local date
);
CREATE INDEX notice_issued_day ON notice_issued(day);
CREATE INDEX notice_issued_ticket ON notice_issued(ticket_id);

-- 预约: appointments booked online, imported with `onewindow-hub import-appointments`. At the
-- kiosk the applicant checks in with the code and gets a ticket that joins the priority lane
-- shortly before the slot. Only the masked name is kept.
CREATE TABLE appointment (
    code          TEXT PRIMARY KEY,
    domain        TEXT NOT NULL,
    slot_at       TEXT NOT NULL,               -- the slot's start, UTC
    day           TEXT NOT NULL,               -- the hall's local date of the slot
    name_masked   TEXT NOT NULL DEFAULT '',
    imported_at   TEXT NOT NULL,
    ticket_id     TEXT REFERENCES queue_ticket(id),
    checked_in_at TEXT
);
CREATE INDEX appointment_day ON appointment(day);
