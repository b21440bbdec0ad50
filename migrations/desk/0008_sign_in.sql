-- Sign-in at the desk. The last sign-in the hub checked leaves an Argon2id verifier of the
-- password (never the password) with the user's role, so the clerk can sign in offline for
-- `offline_login_days` (30 by default); failed passwords are counted here too, five in a row
-- locking the name for 15 minutes, online or not.
CREATE TABLE sign_in (
    name         TEXT PRIMARY KEY,
    role         TEXT,
    domains      TEXT NOT NULL DEFAULT '[]',   -- JSON array
    verifier     TEXT,                         -- Argon2id PHC string
    verified_at  TEXT,                         -- when the hub last checked the password
    failures     INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
) STRICT;
