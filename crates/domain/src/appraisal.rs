//! Democratic appraisal (民主测评): after the duty reports (述职) are in, the peers of a
//! member's sector grade the report, each once, in secret. The result is shown beside the
//! score — the share graded competent or better (称职以上率) and excellent (优秀率) — and is
//! not mixed into the points, which come from the published rules only.

/// A peer's grade, the four of the usual appraisal form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Grade {
    Excellent,
    Competent,
    Basic,
    Incompetent,
}

impl Grade {
    pub const ALL: [Grade; 4] = [
        Grade::Excellent,
        Grade::Competent,
        Grade::Basic,
        Grade::Incompetent,
    ];
    pub fn code(self) -> &'static str {
        match self {
            Grade::Excellent => "excellent",
            Grade::Competent => "competent",
            Grade::Basic => "basic",
            Grade::Incompetent => "incompetent",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Grade::Excellent => "优秀",
            Grade::Competent => "称职",
            Grade::Basic => "基本称职",
            Grade::Incompetent => "不称职",
        }
    }
    pub fn parse(s: &str) -> Option<Grade> {
        Grade::ALL
            .into_iter()
            .find(|g| g.code() == s || g.label() == s)
    }
}

/// A member's grades are shown only from this many votes on: with one or two voters, the
/// count per grade would tell each voter what the others chose.
pub const MIN_VOTES: i64 = 3;

/// One member's grades: votes per grade, in the order of [`Grade::ALL`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub votes: [i64; 4],
}

impl Tally {
    pub fn add(&mut self, g: Grade, n: i64) {
        self.votes[g as usize] += n;
    }
    pub fn of(&self, g: Grade) -> i64 {
        self.votes[g as usize]
    }
    pub fn total(&self) -> i64 {
        self.votes.iter().sum()
    }
    /// Percent of the votes with one of `grades`, to two decimals; None without votes.
    fn share(&self, grades: &[Grade]) -> Option<f64> {
        let n = self.total();
        (n > 0).then(|| {
            let part: i64 = grades.iter().map(|g| self.of(*g)).sum();
            (part as f64 * 10_000.0 / n as f64).round() / 100.0
        })
    }
    /// The tally as it may be shown: only with at least [`MIN_VOTES`] votes.
    pub fn disclosed(self) -> Option<Tally> {
        (self.total() >= MIN_VOTES).then_some(self)
    }
    /// 优秀率.
    pub fn excellent_rate(&self) -> Option<f64> {
        self.share(&[Grade::Excellent])
    }
    /// 称职以上率: excellent or competent.
    pub fn competent_rate(&self) -> Option<f64> {
        self.share(&[Grade::Excellent, Grade::Competent])
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fewer_than_three_votes_are_not_disclosed() {
        let mut t = Tally::default();
        t.add(Grade::Excellent, 1);
        t.add(Grade::Competent, 1);
        assert_eq!(t.disclosed(), None);
        t.add(Grade::Basic, 1);
        assert_eq!(t.disclosed().map(|t| t.total()), Some(3));
    }

    use super::*;

    #[test]
    fn grades_parse_by_code_or_label() {
        for g in Grade::ALL {
            assert_eq!(Grade::parse(g.code()), Some(g));
            assert_eq!(Grade::parse(g.label()), Some(g));
        }
        assert_eq!(Grade::parse("great"), None);
        assert_eq!(Grade::parse(""), None);
    }

    #[test]
    fn rates_count_the_right_grades() {
        let mut t = Tally::default();
        assert_eq!(t.competent_rate(), None);
        t.add(Grade::Excellent, 3);
        t.add(Grade::Competent, 2);
        t.add(Grade::Basic, 1);
        t.add(Grade::Incompetent, 2);
        assert_eq!(t.total(), 8);
        assert_eq!(t.excellent_rate(), Some(37.5));
        assert_eq!(t.competent_rate(), Some(62.5));
    }
}
