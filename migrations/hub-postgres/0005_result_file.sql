-- PostgreSQL twin of migrations/hub-sqlite/0005_result_file.sql (same schema; scripts/compare-hub-schemas.py checks it).
-- An approval may carry a result file (a PDF the approver uploads: the licence, the decision
-- letter). It is a blob like the scans; the window that took the case in fetches it.
ALTER TABLE case_result ADD COLUMN file_sha256 TEXT REFERENCES blob(sha256);
ALTER TABLE case_result ADD COLUMN file_name TEXT;
ALTER TABLE case_result ADD COLUMN file_size BIGINT;
CREATE INDEX case_result_file ON case_result(file_sha256) WHERE file_sha256 IS NOT NULL;
