-- Issue 18, 暂停计时: the promised-date clock of a case. It starts at acceptance (`clock_from`,
-- the hall day); a return for correction stops it, adding the working days used up to and
-- including the day of the return to `clock_used`; acceptance again restarts it with the days
-- left. Cases accepted before keep no clock (counted as starting at their acceptance).
ALTER TABLE case_record ADD COLUMN clock_from TEXT;
ALTER TABLE case_record ADD COLUMN clock_used INTEGER NOT NULL DEFAULT 0;
