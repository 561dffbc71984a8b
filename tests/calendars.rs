//! Connected calendars against real protocol peers on loopback: an OAuth
//! authorization server, Google Calendar and Microsoft Graph fakes that
//! follow the documented shapes, a Radicale CalDAV server and ICS feed
//! servers; and the whole connect, sync and disconnect path through the
//! real handlers and a local moto.

#[path = "calendars/caldav.rs"]
mod caldav;
#[path = "calendars/e2e.rs"]
mod e2e;
#[path = "calendars/feed.rs"]
mod feed;
#[path = "calendars/google.rs"]
mod google;
#[path = "calendars/microsoft.rs"]
mod microsoft;
#[path = "calendars/oauth.rs"]
mod oauth;
