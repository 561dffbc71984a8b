//! `/book/{slug}`: the business's public booking page. Choosing a service,
//! staff member, day and zone is a GET form; booking is a POST of the same
//! page, so the whole flow works without JavaScript. The form carries an
//! idempotency key made when the page was rendered: a double click or a
//! resent form books once and shows the same confirmation.

use askama::Template;
use base64::Engine;
use bookwarden_shared::accounts::user;
use bookwarden_shared::booking::bookings::{self, BookingError, BookingInput};
use bookwarden_shared::booking::context::TenantContext;
use bookwarden_shared::booking::form::Question;
use bookwarden_shared::http::{Problem, RequestMeta};
use bookwarden_shared::i18n::When;
use bookwarden_shared::tenancy::{TenantScope, UserId};
use bookwarden_shared::Platform;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use lambda_http::{Request, RequestExt};

use super::picker::{self, Ask, Picker};
use super::{from_our_pages, html, issues, language, render, Form, Frame, Issue};
use crate::handlers::bookings::{booking_problem, public_context};
use crate::handlers::{path_param, Outcome};

/// A choice in a `<select>`.
pub struct Choice {
    /// Its value.
    pub value: String,
    /// What the reader sees.
    pub label: String,
    /// Whether it is selected.
    pub selected: bool,
}

/// A booking-form question as a field.
pub struct Field {
    /// `q-<question id>`.
    pub name: String,
    /// The label.
    pub label: String,
    /// `short_text`, `long_text` or `choice`.
    pub kind: String,
    /// Whether it must be answered.
    pub required: bool,
    /// The options of a choice.
    pub options: Vec<Choice>,
    /// What the reader entered.
    pub value: String,
}

/// What the reader typed, kept across a refused post.
#[derive(Default)]
pub struct Entered {
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Phone.
    pub phone: String,
    /// Answers by question id.
    pub answers: std::collections::BTreeMap<String, String>,
}

#[derive(Template)]
#[template(path = "book.html")]
struct BookPage<'a> {
    frame: &'a Frame,
    slug: &'a str,
    business: &'a str,
    zone_note: String,
    tz: &'a str,
    zones: &'static [&'static str],
    services: Vec<Choice>,
    staff: Vec<Choice>,
    service: String,
    staff_value: String,
    picker: Option<Picker>,
    fields: Vec<Field>,
    entered: Entered,
    idempotency_key: String,
    issues: Vec<Issue>,
}

#[derive(Template)]
#[template(path = "booked.html")]
struct BookedPage<'a> {
    frame: &'a Frame,
    slug: &'a str,
    business: &'a str,
    summary: String,
    ics_href: String,
}

/// Zones offered in the zone field's list; any IANA zone may be typed.
const ZONES: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Amsterdam",
    "Europe/Vienna",
    "Europe/Zurich",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Athens",
    "Europe/Helsinki",
    "Europe/Istanbul",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Vancouver",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Australia/Sydney",
    "Pacific/Auckland",
];

/// Form fields of the booking post besides the questions (`q-<id>`).
const FIELDS: &[&str] = &[
    "service",
    "staff",
    "tz",
    "lang",
    "date",
    "start",
    "name",
    "email",
    "phone",
    "idempotency_key",
];

/// What the reader chose so far.
struct Chosen {
    service: String,
    staff: String,
    tz: Tz,
    date: Option<chrono::NaiveDate>,
}

fn page_path(slug: &str) -> String {
    format!("/book/{slug}")
}

/// `GET /book/{slug}?service=&staff=&date=&tz=&lang=`
pub async fn get(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let slug = path_param(req, "slug")?;
    let fallback = Frame::new(p, language(req, None, None), &page_path(&slug));
    let (scope, ctx) = match public_context(p, req).await {
        Ok(found) => found,
        Err(problem) => return super::problem_page(&fallback, &problem),
    };
    let q = req.query_string_parameters();
    let kept: String = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(
            ["service", "staff", "date", "tz"]
                .iter()
                .filter_map(|name| Some((*name, q.first(name)?))),
        )
        .finish();
    let here = if kept.is_empty() {
        page_path(&slug)
    } else {
        format!("{}?{kept}", page_path(&slug))
    };
    let frame = Frame::new(p, language(req, None, Some(ctx.language())), &here);
    let chosen = picker::zone(q.first("tz"), ctx.tz).and_then(|tz| {
        Ok(Chosen {
            service: q.first("service").unwrap_or_default().to_owned(),
            staff: q.first("staff").unwrap_or("any").to_owned(),
            tz,
            date: picker::date(q.first("date"))?,
        })
    });
    let outcome = match chosen {
        Ok(chosen) => {
            let view = View {
                p,
                scope: &scope,
                ctx: &ctx,
                frame: &frame,
                slug: &slug,
            };
            view.page(200, &chosen, Entered::default(), Vec::new(), None)
                .await
        }
        Err(problem) => Err(problem),
    };
    super::or_problem_page(&frame, outcome, meta)
}

/// `POST /book/{slug}`: books the chosen time.
pub async fn post(p: &Platform, req: &Request, meta: &RequestMeta) -> Outcome {
    let slug = path_param(req, "slug")?;
    let fallback = Frame::new(p, language(req, None, None), &page_path(&slug));
    let (scope, ctx) = match public_context(p, req).await {
        Ok(found) => found,
        Err(problem) => return super::problem_page(&fallback, &problem),
    };
    let form = match Form::parse(req, |n| FIELDS.contains(&n) || n.starts_with("q-")) {
        Ok(form) => form,
        Err(problem) => return super::problem_page(&fallback, &problem),
    };
    let frame = Frame::new(
        p,
        language(req, form.get("lang"), Some(ctx.language())),
        &page_path(&slug),
    );
    if !from_our_pages(req, &p.config.app_base_url) {
        return super::problem_page(&frame, &Problem::CrossSiteRequest);
    }
    let view = View {
        p,
        scope: &scope,
        ctx: &ctx,
        frame: &frame,
        slug: &slug,
    };
    let outcome = view.book(&form, meta).await;
    super::or_problem_page(&frame, outcome, meta)
}

/// One request's view of the business.
struct View<'a> {
    p: &'a Platform,
    scope: &'a TenantScope,
    ctx: &'a TenantContext,
    frame: &'a Frame,
    slug: &'a str,
}

impl View<'_> {
    async fn book(&self, form: &Form, meta: &RequestMeta) -> Outcome {
        let chosen = Chosen {
            service: form.text("service").to_owned(),
            staff: form.get("staff").unwrap_or("any").to_owned(),
            tz: picker::zone(form.get("tz"), self.ctx.tz)?,
            date: picker::date(form.get("date"))?,
        };
        let entered = Entered {
            name: form.text("name").to_owned(),
            email: form.text("email").to_owned(),
            phone: form.text("phone").to_owned(),
            answers: form
                .with_prefix("q-")
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        };
        let start = form.text("start").to_owned();
        if start.is_empty() {
            let problem = Problem::Validation(vec![bookwarden_shared::http::FieldError {
                field: "start",
                message: "is required".into(),
            }]);
            let found = issues(self.frame, &problem);
            return self.page(422, &chosen, entered, found, None).await;
        }
        let input = BookingInput {
            service_id: chosen.service.clone(),
            staff_id: chosen.staff.clone(),
            start: start.clone(),
            customer_name: entered.name.clone(),
            customer_email: entered.email.clone(),
            customer_phone: Some(entered.phone.trim().to_owned()).filter(|p| !p.is_empty()),
            answers: entered.answers.clone(),
        };
        let key = form.text("idempotency_key");
        match bookings::create(self.p, self.scope, self.ctx, input, key, &meta.client_addr).await {
            Ok(created) => self.booked(&created.booked, chosen.tz),
            Err(BookingError::SlotTaken) => {
                let taken = DateTime::parse_from_rfc3339(&start)
                    .map(|t| t.with_timezone(&Utc))
                    .ok();
                let problem = Problem::Conflict("slot-taken");
                let found = issues(self.frame, &problem);
                self.page(409, &chosen, entered, found, taken).await
            }
            Err(BookingError::Invalid(errors)) => {
                let problem = Problem::Validation(errors);
                let found = issues(self.frame, &problem);
                self.page(422, &chosen, entered, found, None).await
            }
            Err(other) => Err(booking_problem(other)),
        }
    }

    /// The confirmation, with the appointment as a calendar file to save.
    fn booked(&self, booked: &bookings::Booked, tz: Tz) -> Outcome {
        let seconds = |rfc3339: &str| {
            DateTime::parse_from_rfc3339(rfc3339)
                .map(|t| t.timestamp())
                .map_err(|_| Problem::Internal)
        };
        let (start, end) = (seconds(&booked.start)?, seconds(&booked.end)?);
        let service = self
            .ctx
            .services
            .iter()
            .find(|s| s.id == booked.service_id)
            .map(|s| s.name.as_str())
            .unwrap_or_default();
        let when = When {
            unix: start,
            zone: tz,
        }
        .format(self.frame.lang);
        let business = self.ctx.tenant.name();
        let summary = bookwarden_shared::i18n::text(
            self.frame.lang,
            "book-done",
            &[
                ("service", service),
                ("business", business),
                ("when", &when),
            ],
        );
        let file =
            bookwarden_shared::booking::mail::ics(self.p, &booked.booking_id, start, end, false)
                .map_err(booking_problem)?;
        let ics_href = format!(
            "data:text/calendar;charset=utf-8;base64,{}",
            base64::engine::general_purpose::STANDARD.encode(&file.bytes)
        );
        let body = render(&BookedPage {
            frame: self.frame,
            slug: self.slug,
            business,
            summary,
            ics_href,
        })?;
        Ok(html(
            200,
            body,
            self.ctx.tenant.policy.embed_origins.clone(),
        ))
    }

    /// The booking page with what was chosen and entered so far.
    async fn page(
        &self,
        status: u16,
        chosen: &Chosen,
        entered: Entered,
        issues: Vec<Issue>,
        taken: Option<DateTime<Utc>>,
    ) -> Outcome {
        let active: Vec<_> = self.ctx.services.iter().filter(|s| s.active).collect();
        let service = match active.as_slice() {
            [only] if chosen.service.is_empty() => Some(*only),
            _ => active.iter().copied().find(|s| s.id == chosen.service),
        };
        let services = active
            .iter()
            .map(|s| Choice {
                value: s.id.clone(),
                label: format!(
                    "{} ({})",
                    s.name,
                    self.frame
                        .t1("book-minutes", "minutes", &s.duration_minutes.to_string())
                ),
                selected: service.is_some_and(|chosen| chosen.id == s.id),
            })
            .collect();
        let mut staff_value = chosen.staff.clone();
        let (staff, picker) = match service {
            Some(service) => {
                let staff = self.staff_choices(&service.staff_ids, &chosen.staff).await;
                if !staff.iter().any(|c| c.selected) {
                    staff_value = "any".into();
                }
                let ask = Ask {
                    service,
                    staff: Some(staff_value.as_str()).filter(|s| *s != "any"),
                    tz: chosen.tz,
                    wanted: chosen
                        .date
                        .or(taken.map(|t| t.with_timezone(&chosen.tz).date_naive())),
                    lang: self.frame.lang,
                };
                let picker = match taken {
                    Some(taken) => {
                        picker::nearest(self.p, self.scope, self.ctx, &ask, taken).await?
                    }
                    None => picker::load(self.p, self.scope, self.ctx, &ask).await?,
                };
                (staff, Some(picker))
            }
            None => (Vec::new(), None),
        };
        let fields = self
            .ctx
            .form
            .iter()
            .map(|q| field(q, entered.answers.get(&q.id).map_or("", String::as_str)))
            .collect();
        let tz = chosen.tz.name();
        let zone_note = bookwarden_shared::i18n::text(
            self.frame.lang,
            "book-zone-note",
            &[
                ("zone", tz),
                ("business", self.ctx.tenant.name()),
                ("business_zone", self.ctx.tz.name()),
            ],
        );
        let body = render(&BookPage {
            frame: self.frame,
            slug: self.slug,
            business: self.ctx.tenant.name(),
            zone_note,
            tz,
            zones: ZONES,
            services,
            staff,
            service: service.map(|s| s.id.clone()).unwrap_or_default(),
            staff_value,
            picker,
            fields,
            entered,
            idempotency_key: bookwarden_shared::crypto::SecretToken::generate()
                .expose()
                .to_owned(),
            issues,
        })?;
        Ok(html(
            status,
            body,
            self.ctx.tenant.policy.embed_origins.clone(),
        ))
    }

    /// "Anyone" and, when more than one person delivers the service, each of
    /// them by name.
    async fn staff_choices(&self, ids: &[String], chosen: &str) -> Vec<Choice> {
        if ids.len() < 2 {
            return Vec::new();
        }
        let mut choices = vec![Choice {
            value: "any".into(),
            label: self.frame.t("book-anyone"),
            selected: chosen == "any",
        }];
        for id in ids {
            let Ok(user_id) = id.parse::<UserId>() else {
                continue;
            };
            let name = match user::load(self.p, self.scope, &user_id).await {
                Ok(Some(u)) => u.open_text(self.p, self.scope, "name").await.ok(),
                _ => None,
            };
            if let Some(name) = name {
                choices.push(Choice {
                    value: id.clone(),
                    label: name,
                    selected: chosen == id,
                });
            }
        }
        choices
    }
}

fn field(q: &Question, value: &str) -> Field {
    Field {
        name: format!("q-{}", q.id),
        label: q.label.clone(),
        kind: q.kind.clone(),
        required: q.required,
        options: q
            .options
            .iter()
            .map(|o| Choice {
                value: o.clone(),
                label: o.clone(),
                selected: o == value,
            })
            .collect(),
        value: value.to_owned(),
    }
}
