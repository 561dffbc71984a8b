//! The pages people open in a browser: the public booking page and every page
//! an emailed link leads to, server-rendered from compile-time-checked
//! templates (`functions/templates/`) in the reader's language.
//!
//! Each page works by plain links and form posts; `assets/app.js` only adds
//! what a server cannot do: read the secret part of an emailed link from the
//! URL fragment (which never reaches a server or CDN log) into a form and
//! remove it from the address bar, detect the reader's time zone, and stop a
//! second submit. Pages answer with the CSP of [`PagePolicy::Html`].

pub mod assets;
pub mod book;
mod form;
pub mod links;
pub mod manage;
mod picker;

use askama::Template;
use bookwarden_shared::http::{PagePolicy, Problem, RequestMeta};
use bookwarden_shared::i18n::{self, Language};
use bookwarden_shared::Platform;
use lambda_http::{Body, Request, RequestExt, Response};

pub(crate) use form::Form;

/// What a page template needs besides its own content: the language, its
/// texts and the asset addresses.
pub struct Frame {
    /// The page's language.
    pub lang: Language,
    /// The path `APP_BASE_URL` adds before every page's own (empty on a
    /// custom domain, `/<stage>` on a development stack's execute-api
    /// address), so the pages' links, forms and assets work on both.
    pub base: String,
    /// The page's address (path and query, without `lang`), for the
    /// language links.
    pub path: String,
    /// The hashed stylesheet address.
    pub css: String,
    /// The hashed script address.
    pub js: String,
    /// The hashed icon address.
    pub icon: String,
}

impl Frame {
    /// The frame of a page at `path` (below the base) in `lang`.
    pub fn new(p: &Platform, lang: Language, path: &str) -> Self {
        let base = base_path(&p.config.app_base_url);
        Self {
            lang,
            path: format!("{base}{path}"),
            css: format!("{base}{}", assets::url(assets::Asset::Css)),
            js: format!("{base}{}", assets::url(assets::Asset::Js)),
            icon: format!("{base}{}", assets::url(assets::Asset::Icon)),
            base,
        }
    }

    /// A text of the page catalog.
    pub fn t(&self, id: &'static str) -> String {
        i18n::text(self.lang, id, &[])
    }

    /// A text with one argument.
    pub fn t1(&self, id: &'static str, name: &'static str, value: &str) -> String {
        i18n::text(self.lang, id, &[(name, value)])
    }

    /// The page's address in another language.
    pub fn lang_href(&self, tag: &str) -> String {
        let separator = if self.path.contains('?') { '&' } else { '?' };
        format!("{}{separator}lang={tag}", self.path)
    }

    /// The `lang` tag for `<html lang>`.
    pub fn tag(&self) -> &'static str {
        self.lang.tag()
    }

    /// The language switcher: (tag, native name, whether current).
    pub fn languages(&self) -> Vec<(&'static str, &'static str, bool)> {
        Language::ALL
            .iter()
            .map(|l| (l.tag(), native_name(*l), *l == self.lang))
            .collect()
    }
}

/// The path part of `APP_BASE_URL`, without a trailing slash: what API
/// Gateway's stage adds before every route on an execute-api address.
pub fn base_path(app_base_url: &str) -> String {
    let origin = bookwarden_shared::auth::origin_of(app_base_url);
    app_base_url
        .strip_prefix(origin)
        .unwrap_or_default()
        .trim_end_matches('/')
        .to_owned()
}

fn native_name(lang: Language) -> &'static str {
    match lang {
        Language::En => "English",
        Language::De => "Deutsch",
        Language::Fr => "Français",
        Language::Ja => "日本語",
        Language::Ko => "한국어",
    }
}

/// The reader's language: an explicit choice (`lang` in the query or the
/// form), else the browser's `Accept-Language`, else the business's, else
/// English.
pub fn language(req: &Request, chosen: Option<&str>, business: Option<Language>) -> Language {
    let query = req.query_string_parameters();
    chosen
        .or_else(|| query.first("lang"))
        .and_then(Language::from_tag)
        .or_else(|| {
            req.headers()
                .get(http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Language::negotiate)
        })
        .or(business)
        .unwrap_or_default()
}

/// One problem shown in a page's error summary, linking to its field.
#[derive(Clone, Debug)]
pub struct Issue {
    /// The id of the field it concerns (`""` for the page as a whole).
    pub field: &'static str,
    /// The message, in the page's language.
    pub message: String,
}

/// A rendered page with its status.
pub(crate) fn html(status: u16, body: String, frame_ancestors: Vec<String>) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() =
        http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
        .extensions_mut()
        .insert(PagePolicy::Html { frame_ancestors });
    response
}

/// Renders a template; a rendering failure (which the tests rule out) is an
/// internal error, never a half page.
pub(crate) fn render(t: &impl Template) -> Result<String, Problem> {
    t.render().map_err(|e| {
        tracing::error!(error = %e, "page template failed to render");
        Problem::Internal
    })
}

/// A page that only says what went wrong.
#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    frame: &'a Frame,
    title: String,
    message: String,
}

/// A finished action: what happened, in the reader's language.
#[derive(Template)]
#[template(path = "done.html")]
struct DonePage<'a> {
    frame: &'a Frame,
    title: String,
    message: String,
}

/// The page that confirms a finished action.
pub(crate) fn done_page(
    frame: &Frame,
    title: &'static str,
    message: String,
) -> Result<Response<Body>, Problem> {
    let body = render(&DonePage {
        frame,
        title: frame.t(title),
        message,
    })?;
    Ok(html(200, body, Vec::new()))
}

/// An error page for a problem, in the reader's language, with the problem's
/// status (4xx for anything the request did wrong).
pub(crate) fn problem_page(frame: &Frame, problem: &Problem) -> Result<Response<Body>, Problem> {
    if let Problem::InRegion(_) = problem {
        // Served elsewhere: the route runner answers with the redirect.
        return Err(problem.clone());
    }
    let (title, message) = match problem {
        Problem::NotFound | Problem::MethodNotAllowed(_) => {
            (frame.t("page-not-found-title"), frame.t("page-not-found"))
        }
        other => (frame.t("page-error-title"), problem_message(frame, other)),
    };
    let body = render(&MessagePage {
        frame,
        title,
        message,
    })?;
    Ok(html(problem.status(), body, Vec::new()))
}

/// The sentence a reader sees for a problem.
pub(crate) fn problem_message(frame: &Frame, problem: &Problem) -> String {
    match problem {
        Problem::NotFound | Problem::InvalidToken => frame.t("page-link-invalid"),
        Problem::CrossSiteRequest => frame.t("page-cross-site"),
        Problem::TooManyRequests => frame.t("page-too-many"),
        Problem::Conflict("slot-taken") => frame.t("book-slot-taken"),
        Problem::Conflict("idempotency-key-reused") => frame.t("page-form-reused"),
        Problem::WeakPassword(_) => frame.t("field-weak-password"),
        Problem::Validation(_)
        | Problem::MalformedBody(_)
        | Problem::UnsupportedMediaType
        | Problem::PayloadTooLarge => frame.t("page-field-invalid"),
        _ => frame.t("page-try-again"),
    }
}

/// The issues of a refused form, one per field, in the reader's language.
pub(crate) fn issues(frame: &Frame, problem: &Problem) -> Vec<Issue> {
    match problem {
        Problem::Validation(errors) => errors
            .iter()
            .map(|e| {
                let (field, id) = field_message(e.field);
                Issue {
                    field,
                    message: frame.t(id),
                }
            })
            .collect(),
        Problem::WeakPassword(_) => vec![Issue {
            field: "password",
            message: frame.t("field-weak-password"),
        }],
        other => vec![Issue {
            field: "",
            message: problem_message(frame, other),
        }],
    }
}

/// The form field a domain field error belongs to, and its message id.
fn field_message(field: &str) -> (&'static str, &'static str) {
    match field {
        "customer_name" => ("name", "field-name"),
        "customer_email" => ("email", "field-email"),
        "customer_phone" => ("phone", "field-phone"),
        "start" | "staff_id" | "service_id" => ("slots", "field-start"),
        "password" => ("password", "field-password"),
        f if f.starts_with("answers") => ("", "field-answer"),
        _ => ("", "page-field-invalid"),
    }
}

/// WEB-2 for public forms: a post from a browser must come from our own
/// pages. Browsers send `Sec-Fetch-Site` (and `Origin` on every POST); a
/// request with neither comes from a program, which a cross-site attacker
/// cannot make a victim's browser send.
pub(crate) fn from_our_pages(req: &Request, app_base_url: &str) -> bool {
    let headers = req.headers();
    let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return site == "same-origin";
    }
    match header("origin") {
        Some(origin) => {
            origin.eq_ignore_ascii_case(bookwarden_shared::auth::origin_of(app_base_url))
        }
        None => true,
    }
}

/// The page's answer, or its error page; both carry the page headers.
pub(crate) fn or_problem_page(
    frame: &Frame,
    outcome: Result<Response<Body>, Problem>,
    meta: &RequestMeta,
) -> Result<Response<Body>, Problem> {
    match outcome {
        Ok(r) => Ok(r),
        Err(problem) => {
            if problem.status() >= 500 {
                tracing::warn!(request_id = %meta.request_id, status = problem.status(), "page refused");
            }
            problem_page(frame, &problem)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Message ids the templates and page modules name (quoted words with a
    /// page prefix).
    fn ids_in_use() -> Vec<String> {
        const PREFIXES: [&str; 9] = [
            "page-", "book-", "manage-", "verify-", "reset-", "accept-", "confirm-", "prefs-",
            "field-",
        ];
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut ids = Vec::new();
        for dir in ["templates", "src/pages"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                for quoted in text.split('"').skip(1).step_by(2) {
                    let looks_like_id = PREFIXES.iter().any(|p| quoted.starts_with(p))
                        && !quoted.ends_with('-')
                        && quoted
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                    if looks_like_id {
                        ids.push(quoted.to_owned());
                    }
                }
            }
        }
        ids.sort();
        ids.dedup();
        ids
    }

    #[test]
    fn every_text_the_pages_use_exists_in_every_language() {
        let ids = ids_in_use();
        assert!(ids.len() > 40, "{ids:?}");
        for id in ids {
            let id: &'static str = Box::leak(id.into_boxed_str());
            for lang in Language::ALL {
                let text = i18n::text(lang, id, &[]);
                assert!(!text.trim().is_empty(), "{id} is empty in {}", lang.tag());
            }
        }
    }

    #[test]
    fn pages_live_below_the_base_urls_path() {
        assert_eq!(base_path("https://book.example.com"), "");
        assert_eq!(base_path("https://book.example.com/"), "");
        assert_eq!(
            base_path("https://abc.execute-api.eu-west-1.amazonaws.com/live"),
            "/live"
        );
        assert_eq!(base_path("http://127.0.0.1:3000/live/"), "/live");
    }

    #[test]
    fn public_forms_are_accepted_only_from_our_pages_or_from_programs() {
        let base = "https://app.example";
        let request = |headers: &[(&str, &str)]| {
            let mut req = Request::default();
            for (k, v) in headers {
                req.headers_mut().insert(
                    http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            req
        };
        assert!(from_our_pages(&request(&[]), base));
        assert!(from_our_pages(&request(&[("origin", base)]), base));
        assert!(from_our_pages(
            &request(&[("sec-fetch-site", "same-origin")]),
            base
        ));
        for refused in [
            vec![("origin", "https://evil.example")],
            vec![("origin", "null")],
            vec![("origin", "https://app.example.evil.example")],
            vec![("sec-fetch-site", "cross-site")],
            vec![("sec-fetch-site", "same-site"), ("origin", base)],
            vec![("sec-fetch-site", "none")],
        ] {
            assert!(!from_our_pages(&request(&refused), base), "{refused:?}");
        }
    }
}
