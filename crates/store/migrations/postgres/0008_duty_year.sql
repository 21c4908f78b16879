-- The year of duty (issue 6): corrections in the duty log, scoring rules per year and their
-- closing, the duty menu, self-reported work and the duty report. Keep in step with
-- ../sqlite/0008_duty_year.sql.
--
-- The log is a projection of the event stream: it is recreated with its correction column
-- and its cursor reset, so the consumer writes it again from the events.
DROP TABLE duty_log;
DELETE FROM event_cursors WHERE consumer = 'duty_log';

CREATE TABLE duty_log (
    id BIGSERIAL PRIMARY KEY,
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
    occurred_at TIMESTAMPTZ NOT NULL,
    -- a correction: the event whose entry of this kind this one reverses (0: none)
    reverses_event BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT duty_log_once UNIQUE (event_id, member_id, kind, reverses_event)
);
CREATE INDEX duty_log_member_year ON duty_log(member_id, year, id);
CREATE INDEX duty_log_committee_year ON duty_log(committee_id, year, member_id);

-- A committee's scoring rules for a year (R9), as the office wrote them. Closing the year
-- freezes them and the scores: those count the events up to closed_upto_event only.
CREATE TABLE scoring_rules (
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    year BIGINT NOT NULL,
    source TEXT NOT NULL,
    updated_by BIGINT,
    updated_at TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ,
    closed_by BIGINT,
    closed_upto_event BIGINT,
    PRIMARY KEY (committee_id, year)
);

-- Every member's score as it stood when the year was closed: the record for re-appointment.
CREATE TABLE score_snapshots (
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    year BIGINT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members(id),
    total_centi BIGINT NOT NULL,
    tier TEXT NOT NULL,
    passed BOOLEAN NOT NULL,
    PRIMARY KEY (committee_id, year, member_id)
);

-- The duty menu (云菜单) of a year: what members can do, how it is evidenced and confirmed.
CREATE TABLE duty_menus (
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    year BIGINT NOT NULL,
    published_at TIMESTAMPTZ,
    PRIMARY KEY (committee_id, year)
);
CREATE TABLE duty_menu_items (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    year BIGINT NOT NULL,
    -- the entry kind it is logged and scored as
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    evidence TEXT NOT NULL,
    -- organiser, office or convenor
    confirmer TEXT NOT NULL,
    -- places to sign up for; NULL when it needs no sign-up
    places BIGINT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX duty_menu_items_year ON duty_menu_items(committee_id, year, id);
CREATE TABLE duty_menu_signups (
    item_id BIGINT NOT NULL REFERENCES duty_menu_items(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (item_id, member_id)
);

-- Duty work done offline, reported by the member with evidence; it is logged only when
-- the office (or the sector convenor) confirms it.
CREATE TABLE self_reports (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    year BIGINT NOT NULL,
    kind TEXT NOT NULL,
    item_id BIGINT REFERENCES duty_menu_items(id),
    done_on TEXT NOT NULL,
    description TEXT NOT NULL,
    evidence_note TEXT,
    evidence_name TEXT,
    evidence_type TEXT,
    evidence_bytes BYTEA,
    -- pending, confirmed, rejected
    status TEXT NOT NULL,
    reason TEXT,
    decided_by BIGINT,
    decided_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX self_reports_committee ON self_reports(committee_id, status, id);
CREATE INDEX self_reports_member ON self_reports(member_id, year);

-- Each member's annual duty report (述职): drafted from the archive, edited, submitted.
CREATE TABLE duty_reports (
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    year BIGINT NOT NULL,
    member_id BIGINT NOT NULL REFERENCES members(id),
    body TEXT NOT NULL,
    -- draft or submitted
    status TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    submitted_at TIMESTAMPTZ,
    PRIMARY KEY (committee_id, year, member_id)
);
