//! The demo's activities and policy library, written through the real use cases: a plenary
//! session and a reading activity ahead, a studio reception day about to start (open for
//! QR check-in), a consultation under way, a finished consultation with its full record, a
//! public volunteer activity, and a few library documents.

use chrono::{DateTime, Duration, Utc};
use lianxin_domain::access::{Granted, ManageLibrary, OrganiseActivities, system_actor};
use lianxin_store::activities as store;

use crate::activities::closing::{self, ClosingInput};
use crate::activities::consultation::{self, ParticipantInput};
use crate::activities::planning::{self, ActivityInput};
use crate::library::{self, DocumentInput};
use crate::opinions::bulletins::china;
use crate::{App, Error, Result, now};

fn at(t: DateTime<Utc>) -> String {
    china(t).format("%Y-%m-%dT%H:%M").to_string()
}

async fn kind_id(app: &App, cid: i64, code: &str) -> Result<String> {
    let mut conn = app.db.acquire().await?;
    store::kinds(&mut conn.conn(), cid)
        .await?
        .into_iter()
        .find(|k| k.code == code)
        .map(|k| k.id.to_string())
        .ok_or_else(|| Error::internal(format!("kind {code} missing")))
}

/// `member` is the demo member account's member id; they are invited to everything.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn load(app: &App, cid: i64, members: &[i64], member: i64) -> Result<()> {
    let office = system_actor(cid);
    let g: Granted<OrganiseActivities> = office.grant().map_err(Error::from)?;
    let t = now();
    let named: Vec<i64> = std::iter::once(member)
        .chain(members.iter().take(12).copied())
        .collect();
    let plan = |kind: String, title: &'static str, start: DateTime<Utc>, hours: i64| {
        let (s, e) = (at(start), at(start + Duration::hours(hours)));
        (kind, title, s, e)
    };

    let specs = [
        (
            plan(
                kind_id(app, cid, "plenary").await?,
                "市政协十四届五次全体会议",
                t + Duration::days(10),
                4,
            ),
            "all",
            "市政协礼堂",
            "",
            "",
        ),
        (
            plan(
                kind_id(app, cid, "reading").await?,
                "“书香政协”读书分享会",
                t + Duration::days(7),
                2,
            ),
            "named",
            "市政协三楼会议室",
            "",
            "《乡土中国》\n《可复制的领导力》",
        ),
        (
            plan(
                kind_id(app, cid, "studio_activity").await?,
                "滨江街道委员工作室接待日",
                t + Duration::minutes(20),
                3,
            ),
            "named",
            "滨江街道委员工作室",
            "",
            "",
        ),
        (
            plan(
                kind_id(app, cid, "consultation").await?,
                "老旧小区加装电梯协商议事会",
                t - Duration::minutes(30),
                3,
            ),
            "named",
            "滨江街道社区服务中心",
            "30",
            "",
        ),
        (
            plan(
                kind_id(app, cid, "volunteer").await?,
                "“委员进社区”义诊志愿服务",
                t + Duration::days(5),
                3,
            ),
            "named",
            "滨江街道文化广场",
            "2",
            "",
        ),
    ];
    let mut ids = vec![];
    for ((kind, title, s, e), scope, place, capacity, books) in &specs {
        let input = ActivityInput {
            kind_id: kind,
            title,
            description: "请受邀委员按时参加。",
            organiser_type: "office",
            starts_at: s,
            ends_at: e,
            place,
            agenda: "开幕\n听取情况通报\n分组讨论\n总结",
            books,
            capacity,
            invite_scope: if *scope == "all" {
                "all_members"
            } else {
                "named"
            },
            named: named.clone(),
            public_registration: None,
            ..ActivityInput::default()
        };
        let id = planning::create(app, &g, &input).await?;
        planning::publish(app, &g, id).await?;
        ids.push(id);
    }

    // A consultation held an hour ago, with its record and follow-up.
    let done = ActivityInput {
        kind_id: &kind_id(app, cid, "consultation").await?,
        title: "社区养老服务站建设协商会",
        description: "界别群众、运营方、街道和民政部门共商养老服务站选址与收费。",
        organiser_type: "office",
        starts_at: &at(t - Duration::minutes(90)),
        ends_at: &at(t + Duration::minutes(30)),
        place: "滨江街道社区服务中心",
        agenda: "群众代表发言\n利益相关方发言\n部门回应",
        invite_scope: "named",
        named: named.clone(),
        public_registration: Some(false),
        ..ActivityInput::default()
    };
    let id = planning::create(app, &g, &done).await?;
    planning::publish(app, &g, id).await?;
    let people = [
        (
            "government",
            "市民政局养老服务处",
            "",
            "",
            "suggestion",
            "将按普惠价格核定收费标准，年内完成选址。",
        ),
        (
            "stakeholder",
            "幸福里小区业委会",
            "低楼层住户",
            "",
            "concern",
            "担心服务站噪声和车辆进出影响休息。",
        ),
        (
            "peoples_rep",
            "张阿姨（退休教师）",
            "",
            "",
            "support",
            "希望服务站就近设在小区内，提供助餐服务。",
        ),
        (
            "stakeholder",
            "康乐养老服务公司",
            "运营方",
            "",
            "suggestion",
            "建议政府提供场地租金补贴，确保可持续运营。",
        ),
    ];
    let mut pids = vec![];
    for (role, name, interest, member_id, _, _) in &people {
        let p = ParticipantInput {
            role,
            name,
            interest,
            member_id,
        };
        pids.push(consultation::add_participant(app, &g, id, &p).await?);
    }
    for (pid, (_, _, _, _, position, summary)) in pids.iter().zip(&people) {
        consultation::record_speech(app, &g, id, Some(*pid), position, summary).await?;
    }
    let closing = ClosingInput {
        attendee_count: "",
        attending_orgs: "市民政局、滨江街道办事处、幸福里小区业委会、康乐养老服务公司",
        minutes: "会议由市政协社会和法制委员会主持。群众代表首先发言，随后各利益相关方、政府部门依次发言。",
        summary: "各方就养老服务站选址、收费和运营补贴充分协商，形成三点共识。",
        agreed_points: "服务站设在小区东侧闲置用房；收费执行普惠价格；设置降噪措施。",
        open_points: "运营补贴的标准和期限需民政、财政部门进一步研究。",
    };
    closing::close(app, &g, id, &closing).await?;
    closing::add_followup(
        app,
        &g,
        id,
        "研究运营补贴标准",
        "市民政局",
        &china(t + Duration::days(30)).format("%Y-%m-%d").to_string(),
    )
    .await?;

    let lib: Granted<ManageLibrary> = office.grant().map_err(Error::from)?;
    let docs = [
        (
            "市政协委员履职工作规则",
            "履职指南",
            "委员应当积极参加全体会议、常委会议和专门委员会会议，每年至少提交一件提案或一篇社情民意信息……",
            true,
        ),
        (
            "关于加强和改进人民政协协商工作的意见",
            "政策文件",
            "坚持有事好商量、众人的事情由众人商量，优先安排界别群众代表发言……",
            true,
        ),
        (
            "本市国民经济和社会发展统计公报",
            "参阅资料",
            "全年地区生产总值比上年增长，民生支出占一般公共预算支出的比重保持在八成左右……",
            false,
        ),
    ];
    for (title, category, body, required) in docs {
        let d = DocumentInput {
            title,
            category,
            body,
            required,
            attachment: None,
        };
        library::publish(app, &lib, &d).await?;
    }
    Ok(())
}
