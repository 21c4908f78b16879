//! Scoring a member's year of duty (履职积分) by published rules (R9).
//!
//! The rules are data: a committee's rule file per year (TOML, see `scoring_default.toml`,
//! which reproduces published rules and cites them). [`RuleSet::parse`] validates a file and
//! reports every problem with its line. [`score`] turns a member's duty-log entries into a
//! score whose every point is explained: which entry, which rule, which cap. The total shown
//! on the member's page is the total in rankings and reports because both are this function.
//!
//! Points are kept in hundredths (`centi`), so that a joint proposal's halves and shares add
//! up to exactly the whole.

use std::collections::{BTreeSet, HashMap, HashSet};

use serde::Deserialize;
use toml::Spanned;

/// Entry kinds the duty log writes; a rule may only name these.
pub const ENTRY_KINDS: &[(&str, &str)] = &[
    ("plenary.attended", "出席全体会议"),
    ("plenary.excused", "全体会议请假"),
    ("plenary.unexcused", "全体会议无故缺席"),
    ("plenary.late", "全体会议迟到或早退"),
    ("standing.attended", "出席常委会议"),
    ("standing.excused", "常委会议请假"),
    ("standing.unexcused", "常委会议无故缺席"),
    ("meeting.attended", "出席其他会议"),
    ("meeting.unexcused", "其他会议无故缺席"),
    (
        "activity.attended",
        "参加视察、调研、协商、培训、界别或工作室活动",
    ),
    ("activity.unexcused", "活动无故缺席"),
    ("inspection.attended", "参加视察调研"),
    ("speech.written", "书面或大会发言"),
    ("proposal.submitted", "提交提案"),
    ("proposal.accepted", "提案立案"),
    (
        "proposal.extra_accepted",
        "第二件起的立案提案（第一提案人）",
    ),
    ("proposal.key", "重点提案"),
    ("proposal.excellent", "优秀提案"),
    ("opinion.submitted", "报送社情民意信息"),
    ("opinion.adopted", "社情民意信息被本级采用"),
    ("opinion.adopted_upper", "被上级政协或同级党委政府采用"),
    ("opinion.adopted_national", "被全国政协或中央部门采用"),
    ("opinion.instructed_city", "获市级领导批示"),
    ("opinion.instructed_central", "获中央领导批示"),
    ("concern.answered", "答复界别群众诉求"),
    ("reception.held", "工作室接待群众"),
    ("service.volunteer", "公益或志愿服务"),
    ("service.sustained", "结对帮扶或服务重点项目"),
    ("reading.note", "提交读书心得"),
    ("policy.required_read", "阅读必读文件"),
    ("honour.national", "获国家级表彰"),
    ("honour.provincial", "获省级表彰"),
    ("honour.prefecture", "获地市级表彰"),
    ("honour.city", "获县市级表彰"),
];

pub fn entry_label(kind: &str) -> &'static str {
    ENTRY_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

/// A problem in a rule file, with its line (1-based; 0 when it concerns the whole file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "第 {} 行：{}", self.line, self.message)
        } else {
            write!(f, "{}", self.message)
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    name: Spanned<String>,
    #[serde(default)]
    base: Option<f64>,
    pass: Spanned<f64>,
    #[serde(default)]
    floor: Option<Spanned<f64>>,
    #[serde(default)]
    tier: Vec<Spanned<RawTier>>,
    #[serde(default)]
    category: Vec<Spanned<RawCategory>>,
    #[serde(default)]
    rule: Vec<Spanned<RawRule>>,
    #[serde(default)]
    gate: Option<Spanned<RawGate>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    name: String,
    min: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    code: String,
    name: String,
    cap: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    entry: Spanned<String>,
    category: Option<Spanned<String>>,
    points: Spanned<f64>,
    #[serde(default)]
    role: Option<Spanned<String>>,
    #[serde(default)]
    split: bool,
    #[serde(default)]
    once_per_subject: bool,
    #[serde(default)]
    once_per_year: bool,
    #[serde(default)]
    standing_only: bool,
    #[serde(default)]
    note: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGate {
    cap_tier: Spanned<String>,
    require: Vec<Spanned<RawRequirement>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequirement {
    name: String,
    any_of: Vec<Spanned<String>>,
    min: u32,
}

/// A role an entry carries for its member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryRole {
    Lead,
    Joint,
    Participant,
}

impl EntryRole {
    pub fn parse(s: &str) -> Option<EntryRole> {
        match s {
            "lead" | "collective" => Some(EntryRole::Lead),
            "joint" => Some(EntryRole::Joint),
            "participant" => Some(EntryRole::Participant),
            _ => None,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            EntryRole::Lead => "lead",
            EntryRole::Joint => "joint",
            EntryRole::Participant => "participant",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tier {
    pub name: String,
    pub min_centi: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Category {
    pub code: String,
    pub name: String,
    pub cap_centi: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Where the rule is in its file: how a score line names it.
    pub line: usize,
    pub entry: String,
    /// None: outside every category (a deduction or an uncapped bonus).
    pub category: Option<String>,
    pub centi: i64,
    pub role: Option<EntryRole>,
    /// A joint work's points are split: the first proposer half, the others the rest.
    pub split: bool,
    pub once_per_subject: bool,
    pub once_per_year: bool,
    pub standing_only: bool,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Requirement {
    pub name: String,
    pub any_of: Vec<String>,
    pub min: u32,
}

/// A validated rule set.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    pub name: String,
    pub base_centi: i64,
    pub pass_centi: i64,
    /// The total never goes below this (deductions stop there).
    pub floor_centi: i64,
    /// Best first.
    pub tiers: Vec<Tier>,
    pub categories: Vec<Category>,
    pub rules: Vec<Rule>,
    pub gate: Vec<Requirement>,
    /// The best tier a member who misses the gate can reach.
    pub gate_cap_tier: Option<String>,
    /// The rules of each entry kind, by index into `rules` in file order: scoring a year of
    /// a national committee looks this up tens of millions of times.
    by_entry: HashMap<String, Vec<usize>>,
    /// Each rule's category, by index into `categories` (None: outside every category).
    category_of: Vec<Option<usize>>,
}

fn centi(x: f64) -> i64 {
    (x * 100.0).round() as i64
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

impl RuleSet {
    /// Parse and check a rule file; every problem is reported with its line.
    pub fn parse(text: &str) -> Result<RuleSet, Vec<RuleError>> {
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            vec![RuleError {
                line: e.span().map(|s| line_of(text, s.start)).unwrap_or(0),
                message: format!("格式错误：{}", e.message().trim()),
            }]
        })?;
        let mut errors = Vec::new();
        let at = |span: std::ops::Range<usize>| line_of(text, span.start);
        let mut err = |line: usize, message: String| errors.push(RuleError { line, message });

        if raw.name.get_ref().trim().is_empty() {
            err(at(raw.name.span()), "规则名称不能为空".into());
        }
        let mut categories = Vec::new();
        let mut codes = BTreeSet::new();
        for c in &raw.category {
            let line = at(c.span());
            let cr = c.get_ref();
            if !codes.insert(cr.code.clone()) {
                err(line, format!("类别“{}”重复", cr.code));
            }
            if let Some(cap) = &cr.cap
                && *cap.get_ref() < 0.0
            {
                err(at(cap.span()), format!("类别“{}”的上限不能为负数", cr.name));
            }
            categories.push(Category {
                code: cr.code.clone(),
                name: cr.name.clone(),
                cap_centi: cr.cap.as_ref().map(|c| centi(*c.get_ref())),
            });
        }
        let mut rules = Vec::new();
        for r in &raw.rule {
            let line = at(r.span());
            let rr = r.get_ref();
            let entry = rr.entry.get_ref();
            if !ENTRY_KINDS.iter().any(|(k, _)| k == entry) {
                err(at(rr.entry.span()), format!("未知的履职记录类型“{entry}”"));
            }
            let role = match &rr.role {
                Some(role) => match EntryRole::parse(role.get_ref()) {
                    Some(x) => Some(x),
                    None => {
                        err(
                            at(role.span()),
                            format!(
                                "未知的角色“{}”（可用 lead、joint、participant）",
                                role.get_ref()
                            ),
                        );
                        None
                    }
                },
                None => None,
            };
            let points = centi(*rr.points.get_ref());
            let category = rr.category.as_ref().map(|c| c.get_ref().clone());
            if let Some(c) = &rr.category {
                match categories.iter().find(|x| &x.code == c.get_ref()) {
                    None => err(at(c.span()), format!("未定义的类别“{}”", c.get_ref())),
                    Some(cat) => {
                        if let Some(cap) = cat.cap_centi
                            && cap >= 0
                            && points > cap
                        {
                            err(
                                at(rr.points.span()),
                                format!(
                                    "一项 {} 分超过了类别“{}”的上限 {} 分",
                                    points as f64 / 100.0,
                                    cat.name,
                                    cap as f64 / 100.0
                                ),
                            );
                        }
                        if points < 0 {
                            err(
                                at(rr.points.span()),
                                "扣分规则不属于任何类别（去掉 category）".into(),
                            );
                        }
                    }
                }
            }
            rules.push(Rule {
                line,
                entry: entry.clone(),
                category,
                centi: points,
                role,
                split: rr.split,
                once_per_subject: rr.once_per_subject,
                once_per_year: rr.once_per_year,
                standing_only: rr.standing_only,
                note: rr.note.clone(),
            });
        }
        let mut tiers: Vec<Tier> = raw
            .tier
            .iter()
            .map(|t| Tier {
                name: t.get_ref().name.clone(),
                min_centi: centi(t.get_ref().min),
            })
            .collect();
        tiers.sort_by_key(|t| std::cmp::Reverse(t.min_centi));
        if tiers.is_empty() {
            err(0, "至少需要一个等次（[[tier]]）".into());
        } else if tiers.last().is_some_and(|t| t.min_centi > 0) {
            err(
                raw.tier.first().map(|t| at(t.span())).unwrap_or(0),
                "最低等次的分数下限应为 0，否则有人无等次".into(),
            );
        }
        let mut gate = Vec::new();
        let mut gate_cap_tier = None;
        if let Some(g) = &raw.gate {
            let gr = g.get_ref();
            if !tiers.iter().any(|t| &t.name == gr.cap_tier.get_ref()) {
                err(
                    at(gr.cap_tier.span()),
                    format!("未定义的等次“{}”", gr.cap_tier.get_ref()),
                );
            }
            gate_cap_tier = Some(gr.cap_tier.get_ref().clone());
            for req in &gr.require {
                let rq = req.get_ref();
                for k in &rq.any_of {
                    if !ENTRY_KINDS.iter().any(|(e, _)| e == k.get_ref()) {
                        err(at(k.span()), format!("未知的履职记录类型“{}”", k.get_ref()));
                    }
                }
                gate.push(Requirement {
                    name: rq.name.clone(),
                    any_of: rq.any_of.iter().map(|k| k.get_ref().clone()).collect(),
                    min: rq.min,
                });
            }
        }
        if *raw.pass.get_ref() < 0.0 {
            err(at(raw.pass.span()), "及格分不能为负数".into());
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.line);
            return Err(errors);
        }
        let mut by_entry: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in rules.iter().enumerate() {
            by_entry.entry(r.entry.clone()).or_default().push(i);
        }
        let category_of = rules
            .iter()
            .map(|r| {
                r.category
                    .as_ref()
                    .and_then(|c| categories.iter().position(|x| &x.code == c))
            })
            .collect();
        Ok(RuleSet {
            by_entry,
            category_of,
            name: raw.name.into_inner(),
            base_centi: centi(raw.base.unwrap_or(0.0)),
            pass_centi: centi(*raw.pass.get_ref()),
            floor_centi: raw.floor.map(|f| centi(f.into_inner())).unwrap_or(0),
            tiers,
            categories,
            rules,
            gate,
            gate_cap_tier,
        })
    }

    /// The default rules, synthesised from published rules (see the file's comments).
    pub fn default_rules() -> &'static str {
        include_str!("scoring_default.toml")
    }
}

/// One duty-log entry as the engine sees it, borrowing its text from wherever the entries
/// were read (a full rescore reads millions: no copies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry<'a> {
    pub id: i64,
    pub kind: &'a str,
    pub role: EntryRole,
    /// What it is about (`proposal:12`): the unit of "count once".
    pub subject: &'a str,
    /// For a joint work: how many joint authors there are besides the lead, and this
    /// member's place among them (0-based); the lead has `joint_index` 0.
    pub joint_count: u32,
    pub joint_index: u32,
}

/// One line of an explained score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub entry_id: Option<i64>,
    /// The rule's line in the rule file (None: a cap).
    pub rule_line: Option<usize>,
    pub category: Option<String>,
    pub centi: i64,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Score {
    pub total_centi: i64,
    pub lines: Vec<Line>,
    /// Per category: (code, before cap, after cap).
    pub categories: Vec<(String, i64, i64)>,
    pub tier: String,
    pub passed: bool,
    /// The minimum requirements not met (names).
    pub missing: Vec<String>,
}

/// A joint work's `whole` split: the lead half (rounded down), the joint authors share the
/// rest, the odd hundredths going to the first of them. The parts always add up to `whole`.
pub fn split_share(whole: i64, role: EntryRole, joint_count: u32, joint_index: u32) -> i64 {
    if joint_count == 0 {
        return if role == EntryRole::Lead { whole } else { 0 };
    }
    let lead = whole / 2;
    match role {
        EntryRole::Lead => lead,
        _ => {
            let rest = whole - lead;
            let n = i64::from(joint_count);
            let i = i64::from(joint_index);
            if i >= n {
                return 0;
            }
            rest / n + i64::from(i < rest % n)
        }
    }
}

/// A member's score for the year from their entries, every point explained.
pub fn score(rules: &RuleSet, entries: &[Entry<'_>], standing: bool) -> Score {
    let mut lines = Vec::new();
    let t = tally(rules, entries, standing, Some(&mut lines));
    Score {
        total_centi: t.total_centi,
        lines,
        categories: t.categories,
        tier: t.tier,
        passed: t.passed,
        missing: t.missing,
    }
}

/// What a score comes to, without the lines: the same computation as [`score`] (one code
/// path), for scoring every member of a committee at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Total {
    pub total_centi: i64,
    /// Per category: (code, before cap, after cap).
    pub categories: Vec<(String, i64, i64)>,
    pub tier: String,
    pub passed: bool,
    pub missing: Vec<String>,
}

pub fn total(rules: &RuleSet, entries: &[Entry<'_>], standing: bool) -> Total {
    tally(rules, entries, standing, None)
}

/// The engine. With `lines`, every point is written down as it is given.
fn tally(
    rules: &RuleSet,
    entries: &[Entry<'_>],
    standing: bool,
    mut lines: Option<&mut Vec<Line>>,
) -> Total {
    // Order never matters: work on the entries sorted by id.
    let mut entries: Vec<&Entry> = entries.iter().collect();
    entries.sort_unstable_by(|a, b| a.id.cmp(&b.id).then(a.kind.cmp(b.kind)));
    // Points per category (by index) before caps, and points outside every category.
    let mut raw = vec![0i64; rules.categories.len()];
    let mut outside = 0i64;
    let mut seen_subject: HashSet<(usize, &str)> = HashSet::new();
    let mut seen_year: HashSet<usize> = HashSet::new();
    for e in &entries {
        let of_kind = rules.by_entry.get(e.kind).map(Vec::as_slice).unwrap_or(&[]);
        for (i, r) in of_kind.iter().map(|i| (*i, &rules.rules[*i])) {
            if r.role.is_some_and(|role| role != e.role) || (r.standing_only && !standing) {
                continue;
            }
            if r.once_per_year && !seen_year.insert(r.line) {
                continue;
            }
            if r.once_per_subject && !seen_subject.insert((r.line, e.subject)) {
                continue;
            }
            let centi = if r.split {
                split_share(r.centi, e.role, e.joint_count, e.joint_index)
            } else {
                r.centi
            };
            match rules.category_of[i] {
                Some(c) => raw[c] += centi,
                None => outside += centi,
            }
            if let Some(lines) = lines.as_deref_mut() {
                lines.push(Line {
                    entry_id: Some(e.id),
                    rule_line: Some(r.line),
                    category: r.category.clone(),
                    centi,
                    note: r
                        .note
                        .clone()
                        .unwrap_or_else(|| entry_label(e.kind).to_string()),
                });
            }
        }
    }
    let mut categories = Vec::with_capacity(rules.categories.len());
    let mut total = rules.base_centi;
    for (c, raw) in rules.categories.iter().zip(raw) {
        let capped = c.cap_centi.map(|cap| raw.min(cap)).unwrap_or(raw);
        if capped != raw
            && let Some(lines) = lines.as_deref_mut()
        {
            lines.push(Line {
                entry_id: None,
                rule_line: None,
                category: Some(c.code.clone()),
                centi: capped - raw,
                note: format!("{}封顶 {} 分", c.name, capped as f64 / 100.0),
            });
        }
        categories.push((c.code.clone(), raw, capped));
        total += capped;
    }
    total += outside;
    let total = total.max(rules.floor_centi);
    let mut counts: HashMap<&str, u32> = HashMap::new();
    for e in &entries {
        *counts.entry(e.kind).or_default() += 1;
    }
    let missing: Vec<String> = rules
        .gate
        .iter()
        .filter(|q| {
            q.any_of
                .iter()
                .map(|k| counts.get(k.as_str()).copied().unwrap_or(0))
                .sum::<u32>()
                < q.min
        })
        .map(|q| q.name.clone())
        .collect();
    let by_points = rules
        .tiers
        .iter()
        .position(|t| total >= t.min_centi)
        .unwrap_or(rules.tiers.len().saturating_sub(1));
    let tier_index = match (&rules.gate_cap_tier, missing.is_empty()) {
        (Some(cap), false) => {
            let cap_index = rules.tiers.iter().position(|t| &t.name == cap).unwrap_or(0);
            by_points.max(cap_index)
        }
        _ => by_points,
    };
    Total {
        total_centi: total,
        categories,
        tier: rules
            .tiers
            .get(tier_index)
            .map(|t| t.name.clone())
            .unwrap_or_default(),
        passed: total >= rules.pass_centi,
        missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rules() -> RuleSet {
        RuleSet::parse(RuleSet::default_rules()).expect("the default rules are valid")
    }

    const SUBJECTS: [&str; 6] = ["s:0", "s:1", "s:2", "s:3", "s:4", "s:5"];

    fn entry(id: i64, kind: &str) -> Entry<'_> {
        Entry {
            id,
            kind,
            role: EntryRole::Lead,
            // Each its own subject, as in the duty log (leaked: a test's few bytes).
            subject: Box::leak(format!("s:{id}").into_boxed_str()),
            joint_count: 0,
            joint_index: 0,
        }
    }

    #[test]
    fn the_default_rules_reproduce_the_published_points() {
        let r = rules();
        // 桐城 2019: full plenary 50; proposals submitted 10 + accepted 15, cap 25;
        // opinion report 10 + adopted 5, cap 15; activities 2 each, cap 10.
        let s = score(&r, &[entry(1, "plenary.attended")], false);
        assert_eq!(s.total_centi, 5000);
        let p = [
            entry(2, "proposal.submitted"),
            entry(3, "proposal.accepted"),
            entry(4, "proposal.submitted"),
            entry(5, "proposal.accepted"),
        ];
        let s = score(&r, &p, false);
        assert_eq!(s.total_centi, 2500, "proposals cap at 25");
        assert!(
            s.lines
                .iter()
                .any(|l| l.entry_id.is_none() && l.centi == -2500)
        );
        let acts: Vec<Entry> = (10..20).map(|i| entry(i, "activity.attended")).collect();
        assert_eq!(
            score(&r, &acts, false).total_centi,
            1000,
            "activities cap at 10"
        );
        // 济南 2015: unexcused plenary −10 overall, outside the caps.
        let s = score(
            &r,
            &[entry(1, "plenary.unexcused"), entry(2, "opinion.submitted")],
            false,
        );
        assert_eq!(s.total_centi, 0, "10 − 10, and never below the floor");
        // Standing-committee deductions apply to standing members only.
        let e = [entry(1, "plenary.attended"), entry(2, "standing.unexcused")];
        assert_eq!(score(&r, &e, true).total_centi, 4500);
        assert_eq!(score(&r, &e, false).total_centi, 5000);
    }

    #[test]
    fn tiers_and_the_minimum_requirements() {
        let r = rules();
        let mut full: Vec<Entry> = vec![
            entry(1, "plenary.attended"),
            entry(2, "proposal.submitted"),
            entry(3, "proposal.accepted"),
            entry(4, "opinion.submitted"),
            entry(5, "opinion.adopted"),
            entry(6, "inspection.attended"),
        ];
        full.extend((10..14).map(|i| entry(i, "activity.attended")));
        let s = score(&r, &full, false);
        assert!(s.missing.is_empty(), "{:?}", s.missing);
        assert_eq!(s.total_centi, 50_00 + 25_00 + 15_00 + 10_00);
        assert_eq!(s.tier, "优秀");
        // The same points without an inspection: the gate holds the grade at 称职.
        let without: Vec<Entry> = full
            .iter()
            .filter(|e| e.kind != "inspection.attended")
            .cloned()
            .chain((20..21).map(|i| entry(i, "activity.attended")))
            .collect();
        let s = score(&r, &without, false);
        assert_eq!(s.missing, vec!["至少参加一次视察或调研".to_string()]);
        assert_eq!(s.tier, "称职");
        assert_eq!(score(&r, &[], false).tier, "不称职");
    }

    #[test]
    fn rule_files_are_checked_line_by_line() {
        let bad = "name = \"x\"\npass = 60\n[[tier]]\nname = \"称职\"\nmin = 0\n[[category]]\ncode = \"m\"\nname = \"会议\"\ncap = -5\n[[rule]]\nentry = \"plenary.attended\"\ncategory = \"m\"\npoints = 50\n[[rule]]\nentry = \"plenary.sleeping\"\npoints = 1\n";
        let errs = RuleSet::parse(bad).unwrap_err();
        let lines: Vec<usize> = errs.iter().map(|e| e.line).collect();
        assert!(lines.contains(&9), "negative cap on line 9: {errs:?}");
        assert!(
            lines.contains(&15),
            "unknown entry kind on line 15: {errs:?}"
        );
        let over = "name = \"x\"\npass = 60\n[[tier]]\nname = \"称职\"\nmin = 0\n[[category]]\ncode = \"m\"\nname = \"会议\"\ncap = 10\n[[rule]]\nentry = \"plenary.attended\"\ncategory = \"m\"\npoints = 50\n";
        let errs = RuleSet::parse(over).unwrap_err();
        assert_eq!(errs[0].line, 13, "{errs:?}");
        assert!(errs[0].message.contains("超过"));
        let syntax = RuleSet::parse("name = \"x\"\npass = = 60\n").unwrap_err();
        assert_eq!(syntax[0].line, 2, "{syntax:?}");
    }

    fn entries() -> impl Strategy<Value = Vec<Entry<'static>>> {
        let kinds: Vec<&'static str> = ENTRY_KINDS.iter().map(|(k, _)| *k).collect();
        prop::collection::vec(
            (prop::sample::select(kinds), 0u32..3, 0u32..3, 0i64..6),
            0..60,
        )
        .prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (k, jc, ji, subj))| Entry {
                    id: i as i64 + 1,
                    kind: k,
                    role: if ji == 0 {
                        EntryRole::Lead
                    } else {
                        EntryRole::Joint
                    },
                    subject: SUBJECTS[subj as usize],
                    joint_count: jc,
                    joint_index: ji.saturating_sub(1).min(jc.saturating_sub(1)),
                })
                .collect()
        })
    }

    proptest! {
        /// No category ever counts more than its cap, and the lines add up to the total.
        #[test]
        fn caps_hold_and_lines_add_up(es in entries(), standing: bool) {
            let r = rules();
            let s = score(&r, &es, standing);
            for (code, _, capped) in &s.categories {
                let cap = r.categories.iter().find(|c| &c.code == code).and_then(|c| c.cap_centi);
                if let Some(cap) = cap { prop_assert!(*capped <= cap); }
            }
            let sum: i64 = r.base_centi + s.lines.iter().map(|l| l.centi).sum::<i64>();
            prop_assert_eq!(s.total_centi, sum.max(r.floor_centi));
        }

        /// Scoring without the lines comes to exactly what the explained score does.
        #[test]
        fn total_without_lines_is_the_explained_total(es in entries(), standing: bool) {
            let r = rules();
            let s = score(&r, &es, standing);
            let t = total(&r, &es, standing);
            prop_assert_eq!(
                (s.total_centi, s.categories, s.tier, s.passed, s.missing),
                (t.total_centi, t.categories, t.tier, t.passed, t.missing)
            );
        }

        /// The order entries arrive in never changes the score.
        #[test]
        fn order_does_not_matter(es in entries(), seed: u64) {
            let r = rules();
            let mut shuffled = es.clone();
            let n = shuffled.len();
            if n > 1 {
                let mut x = seed;
                for i in (1..n).rev() {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    shuffled.swap(i, (x >> 33) as usize % (i + 1));
                }
            }
            prop_assert_eq!(score(&r, &es, false), score(&r, &shuffled, false));
        }

        /// A joint work's shares add up to the whole, for any number of co-authors.
        #[test]
        fn joint_splits_sum_to_the_whole(whole in 0i64..100_000, n in 0u32..40) {
            let mut sum = split_share(whole, EntryRole::Lead, n, 0);
            for i in 0..n { sum += split_share(whole, EntryRole::Joint, n, i); }
            prop_assert_eq!(sum, whole);
        }
    }
}
