-- PostgreSQL twin of migrations/hub-sqlite/0012_hub_audit.sql (same triggers, as one plpgsql function).
-- The hub keeps its own audit chain in audit_record under the device id 'hub': back-office
-- sign-ins, case and scan views, decisions and exports. Records are append-only for every
-- chain: the triggers refuse edits and deletes (a change made around them breaks the chain,
-- which the audit page checks).
CREATE FUNCTION audit_record_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records are append-only';
END;
$$;

CREATE TRIGGER audit_record_no_update BEFORE UPDATE ON audit_record
    FOR EACH ROW EXECUTE FUNCTION audit_record_append_only();

CREATE TRIGGER audit_record_no_delete BEFORE DELETE ON audit_record
    FOR EACH ROW EXECUTE FUNCTION audit_record_append_only();
