-- Issue 18, 窗口无否决权: a window's 不予受理 is a request the centre's supervisor answers. The
-- hub knows a case from its refusal request (hub_case, state 'refusal_requested'); the answer
-- goes back to the requesting desk on the results stream as decisions do: case_result takes
-- two more actions. Withdrawals reach the hub too (state 'withdrawn').
CREATE TABLE case_result_new (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id       TEXT NOT NULL REFERENCES hub_case(id),
    device_id     TEXT NOT NULL,
    action        TEXT NOT NULL CHECK (action IN ('open_for_review', 'approve', 'refuse_by_office',
                      'return_for_correction', 'refusal_confirmed', 'refusal_sent_back')),
    note          TEXT,
    by_user       TEXT NOT NULL,
    at            TEXT NOT NULL,
    file_sha256   TEXT REFERENCES blob(sha256),
    file_name     TEXT,
    file_size     INTEGER
) STRICT;
INSERT INTO case_result_new (seq, case_id, device_id, action, note, by_user, at, file_sha256,
        file_name, file_size)
    SELECT seq, case_id, device_id, action, note, by_user, at, file_sha256, file_name, file_size
    FROM case_result;
DROP TABLE case_result;
ALTER TABLE case_result_new RENAME TO case_result;
CREATE INDEX case_result_device ON case_result(device_id, seq);
CREATE INDEX case_result_file ON case_result(file_sha256) WHERE file_sha256 IS NOT NULL;
