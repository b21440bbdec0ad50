-- The hub's TLS certificate as this desk pinned it at enrolment (SHA-256 of the DER, lowercase
-- hex); NULL for a hub on loopback HTTP.
ALTER TABLE device_identity ADD COLUMN hub_pin TEXT;
