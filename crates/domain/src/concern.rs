//! The people's concerns (急难愁盼, R4): a state machine, deadlines, routing rules, ratings
//! and follow-ups — as data and pure functions.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Submitted,
    Assigned,
    InProgress,
    Answered,
    Resolved,
    Closed,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Submitted,
        Status::Assigned,
        Status::InProgress,
        Status::Answered,
        Status::Resolved,
        Status::Closed,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Assigned => "assigned",
            Status::InProgress => "in_progress",
            Status::Answered => "answered",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Status::Submitted => "已提交",
            Status::Assigned => "已分派",
            Status::InProgress => "办理中",
            Status::Answered => "已答复",
            Status::Resolved => "已解决",
            Status::Closed => "已关闭",
        }
    }
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.code() == s)
    }
    /// Still waiting for an answer: the deadline applies.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Status::Submitted | Status::Assigned | Status::InProgress
        )
    }
    /// Open311's two states.
    pub fn open311(self) -> &'static str {
        if matches!(self, Status::Resolved | Status::Closed) {
            "closed"
        } else {
            "open"
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    NotResponsible,
    Duplicate,
    Referred,
}

impl CloseReason {
    pub fn code(self) -> &'static str {
        match self {
            CloseReason::NotResponsible => "not_responsible",
            CloseReason::Duplicate => "duplicate",
            CloseReason::Referred => "referred",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            CloseReason::NotResponsible => "不属于受理范围",
            CloseReason::Duplicate => "重复诉求",
            CloseReason::Referred => "已转交承办单位",
        }
    }
    pub fn parse(s: &str) -> Option<CloseReason> {
        [
            CloseReason::NotResponsible,
            CloseReason::Duplicate,
            CloseReason::Referred,
        ]
        .into_iter()
        .find(|r| r.code() == s)
    }
}

crate::deserialize_by_parse!(CloseReason, "a close reason");

/// What can happen to a concern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Routed (by a rule or by the office) to a studio, member or special committee.
    Assign,
    /// The responsible member starts on it (a first public reply does this too).
    Start,
    /// A public reply that answers it.
    Answer,
    /// Solved: confirmed by the person, or by the office.
    Resolve,
    Close(CloseReason),
    /// The person is not satisfied, within 30 days of the answer.
    Reopen,
}

/// How long after an answer the person may reopen.
pub const REOPEN_DAYS: i64 = 30;
/// How long after an answer without a rating we ask whether the problem was solved.
pub const FOLLOW_UP_DAYS: i64 = 14;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    pub code: &'static str,
    pub message: String,
}

fn refuse(code: &'static str, message: impl Into<String>) -> StepError {
    StepError {
        code,
        message: message.into(),
    }
}

/// The state machine: the status after `step`, or why the step is not allowed now.
pub fn apply(
    status: Status,
    step: Step,
    now: DateTime<Utc>,
    answered_at: Option<DateTime<Utc>>,
) -> Result<Status, StepError> {
    use Status::*;
    match (status, step) {
        (Submitted | Assigned | InProgress, Step::Assign) => Ok(Assigned),
        (Assigned, Step::Start) => Ok(InProgress),
        (InProgress, Step::Start) => Ok(InProgress),
        (Assigned | InProgress, Step::Answer) => Ok(Answered),
        (Answered, Step::Resolve) => Ok(Resolved),
        (Submitted | Assigned | InProgress | Answered, Step::Close(_)) => Ok(Closed),
        (Answered | Resolved, Step::Reopen) => match answered_at {
            Some(at) if now - at <= Duration::days(REOPEN_DAYS) => Ok(InProgress),
            _ => Err(refuse(
                "concern.reopen_expired",
                format!("答复已超过{REOPEN_DAYS}天，不能再重新打开，请提交新的诉求"),
            )),
        },
        (s, step) => Err(refuse(
            "concern.illegal_transition",
            format!(
                "当前状态为“{}”，不能执行此操作（{}）",
                s.label(),
                step_label(step)
            ),
        )),
    }
}

pub fn step_label(step: Step) -> &'static str {
    match step {
        Step::Assign => "分派",
        Step::Start => "开始办理",
        Step::Answer => "答复",
        Step::Resolve => "确认解决",
        Step::Close(_) => "关闭",
        Step::Reopen => "重新打开",
    }
}

/// When a concern submitted at `at` in a category with `days` must be answered.
pub fn due_at(at: DateTime<Utc>, days: i64) -> DateTime<Utc> {
    at + Duration::days(days)
}

pub fn is_overdue(status: Status, due: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    status.is_pending() && now > due
}

/// Whether the 14-day follow-up is due: answered, not rated, not yet asked.
pub fn follow_up_due(
    status: Status,
    answered_at: Option<DateTime<Utc>>,
    rated: bool,
    asked: bool,
    now: DateTime<Utc>,
) -> bool {
    matches!(status, Status::Answered | Status::Resolved)
        && !rated
        && !asked
        && answered_at.is_some_and(|a| now - a >= Duration::days(FOLLOW_UP_DAYS))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rating {
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
}

impl Rating {
    pub const ALL: [Rating; 3] = [
        Rating::Satisfied,
        Rating::BasicallySatisfied,
        Rating::Dissatisfied,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Rating::Satisfied => "satisfied",
            Rating::BasicallySatisfied => "basically_satisfied",
            Rating::Dissatisfied => "dissatisfied",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Rating::Satisfied => "满意",
            Rating::BasicallySatisfied => "基本满意",
            Rating::Dissatisfied => "不满意",
        }
    }
    pub fn parse(s: &str) -> Option<Rating> {
        Rating::ALL
            .into_iter()
            .find(|r| r.code() == s || r.label() == s)
    }
    /// Counted as satisfied in the satisfaction rate.
    pub fn is_satisfied(self) -> bool {
        !matches!(self, Rating::Dissatisfied)
    }
}

/// The follow-up question's five answers (after WriteToThem's questionnaire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUp {
    Solved,
    AnsweredNotSolved,
    OnlyAcknowledged,
    NoAnswerNoneExpected,
    NoAnswer,
}

impl FollowUp {
    pub const ALL: [FollowUp; 5] = [
        FollowUp::Solved,
        FollowUp::AnsweredNotSolved,
        FollowUp::OnlyAcknowledged,
        FollowUp::NoAnswerNoneExpected,
        FollowUp::NoAnswer,
    ];
    pub fn code(self) -> &'static str {
        match self {
            FollowUp::Solved => "solved",
            FollowUp::AnsweredNotSolved => "answered_not_solved",
            FollowUp::OnlyAcknowledged => "only_acknowledged",
            FollowUp::NoAnswerNoneExpected => "no_answer_none_expected",
            FollowUp::NoAnswer => "no_answer",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            FollowUp::Solved => "问题已经解决",
            FollowUp::AnsweredNotSolved => "得到了答复，但问题没有解决",
            FollowUp::OnlyAcknowledged => "只收到了“已收到”之类的回复",
            FollowUp::NoAnswerNoneExpected => "没有得到答复，也不再期待答复",
            FollowUp::NoAnswer => "还没有得到答复",
        }
    }
    pub fn parse(s: &str) -> Option<FollowUp> {
        FollowUp::ALL.into_iter().find(|f| f.code() == s)
    }
}

/// Where a concern goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Target {
    Studio(i64),
    Member(i64),
    SpecialCommittee(i64),
}

impl Target {
    /// `studio:3`, `member:12` or `special_committee:2`, as the re-routing form names it.
    pub fn parse(s: &str) -> Option<Target> {
        let (kind, id) = s.split_once(':')?;
        let id = id.parse().ok().filter(|n: &i64| *n > 0)?;
        match kind {
            "studio" => Some(Target::Studio(id)),
            "member" => Some(Target::Member(id)),
            "special_committee" => Some(Target::SpecialCommittee(id)),
            _ => None,
        }
    }
}

crate::deserialize_by_parse!(Target, "a routing target");

/// A routing rule (like FixMyStreet's body × category): the criteria that are set must all
/// match; the most specific matching rule wins; a rule with no criteria is the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: i64,
    pub category_id: Option<i64>,
    /// Matches when the concern's area contains it (「滨江街道」 matches 「江川市滨江街道3号」).
    pub area: Option<String>,
    pub sector_id: Option<i64>,
    pub target: Target,
}

/// What a concern says about itself, for routing.
pub struct Facts<'a> {
    pub category_id: i64,
    pub area: &'a str,
    pub sector_id: Option<i64>,
}

impl Rule {
    fn matches(&self, f: &Facts<'_>) -> bool {
        self.category_id.is_none_or(|c| c == f.category_id)
            && self
                .area
                .as_deref()
                .is_none_or(|a| !a.is_empty() && f.area.contains(a))
            && self.sector_id.is_none_or(|s| Some(s) == f.sector_id)
    }
    fn specificity(&self) -> usize {
        [
            self.category_id.is_some(),
            self.area.is_some(),
            self.sector_id.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count()
    }
}

/// The rule that decides, if any: most criteria matched first, then the oldest rule.
pub fn route<'r>(rules: &'r [Rule], facts: &Facts<'_>) -> Option<&'r Rule> {
    rules
        .iter()
        .filter(|r| r.matches(facts))
        .max_by(|a, b| a.specificity().cmp(&b.specificity()).then(b.id.cmp(&a.id)))
}

/// Files people may attach: recognised by their first bytes, never by their name.
pub fn sniff_attachment(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

pub const MAX_ATTACHMENTS: usize = 5;
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;
pub const MAX_DETAIL_CHARS: usize = 5000;

/// Tracking codes: 12 characters from an alphabet without look-alikes (no 0/O, 1/l/I), from
/// a cryptographic source by the caller: 31^12 ≈ 7.9·10^17 codes, not guessable.
pub const CODE_ALPHABET: &[u8] = b"23456789abcdefghijkmnpqrstuvwxyz";
pub const CODE_LEN: usize = 12;

pub fn code_from_random(bytes: &[u8; CODE_LEN]) -> String {
    bytes
        .iter()
        .map(|b| CODE_ALPHABET[(*b as usize) % CODE_ALPHABET.len()] as char)
        .collect()
}

/// A code that could be one of ours (cheap refusal of junk before a lookup).
pub fn looks_like_code(s: &str) -> bool {
    s.len() == CODE_LEN && s.bytes().all(|b| CODE_ALPHABET.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(days: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap() + Duration::days(days)
    }

    #[test]
    fn the_happy_path() {
        let mut s = Status::Submitted;
        for (step, want) in [
            (Step::Assign, Status::Assigned),
            (Step::Start, Status::InProgress),
            (Step::Answer, Status::Answered),
            (Step::Resolve, Status::Resolved),
        ] {
            s = apply(s, step, t(0), None).unwrap();
            assert_eq!(s, want);
        }
    }

    #[test]
    fn illegal_steps_are_named() {
        let e = apply(Status::Submitted, Step::Answer, t(0), None).unwrap_err();
        assert_eq!(e.code, "concern.illegal_transition");
        assert!(e.message.contains("已提交"));
        assert!(apply(Status::Closed, Step::Assign, t(0), None).is_err());
        assert!(apply(Status::Resolved, Step::Answer, t(0), None).is_err());
        assert!(apply(Status::Closed, Step::Reopen, t(0), Some(t(0))).is_err());
    }

    #[test]
    fn reopen_only_within_thirty_days_of_the_answer() {
        assert_eq!(
            apply(Status::Answered, Step::Reopen, t(30), Some(t(0))),
            Ok(Status::InProgress)
        );
        assert_eq!(
            apply(Status::Resolved, Step::Reopen, t(10), Some(t(0))),
            Ok(Status::InProgress)
        );
        let e = apply(Status::Answered, Step::Reopen, t(31), Some(t(0))).unwrap_err();
        assert_eq!(e.code, "concern.reopen_expired");
    }

    #[test]
    fn every_status_can_be_reached_and_closed_is_final() {
        for s in Status::ALL {
            for step in [
                Step::Assign,
                Step::Start,
                Step::Answer,
                Step::Resolve,
                Step::Reopen,
            ] {
                if s == Status::Closed {
                    assert!(apply(s, step, t(0), Some(t(0))).is_err(), "{s:?} {step:?}");
                }
            }
        }
    }

    #[test]
    fn random_walks_never_leave_the_machine() {
        // A small deterministic generator; every walk only ever visits states that `apply`
        // produced, and `Answer` is only ever accepted from an assigned state.
        let steps = [
            Step::Assign,
            Step::Start,
            Step::Answer,
            Step::Resolve,
            Step::Close(CloseReason::Duplicate),
            Step::Reopen,
        ];
        let mut seed: u64 = 42;
        for _ in 0..2000 {
            let mut s = Status::Submitted;
            let mut answered = None;
            for i in 0..20 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                let step = steps[(seed >> 33) as usize % steps.len()];
                let before = s;
                if let Ok(next) = apply(s, step, t(i), answered) {
                    if step == Step::Answer {
                        assert!(matches!(before, Status::Assigned | Status::InProgress));
                        answered = Some(t(i));
                    }
                    s = next;
                }
            }
            assert!(Status::ALL.contains(&s));
        }
    }

    #[test]
    fn deadlines_and_follow_ups() {
        let due = due_at(t(0), 7);
        assert!(!is_overdue(Status::Assigned, due, t(7)));
        assert!(is_overdue(Status::Assigned, due, t(8)));
        assert!(
            !is_overdue(Status::Answered, due, t(30)),
            "an answered concern is not overdue"
        );
        assert!(follow_up_due(
            Status::Answered,
            Some(t(0)),
            false,
            false,
            t(14)
        ));
        assert!(!follow_up_due(
            Status::Answered,
            Some(t(0)),
            true,
            false,
            t(20)
        ));
        assert!(!follow_up_due(
            Status::Answered,
            Some(t(0)),
            false,
            true,
            t(20)
        ));
        assert!(!follow_up_due(
            Status::Answered,
            Some(t(0)),
            false,
            false,
            t(13)
        ));
    }

    fn rule(
        id: i64,
        category: Option<i64>,
        area: Option<&str>,
        sector: Option<i64>,
        studio: i64,
    ) -> Rule {
        Rule {
            id,
            category_id: category,
            area: area.map(str::to_string),
            sector_id: sector,
            target: Target::Studio(studio),
        }
    }

    #[test]
    fn the_most_specific_rule_wins_and_the_default_catches_the_rest() {
        let rules = vec![
            rule(1, None, None, None, 100),
            rule(2, Some(5), None, None, 200),
            rule(3, Some(5), Some("滨江街道"), None, 300),
            rule(4, None, None, Some(9), 400),
        ];
        let f = |c, a, s| Facts {
            category_id: c,
            area: a,
            sector_id: s,
        };
        assert_eq!(
            route(&rules, &f(5, "江川市滨江街道3号", None)).unwrap().id,
            3
        );
        assert_eq!(route(&rules, &f(5, "东城街道", None)).unwrap().id, 2);
        assert_eq!(route(&rules, &f(6, "东城街道", Some(9))).unwrap().id, 4);
        assert_eq!(route(&rules, &f(6, "东城街道", None)).unwrap().id, 1);
        assert!(route(&rules[1..2], &f(6, "", None)).is_none());
    }

    #[test]
    fn attachments_by_content() {
        assert_eq!(sniff_attachment(b"%PDF-1.7 ..."), Some("application/pdf"));
        assert_eq!(sniff_attachment(b"MZ\x90\x00 exe"), None);
        assert_eq!(sniff_attachment(b"<svg onload=alert(1)>"), None);
    }

    #[test]
    fn codes() {
        let c = code_from_random(&[7u8; CODE_LEN]);
        assert!(looks_like_code(&c));
        assert!(!looks_like_code("short"));
        assert!(!looks_like_code("000000000000"));
    }
}
