//! Booking: services, staff hours, availability and bookings.

pub mod availability;
pub mod bookings;
pub mod catalog;
pub mod form;
pub mod horizon;
pub mod limits;
pub mod mail;
pub mod preferences;
