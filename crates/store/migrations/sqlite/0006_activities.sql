-- Meetings and activities (R11, R12): kinds as data, planning, invitations and leave, QR
-- check-in, public registration, the consultation protocol, minutes and follow-up, reading
-- notes and the policy library. Keep in step with ../postgres/0006_activities.sql.

-- What kind of activity this is decides its defaults. Kinds with no committee are the
-- built-in ones every committee has; a committee adds its own rows.
CREATE TABLE activity_kinds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    committee_id BIGINT REFERENCES committees(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    -- who is invited unless the organiser says otherwise: all_members, standing, sector,
    -- special_committee, named, none
    default_scope TEXT NOT NULL,
    -- who approves leave: office or organiser
    leave_approver TEXT NOT NULL,
    -- whether people (界别群众) may register by default
    public_default BOOLEAN NOT NULL,
    -- whether the consultation protocol (speaking list, positions) applies
    consultation BOOLEAN NOT NULL,
    -- whether the activity has a book list and reading notes
    reading BOOLEAN NOT NULL,
    position BIGINT NOT NULL
);
CREATE INDEX activity_kinds_committee ON activity_kinds(committee_id, code);

INSERT INTO activity_kinds (committee_id, code, name, default_scope, leave_approver, public_default, consultation, reading, position) VALUES
    (NULL, 'plenary', '全体会议', 'all_members', 'office', FALSE, FALSE, FALSE, 10),
    (NULL, 'group_session', '全体会议分组讨论', 'all_members', 'office', FALSE, FALSE, FALSE, 20),
    (NULL, 'standing_meeting', '常委会议', 'standing', 'office', FALSE, FALSE, FALSE, 30),
    (NULL, 'chairs_council', '主席会议', 'named', 'office', FALSE, FALSE, FALSE, 40),
    (NULL, 'consultation', '协商议事（有事好商量）', 'named', 'organiser', TRUE, TRUE, FALSE, 50),
    (NULL, 'inspection', '视察调研', 'named', 'organiser', FALSE, FALSE, FALSE, 60),
    (NULL, 'reading', '读书活动', 'all_members', 'organiser', FALSE, FALSE, TRUE, 70),
    (NULL, 'training', '学习培训', 'all_members', 'organiser', FALSE, FALSE, FALSE, 80),
    (NULL, 'volunteer', '志愿服务', 'named', 'organiser', TRUE, FALSE, FALSE, 90),
    (NULL, 'conduct_oversight', '行风监督', 'named', 'organiser', FALSE, FALSE, FALSE, 100),
    (NULL, 'pollution_inspection', '污染防治督查', 'named', 'organiser', FALSE, FALSE, FALSE, 110),
    (NULL, 'sector_activity', '界别活动', 'sector', 'organiser', FALSE, FALSE, FALSE, 120),
    (NULL, 'studio_activity', '委员工作室活动', 'named', 'organiser', TRUE, FALSE, FALSE, 130);

CREATE TABLE activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    kind_id BIGINT NOT NULL REFERENCES activity_kinds(id),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    -- office, special_committee, sector, studio (and which one)
    organiser_type TEXT NOT NULL,
    organiser_id BIGINT,
    organiser_name TEXT NOT NULL,
    -- the user who planned it (0: the system, e.g. the demo loader)
    created_by BIGINT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    place TEXT NOT NULL,
    online_url TEXT,
    agenda TEXT NOT NULL,
    books TEXT NOT NULL,
    capacity BIGINT,
    invite_scope TEXT NOT NULL,
    invite_ref_id BIGINT,
    public_registration BOOLEAN NOT NULL,
    -- draft, published, closed, cancelled
    status TEXT NOT NULL,
    published_at TEXT,
    cancelled_at TEXT,
    closed_at TEXT,
    attendee_count BIGINT,
    attending_orgs TEXT,
    minutes TEXT,
    summary TEXT,
    agreed_points TEXT,
    open_points TEXT,
    order_changed_by TEXT,
    order_changed_at TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX activities_committee_start ON activities(committee_id, starts_at);
CREATE INDEX activities_committee_status ON activities(committee_id, status, starts_at);

-- Materials before the activity and media after it.
CREATE TABLE activity_files (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id BIGINT NOT NULL REFERENCES activities(id),
    purpose TEXT NOT NULL,
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    bytes BLOB NOT NULL,
    uploaded_at TEXT NOT NULL
);
CREATE INDEX activity_files_activity ON activity_files(activity_id);

-- One row per invited member: their answer, leave, check-in and final attendance.
CREATE TABLE activity_invitations (
    activity_id BIGINT NOT NULL REFERENCES activities(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    -- pending, confirmed, leave_requested, leave_approved, leave_rejected
    response TEXT NOT NULL,
    responded_at TEXT,
    leave_reason TEXT,
    leave_decided_by TEXT,
    leave_decided_at TEXT,
    leave_note TEXT,
    checked_in_at TEXT,
    -- qr or manual
    checkin_method TEXT,
    checked_in_by TEXT,
    late BOOLEAN NOT NULL,
    left_early BOOLEAN NOT NULL,
    -- attended, excused, unexcused, late, left_early: set when the activity is closed
    attendance TEXT,
    PRIMARY KEY (activity_id, member_id)
);
CREATE INDEX activity_invitations_member ON activity_invitations(member_id, activity_id);

-- People registering for a public activity. The phone is sealed; the index finds repeats.
CREATE TABLE activity_registrations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id BIGINT NOT NULL REFERENCES activities(id),
    name TEXT NOT NULL,
    phone_enc BLOB NOT NULL,
    phone_index TEXT NOT NULL,
    phone_masked TEXT NOT NULL,
    -- registered or waitlisted
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT activity_registrations_phone UNIQUE (activity_id, phone_index)
);

-- The consultation's participants in speaking order, and what each said.
CREATE TABLE activity_participants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id BIGINT NOT NULL REFERENCES activities(id),
    -- peoples_rep, stakeholder, government, member, expert
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    interest TEXT,
    member_id BIGINT REFERENCES members(id),
    speaking_order BIGINT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX activity_participants_activity ON activity_participants(activity_id, speaking_order);

CREATE TABLE activity_speeches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id BIGINT NOT NULL REFERENCES activities(id),
    participant_id BIGINT NOT NULL REFERENCES activity_participants(id),
    -- support, oppose, concern, suggestion
    position TEXT NOT NULL,
    summary TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX activity_speeches_activity ON activity_speeches(activity_id, id);

CREATE TABLE activity_followups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id BIGINT NOT NULL REFERENCES activities(id),
    title TEXT NOT NULL,
    owner TEXT NOT NULL,
    due_on TEXT NOT NULL,
    done_at TEXT,
    done_note TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX activity_followups_activity ON activity_followups(activity_id, id);

-- 读书心得: a member's notes on a reading activity's books.
CREATE TABLE reading_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id BIGINT NOT NULL REFERENCES activities(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    book TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX reading_notes_activity ON reading_notes(activity_id, id);
CREATE INDEX reading_notes_member ON reading_notes(member_id);

-- 知情明政: the policy library, and who has read what.
CREATE TABLE policy_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    title TEXT NOT NULL,
    category TEXT NOT NULL,
    body TEXT NOT NULL,
    required BOOLEAN NOT NULL,
    attachment BLOB,
    attachment_name TEXT,
    attachment_type TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX policy_documents_committee ON policy_documents(committee_id, category, id);

CREATE TABLE policy_reads (
    document_id BIGINT NOT NULL REFERENCES policy_documents(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    read_at TEXT NOT NULL,
    PRIMARY KEY (document_id, member_id)
);
