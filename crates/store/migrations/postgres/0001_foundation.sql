-- Lianxin foundation schema (PostgreSQL). Keep in step with ../sqlite/0001_foundation.sql:
-- same tables, same columns, same indexes (a test compares them).

CREATE TABLE committees (
    id BIGSERIAL PRIMARY KEY,
    parent_id BIGINT REFERENCES committees(id),
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    region TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX committees_parent ON committees(parent_id);

CREATE TABLE terms (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    name TEXT NOT NULL,
    number BIGINT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT,
    is_current BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT terms_committee_number UNIQUE (committee_id, number)
);

CREATE TABLE sectors (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    name TEXT NOT NULL,
    sector_group TEXT NOT NULL,
    sort_order BIGINT,
    builtin BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT sectors_committee_name UNIQUE (committee_id, name)
);

CREATE TABLE special_committees (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    name TEXT NOT NULL,
    description TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT special_committees_committee_name UNIQUE (committee_id, name)
);

CREATE TABLE members (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    name TEXT NOT NULL,
    gender TEXT,
    ethnicity TEXT,
    party TEXT,
    sector_id BIGINT NOT NULL REFERENCES sectors(id),
    employer TEXT,
    job_title TEXT,
    is_standing BOOLEAN NOT NULL DEFAULT FALSE,
    term_id BIGINT REFERENCES terms(id),
    status TEXT NOT NULL,
    phone_enc BYTEA,
    phone_index TEXT,
    phone_masked TEXT,
    public_contact TEXT,
    bio TEXT,
    photo BYTEA,
    photo_type TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX members_committee_sector ON members(committee_id, sector_id, id);
CREATE INDEX members_committee_status ON members(committee_id, status);
CREATE INDEX members_committee_phone ON members(committee_id, phone_index);
CREATE INDEX members_committee_name ON members(committee_id, name);

CREATE TABLE member_special_committees (
    member_id BIGINT NOT NULL REFERENCES members(id),
    special_committee_id BIGINT NOT NULL REFERENCES special_committees(id),
    PRIMARY KEY (member_id, special_committee_id)
);
CREATE INDEX msc_special_committee ON member_special_committees(special_committee_id);

CREATE TABLE studios (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    opening_hours TEXT,
    lead_member_id BIGINT REFERENCES members(id),
    public_contact TEXT,
    description TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX studios_committee ON studios(committee_id);

CREATE TABLE studio_members (
    studio_id BIGINT NOT NULL REFERENCES studios(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    PRIMARY KEY (studio_id, member_id)
);
CREATE INDEX studio_members_member ON studio_members(member_id);

CREATE TABLE studio_sectors (
    studio_id BIGINT NOT NULL REFERENCES studios(id),
    sector_id BIGINT NOT NULL REFERENCES sectors(id),
    PRIMARY KEY (studio_id, sector_id)
);

CREATE TABLE handling_units (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    name TEXT NOT NULL,
    unit_type TEXT,
    contact_person TEXT,
    contact_phone TEXT,
    address TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT handling_units_committee_name UNIQUE (committee_id, name)
);

CREATE TABLE employer_contacts (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    contact_date TEXT NOT NULL,
    unit TEXT NOT NULL,
    discussed TEXT NOT NULL,
    staff TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX employer_contacts_committee ON employer_contacts(committee_id, contact_date);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    member_id BIGINT REFERENCES members(id),
    is_demo BOOLEAN NOT NULL DEFAULT FALSE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT users_username UNIQUE (username)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE login_attempts (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL,
    ip TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_attempts_username ON login_attempts(username, at);
CREATE INDEX login_attempts_ip ON login_attempts(ip, at);

CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor_user_id BIGINT,
    subject_type TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    payload TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX events_committee ON events(committee_id, id);

CREATE TABLE event_cursors (
    consumer TEXT PRIMARY KEY,
    position BIGINT NOT NULL
);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    committee_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    before_data TEXT NOT NULL,
    after_data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log(subject);

CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The audit trail is append-only: the database itself refuses to change or delete it.
CREATE FUNCTION audit_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
