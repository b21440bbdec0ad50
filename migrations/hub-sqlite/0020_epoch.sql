-- The hub's epoch: a random name for this database's history, made on first use and replaced
-- when the database is restored from a backup (`onewindow-hub restore`). Desks send the epoch
-- they know with each push; a restored hub refuses it, and the desk then sends again the ops
-- the hub lacks and pulls its streams anew.
CREATE TABLE hub_epoch (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    epoch         TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    restored_from TEXT,
    -- Each pull stream's last change when the restore was made (JSON object): desks that had
    -- followed a stream further go back to it.
    restored_heads TEXT
) STRICT;
