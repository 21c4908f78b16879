//! Typed page forms. A handler names what its form holds as a struct, and the route's
//! permission as a type: `GrantedForm<P, T>` checks the session, grants `P`, checks the
//! `_csrf` token, and only then reads the body into `T` — so a caller without the right is
//! refused before their input is looked at, and a field of the wrong type (an id that is not
//! a number, a choice that is not one of ours) is a 422 naming the field, never a default.
//!
//! Text stays text here: the domain parsers give it its Chinese messages and stable codes
//! (`parse, don't validate`); this layer only refuses what cannot be the right type at all.
//! Repeated keys read into `Vec` fields (checkboxes), and an empty value into `None` for an
//! optional number (`serde_html_form`).

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use lianxin_domain::Invalid;
use lianxin_domain::access::{Granted, Permission};
use lianxin_service::Error;
use serde::de::DeserializeOwned;

use crate::State;
use crate::body::FormPairs;
use crate::error::PageError;
use crate::session::{Auth, PageAuth, PageGrant, constant_eq};

/// A form posted by a signed-in person from one of our pages, read into `T` after the
/// `_csrf` check. For routes whose right depends on the object (a member's own archive),
/// which the service checks from the actor; otherwise take [`GrantedForm`].
pub struct CsrfForm<T = FormPairs> {
    pub auth: Auth,
    pub form: T,
}

/// A form on a route that needs permission `P`, granted before the body is read.
pub struct GrantedForm<P: Permission, T> {
    pub auth: Auth,
    pub granted: Granted<P>,
    pub form: T,
}

/// A form with nothing in it but the token (a button).
#[derive(serde::Deserialize)]
pub struct Button {}

impl<T: DeserializeOwned> FromRequest<State> for CsrfForm<T> {
    type Rejection = Response;
    async fn from_request(req: Request, state: &State) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let PageAuth(auth) = PageAuth::from_request_parts(&mut parts, state).await?;
        let form = read(Request::from_parts(parts, body), state, &auth).await?;
        Ok(CsrfForm { auth, form })
    }
}

impl<P: Permission + Send + Sync, T: DeserializeOwned> FromRequest<State> for GrantedForm<P, T> {
    type Rejection = Response;
    async fn from_request(req: Request, state: &State) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        let PageGrant(auth, granted) =
            PageGrant::<P>::from_request_parts(&mut parts, state).await?;
        let form = read(Request::from_parts(parts, body), state, &auth).await?;
        Ok(GrantedForm {
            auth,
            granted,
            form,
        })
    }
}

/// The body as pairs (content type, size and UTF-8 checked there), the token, then `T`.
async fn read<T: DeserializeOwned>(
    req: Request,
    state: &State,
    auth: &Auth,
) -> Result<T, Response> {
    let FormPairs(pairs) = FormPairs::from_request(req, state).await?;
    let sent = pairs
        .iter()
        .find(|(k, _)| k == "_csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    if !constant_eq(sent, &auth.csrf) {
        return Err(PageError(Error::Forbidden("csrf")).into_response());
    }
    typed(&pairs).map_err(|inv| PageError(Error::Invalid(inv)).into_response())
}

/// A checkbox: ticked when sent as `on` (what browsers send), `true` or `1`; absent is not.
/// Use with `#[serde(default, deserialize_with = "crate::form::checkbox")]`.
pub fn checkbox<'de, D: serde::Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    let v = <String as serde::Deserialize>::deserialize(d)?;
    match v.as_str() {
        "on" | "true" | "1" => Ok(true),
        "" | "off" | "false" | "0" => Ok(false),
        _ => Err(serde::de::Error::custom("not a checkbox value")),
    }
}

/// A year posted by a form (the duty year, the appraisal's year): 2000 to next year, in
/// China's time. Anything else is refused, never read as this year.
pub struct Year(pub i64);

impl<'de> serde::Deserialize<'de> for Year {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use chrono::Datelike;
        // As an option, so that a form without the field is refused with the same message
        // (serde hands a missing field to `deserialize_option` as none).
        let v = <Option<String> as serde::Deserialize>::deserialize(d)?;
        let this =
            i64::from(lianxin_service::opinions::bulletins::china(chrono::Utc::now()).year());
        v.as_deref()
            .and_then(|v| v.trim().parse::<i64>().ok())
            .filter(|y| (2000..=this + 1).contains(y))
            .map(Year)
            .ok_or_else(|| refuse("invalid_year", "请选择有效的年度"))
    }
}

/// The codes a field type may refuse with (see [`refuse`]); others read as `invalid`.
const CODES: &[&str] = &["invalid_year"];
const MARK: char = '\u{1}';

/// A field type's own refusal: its stable code and Chinese message, carried through serde's
/// error text and read back by [`typed`].
pub fn refuse<E: serde::de::Error>(code: &'static str, message: &str) -> E {
    E::custom(format!("{MARK}{code}{MARK}{message}"))
}

/// Read pairs into `T`; the error names the field and says in Chinese what is wrong.
pub fn typed<T: DeserializeOwned>(pairs: &[(String, String)]) -> Result<T, Invalid> {
    // Re-encoded once so that one deserializer reads pages' forms and tests' pairs alike.
    let body = serde_urlencoded::to_string(pairs).unwrap_or_default();
    let de = serde_html_form::Deserializer::from_bytes(body.as_bytes());
    serde_path_to_error::deserialize(de).map_err(|e| {
        let inner = e.inner().to_string();
        if let Some((code, message)) = inner.strip_prefix(MARK).and_then(|r| r.split_once(MARK)) {
            let code = CODES
                .iter()
                .find(|c| **c == code)
                .copied()
                .unwrap_or("invalid");
            return Invalid::one(&e.path().to_string(), code, message);
        }
        // serde names a missing field in its message, not in the path.
        if let Some(name) = inner
            .strip_prefix("missing field `")
            .and_then(|r| r.split('`').next())
        {
            return Invalid::one(name, "required", format!("请填写「{name}」"));
        }
        let field = e.path().to_string();
        Invalid::one(&field, "invalid", format!("「{field}」的值无效"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum How {
        Answer,
        Note,
    }

    #[derive(Deserialize, Debug)]
    struct Sample {
        #[serde(default)]
        body: String,
        unit_id: Option<i64>,
        how: How,
        #[serde(default)]
        ids: Vec<i64>,
    }

    fn pairs(s: &[(&str, &str)]) -> Vec<(String, String)> {
        s.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_form_reads_into_its_struct() {
        let f: Sample = typed(&pairs(&[
            ("_csrf", "t"),
            ("body", "你好 & 再见"),
            ("unit_id", ""),
            ("how", "note"),
            ("ids", "3"),
            ("ids", "5"),
        ]))
        .unwrap();
        assert_eq!(f.body, "你好 & 再见");
        assert_eq!(f.unit_id, None, "an empty number is not given");
        assert_eq!(f.how, How::Note);
        assert_eq!(f.ids, vec![3, 5], "repeated keys are a list");
    }

    #[test]
    fn a_wrong_type_is_named_never_defaulted() {
        let e = typed::<Sample>(&pairs(&[("unit_id", "abc"), ("how", "note")])).unwrap_err();
        assert_eq!(e.0[0].field, "unit_id");
        assert_eq!(e.0[0].code, "invalid");
        let e = typed::<Sample>(&pairs(&[("how", "shout")])).unwrap_err();
        assert_eq!(e.0[0].field, "how");
        let e =
            typed::<Sample>(&pairs(&[("ids", "1"), ("ids", "x"), ("how", "note")])).unwrap_err();
        assert!(e.0[0].field.starts_with("ids"), "{:?}", e.0[0].field);
        let e = typed::<Sample>(&pairs(&[])).unwrap_err();
        assert_eq!((e.0[0].field.as_str(), e.0[0].code), ("how", "required"));
    }
}
