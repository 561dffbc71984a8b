//! Booking: services, staff hours, availability and bookings.

pub mod availability;
