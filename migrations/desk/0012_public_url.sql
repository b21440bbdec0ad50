-- Issue 16: the address applicants' phones use for the hub (`serve --public-url`), learnt from
-- the hub's /healthz; the receipt's QR code points there.
ALTER TABLE device_identity ADD COLUMN public_url TEXT;
