-- Legacy users (R9, I1): accounts authorized before the rules, imported from
-- the messenger's old user base and reconciled in bulk with the operators
-- (POST /v1/identifications/batch). Users whose data match become
-- identified; the others are suspended for re-identification as new users.

-- Imports of legacy user files, for resuming after a crash. A file is known
-- by its size and the SHA-256 of its first MiB; byte_offset/line_no point just
-- past the last committed chunk.
CREATE TABLE legacy_import_runs (
  run_id         uuid        PRIMARY KEY,
  file_path      text        NOT NULL,
  file_size      bigint      NOT NULL,
  file_head_hash text        NOT NULL,
  format         text        NOT NULL CHECK (format IN ('csv', 'ndjson')),
  status         text        NOT NULL CHECK (status IN ('running', 'finished', 'superseded')),
  byte_offset    bigint      NOT NULL DEFAULT 0,
  line_no        bigint      NOT NULL DEFAULT 0,
  rows_imported  bigint      NOT NULL DEFAULT 0,
  rows_rejected  bigint      NOT NULL DEFAULT 0,
  started_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  finished_at    timestamptz
);
CREATE INDEX legacy_import_runs_file
  ON legacy_import_runs (file_size, file_head_hash, started_at DESC);

-- Lines that did not become users, with why. The number itself is not kept
-- (R11): the line number points into the deployer's own file.
CREATE TABLE legacy_import_rejects (
  run_id   uuid   NOT NULL REFERENCES legacy_import_runs (run_id),
  line_no  bigint NOT NULL,
  user_ref text,
  reason   text   NOT NULL CHECK (reason IN
             ('INVALID_NUMBER', 'INVALID_RECORD', 'DUPLICATE_USER_REF', 'NUMBER_TAKEN')),
  PRIMARY KEY (run_id, line_no)
);

-- One batch request to one operator. batch_id is chosen and stored BEFORE the
-- batch is sent, so a crash after sending re-sends the same batchId with the
-- same items (the operator replays its stored answer); applied batches are
-- never sent again. Items are the legacy_users rows pointing here.
CREATE TABLE legacy_batches (
  batch_id    uuid        PRIMARY KEY,
  operator_id text        NOT NULL,
  state       text        NOT NULL CHECK (state IN ('planned', 'sent', 'applied')),
  item_count  integer     NOT NULL CHECK (item_count BETWEEN 0 AND 10000),
  planned_at  timestamptz NOT NULL,
  sent_at     timestamptz,
  send_count  integer     NOT NULL DEFAULT 0,
  applied_at  timestamptz,
  last_error  text,
  -- The operator's signed answer (R10): signature input, signature, digest
  -- and signature base; per-item results are on legacy_users.
  evidence    jsonb
);
CREATE INDEX legacy_batches_unapplied ON legacy_batches (operator_id, planned_at)
  WHERE state <> 'applied';

-- One row per imported legacy user: where reconciliation stands.
-- waiting → planned (in a batch) → matched | reassigned | no_subscriber_data |
-- not_served, or waiting → unroutable. NOT_SERVED sends the user back to
-- waiting once, with not_served_by set, for a second route after a routing
-- refresh (I5).
CREATE TABLE legacy_users (
  user_id       uuid        PRIMARY KEY REFERENCES users (user_id),
  user_ref      text        NOT NULL,
  status        text        NOT NULL CHECK (status IN ('waiting', 'planned', 'matched',
                  'reassigned', 'no_subscriber_data', 'not_served', 'unroutable')),
  operator_id   text,
  batch_id      uuid        REFERENCES legacy_batches (batch_id),
  request_id    uuid,
  code          text,
  not_served_by text,
  route_failure text,
  decided_at    timestamptz
);
CREATE UNIQUE INDEX legacy_users_user_ref ON legacy_users (user_ref);
CREATE UNIQUE INDEX legacy_users_request_id ON legacy_users (request_id)
  WHERE request_id IS NOT NULL;
CREATE INDEX legacy_users_waiting ON legacy_users (user_id) WHERE status = 'waiting';
CREATE INDEX legacy_users_batch ON legacy_users (batch_id) WHERE batch_id IS NOT NULL;
