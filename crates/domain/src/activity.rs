//! Meetings and activities (R11, R12): what an invited member's answer, leave and check-in
//! add up to, when a check-in code is accepted, who approves leave, the consultation's
//! speaking order (people's representatives first), and registration against capacity.
//!
//! Kinds are data (a committee adds its own), so nothing here matches on a kind's code:
//! the rules read the kind's settings ([`KindRules`]).

use chrono::{DateTime, Duration, Utc};

use crate::labelled;

labelled!(
    /// Who organises an activity.
    OrganiserType {
        Office = ("office", "委员会机关"),
        SpecialCommittee = ("special_committee", "专门委员会"),
        Sector = ("sector", "界别"),
        Studio = ("studio", "委员工作室"),
    }
);

labelled!(
    /// Which members are invited.
    InviteScope {
        AllMembers = ("all_members", "全体委员"),
        Standing = ("standing", "全体常委"),
        Sector = ("sector", "一个界别的委员"),
        SpecialCommittee = ("special_committee", "一个专门委员会的委员"),
        Named = ("named", "指定委员"),
        Nobody = ("none", "不邀请委员"),
    }
);

labelled!(
    Status {
        Draft = ("draft", "草稿"),
        Published = ("published", "已发布"),
        Closed = ("closed", "已结束"),
        Cancelled = ("cancelled", "已取消"),
    }
);

labelled!(
    /// An invited member's answer.
    Response {
        Pending = ("pending", "待回复"),
        Confirmed = ("confirmed", "确认参加"),
        LeaveRequested = ("leave_requested", "请假待批"),
        LeaveApproved = ("leave_approved", "已准假"),
        LeaveRejected = ("leave_rejected", "未准假"),
    }
);

labelled!(
    /// Final attendance, fixed when the activity is closed.
    Attendance {
        Attended = ("attended", "出席"),
        Excused = ("excused", "请假"),
        Unexcused = ("unexcused", "缺席"),
        Late = ("late", "迟到"),
        LeftEarly = ("left_early", "早退"),
    }
);

labelled!(
    LeaveApprover {
        Office = ("office", "委员会机关"),
        Organiser = ("organiser", "活动组织方"),
    }
);

labelled!(
    /// A consultation participant's role.
    ParticipantRole {
        PeoplesRep = ("peoples_rep", "群众代表"),
        Stakeholder = ("stakeholder", "利益相关方"),
        Member = ("member", "政协委员"),
        Expert = ("expert", "专家"),
        Government = ("government", "政府部门"),
    }
);

labelled!(
    Position {
        Support = ("support", "支持"),
        Oppose = ("oppose", "反对"),
        Concern = ("concern", "关切"),
        Suggestion = ("suggestion", "建议"),
    }
);

labelled!(
    CheckinMethod {
        Qr = ("qr", "扫码签到"),
        Manual = ("manual", "组织方代签"),
    }
);

labelled!(
    RegistrationStatus {
        Registered = ("registered", "已报名"),
        Waitlisted = ("waitlisted", "候补"),
    }
);

/// A kind's settings: the defaults a new activity of this kind starts with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindRules {
    pub default_scope: InviteScope,
    pub leave_approver: LeaveApprover,
    pub public_default: bool,
    pub consultation: bool,
    pub reading: bool,
}

/// A step refused, with a stable code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
    }
}

/// The QR code on the screen changes every minute; a code read from the screen is taken for
/// this minute and the one before, so a phone that is slow to open the link still succeeds.
pub const SLOT_SECONDS: i64 = 60;
/// Check-in opens this long before the start.
pub const OPENS_BEFORE: Duration = Duration::minutes(60);
/// Arriving later than this after the start is late.
pub const LATE_AFTER: Duration = Duration::minutes(15);

/// The slot a time falls in (minutes since the epoch).
pub fn slot_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(SLOT_SECONDS)
}

/// From when to when members may check themselves in: an hour before the start until the end.
pub fn checkin_window(
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        starts_at - OPENS_BEFORE,
        ends_at.max(starts_at + LATE_AFTER),
    )
}

/// Whether a code from the screen admits a check-in now. `matched_slot` is the slot whose
/// code equals the one presented (the caller tries the window's slots), `None` if none does.
pub fn judge_checkin(
    now: DateTime<Utc>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    matched_slot: Option<i64>,
) -> Result<(), Refusal> {
    let Some(slot) = matched_slot else {
        return Err(refuse(
            "checkin.invalid_token",
            "签到码无效：请扫描活动现场屏幕上的二维码",
        ));
    };
    let (open, close) = checkin_window(starts_at, ends_at);
    if now < open {
        return Err(refuse(
            "checkin.not_open",
            "签到尚未开始：活动开始前 60 分钟开放签到",
        ));
    }
    if now > close {
        return Err(refuse("checkin.closed", "签到已结束：活动已经结束"));
    }
    let current = slot_of(now);
    if slot != current && slot != current - 1 {
        return Err(refuse(
            "checkin.expired_token",
            "签到码已过期：二维码每分钟更新，请扫描屏幕上最新的二维码",
        ));
    }
    Ok(())
}

/// Checked in after the grace period: late.
pub fn is_late(checked_in_at: DateTime<Utc>, starts_at: DateTime<Utc>) -> bool {
    checked_in_at > starts_at + LATE_AFTER
}

/// What an invited member's record adds up to once the activity is over.
pub fn final_attendance(
    response: Response,
    checked_in: bool,
    late: bool,
    left_early: bool,
) -> Attendance {
    if checked_in {
        // Leaving early is the larger gap in attendance, so it wins over arriving late.
        if left_early {
            Attendance::LeftEarly
        } else if late {
            Attendance::Late
        } else {
            Attendance::Attended
        }
    } else if response == Response::LeaveApproved {
        Attendance::Excused
    } else {
        // Leave asked but never approved, or refused, is still an absence without leave.
        Attendance::Unexcused
    }
}

/// Whether a member may answer (confirm or ask for leave) now.
pub fn may_answer(
    now: DateTime<Utc>,
    starts_at: DateTime<Utc>,
    status: Status,
) -> Result<(), Refusal> {
    if status != Status::Published {
        return Err(refuse("activity.not_open", "活动未发布或已结束，不能回复"));
    }
    if now >= starts_at {
        return Err(refuse(
            "leave.after_start",
            "活动已经开始，不能再在线请假或回复；如确有原因，请联系组织方登记",
        ));
    }
    Ok(())
}

/// Who may decide a leave request, or record leave after the start: the office always; the
/// organiser only where the kind leaves leave to the organiser (plenary and standing-committee
/// leave is the office's).
pub fn may_decide_leave(approver: LeaveApprover, is_office: bool, is_organiser: bool) -> bool {
    is_office || (approver == LeaveApprover::Organiser && is_organiser)
}

/// Where a role speaks by default: people's representatives first, as 有事好商量 requires,
/// then the other stakeholders, members and experts, and the government departments last,
/// answering what they heard.
fn rank(role: ParticipantRole) -> u8 {
    match role {
        ParticipantRole::PeoplesRep => 0,
        ParticipantRole::Stakeholder => 1,
        ParticipantRole::Member => 2,
        ParticipantRole::Expert => 3,
        ParticipantRole::Government => 4,
    }
}

/// The default speaking order of participants `(id, role)` given in the order they were
/// added: by role rank, and within a role first come, first speak.
pub fn speaking_order(participants: &[(i64, ParticipantRole)]) -> Vec<i64> {
    let mut v: Vec<(usize, &(i64, ParticipantRole))> = participants.iter().enumerate().collect();
    v.sort_by_key(|(i, (_, role))| (rank(*role), *i));
    v.into_iter().map(|(_, (id, _))| *id).collect()
}

/// A reordering the organiser asks for must name every participant exactly once.
pub fn check_reorder(current: &[i64], wanted: &[i64]) -> Result<(), Refusal> {
    let mut a = current.to_vec();
    let mut b = wanted.to_vec();
    a.sort_unstable();
    b.sort_unstable();
    if a != b {
        return Err(refuse(
            "consultation.bad_order",
            "发言顺序须包含全部参加人，且每人一次",
        ));
    }
    Ok(())
}

/// Where a new registration lands: a seat while there are any, else the waiting list.
pub fn registration_outcome(capacity: Option<i64>, registered: i64) -> RegistrationStatus {
    match capacity {
        Some(c) if registered >= c => RegistrationStatus::Waitlisted,
        _ => RegistrationStatus::Registered,
    }
}

/// Start and end must make sense: the end after the start, no activity longer than 14 days.
pub fn check_times(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Result<(), Refusal> {
    if ends_at <= starts_at {
        return Err(refuse("activity.bad_times", "结束时间须晚于开始时间"));
    }
    if ends_at - starts_at > Duration::days(14) {
        return Err(refuse("activity.bad_times", "一次活动最长 14 天"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn t(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, h, m, 0)
            .single()
            .expect("time")
    }

    #[test]
    fn attendance_follows_check_in_then_leave() {
        use Response::*;
        assert_eq!(
            final_attendance(Confirmed, true, false, false),
            Attendance::Attended
        );
        assert_eq!(
            final_attendance(Pending, true, true, false),
            Attendance::Late
        );
        assert_eq!(
            final_attendance(Confirmed, true, true, true),
            Attendance::LeftEarly
        );
        assert_eq!(
            final_attendance(LeaveApproved, false, false, false),
            Attendance::Excused
        );
        assert_eq!(
            final_attendance(LeaveRequested, false, false, false),
            Attendance::Unexcused
        );
        assert_eq!(
            final_attendance(LeaveRejected, false, false, false),
            Attendance::Unexcused
        );
        assert_eq!(
            final_attendance(Confirmed, false, false, false),
            Attendance::Unexcused
        );
        // Came although on leave: present counts.
        assert_eq!(
            final_attendance(LeaveApproved, true, false, false),
            Attendance::Attended
        );
    }

    #[test]
    fn check_in_window_and_rotating_codes() {
        let (start, end) = (t(9, 0), t(11, 0));
        let now = t(8, 50);
        assert!(judge_checkin(now, start, end, Some(slot_of(now))).is_ok());
        assert!(judge_checkin(now, start, end, Some(slot_of(now) - 1)).is_ok());
        assert_eq!(
            judge_checkin(now, start, end, Some(slot_of(now) - 2))
                .unwrap_err()
                .code,
            "checkin.expired_token"
        );
        assert_eq!(
            judge_checkin(now, start, end, None).unwrap_err().code,
            "checkin.invalid_token"
        );
        let early = t(7, 30);
        assert_eq!(
            judge_checkin(early, start, end, Some(slot_of(early)))
                .unwrap_err()
                .code,
            "checkin.not_open"
        );
        let after = t(11, 1);
        assert_eq!(
            judge_checkin(after, start, end, Some(slot_of(after)))
                .unwrap_err()
                .code,
            "checkin.closed"
        );
        assert!(!is_late(t(9, 15), start));
        assert!(is_late(t(9, 16), start));
    }

    #[test]
    fn leave_only_before_start_and_plenary_leave_is_the_offices() {
        assert!(may_answer(t(8, 0), t(9, 0), Status::Published).is_ok());
        assert_eq!(
            may_answer(t(9, 0), t(9, 0), Status::Published)
                .unwrap_err()
                .code,
            "leave.after_start"
        );
        assert!(may_answer(t(8, 0), t(9, 0), Status::Draft).is_err());
        assert!(may_decide_leave(LeaveApprover::Office, true, false));
        assert!(!may_decide_leave(LeaveApprover::Office, false, true));
        assert!(may_decide_leave(LeaveApprover::Organiser, false, true));
        assert!(!may_decide_leave(LeaveApprover::Organiser, false, false));
    }

    #[test]
    fn peoples_representatives_speak_first() {
        use ParticipantRole::*;
        let order = speaking_order(&[
            (1, Government),
            (2, Stakeholder),
            (3, PeoplesRep),
            (4, Expert),
            (5, PeoplesRep),
        ]);
        assert_eq!(order, vec![3, 5, 2, 4, 1]);
        assert!(check_reorder(&[1, 2, 3], &[3, 1, 2]).is_ok());
        assert!(check_reorder(&[1, 2, 3], &[3, 1, 1]).is_err());
        assert!(check_reorder(&[1, 2, 3], &[3, 1]).is_err());
    }

    #[test]
    fn capacity_fills_then_waitlists() {
        assert_eq!(
            registration_outcome(Some(2), 1),
            RegistrationStatus::Registered
        );
        assert_eq!(
            registration_outcome(Some(2), 2),
            RegistrationStatus::Waitlisted
        );
        assert_eq!(
            registration_outcome(None, 10_000),
            RegistrationStatus::Registered
        );
    }

    fn role() -> impl Strategy<Value = ParticipantRole> {
        prop::sample::select(ParticipantRole::ALL.to_vec())
    }

    proptest! {
        /// Whatever the order people were added in, every people's representative speaks
        /// before anyone else, and nobody is lost or repeated.
        #[test]
        fn speaking_order_puts_people_first(roles in prop::collection::vec(role(), 0..30)) {
            let ps: Vec<(i64, ParticipantRole)> = roles.iter().enumerate().map(|(i, r)| (i as i64, *r)).collect();
            let order = speaking_order(&ps);
            prop_assert!(check_reorder(&ps.iter().map(|p| p.0).collect::<Vec<_>>(), &order).is_ok());
            let reps = roles.iter().filter(|r| **r == ParticipantRole::PeoplesRep).count();
            for id in &order[..reps] {
                prop_assert_eq!(ps[*id as usize].1, ParticipantRole::PeoplesRep);
            }
        }

        /// Attendance never calls someone absent who checked in, nor present who did not.
        #[test]
        fn attendance_matches_presence(resp in prop::sample::select(Response::ALL.to_vec()), inn: bool, late: bool, early: bool) {
            let a = final_attendance(resp, inn, late, early);
            let present = matches!(a, Attendance::Attended | Attendance::Late | Attendance::LeftEarly);
            prop_assert_eq!(present, inn);
        }
    }
}
