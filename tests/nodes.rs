//! Two `serve` processes on one database, as a committee that outgrew one machine runs them:
//! a login and a write on one are good on the other at once, each period of every job runs
//! on one node only, and SIGTERM stops a node cleanly within its grace time.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

/// A `lianxin serve` process and the address it listens on.
struct Node {
    child: Child,
    base: String,
    log: std::path::PathBuf,
}

impl Node {
    fn start(t: &common::TestApp, name: &str) -> Node {
        let log = std::env::temp_dir()
            .join("lianxin-tests")
            .join(format!("node_{name}_{}.log", std::process::id()));
        let mut child = Command::new(env!("CARGO_BIN_EXE_lianxin"))
            .args(["--database-url", &t.url, "serve", "--addr", "127.0.0.1:0"])
            .env("LIANXIN_ENCRYPTION_KEY", &t.key)
            .env("LIANXIN_AUDIT_CHECKPOINTS", &t.checkpoints)
            .env("LIANXIN_SHUTDOWN_GRACE_SECS", "2")
            .env_remove("LIANXIN_DATABASE_URL")
            .current_dir(std::env::temp_dir())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("start serve");
        let out = child.stdout.take().expect("stdout");
        let line = BufReader::new(out)
            .lines()
            .map_while(Result::ok)
            .find(|l| l.starts_with("连心已启动："))
            .unwrap_or_else(|| panic!("{name} did not start: {}", read(&log)));
        let base = line
            .trim_start_matches("连心已启动：")
            .split_whitespace()
            .next()
            .expect("address")
            .to_string();
        Node { child, base, log }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Send SIGTERM and wait (at most `limit`) for the exit; its status code.
    fn terminate(&mut self, limit: Duration) -> Option<i32> {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        let start = Instant::now();
        while start.elapsed() < limit {
            if let Some(s) = self.child.try_wait().expect("wait") {
                return s.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        None
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read(p: &std::path::Path) -> String {
    std::fs::read_to_string(p).unwrap_or_default()
}

both_demo!(two_nodes_share_sessions_data_and_jobs, |t| {
    let (escalate, ask) = t.due_work(40, 30).await;
    assert!(escalate >= 40 && ask > 0);
    let (mut a, mut b) = std::thread::scope(|s| {
        let a = s.spawn(|| Node::start(&t, "a"));
        let b = s.spawn(|| Node::start(&t, "b"));
        (a.join().expect("a"), b.join().expect("b"))
    });
    // Signed in on A, the same browser is signed in on B (and B takes A's CSRF token).
    let browser = common::sign_in_at(&a.base, "admin", lianxin_service::demo::PASSWORD).await;
    let on_b = browser.get(b.url("/office/jobs")).send().await.unwrap();
    assert_eq!(on_b.status(), 200, "a login on A is valid on B");
    // A write through A is read through B at once (B's read cache included).
    let office = t.token("office").await;
    let members = |base: &str| format!("{base}/api/v1/members?per_page=5");
    let first = t.call(t.api.get(members(&b.base)), &office).await.1["items"][0]["id"]
        .as_i64()
        .unwrap();
    let (s, _) = t
        .call(
            t.api
                .patch(a.url(&format!("/api/v1/members/{first}")))
                .json(&json!({"employer": "两节点单位"})),
            &office,
        )
        .await;
    assert_eq!(s, 200);
    let (_, seen) = t
        .call(
            t.api.get(b.url(&format!("/api/v1/members/{first}"))),
            &office,
        )
        .await;
    assert_eq!(seen["employer"], "两节点单位");
    // Both nodes look for due jobs every second: each job runs once in its period.
    let deadline = Instant::now() + Duration::from_secs(60);
    while t.events_of("concern.escalated").await.0 < escalate
        || t.events_of("concern.follow_up_sent").await.0 < ask
    {
        assert!(
            Instant::now() < deadline,
            "jobs did not run: {}\n{}",
            read(&a.log),
            read(&b.log)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(t.events_of("concern.escalated").await, (escalate, escalate));
    assert_eq!(t.events_of("concern.follow_up_sent").await, (ask, ask));
    for job in [
        "concern_escalation",
        "concern_follow_up",
        "proposal_escalation",
        "session_sweep",
    ] {
        assert_eq!(
            t.count_sql(&format!(
                "SELECT COUNT(*) FROM job_runs WHERE name = '{job}' AND outcome = 'ok'"
            ))
            .await,
            1,
            "{job} ran once"
        );
    }
    // The duty log kept up on whichever node held it: its cursor is at the newest event.
    let newest = t.count_sql("SELECT MAX(id) FROM events").await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while t
        .count_sql("SELECT position FROM event_cursors WHERE consumer = 'duty_log'")
        .await
        < newest
    {
        assert!(Instant::now() < deadline, "the duty log fell behind");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // SIGTERM: B stops within its grace time, even with a client that never finishes its
    // body, and exits 0; A serves on.
    let mut stuck = std::net::TcpStream::connect(b.base.trim_start_matches("http://")).unwrap();
    stuck
        .write_all(b"POST /api/v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"user")
        .unwrap();
    let started = Instant::now();
    assert_eq!(
        b.terminate(Duration::from_secs(15)),
        Some(0),
        "{}",
        read(&b.log)
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert!(read(&b.log).contains("SIGTERM"), "{}", read(&b.log));
    let r = browser.get(a.url("/office/jobs")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        a.terminate(Duration::from_secs(15)),
        Some(0),
        "{}",
        read(&a.log)
    );
});

// kill -9 under write load: every write the server acknowledged is there after a restart.
both_demo!(kill_9_under_writes_loses_no_acknowledged_write, |t| {
    let mut a = Node::start(&t, "crash-a");
    let base = a.base.clone();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut writers = vec![];
    for w in 0..4 {
        let (client, base, stop) = (client.clone(), base.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut acknowledged = vec![];
            for i in 0.. {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    break;
                }
                let sent = client
                    .post(format!("{base}/open311/v2/requests.json"))
                    .form(&[
                        ("api_key", lianxin_service::demo_concerns::OPEN311_KEY),
                        ("service_code", "urban"),
                        ("description", &format!("崩溃测试 {w}-{i}：路灯不亮")),
                        ("address_string", "滨江街道"),
                    ])
                    .send()
                    .await;
                let Ok(r) = sent else { break };
                if !r.status().is_success() {
                    continue;
                }
                let Ok(v) = r.json::<serde_json::Value>().await else {
                    continue;
                };
                if let Some(id) = v[0]["service_request_id"].as_str() {
                    acknowledged.push(id.to_string());
                }
            }
            acknowledged
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    a.child.kill().unwrap(); // SIGKILL: no chance to flush anything
    a.child.wait().unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut ids = vec![];
    for w in writers {
        ids.extend(w.await.unwrap());
    }
    assert!(ids.len() > 20, "the writers got through: {}", ids.len());
    // Restarted on the same database: every acknowledged request is there.
    let b = Node::start(&t, "crash-b");
    let list = ids
        .iter()
        .map(|id| id.parse::<i64>().expect("a numeric id").to_string())
        .collect::<Vec<_>>()
        .join(",");
    let found = t
        .count_sql(&format!(
            "SELECT COUNT(*) FROM concerns WHERE id IN ({list})"
        ))
        .await;
    assert_eq!(found, ids.len() as i64, "acknowledged {} writes", ids.len());
    let one = client
        .get(b.url(&format!("/open311/v2/requests/{}.json", ids[ids.len() - 1])))
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 200);
});

// Two nodes starting at the same moment on a new database run each migration once.
async fn migrate_twice_at_once(backend: common::Backend) {
    let url = common::fresh_database(backend).await;
    let key = lianxin_service::Crypto::generate_key();
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_lianxin"))
            .args(["--database-url", &url, "migrate"])
            .env("LIANXIN_ENCRYPTION_KEY", &key)
            .env_remove("LIANXIN_DATABASE_URL")
            .current_dir(std::env::temp_dir())
            .spawn()
            .expect("migrate")
    };
    let (mut a, mut b) = (run(), run());
    let (sa, sb) = (a.wait().unwrap(), b.wait().unwrap());
    assert!(sa.success() && sb.success(), "{sa:?} {sb:?}");
    let db = lianxin_store::Db::connect(&url).await.unwrap();
    let (applied, known) = db.schema_versions().await.unwrap();
    assert_eq!(applied, Some(known));
    let mut c = db.acquire().await.unwrap();
    let q = "SELECT COUNT(*) - COUNT(DISTINCT version) FROM _sqlx_migrations";
    let twice: i64 = match c.conn() {
        lianxin_store::Conn::Sqlite(x) => sqlx::query_scalar(q).fetch_one(&mut *x).await,
        lianxin_store::Conn::Postgres(x) => sqlx::query_scalar(q).fetch_one(&mut *x).await,
    }
    .unwrap();
    assert_eq!(twice, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_migrating_at_once_sqlite() {
    migrate_twice_at_once(common::Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_migrating_at_once_postgres() {
    migrate_twice_at_once(common::Backend::Postgres).await
}

/// A free port on 127.0.0.1 (bound and let go: the next bind takes it).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

/// `curl -k` (the certificate is made by the test): status, headers and body.
fn curl(url: &str) -> (u16, String) {
    let o = Command::new("curl")
        .args([
            "-ks",
            "-D",
            "-",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            url,
        ])
        .output()
        .expect("curl");
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    let code = text[text.len().saturating_sub(3)..].parse().unwrap_or(0);
    (code, text)
}

// The nginx site of `deploy/` in front of two nodes, as README's production section sets it
// up (only the addresses, certificate and log paths are the test's): HTTP goes to HTTPS,
// both nodes answer, the request id nginx makes reaches the app and comes back, and a node
// stopped with SIGTERM is stepped around without a failed request.
both_demo!(the_deploy_nginx_site_fronts_two_nodes, |t| {
    let nginx = ["/usr/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect("nginx is installed (.ci/run installs Debian's nginx-light)");
    let (a, mut b) = (Node::start(&t, "ngx-a"), Node::start(&t, "ngx-b"));
    let dir = std::env::temp_dir().join("lianxin-tests").join(format!(
        "nginx_{}_{:?}",
        std::process::id(),
        t.backend
    ));
    std::fs::create_dir_all(&dir).expect("dir");
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=lianxin.example.gov.cn", "-keyout"])
        .arg(dir.join("privkey.pem"))
        .arg("-out")
        .arg(dir.join("fullchain.pem"))
        .stderr(Stdio::null())
        .status()
        .expect("openssl");
    assert!(status.success());
    let (http, https) = (free_port(), free_port());
    let host = |n: &Node| n.base.trim_start_matches("http://").to_string();
    let site = read(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/deploy/nginx-lianxin.conf"
    )))
    .replace("10.0.0.11:8080", &host(&a))
    .replace("10.0.0.12:8080", &host(&b))
    .replace("listen 80;", &format!("listen 127.0.0.1:{http};"))
    .replace("listen 443 ssl", &format!("listen 127.0.0.1:{https} ssl"))
    .replace("/etc/ssl/lianxin", dir.to_str().expect("path"))
    .replace("/var/log/nginx", dir.to_str().expect("path"))
    .lines()
    .filter(|l| !l.contains("[::]"))
    .collect::<Vec<_>>()
    .join("\n");
    assert!(site.contains(&host(&a)) && site.contains(&https.to_string()));
    std::fs::write(dir.join("site.conf"), site).expect("site");
    let d = dir.display();
    std::fs::write(
        dir.join("nginx.conf"),
        format!(
            "daemon off;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\n\
             http {{\n client_body_temp_path {d};\n proxy_temp_path {d};\n\
             include {d}/site.conf;\n}}\n"
        ),
    )
    .expect("conf");
    let _proxy = Nginx(
        Command::new(nginx)
            .args(["-p", dir.to_str().expect("path"), "-c"])
            .arg(dir.join("nginx.conf"))
            // Its workers must not hold the test's output open after it ends.
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx"),
    );
    let front = format!("https://127.0.0.1:{https}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while curl(&format!("{front}/healthz")).0 != 200 {
        assert!(
            Instant::now() < deadline,
            "nginx: {}",
            read(&dir.join("error.log"))
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (code, head) = curl(&format!("http://127.0.0.1:{http}/members"));
    assert_eq!(code, 301, "{head}");
    assert!(head.to_lowercase().contains("location: https://"), "{head}");
    let (code, head) = curl(&format!("{front}/members"));
    assert_eq!(code, 200, "{head}");
    let rid = head
        .lines()
        .find_map(|l| l.strip_prefix("x-request-id: "))
        .expect("a request id")
        .trim()
        .to_string();
    assert_eq!(rid.len(), 32, "nginx's own id, passed to the app: {rid}");
    let access = read(&dir.join("lianxin.access.log"));
    assert!(access.contains(&format!("rid={rid}")), "{access}");
    assert!(
        !access.contains("?"),
        "no query in the access log: {access}"
    );
    // Both nodes served: nginx balances round robin.
    for _ in 0..6 {
        assert_eq!(curl(&format!("{front}/members")).0, 200);
    }
    let access = read(&dir.join("lianxin.access.log"));
    assert!(
        access.contains(&host(&a)) && access.contains(&host(&b)),
        "{access}"
    );
    // B stops: every request still gets its answer from A.
    assert_eq!(b.terminate(Duration::from_secs(10)), Some(0));
    for _ in 0..6 {
        assert_eq!(curl(&format!("{front}/members")).0, 200);
    }
    drop(a);
});

/// nginx in the foreground; stopped (master and workers) when dropped, also on a failure.
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM makes the master stop its workers; a SIGKILL would orphan them.
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
