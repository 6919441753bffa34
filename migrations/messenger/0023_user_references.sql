-- References to users and legacy batches, kept without per-row foreign-key
-- triggers (as the operator's register, migrations/operator/0011).
--
-- A foreign key makes PostgreSQL run one lookup per written row, through a
-- separate query, and lock the row it finds. Legacy reconciliation writes
-- them by the 10,000: importing a user inserts its users, legacy_users and
-- user_transitions rows; planning points up to 10,000 legacy users at a new
-- batch; applying an answer adds a transition per user.
--
-- The guarantee is kept another way:
-- - users and legacy_batches rows are never deleted and never change their
--   keys (a user leaves by the 'deleted' state; transitions are its history,
--   R12); the triggers below refuse it. So a reference valid when written
--   stays valid.
-- - Every writer refers to rows of its own transaction: a transition is
--   inserted for the users its UPDATE … RETURNING (or INSERT) just wrote, a
--   legacy user row next to its new users row, a plan to the batch row it
--   just inserted.
ALTER TABLE user_transitions DROP CONSTRAINT user_transitions_user_id_fkey;
ALTER TABLE legacy_users DROP CONSTRAINT legacy_users_user_id_fkey;
ALTER TABLE legacy_users DROP CONSTRAINT legacy_users_batch_id_fkey;

-- Defined by each node's own migrations (a node may apply its set without
-- 'shared', as some tests do); identical, hence OR REPLACE.
CREATE OR REPLACE FUNCTION refuse_history_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are history: they are never deleted and their keys never change',
    TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$;

CREATE TRIGGER users_kept BEFORE DELETE OR TRUNCATE ON users
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_rewrite();
CREATE TRIGGER users_key_kept BEFORE UPDATE OF user_id ON users
  FOR EACH ROW WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id)
  EXECUTE FUNCTION refuse_history_rewrite();
CREATE TRIGGER legacy_batches_kept BEFORE DELETE OR TRUNCATE ON legacy_batches
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_history_rewrite();
CREATE TRIGGER legacy_batches_key_kept BEFORE UPDATE OF batch_id ON legacy_batches
  FOR EACH ROW WHEN (OLD.batch_id IS DISTINCT FROM NEW.batch_id)
  EXECUTE FUNCTION refuse_history_rewrite();
