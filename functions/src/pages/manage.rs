//! `/manage`: the customer's appointment from the emailed link (BOOK-4).
//!
//! The link's token sits in the URL fragment. The page's script moves it into
//! a form and posts it, so it travels only in request bodies, never in a URL
//! a server, proxy or CDN logs. Every later step (another day, cancel, move)
//! posts it again from a hidden field.

use askama::Template;
use bookwarden_shared::booking::bookings::{self, Booking, BookingError};
use bookwarden_shared::booking::context::TenantContext;
use bookwarden_shared::http::{Problem, RequestMeta};
use bookwarden_shared::i18n::{self, When};
use bookwarden_shared::tenancy::TenantScope;
use bookwarden_shared::Platform;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lambda_http::Request;

use super::picker::{self, Ask, Picker};
use super::{from_our_pages, html, issues, language, render, Form, Frame, Issue};
use crate::handlers::bookings::{booking_problem, context, within_window};
use crate::handlers::Outcome;

const PATH: &str = "/manage";
const FIELDS: &[&str] = &["token", "action", "date", "tz", "start", "lang"];

#[derive(Template)]
#[template(path = "manage_link.html")]
struct LinkPage<'a> {
    frame: &'a Frame,
}

#[derive(Template)]
#[template(path = "manage.html")]
struct ManagePage<'a> {
    frame: &'a Frame,
    token: &'a str,
    business: &'a str,
    service: &'a str,
    when: String,
    tz: &'a str,
    cancelled: bool,
    too_late: Option<String>,
    picker: Option<Picker>,
    issues: Vec<Issue>,
}

/// `GET /manage`: the form the script fills from the link's fragment.
pub async fn get(p: &Platform, req: &Request, _meta: &RequestMeta) -> Outcome {
    let frame = Frame::new(p, language(req, None, None), PATH);
    Ok(html(200, render(&LinkPage { frame: &frame })?, Vec::new()))
}

/// `POST /manage` with the token and `action`: `view` (the default, also for
/// another day), `cancel` or `move`.
pub async fn post(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let fallback = Frame::new(p, language(req, None, None), PATH);
    let form = match Form::parse(req, |n| FIELDS.contains(&n)) {
        Ok(form) => form,
        Err(problem) => return super::problem_page(&fallback, &problem),
    };
    let frame = Frame::new(p, language(req, form.get("lang"), None), PATH);
    if !from_our_pages(req, &p.config.app_base_url) {
        return super::problem_page(&frame, &Problem::CrossSiteRequest);
    }
    let outcome = act(p, &frame, &form).await;
    super::or_problem_page(&frame, outcome, meta)
}

async fn act(p: &Platform, frame: &Frame, form: &Form) -> Outcome {
    let token = form.text("token");
    let (scope, booking) = bookings::by_manage_token(p, token)
        .await
        .map_err(|e| match e {
            BookingError::NotFound => Problem::InvalidToken,
            other => booking_problem(other),
        })?;
    let ctx = context(p, &scope).await?;
    let tz = picker::zone(form.get("tz"), ctx.tz)?;
    let it = Appointment {
        p,
        frame,
        scope: &scope,
        ctx: &ctx,
        booking: &booking,
        token,
        tz,
    };
    match form.get("action").unwrap_or("view") {
        "cancel" => {
            within_window(&ctx, &booking)?;
            bookings::cancel(p, &scope, &ctx, &booking)
                .await
                .map_err(booking_problem)?;
            super::done_page(
                frame,
                "manage-cancelled-title",
                i18n::text(
                    frame.lang,
                    "manage-cancelled-done",
                    &[("business", ctx.tenant.name())],
                ),
            )
        }
        "move" => {
            within_window(&ctx, &booking)?;
            let start = form.text("start");
            match bookings::reschedule(p, &scope, &ctx, ctx.horizon(), &booking, start).await {
                Ok(moved) => {
                    let when = it.when(&moved.start)?;
                    super::done_page(
                        frame,
                        "manage-moved-title",
                        i18n::text(frame.lang, "manage-moved-done", &[("when", &when)]),
                    )
                }
                Err(BookingError::SlotTaken) => {
                    let taken = DateTime::parse_from_rfc3339(start)
                        .map(|t| t.with_timezone(&Utc))
                        .ok();
                    let found = issues(frame, &Problem::Conflict("slot-taken"));
                    it.page(409, None, taken, found).await
                }
                Err(BookingError::Invalid(errors)) => {
                    let found = issues(frame, &Problem::Validation(errors));
                    it.page(422, None, None, found).await
                }
                Err(other) => Err(booking_problem(other)),
            }
        }
        "view" => {
            let wanted = picker::date(form.get("date"))?;
            it.page(200, wanted, None, Vec::new()).await
        }
        _ => Err(Problem::MalformedBody("Unknown action.".into())),
    }
}

/// One booking as its customer sees it.
struct Appointment<'a> {
    p: &'a Platform,
    frame: &'a Frame,
    scope: &'a TenantScope,
    ctx: &'a TenantContext,
    booking: &'a Booking,
    token: &'a str,
    tz: Tz,
}

impl Appointment<'_> {
    fn when(&self, rfc3339: &str) -> Result<String, Problem> {
        let unix = DateTime::parse_from_rfc3339(rfc3339)
            .map_err(|_| Problem::Internal)?
            .timestamp();
        Ok(When {
            unix,
            zone: self.tz,
        }
        .format(self.frame.lang))
    }

    async fn page(
        &self,
        status: u16,
        wanted: Option<chrono::NaiveDate>,
        taken: Option<DateTime<Utc>>,
        issues: Vec<Issue>,
    ) -> Outcome {
        let record = &self.booking.record;
        let service_id = record.string("service_id").map_err(|_| Problem::Internal)?;
        let service = self.ctx.services.iter().find(|s| s.id == service_id);
        let start = record.number("start").map_err(|_| Problem::Internal)?;
        let when = When {
            unix: start,
            zone: self.tz,
        }
        .format(self.frame.lang);
        let cancelled = record.optional_string("status") != Some("confirmed");
        let too_late = within_window(self.ctx, self.booking).err().map(|_| {
            i18n::text(
                self.frame.lang,
                "manage-too-late",
                &[
                    (
                        "hours",
                        &self.ctx.tenant.policy.cancellation_window_hours.to_string(),
                    ),
                    ("business", self.ctx.tenant.name()),
                ],
            )
        });
        let picker = match (service, cancelled || too_late.is_some()) {
            (Some(service), false) if service.active => {
                let staff = record.optional_string("staff_id");
                let ask = Ask {
                    service,
                    staff,
                    tz: self.tz,
                    // Around the appointment's own day unless another was asked for.
                    wanted: wanted
                        .or(taken.map(|t| t.with_timezone(&self.tz).date_naive()))
                        .or(DateTime::from_timestamp(start, 0)
                            .map(|t| t.with_timezone(&self.tz).date_naive())),
                    lang: self.frame.lang,
                };
                Some(match taken {
                    Some(taken) => {
                        picker::nearest(self.p, self.scope, self.ctx, &ask, taken).await?
                    }
                    None => picker::load(self.p, self.scope, self.ctx, &ask).await?,
                })
            }
            _ => None,
        };
        let body = render(&ManagePage {
            frame: self.frame,
            token: self.token,
            business: self.ctx.tenant.name(),
            service: service.map(|s| s.name.as_str()).unwrap_or_default(),
            when,
            tz: self.tz.name(),
            cancelled,
            too_late,
            picker,
            issues,
        })?;
        Ok(html(status, body, Vec::new()))
    }
}
