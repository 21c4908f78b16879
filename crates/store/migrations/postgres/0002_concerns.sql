-- The people's concerns, routing, studios' offline work and services (issue 3).
-- Keep in step with ../sqlite/0002_concerns.sql (a test compares them).

CREATE TABLE concern_categories (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    name TEXT NOT NULL,
    deadline_days BIGINT NOT NULL,
    service_code TEXT NOT NULL,
    description TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT concern_categories_committee_name UNIQUE (committee_id, name),
    CONSTRAINT concern_categories_committee_code UNIQUE (committee_id, service_code)
);

CREATE TABLE routing_rules (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    category_id BIGINT REFERENCES concern_categories(id),
    area TEXT,
    sector_id BIGINT REFERENCES sectors(id),
    studio_id BIGINT REFERENCES studios(id),
    member_id BIGINT REFERENCES members(id),
    special_committee_id BIGINT REFERENCES special_committees(id),
    note TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX routing_rules_committee ON routing_rules(committee_id);

CREATE TABLE concerns (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    code TEXT NOT NULL,
    title TEXT NOT NULL,
    detail TEXT NOT NULL,
    category_id BIGINT NOT NULL REFERENCES concern_categories(id),
    area TEXT NOT NULL,
    sector_id BIGINT REFERENCES sectors(id),
    person_name TEXT,
    phone_enc BYTEA,
    phone_index TEXT,
    phone_masked TEXT,
    publish BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    close_reason TEXT,
    duplicate_of BIGINT REFERENCES concerns(id),
    referred_unit_id BIGINT REFERENCES handling_units(id),
    studio_id BIGINT REFERENCES studios(id),
    member_id BIGINT REFERENCES members(id),
    special_committee_id BIGINT REFERENCES special_committees(id),
    source TEXT NOT NULL,
    submitted_at TIMESTAMPTZ NOT NULL,
    due_at TIMESTAMPTZ NOT NULL,
    first_reply_at TIMESTAMPTZ,
    answered_at TIMESTAMPTZ,
    resolved_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    escalated_at TIMESTAMPTZ,
    rating TEXT,
    rating_comment TEXT,
    rated_at TIMESTAMPTZ,
    followup_sent_at TIMESTAMPTZ,
    followup_answer TEXT,
    user_id BIGINT REFERENCES users(id),
    idempotency_key TEXT,
    open311_client_id BIGINT,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    updated_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT concerns_code UNIQUE (code),
    CONSTRAINT concerns_committee_idempotency UNIQUE (committee_id, idempotency_key)
);
CREATE INDEX concerns_committee_status ON concerns(committee_id, status, id);
CREATE INDEX concerns_committee_member ON concerns(committee_id, member_id);
CREATE INDEX concerns_committee_studio ON concerns(committee_id, studio_id);
CREATE INDEX concerns_committee_category ON concerns(committee_id, category_id);
CREATE INDEX concerns_committee_submitted ON concerns(committee_id, submitted_at);
CREATE INDEX concerns_user ON concerns(user_id);

CREATE TABLE concern_updates (
    id BIGSERIAL PRIMARY KEY,
    concern_id BIGINT NOT NULL REFERENCES concerns(id),
    kind TEXT NOT NULL,
    public BOOLEAN NOT NULL,
    body TEXT NOT NULL,
    status_after TEXT,
    actor_user_id BIGINT,
    actor_label TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX concern_updates_concern ON concern_updates(concern_id, id);

CREATE TABLE concern_attachments (
    id BIGSERIAL PRIMARY KEY,
    concern_id BIGINT NOT NULL REFERENCES concerns(id),
    filename TEXT NOT NULL,
    mime TEXT NOT NULL,
    size BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX concern_attachments_concern ON concern_attachments(concern_id);

CREATE TABLE intake_log (
    id BIGSERIAL PRIMARY KEY,
    ip_hash TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX intake_log_ip ON intake_log(ip_hash, at);

CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL,
    channel TEXT NOT NULL,
    recipient_enc BYTEA,
    recipient_masked TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    concern_id BIGINT,
    created_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ
);
CREATE INDEX outbox_committee ON outbox(committee_id, id);

CREATE TABLE open311_clients (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT open311_clients_key UNIQUE (key_hash)
);

CREATE TABLE reception_slots (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    studio_id BIGINT NOT NULL REFERENCES studios(id),
    day TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    capacity BIGINT NOT NULL,
    member_id BIGINT REFERENCES members(id),
    note TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX reception_slots_studio ON reception_slots(committee_id, studio_id, day);

CREATE TABLE reception_bookings (
    id BIGSERIAL PRIMARY KEY,
    slot_id BIGINT NOT NULL REFERENCES reception_slots(id),
    person_name TEXT NOT NULL,
    phone_enc BYTEA NOT NULL,
    phone_index TEXT NOT NULL,
    phone_masked TEXT NOT NULL,
    topic TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT reception_bookings_slot_phone UNIQUE (slot_id, phone_index)
);

CREATE TABLE reception_visits (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    studio_id BIGINT NOT NULL REFERENCES studios(id),
    member_id BIGINT REFERENCES members(id),
    visited_on TEXT NOT NULL,
    visitor TEXT,
    topic TEXT NOT NULL,
    summary TEXT NOT NULL,
    outcome TEXT,
    concern_id BIGINT REFERENCES concerns(id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX reception_visits_studio ON reception_visits(committee_id, studio_id, visited_on);

CREATE TABLE service_offers (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    studio_id BIGINT NOT NULL REFERENCES studios(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    skill TEXT,
    provider_member_id BIGINT REFERENCES members(id),
    provider_name TEXT,
    description TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX service_offers_studio ON service_offers(committee_id, studio_id);

CREATE TABLE service_bookings (
    id BIGSERIAL PRIMARY KEY,
    offer_id BIGINT NOT NULL REFERENCES service_offers(id),
    code TEXT NOT NULL,
    person_name TEXT NOT NULL,
    phone_enc BYTEA NOT NULL,
    phone_index TEXT NOT NULL,
    phone_masked TEXT NOT NULL,
    note TEXT,
    rating TEXT,
    rating_comment TEXT,
    rated_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    CONSTRAINT service_bookings_code UNIQUE (code)
);
CREATE INDEX service_bookings_offer ON service_bookings(offer_id);

CREATE TABLE service_deliveries (
    id BIGSERIAL PRIMARY KEY,
    offer_id BIGINT NOT NULL REFERENCES service_offers(id),
    delivered_on TEXT NOT NULL,
    people_count BIGINT NOT NULL,
    summary TEXT NOT NULL,
    recorded_by BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX service_deliveries_offer ON service_deliveries(offer_id);

-- The opinion-report issue builds the workflow; here a member's draft made from concerns.
CREATE TABLE opinion_reports (
    id BIGSERIAL PRIMARY KEY,
    committee_id BIGINT NOT NULL REFERENCES committees(id),
    member_id BIGINT NOT NULL REFERENCES members(id),
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX opinion_reports_member ON opinion_reports(committee_id, member_id);

CREATE TABLE opinion_report_concerns (
    report_id BIGINT NOT NULL REFERENCES opinion_reports(id),
    concern_id BIGINT NOT NULL REFERENCES concerns(id),
    PRIMARY KEY (report_id, concern_id)
);
CREATE INDEX opinion_report_concerns_concern ON opinion_report_concerns(concern_id);
