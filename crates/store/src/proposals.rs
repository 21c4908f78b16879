//! Proposals (提案): the proposal, its co-signers, versions, submission windows, the units it
//! is assigned to, their answers, the notes of its history, and per-unit figures.

use chrono::{DateTime, Utc};

use crate::db::{
    Conn, Param, Result, Where, all, int, opt, opt_int, opt_text, opt_time, placeholders, run,
    update_row,
};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ProposalRow {
    pub id: i64,
    pub committee_id: i64,
    pub year: i64,
    pub kind: String,
    pub collective_body: Option<String>,
    pub collective_name: Option<String>,
    /// The lead proposer (who drafted it; for a collective proposal, who submits it).
    pub member_id: i64,
    pub status: String,
    pub title: String,
    pub cause: String,
    pub analysis: String,
    pub suggestions: String,
    pub version: i64,
    pub window_kind: Option<String>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub number: Option<i64>,
    pub category: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub review_note: Option<String>,
    pub conversion: Option<String>,
    pub letter_unit_id: Option<i64>,
    pub merged_into: Option<i64>,
    pub assigned_at: Option<DateTime<Utc>>,
    pub clock_start: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub extension_requested: bool,
    pub extended: bool,
    pub rehandled: bool,
    pub answered_at: Option<DateTime<Utc>>,
    pub rating: Option<String>,
    pub rating_comment: Option<String>,
    pub rated_at: Option<DateTime<Utc>>,
    pub is_key: bool,
    pub oversight_leader: Option<String>,
    pub is_excellent: bool,
    pub internal: bool,
    pub escalated_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLS: &str = "id, committee_id, year, kind, collective_body, collective_name, member_id, status, title, \
    cause, analysis, suggestions, version, window_kind, submitted_at, number, category, reviewed_at, review_note, \
    conversion, letter_unit_id, merged_into, assigned_at, clock_start, due_at, extension_requested, extended, \
    rehandled, answered_at, rating, rating_comment, rated_at, is_key, oversight_leader, is_excellent, internal, \
    escalated_at, created_at, updated_at";

/// The columns a use case may change, in the order [`save`] binds them.
const MUTABLE: [&str; 33] = [
    "kind",
    "collective_body",
    "collective_name",
    "status",
    "title",
    "cause",
    "analysis",
    "suggestions",
    "version",
    "window_kind",
    "submitted_at",
    "number",
    "category",
    "reviewed_at",
    "review_note",
    "conversion",
    "letter_unit_id",
    "merged_into",
    "assigned_at",
    "clock_start",
    "due_at",
    "extension_requested",
    "extended",
    "rehandled",
    "answered_at",
    "rating",
    "rating_comment",
    "rated_at",
    "is_key",
    "oversight_leader",
    "is_excellent",
    "internal",
    "escalated_at",
];

fn mutable_values(r: &ProposalRow) -> Vec<Param> {
    vec![
        Param::Text(r.kind.clone()),
        opt_text(&r.collective_body),
        opt_text(&r.collective_name),
        Param::Text(r.status.clone()),
        Param::Text(r.title.clone()),
        Param::Text(r.cause.clone()),
        Param::Text(r.analysis.clone()),
        Param::Text(r.suggestions.clone()),
        Param::Int(r.version),
        opt_text(&r.window_kind),
        opt_time(r.submitted_at),
        opt_int(r.number),
        opt_text(&r.category),
        opt_time(r.reviewed_at),
        opt_text(&r.review_note),
        opt_text(&r.conversion),
        opt_int(r.letter_unit_id),
        opt_int(r.merged_into),
        opt_time(r.assigned_at),
        opt_time(r.clock_start),
        opt_time(r.due_at),
        Param::Bool(r.extension_requested),
        Param::Bool(r.extended),
        Param::Bool(r.rehandled),
        opt_time(r.answered_at),
        opt_text(&r.rating),
        opt_text(&r.rating_comment),
        opt_time(r.rated_at),
        Param::Bool(r.is_key),
        opt_text(&r.oversight_leader),
        Param::Bool(r.is_excellent),
        Param::Bool(r.internal),
        opt_time(r.escalated_at),
    ]
}

pub async fn insert(c: &mut Conn<'_>, r: &ProposalRow) -> Result<i64> {
    let n = MUTABLE.len();
    let q = format!(
        "INSERT INTO proposals (committee_id, year, member_id, created_at, updated_at, {}) \
         VALUES ($1, $2, $3, $4, $4, {}) RETURNING id",
        MUTABLE.join(", "),
        placeholders(5, n)
    );
    let mut p = vec![
        Param::Int(r.committee_id),
        Param::Int(r.year),
        Param::Int(r.member_id),
        Param::Time(r.created_at),
    ];
    p.extend(mutable_values(r));
    int(c, &q, &p).await
}

pub async fn save(c: &mut Conn<'_>, r: &ProposalRow) -> Result<()> {
    update_row(
        c,
        "proposals",
        &MUTABLE,
        mutable_values(r),
        r.updated_at,
        r.id,
    )
    .await
}

pub async fn by_id(c: &mut Conn<'_>, committee_id: i64, id: i64) -> Result<Option<ProposalRow>> {
    let q = format!("SELECT {COLS} FROM proposals WHERE id = $1 AND committee_id = $2");
    opt(c, &q, &[Param::Int(id), Param::Int(committee_id)]).await
}

/// The next free number for an accepted proposal of a year.
pub async fn next_number(c: &mut Conn<'_>, committee_id: i64, year: i64) -> Result<i64> {
    let q =
        "SELECT COALESCE(MAX(number), 0) + 1 FROM proposals WHERE committee_id = $1 AND year = $2";
    int(c, q, &[Param::Int(committee_id), Param::Int(year)]).await
}

/// How many other proposals of the year with this member as first proposer were accepted
/// (have a number): the bonus for each further accepted proposal depends on it.
pub async fn accepted_as_lead(c: &mut Conn<'_>, row: &ProposalRow) -> Result<i64> {
    let q = "SELECT COUNT(*) FROM proposals WHERE committee_id = $1 AND year = $2 AND member_id = $3 \
             AND number IS NOT NULL AND id <> $4";
    int(
        c,
        q,
        &[
            Param::Int(row.committee_id),
            Param::Int(row.year),
            Param::Int(row.member_id),
            Param::Int(row.id),
        ],
    )
    .await
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SignerRow {
    pub member_id: i64,
    pub name: String,
    pub status: String,
    pub responded_at: Option<DateTime<Utc>>,
}

pub async fn signers(c: &mut Conn<'_>, proposal_id: i64) -> Result<Vec<SignerRow>> {
    let q = "SELECT s.member_id, m.name, s.status, s.responded_at FROM proposal_signers s \
             JOIN members m ON m.id = s.member_id WHERE s.proposal_id = $1 ORDER BY s.invited_at, m.id";
    all(c, q, &[Param::Int(proposal_id)]).await
}

/// Invite these members; members no longer listed are dropped, those still listed keep
/// their answer.
pub async fn set_signers(
    c: &mut Conn<'_>,
    proposal_id: i64,
    members: &[i64],
    at: DateTime<Utc>,
) -> Result<()> {
    let mut w = Where::default();
    w.and("proposal_id = ?", Param::Int(proposal_id));
    for m in members {
        w.and("member_id <> ?", Param::Int(*m));
    }
    run(
        c,
        &format!("DELETE FROM proposal_signers{}", w.sql),
        &w.params,
    )
    .await?;
    for m in members {
        run(
            c,
            "INSERT INTO proposal_signers (proposal_id, member_id, status, invited_at) VALUES ($1, $2, 'invited', $3) \
             ON CONFLICT (proposal_id, member_id) DO NOTHING",
            &[Param::Int(proposal_id), Param::Int(*m), Param::Time(at)],
        )
        .await?;
    }
    Ok(())
}

pub async fn respond(
    c: &mut Conn<'_>,
    proposal_id: i64,
    member_id: i64,
    status: &str,
    at: DateTime<Utc>,
) -> Result<u64> {
    run(
        c,
        "UPDATE proposal_signers SET status = $1, responded_at = $2 WHERE proposal_id = $3 AND member_id = $4",
        &[
            Param::Text(status.into()),
            Param::Time(at),
            Param::Int(proposal_id),
            Param::Int(member_id),
        ],
    )
    .await
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct VersionRow {
    pub version: i64,
    pub title: String,
    pub cause: String,
    pub analysis: String,
    pub suggestions: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

pub async fn add_version(c: &mut Conn<'_>, proposal_id: i64, v: &VersionRow) -> Result<()> {
    run(
        c,
        "INSERT INTO proposal_versions (proposal_id, version, title, cause, analysis, suggestions, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            Param::Int(proposal_id),
            Param::Int(v.version),
            Param::Text(v.title.clone()),
            Param::Text(v.cause.clone()),
            Param::Text(v.analysis.clone()),
            Param::Text(v.suggestions.clone()),
            Param::Text(v.created_by.clone()),
            Param::Time(v.created_at),
        ],
    )
    .await?;
    Ok(())
}

pub async fn versions(c: &mut Conn<'_>, proposal_id: i64) -> Result<Vec<VersionRow>> {
    let q = "SELECT version, title, cause, analysis, suggestions, created_by, created_at FROM proposal_versions \
             WHERE proposal_id = $1 ORDER BY version DESC";
    all(c, q, &[Param::Int(proposal_id)]).await
}

/// (kind, opens_on, closes_on) of a year's submission windows.
pub async fn windows(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
) -> Result<Vec<(String, String, String)>> {
    let q = "SELECT kind, opens_on, closes_on FROM proposal_windows WHERE committee_id = $1 AND year = $2 ORDER BY opens_on";
    all(c, q, &[Param::Int(committee_id), Param::Int(year)]).await
}

/// (year, kind, opens_on, closes_on) of every window, newest year first.
pub async fn all_windows(
    c: &mut Conn<'_>,
    committee_id: i64,
) -> Result<Vec<(i64, String, String, String)>> {
    let q = "SELECT year, kind, opens_on, closes_on FROM proposal_windows WHERE committee_id = $1 ORDER BY year DESC, opens_on";
    all(c, q, &[Param::Int(committee_id)]).await
}

pub async fn set_window(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
    kind: &str,
    opens: &str,
    closes: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    run(
        c,
        "INSERT INTO proposal_windows (committee_id, year, kind, opens_on, closes_on, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (committee_id, year, kind) DO UPDATE SET opens_on = excluded.opens_on, closes_on = excluded.closes_on",
        &[
            Param::Int(committee_id),
            Param::Int(year),
            Param::Text(kind.into()),
            Param::Text(opens.into()),
            Param::Text(closes.into()),
            Param::Time(at),
        ],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct UnitRow {
    pub id: i64,
    pub proposal_id: i64,
    pub handling_unit_id: i64,
    pub unit_name: String,
    pub role: String,
    pub active: bool,
    pub assigned_at: DateTime<Utc>,
    pub objected_at: Option<DateTime<Utc>>,
    pub opinion_at: Option<DateTime<Utc>>,
    pub answer_class: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
}

/// The units a proposal is (actively) assigned to.
pub async fn units(c: &mut Conn<'_>, proposal_id: i64) -> Result<Vec<UnitRow>> {
    let q = "SELECT pu.id, pu.proposal_id, pu.handling_unit_id, h.name AS unit_name, pu.role, pu.active, pu.assigned_at, \
             pu.objected_at, pu.opinion_at, pu.answer_class, pu.answered_at FROM proposal_units pu \
             JOIN handling_units h ON h.id = pu.handling_unit_id WHERE pu.proposal_id = $1 AND pu.active = TRUE \
             ORDER BY CASE pu.role WHEN 'lead' THEN 0 WHEN 'separate' THEN 1 ELSE 2 END, pu.id";
    all(c, q, &[Param::Int(proposal_id)]).await
}

/// Assign anew: earlier assignments stop being active (the units no longer see it).
pub async fn replace_units(
    c: &mut Conn<'_>,
    proposal_id: i64,
    units: &[(i64, &str)],
    at: DateTime<Utc>,
) -> Result<()> {
    run(
        c,
        "UPDATE proposal_units SET active = FALSE WHERE proposal_id = $1",
        &[Param::Int(proposal_id)],
    )
    .await?;
    for (unit, role) in units {
        run(
            c,
            "INSERT INTO proposal_units (proposal_id, handling_unit_id, role, active, assigned_at) VALUES ($1, $2, $3, TRUE, $4)",
            &[
                Param::Int(proposal_id),
                Param::Int(*unit),
                Param::Text(role.to_string()),
                Param::Time(at),
            ],
        )
        .await?;
    }
    Ok(())
}

/// Write back a unit's part (objection, opinion, answer).
pub async fn save_unit(c: &mut Conn<'_>, u: &UnitRow) -> Result<()> {
    run(
        c,
        "UPDATE proposal_units SET objected_at = $1, opinion_at = $2, answer_class = $3, answered_at = $4 WHERE id = $5",
        &[
            opt_time(u.objected_at),
            opt_time(u.opinion_at),
            opt_text(&u.answer_class),
            opt_time(u.answered_at),
            Param::Int(u.id),
        ],
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct AnswerRow {
    pub id: i64,
    pub proposal_id: i64,
    pub handling_unit_id: i64,
    pub unit_name: String,
    pub answer_class: String,
    pub body: String,
    pub attachment_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[allow(clippy::too_many_arguments)]
pub async fn add_answer(
    c: &mut Conn<'_>,
    proposal_id: i64,
    unit_id: i64,
    class: &str,
    body: &str,
    attachment: Option<(&str, &str, &[u8])>,
    at: DateTime<Utc>,
) -> Result<i64> {
    let (name, mime, bytes) = match attachment {
        Some((n, m, b)) => (
            Param::Text(n.into()),
            Param::Text(m.into()),
            Param::Bytes(b.to_vec()),
        ),
        None => (Param::NullText, Param::NullText, Param::NullBytes),
    };
    int(
        c,
        "INSERT INTO proposal_answers (proposal_id, handling_unit_id, answer_class, body, attachment, attachment_name, \
         attachment_type, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        &[
            Param::Int(proposal_id),
            Param::Int(unit_id),
            Param::Text(class.into()),
            Param::Text(body.into()),
            bytes,
            name,
            mime,
            Param::Time(at),
        ],
    )
    .await
}

pub async fn answers(c: &mut Conn<'_>, proposal_id: i64) -> Result<Vec<AnswerRow>> {
    let q = "SELECT a.id, a.proposal_id, a.handling_unit_id, h.name AS unit_name, a.answer_class, a.body, a.attachment_name, \
             a.created_at FROM proposal_answers a JOIN handling_units h ON h.id = a.handling_unit_id \
             WHERE a.proposal_id = $1 ORDER BY a.id";
    all(c, q, &[Param::Int(proposal_id)]).await
}

/// (file name, MIME type, bytes) of an answer's attachment.
pub async fn answer_attachment(
    c: &mut Conn<'_>,
    committee_id: i64,
    proposal_id: i64,
    answer_id: i64,
) -> Result<Option<(String, String, Vec<u8>)>> {
    let q = "SELECT a.attachment_name, a.attachment_type, a.attachment FROM proposal_answers a \
             JOIN proposals p ON p.id = a.proposal_id \
             WHERE a.id = $1 AND a.proposal_id = $2 AND p.committee_id = $3 AND a.attachment IS NOT NULL";
    opt(
        c,
        q,
        &[
            Param::Int(answer_id),
            Param::Int(proposal_id),
            Param::Int(committee_id),
        ],
    )
    .await
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct NoteRow {
    pub id: i64,
    pub kind: String,
    pub handling_unit_id: Option<i64>,
    pub body: String,
    pub on_date: Option<String>,
    pub internal: bool,
    pub actor: String,
    pub created_at: DateTime<Utc>,
}

pub struct NewNote<'a> {
    pub proposal_id: i64,
    /// `objection`, `co_opinion`, `extension_request`, `extension_approved`, `visit`,
    /// `progress`, `letter`, `reassigned`
    pub kind: &'a str,
    pub handling_unit_id: Option<i64>,
    pub body: &'a str,
    pub on_date: Option<&'a str>,
    pub internal: bool,
    pub actor: &'a str,
}

pub async fn add_note(c: &mut Conn<'_>, n: &NewNote<'_>, at: DateTime<Utc>) -> Result<()> {
    run(
        c,
        "INSERT INTO proposal_notes (proposal_id, kind, handling_unit_id, body, on_date, internal, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            Param::Int(n.proposal_id),
            Param::Text(n.kind.into()),
            opt_int(n.handling_unit_id),
            Param::Text(n.body.into()),
            opt_text(&n.on_date.map(str::to_string)),
            Param::Bool(n.internal),
            Param::Text(n.actor.into()),
            Param::Time(at),
        ],
    )
    .await?;
    Ok(())
}

pub async fn notes(c: &mut Conn<'_>, proposal_id: i64) -> Result<Vec<NoteRow>> {
    let q = "SELECT id, kind, handling_unit_id, body, on_date, internal, actor, created_at FROM proposal_notes \
             WHERE proposal_id = $1 ORDER BY id";
    all(c, q, &[Param::Int(proposal_id)]).await
}

/// Which proposals a list shows.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub year: Option<i64>,
    pub status: Option<String>,
    pub category: Option<String>,
    /// Proposals where this member is the lead proposer or a co-signer.
    pub member: Option<i64>,
    /// Proposals actively assigned to this unit.
    pub unit: Option<i64>,
    pub key_only: bool,
    pub overdue_at: Option<DateTime<Utc>>,
    /// Only what the public may read: accepted and onwards, not internal.
    pub public_only: bool,
    pub q: Option<String>,
    pub not_draft: bool,
}

fn where_of(committee_id: i64, f: &Filter) -> Where {
    let mut w = Where::default();
    w.and("p.committee_id = ?", Param::Int(committee_id));
    if let Some(y) = f.year {
        w.and("p.year = ?", Param::Int(y));
    }
    if let Some(s) = &f.status {
        w.and("p.status = ?", Param::Text(s.clone()));
    }
    if let Some(cat) = &f.category {
        w.and("p.category = ?", Param::Text(cat.clone()));
    }
    if let Some(m) = f.member {
        w.and(
            "(p.member_id = ? OR p.id IN (SELECT proposal_id FROM proposal_signers WHERE member_id = ?))",
            Param::Int(m),
        );
    }
    if let Some(u) = f.unit {
        w.and(
            "p.id IN (SELECT proposal_id FROM proposal_units WHERE active = TRUE AND handling_unit_id = ?)",
            Param::Int(u),
        );
    }
    if f.not_draft {
        w.raw("p.status <> 'draft'");
    }
    if f.key_only {
        w.raw("p.is_key = TRUE");
    }
    if let Some(at) = f.overdue_at {
        w.raw("p.status IN ('assigned', 'rehandling')");
        w.and("p.due_at < ?", Param::Time(at));
    }
    if f.public_only {
        w.raw("p.status IN ('accepted', 'assigned', 'answered', 'rehandling', 'closed') AND p.internal = FALSE");
    }
    if let Some(q) = &f.q {
        w.and("p.title LIKE ?", Param::Text(format!("%{q}%")));
    }
    w
}

/// A line of a proposal list.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ListRow {
    pub id: i64,
    pub year: i64,
    pub number: Option<i64>,
    pub title: String,
    pub kind: String,
    pub status: String,
    pub category: Option<String>,
    pub proposer: String,
    pub due_at: Option<DateTime<Utc>>,
    pub is_key: bool,
    pub is_excellent: bool,
    pub updated_at: DateTime<Utc>,
}

pub async fn list(
    c: &mut Conn<'_>,
    committee_id: i64,
    f: &Filter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ListRow>, i64)> {
    let w = where_of(committee_id, f);
    let total = int(
        c,
        &format!("SELECT COUNT(*) FROM proposals p{}", w.sql),
        &w.params,
    )
    .await?;
    let q = format!(
        "SELECT p.id, p.year, p.number, p.title, p.kind, p.status, p.category, \
         COALESCE(p.collective_name, m.name) AS proposer, p.due_at, p.is_key, p.is_excellent, p.updated_at \
         FROM proposals p JOIN members m ON m.id = p.member_id{} ORDER BY p.id DESC{}",
        w.sql,
        w.page()
    );
    let rows = all(c, &q, &w.with_page(limit, offset)).await?;
    Ok((rows, total))
}

/// (proposal id, title, lead member) of proposals inviting this member to co-sign.
pub async fn invitations(c: &mut Conn<'_>, member_id: i64) -> Result<Vec<(i64, String, String)>> {
    let q = "SELECT p.id, p.title, m.name FROM proposal_signers s JOIN proposals p ON p.id = s.proposal_id \
             JOIN members m ON m.id = p.member_id WHERE s.member_id = $1 AND s.status = 'invited' AND p.status = 'draft' \
             ORDER BY p.id DESC";
    all(c, q, &[Param::Int(member_id)]).await
}

/// Proposals being handled past their deadline and not yet escalated.
pub async fn to_escalate(c: &mut Conn<'_>, now: DateTime<Utc>) -> Result<Vec<ProposalRow>> {
    let q = format!(
        "SELECT {COLS} FROM proposals WHERE status IN ('assigned', 'rehandling') AND due_at < $1 \
         AND escalated_at IS NULL ORDER BY id LIMIT 500"
    );
    all(c, &q, &[Param::Time(now)]).await
}

/// Per handling unit, over a year's proposals: the lead or separate assignments, answers,
/// answers on time, the A/B/C split and ratings. One aggregate query: the statistics page
/// costs what this query costs.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct TallyRow {
    pub unit_id: i64,
    pub name: String,
    pub count: i64,
    pub answered: i64,
    pub on_time: i64,
    pub class_a: i64,
    pub class_b: i64,
    pub class_c: i64,
    pub rated: i64,
    pub satisfied: i64,
}

pub const TALLY_SQL: &str = "SELECT h.id AS unit_id, h.name, COUNT(*) AS count, \
     COALESCE(SUM(CASE WHEN pu.answered_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS answered, \
     COALESCE(SUM(CASE WHEN pu.answered_at IS NOT NULL AND pu.answered_at <= p.due_at THEN 1 ELSE 0 END), 0) AS on_time, \
     COALESCE(SUM(CASE WHEN pu.answer_class = 'A' THEN 1 ELSE 0 END), 0) AS class_a, \
     COALESCE(SUM(CASE WHEN pu.answer_class = 'B' THEN 1 ELSE 0 END), 0) AS class_b, \
     COALESCE(SUM(CASE WHEN pu.answer_class = 'C' THEN 1 ELSE 0 END), 0) AS class_c, \
     COALESCE(SUM(CASE WHEN p.rating IS NOT NULL THEN 1 ELSE 0 END), 0) AS rated, \
     COALESCE(SUM(CASE WHEN p.rating IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END), 0) AS satisfied \
     FROM proposal_units pu JOIN proposals p ON p.id = pu.proposal_id JOIN handling_units h ON h.id = pu.handling_unit_id \
     WHERE p.committee_id = $1 AND p.year = $2 AND pu.active = TRUE AND pu.role IN ('lead', 'separate') \
     GROUP BY h.id, h.name";

pub async fn tallies(c: &mut Conn<'_>, committee_id: i64, year: i64) -> Result<Vec<TallyRow>> {
    all(c, TALLY_SQL, &[Param::Int(committee_id), Param::Int(year)]).await
}

/// A member's name, for showing who proposed something.
pub async fn member_name(c: &mut Conn<'_>, member_id: i64) -> Result<String> {
    let row: Option<(String,)> = opt(
        c,
        "SELECT name FROM members WHERE id = $1",
        &[Param::Int(member_id)],
    )
    .await?;
    Ok(row.map(|r| r.0).unwrap_or_default())
}
