//! How soon and how far ahead customers may book (tenant settings
//! `min_notice_minutes` and `max_advance_days`), and the platform's own bound
//! for times staff choose, so that no request can carry a date into arithmetic
//! that could overflow.

use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;

use super::bookings::BookingError;
use crate::auth::policy::TenantPolicy;
use crate::http::FieldError;

/// The furthest ahead anything can be booked or moved, whoever asks.
pub const PLATFORM_MAX_ADVANCE_DAYS: i64 = 730;

/// The window of starts a booking may have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Horizon {
    /// Minutes between now and the earliest start.
    pub min_notice_minutes: i64,
    /// Days between now and the latest start.
    pub max_advance_days: i64,
}

impl Horizon {
    /// The tenant's horizon for customers.
    pub fn for_customers(policy: &TenantPolicy) -> Self {
        Self {
            min_notice_minutes: policy.min_notice_minutes.clamp(0, 10_080),
            max_advance_days: policy.max_advance_days.clamp(1, PLATFORM_MAX_ADVANCE_DAYS),
        }
    }

    /// What staff may choose: any future time up to the platform's bound.
    pub fn for_staff() -> Self {
        Self {
            min_notice_minutes: 0,
            max_advance_days: PLATFORM_MAX_ADVANCE_DAYS,
        }
    }

    /// The earliest start, in unix seconds.
    pub fn earliest(&self, now: i64) -> i64 {
        now.saturating_add(self.min_notice_minutes.saturating_mul(60))
    }

    /// The latest start, in unix seconds.
    pub fn latest(&self, now: i64) -> i64 {
        now.saturating_add(self.max_advance_days.saturating_mul(86_400))
    }

    /// The last local date on which a start can fall.
    pub fn last_date(&self, tz: Tz, now: i64) -> NaiveDate {
        DateTime::from_timestamp(self.latest(now), 0)
            .unwrap_or_default()
            .with_timezone(&tz)
            .date_naive()
    }

    /// Refuses a start outside the window with a problem that states it.
    pub fn check_start(&self, start: i64, now: i64) -> Result<(), BookingError> {
        if start < self.earliest(now) {
            return Err(refusal(format!(
                "must be at least {} minutes from now",
                self.min_notice_minutes
            )));
        }
        if start > self.latest(now) {
            return Err(refusal(format!(
                "must be at most {} days ahead",
                self.max_advance_days
            )));
        }
        Ok(())
    }

    /// Refuses an availability range that ends past the last bookable date.
    pub fn check_range(&self, to: NaiveDate, tz: Tz, now: i64) -> Result<(), BookingError> {
        let last = self.last_date(tz, now);
        if to > last {
            return Err(BookingError::Invalid(vec![FieldError {
                field: "to",
                message: format!(
                    "must be no later than {last}: bookings open at most {} days ahead",
                    self.max_advance_days
                ),
            }]));
        }
        Ok(())
    }
}

fn refusal(message: String) -> BookingError {
    BookingError::Invalid(vec![FieldError {
        field: "start",
        message,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_outside_the_window_are_refused_and_the_limits_are_named() {
        let h = Horizon {
            min_notice_minutes: 60,
            max_advance_days: 90,
        };
        let now = 1_800_000_000;
        assert!(h.check_start(now + 3600, now).is_ok());
        assert!(h.check_start(now + 90 * 86_400, now).is_ok());
        for bad in [now, now + 3599, now + 90 * 86_400 + 1, i64::MAX, i64::MIN] {
            let Err(BookingError::Invalid(e)) = h.check_start(bad, now) else {
                panic!("{bad} accepted");
            };
            assert!(e[0].message.contains("minutes") || e[0].message.contains("90 days"));
        }
        let tz: Tz = "Pacific/Kiritimati".parse().unwrap();
        assert!(h.check_range(NaiveDate::MAX, tz, now).is_err());
        assert!(h.check_range(h.last_date(tz, now), tz, now).is_ok());
    }
}
