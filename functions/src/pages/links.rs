//! The pages emailed links lead to: confirming an email address, resetting a
//! password, accepting an invitation, confirming a new email address, and
//! turning reminders off (MAIL-3).
//!
//! Each link carries its secret in the URL fragment (CRY-4 tokens, or the
//! signed recipient of a reminder). `GET` serves a form whose hidden fields
//! the script fills from the fragment before removing it from the address bar
//! and history; the reader then confirms with a button, so a mail scanner
//! that opens links changes nothing. `POST` does the work.

use askama::Template;
use bookwarden_shared::accounts::me::{self, EmailChangeConfirmInput};
use bookwarden_shared::accounts::reset::{self, TokenPasswordInput};
use bookwarden_shared::accounts::{self, users};
use bookwarden_shared::booking::preferences;
use bookwarden_shared::crypto::SecretToken;
use bookwarden_shared::http::{Problem, RequestMeta};
use bookwarden_shared::i18n;
use bookwarden_shared::Platform;
use lambda_http::Request;

use super::{from_our_pages, html, issues, language, render, Form, Frame, Issue};
use crate::handlers::bookings::{booking_problem, public_context_of};
use crate::handlers::Outcome;

/// Which emailed link a page answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Link {
    /// `/verify-email`: a new business's owner confirms the address.
    VerifyEmail,
    /// `/reset-password`: a new password from a reset link.
    ResetPassword,
    /// `/accept-invitation`: an invited user sets a password.
    AcceptInvitation,
    /// `/confirm-email-change`: a user confirms a new address.
    ConfirmEmailChange,
    /// `/email-preferences`: a customer turns reminders off.
    EmailPreferences,
}

impl Link {
    /// The page's path.
    pub fn path(self) -> &'static str {
        match self {
            Link::VerifyEmail => "/verify-email",
            Link::ResetPassword => "/reset-password",
            Link::AcceptInvitation => "/accept-invitation",
            Link::ConfirmEmailChange => "/confirm-email-change",
            Link::EmailPreferences => "/email-preferences",
        }
    }

    fn form_id(self) -> &'static str {
        match self {
            Link::VerifyEmail => "verify",
            Link::ResetPassword => "reset",
            Link::AcceptInvitation => "accept",
            Link::ConfirmEmailChange => "confirm",
            Link::EmailPreferences => "unsubscribe",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Link::EmailPreferences => "prefs",
            other => other.form_id(),
        }
    }

    fn title(self) -> &'static str {
        self.text("title")
    }

    fn intro(self) -> &'static str {
        match self {
            Link::ResetPassword => "reset-hint",
            Link::EmailPreferences => "prefs-intro",
            other => other.text("intro"),
        }
    }

    fn submit(self) -> &'static str {
        self.text("submit")
    }

    /// The catalog id `<prefix>-<what>`; every combination used exists in
    /// every language (the catalog tests check the files agree).
    fn text(self, what: &str) -> &'static str {
        match (self.prefix(), what) {
            ("verify", "title") => "verify-title",
            ("verify", "intro") => "verify-intro",
            ("verify", "submit") => "verify-submit",
            ("verify", "done-title") => "verify-done-title",
            ("verify", _) => "verify-done",
            ("reset", "title") => "reset-title",
            ("reset", "submit") => "reset-submit",
            ("reset", "done-title") => "reset-done-title",
            ("reset", _) => "reset-done",
            ("accept", "title") => "accept-title",
            ("accept", "intro") => "accept-intro",
            ("accept", "submit") => "accept-submit",
            ("accept", "done-title") => "accept-done-title",
            ("accept", _) => "accept-done",
            ("confirm", "title") => "confirm-title",
            ("confirm", "intro") => "confirm-intro",
            ("confirm", "submit") => "confirm-submit",
            ("confirm", "done-title") => "confirm-done-title",
            ("confirm", _) => "confirm-done",
            (_, "title") => "prefs-title",
            (_, "submit") => "prefs-submit",
            (_, "done-title") => "prefs-done-title",
            _ => "prefs-done",
        }
    }

    /// The hidden fields the fragment fills.
    fn fragment_fields(self) -> &'static [&'static str] {
        match self {
            Link::EmailPreferences => &["tenant", "recipient", "sig"],
            _ => &["token"],
        }
    }

    fn asks_password(self) -> bool {
        matches!(self, Link::ResetPassword | Link::AcceptInvitation)
    }

    fn accepts(self, field: &str) -> bool {
        field == "lang"
            || self.fragment_fields().contains(&field)
            || (field == "password" && self.asks_password())
    }
}

#[derive(Template)]
#[template(path = "token_form.html")]
struct LinkPage<'a> {
    frame: &'a Frame,
    kind: Link,
    form: Option<&'a Form>,
    issues: Vec<Issue>,
}

impl LinkPage<'_> {
    /// A fragment value to keep after a refusal, so the reader can retry
    /// (with a longer password, say) without the link.
    fn kept(&self, name: &str) -> String {
        self.form
            .and_then(|f| f.get(name))
            .unwrap_or_default()
            .to_owned()
    }
}

/// `GET` of a link page.
pub async fn get(link: Link, p: &Platform, req: &Request) -> Outcome {
    let frame = Frame::new(p, language(req, None, None), link.path());
    let body = render(&LinkPage {
        frame: &frame,
        kind: link,
        form: None,
        issues: Vec::new(),
    })?;
    Ok(html(200, body, Vec::new()))
}

/// `POST` of a link page.
pub async fn post(link: Link, p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let fallback = Frame::new(p, language(req, None, None), link.path());
    let form = match Form::parse(req, |n| link.accepts(n)) {
        Ok(form) => form,
        Err(problem) => return super::problem_page(&fallback, &problem),
    };
    let frame = Frame::new(p, language(req, form.get("lang"), None), link.path());
    if !from_our_pages(req, &p.config.app_base_url) {
        return super::problem_page(&frame, &Problem::CrossSiteRequest);
    }
    match act(link, p, &form, meta, frame.lang).await {
        Ok(message) => super::done_page(
            &frame,
            link.text("done-title"),
            message.unwrap_or_else(|| frame.t(link.text("done"))),
        ),
        Err(problem) if problem.status() < 500 => {
            let body = render(&LinkPage {
                frame: &frame,
                kind: link,
                form: Some(&form),
                issues: issues(&frame, &problem),
            })?;
            Ok(html(problem.status(), body, Vec::new()))
        }
        Err(problem) => super::or_problem_page(&frame, Err(problem), meta),
    }
}

/// Does what the link is for; the confirmation text when it depends on more
/// than the link's kind.
async fn act(
    link: Link,
    p: &Platform,
    form: &Form,
    meta: &RequestMeta,
    lang: i18n::Language,
) -> Result<Option<String>, Problem> {
    let token = || form.text("token").to_owned();
    let password = || form.text("password").to_owned();
    match link {
        Link::VerifyEmail => {
            let token = SecretToken::parse(&token()).ok_or(Problem::InvalidToken)?;
            accounts::verify_email(p, &token, meta).await?;
        }
        Link::ResetPassword => {
            let input = TokenPasswordInput {
                token: token(),
                password: password(),
            };
            reset::confirm(p, input, meta).await?;
        }
        Link::AcceptInvitation => {
            let input = TokenPasswordInput {
                token: token(),
                password: password(),
            };
            users::accept_invitation(p, input, meta).await?;
        }
        Link::ConfirmEmailChange => {
            me::confirm_email_change(p, EmailChangeConfirmInput { token: token() }, meta).await?;
        }
        Link::EmailPreferences => {
            let (scope, ctx) = public_context_of(p, form.text("tenant"))
                .await
                .map_err(|_| Problem::InvalidToken)?;
            preferences::unsubscribe(
                p,
                &scope,
                form.text("recipient"),
                form.text("sig"),
                &meta.client_addr,
            )
            .await
            .map_err(booking_problem)?;
            return Ok(Some(i18n::text(
                lang,
                "prefs-done",
                &[("business", ctx.tenant.name())],
            )));
        }
    }
    Ok(None)
}

/// The `GET` and `POST` route functions of each link page.
macro_rules! link_routes {
    ($($link:ident => $get:ident, $post:ident;)*) => {$(
        #[doc = concat!("`GET` of the ", stringify!($link), " page.")]
        pub async fn $get(p: &Platform, req: &Request, _meta: &RequestMeta) -> Outcome {
            get(Link::$link, p, req).await
        }
        #[doc = concat!("`POST` of the ", stringify!($link), " page.")]
        pub async fn $post(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
            post(Link::$link, p, req, meta).await
        }
    )*};
}

link_routes! {
    VerifyEmail => verify_email_page, verify_email_post;
    ResetPassword => reset_password_page, reset_password_post;
    AcceptInvitation => accept_invitation_page, accept_invitation_post;
    ConfirmEmailChange => confirm_email_change_page, confirm_email_change_post;
    EmailPreferences => email_preferences_page, email_preferences_post;
}
