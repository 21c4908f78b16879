-- Login throttling as one counter row per account and per address, claimed with one atomic
-- statement before a password is checked (see store/src/accounts.rs: claim_attempt), so a
-- parallel burst cannot get more guesses through than the limit, on one node or many. It
-- replaces the attempt log, whose count-then-insert could be raced. Keep in step with
-- ../postgres/0011_login_throttle.sql.
DROP TABLE login_attempts;

CREATE TABLE login_throttle (
    -- 'user:<username>' or 'ip:<address>'
    key TEXT PRIMARY KEY,
    -- the window's start, in seconds since 1970 (UTC)
    window_start BIGINT NOT NULL,
    -- attempts in this window that failed or are being checked
    attempts BIGINT NOT NULL
);
