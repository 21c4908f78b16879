-- From here on the audit chain is keyed (HMAC-SHA256 under the audit key, kept outside the
-- database; see domain/src/audit.rs). Records already written keep their unkeyed SHA-256
-- chain: remember where it ends. The first signed checkpoint repeats this boundary outside
-- the database, so moving it later is caught. Keep in step with
-- ../postgres/0012_audit_keyed.sql.
INSERT INTO settings (key, value)
SELECT 'audit_keyed_from', CAST(seq + 1 AS TEXT) FROM audit_head WHERE id = 1;
