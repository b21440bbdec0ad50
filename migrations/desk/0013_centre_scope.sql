-- Issue 17: the desk's centre and which items it accepts, as the hub sends it with the
-- catalog (`GET /v1/centre-scope`): the search marks the others and acceptance refuses them,
-- naming the centres that accept them. One row, the whole scope as JSON; none until the hub
-- first answered (then every item is accepted, as before centres).
CREATE TABLE centre_scope (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    body       TEXT NOT NULL,
    fetched_at TEXT NOT NULL
) STRICT;
