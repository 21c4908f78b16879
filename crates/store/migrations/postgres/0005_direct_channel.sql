-- Opinion reports and proposals (the direct channel, R5 and R13). Keep in step with
-- ../sqlite/0005_direct_channel.sql: same tables, same columns, same indexes.

-- A handling unit's account speaks for that unit and sees only what is assigned to it.
ALTER TABLE users ADD COLUMN handling_unit_id BIGINT REFERENCES handling_units(id);

-- 《社情民意》: numbered issues of the committee's bulletin, per year.
CREATE TABLE bulletins (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    year BIGINT NOT NULL,
    number BIGINT NOT NULL,
    title TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT bulletins_committee_year_number UNIQUE (committee_id, year, number)
);

-- The drafts of the concerns work grow into the whole workflow.
ALTER TABLE opinion_reports ADD COLUMN author_kind TEXT NOT NULL DEFAULT 'member';
ALTER TABLE opinion_reports ADD COLUMN collective_id BIGINT;
ALTER TABLE opinion_reports ADD COLUMN suggestions TEXT NOT NULL DEFAULT '';
ALTER TABLE opinion_reports ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE opinion_reports ADD COLUMN submitted_at TIMESTAMPTZ;
ALTER TABLE opinion_reports ADD COLUMN reviewed_at TIMESTAMPTZ;
ALTER TABLE opinion_reports ADD COLUMN level TEXT;
ALTER TABLE opinion_reports ADD COLUMN review_note TEXT;
ALTER TABLE opinion_reports ADD COLUMN merged_into BIGINT REFERENCES opinion_reports(id);
ALTER TABLE opinion_reports ADD COLUMN published_title TEXT;
ALTER TABLE opinion_reports ADD COLUMN published_body TEXT;
ALTER TABLE opinion_reports ADD COLUMN bulletin_id BIGINT REFERENCES bulletins(id);
ALTER TABLE opinion_reports ADD COLUMN from_proposal_id BIGINT;
CREATE INDEX opinion_reports_status ON opinion_reports(committee_id, status, level, id);
CREATE INDEX opinion_reports_bulletin ON opinion_reports(bulletin_id);

-- Authors of a report: the lead (who drafted it), co-authors, or the member who drafted a
-- collective report. A merged report's authors are added to the survivor (both keep credit).
CREATE TABLE opinion_report_authors (
    report_id BIGINT NOT NULL REFERENCES opinion_reports(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    role TEXT NOT NULL,
    PRIMARY KEY (report_id, member_id)
);
CREATE INDEX opinion_report_authors_member ON opinion_report_authors(member_id, report_id);

-- Every version a report had after it was first submitted; never changed.
CREATE TABLE opinion_report_versions (
    id BIGSERIAL PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES opinion_reports(id),
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    suggestions TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT opinion_report_versions_report_version UNIQUE (report_id, version)
);

-- What happened to a report after review: forwarded, leaders' instructions, units' feedback.
CREATE TABLE opinion_report_actions (
    id BIGSERIAL PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES opinion_reports(id),
    kind TEXT NOT NULL,
    handling_unit_id BIGINT REFERENCES handling_units(id),
    target TEXT,
    level TEXT,
    on_date TEXT,
    body TEXT NOT NULL,
    public_text TEXT,
    actor TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX opinion_report_actions_report ON opinion_report_actions(report_id, id);
CREATE INDEX opinion_report_actions_unit ON opinion_report_actions(handling_unit_id, kind, report_id);

-- When proposals may be submitted, per year: the plenary session's window and the rest.
CREATE TABLE proposal_windows (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    year BIGINT NOT NULL,
    kind TEXT NOT NULL,
    opens_on TEXT NOT NULL,
    closes_on TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT proposal_windows_committee_year_kind UNIQUE (committee_id, year, kind)
);

CREATE TABLE proposals (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    year BIGINT NOT NULL,
    kind TEXT NOT NULL,
    collective_body TEXT,
    collective_name TEXT,
    member_id BIGINT NOT NULL REFERENCES members(id),
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    cause TEXT NOT NULL,
    analysis TEXT NOT NULL,
    suggestions TEXT NOT NULL,
    version BIGINT NOT NULL,
    window_kind TEXT,
    submitted_at TIMESTAMPTZ,
    number BIGINT,
    category TEXT,
    reviewed_at TIMESTAMPTZ,
    review_note TEXT,
    conversion TEXT,
    letter_unit_id BIGINT REFERENCES handling_units(id),
    merged_into BIGINT REFERENCES proposals(id),
    assigned_at TIMESTAMPTZ,
    clock_start TIMESTAMPTZ,
    due_at TIMESTAMPTZ,
    extension_requested BOOLEAN NOT NULL DEFAULT FALSE,
    extended BOOLEAN NOT NULL DEFAULT FALSE,
    rehandled BOOLEAN NOT NULL DEFAULT FALSE,
    answered_at TIMESTAMPTZ,
    rating TEXT,
    rating_comment TEXT,
    rated_at TIMESTAMPTZ,
    is_key BOOLEAN NOT NULL DEFAULT FALSE,
    oversight_leader TEXT,
    is_excellent BOOLEAN NOT NULL DEFAULT FALSE,
    internal BOOLEAN NOT NULL DEFAULT FALSE,
    escalated_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT proposals_committee_year_number UNIQUE (committee_id, year, number)
);
CREATE INDEX proposals_year_status ON proposals(committee_id, year, status, id);
CREATE INDEX proposals_status ON proposals(committee_id, status, id);
CREATE INDEX proposals_member ON proposals(member_id, id);
CREATE INDEX proposals_due ON proposals(status, due_at);

CREATE TABLE proposal_signers (
    proposal_id BIGINT NOT NULL REFERENCES proposals(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    status TEXT NOT NULL,
    invited_at TIMESTAMPTZ NOT NULL,
    responded_at TIMESTAMPTZ,
    PRIMARY KEY (proposal_id, member_id)
);
CREATE INDEX proposal_signers_member ON proposal_signers(member_id, status);

CREATE TABLE proposal_versions (
    id BIGSERIAL PRIMARY KEY,
    proposal_id BIGINT NOT NULL REFERENCES proposals(id),
    version BIGINT NOT NULL,
    title TEXT NOT NULL,
    cause TEXT NOT NULL,
    analysis TEXT NOT NULL,
    suggestions TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT proposal_versions_proposal_version UNIQUE (proposal_id, version)
);

-- The units a proposal is assigned to. A re-assignment deactivates the earlier rows, so a
-- unit that objected no longer sees the proposal.
CREATE TABLE proposal_units (
    id BIGSERIAL PRIMARY KEY,
    proposal_id BIGINT NOT NULL REFERENCES proposals(id),
    handling_unit_id BIGINT NOT NULL REFERENCES handling_units(id),
    role TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    assigned_at TIMESTAMPTZ NOT NULL,
    objected_at TIMESTAMPTZ,
    opinion_at TIMESTAMPTZ,
    answer_class TEXT,
    answered_at TIMESTAMPTZ
);
CREATE INDEX proposal_units_proposal ON proposal_units(proposal_id, active);
CREATE INDEX proposal_units_unit ON proposal_units(handling_unit_id, active, proposal_id);

-- Answer letters, every round (a proposal sent back is answered again).
CREATE TABLE proposal_answers (
    id BIGSERIAL PRIMARY KEY,
    proposal_id BIGINT NOT NULL REFERENCES proposals(id),
    handling_unit_id BIGINT NOT NULL REFERENCES handling_units(id),
    answer_class TEXT NOT NULL,
    body TEXT NOT NULL,
    attachment BYTEA,
    attachment_name TEXT,
    attachment_type TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX proposal_answers_proposal ON proposal_answers(proposal_id, id);

-- The history of a proposal in words: objections, co-handling opinions, extension requests,
-- oversight visits and progress notes. `internal` rows are never shown to the public.
CREATE TABLE proposal_notes (
    id BIGSERIAL PRIMARY KEY,
    proposal_id BIGINT NOT NULL REFERENCES proposals(id),
    kind TEXT NOT NULL,
    handling_unit_id BIGINT REFERENCES handling_units(id),
    body TEXT NOT NULL,
    on_date TEXT,
    internal BOOLEAN NOT NULL,
    actor TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX proposal_notes_proposal ON proposal_notes(proposal_id, id);

-- Drafts made from concerns before this migration: their member is the lead author.
INSERT INTO opinion_report_authors (report_id, member_id, role) SELECT id, member_id, 'lead' FROM opinion_reports;
