//! Where a page may send someone next (`next=` after login, and any other redirect target
//! that came from a request): a path on this site, and nothing a browser could read as
//! another host.
//!
//! Browsers drop tabs and newlines inside URLs and treat `\` like `/`, so `/%09/evil.example`
//! and `/\evil.example` become `//evil.example` — another site. Rather than list the tricks,
//! only a plain path is accepted: it starts with one `/`, holds visible ASCII only (anything
//! else is percent-encoded by the page that built it), no backslash, and no encoded slash or
//! backslash that a later decoding could turn into one.

/// The longest target kept; a longer one is dropped.
const MAX_LEN: usize = 1024;

/// `target` if it is a same-site relative path, else `None`.
pub fn same_site_path(target: &str) -> Option<&str> {
    let bytes = target.as_bytes();
    let plain = bytes.len() <= MAX_LEN
        && bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && bytes.iter().all(|b| b.is_ascii_graphic() && *b != b'\\');
    let lower = target.to_ascii_lowercase();
    let encoded_separator = lower.contains("%2f") || lower.contains("%5c");
    (plain && !encoded_separator).then_some(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn our_paths_pass() {
        for p in [
            "/",
            "/me",
            "/office/reports/3?saved=1",
            "/members?q=%E5%BC%A0",
        ] {
            assert_eq!(same_site_path(p), Some(p), "{p}");
        }
    }

    #[test]
    fn known_tricks_are_refused() {
        for p in [
            "",
            "me",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/%2F/evil.example",
            "/%5c/evil.example",
            "https://evil.example",
            "/ /evil.example",
            "/路径",
            "javascript:alert(1)",
        ] {
            assert_eq!(same_site_path(p), None, "{p:?}");
        }
    }

    /// How a browser reads a Location header, roughly: drop tabs and newlines, turn `\`
    /// into `/`, and (for the paranoid) decode `%2f` and `%5c`.
    fn as_browser_reads(p: &str) -> String {
        p.chars()
            .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
            .collect::<String>()
            .replace('\\', "/")
            .replace("%2f", "/")
            .replace("%2F", "/")
            .replace("%5c", "/")
            .replace("%5C", "/")
    }

    proptest! {
        #[test]
        fn nothing_accepted_leaves_the_site(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("/".to_string()), Just("\\".to_string()), Just("\t".to_string()),
                    Just("\n".to_string()), Just("\r".to_string()), Just("\0".to_string()),
                    Just("%2f".to_string()), Just("%5C".to_string()), Just("%09".to_string()),
                    Just(":".to_string()), Just("evil.example".to_string()), Just("?".to_string()),
                    "[a-z0-9]{0,3}".prop_map(|s| s), "\\PC{0,2}".prop_map(|s| s),
                ],
                0..8,
            )
        ) {
            let p = parts.concat();
            if let Some(ok) = same_site_path(&p) {
                let read = as_browser_reads(ok);
                prop_assert!(read.starts_with('/') && !read.starts_with("//"), "{p:?} -> {read:?}");
                prop_assert!(ok.chars().all(|c| c.is_ascii_graphic()), "{p:?}");
            }
        }

        #[test]
        fn plain_paths_are_kept(seg in "[a-z0-9_-]{1,12}", id in 0u32..100000) {
            let p = format!("/{seg}/{id}?saved=1");
            prop_assert_eq!(same_site_path(&p), Some(p.as_str()));
        }
    }
}
