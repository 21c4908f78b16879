//! The member roster beyond plain records: a member's full phone number (logged), the photo,
//! and the roster as a spreadsheet in and out.

use axum::Json;
use axum::extract::{Path, State as S};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lianxin_domain::access::{Granted, ManageOrganisation, RevealPhone};
use lianxin_domain::schema::MEMBER;
use lianxin_service::{Error, roster};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiResult, XLSX, file_response, parse_id};
use crate::State;
use crate::body::{ApiQuery, Upload};
use crate::session::ApiAuth;

#[derive(Serialize, ToSchema)]
pub struct PhoneOut {
    id: i64,
    /// 完整手机号；未登记时为空。
    phone: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/members/{id}/phone", tag = "委员",
    summary = "查看委员完整手机号（留痕）",
    params(("id" = i64, Path, description = "委员编号")),
    responses((status = 200, description = "手机号", body = PhoneOut)))]
pub async fn reveal_phone(
    S(state): S<State>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<PhoneOut>> {
    let g = a.actor.grant::<RevealPhone>()?;
    let id = parse_id(&MEMBER, &id)?;
    let phone = lianxin_service::records::reveal_phone(&state.app, &g, id).await?;
    Ok(Json(PhoneOut { id, phone }))
}

#[utoipa::path(put, path = "/api/v1/members/{id}/photo", tag = "委员",
    summary = "上传委员照片（JPEG/PNG，≤10 MB）",
    params(("id" = i64, Path, description = "委员编号")),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 204, description = "已保存")))]
pub async fn put_photo(
    S(state): S<State>,
    ApiAuth(a): ApiAuth,
    Path(id): Path<String>,
    Upload(bytes): Upload,
) -> ApiResult<StatusCode> {
    let g = a.actor.grant::<ManageOrganisation>()?;
    let id = parse_id(&MEMBER, &id)?;
    lianxin_service::records::set_photo(&state.app, &g, id, &bytes).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `true`：只预览，不写入。
    #[serde(default)]
    dry_run: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowAction {
    Create,
    Update,
}

#[derive(Serialize, ToSchema)]
pub struct PlannedRow {
    /// 表格中的行号（表头为第1行）。
    line: usize,
    name: String,
    sector: String,
    action: RowAction,
}

#[derive(Serialize, ToSchema)]
pub struct RowProblem {
    line: usize,
    column: String,
    message: String,
}

/// 导入结果：有错误时整份不写入，逐行说明问题。
#[derive(Serialize, ToSchema)]
pub struct ImportReport {
    valid: bool,
    written: bool,
    create: usize,
    update: usize,
    rows: Vec<PlannedRow>,
    errors: Vec<RowProblem>,
}

/// A 422 from the import: the rows at fault, or (from the edge) the request at fault.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum ImportRefused {
    Rows(ImportReport),
    Request(super::ErrorBody),
}

#[utoipa::path(post, path = "/api/v1/members/import", tag = "委员",
    summary = "导入花名册（XLSX 或 CSV；dry_run=true 只预览）",
    params(ImportQuery),
    request_body(content(
        (Vec<u8> = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )),
    responses(
        (status = 200, description = "导入结果", body = ImportReport),
        (status = 422, description = "文件有误（逐行说明，未写入），或查询参数有误", body = ImportRefused),
    ))]
pub async fn import(
    S(state): S<State>,
    ApiAuth(a): ApiAuth,
    ApiQuery(q): ApiQuery<ImportQuery>,
    Upload(bytes): Upload,
) -> ApiResult<Response> {
    let g = a.actor.grant::<ManageOrganisation>()?;
    let plan = if q.dry_run {
        roster::preview(&state.app, &g, &bytes).await?
    } else {
        roster::import(&state.app, &g, &bytes).await?
    };
    let valid = plan.errors.is_empty();
    let body = ImportReport {
        valid,
        written: !q.dry_run && valid,
        create: plan.creates(),
        update: plan.updates(),
        rows: plan
            .rows
            .into_iter()
            .map(|r| PlannedRow {
                line: r.line,
                name: r.name,
                sector: r.sector,
                action: match r.action {
                    roster::Action::Create => RowAction::Create,
                    roster::Action::Update => RowAction::Update,
                },
            })
            .collect(),
        errors: plan
            .errors
            .into_iter()
            .map(|e| RowProblem {
                line: e.line,
                column: e.column,
                message: e.message,
            })
            .collect(),
    };
    Ok(if valid {
        Json(body).into_response()
    } else {
        let refused = ImportRefused::Rows(body);
        (StatusCode::UNPROCESSABLE_ENTITY, Json(refused)).into_response()
    })
}

#[derive(Deserialize, ToSchema, Default, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RosterFormat {
    #[default]
    Csv,
    Xlsx,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    #[serde(default)]
    #[param(inline)]
    format: RosterFormat,
}

#[utoipa::path(get, path = "/api/v1/members/export", tag = "委员", summary = "导出花名册",
    params(ExportQuery),
    responses((status = 200, description = "文件", content(
        (Vec<u8> = "text/csv"),
        (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ))))]
pub async fn export(
    S(state): S<State>,
    ApiAuth(a): ApiAuth,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<Response> {
    let g = a.actor.grant::<RevealPhone>()?;
    Ok(roster_file(&state, &g, q.format == RosterFormat::Xlsx).await?)
}

/// The roster as a download, for the API and the office page alike.
pub async fn roster_file(
    state: &State,
    g: &Granted<RevealPhone>,
    xlsx: bool,
) -> Result<Response, Error> {
    let rows = roster::export_rows(&state.app, g).await?;
    Ok(if xlsx {
        file_response(roster::to_xlsx(&rows)?, XLSX, "委员花名册.xlsx")
    } else {
        file_response(
            roster::to_csv(&rows)?,
            "text/csv; charset=utf-8",
            "委员花名册.csv",
        )
    })
}
