//! The duty log's rows. Only the event consumer writes them (see `service::duty`).

use chrono::{DateTime, Utc};

use crate::db::{Conn, Param, Result, all, each_row, int, opt, opt_int, run};

pub struct NewEntry<'a> {
    pub committee_id: i64,
    pub member_id: i64,
    pub year: i64,
    pub kind: &'a str,
    pub role: &'a str,
    pub subject: &'a str,
    pub joint_count: i64,
    pub joint_index: i64,
    pub event_id: i64,
    pub attested_by: Option<i64>,
    pub occurred_at: DateTime<Utc>,
    pub reverses_event: i64,
}

/// Add an entry once: a second delivery of the same event changes nothing, and a member who
/// is not of the event's committee gets nothing. True if a row was added.
pub async fn add(c: &mut Conn<'_>, e: &NewEntry<'_>) -> Result<bool> {
    Ok(run(
        c,
        "INSERT INTO duty_log (committee_id, member_id, year, kind, role, subject, joint_count, joint_index, event_id, \
         attested_by, occurred_at, reverses_event) \
         SELECT $1, id, $2, $3, $4, $5, $6, $7, $8, $9, $10, $12 FROM members WHERE id = $11 AND committee_id = $1 \
         ON CONFLICT (event_id, member_id, kind, reverses_event) DO NOTHING",
        &[
            Param::Int(e.committee_id),
            Param::Int(e.year),
            Param::Text(e.kind.into()),
            Param::Text(e.role.into()),
            Param::Text(e.subject.into()),
            Param::Int(e.joint_count),
            Param::Int(e.joint_index),
            Param::Int(e.event_id),
            opt_int(e.attested_by),
            Param::Time(e.occurred_at),
            Param::Int(e.member_id),
            Param::Int(e.reverses_event),
        ],
    )
    .await?
        > 0)
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct EntryRow {
    pub id: i64,
    pub member_id: i64,
    pub year: i64,
    pub kind: String,
    pub role: String,
    pub subject: String,
    pub joint_count: i64,
    pub joint_index: i64,
    pub event_id: i64,
    pub attested_by: Option<i64>,
    pub occurred_at: DateTime<Utc>,
    pub reverses_event: i64,
}

const COLS: &str = "id, member_id, year, kind, role, subject, joint_count, joint_index, event_id, attested_by, \
                    occurred_at, reverses_event";

/// A member's entries of a year, oldest first.
pub async fn of_member(c: &mut Conn<'_>, member_id: i64, year: i64) -> Result<Vec<EntryRow>> {
    let q = format!("SELECT {COLS} FROM duty_log WHERE member_id = $1 AND year = $2 ORDER BY id");
    all(c, &q, &[Param::Int(member_id), Param::Int(year)]).await
}

/// One entry of the committee, for a correction.
pub async fn entry(c: &mut Conn<'_>, committee_id: i64, id: i64) -> Result<Option<EntryRow>> {
    let q = format!("SELECT {COLS} FROM duty_log WHERE id = $1 AND committee_id = $2");
    opt(c, &q, &[Param::Int(id), Param::Int(committee_id)]).await
}

/// Every entry of a committee's year, by member then id.
pub async fn of_year(c: &mut Conn<'_>, committee_id: i64, year: i64) -> Result<Vec<EntryRow>> {
    let q = format!(
        "SELECT {COLS} FROM duty_log WHERE committee_id = $1 AND year = $2 ORDER BY member_id, id"
    );
    all(c, &q, &[Param::Int(committee_id), Param::Int(year)]).await
}

/// One entry of a [`Packed`] year: fixed size, its text in the year's buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackedEntry {
    pub member_id: i64,
    pub id: i64,
    pub event_id: i64,
    pub reverses_event: i64,
    pub joint_count: i64,
    pub joint_index: i64,
    /// Into [`Packed::kinds`] and [`Packed::roles`].
    pub kind: u16,
    pub role: u16,
    subject_len: u32,
    subject_at: usize,
}

/// Every entry of a committee's year as scoring reads it, packed: kinds and roles interned,
/// subjects end to end in one buffer. Scoring a national committee again reads twenty
/// million entries; as owned rows they would cost sixty million allocations.
#[derive(Debug, Default)]
pub struct Packed {
    pub entries: Vec<PackedEntry>,
    pub kinds: Vec<String>,
    pub roles: Vec<String>,
    subjects: String,
}

impl Packed {
    pub fn subject(&self, e: &PackedEntry) -> &str {
        &self.subjects[e.subject_at..e.subject_at + e.subject_len as usize]
    }
    pub fn kind(&self, e: &PackedEntry) -> &str {
        &self.kinds[e.kind as usize]
    }
}

/// The index of `s` in `interned`, adding it when new (a year has a few dozen kinds).
fn intern(interned: &mut Vec<String>, s: &str) -> u16 {
    match interned.iter().position(|x| x == s) {
        Some(i) => i as u16,
        None => {
            interned.push(s.to_string());
            (interned.len() - 1) as u16
        }
    }
}

/// Every entry of a committee's year, packed, in no particular order (scoring sorts each
/// member's entries). The two databases are read differently, each the way it is fast: sqlx
/// hands SQLite rows over one at a time from its worker thread (about 4 µs a row, four times
/// SQLite's own work), so there the database packs each member's entries into one row;
/// PostgreSQL streams rows cheaply but aggregates text on one core, so there the rows come
/// straight through in the table's order. The queries are the same text on both.
pub async fn packed_year(c: &mut Conn<'_>, committee_id: i64, year: i64) -> Result<Packed> {
    let mut p = Packed::default();
    if matches!(c, Conn::Sqlite(_)) {
        each_row(
            c,
            PACKED_BY_MEMBER,
            &year_params(committee_id, year, true),
            |r| {
                let member_id = r.int_at(0)?;
                for entry in r.str_at(1)?.split(ENTRY_SEP) {
                    let f: Vec<&str> = entry.split(FIELD_SEP).collect();
                    let [
                        id,
                        event_id,
                        reverses_event,
                        joint_count,
                        joint_index,
                        kind,
                        role,
                        subject,
                    ] = f[..]
                    else {
                        return Err(unreadable(entry));
                    };
                    let n = |s: &str| s.parse::<i64>().map_err(|_| unreadable(entry));
                    let fields = Fields {
                        member_id,
                        id: n(id)?,
                        event_id: n(event_id)?,
                        reverses_event: n(reverses_event)?,
                        joint_count: n(joint_count)?,
                        joint_index: n(joint_index)?,
                    };
                    p.push(&fields, kind, role, subject);
                }
                Ok(())
            },
        )
        .await?;
    } else {
        each_row(
            c,
            PACKED_ROWS,
            &year_params(committee_id, year, false),
            |r| {
                let fields = Fields {
                    member_id: r.int_at(0)?,
                    id: r.int_at(1)?,
                    event_id: r.int_at(2)?,
                    reverses_event: r.int_at(3)?,
                    joint_count: r.int_at(4)?,
                    joint_index: r.int_at(5)?,
                };
                p.push(&fields, r.str_at(6)?, r.str_at(7)?, r.str_at(8)?);
                Ok(())
            },
        )
        .await?;
    }
    Ok(p)
}

const PACKED_ROWS: &str = "SELECT member_id, id, event_id, reverses_event, joint_count, joint_index, kind, role, \
     subject FROM duty_log WHERE committee_id = $1 AND year = $2";

/// One row per member: the entries' fields joined by $3, the entries by $4 (control
/// characters, which kinds, roles and subjects — written by the system — never hold).
const PACKED_BY_MEMBER: &str = "SELECT member_id, string_agg(id || $3 || event_id || $3 || reverses_event || $3 || \
     joint_count || $3 || joint_index || $3 || kind || $3 || role || $3 || subject, $4) AS entries \
     FROM duty_log WHERE committee_id = $1 AND year = $2 GROUP BY member_id";
const FIELD_SEP: char = '\u{1f}';
const ENTRY_SEP: char = '\u{1e}';

fn year_params(committee_id: i64, year: i64, separators: bool) -> Vec<Param> {
    let mut p = vec![Param::Int(committee_id), Param::Int(year)];
    if separators {
        p.push(Param::Text(FIELD_SEP.into()));
        p.push(Param::Text(ENTRY_SEP.into()));
    }
    p
}

fn unreadable(entry: &str) -> crate::StoreError {
    crate::StoreError::Corrupt(format!("a duty-log entry could not be read: {entry:?}"))
}

/// The number fields of an entry.
struct Fields {
    member_id: i64,
    id: i64,
    event_id: i64,
    reverses_event: i64,
    joint_count: i64,
    joint_index: i64,
}

impl Packed {
    fn push(&mut self, f: &Fields, kind: &str, role: &str, subject: &str) {
        let e = PackedEntry {
            member_id: f.member_id,
            id: f.id,
            event_id: f.event_id,
            reverses_event: f.reverses_event,
            joint_count: f.joint_count,
            joint_index: f.joint_index,
            kind: intern(&mut self.kinds, kind),
            role: intern(&mut self.roles, role),
            subject_len: subject.len() as u32,
            subject_at: self.subjects.len(),
        };
        self.subjects.push_str(subject);
        self.entries.push(e);
    }
}

/// Remove the entries of a year (every year with None), before a rebuild.
pub async fn clear(c: &mut Conn<'_>, year: Option<i64>) -> Result<u64> {
    match year {
        Some(y) => run(c, "DELETE FROM duty_log WHERE year = $1", &[Param::Int(y)]).await,
        None => run(c, "DELETE FROM duty_log", &[]).await,
    }
}

/// A member as the ranking shows them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberLine {
    pub id: i64,
    pub name: String,
    pub sector: String,
    pub is_standing: bool,
}

/// Every active member of the committee.
pub async fn members(c: &mut Conn<'_>, committee_id: i64) -> Result<Vec<MemberLine>> {
    all(
        c,
        "SELECT m.id, m.name, s.name AS sector, m.is_standing FROM members m JOIN sectors s ON s.id = m.sector_id \
         WHERE m.committee_id = $1 AND m.status = 'active' ORDER BY m.id",
        &[Param::Int(committee_id)],
    )
    .await
}

/// What scoring everyone needs of a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct ScoredMember {
    pub id: i64,
    pub is_standing: bool,
}

/// Every active member of the committee as scoring needs them, by id.
pub async fn scored_members(c: &mut Conn<'_>, committee_id: i64) -> Result<Vec<ScoredMember>> {
    all(
        c,
        "SELECT id, is_standing FROM members WHERE committee_id = $1 AND status = 'active' ORDER BY id",
        &[Param::Int(committee_id)],
    )
    .await
}

/// One member of the committee (any status).
pub async fn member(
    c: &mut Conn<'_>,
    committee_id: i64,
    member_id: i64,
) -> Result<Option<MemberLine>> {
    opt(
        c,
        "SELECT m.id, m.name, s.name AS sector, m.is_standing FROM members m JOIN sectors s ON s.id = m.sector_id \
         WHERE m.id = $1 AND m.committee_id = $2",
        &[Param::Int(member_id), Param::Int(committee_id)],
    )
    .await
}

/// Whether two members are of the same sector.
pub async fn same_sector(c: &mut Conn<'_>, a: i64, b: i64) -> Result<bool> {
    Ok(int(
        c,
        "SELECT COUNT(*) FROM members a JOIN members b ON a.sector_id = b.sector_id WHERE a.id = $1 AND b.id = $2",
        &[Param::Int(a), Param::Int(b)],
    )
    .await?
        > 0)
}
