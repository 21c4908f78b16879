//! The demo's direct channel: this year's submission windows, and a few proposals and
//! opinion reports in different states — written through the real use cases, so their
//! events, versions and audit records are what a live committee would have.

use chrono::Datelike;
use lianxin_domain::access::{Actor, Role, system_actor};
use lianxin_domain::opinion::Level;

use crate::opinions::bulletins::china;
use crate::opinions::{drafting as report_drafting, review as report_review};
use crate::proposals::{drafting, review, units};
use crate::{App, Error, Result, now};

fn member_actor(committee_id: i64, member_id: i64, name: &str) -> Actor {
    Actor {
        user_id: 0,
        username: "demo".into(),
        display_name: name.into(),
        committee_id,
        role: Role::Member,
        member_id: Some(member_id),
        handling_unit_id: None,
    }
}

fn unit_actor(committee_id: i64, unit_id: i64) -> Actor {
    Actor {
        user_id: 0,
        username: "demo-unit".into(),
        display_name: "承办单位联络员".into(),
        committee_id,
        role: Role::HandlingUnit,
        member_id: None,
        handling_unit_id: Some(unit_id),
    }
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn load(app: &App, cid: i64, members: &[i64], units_ids: &[i64]) -> Result<()> {
    let office = system_actor(cid);
    let g_office: lianxin_domain::access::Granted<lianxin_domain::access::ManageProposals> =
        office.grant().map_err(Error::from)?;
    let g_review: lianxin_domain::access::Granted<lianxin_domain::access::ReviewOpinionReports> =
        office.grant().map_err(Error::from)?;
    let year = china(now()).year();
    drafting::set_window(
        app,
        &g_office,
        &year.to_string(),
        "plenary",
        &format!("{year}-01-10"),
        &format!("{year}-01-20"),
    )
    .await?;
    drafting::set_window(
        app,
        &g_office,
        &year.to_string(),
        "regular",
        &format!("{year}-01-21"),
        &format!("{year}-12-31"),
    )
    .await?;

    let ideas = [
        (
            "关于推进老旧小区加装电梯的提案",
            "城乡建设",
            "老旧小区老年人上下楼难，加装电梯进度慢、协调难。",
            "资金分摊和低层住户意见不一是主要障碍。",
            "出台加装电梯财政补贴细则；建立街道协调机制；简化审批。",
        ),
        (
            "关于加强中小学课后服务的提案",
            "教育",
            "双职工家庭接孩子难，课后服务供给不足。",
            "部分学校师资和场地不足，服务内容单一。",
            "引入社会力量和志愿者；统筹财政补助；丰富服务内容。",
        ),
        (
            "关于完善社区居家养老服务的提案",
            "社会保障",
            "社区养老服务站点少，专业护理人员缺乏。",
            "运营补贴不足，护理人员待遇偏低。",
            "加大运营补贴；培养专业护理队伍；推动医养结合。",
        ),
        (
            "关于支持小微企业融资的提案",
            "经济",
            "小微企业融资难、融资贵问题仍然突出。",
            "缺少抵押物，担保体系不健全。",
            "扩大政府性融资担保规模；推广信用贷款；设立应急转贷资金。",
        ),
    ];
    let housing = units_ids[11];
    for (i, (title, category, cause, analysis, suggestions)) in ideas.iter().enumerate() {
        let m = members[40 + i * 7];
        let actor = member_actor(cid, m, "委员");
        let g = actor.grant().map_err(Error::from)?;
        let input = drafting::ProposalInput {
            title,
            cause,
            analysis,
            suggestions,
            kind: "individual",
            ..Default::default()
        };
        let id = drafting::draft(app, &g, &input).await?;
        if i == 3 {
            continue; // stays a draft
        }
        drafting::submit(app, &g, id).await?;
        if i == 2 {
            continue; // waits for review
        }
        review::accept(app, &g_office, id, "", category, false).await?;
        let unit = if i == 0 { housing } else { units_ids[1] };
        review::assign(app, &g_office, id, &[(unit, "lead")]).await?;
        if i == 1 {
            let ua = unit_actor(cid, unit);
            let gu = ua.grant().map_err(Error::from)?;
            let answer = units::AnswerInput {
                class: "B",
                body: "已将课后服务经费纳入明年预算，秋季学期起全市推广。",
                attachment: None,
            };
            units::answer(app, &gu, id, &answer).await?;
            drafting::rate(app, &g, id, "satisfied", "答复具体").await?;
        }
    }

    let reports = [
        (
            "关于公交线路调整后偏远村民出行不便的情况反映",
            "部分线路调整后，北岭镇偏远村民到镇上需步行四十分钟。",
            "恢复或加密通村班次；开通预约响应式公交。",
        ),
        (
            "关于农贸市场周边占道经营的情况反映",
            "早高峰农贸市场周边占道经营严重，影响通行和安全。",
            "规划临时疏导点；加强错时管理。",
        ),
    ];
    for (i, (title, body, suggestions)) in reports.iter().enumerate() {
        let actor = member_actor(cid, members[60 + i * 11], "委员");
        let g = actor.grant().map_err(Error::from)?;
        let input = report_drafting::ReportInput {
            title,
            body,
            suggestions,
            ..Default::default()
        };
        let id = report_drafting::draft(app, &g, &input).await?;
        report_drafting::submit(app, &g, id).await?;
        if i == 0 {
            report_review::review(
                app,
                &g_review,
                id,
                &report_review::Decision::Adopt(Level::PartyGovernment),
            )
            .await?;
            report_review::forward(
                app,
                &g_review,
                id,
                Some(units_ids[12]),
                "市交通运输局",
                "请研究办理",
            )
            .await?;
        }
    }
    Ok(())
}
