-- The messenger's users and their identification (R1, R6, R8, nodes.md
-- "User lifecycle"). The messenger holds its users' numbers as account data;
-- logs mask them (R11).
CREATE TABLE users (
  user_id             uuid        PRIMARY KEY,
  msisdn              text        NOT NULL,
  state               text        NOT NULL CHECK (state IN
                        ('unverified', 'pending_identification', 'identified', 'not_identified',
                         'suspended', 'deauthorized', 'legacy', 'deleted')),
  -- The code the user is identified under now (R6); unique per messenger.
  identification_code text,
  operator_id         text,
  identified_at       timestamptz,
  suspended_at        timestamptz,
  -- Suspended users are deauthorized at this time unless re-identified (R8).
  grace_until         timestamptz,
  legacy_user_since   date,
  created_at          timestamptz NOT NULL,
  updated_at          timestamptz NOT NULL
);
CREATE UNIQUE INDEX users_identification_code ON users (identification_code)
  WHERE identification_code IS NOT NULL;
-- One live account per number; suspended, deauthorized and deleted accounts
-- keep their number for history, so a stranger who now holds a recycled
-- number gets a fresh account (nodes.md "Recycled numbers").
CREATE UNIQUE INDEX users_live_number ON users (msisdn)
  WHERE state NOT IN ('suspended', 'deauthorized', 'deleted');
CREATE INDEX users_grace_until ON users (grace_until) WHERE state = 'suspended';

-- Every transition, with time and cause (issue 5, R12).
CREATE TABLE user_transitions (
  transition_id uuid        PRIMARY KEY,
  user_id       uuid        NOT NULL REFERENCES users (user_id),
  from_state    text,
  to_state      text        NOT NULL,
  cause         text        NOT NULL,
  at            timestamptz NOT NULL,
  details       jsonb
);
CREATE INDEX user_transitions_user ON user_transitions (user_id, at);

-- Identification requests sent to operators, with the signed answer kept as
-- evidence (R10) and the 20-minute clock (R3). A request is retried under the
-- same requestId (idempotent at the operator) until answered or overdue.
CREATE TABLE identification_attempts (
  request_id     uuid        PRIMARY KEY,
  user_id        uuid        NOT NULL REFERENCES users (user_id),
  operator_id    text        NOT NULL,
  code           text        NOT NULL,
  previous_code  text,
  purpose        text        NOT NULL CHECK (purpose IN ('registration', 'reidentification')),
  possession_verified_at timestamptz NOT NULL,
  state          text        NOT NULL CHECK (state IN ('sending', 'pending', 'answered', 'missed')),
  result         text        CHECK (result IN ('confirmed', 'not_confirmed')),
  reason         text,
  first_sent_at  timestamptz NOT NULL,
  deadline_at    timestamptz NOT NULL,
  next_try_at    timestamptz,
  tries          integer     NOT NULL DEFAULT 0,
  last_error     text,
  answered_at    timestamptz,
  evidence       jsonb,
  -- When NOT_SERVED made us re-route, the attempt that follows it.
  rerouted_to    uuid
);
CREATE INDEX identification_attempts_open ON identification_attempts (deadline_at)
  WHERE state IN ('sending', 'pending');
CREATE INDEX identification_attempts_user ON identification_attempts (user_id, first_sent_at);
CREATE UNIQUE INDEX identification_attempts_code ON identification_attempts (code);

-- Notices received from operators (R7), so a duplicate is acknowledged and
-- not acted on twice; received_at starts the "suspend immediately" clock.
CREATE TABLE received_notices (
  notification_id uuid        PRIMARY KEY,
  operator_id     text        NOT NULL,
  type            text        NOT NULL,
  code            text        NOT NULL,
  user_id         uuid,
  occurred_at     timestamptz NOT NULL,
  due_by          timestamptz NOT NULL,
  received_at     timestamptz NOT NULL,
  action          text        NOT NULL
);
