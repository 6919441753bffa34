-- R2: the SMS possession check. R11: numbers are stored only as keyed hashes
-- (HMAC-SHA256 under the node's SMS secret) and codes only as keyed hashes
-- bound to their challenge, so a copy of these tables reveals neither.

-- One row per code sent. At most one pending code per number and purpose:
-- issuing a new one supersedes the old one.
CREATE TABLE sms_challenges (
  id           uuid        PRIMARY KEY,
  msisdn_hash  text        NOT NULL,
  purpose      text        NOT NULL,
  caller_id    text        NOT NULL,
  code_hash    text        NOT NULL,
  status       text        NOT NULL DEFAULT 'pending'
               CHECK (status IN ('pending', 'consumed', 'locked', 'superseded', 'send_failed')),
  attempts     integer     NOT NULL DEFAULT 0,
  max_attempts integer     NOT NULL CHECK (max_attempts > 0),
  message_id   text,
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  resolved_at  timestamptz
);

CREATE UNIQUE INDEX sms_challenges_one_pending
  ON sms_challenges (msisdn_hash, purpose) WHERE status = 'pending';
CREATE INDEX sms_challenges_by_number ON sms_challenges (msisdn_hash, purpose, created_at DESC);
CREATE INDEX sms_challenges_by_expiry ON sms_challenges (expires_at);

-- The last send to each number: the resend interval. Its row is also the lock
-- that serializes every issue for one number across all instances.
CREATE TABLE sms_number_throttle (
  msisdn_hash  text        PRIMARY KEY,
  last_sent_at timestamptz NOT NULL
);

-- Fixed-window counters (sends per number, registrations per number, sends
-- per caller). One upsert increments a counter only while it is under its
-- limit, so no two instances can both take the last slot.
CREATE TABLE sms_rate_counters (
  scope        text        NOT NULL,
  subject      text        NOT NULL,
  window_start timestamptz NOT NULL,
  window_end   timestamptz NOT NULL,
  hits         integer     NOT NULL,
  PRIMARY KEY (scope, subject, window_start)
);

CREATE INDEX sms_rate_counters_by_end ON sms_rate_counters (window_end);
