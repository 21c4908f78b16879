-- Democratic appraisal (民主测评, R9): the peers of a member's sector grade the member's
-- submitted duty report (述职). The office opens a round for a year and closes it. Keep in
-- step with ../sqlite/0010_peer_appraisal.sql.
CREATE TABLE appraisal_rounds (
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    year BIGINT NOT NULL,
    opened_at TIMESTAMPTZ NOT NULL,
    opened_by BIGINT,
    closed_at TIMESTAMPTZ,
    closed_by BIGINT,
    PRIMARY KEY (committee_id, year)
);

-- The ballot is secret by construction: who has graded whom is kept (one ballot each, no
-- grade), the grades only as counts per member. Nothing joins a voter to a grade.
CREATE TABLE appraisal_ballots (
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    year BIGINT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members(id),
    voter_id BIGINT NOT NULL REFERENCES members(id),
    PRIMARY KEY (committee_id, year, member_id, voter_id)
);

CREATE TABLE appraisal_tallies (
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    year BIGINT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members(id),
    -- excellent, competent, basic or incompetent
    grade TEXT NOT NULL,
    votes BIGINT NOT NULL,
    PRIMARY KEY (committee_id, year, member_id, grade)
);
