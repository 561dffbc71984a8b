//! The slot picker both the booking page and the manage page show: the days
//! of a two-week window that have open times, and the open times of one day,
//! in the reader's time zone.

use bookwarden_shared::booking::bookings::{self, Slot};
use bookwarden_shared::booking::catalog::Service;
use bookwarden_shared::booking::context::TenantContext;
use bookwarden_shared::http::{FieldError, Problem};
use bookwarden_shared::i18n::{self, Language};
use bookwarden_shared::tenancy::TenantScope;
use bookwarden_shared::Platform;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::handlers::bookings::booking_problem;

/// Days shown at once.
const WINDOW_DAYS: i64 = 14;
/// Open times offered when the chosen one was taken.
const NEAREST: usize = 6;

/// A day with open times.
pub struct Day {
    /// `YYYY-MM-DD`.
    pub value: String,
    /// The day in the reader's language.
    pub label: String,
    /// Whether it is the day shown.
    pub current: bool,
}

/// One open time.
pub struct Choice {
    /// RFC 3339 start, the form value.
    pub value: String,
    /// The element id.
    pub id: String,
    /// Local time ("14:30"), with the day when the list spans days.
    pub label: String,
}

/// What the picker shows.
pub struct Picker {
    /// Days of the window with open times.
    pub days: Vec<Day>,
    /// The day shown (`YYYY-MM-DD`), if any.
    pub date: String,
    /// The day shown, in words.
    pub date_label: String,
    /// Open times of that day, or the nearest ones to a taken time.
    pub slots: Vec<Choice>,
}

/// The reader's zone from a form or query value; the business's when absent.
pub fn zone(value: Option<&str>, business: Tz) -> Result<Tz, Problem> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(business),
        Some(v) if v.len() <= 64 => v.parse().map_err(|_| invalid("tz")),
        Some(_) => Err(invalid("tz")),
    }
}

/// A `YYYY-MM-DD` date from a form or query value.
pub fn date(value: Option<&str>) -> Result<Option<NaiveDate>, Problem> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.len() <= 10 => v.parse().map(Some).map_err(|_| invalid("date")),
        Some(_) => Err(invalid("date")),
    }
}

fn invalid(field: &'static str) -> Problem {
    Problem::Validation(vec![FieldError {
        field,
        message: "is not valid".into(),
    }])
}

/// The question the picker answers.
pub struct Ask<'a> {
    /// The service.
    pub service: &'a Service,
    /// A staff member, or `None` for anyone.
    pub staff: Option<&'a str>,
    /// The reader's zone.
    pub tz: Tz,
    /// The day asked for; the first day with open times when `None`.
    pub wanted: Option<NaiveDate>,
    /// The reader's language.
    pub lang: Language,
}

/// Open times around the wanted day (or from today), grouped by the
/// reader's days.
pub async fn load(
    p: &Platform,
    scope: &TenantScope,
    ctx: &TenantContext,
    ask: &Ask<'_>,
) -> Result<Picker, Problem> {
    let slots = window(p, scope, ctx, ask).await?;
    let days = days_of(&slots, ask.tz);
    let shown = ask
        .wanted
        .or_else(|| days.first().copied())
        .unwrap_or_else(|| today(ask.tz));
    let choices = slots
        .iter()
        .filter(|(_, at)| at.with_timezone(&ask.tz).date_naive() == shown)
        .enumerate()
        .map(|(i, (slot, at))| Choice {
            value: slot.start.clone(),
            id: format!("slot-{i}"),
            label: at.with_timezone(&ask.tz).format("%H:%M").to_string(),
        })
        .collect();
    Ok(Picker::new(&days, shown, ask.lang, choices))
}

/// The open times nearest to `taken`, closest first, each with its day.
pub async fn nearest(
    p: &Platform,
    scope: &TenantScope,
    ctx: &TenantContext,
    ask: &Ask<'_>,
    taken: DateTime<Utc>,
) -> Result<Picker, Problem> {
    let slots = window(p, scope, ctx, ask).await?;
    let days = days_of(&slots, ask.tz);
    let shown = taken.with_timezone(&ask.tz).date_naive();
    let mut by_distance: Vec<_> = slots.iter().collect();
    by_distance.sort_by_key(|(_, at)| (*at - taken).num_seconds().abs());
    let choices = by_distance
        .into_iter()
        .take(NEAREST)
        .enumerate()
        .map(|(i, (slot, at))| {
            let local = at.with_timezone(&ask.tz);
            Choice {
                value: slot.start.clone(),
                id: format!("slot-{i}"),
                label: format!(
                    "{} {}",
                    i18n::day_label(ask.lang, local.date_naive()),
                    local.format("%H:%M")
                ),
            }
        })
        .collect();
    Ok(Picker::new(&days, shown, ask.lang, choices))
}

fn today(tz: Tz) -> NaiveDate {
    Utc::now().with_timezone(&tz).date_naive()
}

/// Open slots of the reader's days `[start, start + 14)`, where `start` is
/// the wanted day (never before today), within the booking horizon.
async fn window(
    p: &Platform,
    scope: &TenantScope,
    ctx: &TenantContext,
    ask: &Ask<'_>,
) -> Result<Vec<(Slot, DateTime<Utc>)>, Problem> {
    let first = today(ask.tz).max(ask.wanted.unwrap_or(NaiveDate::MIN));
    let last_bookable = ctx
        .horizon()
        .last_date(ctx.tz, bookwarden_shared::clock::now_unix());
    let Some(last) = first.checked_add_signed(Duration::days(WINDOW_DAYS - 1)) else {
        return Ok(Vec::new());
    };
    // The business's days that overlap the reader's: one either side.
    let (from, to) = (
        first.pred_opt().unwrap_or(first),
        last.succ_opt().unwrap_or(last).min(last_bookable),
    );
    if from > to {
        return Ok(Vec::new());
    }
    let slots = bookings::availability(p, scope, ctx, ask.service, ask.staff, from, to)
        .await
        .map_err(booking_problem)?;
    Ok(slots
        .into_iter()
        .filter_map(|s| {
            let at = DateTime::parse_from_rfc3339(&s.start)
                .ok()?
                .with_timezone(&Utc);
            let day = at.with_timezone(&ask.tz).date_naive();
            (first..=last).contains(&day).then_some((s, at))
        })
        .collect())
}

fn days_of(slots: &[(Slot, DateTime<Utc>)], tz: Tz) -> Vec<NaiveDate> {
    let mut days: Vec<NaiveDate> = slots
        .iter()
        .map(|(_, at)| at.with_timezone(&tz).date_naive())
        .collect();
    days.dedup();
    days
}

impl Picker {
    /// The days with open times, `shown` among them, and its choices.
    fn new(days: &[NaiveDate], shown: NaiveDate, lang: Language, slots: Vec<Choice>) -> Self {
        Picker {
            days: days
                .iter()
                .map(|d| Day {
                    value: d.to_string(),
                    label: i18n::day_label(lang, *d),
                    current: *d == shown,
                })
                .collect(),
            date: shown.to_string(),
            date_label: i18n::day_label(lang, shown),
            slots,
        }
    }
}
