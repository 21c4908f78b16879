-- Each member's score of a year as the duty log stands (R9), kept by the duty-log consumer so
-- that ranking a large committee reads one row per member instead of every entry. The archive
-- computes the same total from the entries; a test on random data compares them. Keep in step
-- with ../postgres/0009_member_scores.sql.
CREATE TABLE member_scores (
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    year BIGINT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members(id),
    total_centi BIGINT NOT NULL,
    tier TEXT NOT NULL,
    passed BOOLEAN NOT NULL,
    -- the minimum requirements not yet met, one per line
    missing TEXT NOT NULL,
    -- entries logged (corrections not counted)
    entries BIGINT NOT NULL,
    PRIMARY KEY (committee_id, year, member_id)
);
