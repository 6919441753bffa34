-- Large JSON values (a legacy batch's audit entry or idempotent answer holds
-- 10,000 items, about 2 MB) are compressed when stored. PostgreSQL's default
-- method, pglz, took about 5% of the database's CPU in bench operator-batch;
-- lz4 compresses several times faster at a similar ratio. A server built
-- without lz4 refuses the method; it then keeps pglz, which changes nothing
-- but speed. Values already stored keep their method; both read the same.
DO $$
BEGIN
  ALTER TABLE audit_entries ALTER COLUMN data SET COMPRESSION lz4;
  ALTER TABLE idempotent_requests ALTER COLUMN response_body SET COMPRESSION lz4;
  ALTER TABLE outbox ALTER COLUMN payload SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'lz4 is not available on this server; large values stay pglz-compressed';
END
$$;
