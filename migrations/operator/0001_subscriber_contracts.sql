-- The operator's subscriber base, fed by the BSS (nodes.md "Subscriber base").
-- R4 asks: does the base hold subscriber data for this number under a valid
-- contract? I1 also needs when that contract began.
--
-- msisdn is the E.164 number as a bigint of its digits (+79161234567 is
-- stored as 79161234567): 8 bytes instead of ~13, and cheaper index compares
-- on the identification hot path and in a 10M-row bulk import. Code converts
-- at the edge (subscriber-msisdn.ts); other tables keying on a number should
-- use the same representation.
--
-- History: a number has many contracts over time, at most one valid at any
-- instant. Validity is the half-open period [contract_start, contract_end),
-- contract_end NULL meaning open. "At most one open contract per number" is
-- enforced by a partial unique index; non-overlap of closed periods is kept
-- by the writers (subscriber events and the import merge), each inside one
-- transaction that holds the number's event mark row (or the import chunk).
-- (A portable exclusion constraint would need btree_gist, which PGlite in our
-- driver is created without.)
--
-- contract_id is the BSS contract id; a corporate contract may cover many
-- numbers, so a contract is identified by (msisdn, contract_id).
CREATE TABLE subscriber_contracts (
  msisdn              bigint      NOT NULL CHECK (msisdn BETWEEN 1000000 AND 999999999999999),
  contract_id         text        NOT NULL CHECK (length(contract_id) BETWEEN 1 AND 128),
  subscriber_type     text        NOT NULL CHECK (subscriber_type IN ('individual', 'corporate')),
  has_subscriber_data boolean     NOT NULL,
  contract_start      timestamptz NOT NULL,
  contract_end        timestamptz CHECK (contract_end IS NULL OR contract_end >= contract_start),
  -- Why the contract ended, when an event said so ('terminated' or
  -- 'ported_out'); NULL for open contracts and for ends set by a bulk import.
  end_reason          text        CHECK (end_reason IN ('terminated', 'ported_out')),
  -- The identification slow path (202 + callback, protocol.md §2) asks the
  -- BSS before answering for numbers flagged here.
  needs_bss_check     boolean     NOT NULL DEFAULT false,
  updated_at          timestamptz NOT NULL,
  PRIMARY KEY (msisdn, contract_id)
);

-- Hot path: "the contract valid for this number at T" is the latest contract
-- that started at or before T, if it has not ended by T (non-overlap makes it
-- the only candidate). A number has few contracts, so the primary key's
-- msisdn prefix finds them all; no second index is needed for that, which
-- keeps the bulk import to two index inserts per row.
CREATE UNIQUE INDEX subscriber_contracts_one_open
  ON subscriber_contracts (msisdn) WHERE contract_end IS NULL;

-- Subscriber events applied so far, keyed by the BSS's eventId: the same
-- eventId again gets this first result back and changes nothing. Refusals are
-- recorded too, so a replay is answered the same way.
CREATE TABLE subscriber_events_processed (
  event_id     uuid        PRIMARY KEY,
  msisdn       bigint      NOT NULL,
  event_type   text        NOT NULL,
  occurred_at  timestamptz NOT NULL,
  status       text        NOT NULL CHECK (status IN ('applied', 'refused')),
  result       jsonb       NOT NULL,
  processed_at timestamptz NOT NULL
);
CREATE INDEX subscriber_events_processed_at ON subscriber_events_processed (processed_at);

-- Per number: the newest event applied. An event older than this one is out
-- of order and refused. The row is also the lock that serializes event
-- application for one number across processes.
CREATE TABLE subscriber_event_marks (
  msisdn           bigint      PRIMARY KEY,
  last_occurred_at timestamptz NOT NULL,
  last_event_id    uuid
);

-- Bulk imports of subscriber files, for resuming after a crash. A file is
-- known by its size and the SHA-256 of its first MiB; byte_offset/line_no
-- point just past the last committed chunk, and rejects_bytes is how much of
-- the rejects file belongs to committed chunks (a resume truncates to it).
CREATE TABLE subscriber_import_runs (
  run_id         uuid        PRIMARY KEY,
  file_path      text        NOT NULL,
  file_size      bigint      NOT NULL,
  file_head_hash text        NOT NULL,
  format         text        NOT NULL CHECK (format IN ('csv', 'ndjson')),
  status         text        NOT NULL CHECK (status IN ('running', 'finished')),
  byte_offset    bigint      NOT NULL DEFAULT 0,
  line_no        bigint      NOT NULL DEFAULT 0,
  rows_imported  bigint      NOT NULL DEFAULT 0,
  rows_rejected  bigint      NOT NULL DEFAULT 0,
  rejects_bytes  bigint      NOT NULL DEFAULT 0,
  started_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  finished_at    timestamptz
);
CREATE INDEX subscriber_import_runs_file
  ON subscriber_import_runs (file_size, file_head_hash, started_at DESC);
