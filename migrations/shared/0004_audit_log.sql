-- The audit log (issue 8, R10): append-only, hash-chained. Entries are split
-- over 16 partitions, each its own chain, so concurrent writers queue only
-- when they land on the same partition (see docs/audit.md). An entry is
-- written in the transaction of the change it records, so it commits or rolls
-- back with it.
CREATE TABLE audit_heads (
  partition integer PRIMARY KEY CHECK (partition >= 0),
  -- The last entry of the chain (0 / 64 zeros while the chain is empty).
  seq       bigint  NOT NULL DEFAULT 0,
  hash      text    NOT NULL DEFAULT repeat('0', 64)
);
INSERT INTO audit_heads (partition) SELECT generate_series(0, 15);

CREATE TABLE audit_entries (
  id        uuid        NOT NULL UNIQUE,
  partition integer     NOT NULL,
  seq       bigint      NOT NULL,
  at        timestamptz NOT NULL,
  kind      text        NOT NULL,
  subject   text        NOT NULL,
  -- Phone numbers appear only keyed-hashed (R11).
  data      jsonb       NOT NULL,
  prev_hash text        NOT NULL,
  -- SHA-256 (hex) over the canonical encoding of every column above.
  hash      text        NOT NULL,
  PRIMARY KEY (partition, seq)
);
CREATE INDEX audit_entries_at ON audit_entries (at);
