-- Applying a batch answer now finds its users by primary key (see
-- recordBatchOutcomes), so nothing reads legacy_users by request_id. The
-- index cost two index insertions per user (planning and apply both
-- rewrite the row) and, with statistics taken before planning filled
-- request_id, drew PostgreSQL into a plan that ran for hours at 10M users.
-- Request ids stay unique: each is a fresh UUIDv7 chosen at planning.
DROP INDEX legacy_users_request_id;
