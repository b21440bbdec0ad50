-- The hall's queue configuration as published (`onewindow-hub import-queue`): each import that
-- changes it adds a row with the whole configuration; the latest row is the current one and
-- the desks pull the rows as the queue-configuration stream.
CREATE TABLE queue_config_change (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    body        TEXT NOT NULL,                 -- QueueConfig as JSON
    imported_at TEXT NOT NULL
) STRICT;
