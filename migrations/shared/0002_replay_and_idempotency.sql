-- Nonces of accepted signed requests, remembered for the acceptance window so
-- that a replay to any instance of the node is refused (protocol.md §1).
CREATE TABLE seen_nonces (
  key_id     text        NOT NULL,
  nonce      text        NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (key_id, nonce)
);
CREATE INDEX seen_nonces_expires_at ON seen_nonces (expires_at);

-- The first answer to each idempotent POST, per caller and client-chosen id
-- (requestId, batchId, notificationId). The same id with the same body gets
-- the stored answer again; another body gets 409 CONFLICT (protocol.md §1).
CREATE TABLE idempotent_requests (
  caller_id     text        NOT NULL,
  request_key   text        NOT NULL,
  request_hash  text        NOT NULL,
  status_code   integer     NOT NULL,
  response_body jsonb,
  created_at    timestamptz NOT NULL,
  PRIMARY KEY (caller_id, request_key)
);
CREATE INDEX idempotent_requests_created_at ON idempotent_requests (created_at);
