//! Meetings and activities: kinds, the activity, its files, invitations (answers, leave,
//! check-in, attendance), public registrations, the consultation's participants and
//! speeches, follow-up items and reading notes.

use chrono::{DateTime, Utc};

use crate::db::{
    Conn, Param, Result, Where, all, int, opt, opt_int, opt_text, opt_time, placeholders, run,
    update_row,
};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct KindRow {
    pub id: i64,
    pub committee_id: Option<i64>,
    pub code: String,
    pub name: String,
    pub default_scope: String,
    pub leave_approver: String,
    pub public_default: bool,
    pub consultation: bool,
    pub reading: bool,
    pub position: i64,
}

const KIND_COLS: &str = "id, committee_id, code, name, default_scope, leave_approver, public_default, consultation, reading, position";

/// The built-in kinds and the committee's own, in menu order.
pub async fn kinds(c: &mut Conn<'_>, committee_id: i64) -> Result<Vec<KindRow>> {
    let q = format!(
        "SELECT {KIND_COLS} FROM activity_kinds WHERE committee_id IS NULL OR committee_id = $1 ORDER BY position, id"
    );
    all(c, &q, &[Param::Int(committee_id)]).await
}

pub async fn kind(c: &mut Conn<'_>, committee_id: i64, id: i64) -> Result<Option<KindRow>> {
    let q = format!(
        "SELECT {KIND_COLS} FROM activity_kinds WHERE id = $1 AND (committee_id IS NULL OR committee_id = $2)"
    );
    opt(c, &q, &[Param::Int(id), Param::Int(committee_id)]).await
}

pub async fn insert_kind(c: &mut Conn<'_>, committee_id: i64, k: &KindRow) -> Result<i64> {
    int(
        c,
        "INSERT INTO activity_kinds (committee_id, code, name, default_scope, leave_approver, public_default, consultation, \
         reading, position) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, \
         (SELECT COALESCE(MAX(position), 0) + 10 FROM activity_kinds)) RETURNING id",
        &[
            Param::Int(committee_id),
            Param::Text(k.code.clone()),
            Param::Text(k.name.clone()),
            Param::Text(k.default_scope.clone()),
            Param::Text(k.leave_approver.clone()),
            Param::Bool(k.public_default),
            Param::Bool(k.consultation),
            Param::Bool(k.reading),
        ],
    )
    .await
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ActivityRow {
    pub id: i64,
    pub committee_id: i64,
    pub kind_id: i64,
    pub title: String,
    pub description: String,
    pub organiser_type: String,
    pub organiser_id: Option<i64>,
    pub organiser_name: String,
    pub created_by: i64,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub online_url: Option<String>,
    pub agenda: String,
    pub books: String,
    pub capacity: Option<i64>,
    pub invite_scope: String,
    pub invite_ref_id: Option<i64>,
    pub public_registration: bool,
    pub status: String,
    pub published_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub attendee_count: Option<i64>,
    pub attending_orgs: Option<String>,
    pub minutes: Option<String>,
    pub summary: Option<String>,
    pub agreed_points: Option<String>,
    pub open_points: Option<String>,
    pub order_changed_by: Option<String>,
    pub order_changed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLS: &str = "id, committee_id, kind_id, title, description, organiser_type, organiser_id, organiser_name, \
    created_by, starts_at, ends_at, place, online_url, agenda, books, capacity, invite_scope, invite_ref_id, \
    public_registration, status, published_at, cancelled_at, closed_at, attendee_count, attending_orgs, minutes, \
    summary, agreed_points, open_points, order_changed_by, order_changed_at, created_at, updated_at";

/// The columns a use case may change, in the order [`save`] binds them.
const MUTABLE: [&str; 28] = [
    "kind_id",
    "title",
    "description",
    "organiser_type",
    "organiser_id",
    "organiser_name",
    "starts_at",
    "ends_at",
    "place",
    "online_url",
    "agenda",
    "books",
    "capacity",
    "invite_scope",
    "invite_ref_id",
    "public_registration",
    "status",
    "published_at",
    "cancelled_at",
    "closed_at",
    "attendee_count",
    "attending_orgs",
    "minutes",
    "summary",
    "agreed_points",
    "open_points",
    "order_changed_by",
    "order_changed_at",
];

fn mutable_values(r: &ActivityRow) -> Vec<Param> {
    vec![
        Param::Int(r.kind_id),
        Param::Text(r.title.clone()),
        Param::Text(r.description.clone()),
        Param::Text(r.organiser_type.clone()),
        opt_int(r.organiser_id),
        Param::Text(r.organiser_name.clone()),
        Param::Time(r.starts_at),
        Param::Time(r.ends_at),
        Param::Text(r.place.clone()),
        opt_text(&r.online_url),
        Param::Text(r.agenda.clone()),
        Param::Text(r.books.clone()),
        opt_int(r.capacity),
        Param::Text(r.invite_scope.clone()),
        opt_int(r.invite_ref_id),
        Param::Bool(r.public_registration),
        Param::Text(r.status.clone()),
        opt_time(r.published_at),
        opt_time(r.cancelled_at),
        opt_time(r.closed_at),
        opt_int(r.attendee_count),
        opt_text(&r.attending_orgs),
        opt_text(&r.minutes),
        opt_text(&r.summary),
        opt_text(&r.agreed_points),
        opt_text(&r.open_points),
        opt_text(&r.order_changed_by),
        opt_time(r.order_changed_at),
    ]
}

pub async fn insert(c: &mut Conn<'_>, r: &ActivityRow) -> Result<i64> {
    let q = format!(
        "INSERT INTO activities (committee_id, created_by, created_at, updated_at, {}) \
         VALUES ($1, $2, $3, $3, {}) RETURNING id",
        MUTABLE.join(", "),
        placeholders(4, MUTABLE.len())
    );
    let mut p = vec![
        Param::Int(r.committee_id),
        Param::Int(r.created_by),
        Param::Time(r.created_at),
    ];
    p.extend(mutable_values(r));
    int(c, &q, &p).await
}

pub async fn save(c: &mut Conn<'_>, r: &ActivityRow) -> Result<()> {
    update_row(
        c,
        "activities",
        &MUTABLE,
        mutable_values(r),
        r.updated_at,
        r.id,
    )
    .await
}

pub async fn by_id(c: &mut Conn<'_>, committee_id: i64, id: i64) -> Result<Option<ActivityRow>> {
    let q = format!("SELECT {COLS} FROM activities WHERE id = $1 AND committee_id = $2");
    opt(c, &q, &[Param::Int(id), Param::Int(committee_id)]).await
}

/// An activity by id whatever its committee (the public pages and the check-in link carry
/// only the id; the committee comes from the row).
pub async fn by_id_any(c: &mut Conn<'_>, id: i64) -> Result<Option<ActivityRow>> {
    let q = format!("SELECT {COLS} FROM activities WHERE id = $1");
    opt(c, &q, &[Param::Int(id)]).await
}

/// Filters of the organiser's list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub status: Option<String>,
    pub kind_id: Option<i64>,
    /// Only those this user created (an organiser who is not the office).
    pub created_by: Option<i64>,
    pub public_only: bool,
    pub from: Option<DateTime<Utc>>,
}

pub async fn list(
    c: &mut Conn<'_>,
    committee_id: i64,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ActivityRow>, i64)> {
    let mut w = Where::default();
    w.and("committee_id = ?", Param::Int(committee_id));
    if let Some(s) = &f.status {
        w.and("status = ?", Param::Text(s.clone()));
    }
    if let Some(k) = f.kind_id {
        w.and("kind_id = ?", Param::Int(k));
    }
    if let Some(u) = f.created_by {
        w.and("created_by = ?", Param::Int(u));
    }
    if f.public_only {
        w.raw("public_registration = TRUE AND status IN ('published', 'closed')");
    }
    if let Some(t) = f.from {
        w.and("ends_at >= ?", Param::Time(t));
    }
    let total = int(
        c,
        &format!("SELECT COUNT(*) FROM activities{}", w.sql),
        &w.params,
    )
    .await?;
    let order = if f.from.is_some() {
        "starts_at, id"
    } else {
        "starts_at DESC, id DESC"
    };
    let q = format!(
        "SELECT {COLS} FROM activities{} ORDER BY {order}{}",
        w.sql,
        w.page()
    );
    Ok((all(c, &q, &w.with_page(limit, offset)).await?, total))
}

pub async fn add_file(
    c: &mut Conn<'_>,
    activity_id: i64,
    purpose: &str,
    file: (&str, &str, &[u8]),
    at: DateTime<Utc>,
) -> Result<i64> {
    int(
        c,
        "INSERT INTO activity_files (activity_id, purpose, name, content_type, bytes, uploaded_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        &[
            Param::Int(activity_id),
            Param::Text(purpose.into()),
            Param::Text(file.0.into()),
            Param::Text(file.1.into()),
            Param::Bytes(file.2.to_vec()),
            Param::Time(at),
        ],
    )
    .await
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FileRow {
    pub id: i64,
    pub purpose: String,
    pub name: String,
    pub content_type: String,
}

pub async fn files(c: &mut Conn<'_>, activity_id: i64) -> Result<Vec<FileRow>> {
    all(
        c,
        "SELECT id, purpose, name, content_type FROM activity_files WHERE activity_id = $1 ORDER BY id",
        &[Param::Int(activity_id)],
    )
    .await
}

/// (name, MIME type, bytes) of one file.
pub async fn file(
    c: &mut Conn<'_>,
    activity_id: i64,
    id: i64,
) -> Result<Option<(String, String, Vec<u8>)>> {
    opt(
        c,
        "SELECT name, content_type, bytes FROM activity_files WHERE id = $1 AND activity_id = $2",
        &[Param::Int(id), Param::Int(activity_id)],
    )
    .await
}

/// Invite the members a scope names (active members of the committee), in one statement;
/// members already invited keep their row. Returns how many were added.
pub async fn invite_scope(c: &mut Conn<'_>, a: &ActivityRow, named: &[i64]) -> Result<u64> {
    let mut p = vec![Param::Int(a.id), Param::Int(a.committee_id)];
    let cond = match a.invite_scope.as_str() {
        "all_members" => String::new(),
        "standing" => " AND m.is_standing = TRUE".into(),
        "sector" => {
            p.push(opt_int(a.invite_ref_id));
            " AND m.sector_id = $3".into()
        }
        "special_committee" => {
            p.push(opt_int(a.invite_ref_id));
            " AND m.id IN (SELECT member_id FROM member_special_committees WHERE special_committee_id = $3)".into()
        }
        "named" if !named.is_empty() => {
            let list = placeholders(3, named.len());
            p.extend(named.iter().map(|m| Param::Int(*m)));
            format!(" AND m.id IN ({list})")
        }
        _ => return Ok(0),
    };
    let q = format!(
        "INSERT INTO activity_invitations (activity_id, member_id, response, late, left_early) \
         SELECT $1, m.id, 'pending', FALSE, FALSE FROM members m \
         WHERE m.committee_id = $2 AND m.status = 'active'{cond} \
         ON CONFLICT (activity_id, member_id) DO NOTHING"
    );
    run(c, &q, &p).await
}

/// Queue one notification per invited member of an activity (SMS to the member's sealed
/// phone where there is one, else the member's inbox), in one statement.
pub async fn queue_invitations(
    c: &mut Conn<'_>,
    activity_id: i64,
    committee_id: i64,
    subject: &str,
    body: &str,
    at: DateTime<Utc>,
) -> Result<u64> {
    run(
        c,
        "INSERT INTO outbox (committee_id, channel, recipient_enc, recipient_masked, subject, body, created_at) \
         SELECT $1, CASE WHEN m.phone_enc IS NULL THEN 'member' ELSE 'sms' END, m.phone_enc, \
         m.name || COALESCE(' ' || m.phone_masked, ''), $2, $3, $4 \
         FROM activity_invitations i JOIN members m ON m.id = i.member_id WHERE i.activity_id = $5",
        &[
            Param::Int(committee_id),
            Param::Text(subject.into()),
            Param::Text(body.into()),
            Param::Time(at),
            Param::Int(activity_id),
        ],
    )
    .await
}

/// Drop a draft's invitations (its named list is being replaced).
pub async fn clear_invitations(c: &mut Conn<'_>, activity_id: i64) -> Result<()> {
    run(
        c,
        "DELETE FROM activity_invitations WHERE activity_id = $1",
        &[Param::Int(activity_id)],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct InvitationRow {
    pub activity_id: i64,
    pub member_id: i64,
    pub member_name: String,
    pub sector_name: String,
    pub response: String,
    pub responded_at: Option<DateTime<Utc>>,
    pub leave_reason: Option<String>,
    pub leave_decided_by: Option<String>,
    pub leave_decided_at: Option<DateTime<Utc>>,
    pub leave_note: Option<String>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checkin_method: Option<String>,
    pub checked_in_by: Option<String>,
    pub late: bool,
    pub left_early: bool,
    pub attendance: Option<String>,
}

const INV_COLS: &str = "i.activity_id, i.member_id, m.name AS member_name, s.name AS sector_name, i.response, \
    i.responded_at, i.leave_reason, i.leave_decided_by, i.leave_decided_at, i.leave_note, i.checked_in_at, \
    i.checkin_method, i.checked_in_by, i.late, i.left_early, i.attendance";
const INV_FROM: &str = "activity_invitations i JOIN members m ON m.id = i.member_id JOIN sectors s ON s.id = m.sector_id";

pub async fn invitations(c: &mut Conn<'_>, activity_id: i64) -> Result<Vec<InvitationRow>> {
    let q = format!(
        "SELECT {INV_COLS} FROM {INV_FROM} WHERE i.activity_id = $1 ORDER BY s.name, m.name, m.id"
    );
    all(c, &q, &[Param::Int(activity_id)]).await
}

pub async fn invitation(
    c: &mut Conn<'_>,
    activity_id: i64,
    member_id: i64,
) -> Result<Option<InvitationRow>> {
    let q =
        format!("SELECT {INV_COLS} FROM {INV_FROM} WHERE i.activity_id = $1 AND i.member_id = $2");
    opt(c, &q, &[Param::Int(activity_id), Param::Int(member_id)]).await
}

/// Save an invited member's answer, leave and marks (not the check-in: see [`check_in`]).
pub async fn save_invitation(c: &mut Conn<'_>, i: &InvitationRow) -> Result<()> {
    run(
        c,
        "UPDATE activity_invitations SET response = $1, responded_at = $2, leave_reason = $3, leave_decided_by = $4, \
         leave_decided_at = $5, leave_note = $6, late = $7, left_early = $8 WHERE activity_id = $9 AND member_id = $10",
        &[
            Param::Text(i.response.clone()),
            opt_time(i.responded_at),
            opt_text(&i.leave_reason),
            opt_text(&i.leave_decided_by),
            opt_time(i.leave_decided_at),
            opt_text(&i.leave_note),
            Param::Bool(i.late),
            Param::Bool(i.left_early),
            Param::Int(i.activity_id),
            Param::Int(i.member_id),
        ],
    )
    .await?;
    Ok(())
}

/// Check these members in, once each: those already checked in are left as they were. The
/// members that were checked in now. `by` is who checked them in for them (None: themselves).
#[allow(clippy::too_many_arguments)]
pub async fn check_in(
    c: &mut Conn<'_>,
    activity_id: i64,
    members: &[i64],
    at: DateTime<Utc>,
    method: &str,
    by: Option<&str>,
    late: bool,
) -> Result<Vec<i64>> {
    let mut done = Vec::with_capacity(members.len());
    for chunk in members.chunks(1000) {
        let q = format!(
            "UPDATE activity_invitations SET checked_in_at = $1, checkin_method = $2, checked_in_by = $3, late = $4 \
             WHERE activity_id = $5 AND checked_in_at IS NULL AND member_id IN ({}) RETURNING member_id",
            placeholders(6, chunk.len())
        );
        let mut p = vec![
            Param::Time(at),
            Param::Text(method.into()),
            opt_text(&by.map(str::to_string)),
            Param::Bool(late),
            Param::Int(activity_id),
        ];
        p.extend(chunk.iter().map(|m| Param::Int(*m)));
        let rows: Vec<(i64,)> = all(c, &q, &p).await?;
        done.extend(rows.into_iter().map(|r| r.0));
    }
    Ok(done)
}

/// Members who come without an invitation (walk-ins at an open activity) are added as
/// confirmed; invited members' rows are left as they are. Only members of the committee.
pub async fn walk_in(
    c: &mut Conn<'_>,
    activity_id: i64,
    committee_id: i64,
    members: &[i64],
) -> Result<()> {
    for chunk in members.chunks(1000) {
        let q = format!(
            "INSERT INTO activity_invitations (activity_id, member_id, response, late, left_early) \
             SELECT $1, id, 'confirmed', FALSE, FALSE FROM members WHERE committee_id = $2 AND id IN ({}) \
             ON CONFLICT (activity_id, member_id) DO NOTHING",
            placeholders(3, chunk.len())
        );
        let mut p = vec![Param::Int(activity_id), Param::Int(committee_id)];
        p.extend(chunk.iter().map(|m| Param::Int(*m)));
        run(c, &q, &p).await?;
    }
    Ok(())
}

/// Fix the final attendance of these members.
pub async fn set_attendance(
    c: &mut Conn<'_>,
    activity_id: i64,
    status: &str,
    members: &[i64],
) -> Result<()> {
    // Bounded IN lists: PostgreSQL takes at most 65,535 parameters a statement.
    for chunk in members.chunks(1000) {
        let q = format!(
            "UPDATE activity_invitations SET attendance = $1 WHERE activity_id = $2 AND member_id IN ({})",
            placeholders(3, chunk.len())
        );
        let mut p = vec![Param::Text(status.into()), Param::Int(activity_id)];
        p.extend(chunk.iter().map(|m| Param::Int(*m)));
        run(c, &q, &p).await?;
    }
    Ok(())
}

/// A member's invitations with the activity, soonest first from `from` (or all, newest first).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MyInvitation {
    pub activity_id: i64,
    pub title: String,
    pub kind_name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub status: String,
    pub response: String,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub attendance: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub online_url: Option<String>,
    pub description: String,
}

pub async fn member_invitations(
    c: &mut Conn<'_>,
    member_id: i64,
    limit: i64,
) -> Result<Vec<MyInvitation>> {
    all(
        c,
        "SELECT a.id AS activity_id, a.title, k.name AS kind_name, a.starts_at, a.ends_at, a.place, a.status, \
         i.response, i.checked_in_at, i.attendance, a.updated_at, a.online_url, a.description \
         FROM activity_invitations i JOIN activities a ON a.id = i.activity_id \
         JOIN activity_kinds k ON k.id = a.kind_id \
         WHERE i.member_id = $1 AND a.status <> 'draft' ORDER BY a.starts_at DESC, a.id DESC LIMIT $2",
        &[Param::Int(member_id), Param::Int(limit)],
    )
    .await
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct RegistrationRow {
    pub id: i64,
    pub name: String,
    pub phone_masked: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

pub async fn registered_count(c: &mut Conn<'_>, activity_id: i64) -> Result<i64> {
    int(
        c,
        "SELECT COUNT(*) FROM activity_registrations WHERE activity_id = $1 AND status = 'registered'",
        &[Param::Int(activity_id)],
    )
    .await
}

/// How many are waiting before this registration (its place on the waiting list).
pub async fn waitlist_place(c: &mut Conn<'_>, activity_id: i64, id: i64) -> Result<i64> {
    int(
        c,
        "SELECT COUNT(*) FROM activity_registrations WHERE activity_id = $1 AND status = 'waitlisted' AND id <= $2",
        &[Param::Int(activity_id), Param::Int(id)],
    )
    .await
}

pub struct NewRegistration<'a> {
    pub activity_id: i64,
    pub name: &'a str,
    pub phone_enc: Vec<u8>,
    pub phone_index: String,
    pub phone_masked: String,
    pub status: &'a str,
}

pub async fn register(c: &mut Conn<'_>, r: NewRegistration<'_>, at: DateTime<Utc>) -> Result<i64> {
    int(
        c,
        "INSERT INTO activity_registrations (activity_id, name, phone_enc, phone_index, phone_masked, status, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        &[
            Param::Int(r.activity_id),
            Param::Text(r.name.into()),
            Param::Bytes(r.phone_enc),
            Param::Text(r.phone_index),
            Param::Text(r.phone_masked),
            Param::Text(r.status.into()),
            Param::Time(at),
        ],
    )
    .await
}

pub async fn registrations(c: &mut Conn<'_>, activity_id: i64) -> Result<Vec<RegistrationRow>> {
    all(
        c,
        "SELECT id, name, phone_masked, status, created_at FROM activity_registrations \
         WHERE activity_id = $1 ORDER BY status, id",
        &[Param::Int(activity_id)],
    )
    .await
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ParticipantRow {
    pub id: i64,
    pub role: String,
    pub name: String,
    pub interest: Option<String>,
    pub member_id: Option<i64>,
    pub speaking_order: i64,
}

pub async fn participants(c: &mut Conn<'_>, activity_id: i64) -> Result<Vec<ParticipantRow>> {
    all(
        c,
        "SELECT id, role, name, interest, member_id, speaking_order FROM activity_participants \
         WHERE activity_id = $1 ORDER BY speaking_order, id",
        &[Param::Int(activity_id)],
    )
    .await
}

pub async fn add_participant(
    c: &mut Conn<'_>,
    activity_id: i64,
    p: &ParticipantRow,
    at: DateTime<Utc>,
) -> Result<i64> {
    int(
        c,
        "INSERT INTO activity_participants (activity_id, role, name, interest, member_id, speaking_order, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
        &[
            Param::Int(activity_id),
            Param::Text(p.role.clone()),
            Param::Text(p.name.clone()),
            opt_text(&p.interest),
            opt_int(p.member_id),
            Param::Int(p.speaking_order),
            Param::Time(at),
        ],
    )
    .await
}

/// Number the participants in this order (1, 2, …).
pub async fn set_order(c: &mut Conn<'_>, activity_id: i64, order: &[i64]) -> Result<()> {
    for (i, id) in order.iter().enumerate() {
        run(
            c,
            "UPDATE activity_participants SET speaking_order = $1 WHERE id = $2 AND activity_id = $3",
            &[Param::Int(i as i64 + 1), Param::Int(*id), Param::Int(activity_id)],
        )
        .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SpeechRow {
    pub id: i64,
    pub participant_id: i64,
    pub position: String,
    pub summary: String,
    pub recorded_by: String,
    pub created_at: DateTime<Utc>,
}

pub async fn add_speech(
    c: &mut Conn<'_>,
    activity_id: i64,
    participant_id: i64,
    position: &str,
    summary: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    int(
        c,
        "INSERT INTO activity_speeches (activity_id, participant_id, position, summary, recorded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        &[
            Param::Int(activity_id),
            Param::Int(participant_id),
            Param::Text(position.into()),
            Param::Text(summary.into()),
            Param::Text(by.into()),
            Param::Time(at),
        ],
    )
    .await
}

pub async fn speeches(c: &mut Conn<'_>, activity_id: i64) -> Result<Vec<SpeechRow>> {
    all(
        c,
        "SELECT id, participant_id, position, summary, recorded_by, created_at FROM activity_speeches \
         WHERE activity_id = $1 ORDER BY id",
        &[Param::Int(activity_id)],
    )
    .await
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct FollowupRow {
    pub id: i64,
    pub title: String,
    pub owner: String,
    pub due_on: String,
    pub done_at: Option<DateTime<Utc>>,
    pub done_note: Option<String>,
}

pub async fn add_followup(
    c: &mut Conn<'_>,
    activity_id: i64,
    title: &str,
    owner: &str,
    due_on: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    int(
        c,
        "INSERT INTO activity_followups (activity_id, title, owner, due_on, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        &[
            Param::Int(activity_id),
            Param::Text(title.into()),
            Param::Text(owner.into()),
            Param::Text(due_on.into()),
            Param::Time(at),
        ],
    )
    .await
}

pub async fn followups(c: &mut Conn<'_>, activity_id: i64) -> Result<Vec<FollowupRow>> {
    all(
        c,
        "SELECT id, title, owner, due_on, done_at, done_note FROM activity_followups \
         WHERE activity_id = $1 ORDER BY due_on, id",
        &[Param::Int(activity_id)],
    )
    .await
}

/// Mark a follow-up item done, once; false when it was done already or is not this activity's.
pub async fn finish_followup(
    c: &mut Conn<'_>,
    activity_id: i64,
    id: i64,
    note: &str,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(run(
        c,
        "UPDATE activity_followups SET done_at = $1, done_note = $2 \
         WHERE id = $3 AND activity_id = $4 AND done_at IS NULL",
        &[
            Param::Time(at),
            Param::Text(note.into()),
            Param::Int(id),
            Param::Int(activity_id),
        ],
    )
    .await?
        > 0)
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NoteRow {
    pub id: i64,
    pub member_id: i64,
    pub member_name: String,
    pub book: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

pub async fn add_note(
    c: &mut Conn<'_>,
    activity_id: i64,
    member_id: i64,
    book: &str,
    body: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    int(
        c,
        "INSERT INTO reading_notes (activity_id, member_id, book, body, created_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
        &[
            Param::Int(activity_id),
            Param::Int(member_id),
            Param::Text(book.into()),
            Param::Text(body.into()),
            Param::Time(at),
        ],
    )
    .await
}

pub async fn notes(c: &mut Conn<'_>, activity_id: i64) -> Result<Vec<NoteRow>> {
    all(
        c,
        "SELECT n.id, n.member_id, m.name AS member_name, n.book, n.body, n.created_at FROM reading_notes n \
         JOIN members m ON m.id = n.member_id WHERE n.activity_id = $1 ORDER BY n.id DESC",
        &[Param::Int(activity_id)],
    )
    .await
}
