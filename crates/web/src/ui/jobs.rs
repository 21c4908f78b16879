//! The operator's page of the background jobs (`/office/jobs`): each job's schedule, last
//! run and outcome, the runs kept, and "run now".

use askama::Template;
use axum::extract::{Path, State as S};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use lianxin_domain::access::OperateServer;
use lianxin_service::jobs::{self, JobView};

use super::{Nav, filters, page};
use crate::State;
use crate::error::PageError;
use crate::form::{Button, GrantedForm};
use crate::routes::{Routes, get, post};
use crate::session::PageGrant;

pub fn routes() -> Routes {
    Routes::new()
        .route("/office/jobs", get(list))
        .route("/office/jobs/{name}/run", post(run_now))
}

/// One run as a line of the page.
struct RunLine {
    node: String,
    started: Option<DateTime<Utc>>,
    outcome: &'static str,
    detail: String,
}

/// One job as a card of the page.
struct JobCard {
    name: &'static str,
    label: &'static str,
    every: String,
    status: &'static str,
    /// `done`, `open` or `overdue` (the badge colours).
    tone: &'static str,
    last_started: Option<DateTime<Utc>>,
    last_duration: String,
    last_count: String,
    counts: &'static str,
    last_error: Option<String>,
    next_run: Option<DateTime<Utc>>,
    holder: Option<String>,
    runs: i64,
    failures: i64,
    lines: Vec<RunLine>,
}

fn at(ms: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
}

fn every(d: std::time::Duration) -> String {
    match d.as_secs() {
        s if s % 86_400 == 0 => format!("每 {} 天", s / 86_400),
        s if s % 3_600 == 0 => format!("每 {} 小时", s / 3_600),
        s if s % 60 == 0 => format!("每 {} 分钟", s / 60),
        s => format!("每 {s} 秒"),
    }
}

fn card(v: JobView, now_ms: i64) -> JobCard {
    let job = v.job;
    let r = v.row.as_ref();
    let running = r.is_some_and(|r| r.lease_until_ms.is_some_and(|t| t >= now_ms));
    let (status, tone) = match r.and_then(|r| r.last_outcome.as_deref()) {
        _ if running => ("运行中", "open"),
        _ if v.failing() => ("失败，等待重试", "overdue"),
        Some(_) => ("正常", "done"),
        None => ("尚未运行", "open"),
    };
    JobCard {
        name: job.name(),
        label: job.label(),
        every: every(job.period()),
        status,
        tone,
        last_started: r.and_then(|r| r.last_started_ms).and_then(at),
        last_duration: r
            .and_then(|r| r.last_duration_ms)
            .map(|d| format!("{d} 毫秒"))
            .unwrap_or_default(),
        last_count: r
            .and_then(|r| r.last_count)
            .map(|n| n.to_string())
            .unwrap_or_default(),
        counts: job.counts(),
        last_error: r.and_then(|r| r.last_error.clone()),
        next_run: r.and_then(|r| at(r.next_run_ms)),
        holder: r.filter(|_| running).and_then(|r| r.lease_holder.clone()),
        runs: r.map_or(0, |r| r.runs),
        failures: r.map_or(0, |r| r.failures),
        lines: v
            .runs
            .into_iter()
            .map(|run| RunLine {
                started: at(run.started_ms),
                outcome: match run.outcome.as_deref() {
                    Some("ok") => "成功",
                    Some(_) => "失败",
                    None => "未完成",
                },
                detail: match (run.error, run.count, run.finished_ms) {
                    (Some(e), _, _) => e,
                    (None, Some(n), Some(f)) => {
                        format!("{}：{n}，用时 {} 毫秒", job.counts(), f - run.started_ms)
                    }
                    _ => String::new(),
                },
                node: run.node,
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "jobs.html")]
struct JobsPage {
    nav: Nav,
    jobs: Vec<JobCard>,
    requested: Option<String>,
}

#[derive(serde::Deserialize)]
struct Shown {
    requested: Option<String>,
}

async fn list(
    S(state): S<State>,
    PageGrant(auth, g): PageGrant<OperateServer>,
    q: axum::extract::Query<Shown>,
) -> Result<Response, PageError> {
    let views = jobs::overview(&state.app, &g).await?;
    let now_ms = Utc::now().timestamp_millis();
    let requested =
        q.0.requested
            .as_deref()
            .and_then(jobs::Job::parse)
            .map(|j| j.label().to_string());
    Ok(page(&JobsPage {
        nav: Nav::for_auth(Some(&auth)),
        jobs: views.into_iter().map(|v| card(v, now_ms)).collect(),
        requested,
    }))
}

async fn run_now(
    S(state): S<State>,
    Path(name): Path<String>,
    f: GrantedForm<OperateServer, Button>,
) -> Result<Response, PageError> {
    let job = jobs::run_now(&state.app, &f.granted, &name).await?;
    Ok(Redirect::to(&format!("/office/jobs?requested={}", job.name())).into_response())
}
