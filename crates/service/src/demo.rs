//! The demo data set: a fictional city committee (政协江川市委员会) written for Lianxin —
//! ~300 members across the sectors, 12 studios, 8 special committees, 20 handling units and
//! one account per role, all with the password `lianxin-demo`. Deterministic, so every demo
//! looks the same.

use lianxin_domain::access::{Granted, ManageUsers, Role, system_actor};
use lianxin_domain::phone::Phone;
use lianxin_domain::record::{Record, Value};
use lianxin_domain::schema::{HANDLING_UNIT, MEMBER, Res, SPECIAL_COMMITTEE, STUDIO, TERM};
use lianxin_store::records::{self as store};
use lianxin_store::stats;
use serde_json::json;

use crate::auth::{UserInput, add_user};
use crate::journal::{Change, begin, commit};
use crate::records::to_write;
use crate::{App, Error, Result, committees, now};

pub const PASSWORD: &str = "lianxin-demo";
pub const ACCOUNTS: [(&str, Role, &str); 9] = [
    ("admin", Role::Admin, "系统管理员"),
    ("office", Role::Office, "委员会办公室 周敏"),
    ("committee-staff", Role::CommitteeStaff, "提案委员会 陈蕾"),
    ("convenor", Role::Convenor, ""),
    ("member", Role::Member, ""),
    ("member2", Role::Member, ""),
    ("studio-lead", Role::StudioLead, ""),
    ("unit", Role::HandlingUnit, "市住房和城乡建设局 联络员"),
    ("citizen", Role::Constituent, "市民 刘晓"),
];

const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤";
const GIVEN: &str = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红海燕玉梅宏伟文博晓东春梅建华丽华子涵浩然思远欣怡宇航佳琪雨萱俊杰";

const SPECIAL_COMMITTEES: [(&str, &str); 8] = [
    ("提案委员会", "负责提案的审查、交办、督办和办理情况的检查。"),
    ("经济委员会", "围绕全市经济发展重大问题开展调研和协商。"),
    ("农业和农村委员会", "关注乡村振兴、农业现代化和农民增收。"),
    (
        "人口资源环境委员会",
        "关注生态环境保护、资源节约和人口发展。",
    ),
    ("教科卫体委员会", "联系教育、科技、卫生、体育界别委员。"),
    ("社会和法制委员会", "关注社会治理、民生保障和法治建设。"),
    (
        "民族宗教委员会",
        "联系民族宗教界委员，促进民族团结和宗教和顺。",
    ),
    (
        "文化文史和学习委员会",
        "组织委员学习、文史资料征集和文化建设调研。",
    ),
];

const UNITS: [&str; 20] = [
    "市发展和改革委员会",
    "市教育局",
    "市科学技术局",
    "市工业和信息化局",
    "市公安局",
    "市民政局",
    "市司法局",
    "市财政局",
    "市人力资源和社会保障局",
    "市自然资源和规划局",
    "市生态环境局",
    "市住房和城乡建设局",
    "市交通运输局",
    "市水利局",
    "市农业农村局",
    "市商务局",
    "市文化广电和旅游局",
    "市卫生健康委员会",
    "市市场监督管理局",
    "市城市管理局",
];

const STUDIO_PLACES: [(&str, &str); 12] = [
    ("滨江街道", "滨江路188号滨江街道党群服务中心二楼"),
    ("东城街道", "东城大道56号东城街道社区服务中心"),
    ("西湖街道", "西湖路9号西湖街道新时代文明实践站"),
    ("南山镇", "南山镇人民路12号镇政府便民服务中心"),
    ("北岭镇", "北岭镇中心街3号北岭镇文化站"),
    ("高新区", "高新区创新大道1号科创服务中心"),
    ("经开区", "经开区富民路20号企业服务中心"),
    ("市民中心", "市民中心B座一楼政协委员会客厅"),
    ("市人民医院", "健康路66号市人民医院门诊楼三楼"),
    ("市第一中学", "学府路1号市第一中学行政楼"),
    ("市工商联", "商贸路88号市工商联大楼"),
    ("市总工会", "工人路15号市职工服务中心"),
];

const EMPLOYERS: [(&str, &str); 16] = [
    ("江川市第一中学", "校长"),
    ("江川市人民医院", "主任医师"),
    ("江川大学", "教授"),
    ("江川农业科学研究所", "研究员"),
    ("江川律师事务所", "主任律师"),
    ("江川日报社", "副总编辑"),
    ("江川高新技术有限公司", "董事长"),
    ("滨江社区居委会", "主任"),
    ("江川市实验小学", "副校长"),
    ("江川中医院", "副院长"),
    ("江川建筑设计研究院", "总工程师"),
    ("南山镇农民专业合作社", "理事长"),
    ("江川市文化馆", "馆长"),
    ("江川会计师事务所", "合伙人"),
    ("江川市残疾人联合会", "副理事长"),
    ("江川商贸集团", "总经理"),
];

/// A small deterministic generator (LCG) so the demo is the same every time.
struct Gen(u64);
impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next() as usize) % items.len()]
    }
    fn chars(&mut self, pool: &str, n: usize) -> String {
        let cs: Vec<char> = pool.chars().collect();
        (0..n).map(|_| *self.pick(&cs)).collect()
    }
}

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

/// The outcome of `load`: whether anything was written, and the committee shown.
pub struct Loaded {
    pub committee_id: i64,
    pub created: bool,
}

/// How long a node waits for another node's demo load to finish.
const WAIT_FOR_OTHER_LOAD: std::time::Duration = std::time::Duration::from_secs(120);

/// Load the demo into an empty database. On a database that already holds the demo,
/// nothing changes; on one that holds real data, it refuses.
///
/// The load is many use cases, each its own transaction, so it is made safe another way:
/// it starts by claiming the `demo_loading` setting (one atomic statement: of two nodes
/// starting `--demo` together, one loads and the other waits for it), and only its very last
/// step records the demo as loaded. A load cut short is never taken for a demo — its
/// printed accounts might not exist — and is said to be one, with what to do.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn load(app: &App) -> Result<Loaded> {
    let done = |id: String| Loaded {
        committee_id: id.parse().unwrap_or(1),
        created: false,
    };
    {
        let mut conn = app.db.acquire().await?;
        if let Some(id) = stats::setting(&mut conn.conn(), "demo").await? {
            return Ok(done(id));
        }
        if stats::has_non_demo_data(&mut conn.conn()).await? {
            return Err(Error::conflict(
                "demo.refused",
                "数据库中已有非演示数据，拒绝加载演示数据（请使用空数据库运行 --demo）",
            ));
        }
        let me = crate::jobs::node_name();
        if !stats::claim_setting(&mut conn.conn(), "demo_loading", &me).await? {
            let holder = stats::setting(&mut conn.conn(), "demo_loading")
                .await?
                .unwrap_or_default();
            drop(conn);
            return wait_for_other_load(app, &holder).await.map(done);
        }
    }
    tracing::info!("loading the demo");
    let loaded = load_all(app).await?;
    let mut tx = begin(&app.db).await?;
    stats::set_setting(&mut tx.conn(), "demo", &loaded.committee_id.to_string()).await?;
    tx.commit().await?;
    Ok(loaded)
}

/// Another load holds the claim: wait for it to finish, unless it cannot (its process on
/// this host is gone) or takes too long.
async fn wait_for_other_load(app: &App, holder: &str) -> Result<String> {
    let interrupted = || {
        Error::conflict(
            "demo.interrupted",
            format!(
                "演示数据没有加载完整（由 {holder} 开始加载，未完成）：请用一个空数据库重新运行 --demo（SQLite：删除数据库文件；PostgreSQL：重建数据库）"
            ),
        )
    };
    let start = std::time::Instant::now();
    loop {
        {
            let mut conn = app.db.acquire().await?;
            if let Some(id) = stats::setting(&mut conn.conn(), "demo").await? {
                return Ok(id);
            }
        }
        if holder_is_gone(holder) || start.elapsed() > WAIT_FOR_OTHER_LOAD {
            return Err(interrupted());
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}

/// The claim names `host:pid`: on this host, a process that no longer exists will never
/// finish its load.
fn holder_is_gone(holder: &str) -> bool {
    let mine = crate::jobs::node_name();
    let host_of = |n: &str| n.rsplit_once(':').map(|(h, _)| h.to_string());
    match (host_of(holder), holder.rsplit_once(':')) {
        (Some(h), Some((_, pid))) if Some(h.clone()) == host_of(&mine) && holder != mine => {
            !std::path::Path::new(&format!("/proc/{pid}")).exists()
        }
        _ => false,
    }
}

async fn load_all(app: &App) -> Result<Loaded> {
    let cid = committees::create_root(app, "政协江川市委员会", "city", "江川市").await?;
    let actor = system_actor(cid);
    let mut g = Gen(20230727);
    let at = now();
    let mut tx = begin(&app.db).await?;
    let mut c = tx.conn();

    let mut rec = Record::default();
    rec.set("name", text("第十届"));
    rec.set("number", Value::Int(10));
    rec.set("starts_on", text("2022-01-10"));
    rec.set("ends_on", text("2027-01-09"));
    rec.set("is_current", Value::Bool(true));
    let term = store::insert(&mut c, &TERM, cid, &to_write(app, &TERM, &rec), at).await?;

    let mut specials = Vec::new();
    for (name, desc) in SPECIAL_COMMITTEES {
        let mut r = Record::default();
        r.set("name", text(name));
        r.set("description", text(desc));
        specials.push(
            store::insert(
                &mut c,
                &SPECIAL_COMMITTEE,
                cid,
                &to_write(app, &SPECIAL_COMMITTEE, &r),
                at,
            )
            .await?,
        );
    }
    let mut units = Vec::new();
    for (i, name) in UNITS.iter().enumerate() {
        let mut r = Record::default();
        r.set("name", text(*name));
        r.set("unit_type", text("政府部门"));
        r.set(
            "contact_person",
            text(format!("{}{}", g.chars(SURNAMES, 1), g.chars(GIVEN, 1))),
        );
        r.set(
            "contact_phone",
            text(format!("0571-8{:07}", 1_000_000 + i * 1371)),
        );
        r.set("address", text("江川市政务中心"));
        units.push(
            store::insert(
                &mut c,
                &HANDLING_UNIT,
                cid,
                &to_write(app, &HANDLING_UNIT, &r),
                at,
            )
            .await?,
        );
    }
    // The `unit` account speaks for 市住房和城乡建设局.
    let housing_unit = units[11];

    let sectors = store::all_titles(&mut c, Res::Sector, cid).await?;
    let mut members: Vec<(i64, i64)> = Vec::new(); // (member id, sector id)
    for i in 0..300usize {
        // Larger sectors first: the party and profession sectors carry most members.
        let (sector_id, sector_name) = &sectors[if i < 34 { i } else { (g.next() as usize) % 31 }];
        let party = match sector_name.as_str() {
            "中国共产党" => "中共",
            "中国国民党革命委员会" => "民革",
            "中国民主同盟" => "民盟",
            "中国民主建国会" => "民建",
            "中国民主促进会" => "民进",
            "中国农工民主党" => "农工党",
            "中国致公党" => "致公党",
            "九三学社" => "九三学社",
            "台湾民主自治同盟" => "台盟",
            "无党派人士" => "无党派",
            _ => *g.pick(&["中共", "中共", "无党派", "群众", "民盟", "民进"]),
        };
        let given = if g.next().is_multiple_of(3) { 1 } else { 2 };
        let name = format!("{}{}", g.chars(SURNAMES, 1), g.chars(GIVEN, given));
        let (employer, title) = g.pick(&EMPLOYERS);
        let phone = format!(
            "1{}{:09}",
            g.pick(&[3, 5, 7, 8, 9]),
            g.next() % 1_000_000_000
        );
        let mut r = Record::default();
        r.set("name", text(name.clone()));
        r.set(
            "gender",
            text(if g.next().is_multiple_of(2) {
                "male"
            } else {
                "female"
            }),
        );
        r.set(
            "ethnicity",
            text(*g.pick(&["汉族", "汉族", "汉族", "汉族", "回族", "满族", "壮族"])),
        );
        r.set("party", text(party));
        r.set("sector_id", Value::Int(*sector_id));
        let mut sc = vec![*g.pick(&specials)];
        if g.next().is_multiple_of(4) {
            sc.push(*g.pick(&specials));
        }
        sc.sort_unstable();
        sc.dedup();
        r.set("special_committee_ids", Value::Ids(sc));
        r.set("employer", text(*employer));
        r.set("job_title", text(*title));
        r.set("is_standing", Value::Bool(i.is_multiple_of(9)));
        r.set("term_id", Value::Int(term));
        r.set("status", text(if i % 61 == 60 { "left" } else { "active" }));
        if let Ok(p) = Phone::parse("phone", &phone) {
            r.set("phone", Value::Phone(p));
        }
        r.set("public_contact", text("可通过所在委员工作室预约联系"));
        r.set(
            "bio",
            text(format!(
                "{name}，{employer}{title}，{sector_name}委员。长期关注{}，定期到委员工作室接待界别群众。",
                g.pick(&["基础教育均衡发展", "社区养老服务", "中小企业融资", "乡村振兴", "医疗服务可及性", "生态环境保护", "青年就业创业", "老旧小区改造"])
            )),
        );
        let id = store::insert(&mut c, &MEMBER, cid, &to_write(app, &MEMBER, &r), at).await?;
        members.push((id, *sector_id));
    }

    for (i, (place, address)) in STUDIO_PLACES.iter().enumerate() {
        let lead = members[i * 7].0;
        let mut in_studio: Vec<i64> = (0..8)
            .map(|k| members[(i * 7 + k * 13) % members.len()].0)
            .collect();
        in_studio.push(lead);
        in_studio.sort_unstable();
        in_studio.dedup();
        let mut served: Vec<i64> = (0..3)
            .map(|k| sectors[(i * 3 + k) % sectors.len()].0)
            .collect();
        served.sort_unstable();
        served.dedup();
        let mut r = Record::default();
        r.set("name", text(format!("{place}委员联系服务界别群众工作室")));
        r.set("address", text(format!("江川市{address}")));
        r.set(
            "opening_hours",
            text("每周三 9:00–11:30、14:30–17:00；每月15日为委员接待日"),
        );
        r.set("lead_member_id", Value::Int(lead));
        r.set("member_ids", Value::Ids(in_studio));
        r.set("sector_ids", Value::Ids(served));
        r.set(
            "public_contact",
            text(format!("0571-8{:07}", 2_000_000 + i * 1111)),
        );
        r.set(
            "description",
            text(format!(
                "扎根{place}，围绕群众急难愁盼开展政策宣传、现场解读和专业志愿服务。"
            )),
        );
        store::insert(&mut c, &STUDIO, cid, &to_write(app, &STUDIO, &r), at).await?;
    }
    let change = Change {
        committee_id: cid,
        kind: "demo.loaded",
        subject_type: "committee",
        subject_id: cid,
        before: serde_json::Value::Null,
        after: json!({"members": members.len(), "studios": STUDIO_PLACES.len()}),
    };
    commit(tx, &actor, change).await?;

    let studios =
        lianxin_store::records::all_titles(&mut app.db.acquire().await?.conn(), Res::Studio, cid)
            .await?;
    let member_ids: Vec<i64> = members.iter().map(|m| m.0).collect();
    crate::demo_concerns::load(app, cid, &studios, &member_ids).await?;
    crate::demo_direct::load(app, cid, &member_ids, &units).await?;

    let g: Granted<ManageUsers> = actor.grant().map_err(Error::from)?;
    let convenor_member = members[23].0; // the first member of 教育界
    let studio_lead_member = members[0].0; // lead of the first studio
    // Another member of the same sector as `member`: peers grade each other's duty reports.
    let peer_member = members
        .iter()
        .skip(14)
        .find(|m| m.1 == members[13].1)
        .map_or(members[14].0, |m| m.0);
    for (username, role, display) in ACCOUNTS {
        let (member_id, display) = match role {
            Role::Member if username == "member2" => (Some(peer_member), "同界别委员".to_string()),
            Role::Convenor => (Some(convenor_member), "教育界召集人".to_string()),
            // A member of the first studio, so that concerns reach their inbox.
            Role::Member => (Some(members[13].0), "委员".to_string()),
            Role::StudioLead => (Some(studio_lead_member), "滨江街道工作室负责人".to_string()),
            _ => (None, display.to_string()),
        };
        let input = UserInput {
            username,
            display_name: &display,
            role: role.code(),
            password: PASSWORD,
            member_id,
            handling_unit_id: (role == Role::HandlingUnit).then_some(housing_unit),
        };
        add_user(app, &g, &input, true).await?;
    }
    crate::demo_activities::load(app, cid, &member_ids, members[13].0).await?;
    crate::demo_duty::load(app, cid).await?;
    Ok(Loaded {
        committee_id: cid,
        created: true,
    })
}
