-- The hall's queue configuration as last pulled from the hub (the queue-configuration stream;
-- its cursor is in sync_stream under 'queue_config'). One row: the whole configuration.
CREATE TABLE queue_config (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    body TEXT NOT NULL                         -- QueueConfig as JSON
) STRICT;
