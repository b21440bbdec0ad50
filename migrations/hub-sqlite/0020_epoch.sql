-- The hub's epoch: a random name for this database's history, made on first use and replaced
-- when the database is restored from a backup (`onewindow-hub restore`). Desks send the epoch
-- they know with each push; a restored hub refuses it, and the desk then sends again the ops
-- the hub lacks and pulls its streams anew.
CREATE TABLE hub_epoch (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    epoch         TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    restored_from TEXT
) STRICT;
