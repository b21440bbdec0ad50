-- The release each desk runs (`device.release_reported`, protocol 2): a county upgrades its
-- desks one by one from the hub's APT repository, and the audit page's list of desks shows
-- how far it got. NULL: the desk has not said (a release before protocol 2, or not synced since).
ALTER TABLE device ADD COLUMN release TEXT;
ALTER TABLE device ADD COLUMN release_at TEXT;
