-- Every case an offline ticket served (JSON array of case numbers, in order); case_number
-- stays the last one.
ALTER TABLE offline_ticket ADD COLUMN case_numbers TEXT NOT NULL DEFAULT '[]';
UPDATE offline_ticket SET case_numbers = json_array(case_number) WHERE case_number IS NOT NULL;
