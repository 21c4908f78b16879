//! Opinion reports (社情民意信息, R5): drafted by members, reviewed by the office, adopted at a
//! level, forwarded, answered by leaders' instructions (批示) and units' feedback — as a state
//! machine and pure functions. The service layer loads, applies and stores.

use crate::labelled;

labelled!(
    /// Where a report is in its life.
    Status {
        Draft = ("draft", "草稿"),
        Submitted = ("submitted", "待审核"),
        Returned = ("returned", "退回修改"),
        Adopted = ("adopted", "已采用"),
        Forwarded = ("forwarded", "已报送"),
        Concluded = ("concluded", "已反馈"),
        Declined = ("declined", "未采用"),
        Merged = ("merged", "已合并"),
    }
);

labelled!(
    /// The level at which the office adopts a report (where it is sent).
    Level {
        Committee = ("committee", "本级政协"),
        UpperCommittee = ("upper_committee", "上级政协"),
        PartyGovernment = ("party_government", "同级党委政府"),
        National = ("national", "全国政协"),
    }
);

labelled!(
    /// The level of the leader who gave an instruction (批示).
    InstructionLevel {
        County = ("county", "县级"),
        City = ("city", "市级"),
        Province = ("province", "省级"),
        Central = ("central", "中央"),
    }
);

labelled!(
    /// Who speaks in a report: one member (with co-authors) or a body collectively.
    AuthorKind {
        Member = ("member", "委员个人"),
        Sector = ("sector", "界别集体"),
        Studio = ("studio", "工作室集体"),
        SpecialCommittee = ("special_committee", "专委会集体"),
    }
);

/// What can happen to a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Edit,
    Submit,
    Adopt(Level),
    Decline,
    /// Merged into another report (see [`check_merge`]).
    Merge,
    ReturnForRevision,
    Forward,
    Instruct,
    Feedback,
}

impl Step {
    pub fn label(self) -> &'static str {
        match self {
            Step::Edit => "修改",
            Step::Submit => "提交",
            Step::Adopt(_) => "采用",
            Step::Decline => "不采用",
            Step::Merge => "合并",
            Step::ReturnForRevision => "退回修改",
            Step::Forward => "报送",
            Step::Instruct => "记录批示",
            Step::Feedback => "记录办理反馈",
        }
    }
}

pub use crate::concern::StepError;

fn refuse(code: &'static str, message: impl Into<String>) -> StepError {
    StepError {
        code,
        message: message.into(),
    }
}

/// The state machine: the status after `step`, or why it is not allowed now.
pub fn apply(status: Status, step: Step) -> Result<Status, StepError> {
    use Status::*;
    match (status, step) {
        (Draft | Returned | Submitted, Step::Edit) => Ok(status),
        (Draft | Returned, Step::Submit) => Ok(Submitted),
        (Submitted, Step::Adopt(_)) => Ok(Adopted),
        (Submitted, Step::Decline) => Ok(Declined),
        (Submitted, Step::Merge) => Ok(Merged),
        (Submitted, Step::ReturnForRevision) => Ok(Returned),
        (Adopted | Forwarded, Step::Forward) => Ok(Forwarded),
        (Adopted | Forwarded | Concluded, Step::Instruct) => Ok(status),
        (Forwarded | Concluded, Step::Feedback) => Ok(Concluded),
        (s, step) => Err(refuse(
            "opinion.illegal_transition",
            format!(
                "社情民意信息当前状态为“{}”，不能{}",
                s.label(),
                step.label()
            ),
        )),
    }
}

/// Whether a report in `target_status` can absorb report `source` (which must be under
/// review). A merged report is never a target, so merges cannot form a cycle.
pub fn check_merge(source: i64, target: i64, target_status: Status) -> Result<(), StepError> {
    if source == target {
        return Err(refuse("opinion.merge_self", "不能合并到自身"));
    }
    match target_status {
        Status::Submitted | Status::Adopted | Status::Forwarded | Status::Concluded => Ok(()),
        Status::Merged => Err(refuse(
            "opinion.merge_cycle",
            "目标信息已合并到其他信息，请合并到最终保留的那一篇",
        )),
        s => Err(refuse(
            "opinion.merge_target",
            format!("目标信息状态为“{}”，不能作为合并目标", s.label()),
        )),
    }
}

/// One issue per report: above this many characters the author is warned (not refused).
pub const ONE_ISSUE_CHARS: usize = 1500;

pub fn length_warning(body: &str) -> Option<String> {
    let n = body.chars().count();
    (n > ONE_ISSUE_CHARS).then(|| {
        format!("正文{n}字，超过{ONE_ISSUE_CHARS}字。社情民意信息宜“一事一报”，请考虑精简或拆分。")
    })
}

/// The characters that carry meaning: letters and CJK, not spaces or punctuation.
fn meaningful(s: &str) -> Vec<char> {
    s.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// The set of adjacent character pairs of a text — robust for Chinese without segmentation.
fn bigrams(s: &str) -> std::collections::HashSet<(char, char)> {
    let cs = meaningful(s);
    cs.windows(2).map(|w| (w[0], w[1])).collect()
}

/// How alike two texts are, 0.0 to 1.0 (Dice coefficient over character bigrams). Simple on
/// purpose: it finds reports about the same matter; the text-intelligence work improves it.
pub fn similarity(a: &str, b: &str) -> f64 {
    similarity_of(&bigrams(a), &bigrams(b))
}

fn similarity_of(
    a: &std::collections::HashSet<(char, char)>,
    b: &std::collections::HashSet<(char, char)>,
) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let common = a.intersection(b).count();
    2.0 * common as f64 / (a.len() + b.len()) as f64
}

/// The `n` candidates most like `text` (id, score), best first; only scores ≥ `min`.
pub fn most_similar<'a>(
    text: &str,
    candidates: impl IntoIterator<Item = (i64, &'a str)>,
    n: usize,
    min: f64,
) -> Vec<(i64, f64)> {
    let me = bigrams(text);
    let mut scored: Vec<(i64, f64)> = candidates
        .into_iter()
        .map(|(id, t)| (id, similarity_of(&me, &bigrams(t))))
        .filter(|(_, s)| *s >= min)
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    scored.truncate(n);
    scored
}

/// What the people whose concerns grew into a report read on their status page: plain
/// words, no internal details (no reviewer, no decline reason, no unit's internal notes).
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub status: Option<Status>,
    pub level: Option<Level>,
    pub instructions: Vec<InstructionLevel>,
    /// What was done, as the office chose to tell the public.
    pub public_feedback: Vec<String>,
}

pub fn public_lines(o: &Outcome) -> Vec<String> {
    let mut out = vec!["委员已将您反映的问题整理为社情民意信息".to_string()];
    match o.status {
        Some(Status::Submitted) => out.push("信息已提交政协机关审核".into()),
        Some(Status::Merged) => out.push("信息已与反映同类问题的信息合并报送审核".into()),
        Some(Status::Declined) => out.push("信息经审核未被采用，委员将继续关注".into()),
        _ => {}
    }
    if let Some(level) = o.level {
        out.push(format!("信息已被采用（采用层级：{}）", level.label()));
    }
    if matches!(o.status, Some(Status::Forwarded | Status::Concluded)) {
        out.push("信息已报送有关部门".into());
    }
    for l in &o.instructions {
        out.push(format!("信息获得{}领导批示", l.label()));
    }
    for f in &o.public_feedback {
        out.push(format!("有关部门办理情况：{f}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn step_strategy() -> impl Strategy<Value = Step> {
        prop_oneof![
            Just(Step::Edit),
            Just(Step::Submit),
            Just(Step::Adopt(Level::PartyGovernment)),
            Just(Step::Decline),
            Just(Step::Merge),
            Just(Step::ReturnForRevision),
            Just(Step::Forward),
            Just(Step::Instruct),
            Just(Step::Feedback),
        ]
    }

    proptest! {
        #[test]
        fn random_walks_stay_in_the_machine(steps in proptest::collection::vec(step_strategy(), 0..40)) {
            let mut s = Status::Draft;
            let mut ever_adopted = false;
            for step in steps {
                let before = s;
                if let Ok(next) = apply(s, step) {
                    // Instructions and feedback only ever reach adopted reports.
                    if matches!(step, Step::Instruct | Step::Feedback | Step::Forward) {
                        prop_assert!(ever_adopted, "{step:?} from {before:?}");
                    }
                    if matches!(step, Step::Adopt(_)) {
                        prop_assert_eq!(before, Status::Submitted);
                        ever_adopted = true;
                    }
                    s = next;
                }
            }
            // Terminal states stay terminal.
            for step in [Step::Submit, Step::Edit, Step::Adopt(Level::Committee)] {
                if matches!(s, Status::Declined | Status::Merged) {
                    prop_assert!(apply(s, step).is_err());
                }
            }
        }

        #[test]
        fn similarity_is_symmetric_and_bounded(a in "[一二三四五六七八九十路灯水]{0,30}", b in "[一二三四五六七八九十路灯水]{0,30}") {
            let s = similarity(&a, &b);
            prop_assert!((0.0..=1.0).contains(&s));
            prop_assert!((s - similarity(&b, &a)).abs() < 1e-12);
        }
    }

    #[test]
    fn adopting_twice_is_refused() {
        let s = apply(Status::Submitted, Step::Adopt(Level::Committee)).unwrap();
        let e = apply(s, Step::Adopt(Level::National)).unwrap_err();
        assert_eq!(e.code, "opinion.illegal_transition");
        assert!(e.message.contains("已采用"));
    }

    #[test]
    fn merges_cannot_form_cycles() {
        // A into B: fine while B is under review.
        assert!(check_merge(1, 2, Status::Submitted).is_ok());
        // B (now the survivor) cannot go into A, which is merged.
        assert_eq!(
            check_merge(2, 1, Status::Merged).unwrap_err().code,
            "opinion.merge_cycle"
        );
        assert_eq!(
            check_merge(3, 3, Status::Submitted).unwrap_err().code,
            "opinion.merge_self"
        );
        assert!(check_merge(3, 4, Status::Draft).is_err());
    }

    #[test]
    fn similar_reports_rank_first() {
        let text = "建议加快老旧小区加装电梯工作，解决老年人上下楼难问题";
        let cands = [
            (1, "关于中小学课后服务收费的建议"),
            (2, "老旧小区加装电梯进度慢，老年人上下楼难"),
            (3, "加装电梯"),
        ];
        let top = most_similar(text, cands, 2, 0.05);
        assert_eq!(top[0].0, 2);
        assert!(top.iter().all(|(id, _)| *id != 1));
    }

    #[test]
    fn long_bodies_warn_short_ones_do_not() {
        assert!(length_warning(&"字".repeat(1500)).is_none());
        assert!(length_warning(&"字".repeat(1501)).unwrap().contains("1501"));
    }

    #[test]
    fn the_public_reads_outcomes_without_internal_details() {
        let lines = public_lines(&Outcome {
            status: Some(Status::Concluded),
            level: Some(Level::PartyGovernment),
            instructions: vec![InstructionLevel::City],
            public_feedback: vec!["已完成路灯维修".into()],
        });
        let all = lines.join("\n");
        assert!(all.contains("同级党委政府"));
        assert!(all.contains("市级领导批示"));
        assert!(all.contains("已完成路灯维修"));
    }
}
