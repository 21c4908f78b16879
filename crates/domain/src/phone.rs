//! Phone numbers of members and constituents: parsed to one canonical form (so the same
//! number typed two ways is one number) and masked for lists.

use crate::Invalid;

/// A mainland mobile (11 digits starting with 1) or a landline with area code.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

// Never print a phone number by accident: logs and `Debug` see the mask only.
impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

impl Phone {
    pub fn parse(field: &str, raw: &str) -> Result<Phone, Invalid> {
        let mut digits: String = raw
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '(' | ')' | '（' | '）'))
            .collect();
        if let Some(rest) = digits.strip_prefix("+86") {
            digits = rest.to_string();
        }
        let ok_mobile = digits.len() == 11 && digits.starts_with('1');
        let ok_landline = digits.starts_with('0') && (10..=12).contains(&digits.len());
        if digits.chars().all(|c| c.is_ascii_digit()) && (ok_mobile || ok_landline) {
            Ok(Phone(digits))
        } else {
            Err(Invalid::one(
                field,
                "invalid_phone",
                "手机号码格式不正确，应为11位手机号或带区号的固定电话",
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// `138****5678`: enough to recognise one's own number, not enough to call it.
    pub fn masked(&self) -> String {
        mask(&self.0)
    }
}

pub fn mask(digits: &str) -> String {
    let n = digits.chars().count();
    if n < 7 {
        return "*".repeat(n);
    }
    let head: String = digits.chars().take(3).collect();
    let tail: String = digits.chars().skip(n - 4).collect();
    format!("{head}{}{tail}", "*".repeat(n - 7))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_form() {
        assert_eq!(
            Phone::parse("p", "+86 138-0013-8000").unwrap().as_str(),
            "13800138000"
        );
        assert_eq!(
            Phone::parse("p", "0551-6288 1234").unwrap().as_str(),
            "055162881234"
        );
    }

    #[test]
    fn refuses_nonsense() {
        for bad in ["12345", "1380013800a", "23800138000", "", "138001380001"] {
            assert!(Phone::parse("p", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn masks() {
        let p = Phone::parse("p", "13800138000").unwrap();
        assert_eq!(p.masked(), "138****8000");
        assert!(!format!("{p:?}").contains("0013"));
    }
}
