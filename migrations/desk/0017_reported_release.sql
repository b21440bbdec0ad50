-- The release this desk last told its hub it runs (`device.release_reported`): reported again
-- once after each upgrade, and after enrolling with another hub.
ALTER TABLE device_identity ADD COLUMN reported_release TEXT;
