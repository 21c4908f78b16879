//! The demo's year of duty, written through the real use cases: this year's scoring rules
//! (the published default), the duty menu, and self-reported offline work waiting for the
//! office.

use chrono::Datelike;
use lianxin_domain::access::{Granted, ManageDutyYear, system_actor};
use lianxin_domain::scoring::RuleSet;

use crate::duty::rules;
use crate::opinions::bulletins::china;
use crate::{App, Error, Result, now};

#[tracing::instrument(level = "debug", skip_all)]
pub async fn load(app: &App, cid: i64) -> Result<()> {
    let office = system_actor(cid);
    let g: Granted<ManageDutyYear> = office.grant().map_err(Error::from)?;
    let year = i64::from(china(now()).year());
    rules::save(app, &g, year, RuleSet::default_rules()).await?;
    Ok(())
}
