//! The demo's concerns and studio work, written for Lianxin: categories with deadlines,
//! routing rules, reception days and the duty rota, service offers, an Open311 key, and
//! a few hundred concerns in every state over the last 90 days.

use chrono::{Duration, Utc};
use lianxin_domain::access::{ManageOpen311, system_actor};
use lianxin_domain::concern::{self as rules, Rating, Status};
use lianxin_domain::record::{Record, Value};
use lianxin_domain::schema::{CONCERN_CATEGORY, RECEPTION_SLOT, ROUTING_RULE, Res, SERVICE_OFFER};
use lianxin_store::Tx;
use lianxin_store::concerns::{self as store, ConcernRow, NewUpdate};
use lianxin_store::records::{self as records, all_titles};

use crate::records::to_write;
use crate::{App, Error, Result, now};

pub const OPEN311_KEY: &str = "lianxin-demo-open311";

/// (name, days, Open311 code, description, titles people write)
const CATEGORIES: [(&str, i64, &str, &str, [&str; 4]); 8] = [
    (
        "城乡建设",
        15,
        "urban",
        "住房、物业、市政设施、老旧小区改造",
        [
            "小区电梯长期停运",
            "老旧小区改造后路面积水",
            "楼道照明坏了没人修",
            "违建占用消防通道",
        ],
    ),
    (
        "环境保护",
        10,
        "environment",
        "噪声、油烟、污水、垃圾",
        [
            "夜间施工噪声扰民",
            "餐馆油烟直排居民楼",
            "河道有异味",
            "垃圾清运不及时",
        ],
    ),
    (
        "交通运输",
        10,
        "transport",
        "公交、道路、停车",
        [
            "学校门口早晚高峰拥堵",
            "公交站台缺少遮雨棚",
            "小区周边停车难",
            "路口红绿灯时间太短",
        ],
    ),
    (
        "教育文体",
        15,
        "education",
        "入学、课后服务、文体设施",
        [
            "孩子就近入学名额不足",
            "课后托管服务收费不透明",
            "社区健身器材损坏",
            "图书馆周末开放时间太短",
        ],
    ),
    (
        "劳动和社会保障",
        15,
        "labour",
        "工资、社保、养老、救助",
        [
            "农民工工资被拖欠",
            "异地就医报销手续复杂",
            "社区养老食堂价格偏高",
            "灵活就业人员参保咨询",
        ],
    ),
    (
        "商贸旅游",
        15,
        "commerce",
        "营商环境、市场、消费",
        [
            "菜市场摊位费上涨",
            "小微企业贷款难",
            "景区停车收费混乱",
            "预付卡商家跑路",
        ],
    ),
    (
        "卫生计生",
        10,
        "health",
        "医疗、药品、公共卫生",
        [
            "社区医院缺少儿科医生",
            "慢性病用药在社区买不到",
            "医院挂号排队时间长",
            "家庭医生签约后联系不上",
        ],
    ),
    (
        "其他",
        20,
        "other",
        "其他急难愁盼问题",
        [
            "希望增加便民服务点",
            "反映社区治理问题",
            "建议完善政务服务",
            "咨询政策办理流程",
        ],
    ),
];

const AREAS: [&str; 12] = [
    "滨江街道",
    "东城街道",
    "西湖街道",
    "南山镇",
    "北岭镇",
    "高新区",
    "经开区",
    "滨江街道望江社区",
    "东城街道文昌社区",
    "西湖街道柳岸社区",
    "南山镇南山村",
    "北岭镇北岭村",
];

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

/// Categories, rules, slots and offers. Returns the category ids.
async fn setup(
    app: &App,
    tx: &mut Tx,
    cid: i64,
    studios: &[(i64, String)],
    members: &[i64],
) -> Result<Vec<i64>> {
    let at = now();
    let mut cats = Vec::new();
    for (name, days, code, desc, _) in CATEGORIES {
        let mut r = Record::default();
        r.set("name", text(name));
        r.set("deadline_days", Value::Int(days));
        r.set("service_code", text(code));
        r.set("description", text(desc));
        cats.push(
            records::insert(
                &mut tx.conn(),
                &CONCERN_CATEGORY,
                cid,
                &to_write(app, &CONCERN_CATEGORY, &r),
                at,
            )
            .await?,
        );
    }
    let specials = all_titles(&mut tx.conn(), Res::SpecialCommittee, cid).await?;
    let social = specials
        .iter()
        .find(|(_, n)| n == "社会和法制委员会")
        .map(|s| s.0)
        .unwrap_or(specials[0].0);
    // By place first (studios 1–7 serve streets and towns), then by subject, then the default.
    let rule = |category: Option<i64>,
                area: Option<&str>,
                studio: Option<i64>,
                special: Option<i64>,
                note: &str| {
        let mut r = Record::default();
        r.set(
            "category_id",
            category.map(Value::Int).unwrap_or(Value::Null),
        );
        r.set("area", area.map(text).unwrap_or(Value::Null));
        r.set("studio_id", studio.map(Value::Int).unwrap_or(Value::Null));
        r.set(
            "special_committee_id",
            special.map(Value::Int).unwrap_or(Value::Null),
        );
        r.set("note", text(note));
        r
    };
    let mut list = Vec::new();
    for (studio, name) in studios.iter().take(7) {
        let place = name.split("委员").next().unwrap_or("");
        list.push(rule(
            None,
            Some(place),
            Some(*studio),
            None,
            &format!("{place}的诉求由{name}办理"),
        ));
    }
    list.push(rule(
        Some(cats[6]),
        None,
        Some(studios[8].0),
        None,
        "卫生计生类交医卫界工作室",
    ));
    list.push(rule(
        Some(cats[3]),
        None,
        Some(studios[9].0),
        None,
        "教育文体类交教育界工作室",
    ));
    list.push(rule(
        Some(cats[5]),
        None,
        Some(studios[10].0),
        None,
        "商贸旅游类交工商联工作室",
    ));
    list.push(rule(
        Some(cats[4]),
        None,
        Some(studios[11].0),
        None,
        "劳动保障类交总工会工作室",
    ));
    list.push(rule(
        None,
        None,
        None,
        Some(social),
        "其余诉求由社会和法制委员会分办",
    ));
    for r in list {
        records::insert(
            &mut tx.conn(),
            &ROUTING_RULE,
            cid,
            &to_write(app, &ROUTING_RULE, &r),
            at,
        )
        .await?;
    }
    // Reception days: the next three Wednesdays, morning and afternoon, members on duty in turn.
    let cn = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let today = Utc::now().with_timezone(&cn).date_naive();
    let to_wed = (7 + 2 - today.weekday_index()) % 7;
    for (i, (studio, _)) in studios.iter().enumerate() {
        for week in 0..3 {
            let day = today + Duration::days(to_wed + 7 * week);
            for (k, (from, to)) in [("09:00", "11:30"), ("14:30", "17:00")].iter().enumerate() {
                let mut r = Record::default();
                r.set("day", text(day.format("%Y-%m-%d").to_string()));
                r.set("starts_at", text(*from));
                r.set("ends_at", text(*to));
                r.set("studio_id", Value::Int(*studio));
                r.set(
                    "member_id",
                    Value::Int(members[(i * 7 + week as usize * 2 + k) % members.len()]),
                );
                r.set("capacity", Value::Int(6));
                r.set("note", text("每月15日为委员接待日，其余时间可预约"));
                records::insert(
                    &mut tx.conn(),
                    &RECEPTION_SLOT,
                    cid,
                    &to_write(app, &RECEPTION_SLOT, &r),
                    at,
                )
                .await?;
            }
        }
    }
    let offers: [(usize, &str, &str, Option<&str>, &str); 6] = [
        (
            0,
            "publicity",
            "惠民政策进社区宣讲",
            Some("policy"),
            "每月一次，讲解医保、养老、就业等最新政策。",
        ),
        (
            0,
            "volunteer",
            "律师委员免费法律咨询",
            Some("law"),
            "劳动争议、婚姻家庭、物业纠纷等法律问题当面咨询。",
        ),
        (
            8,
            "volunteer",
            "专家义诊与健康讲座",
            Some("medicine"),
            "医卫界委员带领专家团队义诊，慢病管理咨询。",
        ),
        (
            9,
            "interpretation",
            "入学政策现场解读",
            Some("education"),
            "解读义务教育招生政策和学区划分。",
        ),
        (
            10,
            "volunteer",
            "小微企业财税辅导",
            Some("finance"),
            "为个体工商户和小微企业提供财税、融资辅导。",
        ),
        (
            11,
            "interpretation",
            "劳动权益政策解读",
            Some("law"),
            "工资支付、社保缴纳、工伤认定政策解读。",
        ),
    ];
    for (i, (studio_idx, kind, title, skill, desc)) in offers.iter().enumerate() {
        let mut r = Record::default();
        r.set("title", text(*title));
        r.set("kind", text(*kind));
        r.set("skill", skill.map(text).unwrap_or(Value::Null));
        r.set("studio_id", Value::Int(studios[*studio_idx].0));
        r.set(
            "provider_member_id",
            Value::Int(members[(studio_idx * 7 + i) % members.len()]),
        );
        r.set("description", text(*desc));
        r.set("active", Value::Bool(true));
        records::insert(
            &mut tx.conn(),
            &SERVICE_OFFER,
            cid,
            &to_write(app, &SERVICE_OFFER, &r),
            at,
        )
        .await?;
    }
    Ok(cats)
}

trait Weekday {
    fn weekday_index(&self) -> i64;
}
impl Weekday for chrono::NaiveDate {
    /// Monday = 0 … Sunday = 6.
    fn weekday_index(&self) -> i64 {
        use chrono::Datelike;
        self.weekday().num_days_from_monday() as i64
    }
}

/// A small deterministic generator, as in the organisation demo.
struct Gen(u64);
impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

async fn update(
    tx: &mut Tx,
    id: i64,
    kind: &str,
    body: &str,
    status: &str,
    who: &str,
    at: chrono::DateTime<Utc>,
) -> Result<()> {
    let u = NewUpdate {
        concern_id: id,
        kind,
        public: true,
        body,
        status_after: Some(status),
        actor_user_id: None,
        actor_label: who,
    };
    Ok(store::add_update(&mut tx.conn(), &u, at).await?)
}

/// Load categories, rules, slots, offers, the Open311 key and ~300 concerns.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn load(app: &App, cid: i64, studios: &[(i64, String)], members: &[i64]) -> Result<()> {
    let mut tx = crate::journal::begin(&app.db).await?;
    let cats = setup(app, &mut tx, cid, studios, members).await?;
    let mut g = Gen(20230727 ^ 311);
    let start = now() - Duration::days(90);
    let statuses = [
        Status::Submitted,
        Status::Assigned,
        Status::InProgress,
        Status::Answered,
        Status::Resolved,
        Status::Resolved,
        Status::Answered,
        Status::Closed,
    ];
    for i in 0..300u64 {
        let c = g.below(8) as usize;
        let (name, days, _, _, titles) = CATEGORIES[c];
        let submitted = start + Duration::minutes((i as i64) * 432 + g.below(300) as i64);
        let status = statuses[g.below(statuses.len() as u64) as usize];
        let studio = studios[g.below(studios.len() as u64) as usize].clone();
        let area = format!(
            "江川市{}{}号",
            AREAS[g.below(AREAS.len() as u64) as usize],
            1 + g.below(120)
        );
        let title = titles[g.below(4) as usize];
        let mut code_bytes = [0u8; rules::CODE_LEN];
        for b in code_bytes.iter_mut() {
            *b = g.below(256) as u8;
        }
        let answered = matches!(status, Status::Answered | Status::Resolved);
        let first_reply = submitted + Duration::hours(6 + g.below(90) as i64);
        let answered_at = answered.then(|| first_reply + Duration::hours(g.below(120) as i64));
        let rating =
            (answered && g.below(3) > 0).then(|| Rating::ALL[g.below(10).min(9) as usize / 4]);
        let mut row = ConcernRow {
            id: 0,
            committee_id: cid,
            code: rules::code_from_random(&code_bytes),
            title: title.into(),
            detail: format!(
                "{title}，{area}附近的居民反映已有一段时间，希望有关方面尽快协调解决。"
            ),
            category_id: cats[c],
            area,
            sector_id: None,
            person_name: (g.below(2) == 0).then(|| "居民".to_string()),
            phone_enc: None,
            phone_index: None,
            phone_masked: None,
            publish: g.below(5) > 0,
            status: status.code().into(),
            close_reason: None,
            duplicate_of: None,
            referred_unit_id: None,
            studio_id: (status != Status::Submitted).then_some(studio.0),
            member_id: None,
            special_committee_id: None,
            source: if g.below(4) == 0 {
                "studio_page".into()
            } else {
                "online".into()
            },
            submitted_at: submitted,
            due_at: rules::due_at(submitted, days),
            first_reply_at: matches!(
                status,
                Status::InProgress | Status::Answered | Status::Resolved
            )
            .then_some(first_reply),
            answered_at,
            resolved_at: (status == Status::Resolved)
                .then(|| answered_at.unwrap_or(first_reply) + Duration::days(2)),
            closed_at: (status == Status::Closed).then(|| submitted + Duration::days(1)),
            escalated_at: None,
            rating: rating.map(|r| r.code().into()),
            rating_comment: None,
            rated_at: rating.map(|_| answered_at.unwrap_or(first_reply) + Duration::days(1)),
            followup_sent_at: None,
            followup_answer: None,
            user_id: None,
            idempotency_key: None,
            open311_client_id: None,
            lat: None,
            lon: None,
            updated_at: submitted,
        };
        if status == Status::Closed {
            row.close_reason =
                Some(["not_responsible", "referred", "duplicate"][g.below(3) as usize].into());
        }
        row.id = store::insert(&mut tx.conn(), &row).await?;
        store::save(&mut tx.conn(), &row).await?;
        update(
            &mut tx,
            row.id,
            "submitted",
            "诉求已提交",
            "submitted",
            "群众",
            submitted,
        )
        .await?;
        if row.studio_id.is_some() {
            update(
                &mut tx,
                row.id,
                "assigned",
                &format!("已分派至{}", studio.1),
                "assigned",
                "分办规则",
                submitted,
            )
            .await?;
        }
        if let Some(at) = row.first_reply_at {
            update(
                &mut tx,
                row.id,
                "reply",
                "已收到，正在联系有关部门了解情况。",
                "in_progress",
                "工作室",
                at,
            )
            .await?;
        }
        if let Some(at) = answered_at {
            let body = format!(
                "经与{}沟通，已安排专人处理“{title}”，预计两周内完成，请留意。",
                name
            );
            update(&mut tx, row.id, "reply", &body, "answered", "工作室", at).await?;
        }
        if let Some(r) = rating {
            update(
                &mut tx,
                row.id,
                "rated",
                &format!("群众评价：{}", r.label()),
                &row.status,
                "群众",
                row.rated_at.unwrap_or(submitted),
            )
            .await?;
        }
        if let Some(at) = row.closed_at {
            let why = lianxin_domain::concern::CloseReason::parse(
                row.close_reason.as_deref().unwrap_or(""),
            )
            .map(|r| r.label())
            .unwrap_or("");
            update(
                &mut tx,
                row.id,
                "closed",
                &format!("已关闭：{why}"),
                "closed",
                "委员会机关",
                at,
            )
            .await?;
        }
    }
    let actor = system_actor(cid);
    let change = crate::journal::Change {
        committee_id: cid,
        kind: "demo.concerns_loaded",
        subject_type: "committee",
        subject_id: cid,
        before: serde_json::Value::Null,
        after: serde_json::json!({"concerns": 300, "categories": cats.len()}),
    };
    crate::journal::commit(tx, &actor, change).await?;
    let g: lianxin_domain::access::Granted<ManageOpen311> = actor.grant().map_err(Error::from)?;
    crate::open311::add_key(app, &g, "演示客户端", OPEN311_KEY).await?;
    Ok(())
}
