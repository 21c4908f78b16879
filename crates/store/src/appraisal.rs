//! The democratic appraisal (民主测评) of a year: its round, who has voted on whom, and the
//! grades as counts only (see the migration: the ballot is secret by construction).

use chrono::{DateTime, Utc};

use crate::db::{Conn, Param, Result, all, opt, opt_int, run};

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RoundRow {
    pub committee_id: i64,
    pub year: i64,
    pub opened_at: DateTime<Utc>,
    pub opened_by: Option<i64>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<i64>,
}

pub async fn round(c: &mut Conn<'_>, committee_id: i64, year: i64) -> Result<Option<RoundRow>> {
    opt(
        c,
        "SELECT committee_id, year, opened_at, opened_by, closed_at, closed_by FROM appraisal_rounds \
         WHERE committee_id = $1 AND year = $2",
        &[Param::Int(committee_id), Param::Int(year)],
    )
    .await
}

/// Open the year's round; false if it was opened before.
pub async fn open(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
    by: Option<i64>,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(run(
        c,
        "INSERT INTO appraisal_rounds (committee_id, year, opened_at, opened_by) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (committee_id, year) DO NOTHING",
        &[
            Param::Int(committee_id),
            Param::Int(year),
            Param::Time(at),
            opt_int(by),
        ],
    )
    .await?
        > 0)
}

/// Close the year's open round; false if there was none open.
pub async fn close(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
    by: Option<i64>,
    at: DateTime<Utc>,
) -> Result<bool> {
    Ok(run(
        c,
        "UPDATE appraisal_rounds SET closed_at = $3, closed_by = $4 \
         WHERE committee_id = $1 AND year = $2 AND closed_at IS NULL",
        &[
            Param::Int(committee_id),
            Param::Int(year),
            Param::Time(at),
            opt_int(by),
        ],
    )
    .await?
        > 0)
}

/// Record that `voter_id` has voted on `member_id`; false if they had already.
pub async fn add_ballot(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
    member_id: i64,
    voter_id: i64,
) -> Result<bool> {
    Ok(run(
        c,
        "INSERT INTO appraisal_ballots (committee_id, year, member_id, voter_id) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (committee_id, year, member_id, voter_id) DO NOTHING",
        &[
            Param::Int(committee_id),
            Param::Int(year),
            Param::Int(member_id),
            Param::Int(voter_id),
        ],
    )
    .await?
        > 0)
}

/// Count one vote of `grade` for `member_id`. The member's four grade rows are made together
/// (in one fixed order) at the first vote, so neither which row came first nor row order on
/// disk tells what the first voter chose.
pub async fn count_vote(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
    member_id: i64,
    grade: &str,
    grades: &[&str],
) -> Result<()> {
    let base = [
        Param::Int(committee_id),
        Param::Int(year),
        Param::Int(member_id),
    ];
    let values: Vec<String> = (0..grades.len())
        .map(|i| format!("($1, $2, $3, ${}, 0)", i + 4))
        .collect();
    let mut params = base.to_vec();
    params.extend(grades.iter().map(|g| Param::Text((*g).into())));
    run(
        c,
        &format!(
            "INSERT INTO appraisal_tallies (committee_id, year, member_id, grade, votes) VALUES {} \
             ON CONFLICT (committee_id, year, member_id, grade) DO NOTHING",
            values.join(", ")
        ),
        &params,
    )
    .await?;
    let mut params = base.to_vec();
    params.push(Param::Text(grade.into()));
    run(
        c,
        "UPDATE appraisal_tallies SET votes = votes + 1 \
         WHERE committee_id = $1 AND year = $2 AND member_id = $3 AND grade = $4",
        &params,
    )
    .await?;
    Ok(())
}

/// Ballots cast per member this year (the turnout; says nothing of the grades).
pub async fn ballots_per_member(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
) -> Result<std::collections::HashMap<i64, i64>> {
    #[derive(sqlx::FromRow)]
    struct Count {
        member_id: i64,
        n: i64,
    }
    let rows: Vec<Count> = all(
        c,
        "SELECT member_id, COUNT(*) AS n FROM appraisal_ballots WHERE committee_id = $1 AND year = $2 \
         GROUP BY member_id",
        &[Param::Int(committee_id), Param::Int(year)],
    )
    .await?;
    Ok(rows.into_iter().map(|r| (r.member_id, r.n)).collect())
}

/// The members `voter_id` has voted on this year.
pub async fn voted_by(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
    voter_id: i64,
) -> Result<Vec<i64>> {
    #[derive(sqlx::FromRow)]
    struct Id {
        member_id: i64,
    }
    let rows: Vec<Id> = all(
        c,
        "SELECT member_id FROM appraisal_ballots WHERE committee_id = $1 AND year = $2 AND voter_id = $3",
        &[
            Param::Int(committee_id),
            Param::Int(year),
            Param::Int(voter_id),
        ],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.member_id).collect())
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TallyRow {
    pub member_id: i64,
    pub grade: String,
    pub votes: i64,
}

/// Every member's votes per grade of the year (one member's with `member_id`).
pub async fn tallies(
    c: &mut Conn<'_>,
    committee_id: i64,
    year: i64,
    member_id: Option<i64>,
) -> Result<Vec<TallyRow>> {
    let mut q = "SELECT member_id, grade, votes FROM appraisal_tallies WHERE committee_id = $1 AND year = $2"
        .to_string();
    let mut params = vec![Param::Int(committee_id), Param::Int(year)];
    if let Some(m) = member_id {
        q.push_str(" AND member_id = $3");
        params.push(Param::Int(m));
    }
    q.push_str(" ORDER BY member_id");
    all(c, &q, &params).await
}
