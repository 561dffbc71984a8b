//! Tests: see `calendars.rs`.
