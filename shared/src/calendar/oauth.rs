//! OAuth 2.0 for the calendar providers that use it (Google, Microsoft 365):
//! the authorization code grant with PKCE, refresh, and revocation
//! (RFC 6749, RFC 7636, RFC 7009).
//!
//! The protocol is the `oauth2` crate's; every request it makes goes through
//! our [`Fetcher`] (address checks, timeouts, body cap), plugged in as its
//! asynchronous HTTP client. Nothing here stores anything: the caller seals
//! the PKCE verifier between the redirect and the callback, and the tokens
//! afterwards.
//!
//! # Client authentication
//!
//! The client secret travels in the form body (`client_secret_post`). Google
//! documents both `client_secret_post` and `client_secret_basic` for its
//! token endpoint and shows the body form in its examples; Microsoft's
//! identity platform documents `client_secret` as a body parameter (Basic is
//! accepted too). The body form avoids RFC 6749 §2.3.1's
//! URL-encode-then-Basic rule, which servers apply inconsistently to secrets
//! holding `~`, `+` or `/`, so the same secret works at both providers.
//!
//! # Scopes per provider and tier
//!
//! Narrowest scopes that make the calls each tier needs (verified against
//! the providers' API references):
//!
//! | Provider | Tier | Scopes requested | Calls and what they accept |
//! |---|---|---|---|
//! | Google | busy only | `https://www.googleapis.com/auth/calendar.freebusy`, `https://www.googleapis.com/auth/calendar.calendarlist.readonly` | `freeBusy.query` accepts `calendar.freebusy`; `calendarList.list` (choosing calendars other than `primary`) needs `calendar.calendarlist.readonly` (or a broader calendar scope), which `calendar.freebusy` does not cover |
//! | Google | incremental | `https://www.googleapis.com/auth/calendar.events.readonly`, `https://www.googleapis.com/auth/calendar.calendarlist.readonly` | `events.list` with `syncToken` accepts `calendar.events.readonly`; `calendarList.list` as above |
//! | Microsoft | busy only | `offline_access`, `Calendars.ReadBasic` | `POST /me/calendar/getSchedule`: least privileged `Calendars.ReadBasic` (work or school accounts only: Graph does not support `getSchedule` for personal Microsoft accounts); `GET /me/calendars`: `Calendars.ReadBasic` |
//! | Microsoft | incremental | `offline_access`, `Calendars.ReadBasic` | `GET /me/calendars/{id}/calendarView/delta`: Graph lists `Calendars.ReadBasic` among the accepted permissions (its table names `Calendars.Read` "least privileged", but `ReadBasic` grants strictly less: events without body, attachments or extensions, which we never read); `GET /me/calendars`: `Calendars.ReadBasic` |
//!
//! `offline_access` is what makes Microsoft issue a refresh token; Google
//! issues one for `access_type=offline` (see [`extra_authorize_params`]).
//! Nothing requests `openid`, `email` or `profile`: we never need to know
//! who the account is.
//!
//! # Errors
//!
//! [`OAuthError`] keeps the RFC 6749 error code only, never the
//! description or the body (which may echo a token). See the
//! `From<OAuthError> for ProviderError` impl for how each one is treated.

use std::future::Future;
use std::pin::Pin;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenResponse,
};
use oauth2::{
    AsyncHttpClient, AuthType, AuthUrl, AuthorizationCode, Client, ClientId, ClientSecret,
    CsrfToken, EndpointNotSet, EndpointSet, ErrorResponse, HttpRequest, HttpResponse,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError,
    RevocableToken, RevocationErrorResponseType, RevocationUrl, Scope, TokenResponse, TokenUrl,
};
use url::Url;

use super::ProviderError;
use crate::crypto::random_bytes;
use crate::net::fetch::Request;
use crate::net::{FetchError, Fetcher, Target};

/// An OAuth client registration at one authorization server: ours at
/// Google or at Microsoft in production, a test server in tests.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthProvider {
    /// The client id of our registration.
    pub client_id: String,
    /// The client secret of our registration (configuration secret).
    pub client_secret: String,
    /// Where the staff member's browser is sent to consent.
    pub authorize_url: Url,
    /// Where codes and refresh tokens are exchanged for tokens.
    pub token_url: Url,
    /// The RFC 7009 revocation endpoint, when the provider has one.
    pub revoke_url: Option<Url>,
}

impl std::fmt::Debug for OAuthProvider {
    /// Everything but the client secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthProvider")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("authorize_url", &self.authorize_url.as_str())
            .field("token_url", &self.token_url.as_str())
            .field("revoke_url", &self.revoke_url.as_ref().map(Url::as_str))
            .finish()
    }
}

/// Where to send the staff member to consent, and the PKCE verifier that
/// will have to accompany the code that comes back.
#[derive(Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The authorization URL (carries the S256 challenge, never the
    /// verifier).
    pub url: Url,
    /// The PKCE verifier: a secret the caller seals until the callback.
    pub pkce_verifier: String,
}

impl std::fmt::Debug for Authorization {
    /// The URL only: the verifier is a secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authorization")
            .field("url", &self.url.as_str())
            .field("pkce_verifier", &"<redacted>")
            .finish()
    }
}

/// What a token endpoint granted.
#[derive(Clone, PartialEq, Eq)]
pub struct Tokens {
    /// The bearer token for API calls.
    pub access_token: String,
    /// The refresh token, when one was issued (or rotated: a refresh that
    /// returns one replaces the stored one; `None` keeps the old one).
    pub refresh_token: Option<String>,
    /// When the access token expires, Unix seconds (`now + expires_in`),
    /// when the server said.
    pub expires_at: Option<i64>,
    /// The scopes granted, when the server said (Google lets the user
    /// untick some: the caller checks the tier's scopes are all there).
    pub scopes: Option<Vec<String>>,
}

impl std::fmt::Debug for Tokens {
    /// Expiry and scopes only: the tokens are secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("access_token", &"<redacted>")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .finish()
    }
}

/// Why a token or revocation request failed. Carries no token, secret,
/// URL or error description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    /// `invalid_grant`: the code is used, expired or was issued for another
    /// verifier or redirect URI, or the refresh token is revoked or expired.
    #[error("grant invalid, revoked or expired")]
    InvalidGrant,
    /// Any other RFC 6749 / RFC 7009 error code (only the code; codes that
    /// are not plain `[a-z0-9_]` text become `invalid_response`). A server
    /// error or throttling answer without a code is `temporarily_unavailable`.
    #[error("authorization server refused: {0}")]
    Rejected(String),
    /// The provider has no revocation endpoint (Microsoft).
    #[error("provider has no revocation endpoint")]
    NoRevocation,
    /// The request did not complete.
    #[error(transparent)]
    Fetch(FetchError),
    /// The answer was not what RFC 6749 promises (not JSON, no access
    /// token, ...).
    #[error("unexpected authorization server response")]
    Protocol,
}

impl From<OAuthError> for ProviderError {
    /// How a sync treats an OAuth failure:
    ///
    /// - `invalid_grant`, and Microsoft's `interaction_required` /
    ///   `consent_required` / `login_required` (the staff member has to go
    ///   through consent again) → [`ProviderError::GrantRevoked`]: the
    ///   connection is marked broken and the staff member reconnects.
    /// - `temporarily_unavailable`, `server_error` → [`ProviderError::Unavailable`].
    /// - Every other code, `invalid_client` and `unauthorized_client` first,
    ///   → [`ProviderError::Protocol`]: those are our configuration's fault
    ///   (a wrong or expired client secret: Microsoft secrets expire), not
    ///   the staff member's, so the connection must not be marked broken
    ///   (reconnecting cannot fix it, and an expired secret would break
    ///   every connection at once); the class is logged for operators.
    /// - [`OAuthError::NoRevocation`] → [`ProviderError::Unsupported`].
    fn from(error: OAuthError) -> Self {
        match error {
            OAuthError::InvalidGrant => Self::GrantRevoked,
            OAuthError::Fetch(fetch) => Self::Fetch(fetch),
            OAuthError::Protocol => Self::Protocol,
            OAuthError::NoRevocation => Self::Unsupported,
            OAuthError::Rejected(code) => match code.as_str() {
                "interaction_required" | "consent_required" | "login_required" => {
                    Self::GrantRevoked
                }
                "temporarily_unavailable" | "server_error" => Self::Unavailable,
                _ => Self::Protocol,
            },
        }
    }
}

/// The OAuth providers we connect calendars of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// Google Calendar.
    Google,
    /// Microsoft 365 / Outlook through Microsoft Graph.
    Microsoft,
}

/// How much of a calendar a connection may read: the tenant's choice, which
/// decides the scopes asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Free/busy only: the provider never tells us what the events are.
    BusyOnly,
    /// Event-level incremental sync (sync tokens, delta links), needed for
    /// subjects and cheaper polling.
    Incremental,
}

const GOOGLE_FREEBUSY: &str = "https://www.googleapis.com/auth/calendar.freebusy";
const GOOGLE_EVENTS_READONLY: &str = "https://www.googleapis.com/auth/calendar.events.readonly";
const GOOGLE_CALENDARLIST_READONLY: &str =
    "https://www.googleapis.com/auth/calendar.calendarlist.readonly";
const GOOGLE_BUSY: &[&str] = &[GOOGLE_FREEBUSY, GOOGLE_CALENDARLIST_READONLY];
const GOOGLE_INCREMENTAL: &[&str] = &[GOOGLE_EVENTS_READONLY, GOOGLE_CALENDARLIST_READONLY];
const MICROSOFT_SCOPES: &[&str] = &["offline_access", "Calendars.ReadBasic"];

/// The scopes to request for `provider` at `tier` (see the table in the
/// module documentation for why each one).
pub fn scopes(provider: ProviderKind, tier: Tier) -> &'static [&'static str] {
    match (provider, tier) {
        (ProviderKind::Google, Tier::BusyOnly) => GOOGLE_BUSY,
        (ProviderKind::Google, Tier::Incremental) => GOOGLE_INCREMENTAL,
        (ProviderKind::Microsoft, _) => MICROSOFT_SCOPES,
    }
}

/// Authorization parameters a provider needs beyond RFC 6749: Google issues
/// a refresh token only for `access_type=offline`, and only on a consent
/// screen, so `prompt=consent` makes a reconnect yield a fresh refresh token
/// too. Microsoft needs nothing (`offline_access` is a scope there).
pub fn extra_authorize_params(provider: ProviderKind) -> &'static [(&'static str, &'static str)] {
    match provider {
        ProviderKind::Google => &[("access_type", "offline"), ("prompt", "consent")],
        ProviderKind::Microsoft => &[],
    }
}

/// The production endpoints `(authorize, token, revoke)` of `provider`.
/// Microsoft's are the identity platform v2 `common` tenant (work, school
/// and personal accounts); it has no RFC 7009 endpoint: a grant is revoked
/// by the user (or an admin) in their account settings.
pub fn production_endpoints(provider: ProviderKind) -> (Url, Url, Option<Url>) {
    match provider {
        ProviderKind::Google => (
            constant_url("https://accounts.google.com/o/oauth2/v2/auth"),
            constant_url("https://oauth2.googleapis.com/token"),
            Some(constant_url("https://oauth2.googleapis.com/revoke")),
        ),
        ProviderKind::Microsoft => (
            constant_url("https://login.microsoftonline.com/common/oauth2/v2.0/authorize"),
            constant_url("https://login.microsoftonline.com/common/oauth2/v2.0/token"),
            None,
        ),
    }
}

/// Parses one of the constant URLs above.
// Justified exception to "no panics": the argument is always one of the
// literals in `production_endpoints`, never input, and a unit test parses
// each of them.
#[allow(clippy::expect_used)]
fn constant_url(text: &'static str) -> Url {
    Url::parse(text).expect("constant endpoint URL parses")
}

/// Builds the URL to send the staff member to: authorization code flow,
/// PKCE with S256 always, `state` as given (the caller binds it to the
/// session), `scopes` space-separated, then `extra` parameters.
pub fn authorization(
    provider: &OAuthProvider,
    redirect_uri: &Url,
    state: &str,
    scopes: &[&str],
    extra: &[(&str, &str)],
) -> Authorization {
    // 32 bytes from the platform CSPRNG (CRY-4), base64url: a 43-character
    // verifier, the RFC 7636 minimum length and 256 bits of entropy.
    let verifier = PkceCodeVerifier::new(URL_SAFE_NO_PAD.encode(random_bytes::<32>()));
    let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
    let client = oauth2::basic::BasicClient::new(ClientId::new(provider.client_id.clone()))
        .set_auth_uri(AuthUrl::from_url(provider.authorize_url.clone()))
        .set_redirect_uri(RedirectUrl::from_url(redirect_uri.clone()));
    let state = state.to_owned();
    let mut request = client
        .authorize_url(move || CsrfToken::new(state))
        .set_pkce_challenge(challenge)
        .add_scopes(scopes.iter().map(|scope| Scope::new((*scope).to_owned())));
    for (name, value) in extra {
        request = request.add_extra_param(*name, *value);
    }
    let (url, _state) = request.url();
    Authorization {
        url,
        pkce_verifier: verifier.secret().clone(),
    }
}

/// Exchanges the authorization `code` (with the PKCE verifier sealed when
/// the authorization URL was made) for tokens. `redirect_uri` must be the
/// one the authorization URL carried.
pub fn exchange_code<'a>(
    fetcher: &'a Fetcher,
    provider: &'a OAuthProvider,
    redirect_uri: &'a Url,
    code: &'a str,
    pkce_verifier: &'a str,
    now: i64,
) -> SendFuture<'a, Result<Tokens, OAuthError>> {
    Box::pin(exchange_code_inner(
        fetcher,
        provider,
        redirect_uri,
        code,
        pkce_verifier,
        now,
    ))
}

/// A boxed `Send` future. The `oauth2` crate's request futures are generic
/// over its client trait's lifetime, which the compiler cannot prove `Send`
/// for every lifetime once they sit inside a route's boxed future; boxing
/// them here, at one lifetime, settles it.
pub type SendFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

async fn exchange_code_inner(
    fetcher: &Fetcher,
    provider: &OAuthProvider,
    redirect_uri: &Url,
    code: &str,
    pkce_verifier: &str,
    now: i64,
) -> Result<Tokens, OAuthError> {
    let http = Http(fetcher.clone());
    let response = token_client(provider)
        .set_redirect_uri(RedirectUrl::from_url(redirect_uri.clone()))
        .exchange_code(AuthorizationCode::new(code.to_owned()))
        .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
        .request_async(&http)
        .await
        .map_err(token_error)?;
    Ok(tokens(&response, now))
}

/// Gets a fresh access token with `refresh_token`. Providers may rotate the
/// refresh token (Microsoft does): [`Tokens::refresh_token`] is the new one
/// when the server sent one, and the caller must store it.
pub fn refresh<'a>(
    fetcher: &'a Fetcher,
    provider: &'a OAuthProvider,
    refresh_token: &'a str,
    now: i64,
) -> SendFuture<'a, Result<Tokens, OAuthError>> {
    refresh_with_scopes(fetcher, provider, refresh_token, &[], now)
}

/// [`refresh`], asking for `scopes` (a subset of those granted). Microsoft's
/// v2 token endpoint documents `scope` on the refresh request; an empty
/// slice sends none, which RFC 6749 §6 reads as "the scopes originally
/// granted".
pub fn refresh_with_scopes<'a>(
    fetcher: &'a Fetcher,
    provider: &'a OAuthProvider,
    refresh_token: &'a str,
    scopes: &'a [&'a str],
    now: i64,
) -> SendFuture<'a, Result<Tokens, OAuthError>> {
    Box::pin(refresh_inner(fetcher, provider, refresh_token, scopes, now))
}

async fn refresh_inner(
    fetcher: &Fetcher,
    provider: &OAuthProvider,
    refresh_token: &str,
    scopes: &[&str],
    now: i64,
) -> Result<Tokens, OAuthError> {
    let http = Http(fetcher.clone());
    let token = RefreshToken::new(refresh_token.to_owned());
    let response = token_client(provider)
        .exchange_refresh_token(&token)
        .add_scopes(scopes.iter().map(|scope| Scope::new((*scope).to_owned())))
        .request_async(&http)
        .await
        .map_err(token_error)?;
    Ok(tokens(&response, now))
}

/// Revokes `token` (a refresh token revokes the whole grant at Google) at
/// the provider's RFC 7009 endpoint, without a type hint so that either
/// kind of token works. A token the server reports as already invalid
/// (`invalid_token`, which Google answers for a revoked token) counts as
/// revoked. [`OAuthError::NoRevocation`] when the provider has no endpoint.
pub fn revoke<'a>(
    fetcher: &'a Fetcher,
    provider: &'a OAuthProvider,
    token: &'a str,
) -> SendFuture<'a, Result<(), OAuthError>> {
    Box::pin(revoke_inner(fetcher, provider, token))
}

async fn revoke_inner(
    fetcher: &Fetcher,
    provider: &OAuthProvider,
    token: &str,
) -> Result<(), OAuthError> {
    let revoke_url = provider
        .revoke_url
        .clone()
        .ok_or(OAuthError::NoRevocation)?;
    let http = Http(fetcher.clone());
    let result = token_client(provider)
        .set_revocation_url(RevocationUrl::from_url(revoke_url))
        .revoke_token(Unhinted(token.to_owned()))
        .map_err(|_| OAuthError::Protocol)?
        .request_async(&http)
        .await;
    match result {
        Ok(()) => Ok(()),
        Err(RequestTokenError::ServerResponse(response))
            if matches!(
                response.error(),
                RevocationErrorResponseType::Basic(_)
                    if response.error().as_ref() == "invalid_token"
            ) =>
        {
            Ok(())
        }
        Err(error) => Err(request_error(error)),
    }
}

/// The client type for token, refresh and revocation requests: the basic
/// client with a revocable token that carries no type hint.
type TokenClient<HasRevocationUrl> = Client<
    BasicErrorResponse,
    BasicTokenResponse,
    BasicTokenIntrospectionResponse,
    Unhinted,
    BasicRevocationErrorResponse,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    HasRevocationUrl,
    EndpointSet,
>;

fn token_client(provider: &OAuthProvider) -> TokenClient<EndpointNotSet> {
    Client::new(ClientId::new(provider.client_id.clone()))
        .set_client_secret(ClientSecret::new(provider.client_secret.clone()))
        .set_auth_type(AuthType::RequestBody)
        .set_token_uri(TokenUrl::from_url(provider.token_url.clone()))
}

/// A token to revoke, sent without `token_type_hint` (RFC 7009 §2.1 makes
/// the hint optional; servers search every type without it).
#[derive(Clone)]
struct Unhinted(String);

impl RevocableToken for Unhinted {
    fn secret(&self) -> &str {
        &self.0
    }

    fn type_hint(&self) -> Option<&str> {
        None
    }
}

fn tokens(response: &BasicTokenResponse, now: i64) -> Tokens {
    let expires_at = response.expires_in().map(|duration| {
        let seconds = i64::try_from(duration.as_secs()).unwrap_or(i64::MAX);
        now.saturating_add(seconds)
    });
    Tokens {
        access_token: response.access_token().secret().clone(),
        refresh_token: response.refresh_token().map(|token| token.secret().clone()),
        expires_at,
        scopes: response
            .scopes()
            .map(|scopes| scopes.iter().map(|scope| scope.to_string()).collect()),
    }
}

fn token_error(error: RequestTokenError<HttpError, BasicErrorResponse>) -> OAuthError {
    match &error {
        RequestTokenError::ServerResponse(response)
            if response.error().as_ref() == "invalid_grant" =>
        {
            OAuthError::InvalidGrant
        }
        _ => request_error(error),
    }
}

fn request_error<T>(error: RequestTokenError<HttpError, T>) -> OAuthError
where
    T: ErrorResponse + ServerCode + 'static,
{
    match error {
        RequestTokenError::ServerResponse(response) => {
            OAuthError::Rejected(error_code(response.code()))
        }
        RequestTokenError::Request(HttpError::Fetch(fetch)) => OAuthError::Fetch(fetch),
        RequestTokenError::Request(HttpError::Unavailable) => {
            OAuthError::Rejected("temporarily_unavailable".to_owned())
        }
        RequestTokenError::Parse(..) | RequestTokenError::Other(_) => OAuthError::Protocol,
    }
}

/// The error code of a server's error response, whatever its type.
trait ServerCode {
    fn code(&self) -> &str;
}

impl ServerCode for BasicErrorResponse {
    fn code(&self) -> &str {
        self.error().as_ref()
    }
}

impl ServerCode for BasicRevocationErrorResponse {
    fn code(&self) -> &str {
        self.error().as_ref()
    }
}

/// `code` when it looks like an RFC 6749 error code (short, `[a-z0-9_]`),
/// otherwise `invalid_response`: whatever a server puts there ends up in
/// logs, so it must not be free text.
fn error_code(code: &str) -> String {
    let plain = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if plain {
        code.to_owned()
    } else {
        "invalid_response".to_owned()
    }
}

/// Why the HTTP leg of an OAuth request failed.
#[derive(Debug, thiserror::Error)]
enum HttpError {
    /// The fetcher failed.
    #[error(transparent)]
    Fetch(FetchError),
    /// A 5xx or 429 without an RFC 6749 error body.
    #[error("authorization server unavailable")]
    Unavailable,
}

/// Our [`Fetcher`] as the `oauth2` crate's HTTP client. It holds its own
/// handle (a cheap clone: the TLS configuration is shared), so it is a client
/// for every lifetime the crate asks for.
struct Http(Fetcher);

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = HttpError;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let uri = request.uri().to_string();
            let target =
                Target::parse(&uri).map_err(|bad| HttpError::Fetch(FetchError::from(bad)))?;
            let (parts, body) = request.into_parts();
            let response = self
                .0
                .send(Request {
                    method: parts.method,
                    target,
                    headers: parts.headers,
                    body,
                })
                .await
                .map_err(HttpError::Fetch)?;
            let status = response.status;
            if (status.is_server_error() || status == http::StatusCode::TOO_MANY_REQUESTS)
                && !has_error_code(&response.body)
            {
                return Err(HttpError::Unavailable);
            }
            let mut out = http::Response::new(response.body);
            *out.status_mut() = status;
            *out.headers_mut() = response.headers;
            Ok(out)
        })
    }
}

/// Whether `body` is a JSON object with a string `error` member.
fn has_error_code(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|value| value.get("error").map(serde_json::Value::is_string))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() -> OAuthProvider {
        OAuthProvider {
            client_id: "client-1".into(),
            client_secret: "s3cret-value".into(),
            authorize_url: Url::parse("https://as.example/authorize?tenant=x").unwrap(),
            token_url: Url::parse("https://as.example/token").unwrap(),
            revoke_url: None,
        }
    }

    #[test]
    fn the_authorization_url_carries_an_s256_challenge_of_the_verifier() {
        use base64::Engine;
        use sha2_check::digest;
        let redirect = Url::parse("https://app.example/cb").unwrap();
        let auth = authorization(
            &provider(),
            &redirect,
            "st-1",
            &["a", "b c"],
            &[("access_type", "offline")],
        );
        let query: std::collections::HashMap<String, String> =
            auth.url.query_pairs().into_owned().collect();
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["client_id"], "client-1");
        assert_eq!(query["state"], "st-1");
        assert_eq!(query["scope"], "a b c");
        assert_eq!(query["redirect_uri"], "https://app.example/cb");
        assert_eq!(query["access_type"], "offline");
        assert_eq!(query["tenant"], "x", "the endpoint's own query is kept");
        assert_eq!(query["code_challenge_method"], "S256");
        assert!((43..=128).contains(&auth.pkce_verifier.len()));
        let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(digest(auth.pkce_verifier.as_bytes()));
        assert_eq!(query["code_challenge"], expected);
        assert!(!auth.url.as_str().contains(&auth.pkce_verifier));
        assert!(!auth.url.as_str().contains("s3cret"));
        let other = authorization(&provider(), &redirect, "st-1", &[], &[]);
        assert_ne!(other.pkce_verifier, auth.pkce_verifier);
    }

    /// SHA-256 through aws-lc-rs, which the crate already links.
    mod sha2_check {
        pub fn digest(data: &[u8]) -> Vec<u8> {
            aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data)
                .as_ref()
                .to_vec()
        }
    }

    #[test]
    fn debug_output_never_shows_secrets() {
        let auth = Authorization {
            url: Url::parse("https://as.example/a").unwrap(),
            pkce_verifier: "verifier-secret".into(),
        };
        let tokens = Tokens {
            access_token: "access-secret".into(),
            refresh_token: Some("refresh-secret".into()),
            expires_at: Some(10),
            scopes: Some(vec!["a".into()]),
        };
        let text = format!("{:?} {:?} {:?}", provider(), auth, tokens);
        for secret in [
            "s3cret",
            "verifier-secret",
            "access-secret",
            "refresh-secret",
        ] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains("client-1") && text.contains("expires_at"));
    }

    #[test]
    fn scopes_per_provider_and_tier() {
        assert_eq!(
            scopes(ProviderKind::Google, Tier::BusyOnly),
            [
                "https://www.googleapis.com/auth/calendar.freebusy",
                "https://www.googleapis.com/auth/calendar.calendarlist.readonly"
            ]
        );
        assert_eq!(
            scopes(ProviderKind::Google, Tier::Incremental),
            [
                "https://www.googleapis.com/auth/calendar.events.readonly",
                "https://www.googleapis.com/auth/calendar.calendarlist.readonly"
            ]
        );
        for tier in [Tier::BusyOnly, Tier::Incremental] {
            assert_eq!(
                scopes(ProviderKind::Microsoft, tier),
                ["offline_access", "Calendars.ReadBasic"]
            );
        }
        assert_eq!(
            extra_authorize_params(ProviderKind::Google),
            [("access_type", "offline"), ("prompt", "consent")]
        );
        assert!(extra_authorize_params(ProviderKind::Microsoft).is_empty());
    }

    #[test]
    fn production_endpoints_are_the_documented_ones() {
        let (authorize, token, revoke) = production_endpoints(ProviderKind::Google);
        assert_eq!(
            authorize.as_str(),
            "https://accounts.google.com/o/oauth2/v2/auth"
        );
        assert_eq!(token.as_str(), "https://oauth2.googleapis.com/token");
        assert_eq!(
            revoke.map(String::from).as_deref(),
            Some("https://oauth2.googleapis.com/revoke")
        );
        let (authorize, token, revoke) = production_endpoints(ProviderKind::Microsoft);
        assert_eq!(
            authorize.as_str(),
            "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
        );
        assert_eq!(
            token.as_str(),
            "https://login.microsoftonline.com/common/oauth2/v2.0/token"
        );
        assert!(revoke.is_none());
    }

    #[test]
    fn kinds_and_tiers_serialize_in_snake_case() {
        assert_eq!(
            serde_json::to_string(&[ProviderKind::Google, ProviderKind::Microsoft]).unwrap(),
            r#"["google","microsoft"]"#
        );
        assert_eq!(
            serde_json::to_string(&[Tier::BusyOnly, Tier::Incremental]).unwrap(),
            r#"["busy_only","incremental"]"#
        );
        assert_eq!(
            serde_json::from_str::<Tier>(r#""busy_only""#).unwrap(),
            Tier::BusyOnly
        );
    }

    #[test]
    fn error_codes_are_kept_only_when_plain() {
        assert_eq!(error_code("invalid_client"), "invalid_client");
        assert_eq!(error_code("AADSTS70000 token=abc"), "invalid_response");
        assert_eq!(error_code(""), "invalid_response");
        assert_eq!(error_code(&"a".repeat(65)), "invalid_response");
    }

    #[test]
    fn errors_map_to_provider_error_classes() {
        let class = |e: OAuthError| ProviderError::from(e).class();
        assert_eq!(class(OAuthError::InvalidGrant), "grant_revoked");
        assert_eq!(
            class(OAuthError::Rejected("interaction_required".into())),
            "grant_revoked"
        );
        assert_eq!(
            class(OAuthError::Rejected("invalid_client".into())),
            "protocol"
        );
        assert_eq!(
            class(OAuthError::Rejected("temporarily_unavailable".into())),
            "provider_unavailable"
        );
        assert_eq!(class(OAuthError::Fetch(FetchError::Timeout)), "timeout");
        assert_eq!(class(OAuthError::NoRevocation), "unsupported");
        assert_eq!(class(OAuthError::Protocol), "protocol");
    }

    #[test]
    fn expiry_saturates() {
        let response: BasicTokenResponse = serde_json::from_str(
            r#"{"access_token":"a","token_type":"Bearer","expires_in":18446744073709551615,"scope":"x y"}"#,
        )
        .unwrap();
        let tokens = tokens(&response, i64::MAX - 5);
        assert_eq!(tokens.expires_at, Some(i64::MAX));
        assert_eq!(tokens.scopes, Some(vec!["x".into(), "y".into()]));
        assert_eq!(tokens.refresh_token, None);
    }

    #[test]
    fn only_json_error_bodies_count_as_error_codes() {
        assert!(has_error_code(br#"{"error":"server_error"}"#));
        assert!(!has_error_code(b"<html>503</html>"));
        assert!(!has_error_code(br#"{"error":5}"#));
    }
}
