//! Enums that people see in Chinese and machines see as stable codes.

/// An enum with a stable code (stored, sent in events and APIs) and a Chinese label (shown),
/// parsed from either.
#[macro_export]
macro_rules! labelled {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = ($code:literal, $label:literal)),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }
            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label),+ }
            }
            pub fn parse(s: &str) -> Option<$name> {
                let s = s.trim();
                Self::ALL.iter().copied().find(|x| x.code() == s || x.label() == s)
            }
            /// (code, label) of every value, for select boxes.
            pub fn options() -> Vec<(&'static str, &'static str)> {
                Self::ALL.iter().map(|x| (x.code(), x.label())).collect()
            }
        }
    };
}
