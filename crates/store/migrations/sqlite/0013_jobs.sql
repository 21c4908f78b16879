-- The server's background jobs (see service/src/jobs.rs). One row per periodic job holds
-- its schedule and a lease: a node runs a period only after claiming the row with one
-- atomic UPDATE, so with any number of nodes each period runs once, and a node that died
-- mid-run loses its lease when it expires. Times are milliseconds since 1970 (UTC), so the
-- comparisons read the same on both databases. Keep in step with ../postgres/0013_jobs.sql.
CREATE TABLE jobs (
    name TEXT PRIMARY KEY,
    period_ms BIGINT NOT NULL,
    -- when the next period is due; "retry now" sets it to the present
    next_run_ms BIGINT NOT NULL,
    -- the node running it now (NULL when idle) and until when its claim holds
    lease_holder TEXT,
    lease_until_ms BIGINT,
    last_started_ms BIGINT,
    last_finished_ms BIGINT,
    -- 'ok' or 'failed'
    last_outcome TEXT,
    last_error TEXT,
    last_duration_ms BIGINT,
    -- what the last run did (escalations sent, events read …)
    last_count BIGINT,
    runs BIGINT NOT NULL DEFAULT 0,
    failures BIGINT NOT NULL DEFAULT 0,
    -- failures since the last success: the backoff grows with it
    consecutive_failures BIGINT NOT NULL DEFAULT 0
);

-- The last runs of each job, for the operator's page; a period starts once (the key).
CREATE TABLE job_runs (
    name TEXT NOT NULL,
    -- the period this run was for: its due time
    due_ms BIGINT NOT NULL,
    node TEXT NOT NULL,
    started_ms BIGINT NOT NULL,
    finished_ms BIGINT,
    outcome TEXT,
    error TEXT,
    count BIGINT,
    PRIMARY KEY (name, due_ms)
);
