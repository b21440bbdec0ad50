-- Issue 18, 办不成事 register: an applicant's matter the centre could not resolve, recorded at a
-- desk (op `unresolved.recorded`) or at the kiosk's 办不成事 button. The centre's supervisor
-- (首席事务代表) owns it, records each action and closes it with an outcome; a matter open
-- longer than the centre's configured days (queue configuration `unresolved_days`) is marked.
CREATE TABLE unresolved_matter (
    id           TEXT PRIMARY KEY,
    centre       TEXT NOT NULL,
    source       TEXT NOT NULL,                 -- desk:W01 | kiosk:NAME
    who          TEXT NOT NULL,
    contact      TEXT NOT NULL,
    item_code    TEXT,
    item_text    TEXT NOT NULL DEFAULT '',
    tried        TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    owner        TEXT,
    closed_at    TEXT,
    outcome      TEXT
) STRICT;
CREATE INDEX unresolved_matter_centre ON unresolved_matter(centre, closed_at);

CREATE TABLE unresolved_action (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    matter_id  TEXT NOT NULL REFERENCES unresolved_matter(id),
    by_user    TEXT NOT NULL,
    at         TEXT NOT NULL,
    note       TEXT NOT NULL
) STRICT;
