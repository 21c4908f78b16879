//! The duty menu (云菜单, R8): each year the office publishes what members can do — each
//! item with its entry kind (which decides how it is scored), how it is evidenced, who
//! confirms it, and places to sign up for. Members see what they have done of it and what
//! is still open.

use lianxin_domain::Invalid;
use lianxin_domain::access::{Granted, JoinActivities, ManageDutyYear};
use lianxin_domain::duty::known_kind;
use lianxin_domain::scoring::entry_label;
use lianxin_store::duty as log_store;
use lianxin_store::duty_menu::{self as store, ItemRow, SelfReportRow};
use serde_json::json;

use super::scores::{archive_not_found, rules_of, score_member};
use crate::activities::{optional, text};
use crate::journal::{Change, begin, commit};
use crate::{App, Error, Result, now};

/// Who confirms an item's work.
pub const CONFIRMERS: &[(&str, &str)] = &[
    ("organiser", "组织者（系统自动记录）"),
    ("office", "委员会办公室"),
    ("convenor", "界别召集人"),
];

pub fn confirmer_label(code: &str) -> &'static str {
    CONFIRMERS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

/// An item as typed by the office.
#[derive(Debug, Default)]
pub struct ItemInput<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub evidence: &'a str,
    pub confirmer: &'a str,
    pub places: &'a str,
}

fn gather<T>(errors: &mut Invalid, r: Result<T>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(Error::Invalid(e)) => {
            errors.0.extend(e.0);
            None
        }
        Err(_) => None,
    }
}

/// Add an item to a year's menu.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn add_item(
    app: &App,
    g: &Granted<ManageDutyYear>,
    year: i64,
    i: &ItemInput<'_>,
) -> Result<i64> {
    let mut errors = Invalid::default();
    let kind = known_kind(i.kind.trim());
    if kind.is_none() {
        errors.push("kind", "invalid_choice", "请选择履职项目的记分类别");
    }
    let title = gather(&mut errors, text("title", "项目名称", i.title, 100));
    let description = gather(
        &mut errors,
        optional("description", "说明", i.description, 2_000),
    );
    let evidence = gather(&mut errors, text("evidence", "佐证方式", i.evidence, 500));
    if !CONFIRMERS.iter().any(|(c, _)| *c == i.confirmer) {
        errors.push("confirmer", "invalid_choice", "请选择由谁确认");
    }
    let places = match i.places.trim() {
        "" => None,
        p => match p.parse::<i64>() {
            Ok(n) if (1..=100_000).contains(&n) => Some(n),
            _ => {
                errors.push("places", "invalid_number", "名额应为正整数，不限名额请留空");
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let row = ItemRow {
        id: 0,
        committee_id: g.committee_id(),
        year,
        kind: kind.unwrap_or_default().to_string(),
        title: title.unwrap_or_default(),
        description: description.flatten().unwrap_or_default(),
        evidence: evidence.unwrap_or_default(),
        confirmer: i.confirmer.to_string(),
        places,
        created_at: now(),
        taken: 0,
    };
    let mut tx = begin(&app.db).await?;
    let id = store::add_item(&mut tx.conn(), &row).await?;
    let change = Change {
        committee_id: row.committee_id,
        kind: "duty_menu.item_added",
        subject_type: "duty_menu_item",
        subject_id: id,
        before: json!(null),
        after: json!({"year": year, "kind": row.kind, "title": row.title, "places": places, "confirmer": row.confirmer}),
    };
    commit(tx, g.actor(), change).await?;
    Ok(id)
}

/// Publish the year's menu to members.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn publish(app: &App, g: &Granted<ManageDutyYear>, year: i64) -> Result<()> {
    let mut tx = begin(&app.db).await?;
    let items = store::items(&mut tx.conn(), g.committee_id(), year).await?;
    if items.is_empty() {
        return Err(Error::conflict(
            "duty_menu.empty",
            "履职菜单还没有项目，请先添加项目再发布",
        ));
    }
    store::publish(&mut tx.conn(), g.committee_id(), year, now()).await?;
    let change = Change {
        committee_id: g.committee_id(),
        kind: "duty_menu.published",
        subject_type: "duty_menu",
        subject_id: year,
        before: json!(null),
        after: json!({"year": year, "items": items.len()}),
    };
    commit(tx, g.actor(), change).await?;
    Ok(())
}

/// The office's view of a year's menu.
pub struct MenuView {
    pub year: i64,
    pub items: Vec<ItemRow>,
    pub published: bool,
}

#[tracing::instrument(level = "debug", skip_all)]
pub async fn office_menu(app: &App, g: &Granted<ManageDutyYear>, year: i64) -> Result<MenuView> {
    let mut conn = app.db.acquire().await?;
    let c = &mut conn.conn();
    Ok(MenuView {
        year,
        items: store::items(c, g.committee_id(), year).await?,
        published: store::published_at(c, g.committee_id(), year)
            .await?
            .is_some(),
    })
}

/// A menu item as a member sees it.
pub struct MyItem {
    pub item: ItemRow,
    /// How many of the member's entries of the year are of this item's kind.
    pub done: usize,
    pub points_centi: i64,
    pub signed_up: bool,
}

impl MyItem {
    pub fn full(&self) -> bool {
        self.item.places.is_some_and(|p| self.item.taken >= p)
    }
    pub fn kind_label(&self) -> &'static str {
        entry_label(&self.item.kind)
    }
}

pub struct MyMenu {
    pub year: i64,
    pub published: bool,
    pub items: Vec<MyItem>,
    pub reports: Vec<SelfReportRow>,
}

impl MyMenu {
    pub fn done(&self) -> usize {
        self.items.iter().filter(|i| i.done > 0).count()
    }
}

/// A member's menu: each item with what they have done of it.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn my_menu(app: &App, g: &Granted<JoinActivities>, year: i64) -> Result<MyMenu> {
    let me = g.actor().member_id.ok_or_else(archive_not_found)?;
    let mut conn = app.db.acquire().await?;
    let c = &mut conn.conn();
    let published = store::published_at(c, g.committee_id(), year)
        .await?
        .is_some();
    let items = if published {
        store::items(c, g.committee_id(), year).await?
    } else {
        vec![]
    };
    let rows = log_store::of_member(c, me, year).await?;
    let m = log_store::member(c, g.committee_id(), me)
        .await?
        .ok_or_else(archive_not_found)?;
    // What counts (corrections applied) and the points each earned.
    let scored = match rules_of(c, g.committee_id(), year).await? {
        Some(y) => Some(score_member(&y, &rows, m.is_standing)),
        None => None,
    };
    let signed = store::signed_up(c, me, year).await?;
    let items = items
        .into_iter()
        .map(|item| {
            let mine: Vec<(usize, &log_store::EntryRow)> = rows
                .iter()
                .enumerate()
                .filter(|(i, r)| {
                    r.kind == item.kind
                        && scored.as_ref().is_none_or(|(_, counts)| counts[*i])
                        && r.reverses_event == 0
                })
                .collect();
            let points_centi = scored
                .as_ref()
                .map(|(s, _)| {
                    s.lines
                        .iter()
                        .filter(|l| {
                            l.entry_id
                                .is_some_and(|id| mine.iter().any(|(_, r)| r.id == id))
                        })
                        .map(|l| l.centi)
                        .sum()
                })
                .unwrap_or(0);
            MyItem {
                done: mine.len(),
                points_centi,
                signed_up: signed.contains(&item.id),
                item,
            }
        })
        .collect();
    Ok(MyMenu {
        year,
        published,
        items,
        reports: store::member_self_reports(c, me, year).await?,
    })
}

/// Sign up for an item with places.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn sign_up(app: &App, g: &Granted<JoinActivities>, item_id: i64) -> Result<()> {
    let me = g.actor().member_id.ok_or_else(archive_not_found)?;
    let mut tx = begin(&app.db).await?;
    let not_found = || Error::not_found("duty_menu.not_found", "未找到该履职项目");
    let item = store::item(&mut tx.conn(), g.committee_id(), item_id)
        .await?
        .ok_or_else(not_found)?;
    if store::published_at(&mut tx.conn(), g.committee_id(), item.year)
        .await?
        .is_none()
    {
        return Err(not_found());
    }
    if item.places.is_none() {
        return Err(Error::conflict(
            "duty_menu.no_sign_up",
            "该项目不需要报名，直接参加即可记入履职档案",
        ));
    }
    if store::signed_up(&mut tx.conn(), me, item.year)
        .await?
        .contains(&item.id)
    {
        return Err(Error::conflict(
            "duty_menu.already_signed_up",
            "您已报名该项目",
        ));
    }
    if !store::sign_up(&mut tx.conn(), item.id, me, now()).await? {
        return Err(Error::conflict("duty_menu.full", "该项目名额已满"));
    }
    let change = Change {
        committee_id: g.committee_id(),
        kind: "duty_menu.signed_up",
        subject_type: "duty_menu_item",
        subject_id: item.id,
        before: json!(null),
        after: json!({"member_id": me, "title": item.title}),
    };
    commit(tx, g.actor(), change).await?;
    Ok(())
}
