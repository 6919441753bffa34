-- The transactional outbox (protocol.md §5): every outbound message of either
-- node (identification-result callbacks, R7 notices, webhooks) is written
-- here in the same transaction as the decision that causes it, and delivered
-- at least once afterwards. Rows are never deleted before acknowledgement;
-- delivered rows stay as delivery history (R10, R12).
CREATE TABLE outbox (
  id              uuid        PRIMARY KEY,
  kind            text        NOT NULL,
  -- Destination participant (directory id, e.g. `tamtam`).
  partner_id      text        NOT NULL,
  -- The same logical message is enqueued at most once per kind.
  dedupe_key      text        NOT NULL,
  payload         jsonb       NOT NULL,
  -- pending: to deliver (retried until acknowledged); delivered: acknowledged;
  -- rejected: refused for good by the receiver (e.g. UNKNOWN_CODE), no retries.
  state           text        NOT NULL DEFAULT 'pending'
                              CHECK (state IN ('pending', 'delivered', 'rejected')),
  created_at      timestamptz NOT NULL,
  -- Compliance deadline (R7: occurredAt + 24 h); null when there is none.
  due_by          timestamptz,
  next_attempt_at timestamptz NOT NULL,
  -- Claims so far; counted when claimed, so a worker that dies mid-delivery
  -- still moves the item along the backoff schedule.
  attempts        integer     NOT NULL DEFAULT 0,
  last_attempt_at timestamptz,
  -- Lease: the worker delivering the row and until when; an expired lease is
  -- claimable by any other worker.
  claimed_by      text,
  claimed_until   timestamptz,
  last_error      text,
  rejection_code  text,
  delivered_at    timestamptz,
  rejected_at     timestamptz,
  -- When a deadline-risk alert was raised, so each row is alerted once.
  alerted_at      timestamptz,
  CONSTRAINT outbox_dedupe UNIQUE (kind, dedupe_key)
);

-- Claiming: the oldest due pending rows, and within one partner and kind.
CREATE INDEX outbox_pending_due ON outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_pending_partner ON outbox (partner_id, kind, next_attempt_at, id)
  WHERE state = 'pending';
-- Deadline-risk scan: pending rows with a deadline not yet alerted.
CREATE INDEX outbox_unalerted_due_by ON outbox (due_by)
  WHERE state = 'pending' AND due_by IS NOT NULL AND alerted_at IS NULL;
-- Operations views and purge of old history.
CREATE INDEX outbox_partner_state ON outbox (partner_id, state);
CREATE INDEX outbox_delivered_at ON outbox (delivered_at) WHERE state = 'delivered';
