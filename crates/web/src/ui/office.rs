//! The office's pages: dashboard with real counts, and list / view / create / edit pages for
//! every organisation resource, generated from the schema; roster import and export.

use crate::routes::{Routes, get, post};
use askama::Template;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State as S};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use lianxin_domain::FieldError;
use lianxin_domain::access::{ManageCommittees, ManageOrganisation, RevealPhone, ViewDashboard};
use lianxin_domain::record::{Value as V, from_form};
use lianxin_domain::schema::{Kind, MEMBER, Res, Resource, by_path};
use lianxin_service::present::Item;
use lianxin_service::records::{Page, parse_query};
use lianxin_service::roster::Plan;
use lianxin_service::rows::EventRow;
use lianxin_service::rows::Overview;
use lianxin_service::{Error, committees, events, overview, records, roster};

use super::forms::{FormField, build};
use super::{Nav, filters, page};
use crate::api::{query_pairs, roster_file};
use crate::body::WithStatus;
use crate::error::PageError;
use crate::form::{Button, GrantedForm};
use crate::session::{Auth, CsrfForm, CsrfMultipart, PageAuth};
use crate::{State, UPLOAD_LIMIT};

type PageResult = Result<Response, PageError>;

pub fn routes() -> Routes {
    Routes::new()
        .route("/office", get(dashboard))
        .route(
            "/office/members/import",
            get(import_form)
                .post(import)
                .layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/office/members/export.csv", get(export_csv))
        .route("/office/members/export.xlsx", get(export_xlsx))
        .route("/office/members/{id}/phone", post(reveal_phone))
        .route(
            "/office/members/{id}/photo",
            post(upload_photo).layer(DefaultBodyLimit::max(UPLOAD_LIMIT)),
        )
        .route("/office/{resource}", get(list).post(create))
        .route("/office/{resource}/new", get(new_form))
        .route("/office/{resource}/{id}", get(detail).post(update))
}

fn resource(path: &str) -> Result<&'static Resource, PageError> {
    by_path(path).ok_or_else(|| PageError(Error::not_found("page.not_found", "页面不存在")))
}

fn id_of(s: &str) -> Result<i64, PageError> {
    s.parse()
        .map_err(|_| PageError(Error::not_found("page.not_found", "页面不存在")))
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    nav: Nav,
    committee: String,
    o: Overview,
    by_sector: Vec<(i64, String, i64)>,
    recent: Vec<EventRow>,
}

async fn dashboard(S(state): S<State>, PageAuth(a): PageAuth) -> PageResult {
    let g = a.actor.grant::<ViewDashboard>()?;
    let (o, by_sector) = overview::dashboard(&state.app, &g).await?;
    let recent = events::recent_kinds(&state.app, &g, 10).await?;
    let committee = committees::get(&state.app, g.committee_id())
        .await?
        .map(|c| c.1)
        .unwrap_or_default();
    Ok(page(&Dashboard {
        nav: Nav::for_auth(Some(&a)),
        committee,
        o,
        by_sector,
        recent,
    }))
}

#[derive(Template)]
#[template(path = "records.html")]
struct List {
    nav: Nav,
    res: &'static Resource,
    columns: Vec<&'static str>,
    column_names: Vec<&'static str>,
    page: std::sync::Arc<Page>,
    filters: Vec<FormField>,
    q: String,
    can_edit: bool,
    query_base: String,
}

fn can_edit(a: &Auth, res: &Resource) -> bool {
    if res.res == Res::Committee {
        a.actor.can::<ManageCommittees>()
    } else {
        a.actor.can::<ManageOrganisation>()
    }
}

async fn list(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    Path(path): Path<String>,
    RawQuery(q): RawQuery,
) -> PageResult {
    let res = resource(&path)?;
    let g = super::account::staff(&a)?;
    let pairs = query_pairs(q).map_err(|e| PageError(e.0))?;
    let query = parse_query(res, &pairs)?;
    let result = records::list(&state.app, &g, res, &query).await?;
    let options = records::ref_options(&state.app, &g, res).await?;
    let filter_fields: Vec<FormField> =
        build(res, &Default::default(), Some(&pairs), &options, &[])
            .into_iter()
            .filter(|f| res.field(f.name).is_some_and(|x| x.filter))
            .collect();
    let list_fields: Vec<_> = res.fields.iter().filter(|f| f.list).collect();
    let base: Vec<(String, String)> = pairs.iter().filter(|(k, _)| k != "page").cloned().collect();
    Ok(page(&List {
        nav: Nav::for_auth(Some(&a)),
        res,
        columns: list_fields.iter().map(|f| f.name).collect(),
        column_names: list_fields.iter().map(|f| f.label).collect(),
        page: result,
        filters: filter_fields,
        q: pairs
            .iter()
            .find(|(k, _)| k == "q")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
        can_edit: can_edit(&a, res),
        query_base: serde_urlencoded::to_string(&base).unwrap_or_default(),
    }))
}

#[derive(Template)]
#[template(path = "record.html")]
struct Detail {
    nav: Nav,
    res: &'static Resource,
    item: Option<Item>,
    fields: Vec<FormField>,
    can_edit: bool,
    can_reveal: bool,
    error: String,
    saved: bool,
    action: String,
}

async fn form_page(
    state: &State,
    a: &Auth,
    res: &'static Resource,
    item: Option<Item>,
    posted: Option<&[(String, String)]>,
    errors: &[FieldError],
    saved: bool,
) -> PageResult {
    let options = records::ref_options(&state.app, &super::account::staff(a)?, res).await?;
    let current = item.as_ref().map(|i| i.json.clone()).unwrap_or_default();
    let fields = build(res, &current, posted, &options, errors);
    let action = match &item {
        Some(i) => format!("/office/{}/{}", res.path, i.id),
        None => format!("/office/{}", res.path),
    };
    let error = if errors.is_empty() {
        String::new()
    } else {
        "请按提示修改后再保存".to_string()
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(page(&Detail {
        nav: Nav::for_auth(Some(a)),
        res,
        can_reveal: res.res == Res::Member && a.actor.can::<RevealPhone>() && item.is_some(),
        item,
        fields,
        can_edit: can_edit(a, res),
        error,
        saved,
        action,
    })
    .into_response_with(status))
}

async fn detail(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    Path((path, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> PageResult {
    let res = resource(&path)?;
    let g = super::account::staff(&a)?;
    let item = records::get(&state.app, &g, res, id_of(&id)?).await?;
    form_page(
        &state,
        &a,
        res,
        Some(item),
        None,
        &[],
        q.is_some_and(|q| q.contains("saved")),
    )
    .await
}

async fn new_form(
    S(state): S<State>,
    PageAuth(a): PageAuth,
    Path(path): Path<String>,
) -> PageResult {
    let res = resource(&path)?;
    if !can_edit(&a, res) {
        return Err(PageError(Error::Forbidden("organisation.manage")));
    }
    form_page(&state, &a, res, None, None, &[], false).await
}

/// Save a form; on a validation error show the form again with what was typed.
async fn save(state: &State, f: &CsrfForm, res: &'static Resource, id: Option<i64>) -> PageResult {
    let a = &f.auth;
    records::check_writable(&state.app, &a.actor, res, id).await?;
    let mut rec = match from_form(res, &f.form.0) {
        Ok(r) => r,
        Err(inv) => {
            let item = match id {
                Some(id) => {
                    Some(records::get(&state.app, &super::account::staff(a)?, res, id).await?)
                }
                None => None,
            };
            return form_page(state, a, res, item, Some(&f.form.0), &inv.0, false).await;
        }
    };
    // A phone left empty on an edit form keeps the stored number (the form never shows it).
    if id.is_some()
        && res.fields.iter().any(|x| x.kind == Kind::Phone)
        && rec.get("phone") == Some(&V::Null)
    {
        rec.0.remove("phone");
    }
    let result = records::save(&state.app, &a.actor, res, id, rec).await;
    match result {
        Ok(item) => {
            Ok(Redirect::to(&format!("/office/{}/{}?saved=1", res.path, item.id)).into_response())
        }
        Err(Error::Invalid(inv)) => {
            let item = match id {
                Some(id) => {
                    Some(records::get(&state.app, &super::account::staff(a)?, res, id).await?)
                }
                None => None,
            };
            form_page(state, a, res, item, Some(&f.form.0), &inv.0, false).await
        }
        Err(Error::Conflict {
            message,
            field,
            code,
        }) => {
            let errs = vec![FieldError {
                field: field.unwrap_or_else(|| "name".into()),
                code,
                message,
            }];
            let item = match id {
                Some(id) => {
                    Some(records::get(&state.app, &super::account::staff(a)?, res, id).await?)
                }
                None => None,
            };
            let r = form_page(state, a, res, item, Some(&f.form.0), &errs, false).await?;
            Ok(r.into_response_with(StatusCode::CONFLICT))
        }
        Err(e) => Err(e.into()),
    }
}

async fn create(S(state): S<State>, Path(path): Path<String>, f: CsrfForm) -> PageResult {
    let res = resource(&path)?;
    save(&state, &f, res, None).await
}

async fn update(
    S(state): S<State>,
    Path((path, id)): Path<(String, String)>,
    f: CsrfForm,
) -> PageResult {
    let res = resource(&path)?;
    save(&state, &f, res, Some(id_of(&id)?)).await
}

#[derive(Template)]
#[template(path = "phone.html")]
struct PhonePage {
    nav: Nav,
    id: i64,
    name: String,
    phone: String,
}

async fn reveal_phone(
    S(state): S<State>,
    Path(id): Path<String>,
    f: GrantedForm<RevealPhone, Button>,
) -> PageResult {
    let id = id_of(&id)?;
    let phone = records::reveal_phone(&state.app, &f.granted, id)
        .await?
        .unwrap_or_else(|| "（未登记）".into());
    let name = records::get(&state.app, &super::account::staff(&f.auth)?, &MEMBER, id)
        .await?
        .title;
    Ok(page(&PhonePage {
        nav: Nav::for_auth(Some(&f.auth)),
        id,
        name,
        phone,
    }))
}

/// A member's photo from the office page: JPEG or PNG, checked by content, at most 10 MB.
async fn upload_photo(
    S(state): S<State>,
    Path(id): Path<String>,
    m: CsrfMultipart<ManageOrganisation>,
) -> PageResult {
    let id = id_of(&id)?;
    let g = m.granted.clone();
    let Some((_, _, bytes)) = m
        .files
        .iter()
        .find(|(n, _, b)| n == "photo" && !b.is_empty())
    else {
        return Err(PageError(Error::Invalid(lianxin_domain::Invalid::one(
            "photo",
            "required",
            "请选择照片文件",
        ))));
    };
    records::set_photo(&state.app, &g, id, bytes).await?;
    Ok(Redirect::to(&format!("/office/members/{id}?saved=1")).into_response())
}

#[derive(Template)]
#[template(path = "import.html")]
struct Import {
    nav: Nav,
    plan: Option<Plan>,
    written: bool,
    error: String,
    columns: String,
}

fn import_page(a: &Auth, plan: Option<Plan>, written: bool, error: String) -> Response {
    let status = match &plan {
        Some(p) if !p.errors.is_empty() => StatusCode::UNPROCESSABLE_ENTITY,
        _ if !error.is_empty() => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    let columns = lianxin_domain::roster::COLUMNS.join("、");
    page(&Import {
        nav: Nav::for_auth(Some(a)),
        plan,
        written,
        error,
        columns,
    })
    .into_response_with(status)
}

async fn import_form(PageAuth(a): PageAuth) -> PageResult {
    a.actor.grant::<ManageOrganisation>()?;
    Ok(import_page(&a, None, false, String::new()))
}

async fn import(S(state): S<State>, m: CsrfMultipart<ManageOrganisation>) -> PageResult {
    let g = m.granted.clone();
    let Some((_, _, bytes)) = m
        .files
        .iter()
        .find(|(n, _, b)| n == "file" && !b.is_empty())
    else {
        return Ok(import_page(
            &m.auth,
            None,
            false,
            "请选择要导入的花名册文件".into(),
        ));
    };
    let commit = m.fields.iter().any(|(k, v)| k == "action" && v == "import");
    let result = if commit {
        roster::import(&state.app, &g, bytes).await
    } else {
        roster::preview(&state.app, &g, bytes).await
    };
    match result {
        Ok(plan) => {
            let written = commit && plan.errors.is_empty();
            Ok(import_page(&m.auth, Some(plan), written, String::new()))
        }
        Err(Error::Invalid(inv)) => Ok(import_page(&m.auth, None, false, inv.summary())),
        Err(e) => Err(e.into()),
    }
}

async fn export_csv(S(state): S<State>, PageAuth(a): PageAuth) -> PageResult {
    Ok(roster_file(&state, &a.actor.grant::<RevealPhone>()?, false).await?)
}

async fn export_xlsx(S(state): S<State>, PageAuth(a): PageAuth) -> PageResult {
    Ok(roster_file(&state, &a.actor.grant::<RevealPhone>()?, true).await?)
}
