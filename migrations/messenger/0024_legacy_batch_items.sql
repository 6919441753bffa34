-- A legacy batch holds its own items: the users, request ids and codes
-- chosen at planning, as parallel arrays in item order. Planning used to
-- write them onto each user's legacy_users row (status 'planned', batch_id,
-- request_id, code): one row update per user, and since the batch_id index
-- named a changed column, a new entry in every index of the table for each.
-- Now planning writes one row per batch, and a legacy user's row is written
-- once, when the answer is applied (status, not_served_by, decided_at).
-- legacy_users.operator_id, batch_id, request_id and code are no longer
-- written (rows planned before keep theirs): the batch's arrays hold them.
-- Users in a batch not yet applied stay `waiting`: a reconcile finishes every
-- unapplied batch before it plans, and within a run the planner's cursor has
-- passed them.
ALTER TABLE legacy_batches
  ADD COLUMN user_ids    uuid[],
  ADD COLUMN request_ids uuid[],
  ADD COLUMN codes       text[],
  ADD CONSTRAINT legacy_batches_items_match CHECK (
    user_ids IS NULL OR (cardinality(user_ids) = item_count
                         AND cardinality(request_ids) = item_count
                         AND cardinality(codes) = item_count));

-- The arrays are random ids and codes: compression finds nothing to save
-- and trying cost about half the time of writing a batch (scratch test: one
-- statement writing 20 batches of 10,000 items, about 500 ms compressing
-- against 260 ms not). Stored out of line as they are.
ALTER TABLE legacy_batches
  ALTER COLUMN user_ids SET STORAGE EXTERNAL,
  ALTER COLUMN request_ids SET STORAGE EXTERNAL,
  ALTER COLUMN codes SET STORAGE EXTERNAL;

-- Batches planned before this migration and not applied yet take their
-- items from their users' rows, in the order a re-send has always used
-- (request id), so the body stays byte-identical; those users wait again.
-- The count follows the items (a re-send always carried the planned ones).
UPDATE legacy_batches b
   SET user_ids = i.user_ids, request_ids = i.request_ids, codes = i.codes,
       item_count = cardinality(i.user_ids)
  FROM (SELECT batch_id,
               array_agg(user_id ORDER BY request_id) AS user_ids,
               array_agg(request_id ORDER BY request_id) AS request_ids,
               array_agg(code ORDER BY request_id) AS codes
          FROM legacy_users WHERE status = 'planned' GROUP BY batch_id) i
 WHERE b.batch_id = i.batch_id AND b.state <> 'applied';
UPDATE legacy_batches SET user_ids = '{}', request_ids = '{}', codes = '{}', item_count = 0
 WHERE state <> 'applied' AND user_ids IS NULL;
UPDATE legacy_users SET status = 'waiting' WHERE status = 'planned';

-- Which reconcile run plans. Planning no longer marks the users it planned,
-- so two runs planning at once would put the same users into two batches.
-- A run takes this row when it starts; each planning transaction locks it
-- and stops when another run has taken it since (the later run wins, and
-- finishes the batches the earlier one left before it plans).
CREATE TABLE legacy_planner (
  only_row   boolean     PRIMARY KEY DEFAULT true CHECK (only_row),
  run_id     uuid        NOT NULL,
  taken_at   timestamptz NOT NULL
);

-- Nothing finds legacy users by batch any more (a batch reads its arrays).
-- Without this index no index of legacy_users names a column that planning
-- or the apply changes.
DROP INDEX legacy_users_batch;

-- Room for the apply to update in place: it changes a user's row once, in
-- up to a quarter of the rows of a page at a time (the users of one
-- operator), while the batches of the other operators work on the same
-- pages. With a fifth of each page free, 39% of those updates were HOT in
-- bench reconcile at 1,000,000 users; with half, 92%, and 19,172 → 21,121
-- users/s (two runs each, alternated). The table takes about 1.6 times the
-- space; it applies to rows imported from now on.
ALTER TABLE legacy_users SET (fillfactor = 50);
