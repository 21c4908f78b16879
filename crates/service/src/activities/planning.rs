//! Planning: an organiser drafts an activity (kind, organiser, time, place, agenda, capacity,
//! who is invited, whether people may register), attaches materials, publishes it — which
//! invites the members and queues their notifications — or cancels it. The office adds kinds.

use lianxin_domain::Invalid;
use lianxin_domain::access::{Granted, ManageOrganisation, OrganiseActivities};
use lianxin_domain::activity::{self as rules, InviteScope, LeaveApprover, OrganiserType, Status};
use lianxin_domain::schema::Res;
use lianxin_domain::text::parse_china_datetime;
use lianxin_store::Tx;
use lianxin_store::activities::{self as store, ActivityRow, KindRow};
use lianxin_store::records::{all_titles, existing};
use serde_json::json;

use super::{about, about_with, kind_of, load_organised, optional, status_of, text};
use crate::journal::{Change, begin, commit, events};
use crate::opinions::bulletins::china;
use crate::{App, Error, Result, now};

/// What the organiser types into the form.
#[derive(Debug, Clone, Default)]
pub struct ActivityInput<'a> {
    pub kind_id: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub organiser_type: &'a str,
    pub organiser_id: &'a str,
    pub starts_at: &'a str,
    pub ends_at: &'a str,
    pub place: &'a str,
    pub online_url: &'a str,
    pub agenda: &'a str,
    pub books: &'a str,
    pub capacity: &'a str,
    pub invite_scope: &'a str,
    pub invite_ref_id: &'a str,
    pub named: Vec<i64>,
    /// `None`: the kind's default.
    pub public_registration: Option<bool>,
}

fn id_or_none(raw: &str) -> Option<i64> {
    raw.trim().parse().ok().filter(|n: &i64| *n > 0)
}

/// Validate the input into the row's fields (everything wrong is reported at once).
async fn parse_into(
    tx: &mut Tx,
    committee_id: i64,
    i: &ActivityInput<'_>,
    row: &mut ActivityRow,
) -> Result<(KindRow, Vec<i64>)> {
    let mut errors = Invalid::default();
    let mut keep = |r: Result<String>| match r {
        Ok(v) => v,
        Err(Error::Invalid(e)) => {
            errors.0.extend(e.0);
            String::new()
        }
        Err(_) => String::new(),
    };
    row.title = keep(text("title", "活动名称", i.title, 100));
    row.description = keep(
        optional("description", "活动说明", i.description, 5_000).map(|o| o.unwrap_or_default()),
    );
    row.place = keep(optional("place", "地点", i.place, 200).map(|o| o.unwrap_or_default()));
    row.agenda = keep(optional("agenda", "议程", i.agenda, 5_000).map(|o| o.unwrap_or_default()));
    row.books = keep(optional("books", "书目", i.books, 5_000).map(|o| o.unwrap_or_default()));
    let url = keep(
        optional("online_url", "线上会议链接", i.online_url, 500).map(|o| o.unwrap_or_default()),
    );
    if !(url.is_empty() || url.starts_with("https://") || url.starts_with("http://")) {
        errors.push(
            "online_url",
            "invalid_url",
            "线上会议链接应以 https:// 开头",
        );
    }
    row.online_url = (!url.is_empty()).then_some(url);
    let kind = match id_or_none(i.kind_id) {
        Some(k) => store::kind(&mut tx.conn(), committee_id, k).await?,
        None => None,
    };
    if kind.is_none() {
        errors.push("kind_id", "invalid_choice", "请选择活动类型");
    }
    match (
        parse_china_datetime("starts_at", "开始时间", i.starts_at),
        parse_china_datetime("ends_at", "结束时间", i.ends_at),
    ) {
        (Ok(s), Ok(e)) => {
            if let Err(r) = rules::check_times(s, e) {
                errors.push("ends_at", r.code, r.message);
            }
            row.starts_at = s;
            row.ends_at = e;
        }
        (s, e) => {
            for r in [s.err(), e.err()].into_iter().flatten() {
                errors.0.extend(r.0);
            }
        }
    }
    row.capacity = match i.capacity.trim() {
        "" => None,
        c => match c.parse::<i64>() {
            Ok(n) if (1..=100_000).contains(&n) => Some(n),
            _ => {
                errors.push(
                    "capacity",
                    "invalid_number",
                    "名额应为 1 至 100000 的整数，不限名额请留空",
                );
                None
            }
        },
    };
    let organiser = OrganiserType::parse(i.organiser_type).unwrap_or(OrganiserType::Office);
    row.organiser_type = organiser.code().into();
    let (res, label) = match organiser {
        OrganiserType::Office => (None, ""),
        OrganiserType::SpecialCommittee => (Some(Res::SpecialCommittee), "专门委员会"),
        OrganiserType::Sector => (Some(Res::Sector), "界别"),
        OrganiserType::Studio => (Some(Res::Studio), "委员工作室"),
    };
    row.organiser_id = None;
    row.organiser_name = organiser.label().into();
    if let Some(res) = res {
        let wanted = id_or_none(i.organiser_id);
        let titles = all_titles(&mut tx.conn(), res, committee_id).await?;
        match titles.into_iter().find(|(id, _)| Some(*id) == wanted) {
            Some((id, name)) => {
                row.organiser_id = Some(id);
                row.organiser_name = name;
            }
            None => errors.push(
                "organiser_id",
                "invalid_ref",
                format!("请选择组织活动的{label}"),
            ),
        }
    }
    let scope = InviteScope::parse(i.invite_scope)
        .or_else(|| kind.as_ref().map(|k| super::rules_of(k).default_scope))
        .unwrap_or(InviteScope::Named);
    row.invite_scope = scope.code().into();
    row.invite_ref_id = None;
    let ref_res = match scope {
        InviteScope::Sector => Some((Res::Sector, "界别")),
        InviteScope::SpecialCommittee => Some((Res::SpecialCommittee, "专门委员会")),
        _ => None,
    };
    if let Some((res, label)) = ref_res {
        let wanted = id_or_none(i.invite_ref_id);
        let ok = match wanted {
            Some(id) => !existing(&mut tx.conn(), res, committee_id, &[id])
                .await?
                .is_empty(),
            None => false,
        };
        if ok {
            row.invite_ref_id = wanted;
        } else {
            errors.push(
                "invite_ref_id",
                "invalid_ref",
                format!("请选择邀请哪个{label}"),
            );
        }
    }
    let mut named: Vec<i64> = if scope == InviteScope::Named {
        i.named.clone()
    } else {
        vec![]
    };
    named.sort_unstable();
    named.dedup();
    if named.len() > 5_000 {
        errors.push(
            "named",
            "too_many",
            "指定委员最多 5000 位，人数更多请按界别或全体邀请",
        );
    } else if existing(&mut tx.conn(), Res::Member, committee_id, &named)
        .await?
        .len()
        != named.len()
    {
        errors.push("named", "invalid_ref", "指定的委员不存在");
    }
    row.public_registration = i
        .public_registration
        .unwrap_or_else(|| kind.as_ref().is_some_and(|k| k.public_default));
    match kind {
        Some(k) if errors.is_empty() => {
            row.kind_id = k.id;
            Ok((k, named))
        }
        _ => Err(errors.into()),
    }
}

fn blank(committee_id: i64, created_by: i64) -> ActivityRow {
    let at = now();
    ActivityRow {
        id: 0,
        committee_id,
        kind_id: 0,
        title: String::new(),
        description: String::new(),
        organiser_type: OrganiserType::Office.code().into(),
        organiser_id: None,
        organiser_name: String::new(),
        created_by,
        starts_at: at,
        ends_at: at,
        place: String::new(),
        online_url: None,
        agenda: String::new(),
        books: String::new(),
        capacity: None,
        invite_scope: InviteScope::Named.code().into(),
        invite_ref_id: None,
        public_registration: false,
        status: Status::Draft.code().into(),
        published_at: None,
        cancelled_at: None,
        closed_at: None,
        attendee_count: None,
        attending_orgs: None,
        minutes: None,
        summary: None,
        agreed_points: None,
        open_points: None,
        order_changed_by: None,
        order_changed_at: None,
        created_at: at,
        updated_at: at,
    }
}

/// The named invitees are kept as `pending` invitations from the draft on: the draft's list
/// is the invitation list (it is replaced while a draft, only added to once published).
async fn keep_named(tx: &mut Tx, row: &ActivityRow, named: &[i64]) -> Result<()> {
    if status_of(row) == Status::Draft {
        store::clear_invitations(&mut tx.conn(), row.id).await?;
    }
    if row.invite_scope == InviteScope::Named.code() {
        store::invite_scope(&mut tx.conn(), row, named).await?;
    }
    Ok(())
}

/// Draft a new activity; returns its id.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn create(
    app: &App,
    g: &Granted<OrganiseActivities>,
    i: &ActivityInput<'_>,
) -> Result<i64> {
    let actor = g.actor();
    let mut tx = begin(&app.db).await?;
    let mut row = blank(actor.committee_id, actor.user_id);
    let (kind, named) = parse_into(&mut tx, actor.committee_id, i, &mut row).await?;
    row.id = store::insert(&mut tx.conn(), &row).await?;
    keep_named(&mut tx, &row, &named).await?;
    let change = Change {
        committee_id: row.committee_id,
        kind: "activity.drafted",
        subject_type: "activity",
        subject_id: row.id,
        before: json!(null),
        after: about(&row, &kind),
    };
    commit(tx, actor, change).await?;
    Ok(row.id)
}

/// Change an activity before it starts (a published one keeps its invitations; newly named
/// members are added).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn edit(
    app: &App,
    g: &Granted<OrganiseActivities>,
    id: i64,
    i: &ActivityInput<'_>,
) -> Result<()> {
    let actor = g.actor();
    let mut tx = begin(&app.db).await?;
    let mut row = load_organised(&mut tx, actor, id).await?;
    let before = json!({"title": row.title, "starts_at": row.starts_at, "place": row.place});
    if !matches!(status_of(&row), Status::Draft | Status::Published) {
        return Err(Error::conflict(
            "activity.not_editable",
            "活动已结束或已取消，不能修改",
        ));
    }
    let published = status_of(&row) == Status::Published;
    let scope_before = (row.invite_scope.clone(), row.invite_ref_id);
    let (kind, named) = parse_into(&mut tx, actor.committee_id, i, &mut row).await?;
    if published && (row.invite_scope.clone(), row.invite_ref_id) != scope_before {
        return Err(Error::conflict(
            "activity.scope_fixed",
            "活动已发布，邀请范围不能再改；如需增加人员，请用“指定委员”补充邀请",
        ));
    }
    row.updated_at = now();
    store::save(&mut tx.conn(), &row).await?;
    keep_named(&mut tx, &row, &named).await?;
    let change = Change {
        committee_id: row.committee_id,
        kind: "activity.changed",
        subject_type: "activity",
        subject_id: row.id,
        before,
        after: about(&row, &kind),
    };
    commit(tx, actor, change).await?;
    Ok(())
}

/// Publish: invite the members the scope names and queue a notification to each.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn publish(app: &App, g: &Granted<OrganiseActivities>, id: i64) -> Result<()> {
    let actor = g.actor();
    let mut tx = begin(&app.db).await?;
    let mut row = load_organised(&mut tx, actor, id).await?;
    if status_of(&row) != Status::Draft {
        return Err(Error::conflict("activity.not_draft", "活动已发布过"));
    }
    if row.ends_at <= now() {
        return Err(Error::conflict(
            "activity.in_past",
            "活动时间已过，不能发布",
        ));
    }
    let kind = kind_of(&mut tx, &row).await?;
    let at = now();
    row.status = Status::Published.code().into();
    row.published_at = Some(at);
    row.updated_at = at;
    store::save(&mut tx.conn(), &row).await?;
    store::invite_scope(&mut tx.conn(), &row, &[]).await?;
    let invited = store::invitations(&mut tx.conn(), row.id).await?.len();
    let when = china(row.starts_at).format("%Y年%m月%d日 %H:%M");
    let body = format!(
        "{}邀请您参加{}“{}”，时间：{}，地点：{}。请在“我的履职—活动”中确认参加或请假。",
        row.organiser_name,
        kind.name,
        row.title,
        when,
        if row.place.is_empty() {
            "线上"
        } else {
            &row.place
        }
    );
    store::queue_invitations(
        &mut tx.conn(),
        row.id,
        row.committee_id,
        "活动通知",
        &body,
        at,
    )
    .await?;
    // The organising member (a studio lead, a convenor) is credited with organising it.
    if let Some(m) = actor.member_id {
        let payload = about_with(&row, &kind, json!({"member_id": m}));
        events(
            &mut tx,
            &[(
                actor,
                row.committee_id,
                "activity.organised",
                ("activity", row.id),
                payload,
            )],
        )
        .await?;
    }
    let change = Change {
        committee_id: row.committee_id,
        kind: "activity.published",
        subject_type: "activity",
        subject_id: row.id,
        before: json!({"status": "draft"}),
        after: about_with(&row, &kind, json!({"invited": invited})),
    };
    commit(tx, actor, change).await?;
    Ok(())
}

/// Cancel before it ends; invited members are told.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn cancel(
    app: &App,
    g: &Granted<OrganiseActivities>,
    id: i64,
    reason: &str,
) -> Result<()> {
    let actor = g.actor();
    let reason = text("reason", "取消原因", reason, 500)?;
    let mut tx = begin(&app.db).await?;
    let mut row = load_organised(&mut tx, actor, id).await?;
    let before = row.status.clone();
    if !matches!(status_of(&row), Status::Draft | Status::Published) {
        return Err(Error::conflict(
            "activity.not_cancellable",
            "活动已结束或已取消",
        ));
    }
    let kind = kind_of(&mut tx, &row).await?;
    let at = now();
    row.status = Status::Cancelled.code().into();
    row.cancelled_at = Some(at);
    row.updated_at = at;
    store::save(&mut tx.conn(), &row).await?;
    if before == Status::Published.code() {
        let body = format!("“{}”已取消：{reason}", row.title);
        store::queue_invitations(
            &mut tx.conn(),
            row.id,
            row.committee_id,
            "活动取消",
            &body,
            at,
        )
        .await?;
    }
    let change = Change {
        committee_id: row.committee_id,
        kind: "activity.cancelled",
        subject_type: "activity",
        subject_id: row.id,
        before: json!({"status": before}),
        after: about_with(&row, &kind, json!({"reason": reason})),
    };
    commit(tx, actor, change).await?;
    Ok(())
}

pub const MAX_FILE: usize = 10 * 1024 * 1024;

/// Attach a material (before) or a photo / media file (after the activity).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn attach(
    app: &App,
    g: &Granted<OrganiseActivities>,
    id: i64,
    purpose: &str,
    file: (&str, &str, &[u8]),
) -> Result<()> {
    let actor = g.actor();
    let purpose = if purpose == "media" {
        "media"
    } else {
        "material"
    };
    if file.2.is_empty() {
        return Err(Invalid::one("file", "required", "请选择要上传的文件").into());
    }
    if file.2.len() > MAX_FILE {
        return Err(Invalid::one("file", "too_large", "文件不能超过 10 MB").into());
    }
    let name = text("file", "文件名", file.0, 200)?;
    let mut tx = begin(&app.db).await?;
    let row = load_organised(&mut tx, actor, id).await?;
    let file_id = store::add_file(
        &mut tx.conn(),
        row.id,
        purpose,
        (&name, file.1, file.2),
        now(),
    )
    .await?;
    let change = Change {
        committee_id: row.committee_id,
        kind: "activity.file_added",
        subject_type: "activity",
        subject_id: row.id,
        before: json!(null),
        after: json!({"file_id": file_id, "name": name, "purpose": purpose}),
    };
    commit(tx, actor, change).await?;
    Ok(())
}

/// What the office types to add a kind.
#[derive(Debug, Clone, Default)]
pub struct KindInput<'a> {
    pub code: &'a str,
    pub name: &'a str,
    pub default_scope: &'a str,
    pub leave_approver: &'a str,
    pub public_default: bool,
    pub consultation: bool,
    pub reading: bool,
}

/// A committee's own kind of activity, beside the built-in ones.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_kind(
    app: &App,
    g: &Granted<ManageOrganisation>,
    i: &KindInput<'_>,
) -> Result<i64> {
    let actor = g.actor();
    let mut errors = Invalid::default();
    let code = i.code.trim().to_lowercase();
    if code.is_empty()
        || code.len() > 40
        || !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        errors.push(
            "code",
            "invalid_code",
            "代码应为 1 至 40 位小写字母、数字或下划线",
        );
    }
    let name = match text("name", "类型名称", i.name, 40) {
        Ok(n) => n,
        Err(Error::Invalid(e)) => {
            errors.0.extend(e.0);
            String::new()
        }
        Err(e) => return Err(e),
    };
    let scope = InviteScope::parse(i.default_scope);
    let approver = LeaveApprover::parse(i.leave_approver);
    if scope.is_none() {
        errors.push("default_scope", "invalid_choice", "请选择默认邀请范围");
    }
    if approver.is_none() {
        errors.push("leave_approver", "invalid_choice", "请选择由谁审批请假");
    }
    let mut tx = begin(&app.db).await?;
    if store::kinds(&mut tx.conn(), actor.committee_id)
        .await?
        .iter()
        .any(|k| k.code == code || k.name == name)
    {
        errors.push("code", "duplicate", "已有同代码或同名称的活动类型");
    }
    let (Some(scope), Some(approver), true) = (scope, approver, errors.is_empty()) else {
        return Err(errors.into());
    };
    let k = KindRow {
        id: 0,
        committee_id: Some(actor.committee_id),
        code,
        name,
        default_scope: scope.code().into(),
        leave_approver: approver.code().into(),
        public_default: i.public_default,
        consultation: i.consultation,
        reading: i.reading,
        position: 0,
    };
    let id = store::insert_kind(&mut tx.conn(), actor.committee_id, &k).await?;
    let change = Change {
        committee_id: actor.committee_id,
        kind: "activity_kind.created",
        subject_type: "activity_kind",
        subject_id: id,
        before: json!(null),
        after: json!({"code": k.code, "name": k.name, "default_scope": k.default_scope,
            "leave_approver": k.leave_approver, "public_default": k.public_default}),
    };
    commit(tx, actor, change).await?;
    Ok(id)
}

/// The choices the planning form offers.
pub struct Choices {
    pub kinds: Vec<KindRow>,
    pub sectors: Vec<(i64, String)>,
    pub special_committees: Vec<(i64, String)>,
    pub studios: Vec<(i64, String)>,
    pub members: Vec<(i64, String)>,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn choices(app: &App, committee_id: i64) -> Result<Choices> {
    let mut conn = app.db.acquire().await?;
    let c = &mut conn.conn();
    Ok(Choices {
        kinds: store::kinds(c, committee_id).await?,
        sectors: all_titles(c, Res::Sector, committee_id).await?,
        special_committees: all_titles(c, Res::SpecialCommittee, committee_id).await?,
        studios: all_titles(c, Res::Studio, committee_id).await?,
        members: all_titles(c, Res::Member, committee_id).await?,
    })
}
