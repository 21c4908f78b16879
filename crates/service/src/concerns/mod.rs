//! The people's concerns (R4): intake from the public form, a reception or Open311; routing
//! by the committee's rules; the steps of the state machine; the person's status page,
//! rating and follow-up; lists and figures for members and the office; the overdue and
//! follow-up jobs.

pub mod batch;
pub mod intake;
pub mod jobs;
pub mod steps;
pub mod views;

use lianxin_domain::access::Actor;
use lianxin_domain::concern::{Rule, Target};
use lianxin_store::Conn;
use lianxin_store::concerns::{self as store, ConcernRow, NewUpdate};
use lianxin_store::studios;

use crate::{Error, Result, now};

/// What intake needs to route a concern, read once per data version (see `cache.rs`):
/// categories, rules, sectors, the names of studios, members and special committees, and
/// each studio's lead.
pub struct Routing {
    pub categories: Vec<store::CategoryRow>,
    pub rules: Vec<Rule>,
    pub sectors: Vec<i64>,
    names: std::collections::HashMap<(u8, i64), String>,
    leads: std::collections::HashMap<i64, Option<i64>>,
}

fn kind_of(t: Target) -> (u8, i64) {
    match t {
        Target::Studio(i) => (0, i),
        Target::Member(i) => (1, i),
        Target::SpecialCommittee(i) => (2, i),
    }
}

impl Routing {
    pub fn label(&self, t: Target) -> String {
        let name = self.names.get(&kind_of(t)).cloned().unwrap_or_default();
        if matches!(t, Target::Member(_)) {
            format!("{name}委员")
        } else {
            name
        }
    }
    /// The member who answers for a concern routed to `t`.
    pub fn responsible(&self, t: Target) -> Option<i64> {
        match t {
            Target::Member(m) => Some(m),
            Target::Studio(s) => self.leads.get(&s).copied().flatten(),
            Target::SpecialCommittee(_) => None,
        }
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn routing(app: &crate::App, committee_id: i64) -> Result<std::sync::Arc<Routing>> {
    use lianxin_domain::schema::Res;
    use lianxin_store::records::all_titles;
    app.cached_organisation(format!("routing|{committee_id}"), || async move {
        let mut conn = app.db.acquire().await?;
        let c = &mut conn.conn();
        let mut names = std::collections::HashMap::new();
        for (kind, res) in [
            (0u8, Res::Studio),
            (1, Res::Member),
            (2, Res::SpecialCommittee),
        ] {
            for (id, name) in all_titles(c, res, committee_id).await? {
                names.insert((kind, id), name);
            }
        }
        Ok(Routing {
            categories: store::categories(c, committee_id).await?,
            rules: rules_of(store::rules(c, committee_id).await?),
            sectors: all_titles(c, Res::Sector, committee_id)
                .await?
                .into_iter()
                .map(|s| s.0)
                .collect(),
            names,
            leads: studios::studio_leads(c, committee_id)
                .await?
                .into_iter()
                .collect(),
        })
    })
    .await
}

pub(crate) fn not_found() -> Error {
    Error::not_found("concern.not_found", "未找到该诉求")
}

/// The concern behind a tracking code. Every code costs one lookup, well-formed or not, so
/// the answer's timing does not tell a guesser which codes could exist.
pub(crate) async fn lookup_code(c: &mut Conn<'_>, code: &str) -> Result<ConcernRow> {
    let probe: String = code
        .chars()
        .take(lianxin_domain::concern::CODE_LEN + 4)
        .collect();
    let row = store::by_code(c, &probe).await?;
    match row {
        Some(r) if lianxin_domain::concern::looks_like_code(code) => Ok(r),
        _ => Err(not_found()),
    }
}

pub(crate) fn rules_of(rows: Vec<store::RuleRow>) -> Vec<Rule> {
    rows.into_iter()
        .filter_map(|r| {
            let target = match (r.studio_id, r.member_id, r.special_committee_id) {
                (Some(s), None, None) => Target::Studio(s),
                (None, Some(m), None) => Target::Member(m),
                (None, None, Some(sc)) => Target::SpecialCommittee(sc),
                _ => return None,
            };
            Some(Rule {
                id: r.id,
                category_id: r.category_id,
                area: r.area,
                sector_id: r.sector_id,
                target,
            })
        })
        .collect()
}

pub(crate) fn assign(row: &mut ConcernRow, target: Target) {
    row.studio_id = None;
    row.member_id = None;
    row.special_committee_id = None;
    match target {
        Target::Studio(id) => row.studio_id = Some(id),
        Target::Member(id) => row.member_id = Some(id),
        Target::SpecialCommittee(id) => row.special_committee_id = Some(id),
    }
}

/// The member who answers for a concern: the member it is routed to, or the studio's lead.
pub(crate) async fn responsible_member(c: &mut Conn<'_>, row: &ConcernRow) -> Result<Option<i64>> {
    if row.member_id.is_some() {
        return Ok(row.member_id);
    }
    match row.studio_id {
        Some(s) => Ok(studios::studio_lead(c, row.committee_id, s).await?),
        None => Ok(None),
    }
}

/// Whether a member may act on this concern: routed to them or to a studio they sit in.
pub(crate) async fn routed_to(c: &mut Conn<'_>, actor: &Actor, row: &ConcernRow) -> Result<bool> {
    let Some(member) = actor.member_id else {
        return Ok(false);
    };
    if row.committee_id != actor.committee_id {
        return Ok(false);
    }
    if row.member_id == Some(member) {
        return Ok(true);
    }
    let mine = studios::studios_of_member(c, actor.committee_id, member).await?;
    Ok(row.studio_id.is_some_and(|s| mine.contains(&s)))
}

pub(crate) async fn note(
    c: &mut Conn<'_>,
    row: &ConcernRow,
    kind: &str,
    public: bool,
    body: &str,
    actor: Option<&Actor>,
    label: &str,
) -> Result<()> {
    let u = NewUpdate {
        concern_id: row.id,
        kind,
        public,
        body,
        status_after: Some(&row.status),
        actor_user_id: actor.map(|a| a.user_id).filter(|id| *id > 0),
        actor_label: label,
    };
    Ok(store::add_update(c, &u, now()).await?)
}
