-- PostgreSQL twin of migrations/hub-sqlite/0010_login_guard.sql (same schema; scripts/compare-hub-schemas.py checks it).
-- Failed sign-ins per user name (desk sign-in and the back office alike): five in a row lock
-- the name for 15 minutes, during which its password is not even checked.
CREATE TABLE login_attempt (
    name         TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL DEFAULT 0,
    locked_until TEXT
);
