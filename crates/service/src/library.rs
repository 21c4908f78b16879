//! The policy library (知情明政, R11): the office publishes documents by category and marks
//! some as required reading; members search and read them; the office sees who has read a
//! required document and who has not. A member's first reading is an event
//! (`policy.read`), so the duty log can count it.

use lianxin_domain::Invalid;
use lianxin_domain::access::{Granted, ManageLibrary, ReadLibrary};
use lianxin_store::library::{self as store, DocumentRow, NewDocument, Reader};
use serde_json::json;

use crate::journal::{Change, begin, commit};
use crate::paged::Paged;
use crate::{App, Error, Result, now};

pub const PER_PAGE: i64 = 20;
pub const MAX_ATTACHMENT: usize = 10 * 1024 * 1024;

fn not_found() -> Error {
    Error::not_found("document.not_found", "未找到该文件")
}

#[derive(Debug, Clone, Default)]
pub struct DocumentInput<'a> {
    pub title: &'a str,
    pub category: &'a str,
    pub body: &'a str,
    pub required: bool,
    /// (file name, MIME type, bytes): a PDF.
    pub attachment: Option<(&'a str, &'a str, &'a [u8])>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn publish(app: &App, g: &Granted<ManageLibrary>, i: &DocumentInput<'_>) -> Result<i64> {
    let actor = g.actor();
    let mut errors = Invalid::default();
    let mut keep =
        |field: &str, label: &str, raw: &str, max: usize| match lianxin_domain::text::parse_text(
            field, label, raw, max, true,
        ) {
            Ok(v) => v.unwrap_or_default(),
            Err(e) => {
                errors.0.extend(e.0);
                String::new()
            }
        };
    let title = keep("title", "标题", i.title, 200);
    let category = keep("category", "分类", i.category, 40);
    let body = keep("body", "正文或摘要", i.body, 100_000);
    if let Some((_, _, bytes)) = i.attachment {
        if bytes.len() > MAX_ATTACHMENT {
            errors.push("attachment", "too_large", "附件不能超过 10 MB");
        } else if !bytes.starts_with(b"%PDF-") {
            errors.push("attachment", "not_pdf", "附件须为 PDF 文件");
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let mut tx = begin(&app.db).await?;
    let doc = NewDocument {
        committee_id: actor.committee_id,
        title: &title,
        category: &category,
        body: &body,
        required: i.required,
        attachment: i.attachment.map(|(n, _, b)| (n, "application/pdf", b)),
        created_by: &actor.display_name,
    };
    let id = store::insert(&mut tx.conn(), &doc, now()).await?;
    let change = Change {
        committee_id: actor.committee_id,
        kind: "policy.published",
        subject_type: "policy_document",
        subject_id: id,
        before: json!(null),
        after: json!({"title": title, "category": category, "required": i.required}),
    };
    commit(tx, actor, change).await?;
    Ok(id)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn set_required(
    app: &App,
    g: &Granted<ManageLibrary>,
    id: i64,
    required: bool,
) -> Result<()> {
    let actor = g.actor();
    let mut tx = begin(&app.db).await?;
    let before = store::by_id(&mut tx.conn(), actor.committee_id, id)
        .await?
        .ok_or_else(not_found)?;
    store::set_required(&mut tx.conn(), actor.committee_id, id, required, now()).await?;
    let change = Change {
        committee_id: actor.committee_id,
        kind: "policy.required_changed",
        subject_type: "policy_document",
        subject_id: id,
        before: json!({"required": before.required}),
        after: json!({"required": required}),
    };
    commit(tx, actor, change).await?;
    Ok(())
}

/// Search by category and words; required reading first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn search(
    app: &App,
    g: &Granted<ReadLibrary>,
    category: Option<&str>,
    words: Option<&str>,
    page: i64,
) -> Result<Paged<DocumentRow>> {
    let page = page.max(1);
    let words = words
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(50).collect::<String>());
    let category = category.map(str::trim).filter(|c| !c.is_empty());
    let mut conn = app.db.acquire().await?;
    let (items, total) = store::search(
        &mut conn.conn(),
        g.committee_id(),
        category,
        words.as_deref(),
        PER_PAGE,
        (page - 1) * PER_PAGE,
    )
    .await?;
    Ok(Paged {
        items,
        total,
        page,
        per_page: PER_PAGE,
    })
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn categories(app: &App, committee_id: i64) -> Result<Vec<String>> {
    let mut conn = app.db.acquire().await?;
    Ok(store::categories(&mut conn.conn(), committee_id).await?)
}

/// The documents this member has read.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn read_by_me(app: &App, g: &Granted<ReadLibrary>) -> Result<Vec<i64>> {
    let Some(m) = g.actor().member_id else {
        return Ok(vec![]);
    };
    let mut conn = app.db.acquire().await?;
    Ok(store::read_by(&mut conn.conn(), m).await?)
}

/// Open a document; a member's first opening is recorded as read.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn open(app: &App, g: &Granted<ReadLibrary>, id: i64) -> Result<DocumentRow> {
    let actor = g.actor();
    let mut conn = app.db.acquire().await?;
    let doc = store::by_id(&mut conn.conn(), actor.committee_id, id)
        .await?
        .ok_or_else(not_found)?;
    let Some(member_id) = actor.member_id else {
        return Ok(doc);
    };
    if store::read_by(&mut conn.conn(), member_id)
        .await?
        .contains(&id)
    {
        return Ok(doc);
    }
    drop(conn);
    let mut tx = begin(&app.db).await?;
    if store::mark_read(&mut tx.conn(), id, member_id, now()).await? {
        let change = Change {
            committee_id: actor.committee_id,
            kind: "policy.read",
            subject_type: "policy_document",
            subject_id: id,
            before: json!(null),
            after: json!({"member_id": member_id, "document_id": id, "required": doc.required, "category": doc.category}),
        };
        commit(tx, actor, change).await?;
    }
    Ok(doc)
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn attachment(
    app: &App,
    g: &Granted<ReadLibrary>,
    id: i64,
) -> Result<(String, String, Vec<u8>)> {
    let mut conn = app.db.acquire().await?;
    store::attachment(&mut conn.conn(), g.committee_id(), id)
        .await?
        .ok_or_else(not_found)
}

/// Who has read a document (the office's view), unread first.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn readers(
    app: &App,
    g: &Granted<ManageLibrary>,
    id: i64,
) -> Result<(DocumentRow, Vec<Reader>)> {
    let mut conn = app.db.acquire().await?;
    let doc = store::by_id(&mut conn.conn(), g.committee_id(), id)
        .await?
        .ok_or_else(not_found)?;
    let readers = store::readers(&mut conn.conn(), g.committee_id(), id).await?;
    Ok((doc, readers))
}
