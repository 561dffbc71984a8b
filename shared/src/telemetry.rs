//! Structured JSON logs (AUD-3). Every line carries the request span's fields
//! (`request_id`, `route`, and `tenant_id` once known). Code logs ids and
//! outcomes only: never names, email addresses, passwords, tokens or keys.

use tracing::Subscriber;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::EnvFilter;

/// Default verbosity: our own events at info, dependencies only when they warn.
pub const DEFAULT_FILTER: &str = "warn,bookwarden_shared=info,bookwarden_functions=info";

/// The JSON subscriber, writing to `writer`. Tests pass a buffer to inspect what
/// a flow would log in production.
pub fn subscriber<W>(writer: W, filter: &str) -> impl Subscriber + Send + Sync
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .with_ansi(false)
        .with_writer(writer)
        .with_env_filter(EnvFilter::new(filter))
        .finish()
}

/// Installs the JSON subscriber on stdout (CloudWatch) for this process;
/// `LOG_LEVEL` overrides the filter.
pub fn init() {
    let filter = std::env::var("LOG_LEVEL").unwrap_or_else(|_| DEFAULT_FILTER.to_owned());
    let _ = tracing::subscriber::set_global_default(subscriber(std::io::stdout, &filter));
}

/// The span every request runs in.
pub fn request_span(request_id: &str, route: &str) -> tracing::Span {
    tracing::info_span!("request", request_id = %request_id, route = %route, tenant_id = tracing::field::Empty)
}

/// Records the tenant a request acts for, once it is known.
pub fn record_tenant(tenant_id: &crate::tenancy::TenantId) {
    tracing::Span::current().record("tenant_id", tracing::field::display(tenant_id));
}
