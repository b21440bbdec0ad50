-- The back office: users (approvers see their domains' cases), their sessions, and the
-- decisions that flow back to the windows as the case-results stream.

CREATE TABLE hub_user (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('clerk', 'supervisor', 'approver', 'admin')),
    password_hash TEXT NOT NULL,                 -- Argon2id PHC string
    created_at    TEXT NOT NULL
) STRICT;

CREATE TABLE hub_user_domain (
    name   TEXT NOT NULL REFERENCES hub_user(name),
    domain TEXT NOT NULL,
    PRIMARY KEY (name, domain)
) STRICT;

CREATE TABLE office_session (
    token_hash TEXT PRIMARY KEY,                 -- SHA-256 of the cookie value
    name       TEXT NOT NULL REFERENCES hub_user(name),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;

-- Decisions and other back-office steps, in order: the desks pull their cases' rows.
CREATE TABLE case_result (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id       TEXT NOT NULL REFERENCES hub_case(id),
    device_id     TEXT NOT NULL,
    action        TEXT NOT NULL CHECK (action IN ('open_for_review', 'approve', 'refuse_by_office', 'return_for_correction')),
    note          TEXT,
    by_user       TEXT NOT NULL,
    at            TEXT NOT NULL
) STRICT;
CREATE INDEX case_result_device ON case_result(device_id, seq);
