-- Failed sign-ins per user name (desk sign-in and the back office alike): five in a row lock
-- the name for 15 minutes, during which its password is not even checked.
CREATE TABLE login_attempt (
    name         TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT
) STRICT;
