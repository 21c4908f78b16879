//! The consultation protocol (有事好商量): participants with their roles, a speaking list
//! that puts people's representatives first unless the organiser reorders it (which is
//! recorded, with who did it), and each speech with its position and summary.

use lianxin_domain::Invalid;
use lianxin_domain::access::{Granted, OrganiseActivities};
use lianxin_domain::activity::{self as rules, ParticipantRole, Position, Status};
use lianxin_domain::schema::Res;
use lianxin_store::Tx;
use lianxin_store::activities::{self as store, ActivityRow, ParticipantRow};
use lianxin_store::records::existing;
use serde_json::json;

use super::{about_with, kind_of, load_organised, optional, refused, text};
use crate::journal::{Change, begin, commit};
use crate::{App, Error, Result, now};

/// A participant as the organiser enters them.
#[derive(Debug, Clone, Default)]
pub struct ParticipantInput<'a> {
    pub role: &'a str,
    pub name: &'a str,
    pub interest: &'a str,
    pub member_id: &'a str,
}

async fn open_for_record(
    tx: &mut Tx,
    g: &Granted<OrganiseActivities>,
    id: i64,
) -> Result<ActivityRow> {
    let a = load_organised(tx, g.actor(), id).await?;
    if a.status != Status::Published.code() {
        return Err(Error::conflict(
            "activity.not_open",
            "只有已发布、未结束的活动可以记录参加人和发言",
        ));
    }
    Ok(a)
}

/// Put the participants back in the default order, unless the organiser has set one.
async fn renumber(tx: &mut Tx, a: &ActivityRow) -> Result<()> {
    let ps = store::participants(&mut tx.conn(), a.id).await?;
    let order: Vec<i64> = if a.order_changed_at.is_some() {
        ps.iter().map(|p| p.id).collect()
    } else {
        let mut by_added = ps.clone();
        by_added.sort_by_key(|p| p.id);
        rules::speaking_order(
            &by_added
                .iter()
                .map(|p| {
                    (
                        p.id,
                        ParticipantRole::parse(&p.role).unwrap_or(ParticipantRole::Member),
                    )
                })
                .collect::<Vec<_>>(),
        )
    };
    store::set_order(&mut tx.conn(), a.id, &order).await?;
    Ok(())
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_participant(
    app: &App,
    g: &Granted<OrganiseActivities>,
    id: i64,
    i: &ParticipantInput<'_>,
) -> Result<i64> {
    let actor = g.actor();
    let mut errors = Invalid::default();
    let role = ParticipantRole::parse(i.role);
    if role.is_none() {
        errors.push("role", "invalid_choice", "请选择参加人的身份");
    }
    let name = text("name", "姓名或单位", i.name, 100).unwrap_or_else(|e| {
        if let Error::Invalid(e) = e {
            errors.0.extend(e.0);
        }
        String::new()
    });
    let interest = optional("interest", "代表的利益", i.interest, 200).unwrap_or_else(|e| {
        if let Error::Invalid(e) = e {
            errors.0.extend(e.0);
        }
        None
    });
    if role == Some(ParticipantRole::Stakeholder) && interest.is_none() {
        errors.push("interest", "required", "利益相关方须写明所代表的利益");
    }
    let member_id: Option<i64> = i.member_id.trim().parse().ok().filter(|n: &i64| *n > 0);
    let mut tx = begin(&app.db).await?;
    if let Some(m) = member_id
        && existing(&mut tx.conn(), Res::Member, actor.committee_id, &[m])
            .await?
            .is_empty()
    {
        errors.push("member_id", "invalid_ref", "该委员不存在");
    }
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    let a = open_for_record(&mut tx, g, id).await?;
    let k = kind_of(&mut tx, &a).await?;
    let count = store::participants(&mut tx.conn(), a.id).await?.len() as i64;
    let p = ParticipantRow {
        id: 0,
        role: role.code().into(),
        name,
        interest,
        member_id,
        speaking_order: count + 1,
    };
    let pid = store::add_participant(&mut tx.conn(), a.id, &p, now()).await?;
    renumber(&mut tx, &a).await?;
    let change = Change {
        committee_id: a.committee_id,
        kind: "activity.participant_added",
        subject_type: "activity",
        subject_id: a.id,
        before: json!(null),
        after: about_with(
            &a,
            &k,
            json!({"participant_id": pid, "role": p.role, "name": p.name,
            "interest": p.interest, "member_id": p.member_id}),
        ),
    };
    commit(tx, actor, change).await?;
    Ok(pid)
}

/// The organiser sets another speaking order; the record shows it was changed and by whom.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn reorder(
    app: &App,
    g: &Granted<OrganiseActivities>,
    id: i64,
    wanted: &[i64],
) -> Result<()> {
    let actor = g.actor();
    let mut tx = begin(&app.db).await?;
    let mut a = open_for_record(&mut tx, g, id).await?;
    let k = kind_of(&mut tx, &a).await?;
    let current: Vec<i64> = store::participants(&mut tx.conn(), a.id)
        .await?
        .iter()
        .map(|p| p.id)
        .collect();
    rules::check_reorder(&current, wanted).map_err(refused)?;
    if current == wanted {
        return Ok(());
    }
    store::set_order(&mut tx.conn(), a.id, wanted).await?;
    let at = now();
    a.order_changed_by = Some(actor.display_name.clone());
    a.order_changed_at = Some(at);
    a.updated_at = at;
    store::save(&mut tx.conn(), &a).await?;
    let change = Change {
        committee_id: a.committee_id,
        kind: "activity.speaking_order_changed",
        subject_type: "activity",
        subject_id: a.id,
        before: json!({"order": current}),
        after: about_with(&a, &k, json!({"order": wanted, "by": actor.user_id})),
    };
    commit(tx, actor, change).await?;
    Ok(())
}

/// Record what a participant said. A member's speech is `activity.spoke` (duty work).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn record_speech(
    app: &App,
    g: &Granted<OrganiseActivities>,
    id: i64,
    participant_id: Option<i64>,
    position: &str,
    summary: &str,
) -> Result<()> {
    let actor = g.actor();
    let Some(position) = Position::parse(position) else {
        return Err(Invalid::one("position", "invalid_choice", "请选择发言的立场").into());
    };
    let summary = text("summary", "发言摘要", summary, 2_000)?;
    let mut tx = begin(&app.db).await?;
    let a = open_for_record(&mut tx, g, id).await?;
    let participant_id = super::chosen(participant_id, "participant_id", "发言人")?;
    let k = kind_of(&mut tx, &a).await?;
    let Some(p) = store::participants(&mut tx.conn(), a.id)
        .await?
        .into_iter()
        .find(|p| p.id == participant_id)
    else {
        return Err(Error::not_found("participant.not_found", "没有这位参加人"));
    };
    let sid = store::add_speech(
        &mut tx.conn(),
        a.id,
        p.id,
        position.code(),
        &summary,
        &actor.display_name,
        now(),
    )
    .await?;
    let kind = if p.member_id.is_some() {
        "activity.spoke"
    } else {
        "activity.speech_recorded"
    };
    let change = Change {
        committee_id: a.committee_id,
        kind,
        subject_type: "activity",
        subject_id: a.id,
        before: json!(null),
        after: about_with(
            &a,
            &k,
            json!({"speech_id": sid, "participant_id": p.id, "member_id": p.member_id,
            "role": p.role, "position": position.code()}),
        ),
    };
    commit(tx, actor, change).await?;
    Ok(())
}
