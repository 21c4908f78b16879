//! iCalendar (RFC 5545) text for calendar feeds: members subscribe to their invitations, the
//! public to a committee's open activities. Times are written in UTC (`…Z`), which every
//! calendar shows in the reader's own zone (Asia/Shanghai for our users).

use chrono::{DateTime, Utc};

/// One VEVENT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Globally unique and stable across feeds, e.g. `activity-12@host`.
    pub uid: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub summary: String,
    pub location: String,
    pub description: String,
    pub url: Option<String>,
    pub cancelled: bool,
    /// When the activity last changed (SEQUENCE-like hint for clients).
    pub updated_at: DateTime<Utc>,
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// TEXT value escaping (RFC 5545 §3.3.11): backslash, semicolon, comma, newline.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Content lines are at most 75 octets; longer ones continue on lines starting with a space
/// (§3.1). Folding never splits a UTF-8 character — Chinese text is 3 octets a character.
fn fold(line: &str, out: &mut String) {
    let mut width = 0;
    for ch in line.chars() {
        let n = ch.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(ch);
        width += n;
    }
    out.push_str("\r\n");
}

/// A whole VCALENDAR with these events.
pub fn calendar(name: &str, events: &[Event], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut line = |s: String| fold(&s, &mut out);
    line("BEGIN:VCALENDAR".into());
    line("VERSION:2.0".into());
    line("PRODID:-//Lianxin//CPPCC liaison//ZH".into());
    line("CALSCALE:GREGORIAN".into());
    line("METHOD:PUBLISH".into());
    line(format!("X-WR-CALNAME:{}", escape(name)));
    line("X-WR-TIMEZONE:Asia/Shanghai".into());
    for e in events {
        line("BEGIN:VEVENT".into());
        line(format!("UID:{}", escape(&e.uid)));
        line(format!("DTSTAMP:{}", stamp(now)));
        line(format!("LAST-MODIFIED:{}", stamp(e.updated_at)));
        line(format!("DTSTART:{}", stamp(e.starts_at)));
        line(format!("DTEND:{}", stamp(e.ends_at)));
        line(format!("SUMMARY:{}", escape(&e.summary)));
        if !e.location.is_empty() {
            line(format!("LOCATION:{}", escape(&e.location)));
        }
        if !e.description.is_empty() {
            line(format!("DESCRIPTION:{}", escape(&e.description)));
        }
        if let Some(u) = &e.url {
            // A URI value is not TEXT: it is written as is (ours never holds a newline).
            line(format!("URL:{}", u.replace(['\r', '\n'], "")));
        }
        line(format!(
            "STATUS:{}",
            if e.cancelled {
                "CANCELLED"
            } else {
                "CONFIRMED"
            }
        ));
        line("END:VEVENT".into());
    }
    line("END:VCALENDAR".into());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn lines_fold_at_75_octets_without_splitting_characters() {
        let t = Utc
            .with_ymd_and_hms(2026, 3, 1, 1, 0, 0)
            .single()
            .expect("t");
        let e = Event {
            uid: "activity-1@x".into(),
            starts_at: t,
            ends_at: t,
            summary: "关于老旧小区加装电梯的协商议事会，".repeat(6),
            location: "市政协; 三楼".into(),
            description: "第一行\n第二行".into(),
            url: None,
            cancelled: false,
            updated_at: t,
        };
        let text = calendar("日程", &[e], t);
        for l in text.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
        }
        assert!(text.contains("DTSTART:20260301T010000Z"));
        assert!(text.contains("LOCATION:市政协\\; 三楼"));
        assert!(text.contains("第一行\\n第二行"));
        let unfolded = text.replace("\r\n ", "");
        assert!(unfolded.contains(&"关于老旧小区加装电梯的协商议事会，".repeat(6)));
    }
}
