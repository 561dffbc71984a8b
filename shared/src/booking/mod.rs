//! Booking: services, staff hours, availability and bookings.

pub mod availability;
pub mod bookings;
pub mod catalog;
pub mod context;
pub mod customers;
pub mod form;
pub mod horizon;
pub mod mail;
pub mod preferences;
pub mod reminders;
