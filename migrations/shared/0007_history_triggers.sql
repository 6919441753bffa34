-- Trigger function for tables whose rows are history: refuses DELETE,
-- TRUNCATE and key changes. Each node attaches it to its own tables
-- (migrations/operator/0011, migrations/messenger/0023).
CREATE FUNCTION refuse_history_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% rows are history: they are never deleted and their keys never change',
    TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$;
