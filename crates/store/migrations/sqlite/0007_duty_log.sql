-- The duty log (云日志, R8): written only by the consumer of the event stream. Keep in step
-- with ../postgres/0007_duty_log.sql.

CREATE TABLE duty_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    -- the year in China's time the work was done in
    year BIGINT NOT NULL,
    -- an entry kind the scoring rules know (plenary.attended, proposal.accepted …)
    kind TEXT NOT NULL,
    -- lead, joint or participant
    role TEXT NOT NULL,
    -- what it is about (proposal:12, activity:7): the source, and the unit of "count once"
    subject TEXT NOT NULL,
    joint_count BIGINT NOT NULL,
    joint_index BIGINT NOT NULL,
    -- the event it came from; one event never gives the same member the same entry twice
    event_id BIGINT NOT NULL,
    -- who recorded it (谁组织谁记录): the user behind the event, NULL for the system
    attested_by BIGINT,
    occurred_at TEXT NOT NULL,
    CONSTRAINT duty_log_once UNIQUE (event_id, member_id, kind)
);
CREATE INDEX duty_log_member_year ON duty_log(member_id, year, id);
CREATE INDEX duty_log_committee_year ON duty_log(committee_id, year, member_id);
