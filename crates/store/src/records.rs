//! Organisation records (R1), stored generically from their [`Resource`] description.
//! Every function is scoped by the owning committee: a row of another committee is not found.
//! Column names come from the static schema, never from input, so the assembled SQL is safe.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use lianxin_domain::schema::{Field, Kind, Res, Resource, resource};
use sqlx::AssertSqlSafe;

use crate::db::{Conn, Param, Result, RowGet, placeholders};
use crate::{bind_params, exec, on};

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    Int(i64),
    Bool(bool),
    Ids(Vec<i64>),
    /// A phone: the mask for lists and the sealed (encrypted) number.
    Phone {
        masked: Option<String>,
        sealed: Option<Vec<u8>>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub id: i64,
    pub cells: BTreeMap<&'static str, Cell>,
}

impl Stored {
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.cells.get(name) {
            Some(Cell::Text(s)) => Some(s),
            _ => None,
        }
    }
    pub fn int(&self, name: &str) -> Option<i64> {
        match self.cells.get(name) {
            Some(Cell::Int(n)) => Some(*n),
            _ => None,
        }
    }
    pub fn ids(&self, name: &str) -> &[i64] {
        match self.cells.get(name) {
            Some(Cell::Ids(v)) => v,
            _ => &[],
        }
    }
}

/// One condition of a list query.
#[derive(Debug, Clone)]
pub enum Filter {
    /// `column = value`
    Eq(&'static str, Param),
    /// The record links to `id` through a many-to-many field.
    Has(&'static Field, i64),
    /// Substring search over the resource's search columns.
    Search(String),
}

fn select_list(res: &Resource) -> String {
    let mut cols = vec!["id".to_string()];
    for f in res.column_fields() {
        if f.kind == Kind::Phone {
            cols.push("phone_masked".into());
            cols.push("phone_enc".into());
        } else {
            cols.push(f.name.to_string());
        }
    }
    cols.join(", ")
}

fn decode(res: &Resource, row: &impl RowGet) -> Result<Stored> {
    let id = row.int("id")?.unwrap_or_default();
    let mut cells = BTreeMap::new();
    for f in res.column_fields() {
        let cell = match f.kind {
            Kind::Text { .. } | Kind::Date | Kind::Time | Kind::Choice(_) => {
                row.text(f.name)?.map(Cell::Text)
            }
            Kind::Int { .. } | Kind::Ref(_) => row.int(f.name)?.map(Cell::Int),
            Kind::Bool => row.boolean(f.name)?.map(Cell::Bool),
            Kind::Phone => Some(Cell::Phone {
                masked: row.text("phone_masked")?,
                sealed: row.bytes("phone_enc")?,
            }),
            Kind::RefMany { .. } => None,
        };
        cells.insert(f.name, cell.unwrap_or(Cell::Null));
    }
    Ok(Stored { id, cells })
}

/// Escape `%`, `_` and `\` so a search for "50%" means the text "50%".
pub fn like_pattern(q: &str) -> String {
    let mut s = String::from("%");
    for ch in q.chars() {
        if matches!(ch, '%' | '_' | '\\') {
            s.push('\\');
        }
        s.push(ch);
    }
    s.push('%');
    s
}

fn where_clause(res: &Resource, scope: i64, filters: &[Filter]) -> (String, Vec<Param>) {
    let mut params = vec![Param::Int(scope)];
    let mut sql = format!(" WHERE t.{} = $1", res.scope_col);
    for filter in filters {
        match filter {
            Filter::Eq(col, p) => {
                params.push(p.clone());
                sql.push_str(&format!(" AND t.{col} = ${}", params.len()));
            }
            Filter::Has(field, id) => {
                if let Kind::RefMany {
                    link_table,
                    owner_col,
                    target_col,
                    ..
                } = field.kind
                {
                    params.push(Param::Int(*id));
                    sql.push_str(&format!(
                        " AND EXISTS (SELECT 1 FROM {link_table} l WHERE l.{owner_col} = t.id AND l.{target_col} = ${})",
                        params.len()
                    ));
                }
            }
            Filter::Search(q) => {
                let ors: Vec<String> = res
                    .search_cols
                    .iter()
                    .map(|col| {
                        params.push(Param::Text(like_pattern(q)));
                        format!("t.{col} LIKE ${} ESCAPE '\\'", params.len())
                    })
                    .collect();
                sql.push_str(&format!(" AND ({})", ors.join(" OR ")));
            }
        }
    }
    (sql, params)
}

/// A page of records and the total that match.
pub async fn list(
    c: &mut Conn<'_>,
    res: &'static Resource,
    scope: i64,
    filters: &[Filter],
    limit: i64,
    offset: i64,
) -> Result<(Vec<Stored>, i64)> {
    let (wh, mut params) = where_clause(res, scope, filters);
    let count_sql = format!("SELECT COUNT(*) FROM {} t{wh}", res.table);
    let total: i64 = on!(c, |x| bind_params!(
        sqlx::query_scalar(AssertSqlSafe(count_sql)),
        &params
    )
    .fetch_one(&mut **x)
    .await)?;
    params.push(Param::Int(limit));
    params.push(Param::Int(offset));
    let n = params.len();
    let order: Vec<String> = res
        .order_by
        .split(',')
        .map(|o| format!("t.{}", o.trim()))
        .collect();
    let sql = format!(
        "SELECT {} FROM {} t{wh} ORDER BY {} LIMIT ${} OFFSET ${}",
        select_list(res)
            .split(", ")
            .map(|c| format!("t.{c}"))
            .collect::<Vec<_>>()
            .join(", "),
        res.table,
        order.join(", "),
        n - 1,
        n
    );
    let mut rows = on!(c, |x| {
        let rows = bind_params!(sqlx::query(AssertSqlSafe(sql)), &params)
            .fetch_all(&mut **x)
            .await?;
        rows.iter()
            .map(|r| decode(res, r))
            .collect::<Result<Vec<_>>>()
    })?;
    load_links(c, res, &mut rows).await?;
    Ok((rows, total))
}

/// Fill in the many-to-many fields of a page of records with one query per field.
async fn load_links(c: &mut Conn<'_>, res: &Resource, rows: &mut [Stored]) -> Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let ids: Vec<Param> = rows.iter().map(|r| Param::Int(r.id)).collect();
    for f in res.fields {
        let Kind::RefMany {
            link_table,
            owner_col,
            target_col,
            ..
        } = f.kind
        else {
            continue;
        };
        let sql = format!(
            "SELECT {owner_col}, {target_col} FROM {link_table} WHERE {owner_col} IN ({}) ORDER BY {target_col}",
            placeholders(1, ids.len())
        );
        let pairs: Vec<(i64, i64)> = on!(c, |x| bind_params!(
            sqlx::query_as(AssertSqlSafe(sql)),
            &ids
        )
        .fetch_all(&mut **x)
        .await)?;
        let mut by_owner: HashMap<i64, Vec<i64>> = HashMap::new();
        for (owner, target) in pairs {
            by_owner.entry(owner).or_default().push(target);
        }
        for r in rows.iter_mut() {
            r.cells.insert(
                f.name,
                Cell::Ids(by_owner.remove(&r.id).unwrap_or_default()),
            );
        }
    }
    Ok(())
}

pub async fn get(
    c: &mut Conn<'_>,
    res: &'static Resource,
    scope: i64,
    id: i64,
) -> Result<Option<Stored>> {
    let sql = format!(
        "SELECT {} FROM {} WHERE id = $1 AND {} = $2",
        select_list(res),
        res.table,
        res.scope_col
    );
    let found = on!(c, |x| {
        let row = sqlx::query(AssertSqlSafe(sql))
            .bind(id)
            .bind(scope)
            .fetch_optional(&mut **x)
            .await?;
        row.as_ref().map(|r| decode(res, r)).transpose()
    })?;
    let Some(found) = found else { return Ok(None) };
    let mut rows = [found];
    load_links(c, res, &mut rows).await?;
    let [found] = rows;
    Ok(Some(found))
}

/// Values to write: column → parameter, and link-table fields → ids.
#[derive(Debug, Default, Clone)]
pub struct Write {
    pub columns: Vec<(&'static str, Param)>,
    pub links: Vec<(&'static Field, Vec<i64>)>,
}

pub async fn insert(
    c: &mut Conn<'_>,
    res: &'static Resource,
    scope: i64,
    w: &Write,
    now: DateTime<Utc>,
) -> Result<i64> {
    let mut cols: Vec<&str> = w.columns.iter().map(|(c, _)| *c).collect();
    cols.push(res.scope_col);
    let mut params: Vec<Param> = w.columns.iter().map(|(_, p)| p.clone()).collect();
    params.push(Param::Int(scope));
    let n = params.len();
    let sql = format!(
        "INSERT INTO {} ({}, created_at, updated_at) VALUES ({}, ${}, ${}) RETURNING id",
        res.table,
        cols.join(", "),
        placeholders(1, n),
        n + 1,
        n + 1
    );
    let id: i64 = on!(c, |x| bind_params!(
        sqlx::query_scalar(AssertSqlSafe(sql)),
        &params
    )
    .bind(now)
    .fetch_one(&mut **x)
    .await)?;
    write_links(c, id, &w.links).await?;
    Ok(id)
}

/// Returns false when no such record exists in this committee.
pub async fn update(
    c: &mut Conn<'_>,
    res: &'static Resource,
    scope: i64,
    id: i64,
    w: &Write,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut params: Vec<Param> = w.columns.iter().map(|(_, p)| p.clone()).collect();
    let sets: Vec<String> = w
        .columns
        .iter()
        .enumerate()
        .map(|(i, (col, _))| format!("{col} = ${}", i + 1))
        .collect();
    let n = params.len();
    params.push(Param::Int(id));
    params.push(Param::Int(scope));
    let mut set_list = sets.join(", ");
    if !set_list.is_empty() {
        set_list.push_str(", ");
    }
    let sql = format!(
        "UPDATE {} SET {set_list}updated_at = ${} WHERE id = ${} AND {} = ${}",
        res.table,
        n + 3,
        n + 1,
        res.scope_col,
        n + 2
    );
    let done = exec!(c, |x| bind_params!(
        sqlx::query(AssertSqlSafe(sql)),
        &params
    )
    .bind(now)
    .execute(&mut **x)
    .await)?;
    if done == 0 {
        return Ok(false);
    }
    write_links(c, id, &w.links).await?;
    Ok(true)
}

async fn write_links(
    c: &mut Conn<'_>,
    owner: i64,
    links: &[(&'static Field, Vec<i64>)],
) -> Result<()> {
    for (f, ids) in links {
        let Kind::RefMany {
            link_table,
            owner_col,
            target_col,
            ..
        } = f.kind
        else {
            continue;
        };
        let del = format!("DELETE FROM {link_table} WHERE {owner_col} = $1");
        exec!(c, |x| sqlx::query(AssertSqlSafe(del))
            .bind(owner)
            .execute(&mut **x)
            .await)?;
        for target in ids {
            let ins =
                format!("INSERT INTO {link_table} ({owner_col}, {target_col}) VALUES ($1, $2)");
            exec!(c, |x| sqlx::query(AssertSqlSafe(ins))
                .bind(owner)
                .bind(*target)
                .execute(&mut **x)
                .await)?;
        }
    }
    Ok(())
}

/// Which of `ids` exist as `res` records of this committee.
pub async fn existing(c: &mut Conn<'_>, res: Res, scope: i64, ids: &[i64]) -> Result<Vec<i64>> {
    let r = resource(res);
    ids_where(c, r.table, r.scope_col, "TRUE", scope, ids).await
}

/// The ids among `ids` of rows of `table` in this committee that meet `condition` (static SQL).
async fn ids_where(
    c: &mut Conn<'_>,
    table: &str,
    scope_col: &str,
    condition: &str,
    scope: i64,
    ids: &[i64],
) -> Result<Vec<i64>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let params: Vec<Param> = ids.iter().map(|i| Param::Int(*i)).collect();
    let sql = format!(
        "SELECT id FROM {table} WHERE {scope_col} = $1 AND {condition} AND id IN ({})",
        placeholders(2, ids.len())
    );
    on!(c, |x| bind_params!(
        sqlx::query_scalar(AssertSqlSafe(sql)).bind(scope),
        &params
    )
    .fetch_all(&mut **x)
    .await)
    .map_err(Into::into)
}

/// id → title (name) for showing references.
pub async fn titles(
    c: &mut Conn<'_>,
    res: Res,
    scope: i64,
    ids: &[i64],
) -> Result<HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let r = resource(res);
    let params: Vec<Param> = ids.iter().map(|i| Param::Int(*i)).collect();
    let sql = format!(
        "SELECT id, {} FROM {} WHERE {} = $1 AND id IN ({})",
        r.title_field(),
        r.table,
        r.scope_col,
        placeholders(2, ids.len())
    );
    let rows: Vec<(i64, String)> = on!(c, |x| bind_params!(
        sqlx::query_as(AssertSqlSafe(sql)).bind(scope),
        &params
    )
    .fetch_all(&mut **x)
    .await)?;
    Ok(rows.into_iter().collect())
}

/// Every (id, title) of a resource in this committee, for pickers and name lookups.
pub async fn all_titles(c: &mut Conn<'_>, res: Res, scope: i64) -> Result<Vec<(i64, String)>> {
    let r = resource(res);
    let sql = format!(
        "SELECT id, {} FROM {} WHERE {} = $1 ORDER BY {}",
        r.title_field(),
        r.table,
        r.scope_col,
        r.order_by
    );
    on!(c, |x| sqlx::query_as(AssertSqlSafe(sql))
        .bind(scope)
        .fetch_all(&mut **x)
        .await)
    .map_err(Into::into)
}

/// A member with the same name and phone (blind index) already in this committee.
pub async fn member_by_name_phone(
    c: &mut Conn<'_>,
    scope: i64,
    name: &str,
    phone_index: Option<&str>,
) -> Result<Option<i64>> {
    let q = "SELECT id FROM members WHERE committee_id = $1 AND name = $2 \
             AND ((phone_index IS NULL AND $3 = '') OR phone_index = $4) ORDER BY id LIMIT 1";
    let pi = phone_index.unwrap_or("").to_string();
    on!(c, |x| sqlx::query_scalar(q)
        .bind(scope)
        .bind(name)
        .bind(pi.clone())
        .bind(pi.clone())
        .fetch_optional(&mut **x)
        .await)
    .map_err(Into::into)
}

pub async fn member_photo(
    c: &mut Conn<'_>,
    scope: i64,
    id: i64,
) -> Result<Option<(Vec<u8>, String)>> {
    let q = "SELECT photo, photo_type FROM members WHERE id = $1 AND committee_id = $2 AND photo IS NOT NULL";
    let row: Option<(Vec<u8>, String)> = on!(c, |x| sqlx::query_as(q)
        .bind(id)
        .bind(scope)
        .fetch_optional(&mut **x)
        .await)?;
    Ok(row)
}

pub async fn set_member_photo(
    c: &mut Conn<'_>,
    scope: i64,
    id: i64,
    bytes: &[u8],
    mime: &str,
) -> Result<bool> {
    let q = "UPDATE members SET photo = $1, photo_type = $2 WHERE id = $3 AND committee_id = $4";
    let n = exec!(c, |x| sqlx::query(q)
        .bind(bytes.to_vec())
        .bind(mime)
        .bind(id)
        .bind(scope)
        .execute(&mut **x)
        .await)?;
    Ok(n == 1)
}

/// Which members have a photo (so lists do not ask for images that are not there).
pub async fn members_with_photo(c: &mut Conn<'_>, scope: i64, ids: &[i64]) -> Result<Vec<i64>> {
    ids_where(
        c,
        "members",
        "committee_id",
        "photo IS NOT NULL",
        scope,
        ids,
    )
    .await
}

/// The built-in national sectors for a new committee.
pub async fn insert_builtin_sector(
    c: &mut Conn<'_>,
    scope: i64,
    name: &str,
    group: &str,
    order: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let q = "INSERT INTO sectors (committee_id, name, sector_group, sort_order, builtin, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, TRUE, $5, $5)";
    exec!(c, |x| sqlx::query(q)
        .bind(scope)
        .bind(name)
        .bind(group)
        .bind(order)
        .bind(now)
        .execute(&mut **x)
        .await)?;
    Ok(())
}

/// A committee at the root of the tree (no parent), for start-up and the CLI.
pub async fn insert_root_committee(
    c: &mut Conn<'_>,
    name: &str,
    level: &str,
    region: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    let q = "INSERT INTO committees (parent_id, name, level, region, created_at, updated_at) \
             VALUES (NULL, $1, $2, $3, $4, $4) RETURNING id";
    on!(c, |x| sqlx::query_scalar(q)
        .bind(name)
        .bind(level)
        .bind(region)
        .bind(now)
        .fetch_one(&mut **x)
        .await)
    .map_err(Into::into)
}

/// (id, name, level) of a committee by id, whatever its parent.
pub async fn committee(c: &mut Conn<'_>, id: i64) -> Result<Option<(i64, String, String)>> {
    let q = "SELECT id, name, level FROM committees WHERE id = $1";
    on!(c, |x| sqlx::query_as(q)
        .bind(id)
        .fetch_optional(&mut **x)
        .await)
    .map_err(Into::into)
}

/// The installation's own committee: the first made at the root of the tree (an
/// installation may host other root committees beside it). Its admins run the server.
pub async fn installation_committee(c: &mut Conn<'_>) -> Result<Option<i64>> {
    let q = "SELECT MIN(id) FROM committees WHERE parent_id IS NULL";
    on!(c, |x| sqlx::query_scalar(q).fetch_one(&mut **x).await).map_err(Into::into)
}

pub async fn committees_all(c: &mut Conn<'_>) -> Result<Vec<(i64, String, String)>> {
    let q = "SELECT id, name, level FROM committees ORDER BY id";
    on!(c, |x| sqlx::query_as(q).fetch_all(&mut **x).await).map_err(Into::into)
}
