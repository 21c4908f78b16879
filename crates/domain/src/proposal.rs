//! Proposals (提案, R13): drafting and co-signing, submission windows, review (立案), assignment
//! to handling units (交办), objections, extensions, answers classed A/B/C, the proposer's
//! rating and one re-handling, oversight — as a state machine over [`Handling`] and pure
//! functions. The service layer loads a proposal into a `Handling`, applies a step, and writes
//! back what changed.

use chrono::{DateTime, Duration, Months, NaiveDate, Utc};

use crate::concern::{Rating, StepError};
use crate::labelled;

labelled!(
    Kind {
        Individual = ("individual", "个人提案"),
        Joint = ("joint", "联名提案"),
        Collective = ("collective", "集体提案"),
    }
);

labelled!(
    /// Who a collective proposal speaks for.
    CollectiveBody {
        Sector = ("sector", "界别"),
        PartyGroup = ("party_group", "党派团体"),
        SpecialCommittee = ("special_committee", "专门委员会"),
    }
);

labelled!(
    Status {
        Draft = ("draft", "草稿"),
        Submitted = ("submitted", "待审查"),
        Accepted = ("accepted", "已立案待交办"),
        NotAccepted = ("not_accepted", "不予立案"),
        Merged = ("merged", "已并案"),
        Assigned = ("assigned", "办理中"),
        Answered = ("answered", "已答复"),
        Rehandling = ("rehandling", "退回重办"),
        Closed = ("closed", "已办结"),
    }
);

labelled!(
    UnitRole {
        Lead = ("lead", "主办"),
        Co = ("co", "会办"),
        Separate = ("separate", "分办"),
    }
);

labelled!(
    AnswerClass {
        A = ("A", "A类（所提问题已解决或基本解决）"),
        B = ("B", "B类（所提问题正在解决或已列入计划）"),
        C = ("C", "C类（留作参考或因条件限制暂不能解决）"),
    }
);

labelled!(
    WindowKind {
        Plenary = ("plenary", "大会提案"),
        Regular = ("regular", "平时提案"),
    }
);

labelled!(
    SignerStatus {
        Invited = ("invited", "待确认"),
        Accepted = ("accepted", "已同意联名"),
        Declined = ("declined", "已谢绝联名"),
    }
);

labelled!(
    /// How a not-accepted proposal is carried on, if at all.
    Conversion {
        OpinionReport = ("opinion_report", "转为社情民意信息"),
        Letter = ("letter", "转有关单位参考"),
    }
);

labelled!(
    OversightKind {
        Visit = ("visit", "督办走访"),
        Progress = ("progress", "进展情况"),
    }
);

/// Handling period from assignment (交办后两个月内办复).
pub const HANDLING_MONTHS: u32 = 2;
/// One extension of this length, approved by the office.
pub const EXTENSION_MONTHS: u32 = 1;
/// Never more than this from the start of a handling period.
pub const MAX_MONTHS: u32 = 3;
/// A unit may object to an assignment within this many days.
pub const OBJECTION_DAYS: i64 = 10;
/// A proposal sent back after a dissatisfied rating is handled again within this.
pub const REHANDLING_MONTHS: u32 = 1;
/// League tables rank only units with at least this many proposals.
pub const MIN_RANKED: i64 = 5;

fn months_after(t: DateTime<Utc>, m: u32) -> DateTime<Utc> {
    t.checked_add_months(Months::new(m))
        .unwrap_or(t + Duration::days(31 * i64::from(m)))
}

/// One unit's part in handling a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitTask {
    pub unit_id: i64,
    pub role: UnitRole,
    pub objected: bool,
    /// A co-handling unit has sent its opinion to the lead unit.
    pub opinion_sent: bool,
    /// The answer given in the current handling period.
    pub answer: Option<AnswerClass>,
}

impl UnitTask {
    pub fn answers(&self) -> bool {
        matches!(self.role, UnitRole::Lead | UnitRole::Separate)
    }
}

/// The part of a proposal the workflow reads and changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handling {
    pub status: Status,
    pub units: Vec<UnitTask>,
    /// When the units were (last) assigned: the objection window runs from here.
    pub assigned_at: Option<DateTime<Utc>>,
    /// When the current handling period began (assignment or re-handling).
    pub clock_start: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub extension_requested: bool,
    pub extended: bool,
    pub rehandled: bool,
}

impl Handling {
    pub fn new(status: Status) -> Handling {
        Handling {
            status,
            units: vec![],
            assigned_at: None,
            clock_start: None,
            due_at: None,
            extension_requested: false,
            extended: false,
            rehandled: false,
        }
    }
    pub fn is_handling(&self) -> bool {
        matches!(self.status, Status::Assigned | Status::Rehandling)
    }
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.is_handling() && self.due_at.is_some_and(|d| now > d)
    }
    fn unit(&mut self, unit_id: i64) -> Result<&mut UnitTask, StepError> {
        self.units
            .iter_mut()
            .find(|u| u.unit_id == unit_id)
            .ok_or_else(|| refuse("proposal.not_assigned", "该提案未交由本单位办理"))
    }
}

/// What can happen to a proposal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Edit,
    Submit,
    Accept,
    NotAccept,
    Merge,
    /// Assign (or, after an objection, re-assign) to these units.
    Assign(Vec<(i64, UnitRole)>),
    Object(i64),
    RequestExtension(i64),
    ApproveExtension,
    CoOpinion(i64),
    Answer(i64, AnswerClass),
    Rate(Rating),
}

impl Step {
    pub fn label(&self) -> &'static str {
        match self {
            Step::Edit => "修改",
            Step::Submit => "提交",
            Step::Accept => "立案",
            Step::NotAccept => "不予立案",
            Step::Merge => "并案",
            Step::Assign(_) => "交办",
            Step::Object(_) => "提出交办异议",
            Step::RequestExtension(_) => "申请延期",
            Step::ApproveExtension => "批准延期",
            Step::CoOpinion(_) => "提交会办意见",
            Step::Answer(..) => "答复",
            Step::Rate(_) => "评价",
        }
    }
}

fn refuse(code: &'static str, message: impl Into<String>) -> StepError {
    StepError {
        code,
        message: message.into(),
    }
}

fn illegal(status: Status, step: &Step) -> StepError {
    refuse(
        "proposal.illegal_transition",
        format!("提案当前状态为“{}”，不能{}", status.label(), step.label()),
    )
}

/// The units of an assignment: one lead plus co-handling units, or separate units only.
pub fn check_units(units: &[(i64, UnitRole)]) -> Result<(), StepError> {
    if units.is_empty() {
        return Err(refuse("proposal.units_empty", "请选择承办单位"));
    }
    let mut ids: Vec<i64> = units.iter().map(|u| u.0).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() != units.len() {
        return Err(refuse("proposal.units_duplicate", "同一单位不能重复交办"));
    }
    let leads = units.iter().filter(|u| u.1 == UnitRole::Lead).count();
    let separate = units.iter().filter(|u| u.1 == UnitRole::Separate).count();
    if separate > 0 && separate != units.len() {
        return Err(refuse(
            "proposal.units_mixed",
            "分办时每个单位都是分办单位，不能与主办、会办混用",
        ));
    }
    if separate == 0 && leads != 1 {
        return Err(refuse(
            "proposal.units_lead",
            "主办、会办方式须有且只有一个主办单位",
        ));
    }
    Ok(())
}

/// The state machine: the proposal after `step` at `now`, or why the step is refused.
pub fn apply(h: &Handling, step: &Step, now: DateTime<Utc>) -> Result<Handling, StepError> {
    use Status::*;
    let mut next = h.clone();
    match (h.status, step) {
        (Draft | Submitted, Step::Edit) => {}
        (Draft, Step::Submit) => next.status = Submitted,
        (Submitted, Step::Accept) => next.status = Accepted,
        (Submitted, Step::NotAccept) => next.status = NotAccepted,
        (Submitted | Accepted, Step::Merge) => next.status = Merged,
        (Accepted, Step::Assign(units)) => assign(&mut next, units, now)?,
        (Assigned, Step::Assign(units)) => {
            if !h.units.iter().any(|u| u.objected) {
                return Err(refuse(
                    "proposal.not_reassignable",
                    "提案已交办且没有单位提出异议，不能重新交办",
                ));
            }
            assign(&mut next, units, now)?;
        }
        (Assigned, Step::Object(unit)) => {
            let since = h.assigned_at.unwrap_or(now);
            let u = next.unit(*unit)?;
            if u.objected {
                return Err(refuse("proposal.already_objected", "本单位已提出过异议"));
            }
            if u.answer.is_some() {
                return Err(refuse(
                    "proposal.already_answered",
                    "本单位已答复，不能再提出异议",
                ));
            }
            if now - since > Duration::days(OBJECTION_DAYS) {
                return Err(refuse(
                    "proposal.objection_late",
                    format!("交办已超过{OBJECTION_DAYS}天，不能再提出异议，请按期办理"),
                ));
            }
            u.objected = true;
        }
        (Assigned | Rehandling, Step::RequestExtension(unit)) => {
            if !next.unit(*unit)?.answers() {
                return Err(refuse(
                    "proposal.co_unit",
                    "会办单位不能申请延期，请联系主办单位",
                ));
            }
            if h.extended || h.extension_requested {
                return Err(refuse(
                    "proposal.extension_once",
                    format!("每件提案只能延期一次（{EXTENSION_MONTHS}个月）"),
                ));
            }
            next.extension_requested = true;
        }
        (Assigned | Rehandling, Step::ApproveExtension) => {
            if !h.extension_requested || h.extended {
                return Err(refuse(
                    "proposal.extension_not_requested",
                    "没有待批准的延期申请",
                ));
            }
            let start = h.clock_start.unwrap_or(now);
            let due = h.due_at.unwrap_or(now);
            next.due_at =
                Some(months_after(due, EXTENSION_MONTHS).min(months_after(start, MAX_MONTHS)));
            next.extended = true;
            next.extension_requested = false;
        }
        (Assigned | Rehandling, Step::CoOpinion(unit)) => {
            let u = next.unit(*unit)?;
            if u.role != UnitRole::Co {
                return Err(refuse(
                    "proposal.not_co_unit",
                    "只有会办单位向主办单位提交会办意见",
                ));
            }
            u.opinion_sent = true;
        }
        (Assigned | Rehandling, Step::Answer(unit, class)) => {
            if h.units.iter().any(|u| u.objected) {
                return Err(refuse(
                    "proposal.objection_pending",
                    "有承办单位对交办提出异议，待政协机关重新交办后再答复",
                ));
            }
            let co_pending = h
                .units
                .iter()
                .any(|u| u.role == UnitRole::Co && !u.opinion_sent);
            let u = next.unit(*unit)?;
            if !u.answers() {
                return Err(refuse(
                    "proposal.co_cannot_answer",
                    "会办单位请将意见送主办单位，由主办单位统一答复",
                ));
            }
            if u.answer.is_some() {
                return Err(refuse("proposal.already_answered", "本单位已答复过该提案"));
            }
            if u.role == UnitRole::Lead && co_pending {
                return Err(refuse(
                    "proposal.co_opinions_missing",
                    "会办单位的意见尚未全部送达，主办单位暂不能答复",
                ));
            }
            u.answer = Some(*class);
            if next
                .units
                .iter()
                .filter(|u| u.answers())
                .all(|u| u.answer.is_some())
            {
                next.status = Answered;
            }
        }
        (Answered, Step::Rate(rating)) => {
            if *rating == Rating::Dissatisfied && !h.rehandled {
                next.status = Rehandling;
                next.rehandled = true;
                next.clock_start = Some(now);
                next.due_at = Some(months_after(now, REHANDLING_MONTHS));
                for u in &mut next.units {
                    u.answer = None;
                }
            } else {
                next.status = Closed;
            }
        }
        (s, step) => return Err(illegal(s, step)),
    }
    Ok(next)
}

fn assign(
    next: &mut Handling,
    units: &[(i64, UnitRole)],
    now: DateTime<Utc>,
) -> Result<(), StepError> {
    check_units(units)?;
    next.status = Status::Assigned;
    next.units = units
        .iter()
        .map(|(unit_id, role)| UnitTask {
            unit_id: *unit_id,
            role: *role,
            objected: false,
            opinion_sent: false,
            answer: None,
        })
        .collect();
    next.assigned_at = Some(now);
    next.clock_start = Some(now);
    next.due_at = Some(months_after(now, HANDLING_MONTHS));
    next.extension_requested = false;
    next.extended = false;
    Ok(())
}

/// Whether proposal `source` can be merged (并案) into `target`. A merged proposal is never
/// a target, so merges cannot form a cycle (A into B into A).
pub fn check_merge(source: i64, target: i64, target_status: Status) -> Result<(), StepError> {
    if source == target {
        return Err(refuse("proposal.merge_self", "不能并案到自身"));
    }
    match target_status {
        Status::Submitted
        | Status::Accepted
        | Status::Assigned
        | Status::Answered
        | Status::Rehandling
        | Status::Closed => Ok(()),
        Status::Merged => Err(refuse(
            "proposal.merge_cycle",
            "目标提案已并入其他提案，请并入最终保留的那一件",
        )),
        s => Err(refuse(
            "proposal.merge_target",
            format!("目标提案状态为“{}”，不能作为并案目标", s.label()),
        )),
    }
}

/// What must hold of every proposal the machine can reach (checked by the property tests).
pub fn invariant_violation(h: &Handling) -> Option<String> {
    use Status::*;
    if matches!(h.status, Assigned | Answered | Rehandling | Closed) {
        let pairs: Vec<(i64, UnitRole)> = h.units.iter().map(|u| (u.unit_id, u.role)).collect();
        if let Err(e) = check_units(&pairs) {
            return Some(format!("units: {}", e.message));
        }
        let leads = h.units.iter().filter(|u| u.role == UnitRole::Lead).count();
        let separate = h.units.iter().all(|u| u.role == UnitRole::Separate);
        if leads != 1 && !separate {
            return Some(format!("{leads} lead units"));
        }
        let (Some(start), Some(due)) = (h.clock_start, h.due_at) else {
            return Some("no deadline".into());
        };
        if due > months_after(start, MAX_MONTHS) || due < start {
            return Some(format!("deadline {due} outside 3 months of {start}"));
        }
    }
    if h.status == Answered && h.units.iter().any(|u| u.answers() && u.answer.is_none()) {
        return Some("answered without every answer".into());
    }
    None
}

/// Joint proposals need every invited co-signer's consent; an individual one has none.
pub fn check_signers(kind: Kind, cosigners: &[SignerStatus]) -> Result<(), StepError> {
    match kind {
        Kind::Joint if cosigners.is_empty() => Err(refuse(
            "proposal.cosigners_required",
            "联名提案须至少邀请一位委员联名",
        )),
        Kind::Joint if cosigners.iter().any(|s| *s != SignerStatus::Accepted) => Err(refuse(
            "proposal.cosigner_pending",
            "还有联名委员未同意联名（或已谢绝），全部同意后才能提交",
        )),
        Kind::Individual | Kind::Collective if !cosigners.is_empty() => Err(refuse(
            "proposal.cosigners_not_joint",
            "只有联名提案可以邀请联名委员",
        )),
        _ => Ok(()),
    }
}

/// A submission window of a year, both days included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub kind: WindowKind,
    pub opens: NaiveDate,
    pub closes: NaiveDate,
}

/// The window `day` falls in (the plenary window wins where both are open), or why not.
pub fn window_for(day: NaiveDate, windows: &[Window]) -> Result<WindowKind, StepError> {
    let open: Vec<WindowKind> = windows
        .iter()
        .filter(|w| w.opens <= day && day <= w.closes)
        .map(|w| w.kind)
        .collect();
    if open.contains(&WindowKind::Plenary) {
        return Ok(WindowKind::Plenary);
    }
    open.first().copied().ok_or_else(|| {
        let listed: Vec<String> = windows
            .iter()
            .map(|w| format!("{}：{}至{}", w.kind.label(), w.opens, w.closes))
            .collect();
        refuse(
            "proposal.no_window",
            if listed.is_empty() {
                "本年度尚未设置提案征集时间，暂不能提交".to_string()
            } else {
                format!("当前不在提案征集期内（{}）", listed.join("；"))
            },
        )
    })
}

/// A proposal's number as people cite it.
pub fn number_label(year: i32, number: i64) -> String {
    format!("{year}年第{number:03}号")
}

/// One handling unit's figures over a period, as counted by the store.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitTally {
    pub unit_id: i64,
    pub name: String,
    /// Proposals the unit answers for (lead or separate).
    pub count: i64,
    pub answered: i64,
    pub on_time: i64,
    pub class_a: i64,
    pub class_b: i64,
    pub class_c: i64,
    pub rated: i64,
    pub satisfied: i64,
}

/// A row of the league table.
#[derive(Debug, Clone, PartialEq)]
pub struct Ranked {
    pub tally: UnitTally,
    pub on_time_rate: Option<f64>,
    pub satisfaction: Option<f64>,
    /// 1-based place; `None` below [`MIN_RANKED`] proposals.
    pub rank: Option<usize>,
}

fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// Rank units by answers on time, then satisfaction, then the share of class A answers.
/// Units with fewer than [`MIN_RANKED`] proposals are listed after, without a place: a
/// ranking on two items says nothing.
pub fn league(tallies: Vec<UnitTally>) -> Vec<Ranked> {
    let mut rows: Vec<Ranked> = tallies
        .into_iter()
        .map(|t| Ranked {
            on_time_rate: rate(t.on_time, t.count),
            satisfaction: rate(t.satisfied, t.rated),
            rank: None,
            tally: t,
        })
        .collect();
    let key = |r: &Ranked| {
        (
            r.on_time_rate.unwrap_or(0.0),
            r.satisfaction.unwrap_or(0.0),
            rate(r.tally.class_a, r.tally.answered).unwrap_or(0.0),
        )
    };
    rows.sort_by(|a, b| {
        let ranked = |r: &Ranked| r.tally.count >= MIN_RANKED;
        ranked(b)
            .cmp(&ranked(a))
            .then_with(|| {
                let (x, y) = (key(a), key(b));
                y.0.total_cmp(&x.0)
                    .then(y.1.total_cmp(&x.1))
                    .then(y.2.total_cmp(&x.2))
            })
            .then(a.tally.name.cmp(&b.tally.name))
    });
    let mut place = 0;
    for r in &mut rows {
        if r.tally.count >= MIN_RANKED {
            place += 1;
            r.rank = Some(place);
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600, 0).unwrap() // 2026-01-01
    }

    fn assigned(units: &[(i64, UnitRole)]) -> Handling {
        apply(
            &Handling::new(Status::Accepted),
            &Step::Assign(units.to_vec()),
            t0(),
        )
        .unwrap()
    }

    #[test]
    fn answer_before_assignment_is_refused() {
        for s in [Status::Draft, Status::Submitted, Status::Accepted] {
            let e = apply(&Handling::new(s), &Step::Answer(1, AnswerClass::A), t0()).unwrap_err();
            assert_eq!(e.code, "proposal.illegal_transition");
        }
    }

    #[test]
    fn merges_cannot_form_cycles() {
        assert!(check_merge(1, 2, Status::Accepted).is_ok());
        assert_eq!(
            check_merge(2, 1, Status::Merged).unwrap_err().code,
            "proposal.merge_cycle"
        );
        assert_eq!(
            check_merge(1, 1, Status::Accepted).unwrap_err().code,
            "proposal.merge_self"
        );
        assert_eq!(
            check_merge(1, 3, Status::Draft).unwrap_err().code,
            "proposal.merge_target"
        );
    }

    #[test]
    fn accept_twice_is_refused() {
        let h = apply(&Handling::new(Status::Submitted), &Step::Accept, t0()).unwrap();
        assert_eq!(
            apply(&h, &Step::Accept, t0()).unwrap_err().code,
            "proposal.illegal_transition"
        );
    }

    #[test]
    fn the_lead_answers_after_co_units_sent_their_opinions() {
        let h = assigned(&[(1, UnitRole::Lead), (2, UnitRole::Co)]);
        let e = apply(&h, &Step::Answer(1, AnswerClass::A), t0()).unwrap_err();
        assert_eq!(e.code, "proposal.co_opinions_missing");
        assert_eq!(
            apply(&h, &Step::Answer(2, AnswerClass::A), t0())
                .unwrap_err()
                .code,
            "proposal.co_cannot_answer"
        );
        let h = apply(&h, &Step::CoOpinion(2), t0()).unwrap();
        let h = apply(&h, &Step::Answer(1, AnswerClass::B), t0()).unwrap();
        assert_eq!(h.status, Status::Answered);
    }

    #[test]
    fn separate_units_each_answer() {
        let h = assigned(&[(1, UnitRole::Separate), (2, UnitRole::Separate)]);
        let h = apply(&h, &Step::Answer(1, AnswerClass::A), t0()).unwrap();
        assert_eq!(h.status, Status::Assigned);
        let h = apply(&h, &Step::Answer(2, AnswerClass::C), t0()).unwrap();
        assert_eq!(h.status, Status::Answered);
    }

    #[test]
    fn objections_close_after_ten_days() {
        let h = assigned(&[(1, UnitRole::Lead)]);
        let late = t0() + Duration::days(OBJECTION_DAYS) + Duration::hours(1);
        assert_eq!(
            apply(&h, &Step::Object(1), late).unwrap_err().code,
            "proposal.objection_late"
        );
        let h = apply(&h, &Step::Object(1), t0() + Duration::days(9)).unwrap();
        assert_eq!(
            apply(&h, &Step::Answer(1, AnswerClass::A), t0())
                .unwrap_err()
                .code,
            "proposal.objection_pending"
        );
        // The office re-assigns; the clock starts again.
        let later = t0() + Duration::days(12);
        let h = apply(&h, &Step::Assign(vec![(3, UnitRole::Lead)]), later).unwrap();
        assert_eq!(h.units.len(), 1);
        assert_eq!(h.due_at, Some(months_after(later, HANDLING_MONTHS)));
    }

    #[test]
    fn one_extension_and_never_beyond_three_months() {
        let h = assigned(&[(1, UnitRole::Lead)]);
        assert_eq!(
            apply(&h, &Step::ApproveExtension, t0()).unwrap_err().code,
            "proposal.extension_not_requested"
        );
        let h = apply(&h, &Step::RequestExtension(1), t0()).unwrap();
        let h = apply(&h, &Step::ApproveExtension, t0()).unwrap();
        assert_eq!(h.due_at, Some(months_after(t0(), 3)));
        assert_eq!(
            apply(&h, &Step::RequestExtension(1), t0())
                .unwrap_err()
                .code,
            "proposal.extension_once"
        );
    }

    #[test]
    fn dissatisfied_sends_back_once() {
        let h = assigned(&[(1, UnitRole::Lead)]);
        let h = apply(&h, &Step::Answer(1, AnswerClass::C), t0()).unwrap();
        let h = apply(&h, &Step::Rate(Rating::Dissatisfied), t0()).unwrap();
        assert_eq!(h.status, Status::Rehandling);
        let h = apply(&h, &Step::Answer(1, AnswerClass::B), t0()).unwrap();
        let h = apply(&h, &Step::Rate(Rating::Dissatisfied), t0()).unwrap();
        assert_eq!(h.status, Status::Closed);
    }

    #[test]
    fn signers_and_windows() {
        assert!(check_signers(Kind::Joint, &[SignerStatus::Accepted]).is_ok());
        assert_eq!(
            check_signers(
                Kind::Joint,
                &[SignerStatus::Accepted, SignerStatus::Invited]
            )
            .unwrap_err()
            .code,
            "proposal.cosigner_pending"
        );
        assert!(check_signers(Kind::Individual, &[]).is_ok());
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let ws = [
            Window {
                kind: WindowKind::Regular,
                opens: d("2026-01-21"),
                closes: d("2026-12-20"),
            },
            Window {
                kind: WindowKind::Plenary,
                opens: d("2026-01-10"),
                closes: d("2026-01-20"),
            },
        ];
        assert_eq!(window_for(d("2026-01-15"), &ws), Ok(WindowKind::Plenary));
        assert_eq!(window_for(d("2026-06-01"), &ws), Ok(WindowKind::Regular));
        let e = window_for(d("2026-12-25"), &ws).unwrap_err();
        assert_eq!(e.code, "proposal.no_window");
        assert!(e.message.contains("2026-12-20"));
    }

    #[test]
    fn league_ranks_only_from_five_items() {
        let tally = |id: i64, count: i64, on_time: i64| UnitTally {
            unit_id: id,
            name: format!("单位{id}"),
            count,
            answered: count,
            on_time,
            ..UnitTally::default()
        };
        let rows = league(vec![tally(1, 4, 4), tally(2, 5, 3), tally(3, 10, 9)]);
        let order: Vec<(i64, Option<usize>)> =
            rows.iter().map(|r| (r.tally.unit_id, r.rank)).collect();
        assert_eq!(order, vec![(3, Some(1)), (2, Some(2)), (1, None)]);
    }

    #[derive(Debug, Clone)]
    enum Pick {
        Submit,
        Accept,
        NotAccept,
        Merge,
        Assign(Vec<(i64, UnitRole)>),
        Object(i64),
        Request(i64),
        Approve,
        Opinion(i64),
        Answer(i64, AnswerClass),
        Rate(Rating),
    }

    fn pick() -> impl Strategy<Value = Pick> {
        let unit = 1i64..4;
        let role = prop_oneof![
            Just(UnitRole::Lead),
            Just(UnitRole::Co),
            Just(UnitRole::Separate)
        ];
        let class = prop_oneof![
            Just(AnswerClass::A),
            Just(AnswerClass::B),
            Just(AnswerClass::C)
        ];
        let rating = prop_oneof![
            Just(Rating::Satisfied),
            Just(Rating::BasicallySatisfied),
            Just(Rating::Dissatisfied)
        ];
        prop_oneof![
            Just(Pick::Submit),
            Just(Pick::Accept),
            Just(Pick::NotAccept),
            Just(Pick::Merge),
            proptest::collection::vec((unit.clone(), role), 0..4).prop_map(Pick::Assign),
            unit.clone().prop_map(Pick::Object),
            unit.clone().prop_map(Pick::Request),
            Just(Pick::Approve),
            unit.clone().prop_map(Pick::Opinion),
            (unit.clone(), class).prop_map(|(u, c)| Pick::Answer(u, c)),
            rating.prop_map(Pick::Rate),
        ]
    }

    fn step_of(p: Pick) -> Step {
        match p {
            Pick::Submit => Step::Submit,
            Pick::Accept => Step::Accept,
            Pick::NotAccept => Step::NotAccept,
            Pick::Merge => Step::Merge,
            Pick::Assign(u) => Step::Assign(u),
            Pick::Object(u) => Step::Object(u),
            Pick::Request(u) => Step::RequestExtension(u),
            Pick::Approve => Step::ApproveExtension,
            Pick::Opinion(u) => Step::CoOpinion(u),
            Pick::Answer(u, c) => Step::Answer(u, c),
            Pick::Rate(r) => Step::Rate(r),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// No walk reaches an invalid state: every assigned proposal has exactly one lead unit
        /// (or only separate units), and no deadline is more than 3 months from its start.
        #[test]
        fn random_walks_keep_the_invariants(walk in proptest::collection::vec((pick(), 0i64..40), 0..40)) {
            let mut h = Handling::new(Status::Draft);
            let mut at = t0();
            for (p, days) in walk {
                at += Duration::days(days);
                if let Ok(next) = apply(&h, &step_of(p), at) {
                    prop_assert_eq!(invariant_violation(&next), None, "{:?}", next);
                    if next.status == Status::Answered {
                        prop_assert!(matches!(h.status, Status::Assigned | Status::Rehandling));
                    }
                    h = next;
                }
            }
        }
    }
}
