//! The policy library (知情明政): members search and read (`/library`); the office publishes,
//! marks required reading and sees who has read it (`/office/library`).

use crate::routes::{Routes, get, post};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State as S};
use axum::response::Response;
use lianxin_domain::access::{ManageLibrary, ReadLibrary};
use lianxin_service::library::{self, DocumentInput};
use lianxin_service::paged::Paged;
use lianxin_service::rows::{DocumentRow, Reader};

use super::opinions::{get_of, page_no, pairs_of};
use super::workspace::id_of;
use super::{Nav, after_step, download, filters, page};
use crate::error::PageError;
use crate::form::GrantedForm;
use crate::session::{Auth, CsrfMultipart, PageAuth};
use crate::{State, UPLOAD_LIMIT};

type PageResult = Result<Response, PageError>;

pub fn routes() -> Routes {
    Routes::new()
        .route("/library", get(list))
        .route("/library/{id}", get(read))
        .route("/library/{id}/attachment", get(attachment))
        .route(
            "/office/library",
            get(office_list)
                .post(publish)
                .layer(DefaultBodyLimit::max(UPLOAD_LIMIT + 256 * 1024)),
        )
        .route("/office/library/{id}", get(readers))
        .route("/office/library/{id}/required", post(required))
}

#[derive(Template)]
#[template(path = "library.html")]
struct ListPage {
    nav: Nav,
    office: bool,
    docs: Paged<DocumentRow>,
    read: Vec<i64>,
    categories: Vec<String>,
    category: String,
    q: String,
    saved: bool,
    error: String,
}

impl ListPage {
    fn has_read(&self, id: &i64) -> bool {
        self.read.contains(id)
    }
    fn link(&self, page: i64) -> String {
        serde_urlencoded::to_string([
            ("category", self.category.as_str()),
            ("q", self.q.as_str()),
            ("page", &page.to_string()),
        ])
        .unwrap_or_default()
    }
}

async fn list_page(
    state: &State,
    a: &Auth,
    office: bool,
    q: Vec<(String, String)>,
    saved: bool,
    error: String,
) -> PageResult {
    let g = a.actor.grant::<ReadLibrary>()?;
    if office {
        a.actor.grant::<ManageLibrary>()?;
    }
    let category = get_of(&q, "category").unwrap_or("").to_string();
    let words = get_of(&q, "q").unwrap_or("").to_string();
    let docs = library::search(&state.app, &g, Some(&category), Some(&words), page_no(&q)?).await?;
    let status = if error.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut r = page(&ListPage {
        nav: Nav::for_auth(Some(a)),
        office,
        docs,
        read: library::read_by_me(&state.app, &g).await?,
        categories: library::categories(&state.app, a.actor.committee_id).await?,
        category,
        q: words,
        saved,
        error,
    });
    *r.status_mut() = status;
    Ok(r)
}

async fn list(S(state): S<State>, PageAuth(a): PageAuth, RawQuery(q): RawQuery) -> PageResult {
    list_page(&state, &a, false, pairs_of(q)?, false, String::new()).await
}

async fn office_list(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    RawQuery(q): RawQuery,
) -> PageResult {
    let saved = q.as_deref().is_some_and(|q| q.contains("saved"));
    list_page(&state, &a, true, pairs_of(q)?, saved, String::new()).await
}

async fn publish(S(state): S<State>, m: CsrfMultipart<ManageLibrary>) -> PageResult {
    let g = m.granted.clone();
    let get = |k: &str| m.field(k);
    let file = m
        .files
        .iter()
        .find(|(n, _, b)| n == "attachment" && !b.is_empty())
        .map(|(_, name, bytes)| (name.as_str(), "application/pdf", bytes.as_slice()));
    let i = DocumentInput {
        title: get("title"),
        category: get("category"),
        body: get("body"),
        required: matches!(get("required"), "on" | "true"),
        attachment: file,
    };
    let r = library::publish(&state.app, &g, &i).await.map(|_| ());
    after_step(r, "/office/library?saved=1".into(), |msg| {
        list_page(&state, &m.auth, true, vec![], false, msg)
    })
    .await
}

#[derive(Template)]
#[template(path = "library_doc.html")]
struct DocPage {
    nav: Nav,
    doc: DocumentRow,
    readers: Vec<Reader>,
    office: bool,
}

impl DocPage {
    fn unread(&self) -> usize {
        self.readers.iter().filter(|r| r.read_at.is_none()).count()
    }
}

async fn read(S(state): S<State>, PageAuth(a): PageAuth, Path(id): Path<String>) -> PageResult {
    let g = a.actor.grant::<ReadLibrary>()?;
    let doc = library::open(&state.app, &g, id_of(&id)?).await?;
    Ok(page(&DocPage {
        nav: Nav::for_auth(Some(&a)),
        doc,
        readers: vec![],
        office: false,
    }))
}

async fn readers(S(state): S<State>, PageAuth(a): PageAuth, Path(id): Path<String>) -> PageResult {
    let g = a.actor.grant::<ManageLibrary>()?;
    let (doc, readers) = library::readers(&state.app, &g, id_of(&id)?).await?;
    Ok(page(&DocPage {
        nav: Nav::for_auth(Some(&a)),
        doc,
        readers,
        office: true,
    }))
}

/// Whether every member must read a document (必读).
#[derive(serde::Deserialize)]
struct Required {
    #[serde(default, deserialize_with = "crate::form::checkbox")]
    required: bool,
}

async fn required(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<ManageLibrary, Required>,
) -> PageResult {
    let id = id_of(&id)?;
    let r = library::set_required(&state.app, &f.granted, id, f.form.required).await;
    after_step(r, format!("/office/library/{id}"), |msg| {
        list_page(&state, &f.auth, true, vec![], false, msg)
    })
    .await
}

async fn attachment(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    Path(id): Path<String>,
) -> PageResult {
    let g = a.actor.grant::<ReadLibrary>()?;
    let (name, mime, bytes) = library::attachment(&state.app, &g, id_of(&id)?).await?;
    Ok(download(&name, &mime, bytes, "document.pdf"))
}
