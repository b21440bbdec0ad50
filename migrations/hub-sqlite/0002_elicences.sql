-- The demo e-licence registry (电子证照库), replaced whole by each import. Desks look up one
-- holder at a time; the registry never leaves the hub whole.

CREATE TABLE elicence_holder (
    holder      TEXT PRIMARY KEY,   -- ID number or unified social credit code
    holder_kind TEXT NOT NULL,      -- 'person' | 'organisation'
    body        TEXT NOT NULL       -- RegistryHolder JSON
) STRICT;

CREATE TABLE elicence_import (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    holders     INTEGER NOT NULL
) STRICT;
