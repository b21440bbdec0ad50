-- PostgreSQL twin of migrations/hub-sqlite/0019_ticket_cases.sql (same schema and data step; scripts/compare-hub-schemas.py checks it).
-- Every case a ticket served. A ticket may serve several (an applicant with three matters
-- takes one number), so the figures count these rows, not tickets with a case number.
-- queue_ticket.case_number stays the last case linked (ratings name it).
CREATE TABLE ticket_case (
    ticket_id   TEXT NOT NULL REFERENCES queue_ticket(id),
    case_number TEXT NOT NULL,
    PRIMARY KEY (ticket_id, case_number)
);
INSERT INTO ticket_case (ticket_id, case_number)
    SELECT id, case_number FROM queue_ticket WHERE case_number IS NOT NULL;
