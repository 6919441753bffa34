-- The time of the event an outbox row reports (an R7 notice: when the
-- contract ended), kept on the row so that delays are measured from it
-- rather than worked back from due_by. Rows written before this carried
-- it only inside due_by, which was the event time plus 24 hours.
ALTER TABLE outbox ADD COLUMN event_at timestamptz;
UPDATE outbox SET event_at = due_by - interval '24 hours'
 WHERE kind = 'notice' AND due_by IS NOT NULL;
