-- References into the subscriber base and the register, kept without
-- per-row foreign-key triggers.
--
-- A foreign key makes PostgreSQL run one lookup per inserted row, through a
-- separate query, and lock the row it finds. A legacy batch inserts up to
-- 10,000 register entries and 10,000 request records at once: the two keys
-- below took about a fifth of the database's CPU in bench operator-batch, and
-- each lock of a contract row is a write to that row's page.
--
-- The guarantee they gave is kept another way:
-- - The rows referred to are never deleted and never change their keys; the
--   triggers below refuse it (contracts and register entries are history,
--   R5, R12). So a reference valid when written stays valid.
-- - A register entry is written only by a decision that has just read its
--   contract, locked FOR SHARE in the same transaction (DECISION_LOCK in
--   src/operator/subscribers/subscriber-contract-store.ts); that lock is
--   stronger than the foreign key's, which did not stop a termination.
-- - A request record refers to the entry its own decision inserted, in the
--   same transaction.
-- test/operator/register-references.test.ts checks both, on both drivers.
ALTER TABLE register_entries DROP CONSTRAINT register_entries_msisdn_contract_id_fkey;
ALTER TABLE identification_requests DROP CONSTRAINT identification_requests_entry_id_fkey;

-- Defined by each node's own migrations (a node may apply its set without
-- 'shared', as some tests do); identical, hence OR REPLACE.
CREATE OR REPLACE FUNCTION refuse_history_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are history: they are never deleted and their keys never change',
    TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER subscriber_contracts_kept BEFORE DELETE OR TRUNCATE ON subscriber_contracts
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_rewrite();
CREATE TRIGGER subscriber_contracts_key_kept BEFORE UPDATE OF msisdn, contract_id
  ON subscriber_contracts FOR EACH ROW
  WHEN (OLD.msisdn IS DISTINCT FROM NEW.msisdn OR OLD.contract_id IS DISTINCT FROM NEW.contract_id)
  EXECUTE FUNCTION refuse_history_rewrite();
CREATE TRIGGER register_entries_kept BEFORE DELETE OR TRUNCATE ON register_entries
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_rewrite();
CREATE TRIGGER register_entries_key_kept BEFORE UPDATE OF entry_id ON register_entries
  FOR EACH ROW WHEN (OLD.entry_id IS DISTINCT FROM NEW.entry_id)
  EXECUTE FUNCTION refuse_history_rewrite();
