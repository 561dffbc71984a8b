//! Outbound HTTPS requests to addresses users supply (WEB-6): ICS feeds now,
//! CalDAV servers later (hence a method, headers and a body).
//!
//! Every hop of a request goes through the same steps, so no URL or DNS
//! answer can steer a request somewhere [`super::address`] refuses:
//!
//! 1. The URL is a [`Target`] (https only, no credentials, IP literals
//!    checked).
//! 2. The host is resolved once, through a [`Resolve`]r. If *any* answer is
//!    refused, the whole request is refused: picking the allowed answers out
//!    of a mixed set would still let a hostile name server choose which of
//!    our checks to race, and no legitimate feed mixes public and private
//!    addresses.
//! 3. The TCP connection goes to a checked address, never to the name, so an
//!    answer that changes between check and connect (DNS rebinding) cannot
//!    take effect: there is no second lookup.
//! 4. TLS (rustls on aws-lc-rs, the provider the AWS SDK already links) with
//!    the host name as SNI and for certificate verification, against the
//!    platform's root certificates.
//! 5. HTTP/1.1 over hyper's connection-level client: nothing reads
//!    `HTTP_PROXY` or any other environment setting, redirects are not
//!    followed by the library, and `Accept-Encoding: identity` keeps
//!    compressed bodies (and decompression bombs) out.
//! 6. Redirects are followed here, at most [`FetchPolicy::max_redirects`],
//!    each `Location` going back through step 1.
//!
//! A connect timeout bounds resolution, TCP and TLS of each hop; a total
//! timeout bounds the whole request including redirects; the body is read
//! under a size cap that also refuses a larger announced `Content-Length`
//! before reading anything. Errors and logs name the host only: feed URLs
//! carry secrets in their path and query.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use http::header::{
    HeaderValue, ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE,
    HOST, LOCATION, PROXY_AUTHORIZATION, USER_AGENT,
};
use http::{HeaderMap, Method, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, RootCertStore};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;
use url::Position;

use super::address::{self, Refused};
use super::target::{BadTarget, Target};

/// The `User-Agent` of every outbound request, so feed operators can tell
/// who is polling them.
pub const USER_AGENT_VALUE: &str = "Bookwarden-calendar-sync/1";

/// Limits of outbound requests. Production code uses
/// [`FetchPolicy::default`]; the settings that let tests reach a local server
/// exist only in test builds (the `test-peers` feature of this crate, which no
/// production crate enables).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FetchPolicy {
    /// Bound on resolving, connecting and the TLS handshake of each hop.
    pub connect_timeout: Duration,
    /// Bound on the whole request, redirects and body included.
    pub total_timeout: Duration,
    /// Largest response body accepted; larger bodies fail with
    /// [`FetchError::TooLarge`].
    pub max_body_bytes: usize,
    /// Most redirects followed before [`FetchError::TooManyRedirects`].
    pub max_redirects: usize,
    #[cfg(any(test, feature = "test-peers"))]
    allow_loopback: bool,
    #[cfg(any(test, feature = "test-peers"))]
    test_root: Option<rustls::pki_types::CertificateDer<'static>>,
}

impl Default for FetchPolicy {
    /// 5 s to connect, 20 s in all, 5 MiB of body, 3 redirects: generous for
    /// a calendar feed, short enough that a stalled peer cannot hold a
    /// function invocation.
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(20),
            max_body_bytes: 5 * 1024 * 1024,
            max_redirects: 3,
            #[cfg(any(test, feature = "test-peers"))]
            allow_loopback: false,
            #[cfg(any(test, feature = "test-peers"))]
            test_root: None,
        }
    }
}

#[cfg(any(test, feature = "test-peers"))]
impl FetchPolicy {
    /// Test only: loopback addresses are allowed (every other refused class
    /// stays refused), so tests can reach a server on 127.0.0.1.
    pub fn allowing_loopback(mut self) -> Self {
        self.allow_loopback = true;
        self
    }

    /// Test only: trust `root` instead of the platform's roots, so tests can
    /// serve a certificate of their own.
    pub fn trusting_only(mut self, root: rustls::pki_types::CertificateDer<'static>) -> Self {
        self.test_root = Some(root);
        self
    }
}

impl FetchPolicy {
    fn allows(&self, ip: IpAddr) -> Result<(), Refused> {
        match address::check(ip) {
            #[cfg(any(test, feature = "test-peers"))]
            Err(Refused::Loopback) if self.allow_loopback => Ok(()),
            other => other,
        }
    }

    fn roots(&self) -> Result<RootCertStore, FetchError> {
        let mut store = RootCertStore::empty();
        #[cfg(any(test, feature = "test-peers"))]
        if let Some(root) = &self.test_root {
            store.add(root.clone()).map_err(|_| FetchError::Tls)?;
            return Ok(store);
        }
        let (added, _unparsable) =
            store.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        if added == 0 {
            return Err(FetchError::Tls);
        }
        Ok(store)
    }
}

/// Why an outbound request failed. Carries no part of the URL: feed URLs are
/// secrets, and these errors end up in logs.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    /// The host (or a redirect's host) is or resolves to a refused address.
    #[error("outbound address refused: {}", .0.as_str())]
    Refused(Refused),
    /// A redirect's `Location` is not an acceptable target.
    #[error("outbound target refused: {0:?}")]
    BadTarget(BadTarget),
    /// The host did not resolve, or resolved to nothing.
    #[error("outbound host did not resolve")]
    Resolve,
    /// No TCP connection to any checked address.
    #[error("outbound connection failed")]
    Connect,
    /// TLS failed: handshake, certificate, name, or no trusted roots.
    #[error("outbound TLS failed")]
    Tls,
    /// The connect or total timeout elapsed.
    #[error("outbound request timed out")]
    Timeout,
    /// The body exceeds [`FetchPolicy::max_body_bytes`].
    #[error("outbound response too large")]
    TooLarge,
    /// More redirects than [`FetchPolicy::max_redirects`].
    #[error("too many outbound redirects")]
    TooManyRedirects,
    /// The peer broke HTTP/1.1, or the request could not be expressed in it.
    #[error("outbound HTTP exchange failed")]
    Protocol,
}

impl From<BadTarget> for FetchError {
    /// A refused IP literal is the same refusal as a refused DNS answer.
    fn from(bad: BadTarget) -> Self {
        match bad {
            BadTarget::Address(refused) => Self::Refused(refused),
            other => Self::BadTarget(other),
        }
    }
}

/// Resolves host names for the fetcher. A trait so tests can give chosen
/// (and changing) answers; production uses [`SystemResolver`].
pub trait Resolve: Send + Sync {
    /// Every address `host` resolves to. Called exactly once per hop.
    fn resolve(&self, host: &str) -> impl Future<Output = io::Result<Vec<IpAddr>>> + Send;
}

/// The operating system's resolver, through [`tokio::net::lookup_host`].
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    async fn resolve(&self, host: &str) -> io::Result<Vec<IpAddr>> {
        Ok(tokio::net::lookup_host((host, 0))
            .await?
            .map(|address| address.ip())
            .collect())
    }
}

/// An outbound request: a method, a target, headers and a body, so CalDAV's
/// `PROPFIND` and `REPORT` fit as well as a feed's `GET`. `Host`,
/// `User-Agent`, `Accept-Encoding` and `Content-Length` are set by the
/// fetcher whatever `headers` says.
#[derive(Clone, Debug)]
pub struct Request {
    /// The method, sent as given (`303 See Other` turns it into `GET`).
    pub method: Method,
    /// Where to send it.
    pub target: Target,
    /// Caller headers; `Authorization` and cookies are dropped when a
    /// redirect leaves the original host and port.
    pub headers: HeaderMap,
    /// The body; empty for none.
    pub body: Vec<u8>,
}

impl Request {
    /// A `GET` of `target` accepting `accept`. A `HeaderValue` rather than
    /// text so an invalid value is caught where it is written (declare it as
    /// a `const` with `HeaderValue::from_static`, checked at compile time).
    pub fn get(target: Target, accept: HeaderValue) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, accept);
        Self {
            method: Method::GET,
            target,
            headers,
            body: Vec::new(),
        }
    }
}

/// A response, whatever its status: the caller decides what a `404` or a
/// `401` means for a feed or a CalDAV server. Redirects that were followed
/// are not returned; a redirect status without `Location` is.
#[derive(Clone, Debug)]
pub struct Response {
    /// The final status.
    pub status: StatusCode,
    /// The final headers.
    pub headers: HeaderMap,
    /// The body, as sent (no decoding; `identity` was asked for).
    pub body: Vec<u8>,
    /// The URL the final response came from, after redirects.
    pub target: Target,
}

/// Makes outbound requests under a [`FetchPolicy`]. Build one per process
/// (loading the root certificates is the expensive part) and share it.
#[derive(Clone)]
pub struct Fetcher<R = SystemResolver> {
    policy: FetchPolicy,
    resolver: R,
    tls: TlsConnector,
}

impl<R> std::fmt::Debug for Fetcher<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fetcher")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Fetcher<SystemResolver> {
    /// A fetcher using the system resolver. Fails with [`FetchError::Tls`]
    /// when no root certificate could be loaded, so a broken image fails at
    /// start rather than on every feed.
    pub fn new(policy: FetchPolicy) -> Result<Self, FetchError> {
        Self::with_resolver(policy, SystemResolver)
    }
}

impl<R: Resolve> Fetcher<R> {
    /// A fetcher using `resolver` (tests give chosen answers).
    pub fn with_resolver(policy: FetchPolicy, resolver: R) -> Result<Self, FetchError> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|_| FetchError::Tls)?
            .with_root_certificates(policy.roots()?)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Self {
            policy,
            resolver,
            tls: TlsConnector::from(Arc::new(config)),
        })
    }

    /// The policy this fetcher enforces.
    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// `GET`s `target` accepting `accept` (see [`Fetcher::send`]).
    pub async fn get(&self, target: Target, accept: HeaderValue) -> Result<Response, FetchError> {
        self.send(Request::get(target, accept)).await
    }

    /// Sends `request`, following redirects, within the total timeout.
    /// Failures are logged with the host only.
    pub async fn send(&self, request: Request) -> Result<Response, FetchError> {
        let host = request.target.host();
        let result = tokio::time::timeout(self.policy.total_timeout, self.follow(request))
            .await
            .unwrap_or(Err(FetchError::Timeout));
        if let Err(error) = &result {
            tracing::warn!(host = %host, error = %error, "outbound request failed");
        }
        result
    }

    async fn follow(&self, mut request: Request) -> Result<Response, FetchError> {
        let mut redirects = 0;
        loop {
            let response = self.exchange(&request).await?;
            let Some(next) = redirected(request, &response)? else {
                return Ok(response);
            };
            if redirects >= self.policy.max_redirects {
                return Err(FetchError::TooManyRedirects);
            }
            redirects += 1;
            request = next;
        }
    }

    /// Resolves once, checks every answer, connects to a checked address and
    /// completes TLS for the target's host name.
    async fn connect(&self, target: &Target) -> Result<TlsStream<TcpStream>, FetchError> {
        let host = target.host();
        let addresses = match host.parse::<IpAddr>() {
            Ok(literal) => vec![literal],
            Err(_) => self
                .resolver
                .resolve(&host)
                .await
                .map_err(|_| FetchError::Resolve)?,
        };
        if addresses.is_empty() {
            return Err(FetchError::Resolve);
        }
        for ip in &addresses {
            self.policy.allows(*ip).map_err(FetchError::Refused)?;
        }
        let mut tcp = None;
        for ip in addresses {
            if let Ok(stream) = TcpStream::connect(SocketAddr::new(ip, target.port())).await {
                tcp = Some(stream);
                break;
            }
        }
        let tcp = tcp.ok_or(FetchError::Connect)?;
        let name =
            ServerName::try_from(host).map_err(|_| FetchError::BadTarget(BadTarget::Malformed))?;
        self.tls
            .connect(name, tcp)
            .await
            .map_err(|_| FetchError::Tls)
    }

    /// One request and response on a fresh connection, without redirects.
    async fn exchange(&self, request: &Request) -> Result<Response, FetchError> {
        let http_request = build(request)?;
        let stream =
            tokio::time::timeout(self.policy.connect_timeout, self.connect(&request.target))
                .await
                .map_err(|_| FetchError::Timeout)??;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|_| FetchError::Protocol)?;
        let max = self.policy.max_body_bytes;
        let exchange = async move {
            let response = sender
                .send_request(http_request)
                .await
                .map_err(|_| FetchError::Protocol)?;
            let (parts, mut body) = response.into_parts();
            let announced = parts
                .headers
                .get(CONTENT_LENGTH)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.trim().parse::<u64>().ok());
            if announced.is_some_and(|length| length > max as u64) {
                return Err(FetchError::TooLarge);
            }
            let mut received = Vec::new();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|_| FetchError::Protocol)?;
                if let Ok(data) = frame.into_data() {
                    if received.len().saturating_add(data.len()) > max {
                        return Err(FetchError::TooLarge);
                    }
                    received.extend_from_slice(&data);
                }
            }
            Ok((parts, received))
        };
        tokio::pin!(exchange);
        tokio::pin!(connection);
        // The connection is driven here rather than spawned, so a timeout
        // that drops this future also closes the socket.
        let mut connection_done = false;
        let (parts, body) = loop {
            tokio::select! {
                result = &mut exchange => break result?,
                _ = &mut connection, if !connection_done => connection_done = true,
            }
        };
        Ok(Response {
            status: parts.status,
            headers: parts.headers,
            body,
            target: request.target.clone(),
        })
    }
}

/// The HTTP/1.1 request for `request`: origin-form URI and the fetcher's
/// own headers over the caller's.
fn build(request: &Request) -> Result<http::Request<Full<Bytes>>, FetchError> {
    let url = request.target.url();
    let malformed = || FetchError::BadTarget(BadTarget::Malformed);
    let path = &url[Position::BeforePath..Position::AfterQuery];
    let host = match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => return Err(malformed()),
    };
    let mut headers = request.headers.clone();
    headers.insert(HOST, HeaderValue::from_str(&host).map_err(|_| malformed())?);
    headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
    headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("identity"));
    headers.remove(CONTENT_LENGTH);
    if !request.body.is_empty() {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(request.body.len()));
    }
    let mut built = http::Request::builder()
        .method(request.method.clone())
        .uri(path)
        .body(Full::new(Bytes::from(request.body.clone())))
        .map_err(|_| malformed())?;
    *built.headers_mut() = headers;
    Ok(built)
}

/// The next request if `response` is a redirect to follow: `Location`
/// resolved against the current URL and checked as a new [`Target`].
/// `303`, and `301`/`302` after `POST`, become a `GET` without body;
/// credentials do not follow a redirect to another host or port.
fn redirected(request: Request, response: &Response) -> Result<Option<Request>, FetchError> {
    let status = response.status;
    if !matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308) {
        return Ok(None);
    }
    let Some(location) = response.headers.get(LOCATION) else {
        return Ok(None);
    };
    let location = location.to_str().map_err(|_| FetchError::Protocol)?;
    let next = request
        .target
        .url()
        .join(location)
        .map_err(|_| FetchError::BadTarget(BadTarget::Malformed))?;
    let target = Target::parse(next.as_str())?;
    let Request {
        mut method,
        target: previous,
        mut headers,
        mut body,
    } = request;
    let to_get = status == StatusCode::SEE_OTHER && method != Method::HEAD
        || matches!(status.as_u16(), 301 | 302) && method == Method::POST;
    if to_get {
        method = Method::GET;
        body.clear();
        headers.remove(CONTENT_TYPE);
    }
    if (previous.host(), previous.port()) != (target.host(), target.port()) {
        for name in [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE] {
            headers.remove(name);
        }
    }
    Ok(Some(Request {
        method,
        target,
        headers,
        body,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    use std::time::Instant;

    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    const CALENDAR: HeaderValue = HeaderValue::from_static("text/calendar");
    const ROOT: &[u8] = include_bytes!("testdata/ca.pem");
    const LEAF: &[u8] = include_bytes!("testdata/localhost.pem");
    const LEAF_KEY: &[u8] = include_bytes!("testdata/localhost.key");

    fn root() -> CertificateDer<'static> {
        CertificateDer::from_pem_slice(ROOT).expect("test root")
    }

    /// Production address rules, but trusting the test root.
    fn strict_policy() -> FetchPolicy {
        FetchPolicy {
            connect_timeout: Duration::from_secs(2),
            total_timeout: Duration::from_secs(5),
            max_body_bytes: 1024,
            ..FetchPolicy::default()
        }
        .trusting_only(root())
    }

    /// Loopback allowed, trusting the test root.
    fn peer_policy() -> FetchPolicy {
        strict_policy().allowing_loopback()
    }

    /// Answers per host, one list per call (the last repeats), and counts
    /// calls per host.
    #[derive(Default)]
    struct Stub {
        answers: HashMap<String, Vec<Vec<IpAddr>>>,
        calls: Mutex<HashMap<String, usize>>,
    }

    impl Stub {
        fn with(mut self, host: &str, answers: &[&[IpAddr]]) -> Self {
            self.answers.insert(
                host.to_owned(),
                answers.iter().map(|answer| answer.to_vec()).collect(),
            );
            self
        }

        fn calls(&self, host: &str) -> usize {
            self.calls
                .lock()
                .expect("calls")
                .get(host)
                .copied()
                .unwrap_or(0)
        }
    }

    impl Resolve for Arc<Stub> {
        async fn resolve(&self, host: &str) -> io::Result<Vec<IpAddr>> {
            let call = {
                let mut calls = self.calls.lock().expect("calls");
                let count = calls.entry(host.to_owned()).or_insert(0);
                *count += 1;
                *count - 1
            };
            match self.answers.get(host) {
                Some(answers) => Ok(answers
                    .get(call)
                    .or(answers.last())
                    .cloned()
                    .unwrap_or_default()),
                None => Err(io::Error::new(io::ErrorKind::NotFound, "no such host")),
            }
        }
    }

    const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
    const PRIVATE: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));

    /// What the test server sends: bytes, then either close or hold the
    /// connection open forever.
    struct Reply {
        bytes: Vec<u8>,
        hold: bool,
    }

    fn reply(status: &str, headers: &[(&str, String)], body: &[u8]) -> Reply {
        let mut bytes = format!("HTTP/1.1 {status}\r\nConnection: close\r\n").into_bytes();
        for (name, value) in headers {
            bytes.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        bytes.extend_from_slice(format!("Content-Length: {}\r\n\r\n", body.len()).as_bytes());
        bytes.extend_from_slice(body);
        Reply { bytes, hold: false }
    }

    fn redirect(status: &str, location: &str) -> Reply {
        reply(status, &[("Location", location.to_owned())], b"")
    }

    /// The routes of the test server: `head` is the request head as received.
    fn route(method: &str, path: &str, head: &str, body: &[u8]) -> Reply {
        if let Some(n) = path.strip_prefix("/redirect/") {
            let n: usize = n.parse().expect("hops");
            let status = [
                "301 Moved",
                "302 Found",
                "303 See Other",
                "307 Temporary",
                "308 Permanent",
            ];
            return match n {
                0 => reply("200 OK", &[], b"done"),
                _ => redirect(status[n % status.len()], &format!("/redirect/{}", n - 1)),
            };
        }
        match path {
            "/ok" | "/feed.ics?token=secret" => reply("200 OK", &[], b"BEGIN:VCALENDAR"),
            "/head" => reply("200 OK", &[], head.as_bytes()),
            "/method" => reply("200 OK", &[], format!("{method} {}", body.len()).as_bytes()),
            "/see-other" => redirect("303 See Other", "/method"),
            "/temporary" => redirect("307 Temporary Redirect", "/method"),
            "/to-http" => redirect("302 Found", "http://localhost/ok"),
            "/to-metadata" => redirect("302 Found", "https://169.254.169.254/latest/meta-data/"),
            "/to-mapped" => redirect("307 Temporary Redirect", "https://[::ffff:10.0.0.1]/"),
            "/to-credentials" => redirect("302 Found", "https://user:pass@localhost/ok"),
            "/to-private-name" => redirect("301 Moved", "https://private.test/ok"),
            "/big" => reply("200 OK", &[], &[b'x'; 2048]),
            "/big-chunked" => {
                let mut bytes = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
                for _ in 0..4 {
                    bytes.extend_from_slice(b"200\r\n");
                    bytes.extend_from_slice(&[b'x'; 512]);
                    bytes.extend_from_slice(b"\r\n");
                }
                bytes.extend_from_slice(b"0\r\n\r\n");
                Reply { bytes, hold: false }
            }
            "/announces-big" => Reply {
                bytes: b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n".to_vec(),
                hold: true,
            },
            "/hold" => Reply {
                bytes: Vec::new(),
                hold: true,
            },
            _ => reply("404 Not Found", &[], b""),
        }
    }

    /// A TLS server on 127.0.0.1 presenting the `localhost` test certificate,
    /// counting the TCP connections it accepts.
    struct Server {
        port: u16,
        connections: Arc<AtomicUsize>,
    }

    impl Server {
        fn url(&self, host: &str, path: &str) -> Target {
            Target::parse(&format!("https://{host}:{}{path}", self.port)).expect("target")
        }

        fn connections(&self) -> usize {
            self.connections.load(Ordering::SeqCst)
        }
    }

    async fn serve() -> Server {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("versions")
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from_pem_slice(LEAF).expect("leaf")],
                PrivateKeyDer::from_pem_slice(LEAF_KEY).expect("key"),
            )
            .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counter = connections.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut received = Vec::new();
                    let mut buffer = [0u8; 4096];
                    let head_end = loop {
                        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
                            break end + 4;
                        }
                        match tls.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => received.extend_from_slice(&buffer[..n]),
                        }
                    };
                    let head = String::from_utf8_lossy(&received[..head_end]).to_string();
                    let length = head
                        .lines()
                        .filter_map(|line| line.split_once(':'))
                        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, value)| value.trim().parse::<usize>().ok())
                        .unwrap_or(0);
                    while received.len() < head_end + length {
                        match tls.read(&mut buffer).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => received.extend_from_slice(&buffer[..n]),
                        }
                    }
                    let mut words = head.split_whitespace();
                    let method = words.next().unwrap_or_default().to_owned();
                    let path = words.next().unwrap_or_default().to_owned();
                    let reply = route(&method, &path, &head, &received[head_end..]);
                    if tls.write_all(&reply.bytes).await.is_err() {
                        return;
                    }
                    let _ = tls.flush().await;
                    if reply.hold {
                        std::future::pending::<()>().await;
                    }
                    let _ = tls.shutdown().await;
                });
            }
        });
        Server { port, connections }
    }

    fn fetcher(policy: FetchPolicy, stub: &Arc<Stub>) -> Fetcher<Arc<Stub>> {
        Fetcher::with_resolver(policy, stub.clone()).expect("fetcher")
    }

    fn localhost() -> Arc<Stub> {
        Arc::new(Stub::default().with("localhost", &[&[LOOPBACK]]))
    }

    #[tokio::test]
    async fn a_test_peer_serves_the_body_with_the_fetchers_own_headers() {
        let server = serve().await;
        let stub = localhost();
        let fetcher = fetcher(peer_policy(), &stub);
        let response = fetcher
            .get(server.url("localhost", "/ok"), CALENDAR)
            .await
            .expect("fetch");
        assert_eq!(response.status, StatusCode::OK);
        assert_eq!(response.body, b"BEGIN:VCALENDAR");

        let head = fetcher
            .get(server.url("localhost", "/head"), CALENDAR)
            .await
            .expect("fetch")
            .body;
        let head = String::from_utf8(head).expect("utf-8").to_ascii_lowercase();
        for line in [
            "get /head http/1.1".to_owned(),
            format!("host: localhost:{}", server.port),
            "user-agent: bookwarden-calendar-sync/1".to_owned(),
            "accept: text/calendar".to_owned(),
            "accept-encoding: identity".to_owned(),
        ] {
            assert!(head.contains(&line), "{line} in {head}");
        }
    }

    #[tokio::test]
    async fn the_production_policy_refuses_the_test_peer_as_loopback() {
        let server = serve().await;
        // The real resolver and the platform's roots: nothing test-only.
        let fetcher = Fetcher::new(FetchPolicy::default()).expect("platform roots");
        let result = fetcher.get(server.url("localhost", "/ok"), CALENDAR).await;
        assert_eq!(result.err(), Some(FetchError::Refused(Refused::Loopback)));
        assert_eq!(server.connections(), 0);
    }

    #[tokio::test]
    async fn every_refused_class_is_refused_before_connecting() {
        let server = serve().await;
        let v4 = |a, b, c, d| IpAddr::V4(Ipv4Addr::new(a, b, c, d));
        let v6 = |text: &str| IpAddr::V6(text.parse::<Ipv6Addr>().expect("v6"));
        let public = v4(93, 184, 215, 14);
        let cases: Vec<(Vec<IpAddr>, Refused)> = vec![
            (vec![LOOPBACK], Refused::Loopback),
            (vec![IpAddr::V6(Ipv6Addr::LOCALHOST)], Refused::Loopback),
            (vec![v6("::ffff:127.0.0.1")], Refused::Loopback),
            (vec![PRIVATE], Refused::Private),
            (vec![v4(172, 16, 5, 4)], Refused::Private),
            (vec![v4(192, 168, 1, 1)], Refused::Private),
            (vec![v6("::ffff:10.0.0.1")], Refused::Private),
            (vec![v4(169, 254, 1, 1)], Refused::LinkLocal),
            (vec![v6("fe80::1")], Refused::LinkLocal),
            (vec![v4(169, 254, 169, 254)], Refused::CloudMetadata),
            (vec![v6("fd00:ec2::254")], Refused::CloudMetadata),
            (vec![v6("::ffff:169.254.169.254")], Refused::CloudMetadata),
            (vec![v6("fd12:3456::1")], Refused::UniqueLocal),
            (vec![v4(100, 64, 0, 1)], Refused::SharedAddressSpace),
            (vec![v4(224, 0, 0, 1)], Refused::Multicast),
            (vec![v6("ff02::1")], Refused::Multicast),
            (vec![v4(0, 0, 0, 0)], Refused::Unspecified),
            // One refused answer among allowed ones refuses the request.
            (vec![public, PRIVATE], Refused::Private),
            (
                vec![public, v6("::ffff:169.254.169.254")],
                Refused::CloudMetadata,
            ),
        ];
        for (answer, refused) in cases {
            let stub = Arc::new(Stub::default().with("feed.test", &[&answer]));
            let result = fetcher(strict_policy(), &stub)
                .get(server.url("feed.test", "/ok"), CALENDAR)
                .await;
            assert_eq!(
                result.err(),
                Some(FetchError::Refused(refused)),
                "{answer:?}"
            );
            assert_eq!(stub.calls("feed.test"), 1);
        }
        assert_eq!(server.connections(), 0);

        let stub = Arc::new(Stub::default().with("empty.test", &[&[]]));
        let result = fetcher(strict_policy(), &stub)
            .get(server.url("empty.test", "/ok"), CALENDAR)
            .await;
        assert_eq!(result.err(), Some(FetchError::Resolve));
        let result = fetcher(strict_policy(), &stub)
            .get(server.url("unknown.test", "/ok"), CALENDAR)
            .await;
        assert_eq!(result.err(), Some(FetchError::Resolve));
    }

    #[tokio::test]
    async fn the_connection_uses_the_checked_answer_and_never_resolves_again() {
        let server = serve().await;
        // Rebinding after the check: the second answer would be refused, but
        // there is no second lookup.
        let stub = Arc::new(Stub::default().with("localhost", &[&[LOOPBACK], &[PRIVATE]]));
        let response = fetcher(peer_policy(), &stub)
            .get(server.url("localhost", "/ok"), CALENDAR)
            .await
            .expect("fetch");
        assert_eq!(response.body, b"BEGIN:VCALENDAR");
        assert_eq!(stub.calls("localhost"), 1);
        assert_eq!(server.connections(), 1);

        // A refused first answer is refused, whatever would come next.
        let stub = Arc::new(Stub::default().with("localhost", &[&[PRIVATE], &[LOOPBACK]]));
        let result = fetcher(peer_policy(), &stub)
            .get(server.url("localhost", "/ok"), CALENDAR)
            .await;
        assert_eq!(result.err(), Some(FetchError::Refused(Refused::Private)));
        assert_eq!(stub.calls("localhost"), 1);
        assert_eq!(server.connections(), 1);
    }

    #[tokio::test]
    async fn three_redirects_are_followed_and_a_fourth_is_refused() {
        let server = serve().await;
        let stub = localhost();
        let fetcher = fetcher(peer_policy(), &stub);
        let response = fetcher
            .get(server.url("localhost", "/redirect/3"), CALENDAR)
            .await
            .expect("three redirects");
        assert_eq!(response.body, b"done");
        assert_eq!(response.target, server.url("localhost", "/redirect/0"));
        assert_eq!(stub.calls("localhost"), 4, "one lookup per hop");

        let result = fetcher
            .get(server.url("localhost", "/redirect/4"), CALENDAR)
            .await;
        assert_eq!(result.err(), Some(FetchError::TooManyRedirects));
    }

    #[tokio::test]
    async fn redirects_to_refused_targets_are_refused() {
        let server = serve().await;
        let stub = Arc::new(
            Stub::default()
                .with("localhost", &[&[LOOPBACK]])
                .with("private.test", &[&[PRIVATE]]),
        );
        let fetcher = fetcher(peer_policy(), &stub);
        let cases = [
            ("/to-http", FetchError::BadTarget(BadTarget::NotHttps)),
            (
                "/to-credentials",
                FetchError::BadTarget(BadTarget::Credentials),
            ),
            ("/to-metadata", FetchError::Refused(Refused::CloudMetadata)),
            ("/to-mapped", FetchError::Refused(Refused::Private)),
            ("/to-private-name", FetchError::Refused(Refused::Private)),
        ];
        for (path, error) in cases.clone() {
            let result = fetcher.get(server.url("localhost", path), CALENDAR).await;
            assert_eq!(result.err(), Some(error), "{path}");
        }
        // Only the redirecting hops connected.
        assert_eq!(server.connections(), cases.len());
        assert_eq!(stub.calls("private.test"), 1);
    }

    #[tokio::test]
    async fn see_other_becomes_a_get_and_temporary_keeps_method_and_body() {
        let server = serve().await;
        let stub = localhost();
        let fetcher = fetcher(peer_policy(), &stub);
        let report = |path| Request {
            method: Method::from_bytes(b"REPORT").expect("method"),
            target: server.url("localhost", path),
            headers: HeaderMap::new(),
            body: b"<calendar-query/>".to_vec(),
        };
        let response = fetcher.send(report("/see-other")).await.expect("303");
        assert_eq!(response.body, b"GET 0");
        let response = fetcher.send(report("/temporary")).await.expect("307");
        assert_eq!(response.body, b"REPORT 17");
    }

    #[test]
    fn credentials_do_not_follow_a_redirect_to_another_host() {
        let target = Target::parse("https://dav.example.com/cal/").expect("target");
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Basic eDp5"));
        headers.insert(ACCEPT, CALENDAR);
        let request = Request {
            method: Method::GET,
            target: target.clone(),
            headers,
            body: Vec::new(),
        };
        let response = |location: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(LOCATION, HeaderValue::from_static(location));
            Response {
                status: StatusCode::FOUND,
                headers,
                body: Vec::new(),
                target: target.clone(),
            }
        };
        let same = redirected(request.clone(), &response("/other/"))
            .expect("same host")
            .expect("redirect");
        assert!(same.headers.contains_key(AUTHORIZATION));
        let other = redirected(request.clone(), &response("https://evil.example.net/"))
            .expect("other host")
            .expect("redirect");
        assert!(!other.headers.contains_key(AUTHORIZATION));
        assert!(other.headers.contains_key(ACCEPT));
        let port = redirected(request, &response("https://dav.example.com:8443/"))
            .expect("other port")
            .expect("redirect");
        assert!(!port.headers.contains_key(AUTHORIZATION));
    }

    #[tokio::test]
    async fn bodies_over_the_cap_are_too_large_with_or_without_a_length() {
        let server = serve().await;
        let stub = localhost();
        let fetcher = fetcher(peer_policy(), &stub);
        for path in ["/big", "/big-chunked", "/announces-big"] {
            let started = Instant::now();
            let result = fetcher.get(server.url("localhost", path), CALENDAR).await;
            assert_eq!(result.err(), Some(FetchError::TooLarge), "{path}");
            assert!(started.elapsed() < Duration::from_secs(2), "{path}");
        }
    }

    #[tokio::test]
    async fn a_peer_that_never_answers_times_out() {
        let server = serve().await;
        let stub = localhost();
        let policy = FetchPolicy {
            total_timeout: Duration::from_millis(300),
            ..peer_policy()
        };
        let started = Instant::now();
        let result = fetcher(policy, &stub)
            .get(server.url("localhost", "/hold"), CALENDAR)
            .await;
        assert_eq!(result.err(), Some(FetchError::Timeout));
        assert!(started.elapsed() < Duration::from_secs(3));

        // Accepted TCP but never a TLS handshake: the connect timeout.
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        let held = tokio::spawn(async move {
            let (_tcp, _) = listener.accept().await.expect("accept");
            std::future::pending::<()>().await;
        });
        let policy = FetchPolicy {
            connect_timeout: Duration::from_millis(300),
            total_timeout: Duration::from_secs(30),
            ..peer_policy()
        };
        let started = Instant::now();
        let target = Target::parse(&format!("https://localhost:{port}/")).expect("target");
        let result = fetcher(policy, &stub).get(target, CALENDAR).await;
        assert_eq!(result.err(), Some(FetchError::Timeout));
        assert!(started.elapsed() < Duration::from_secs(3));
        held.abort();
    }

    #[tokio::test]
    async fn a_closed_port_is_a_connect_error() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind");
        let port = listener.local_addr().expect("address").port();
        drop(listener);
        let stub = localhost();
        let target = Target::parse(&format!("https://localhost:{port}/")).expect("target");
        let result = fetcher(peer_policy(), &stub).get(target, CALENDAR).await;
        assert_eq!(result.err(), Some(FetchError::Connect));
    }

    #[tokio::test]
    async fn a_certificate_for_another_name_or_an_untrusted_root_fails_tls() {
        let server = serve().await;
        let stub = Arc::new(
            Stub::default()
                .with("localhost", &[&[LOOPBACK]])
                .with("other.test", &[&[LOOPBACK]]),
        );
        let result = fetcher(peer_policy(), &stub)
            .get(server.url("other.test", "/ok"), CALENDAR)
            .await;
        assert_eq!(result.err(), Some(FetchError::Tls));
        // The platform's roots do not know the test root.
        let result = fetcher(FetchPolicy::default().allowing_loopback(), &stub)
            .get(server.url("localhost", "/ok"), CALENDAR)
            .await;
        assert_eq!(result.err(), Some(FetchError::Tls));
    }

    #[tokio::test]
    async fn errors_never_carry_the_url() {
        let server = serve().await;
        let stub = Arc::new(Stub::default().with("private.test", &[&[PRIVATE]]));
        let error = fetcher(strict_policy(), &stub)
            .get(
                server.url("private.test", "/feed.ics?token=secret"),
                CALENDAR,
            )
            .await
            .expect_err("refused");
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(
                !text.contains("secret") && !text.contains("private.test"),
                "{text}"
            );
        }
    }
}
