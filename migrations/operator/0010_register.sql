-- The register (R5): which messenger uses which subscriber contract, under
-- the messenger's identification code. Opened by a confirmation in the same
-- transaction that decides it (I3); closed, never deleted, by a termination,
-- port-out, change of subscriber, withdrawal (I4) or a replacing code.
CREATE TABLE register_entries (
  entry_id      uuid        PRIMARY KEY,
  messenger_id  text        NOT NULL,
  code          text        NOT NULL,
  msisdn        bigint      NOT NULL,
  contract_id   text        NOT NULL,
  request_id    uuid        NOT NULL,
  opened_at     timestamptz NOT NULL,
  closed_at     timestamptz,
  close_reason  text        CHECK (close_reason IN
                  ('replaced', 'withdrawn', 'contract_terminated', 'number_ported_out', 'subscriber_changed')),
  FOREIGN KEY (msisdn, contract_id) REFERENCES subscriber_contracts (msisdn, contract_id),
  CHECK ((closed_at IS NULL) = (close_reason IS NULL))
);
-- A code names one registration of one messenger, for ever: codes are never
-- reused, so a notice or withdrawal can never reach the wrong subscriber.
CREATE UNIQUE INDEX register_entries_code ON register_entries (messenger_id, code);
-- One open entry per contract and messenger: identifying again replaces it.
CREATE UNIQUE INDEX register_entries_open
  ON register_entries (msisdn, contract_id, messenger_id) WHERE closed_at IS NULL;

-- Every identification request, with when its 20-minute clock started and
-- stopped (R3, R10). The number is kept only as a keyed hash here (R11): the
-- clear number lives in the subscriber tables alone.
CREATE TABLE identification_requests (
  messenger_id  text        NOT NULL,
  request_id    uuid        NOT NULL,
  msisdn_hash   text        NOT NULL,
  code          text        NOT NULL,
  previous_code text,
  purpose       text        NOT NULL CHECK (purpose IN ('registration', 'reidentification', 'legacy')),
  received_at   timestamptz NOT NULL,
  answer_by     timestamptz NOT NULL,
  state         text        NOT NULL CHECK (state IN ('pending', 'confirmed', 'not_confirmed')),
  reason        text,
  answered_at   timestamptz,
  -- fast: decided on receipt; checker: decided by the slow path; sweeper:
  -- the 20-minute deadline forced the answer (R10).
  decided_by    text        CHECK (decided_by IN ('fast', 'checker', 'sweeper')),
  entry_id      uuid        REFERENCES register_entries (entry_id),
  PRIMARY KEY (messenger_id, request_id),
  CHECK ((state = 'pending') = (answered_at IS NULL))
);
CREATE INDEX identification_requests_pending
  ON identification_requests (answer_by) WHERE state = 'pending';
CREATE INDEX identification_requests_received ON identification_requests (received_at);

-- Work queue of the slow path: the number a pending request is about, kept
-- only until it is decided (R11), then deleted with the decision.
CREATE TABLE pending_identifications (
  messenger_id text        NOT NULL,
  request_id   uuid        NOT NULL,
  msisdn       bigint      NOT NULL,
  contract_id  text        NOT NULL,
  next_check_at timestamptz NOT NULL,
  attempts     integer     NOT NULL DEFAULT 0,
  PRIMARY KEY (messenger_id, request_id),
  FOREIGN KEY (messenger_id, request_id) REFERENCES identification_requests (messenger_id, request_id)
);
CREATE INDEX pending_identifications_due ON pending_identifications (next_check_at);
