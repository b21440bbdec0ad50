-- Result files the approver attached to a decision (a PDF licence or decision letter). The
-- results stream names them; the desk fetches each one, archives it with the case's documents
-- and links it here, so the clerk can preview and print it at 出件. Not yet fetched:
-- document_id is NULL.
CREATE TABLE result_file (
    case_id     TEXT NOT NULL REFERENCES case_record(id),
    sha256      TEXT NOT NULL,
    name        TEXT NOT NULL,
    size        INTEGER NOT NULL,
    result_seq  INTEGER NOT NULL,
    document_id INTEGER REFERENCES case_document(id),
    PRIMARY KEY (case_id, sha256)
) STRICT;
