-- The development SMS sender writes here instead of to an SMSC; the sandbox
-- shows these rows as the inbox. Only the dev sender writes to this table,
-- and it holds numbers and codes in clear, so the dev sender is for
-- development and the sandbox only, never production (R11).
CREATE TABLE sms_dev_outbox (
  id         uuid        PRIMARY KEY,
  to_msisdn  text        NOT NULL,
  text       text        NOT NULL,
  reference  text        NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE INDEX sms_dev_outbox_by_recipient ON sms_dev_outbox (to_msisdn, created_at DESC);
CREATE INDEX sms_dev_outbox_by_time ON sms_dev_outbox (created_at DESC);
