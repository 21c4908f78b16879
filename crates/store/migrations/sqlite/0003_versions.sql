-- Versions of slowly changing data, bumped in the same transaction as the change, so that
-- per-node caches of it stay valid while the (busy) event stream moves on.
CREATE TABLE versions (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO versions (name, value) VALUES ('organisation', 0);
