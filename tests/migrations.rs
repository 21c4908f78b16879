//! The SQLite and PostgreSQL migrations describe the same schema.

use std::collections::BTreeMap;

fn shape(dir: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for f in files {
        let sql = std::fs::read_to_string(&f).unwrap();
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        out.entry(format!("file {name}")).or_insert_with(Vec::new);
        let mut table = None;
        for line in sql.lines() {
            let l = line.trim();
            if let Some(rest) = l.strip_prefix("CREATE TABLE ") {
                table = Some(rest.split_whitespace().next().unwrap().to_string());
                out.insert(format!("table {}", table.clone().unwrap()), vec![]);
            } else if l.starts_with(')') {
                table = None;
            } else if let Some(t) = &table {
                let col = l.split_whitespace().next().unwrap_or("");
                if !col.is_empty() && col.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                    out.get_mut(&format!("table {t}"))
                        .unwrap()
                        .push(col.to_string());
                }
            } else if l.starts_with("CREATE INDEX") || l.starts_with("CREATE UNIQUE INDEX") {
                out.insert(l.split(" ON ").next().unwrap().to_string(), vec![]);
            }
        }
    }
    out
}

#[test]
fn sqlite_and_postgres_migrations_are_in_step() {
    let base = concat!(env!("CARGO_MANIFEST_DIR"), "/crates/store/migrations");
    let sqlite = shape(&format!("{base}/sqlite"));
    let postgres = shape(&format!("{base}/postgres"));
    assert!(sqlite.len() > 20);
    assert_eq!(sqlite, postgres);
}
