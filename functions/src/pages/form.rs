//! Form posts from the pages (`application/x-www-form-urlencoded`), read as
//! strictly as the JSON API reads its bodies (WEB-3): size-limited, each
//! field at most once, only the fields the page has, no control characters.

use bookwarden_shared::http::{Problem, MAX_BODY_BYTES};
use lambda_http::Request;

/// The fields of one form post.
#[derive(Debug, Default)]
pub(crate) struct Form {
    fields: Vec<(String, String)>,
}

/// Longest value of any one field (a long answer is 2,000 characters).
const MAX_FIELD_CHARS: usize = 4_000;

impl Form {
    /// Reads a form post whose field names all satisfy `known`.
    pub(crate) fn parse(req: &Request, known: impl Fn(&str) -> bool) -> Result<Form, Problem> {
        let content_type = req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if !content_type
            .to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
        {
            return Err(Problem::UnsupportedMediaType);
        }
        let body: &[u8] = req.body().as_ref();
        if body.len() > MAX_BODY_BYTES {
            return Err(Problem::PayloadTooLarge);
        }
        let malformed = |what: &str| Problem::MalformedBody(format!("The form {what}."));
        let mut fields: Vec<(String, String)> = Vec::new();
        for (name, value) in url::form_urlencoded::parse(body) {
            if !known(&name) {
                return Err(malformed("has a field this page does not send"));
            }
            if fields.iter().any(|(n, _)| *n == name) {
                return Err(malformed("repeats a field"));
            }
            if value.chars().count() > MAX_FIELD_CHARS
                || value
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
            {
                return Err(malformed("has a value that is too long or not text"));
            }
            fields.push((name.into_owned(), value.into_owned()));
        }
        Ok(Form { fields })
    }

    /// A field's value, if sent.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A field's value, empty when not sent.
    pub(crate) fn text(&self, name: &str) -> &str {
        self.get(name).unwrap_or_default()
    }

    /// Fields whose names start with `prefix`, without it.
    pub(crate) fn with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.fields
            .iter()
            .filter_map(move |(n, v)| Some((n.strip_prefix(prefix)?, v.as_str())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(content_type: &str, body: &[u8]) -> Request {
        let mut req = Request::new(lambda_http::Body::Binary(body.to_vec()));
        req.headers_mut()
            .insert(http::header::CONTENT_TYPE, content_type.parse().unwrap());
        req
    }

    const FORM: &str = "application/x-www-form-urlencoded";

    #[test]
    fn reads_fields_once_and_refuses_anything_else() {
        let form = Form::parse(&post(FORM, b"a=1&b=x+y%21"), |n| n == "a" || n == "b").unwrap();
        assert_eq!(form.get("a"), Some("1"));
        assert_eq!(form.text("b"), "x y!");
        assert_eq!(form.get("c"), None);
        for (content_type, body) in [
            ("application/json", &b"a=1"[..]),
            (FORM, b"a=1&a=2"),
            (FORM, b"z=1"),
            (FORM, b"a=%00"),
            (FORM, b"a=%1b%5b31m"),
        ] {
            assert!(
                Form::parse(&post(content_type, body), |n| n == "a").is_err(),
                "{content_type} {body:?}"
            );
        }
        let huge = vec![b'a'; MAX_BODY_BYTES + 1];
        assert!(matches!(
            Form::parse(&post(FORM, &huge), |_| true),
            Err(Problem::PayloadTooLarge)
        ));
    }

    proptest::proptest! {
        #[test]
        fn any_body_is_read_or_refused_without_panicking(body in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = Form::parse(&post(FORM, &body), |_| true);
        }
    }
}
