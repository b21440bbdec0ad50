-- PostgreSQL twin of migrations/hub-sqlite/0016_hours.sql (same schema; scripts/compare-hub-schemas.py checks it).
-- Issue 18, 错时延时、周末不打烊: a ticket issued outside the centre's regular weekday schedule
-- (the 错时 lunch split, 下班延时, a weekend opening) is extended-hours service, counted so in
-- the figures. Tickets from before are regular.
ALTER TABLE queue_ticket ADD COLUMN extended BIGINT NOT NULL DEFAULT 0;
