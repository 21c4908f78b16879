//! `lianxin` — one binary: the web server, migrations, demo data, accounts, roster import and
//! export, audit verification.

mod config;
mod keys;

use std::future::IntoFuture;
use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, Subcommand};
use lianxin_domain::access::{ManageOrganisation, ManageUsers, RevealPhone, Role, system_actor};
use lianxin_domain::audit::Verdict;
use lianxin_service::{App, Crypto, audit, auth, backup, committees, demo, jobs, roster};
use lianxin_store::Db;

use crate::config::Config;

#[derive(Parser)]
#[command(
    name = "lianxin",
    version,
    about = "连心 Lianxin — 政协委员联系服务界别群众平台"
)]
struct Cli {
    /// 配置文件（默认读取当前目录的 lianxin.toml，如存在）
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// 数据库 URL：sqlite://文件 或 postgres://…（覆盖配置与 LIANXIN_DATABASE_URL）
    #[arg(long, global = true)]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// 启动 Web 服务
    Serve {
        /// 监听地址，如 127.0.0.1:8080
        #[arg(long)]
        addr: Option<String>,
        /// 在空数据库中加载演示数据并打印演示账号
        #[arg(long)]
        demo: bool,
    },
    /// 执行数据库迁移
    Migrate,
    /// 向配置的数据库加载演示数据
    Demo {
        /// 再加入大规模履职数据用于测量：city（2 万委员、66 万条记录）| province（10 万、330 万）| national（60 万、2000 万，用 PostgreSQL）
        #[arg(long)]
        scale: Option<String>,
    },
    /// 新建政协组织（首次部署时建立本级组织）
    Committee {
        #[command(subcommand)]
        action: CommitteeCmd,
    },
    /// 账号管理
    User {
        #[command(subcommand)]
        action: UserCmd,
    },
    /// 导入数据
    Import {
        #[command(subcommand)]
        what: ImportCmd,
    },
    /// 导出数据
    Export {
        #[command(subcommand)]
        what: ExportCmd,
    },
    /// 配置
    Config {
        #[command(subcommand)]
        action: ConfigCmd,
    },
    /// 审计记录
    Audit {
        #[command(subcommand)]
        action: AuditCmd,
    },
    /// 加密密钥：固定索引与审计密钥、生成新密钥、把个人数据改用新密钥加密
    Keys {
        #[command(subcommand)]
        action: keys::KeysCmd,
    },
    /// 履职日志（云日志）
    Duty {
        #[command(subcommand)]
        action: DutyCmd,
    },
    /// 备份：写出整个数据库的一致快照（服务运行时也可；含校验和；不含密钥，密钥请另行备份）
    Backup {
        /// 备份文件
        #[arg(short = 'o', long)]
        output: PathBuf,
    },
    /// 恢复：把备份载入一个空数据库（SQLite 或 PostgreSQL，由 --database-url 指定）；也用于从 SQLite 迁移到 PostgreSQL
    Restore {
        /// 备份文件
        file: PathBuf,
        /// 只校验备份文件（校验和与结构），不写入数据库
        #[arg(long)]
        check: bool,
    },
    /// 报告
    Report {
        #[command(subcommand)]
        what: ReportCmd,
    },
}

#[derive(Subcommand)]
enum ReportCmd {
    /// 年度委员履职情况统计报告（向常委会报告）
    Annual {
        #[arg(long)]
        year: i64,
        /// pdf | xlsx | html
        #[arg(long, default_value = "pdf")]
        format: String,
        /// 输出文件
        #[arg(short = 'o', long)]
        output: std::path::PathBuf,
        #[arg(long)]
        committee: Option<i64>,
    },
}

#[derive(Subcommand)]
enum DutyCmd {
    /// 把尚未记入的事件记入履职日志（服务运行时每两秒自动进行）
    CatchUp,
    /// 清空并按事件流重建履职日志（可只重建一年），结果与原日志完全相同
    Rebuild {
        #[arg(long)]
        year: Option<i64>,
    },
}

#[derive(Subcommand)]
enum CommitteeCmd {
    /// 新建顶级政协组织
    Add {
        name: String,
        /// national | province | city | county
        #[arg(long, default_value = "city")]
        level: String,
        #[arg(long, default_value = "")]
        region: String,
    },
    /// 列出所有政协组织
    List,
}

#[derive(Subcommand)]
enum UserCmd {
    /// 新建账号（密码从 --password 或标准输入读取）
    Add {
        username: String,
        /// admin | office | committee_staff | convenor | member | studio_lead | handling_unit | constituent
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: Option<String>,
        #[arg(long)]
        password: Option<String>,
        /// 所属政协组织编号（默认第一个）
        #[arg(long)]
        committee: Option<i64>,
        /// 关联的委员编号
        #[arg(long)]
        member: Option<i64>,
        /// 承办单位账号所属的承办单位编号
        #[arg(long)]
        unit: Option<i64>,
    },
    /// 修改密码（新密码从 --password 或标准输入读取）
    Passwd {
        username: String,
        #[arg(long)]
        password: Option<String>,
    },
    /// 列出账号
    List,
}

#[derive(Subcommand)]
enum ImportCmd {
    /// 导入委员花名册（XLSX 或 CSV）
    Members {
        file: PathBuf,
        #[arg(long)]
        committee: Option<i64>,
        /// 只检查，不写入
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum ExportCmd {
    /// 导出委员花名册（按扩展名选择 .xlsx 或 .csv）
    Members {
        file: PathBuf,
        #[arg(long)]
        committee: Option<i64>,
    },
}

#[derive(Subcommand)]
enum ConfigCmd {
    /// 打印带注释的配置示例
    Example,
}

#[derive(Subcommand)]
enum AuditCmd {
    /// 校验审计链（密钥 HMAC 与签名检查点）：完好输出 OK，否则指出第一条被破坏的记录并以非零状态退出
    Verify,
    /// 立即写入一条签名检查点（serve 启动时和每天也会写入）
    Checkpoint,
    /// 更换审计密钥：新密钥配置为 audit_key，原密钥列入 audit_retired_keys；先停止所有节点
    Rotate,
    /// 打印正在使用的审计密钥（base64），以便更换加密密钥前单独固定审计密钥
    ShowKey,
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    if let Err(e) = run(cli).await {
        eprintln!("错误：{e:#}");
        std::process::exit(1);
    }
}

/// Logs go to stderr: for people on a terminal (with colour), as JSON lines for a journal or
/// a log collector otherwise. A request's lines carry its span (request id, method, route).
/// Lines are written by a thread of their own, in batches (one write for all the lines that
/// are waiting), so a request never waits for the log file; when the queue is full, callers
/// wait rather than lose lines. The guard flushes what is queued when it is dropped.
fn init_logging(c: &Config) -> tracing_appender::non_blocking::WorkerGuard {
    use std::io::IsTerminal;
    let filter =
        tracing_subscriber::EnvFilter::try_new(c.log.as_deref().unwrap_or("info,sqlx=warn"))
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Service calls are debug spans: asked for (say `info,lianxin_service=debug`), each one
    // logs its duration when it ends; at the default level they cost nothing.
    let timed = filter
        .max_level_hint()
        .is_some_and(|l| l >= tracing_subscriber::filter::LevelFilter::DEBUG);
    let spans = if timed {
        tracing_subscriber::fmt::format::FmtSpan::CLOSE
    } else {
        tracing_subscriber::fmt::format::FmtSpan::NONE
    };
    let terminal = std::io::stderr().is_terminal();
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .thread_name("lianxin-log")
        .finish(std::io::BufWriter::new(std::io::stderr()));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(spans)
        .with_ansi(terminal)
        .with_writer(writer);
    let _ = if terminal {
        builder.try_init()
    } else {
        builder
            .json()
            .with_current_span(true)
            // With service spans on, a line's innermost span is the service call's: the
            // list keeps the request's span (and its id) on it too.
            .with_span_list(timed)
            .try_init()
    };
    guard
}

/// The innermost cause of an error, said once (drivers wrap the same cause several times).
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

async fn open(c: &Config) -> Result<App> {
    open_with(c, 0).await
}

/// Open the database and check that this node holds the audit key the chain is written
/// under now (see `lianxin_service::audit::check_key`).
async fn open_checked(c: &Config, warm: u32) -> Result<App> {
    let app = open_with(c, warm).await?;
    audit::check_key(&app).await.map_err(|e| anyhow!("{e}"))?;
    Ok(app)
}

/// Open the database; `warm` PostgreSQL connections stay open while idle (see `Db::connect_with`).
async fn open_with(c: &Config, warm: u32) -> Result<App> {
    let url = c.database_url();
    let db = Db::connect_with(url, warm).await.map_err(|e| {
        anyhow!(
            "无法连接数据库 {}：{}。请检查 database_url / LIANXIN_DATABASE_URL 以及数据库是否在运行。Cannot connect to the database.",
            config::redact_url(url),
            root_cause(&e)
        )
    })?;
    if let Ok((Some(applied), known)) = db.schema_versions().await
        && applied > known
    {
        bail!(
            "数据库已由更新版本的连心升级（结构版本 {applied}，本程序只认识到 {known}）：请使用新版本的 lianxin。The database is newer than this binary: upgrade lianxin."
        );
    }
    db.migrate().await.map_err(|e| {
        anyhow!(
            "数据库迁移失败：{}。Migrating the database failed.",
            root_cause(&e)
        )
    })?;
    let key = config::encryption_key(c)?;
    let mut crypto = Crypto::from_base64(&key).map_err(|e| anyhow!("{e}"))?;
    if let Some(audit) = &c.audit_key {
        crypto = crypto
            .with_audit_key(audit)
            .map_err(|e| anyhow!("审计密钥 LIANXIN_AUDIT_KEY：{e}"))?;
    }
    if let Some(index) = &c.index_key {
        crypto = crypto
            .with_index_key(index)
            .map_err(|e| anyhow!("索引密钥 LIANXIN_INDEX_KEY：{e}"))?;
    }
    let crypto = crypto
        .with_other_keys(&c.encryption_other_keys)
        .map_err(|e| anyhow!("其他加密密钥 encryption_other_keys：{e}"))?
        .with_retired_audit_keys(&c.audit_retired_keys)
        .map_err(|e| anyhow!("原审计密钥 audit_retired_keys：{e}"))?;
    let app = App::new(db, crypto)
        .with_checkpoints(c.audit_checkpoints())
        .with_metrics_token(c.metrics_token.clone());
    lianxin_service::keys::check_encryption_key(&app)
        .await
        .map_err(|e| anyhow!("{e}"))?;
    Ok(app)
}

async fn committee_id(app: &App, given: Option<i64>) -> Result<i64> {
    if let Some(id) = given {
        return committees::get(app, id)
            .await?
            .map(|c| c.0)
            .ok_or_else(|| anyhow!("没有编号为 {id} 的政协组织"));
    }
    committees::default_public(app).await?.ok_or_else(|| {
        anyhow!("尚无政协组织：请先运行 `lianxin committee add 名称` 或 `lianxin demo`")
    })
}

fn read_password(given: Option<String>) -> Result<String> {
    if let Some(p) = given {
        return Ok(p);
    }
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s)?;
    Ok(s.trim_end_matches(['\r', '\n']).to_string())
}

async fn run(cli: Cli) -> Result<()> {
    let mut c = Config::load(cli.config.as_deref())?;
    if let Some(url) = cli.database_url {
        c.database_url = Some(url);
    }
    // Flushes the log when `run` returns, before an error is printed and the process exits.
    let _log = init_logging(&c);
    match cli.command {
        Command::Config {
            action: ConfigCmd::Example,
        } => {
            print!("{}", config::EXAMPLE);
            Ok(())
        }
        Command::Migrate => {
            open(&c).await?;
            println!("迁移完成（{}）", config::redact_url(c.database_url()));
            Ok(())
        }
        Command::Demo { scale } => {
            let scale = match scale.as_deref() {
                None => None,
                Some(s) => Some(
                    lianxin_service::demo_scale::Scale::parse(s)
                        .ok_or_else(|| anyhow!("规模应为 city、province 或 national"))?,
                ),
            };
            let app = open(&c).await?;
            load_demo(&app).await?;
            if let Some(scale) = scale {
                let bar = Progress::new("写入规模数据");
                lianxin_service::demo_scale::load(&app, scale, &|d, a| bar.show(d, a)).await?;
                bar.finish();
                println!(
                    "已加入 {} 名委员、{} 条履职记录",
                    scale.members(),
                    scale.entries()
                );
            }
            Ok(())
        }
        Command::Serve { addr, demo } => {
            if let Some(a) = addr {
                c.addr = Some(a);
            }
            serve(c, demo).await
        }
        Command::Backup { output } => {
            let app = open(&c).await?;
            // Written beside the target and renamed when complete: a failed or interrupted
            // backup never leaves a file that looks like a good one.
            let partial = PathBuf::from(format!("{}.partial", output.display()));
            let file = std::fs::File::create(&partial)
                .with_context(|| format!("无法创建备份文件 {}", partial.display()))?;
            let mut out = std::io::BufWriter::new(file);
            let bar = Progress::new("备份");
            let sum = backup::backup(&app, &mut out, &|d, a| bar.show(d as i64, a as i64))
                .await
                .map_err(|e| anyhow!("{e}"))?;
            bar.finish();
            out.into_inner()
                .map_err(|e| anyhow!("写入备份失败：{e}"))?
                .sync_all()?;
            std::fs::rename(&partial, &output)?;
            println!(
                "已备份：{} 张表、{} 行 → {}\nSHA-256 {}\n（备份中没有密钥：请另行保管 encryption_key 和 audit_key）",
                sum.tables,
                sum.rows,
                output.display(),
                sum.sha256
            );
            Ok(())
        }
        Command::Restore { file, check } => {
            let read = || -> Result<std::io::BufReader<std::fs::File>> {
                Ok(std::io::BufReader::new(
                    std::fs::File::open(&file)
                        .with_context(|| format!("无法读取备份文件 {}", file.display()))?,
                ))
            };
            // The whole file is checked before anything is written.
            let sum = backup::check(&mut read()?).map_err(|e| anyhow!("{e}"))?;
            if check {
                println!(
                    "备份文件完好：{} 张表、{} 行，SHA-256 {}",
                    sum.tables, sum.rows, sum.sha256
                );
                return Ok(());
            }
            let app = open(&c).await?;
            let bar = Progress::new("恢复");
            let done = backup::restore(&app, &mut read()?, &|d, a| bar.show(d as i64, a as i64))
                .await
                .map_err(|e| anyhow!("{e}"))?;
            bar.finish();
            println!(
                "已恢复：{} 张表、{} 行 → {}（{}）。可运行 `lianxin audit verify` 检查审计链。",
                done.tables,
                done.rows,
                config::redact_url(c.database_url()),
                app.backend_name()
            );
            Ok(())
        }
        Command::Committee { action } => {
            let app = open(&c).await?;
            match action {
                CommitteeCmd::Add {
                    name,
                    level,
                    region,
                } => {
                    if !lianxin_domain::schema::LEVELS
                        .iter()
                        .any(|(code, _)| *code == level)
                    {
                        bail!("层级应为 national、province、city 或 county");
                    }
                    let id =
                        committees::create_root(&app, name.trim(), &level, region.trim()).await?;
                    println!("已建立政协组织（编号 {id}），内置 34 个全国政协界别");
                }
                CommitteeCmd::List => {
                    for (id, name, level) in committees::all(&app).await? {
                        println!("{id}\t{name}\t{level}");
                    }
                }
            }
            Ok(())
        }
        Command::User { action } => {
            let app = open(&c).await?;
            match action {
                UserCmd::Add {
                    username,
                    role,
                    name,
                    password,
                    committee,
                    member,
                    unit,
                } => {
                    let cid = committee_id(&app, committee).await?;
                    if Role::parse(&role).is_none() {
                        bail!("未知角色 {role}");
                    }
                    let password = read_password(password)?;
                    let g = system_actor(cid)
                        .grant::<ManageUsers>()
                        .map_err(|_| anyhow!("权限错误"))?;
                    let display = name.unwrap_or_else(|| username.clone());
                    let input = auth::UserInput {
                        username: &username,
                        display_name: &display,
                        role: &role,
                        password: &password,
                        member_id: member,
                        handling_unit_id: unit,
                    };
                    let id = auth::add_user(&app, &g, &input, false).await?;
                    println!("已创建账号 {username}（编号 {id}）");
                }
                UserCmd::Passwd { username, password } => {
                    let password = read_password(password)?;
                    let g = system_actor(0)
                        .grant::<ManageUsers>()
                        .map_err(|_| anyhow!("权限错误"))?;
                    auth::set_password(&app, &g, &username, &password).await?;
                    println!("已修改 {username} 的密码，原有会话已失效");
                }
                UserCmd::List => {
                    let g = system_actor(0)
                        .grant::<ManageUsers>()
                        .map_err(|_| anyhow!("权限错误"))?;
                    for u in auth::list_all_users(&app, &g).await? {
                        let role = Role::parse(&u.role).map(|r| r.label()).unwrap_or("?");
                        println!(
                            "{}\t{}\t{}\t{}\t政协组织 {}",
                            u.id, u.username, u.display_name, role, u.committee_id
                        );
                    }
                }
            }
            Ok(())
        }
        Command::Import {
            what:
                ImportCmd::Members {
                    file,
                    committee,
                    dry_run,
                },
        } => {
            let app = open(&c).await?;
            let cid = committee_id(&app, committee).await?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("无法读取 {}", file.display()))?;
            let g = system_actor(cid)
                .grant::<ManageOrganisation>()
                .map_err(|_| anyhow!("权限错误"))?;
            let plan = if dry_run {
                roster::preview(&app, &g, &bytes).await?
            } else {
                roster::import(&app, &g, &bytes).await?
            };
            if !plan.errors.is_empty() {
                for e in &plan.errors {
                    eprintln!("第 {} 行 [{}]：{}", e.line, e.column, e.message);
                }
                bail!("共 {} 处错误，未写入任何数据", plan.errors.len());
            }
            let verb = if dry_run { "将" } else { "已" };
            println!(
                "{verb}新增 {} 名、更新 {} 名委员",
                plan.creates(),
                plan.updates()
            );
            Ok(())
        }
        Command::Export {
            what: ExportCmd::Members { file, committee },
        } => {
            let app = open(&c).await?;
            let cid = committee_id(&app, committee).await?;
            let g = system_actor(cid)
                .grant::<RevealPhone>()
                .map_err(|_| anyhow!("权限错误"))?;
            let rows = roster::export_rows(&app, &g).await?;
            let xlsx = file
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
            let bytes = if xlsx {
                roster::to_xlsx(&rows)?
            } else {
                roster::to_csv(&rows)?
            };
            std::fs::write(&file, bytes).with_context(|| format!("无法写入 {}", file.display()))?;
            println!("已导出 {} 名委员到 {}", rows.len() - 1, file.display());
            Ok(())
        }
        Command::Duty {
            action: DutyCmd::CatchUp,
        } => {
            let app = open(&c).await?;
            let n = lianxin_service::duty::catch_up(&app).await?;
            println!("已处理 {n} 个事件");
            Ok(())
        }
        Command::Duty {
            action: DutyCmd::Rebuild { year },
        } => {
            let app = open(&c).await?;
            lianxin_service::duty::catch_up(&app).await?;
            let bar = Progress::new("重放事件");
            let n = lianxin_service::duty::rebuild(&app, year, &|done, all| bar.show(done, all))
                .await?;
            bar.finish();
            match year {
                Some(y) => println!("已重建 {y} 年的履职日志：{n} 条"),
                None => println!("已重建履职日志：{n} 条"),
            }
            Ok(())
        }
        Command::Report {
            what:
                ReportCmd::Annual {
                    year,
                    format,
                    output,
                    committee,
                },
        } => {
            use lianxin_service::duty::annual::{self, Format};
            let f =
                Format::parse(&format).ok_or_else(|| anyhow!("报告格式应为 pdf、xlsx 或 html"))?;
            let app = open(&c).await?;
            let cid = committee_id(&app, committee).await?;
            let bar = Progress::new("生成年度报告");
            bar.show(0, 3);
            lianxin_service::duty::catch_up(&app).await?;
            bar.show(1, 3);
            let g = system_actor(cid)
                .grant::<lianxin_domain::access::ManageDutyYear>()
                .map_err(|_| anyhow!("权限错误"))?;
            let report = annual::build(&app, &g, year).await?;
            bar.show(2, 3);
            let bytes = annual::render(report, f).await?;
            std::fs::write(&output, &bytes)
                .with_context(|| format!("无法写入 {}", output.display()))?;
            bar.show(3, 3);
            bar.finish();
            println!(
                "已生成 {year} 年度报告：{}（{} 字节）",
                output.display(),
                bytes.len()
            );
            Ok(())
        }
        Command::Keys { action } => keys::run(&c, action).await,
        Command::Audit {
            action: AuditCmd::Rotate,
        } => {
            let app = open(&c).await?;
            let epoch = audit::rotate(&app).await.map_err(|e| anyhow!("{e}"))?;
            println!(
                "已更换审计密钥：自第 {} 条记录起使用密钥 {}，并已写入签名检查点。原密钥请继续保留在 audit_retired_keys 中。",
                epoch.from, epoch.key_id
            );
            Ok(())
        }
        Command::Audit {
            action: AuditCmd::ShowKey,
        } => {
            let app = open(&c).await?;
            println!("{}", app.audit_key_base64());
            Ok(())
        }
        Command::Audit {
            action: AuditCmd::Checkpoint,
        } => {
            let app = open_checked(&c, 0).await?;
            match audit::checkpoint(&app).await? {
                Some(cp) => println!(
                    "已写入检查点：第 {} 条记录，{} → {}",
                    cp.seq,
                    &cp.hash[..16.min(cp.hash.len())],
                    c.audit_checkpoints().display()
                ),
                None => println!("审计链自上一检查点以来没有新记录，未重复写入"),
            }
            Ok(())
        }
        Command::Audit {
            action: AuditCmd::Verify,
        } => {
            let app = open(&c).await?;
            match audit::verify(&app).await? {
                Verdict::Ok { records } => {
                    println!("OK（{records} 条审计记录，密钥链与签名检查点均完整）");
                    Ok(())
                }
                Verdict::Broken { seq, reason } => {
                    bail!("审计链在第 {seq} 条记录处被破坏：{reason}")
                }
            }
        }
    }
}

/// Progress of a long command: a bar redrawn in place on a terminal, plain lines otherwise
/// (a log file, a pipe).
struct Progress {
    label: &'static str,
    terminal: bool,
}

impl Progress {
    fn new(label: &'static str) -> Progress {
        use std::io::IsTerminal;
        Progress {
            label,
            terminal: std::io::stderr().is_terminal(),
        }
    }
    fn show(&self, done: i64, all: i64) {
        let pct = if all > 0 { done * 100 / all } else { 100 };
        if self.terminal {
            let filled = (pct / 5) as usize;
            eprint!(
                "\r{} [{}{}] {pct:>3}% {done}/{all}",
                self.label,
                "#".repeat(filled),
                " ".repeat(20 - filled.min(20))
            );
        } else {
            eprintln!("{}：{done}/{all}（{pct}%）", self.label);
        }
    }
    fn finish(&self) {
        if self.terminal {
            eprintln!();
        }
    }
}

async fn load_demo(app: &App) -> Result<()> {
    let loaded = demo::load(app).await?;
    if loaded.created {
        println!(
            "已加载演示数据：政协江川市委员会（300 名委员、12 个工作室、8 个专委会、20 个承办单位）"
        );
    } else {
        println!("演示数据已存在，未重复加载");
    }
    println!("演示账号（密码均为 {}）：", demo::PASSWORD);
    for (username, role, _) in demo::ACCOUNTS {
        println!("  {username:<16} {}", role.label());
    }
    println!(
        "Open311 演示密钥：{}",
        lianxin_service::demo_concerns::OPEN311_KEY
    );
    Ok(())
}

/// Wait for SIGTERM (what systemd, Kubernetes and process managers send) or Ctrl-C / SIGINT.
async fn stop_signal() -> &'static str {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!("SIGTERM cannot be handled: {e}");
                std::future::pending::<()>().await
            }
        }
    };
    tokio::select! {
        _ = term => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
    }
}

async fn serve(c: Config, demo_mode: bool) -> Result<()> {
    // The address first: a port in use is said before anything touches the database.
    let addr: SocketAddr = c.addr().parse().map_err(|_| {
        anyhow!(
            "监听地址无效：{}（应为 主机:端口，如 127.0.0.1:8080）/ invalid listen address",
            c.addr()
        )
    })?;
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        anyhow!("无法监听 {addr}：{e}（端口已被占用？请换 --addr 或停止占用它的程序）/ cannot listen on {addr}")
    })?;
    let app = open_checked(&c, lianxin_store::db::WARM_CONNECTIONS).await?;
    if demo_mode {
        load_demo(&app).await?;
    }
    let local = listener.local_addr()?;
    let public_url = c
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));
    let state = lianxin_web::State {
        app: app.clone(),
        public_url: public_url.clone(),
        secure_cookies: c.secure_cookies.unwrap_or(false),
        trust_proxy: c.trust_proxy.unwrap_or(false),
    };
    // The background jobs run beside the server and stop with it (see `lianxin_service::jobs`).
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let job_loop = tokio::spawn(jobs::run(app.clone(), jobs::node_name(), stopped.clone()));
    println!(
        "连心已启动：{public_url}  （数据库：{}）",
        app.backend_name()
    );
    tracing::info!(database = %config::redact_url(c.database_url()), "listening on {local}");
    let router = lianxin_web::router(state);
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        let signal = stop_signal().await;
        tracing::info!("{signal}: stopping (no new connections; requests in flight finish)");
        let _ = stop.send(true);
    })
    .into_future();
    let grace = c.shutdown_grace();
    // Requests in flight get `grace` to finish; then the server future is dropped, which
    // closes what is left (a client that never finishes its body cannot hold the stop).
    let mut after_signal = stopped.clone();
    tokio::select! {
        r = server => r?,
        _ = async {
            let _ = after_signal.wait_for(|s| *s).await;
            tokio::time::sleep(grace).await;
        } => tracing::warn!("requests still open after {} s were closed", grace.as_secs()),
    }
    // The job step running now commits or rolls back; then the loop ends.
    if tokio::time::timeout(grace, job_loop).await.is_err() {
        tracing::warn!(
            "a job was still running after {} s and was stopped",
            grace.as_secs()
        );
    }
    app.close().await;
    Ok(())
}
