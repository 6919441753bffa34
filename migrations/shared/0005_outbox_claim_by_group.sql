-- A claim now picks its partner and kind by probing each (partner, kind)
-- group of outbox_pending_partner (see claimDueBatch), so nothing reads the
-- global due-time index any more. It cost an index insertion on every
-- enqueue and every row update that PostgreSQL could not do in place, and it
-- was what made claims slow at scale: a claim that excluded every busy
-- partner walked the whole backlog through it.
DROP INDEX outbox_pending_due;

-- (partner_id, state) took an insertion on every claim and completion of
-- every row. Pending rows of a partner are found through
-- outbox_pending_partner; the operations views that ask for a partner's
-- rejected rows get this small index of rejected rows only.
DROP INDEX outbox_partner_state;
CREATE INDEX outbox_rejected_partner ON outbox (partner_id, kind) WHERE state = 'rejected';

-- A queue table: rows are inserted, updated twice (claim, completion) and
-- leave the pending indexes. Vacuum it after a fixed number of dead rows,
-- not a fifth of the table, so claims do not step over millions of dead
-- index entries between vacuums of a large history.
ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0.0, autovacuum_vacuum_threshold = 50000,
                        autovacuum_vacuum_insert_scale_factor = 0.0,
                        autovacuum_vacuum_insert_threshold = 50000,
                        autovacuum_analyze_scale_factor = 0.0, autovacuum_analyze_threshold = 50000);
