//! The annual statistical report on members' duty to the standing committee (R10): every
//! member's score (the same totals as the archive and the rankings), participation and score
//! distribution by sector and by special committee, the minimum requirements, concerns,
//! opinion reports, proposals, activities and studios — the basis for re-appointment.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, NaiveDate, TimeZone, Utc};
use lianxin_domain::access::{Granted, ManageDutyYear};
use lianxin_domain::opinion::{InstructionLevel, Level};
use lianxin_report::{Annual, Cell, Chart, Section};
use lianxin_store::Conn;
use lianxin_store::annual::{self as store, Counted, Span};
use lianxin_store::duty::MemberLine;

use super::scores::{Kept, kept_scores, no_rules, rules_of};
use crate::opinions::bulletins::{china, fonts};
use crate::{App, Error, Result, now};

/// The year in China's time as a span of UTC instants.
fn span(year: i64) -> Span {
    let start = |y: i64| {
        NaiveDate::from_ymd_opt(y as i32, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| Utc.from_utc_datetime(&d) - chrono::Duration::hours(8))
            .unwrap_or_else(Utc::now)
    };
    Span {
        from: start(year),
        to: start(year + 1),
    }
}

fn pct(part: usize, whole: usize) -> Cell {
    if whole == 0 {
        Cell::Num(0.0)
    } else {
        Cell::Num((part as f64 * 10_000.0 / whole as f64).round() / 100.0)
    }
}

fn points(centi: i64) -> Cell {
    Cell::Num(centi as f64 / 100.0)
}

fn section(sheet: &str, title: &str, headers: &[&str], rows: Vec<Vec<Cell>>) -> Section {
    Section {
        sheet: sheet.into(),
        title: title.into(),
        note: String::new(),
        headers: headers.iter().map(|h| h.to_string()).collect(),
        rows,
        chart: None,
    }
}

fn with_chart(mut s: Section, title: &str, label: usize, value: usize) -> Section {
    s.chart = Some(Chart {
        title: title.into(),
        label_column: label,
        value_column: value,
    });
    s
}

/// Participation and scores of a group of members: (members, with any duty, average,
/// highest, lowest, passed).
fn group_row(name: &str, group: &[&(MemberLine, Kept, usize)]) -> Vec<Cell> {
    let n = group.len();
    let active = group.iter().filter(|(_, _, e)| *e > 0).count();
    let totals: Vec<i64> = group.iter().map(|(_, s, _)| s.total_centi).collect();
    let avg = if n == 0 {
        0
    } else {
        totals.iter().sum::<i64>() / n as i64
    };
    vec![
        Cell::text(name),
        Cell::int(n as i64),
        Cell::int(active as i64),
        pct(active, n),
        points(avg),
        points(totals.iter().copied().max().unwrap_or(0)),
        points(totals.iter().copied().min().unwrap_or(0)),
        Cell::int(group.iter().filter(|(_, s, _)| s.passed).count() as i64),
    ]
}

const GROUP_HEADERS: &[&str] = &[
    "名称",
    "委员数",
    "有履职记录",
    "参与率(%)",
    "平均积分",
    "最高分",
    "最低分",
    "达到及格线",
];

fn count(rows: &[Counted], key: &str) -> i64 {
    rows.iter()
        .filter(|r| r.key.as_deref() == Some(key))
        .map(|r| r.n)
        .sum()
}

/// Build the report of the grant's committee's year (the office's; the CLI runs it as the
/// system actor of the committee it names).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn build(app: &App, g: &Granted<ManageDutyYear>, year: i64) -> Result<Annual> {
    let committee_id = g.committee_id();
    let committee = crate::committees::get(app, committee_id)
        .await?
        .map(|c| c.1)
        .unwrap_or_default();
    let mut conn = app.db.acquire().await?;
    let c = &mut conn.conn();
    let y = rules_of(c, committee_id, year)
        .await?
        .ok_or_else(|| no_rules(year))?;
    let members = kept_scores(c, committee_id, &y).await?;
    let s = span(year);
    let mut sections = vec![
        by_sector(&members),
        by_special_committee(c, committee_id, &members).await?,
        requirements(&members),
        concerns(c, committee_id, &s).await?,
        opinion_reports(c, committee_id, &s).await?,
        proposals(c, committee_id, year).await?,
        activities(c, committee_id, &s).await?,
        studios(c, committee_id, year, &s).await?,
        appraisal(c, committee_id, year).await?,
    ];
    sections.push(tiers(&y.rules, &members));
    sections.push(appendix(&members));
    let n = members.len();
    let total: i64 = members.iter().map(|(_, s, _)| s.total_centi).sum();
    let overview = vec![
        ("委员人数".to_string(), n.to_string()),
        (
            "履职记录（条）".into(),
            members.iter().map(|(_, _, e)| e).sum::<usize>().to_string(),
        ),
        (
            "有履职记录的委员".into(),
            members
                .iter()
                .filter(|(_, _, e)| *e > 0)
                .count()
                .to_string(),
        ),
        (
            "平均积分".into(),
            points(if n == 0 { 0 } else { total / n as i64 }).shown(),
        ),
        (
            "达到及格线".into(),
            members
                .iter()
                .filter(|(_, s, _)| s.passed)
                .count()
                .to_string(),
        ),
        (
            "达到“三个一”基本要求".into(),
            members
                .iter()
                .filter(|(_, s, _)| s.missing.is_empty())
                .count()
                .to_string(),
        ),
    ];
    let closed = y.row.closed_at.is_some();
    Ok(Annual {
        committee,
        year,
        title: format!("{year}年度委员履职情况统计报告"),
        generated: china(now()).format("%Y年%m月%d日").to_string(),
        rules_name: y.rules.name.clone(),
        status: if closed {
            "年度已关闭：积分为关闭时冻结的结果".into()
        } else {
            "年度尚未关闭：数据截至报告生成时".into()
        },
        overview,
        sections,
    })
}

/// The democratic appraisal: each graded member's votes and rates.
async fn appraisal(c: &mut Conn<'_>, committee_id: i64, year: i64) -> Result<Section> {
    use lianxin_domain::appraisal::Grade;
    let round = super::appraisal::round_of(c, committee_id, year).await?;
    let rate = |r: Option<f64>| r.map_or(Cell::text("—"), Cell::Num);
    let rows = round
        .lines
        .iter()
        .map(|l| {
            let mut row = vec![
                Cell::text(&l.member.name),
                Cell::text(&l.member.sector),
                Cell::int(l.votes_cast),
            ];
            // No grades while the round is open, nor for fewer than three votes.
            match l.tally {
                Some(t) => {
                    row.extend(Grade::ALL.map(|g| Cell::int(t.of(g))));
                    row.push(rate(t.excellent_rate()));
                    row.push(rate(t.competent_rate()));
                }
                None => row.extend((0..6).map(|_| Cell::text("—"))),
            }
            row
        })
        .collect();
    let mut out = section(
        "民主测评",
        "委员述职民主测评",
        &[
            "委员",
            "界别",
            "票数",
            "优秀",
            "称职",
            "基本称职",
            "不称职",
            "优秀率(%)",
            "称职以上率(%)",
        ],
        rows,
    );
    out.note = match round.stage {
        super::appraisal::Stage::NotOpened => "本年度未开展民主测评。".into(),
        stage => format!(
            "测评{}：同界别委员对已提交的述职报告无记名测评，每人每位一票。测评结束前不公布票数分布；不足{}票的不公布结果（“—”）。",
            stage.label(),
            lianxin_domain::appraisal::MIN_VOTES
        ),
    };
    Ok(out)
}

fn by_sector(members: &[(MemberLine, Kept, usize)]) -> Section {
    let mut groups: BTreeMap<&str, Vec<&(MemberLine, Kept, usize)>> = BTreeMap::new();
    for m in members {
        groups.entry(m.0.sector.as_str()).or_default().push(m);
    }
    let rows = groups.iter().map(|(k, g)| group_row(k, g)).collect();
    with_chart(
        section("界别", "各界别履职参与与积分分布", GROUP_HEADERS, rows),
        "各界别平均积分",
        0,
        4,
    )
}

async fn by_special_committee(
    c: &mut Conn<'_>,
    committee_id: i64,
    members: &[(MemberLine, Kept, usize)],
) -> Result<Section> {
    let by_id: HashMap<i64, &(MemberLine, Kept, usize)> =
        members.iter().map(|m| (m.0.id, m)).collect();
    let mut groups: BTreeMap<String, Vec<&(MemberLine, Kept, usize)>> = BTreeMap::new();
    for x in store::special_committees(c, committee_id).await? {
        if let Some(m) = by_id.get(&x.member_id) {
            groups.entry(x.name).or_default().push(m);
        }
    }
    let rows = groups.iter().map(|(k, g)| group_row(k, g)).collect();
    Ok(with_chart(
        section("专委会", "各专门委员会委员履职情况", GROUP_HEADERS, rows),
        "各专门委员会平均积分",
        0,
        4,
    ))
}

fn requirements(members: &[(MemberLine, Kept, usize)]) -> Section {
    let mut missing: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, s, _) in members {
        for m in &s.missing {
            *missing.entry(m.as_str()).or_insert(0) += 1;
        }
    }
    let n = members.len();
    let all = members
        .iter()
        .filter(|(_, s, _)| s.missing.is_empty())
        .count();
    let mut rows = vec![vec![
        Cell::text("全部达到"),
        Cell::int(all as i64),
        pct(all, n),
    ]];
    rows.extend(missing.into_iter().map(|(k, v)| {
        vec![
            Cell::text(format!("未达到：{k}")),
            Cell::int(v as i64),
            pct(v, n),
        ]
    }));
    section(
        "基本要求",
        "“三个一”等基本要求达标情况",
        &["项目", "人数", "占比(%)"],
        rows,
    )
}

async fn concerns(c: &mut Conn<'_>, committee_id: i64, s: &Span) -> Result<Section> {
    let rows = store::concerns(c, committee_id, s).await?;
    let answered: Vec<f64> = rows
        .iter()
        .filter_map(|r| {
            r.first_reply_at
                .map(|a| (a - r.submitted_at).num_minutes() as f64)
        })
        .collect();
    let avg_days = if answered.is_empty() {
        0.0
    } else {
        answered.iter().sum::<f64>() / answered.len() as f64 / 1440.0
    };
    let rated: Vec<&str> = rows.iter().filter_map(|r| r.rating.as_deref()).collect();
    let happy = rated
        .iter()
        .filter(|r| matches!(**r, "satisfied" | "basically_satisfied"))
        .count();
    let closed = rows
        .iter()
        .filter(|r| matches!(r.status.as_str(), "resolved" | "closed"))
        .count();
    let n = rows.len();
    Ok(section(
        "群众诉求",
        "界别群众诉求办理",
        &["项目", "数值"],
        vec![
            vec![Cell::text("受理诉求（件）"), Cell::int(n as i64)],
            vec![Cell::text("已答复（件）"), Cell::int(answered.len() as i64)],
            vec![Cell::text("已办结（件）"), Cell::int(closed as i64)],
            vec![
                Cell::text("平均答复用时（天）"),
                Cell::Num((avg_days * 100.0).round() / 100.0),
            ],
            vec![Cell::text("群众评价（件）"), Cell::int(rated.len() as i64)],
            vec![Cell::text("满意和基本满意率(%)"), pct(happy, rated.len())],
        ],
    ))
}

async fn opinion_reports(c: &mut Conn<'_>, committee_id: i64, s: &Span) -> Result<Section> {
    let rows = store::opinion_reports(c, committee_id, s).await?;
    let total: i64 = rows.iter().map(|r| r.n).sum();
    let mut out = vec![vec![Cell::text("报送（篇）"), Cell::int(total)]];
    for l in Level::ALL {
        let adopted: i64 = rows
            .iter()
            .filter(|r| {
                r.key
                    .as_deref()
                    .is_some_and(|k| k.ends_with(&format!("|{}", l.code())))
            })
            .map(|r| r.n)
            .sum();
        out.push(vec![
            Cell::text(format!("采用：{}", l.label())),
            Cell::int(adopted),
        ]);
    }
    let instructions = store::instructions(c, committee_id, s).await?;
    for l in InstructionLevel::ALL {
        out.push(vec![
            Cell::text(format!("{}领导批示（次）", l.label())),
            Cell::int(count(&instructions, l.code())),
        ]);
    }
    Ok(section("社情民意", "社情民意信息", &["项目", "数值"], out))
}

async fn proposals(c: &mut Conn<'_>, committee_id: i64, year: i64) -> Result<Section> {
    let rows = store::proposals(c, committee_id, year).await?;
    let classes = store::answer_classes(c, committee_id, year).await?;
    let rated: Vec<&str> = rows.iter().filter_map(|r| r.rating.as_deref()).collect();
    let happy = rated
        .iter()
        .filter(|r| matches!(**r, "satisfied" | "basically_satisfied"))
        .count();
    let accepted = rows.iter().filter(|r| r.accepted).count();
    Ok(section(
        "提案",
        "提案提交、立案与办理",
        &["项目", "数值"],
        vec![
            vec![Cell::text("提交（件）"), Cell::int(rows.len() as i64)],
            vec![Cell::text("立案（件）"), Cell::int(accepted as i64)],
            vec![Cell::text("立案率(%)"), pct(accepted, rows.len())],
            vec![
                Cell::text("重点提案（件）"),
                Cell::int(rows.iter().filter(|r| r.is_key).count() as i64),
            ],
            vec![
                Cell::text("优秀提案（件）"),
                Cell::int(rows.iter().filter(|r| r.is_excellent).count() as i64),
            ],
            vec![Cell::text("A类答复"), Cell::int(count(&classes, "A"))],
            vec![Cell::text("B类答复"), Cell::int(count(&classes, "B"))],
            vec![Cell::text("C类答复"), Cell::int(count(&classes, "C"))],
            vec![Cell::text("满意和基本满意率(%)"), pct(happy, rated.len())],
        ],
    ))
}

async fn activities(c: &mut Conn<'_>, committee_id: i64, s: &Span) -> Result<Section> {
    let rows = store::attendance(c, committee_id, s).await?;
    let mut kinds: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for r in rows {
        let (kind, status) = r
            .key
            .as_deref()
            .and_then(|k| k.split_once('|'))
            .unwrap_or(("", ""));
        let e = kinds.entry(kind.to_string()).or_default();
        e.0 += r.n;
        match status {
            "attended" | "late" | "left_early" => e.1 += r.n,
            "excused" => e.2 += r.n,
            _ => {}
        }
    }
    let rows = kinds
        .into_iter()
        .map(|(k, (n, present, excused))| {
            vec![
                Cell::text(k),
                Cell::int(n),
                Cell::int(present),
                Cell::int(excused),
                pct(present as usize, n as usize),
            ]
        })
        .collect();
    Ok(with_chart(
        section(
            "会议活动",
            "会议活动出勤（按活动类别）",
            &["类别", "应出席人次", "出席", "请假", "出勤率(%)"],
            rows,
        ),
        "出勤率(%)",
        0,
        4,
    ))
}

async fn studios(c: &mut Conn<'_>, committee_id: i64, year: i64, s: &Span) -> Result<Section> {
    let concerns = store::concerns(c, committee_id, s).await?;
    let rows = store::studios(c, committee_id, year)
        .await?
        .into_iter()
        .map(|st| {
            let mine: Vec<_> = concerns
                .iter()
                .filter(|x| x.studio_id == Some(st.id))
                .collect();
            let answered = mine.iter().filter(|x| x.first_reply_at.is_some()).count();
            vec![
                Cell::text(st.name),
                Cell::int(st.receptions),
                Cell::int(mine.len() as i64),
                Cell::int(answered as i64),
            ]
        })
        .collect();
    Ok(with_chart(
        section(
            "工作室",
            "委员工作室工作",
            &["工作室", "接待（次）", "收到诉求（件）", "已答复（件）"],
            rows,
        ),
        "接待次数",
        0,
        1,
    ))
}

fn tiers(
    rules: &lianxin_domain::scoring::RuleSet,
    members: &[(MemberLine, Kept, usize)],
) -> Section {
    let n = members.len();
    let rows = rules
        .tiers
        .iter()
        .map(|t| {
            let k = members.iter().filter(|(_, s, _)| s.tier == t.name).count();
            vec![
                Cell::text(t.name.clone()),
                points(t.min_centi),
                Cell::int(k as i64),
                pct(k, n),
            ]
        })
        .collect();
    with_chart(
        section(
            "等次",
            "履职等次",
            &["等次", "分数线", "人数", "占比(%)"],
            rows,
        ),
        "各等次人数",
        0,
        2,
    )
}

fn appendix(members: &[(MemberLine, Kept, usize)]) -> Section {
    let mut sorted: Vec<&(MemberLine, Kept, usize)> = members.iter().collect();
    sorted.sort_by(|a, b| {
        b.1.total_centi
            .cmp(&a.1.total_centi)
            .then(a.0.id.cmp(&b.0.id))
    });
    let rows = sorted
        .into_iter()
        .map(|(m, s, e)| {
            vec![
                Cell::text(m.name.clone()),
                Cell::text(m.sector.clone()),
                Cell::int(*e as i64),
                points(s.total_centi),
                Cell::text(s.tier.clone()),
                Cell::text(if s.missing.is_empty() {
                    "达到".to_string()
                } else {
                    s.missing.join("；")
                }),
            ]
        })
        .collect();
    let mut s = section(
        "委员积分",
        "附表：每位委员的履职积分",
        &["委员", "界别", "履职记录", "积分", "等次", "基本要求"],
        rows,
    );
    s.note = "作为下届委员推荐、换届考察的依据。".into();
    s
}

/// A file of the report.
pub enum Format {
    Pdf,
    Xlsx,
    Html,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "pdf" => Some(Format::Pdf),
            "xlsx" => Some(Format::Xlsx),
            "html" => Some(Format::Html),
            _ => None,
        }
    }
    pub fn mime(&self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Html => "text/html; charset=utf-8",
        }
    }
    pub fn extension(&self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Xlsx => "xlsx",
            Format::Html => "html",
        }
    }
}

/// The report as a file (typeset off the async runtime: a PDF takes a moment).
#[tracing::instrument(level = "debug", skip_all)]
pub async fn render(a: Annual, f: Format) -> Result<Vec<u8>> {
    tokio::task::spawn_blocking(move || match f {
        Format::Pdf => lianxin_report::annual_pdf(fonts()?, &a).map_err(Error::internal),
        Format::Xlsx => lianxin_report::annual_xlsx(&a).map_err(Error::internal),
        Format::Html => lianxin_report::annual_html(&a)
            .map(String::into_bytes)
            .map_err(Error::internal),
    })
    .await
    .map_err(Error::internal)?
}

/// The office's download.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn download(
    app: &App,
    g: &Granted<ManageDutyYear>,
    year: i64,
    f: Format,
) -> Result<Vec<u8>> {
    let a = build(app, g, year).await?;
    render(a, f).await
}

/// The current year in China's time.
pub fn this_year() -> i64 {
    i64::from(china(now()).year())
}

/// A member's archive as a PDF, printed with the report's layout: the score, then each kind
/// of work with its entries and points.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn archive_pdf(a: super::Archive) -> Result<Vec<u8>> {
    let mut overview = vec![
        ("委员".to_string(), a.member_name.clone()),
        ("界别".into(), a.sector.clone()),
    ];
    match &a.score {
        Some(s) => {
            overview.push(("履职积分".into(), points(s.total_centi).shown()));
            overview.push(("等次".into(), s.tier.clone()));
            overview.push((
                "基本要求".into(),
                if s.missing.is_empty() {
                    "已达到".into()
                } else {
                    format!("尚未达到：{}", s.missing.join("；"))
                },
            ));
        }
        None => overview.push(("履职积分".into(), a.no_rules.clone())),
    }
    let sections = a
        .groups()
        .into_iter()
        .enumerate()
        .map(|(i, (label, entries))| {
            let rows = entries
                .iter()
                .map(|e| {
                    vec![
                        Cell::text(china(e.entry.occurred_at).format("%Y-%m-%d").to_string()),
                        Cell::text(e.entry.subject.clone()),
                        Cell::text(match e.entry.role.as_str() {
                            "lead" => "牵头/第一提案人",
                            "joint" => "联名",
                            _ => "参与",
                        }),
                        if !e.counts {
                            Cell::text("已更正，不计分")
                        } else {
                            points(e.centi)
                        },
                    ]
                })
                .collect();
            section(
                &format!("{}", i + 1),
                label,
                &["日期", "来源", "角色", "积分"],
                rows,
            )
        })
        .collect();
    let doc = Annual {
        committee: String::new(),
        year: a.year,
        title: format!("{}{}年度履职档案", a.member_name, a.year),
        generated: china(now()).format("%Y年%m月%d日").to_string(),
        rules_name: a.rules_name.clone(),
        status: if a.closed {
            "年度已关闭：积分已冻结".into()
        } else {
            "数据截至生成时".into()
        },
        overview,
        sections,
    };
    render(doc, Format::Pdf).await
}
