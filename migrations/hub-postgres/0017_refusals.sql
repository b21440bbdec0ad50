-- PostgreSQL twin of migrations/hub-sqlite/0017_refusals.sql (same schema; scripts/compare-hub-schemas.py checks it).
-- Issue 18, 窗口无否决权: a window's 不予受理 is a request the centre's supervisor answers. The
-- hub knows a case from its refusal request (hub_case, state 'refusal_requested'); the answer
-- goes back to the requesting desk on the results stream as decisions do: case_result takes
-- two more actions. Withdrawals reach the hub too (state 'withdrawn').
-- (SQLite rebuilds case_result to change its CHECK, keeping every column, row, seq and index;
-- PostgreSQL replaces the CHECK in place, which leaves the same table.)
ALTER TABLE case_result DROP CONSTRAINT case_result_action_check;
ALTER TABLE case_result ADD CONSTRAINT case_result_action_check
    CHECK (action IN ('open_for_review', 'approve', 'refuse_by_office',
                      'return_for_correction', 'refusal_confirmed', 'refusal_sent_back'));
