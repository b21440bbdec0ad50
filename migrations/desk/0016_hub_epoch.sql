-- The hub's epoch the desk last knew (`onewindow_proto::EPOCH_HEADER`): when the hub names
-- another, it was restored from a backup, and the desk sends again what the hub lacks.
ALTER TABLE device_identity ADD COLUMN hub_epoch TEXT;
