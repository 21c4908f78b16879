//! The policy library (知情明政): documents by category, and who has read them.

use chrono::{DateTime, Utc};

use crate::db::{Conn, Param, Result, Where, all, int, opt, run};

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct DocumentRow {
    pub id: i64,
    pub committee_id: i64,
    pub title: String,
    pub category: String,
    pub body: String,
    pub required: bool,
    pub attachment_name: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

const COLS: &str = "id, committee_id, title, category, body, required, attachment_name, created_by, created_at, updated_at";

pub struct NewDocument<'a> {
    pub committee_id: i64,
    pub title: &'a str,
    pub category: &'a str,
    pub body: &'a str,
    pub required: bool,
    pub attachment: Option<(&'a str, &'a str, &'a [u8])>,
    pub created_by: &'a str,
}

pub async fn insert(c: &mut Conn<'_>, d: &NewDocument<'_>, at: DateTime<Utc>) -> Result<i64> {
    let (name, mime, bytes) = match d.attachment {
        Some((n, m, b)) => (
            Param::Text(n.into()),
            Param::Text(m.into()),
            Param::Bytes(b.to_vec()),
        ),
        None => (Param::NullText, Param::NullText, Param::NullBytes),
    };
    int(
        c,
        "INSERT INTO policy_documents (committee_id, title, category, body, required, attachment, attachment_name, \
         attachment_type, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) \
         RETURNING id",
        &[
            Param::Int(d.committee_id),
            Param::Text(d.title.into()),
            Param::Text(d.category.into()),
            Param::Text(d.body.into()),
            Param::Bool(d.required),
            bytes,
            name,
            mime,
            Param::Text(d.created_by.into()),
            Param::Time(at),
        ],
    )
    .await
}

pub async fn set_required(
    c: &mut Conn<'_>,
    committee_id: i64,
    id: i64,
    required: bool,
    at: DateTime<Utc>,
) -> Result<u64> {
    run(
        c,
        "UPDATE policy_documents SET required = $1, updated_at = $2 WHERE id = $3 AND committee_id = $4",
        &[
            Param::Bool(required),
            Param::Time(at),
            Param::Int(id),
            Param::Int(committee_id),
        ],
    )
    .await
}

pub async fn by_id(c: &mut Conn<'_>, committee_id: i64, id: i64) -> Result<Option<DocumentRow>> {
    let q = format!("SELECT {COLS} FROM policy_documents WHERE id = $1 AND committee_id = $2");
    opt(c, &q, &[Param::Int(id), Param::Int(committee_id)]).await
}

pub async fn attachment(
    c: &mut Conn<'_>,
    committee_id: i64,
    id: i64,
) -> Result<Option<(String, String, Vec<u8>)>> {
    opt(
        c,
        "SELECT attachment_name, attachment_type, attachment FROM policy_documents \
         WHERE id = $1 AND committee_id = $2 AND attachment IS NOT NULL",
        &[Param::Int(id), Param::Int(committee_id)],
    )
    .await
}

/// Documents matching a category and words in the title or text, required ones first.
pub async fn search(
    c: &mut Conn<'_>,
    committee_id: i64,
    category: Option<&str>,
    words: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<DocumentRow>, i64)> {
    let mut w = Where::default();
    w.and("committee_id = ?", Param::Int(committee_id));
    if let Some(cat) = category {
        w.and("category = ?", Param::Text(cat.into()));
    }
    if let Some(q) = words {
        // LIKE's own wildcards in the words are matched literally.
        let pattern = format!(
            "%{}%",
            q.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        w.and(
            "(title LIKE ? ESCAPE '\\' OR body LIKE ? ESCAPE '\\')",
            Param::Text(pattern),
        );
    }
    let total = int(
        c,
        &format!("SELECT COUNT(*) FROM policy_documents{}", w.sql),
        &w.params,
    )
    .await?;
    let q = format!(
        "SELECT {COLS} FROM policy_documents{} ORDER BY required DESC, id DESC{}",
        w.sql,
        w.page()
    );
    Ok((all(c, &q, &w.with_page(limit, offset)).await?, total))
}

pub async fn categories(c: &mut Conn<'_>, committee_id: i64) -> Result<Vec<String>> {
    let rows: Vec<(String,)> = all(
        c,
        "SELECT DISTINCT category FROM policy_documents WHERE committee_id = $1 ORDER BY category",
        &[Param::Int(committee_id)],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Record that a member has read a document; false if they had already.
pub async fn mark_read(
    c: &mut Conn<'_>,
    document_id: i64,
    member_id: i64,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(run(
        c,
        "INSERT INTO policy_reads (document_id, member_id, read_at) VALUES ($1, $2, $3) \
         ON CONFLICT (document_id, member_id) DO NOTHING",
        &[
            Param::Int(document_id),
            Param::Int(member_id),
            Param::Time(at),
        ],
    )
    .await?
        > 0)
}

/// Which of these documents a member has read.
pub async fn read_by(c: &mut Conn<'_>, member_id: i64) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = all(
        c,
        "SELECT document_id FROM policy_reads WHERE member_id = $1",
        &[Param::Int(member_id)],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// Every active member of the committee with when they read the document (if they did),
/// those who have not read it first.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Reader {
    pub member_id: i64,
    pub name: String,
    pub sector_name: String,
    pub read_at: Option<DateTime<Utc>>,
}

pub async fn readers(c: &mut Conn<'_>, committee_id: i64, document_id: i64) -> Result<Vec<Reader>> {
    all(
        c,
        "SELECT m.id AS member_id, m.name, s.name AS sector_name, r.read_at FROM members m \
         JOIN sectors s ON s.id = m.sector_id \
         LEFT JOIN policy_reads r ON r.member_id = m.id AND r.document_id = $1 \
         WHERE m.committee_id = $2 AND m.status = 'active' \
         ORDER BY CASE WHEN r.read_at IS NULL THEN 0 ELSE 1 END, s.name, m.name, m.id",
        &[Param::Int(document_id), Param::Int(committee_id)],
    )
    .await
}
