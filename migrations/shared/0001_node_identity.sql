-- Which node this database belongs to. A node refuses to start on a database
-- created for another kind or another participant, so an operator can never
-- be pointed at a messenger's data by a configuration slip.
CREATE TABLE node_identity (
  singleton      boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  node_kind      text        NOT NULL CHECK (node_kind IN ('operator', 'messenger', 'sandbox')),
  participant_id text        NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
