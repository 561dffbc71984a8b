//! Wall-clock time as whole seconds, the unit every stored timestamp uses.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// An RFC 3339 UTC timestamp for a Unix time, used in audit records and API answers.
pub fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// A sortable UTC timestamp with microseconds, for sort keys that must keep
/// the order of events within one second.
pub fn sortable_now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string()
}

/// A moving average of how long something takes in this process, kept
/// lock-free so that timing-equalised answers (AUTH-2, AUTH-4) can wait as long
/// as the real work typically takes.
pub struct TypicalDuration(std::sync::atomic::AtomicU64);

impl TypicalDuration {
    /// Nothing measured yet (reads as zero).
    pub const fn new() -> Self {
        Self(std::sync::atomic::AtomicU64::new(0))
    }

    /// Folds one measurement in (weight 1/8, so a single outlier moves it little).
    pub fn record(&self, took: std::time::Duration) {
        use std::sync::atomic::Ordering;
        let sample = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        let old = self.0.load(Ordering::Relaxed);
        let new = if old == 0 {
            sample
        } else {
            old.saturating_mul(7).saturating_add(sample) / 8
        };
        self.0.store(new, Ordering::Relaxed);
    }

    /// The current average.
    pub fn get(&self) -> std::time::Duration {
        std::time::Duration::from_micros(self.0.load(std::sync::atomic::Ordering::Relaxed))
    }
}

impl Default for TypicalDuration {
    fn default() -> Self {
        Self::new()
    }
}
