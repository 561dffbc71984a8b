//! The OAuth client (`calendar::oauth`) against a real authorization server
//! (Authlib, `infra/test-peers/oauth_server.py`) over TLS on loopback: the
//! code flow with PKCE, refresh and rotation, revocation, and the failures a
//! connection meets (denied consent, revoked grant, unreachable server).
//!
//! [`AuthServer`] is shared with the end-to-end tests: it starts the server
//! with our client registered and drives consent the way a browser would.

use bookwarden_shared::calendar::oauth::{
    self, authorization, exchange_code, refresh, revoke, OAuthError, OAuthProvider, Tokens,
};
use bookwarden_shared::calendar::ProviderError;
use bookwarden_shared::net::fetch::Request;
use bookwarden_shared::net::{FetchError, Fetcher, Target};
use bookwarden_tests::peers::{test_fetcher, Peer};
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, Method};
use serde_json::{json, Value};
use url::Url;

/// Our client's id at the test authorization server.
pub(crate) const CLIENT_ID: &str = "bookwarden-test";
/// Our client's secret there.
pub(crate) const CLIENT_SECRET: &str = "client-secret-Xq9~k";
/// The resource-server client allowed to introspect (as the provider API
/// fakes do to check a bearer token).
pub(crate) const INTROSPECTOR: (&str, &str) = ("calendar-api", "introspector-secret");
/// Scopes the tests ask for (the server grants whatever is asked).
pub(crate) const SCOPES: &[&str] = &["calendar.read", "offline_access"];

const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// A running authorization server with our client registered, redirecting
/// to its own `/_admin/landing` (which echoes the code as JSON).
pub(crate) struct AuthServer {
    /// The server process.
    pub(crate) peer: Peer,
    /// Our registration there, as production code gets it.
    pub(crate) provider: OAuthProvider,
    /// The registered redirect URI.
    pub(crate) redirect_uri: Url,
}

impl AuthServer {
    /// Starts the server with our client and the introspector registered,
    /// plus `extra_args` (e.g. `--rotate-refresh-tokens`, `--access-ttl 60`,
    /// more `--client ID:SECRET:URI`).
    pub(crate) fn start(extra_args: &[&str]) -> AuthServer {
        let client = format!("{CLIENT_ID}:{CLIENT_SECRET}:{{self}}/_admin/landing");
        let introspector = format!("{}:{}", INTROSPECTOR.0, INTROSPECTOR.1);
        let mut args = vec!["--client", &client, "--introspector", &introspector];
        args.extend_from_slice(extra_args);
        let peer = Peer::spawn("infra/test-peers/oauth_server.py", &args);
        let url = |path: &str| Url::parse(&peer.url(path)).expect("peer URL");
        let provider = OAuthProvider {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            authorize_url: url("/authorize"),
            token_url: url("/token"),
            revoke_url: Some(url("/revoke")),
        };
        let redirect_uri = url("/_admin/landing");
        AuthServer {
            peer,
            provider,
            redirect_uri,
        }
    }

    /// Plays the browser: opens `authorization_url` as `login_hint` (the
    /// server consents at once; `deny` refuses) and returns the query the
    /// redirect URI received (`code` and `state`, or `error` and `state`).
    pub(crate) async fn consent(
        &self,
        fetcher: &Fetcher,
        authorization_url: &Url,
        login_hint: &str,
    ) -> Value {
        let mut url = authorization_url.clone();
        url.query_pairs_mut().append_pair("login_hint", login_hint);
        let response = fetcher
            .get(Target::parse(url.as_str()).expect("target"), JSON)
            .await
            .expect("authorization request");
        assert_eq!(response.status, 200, "landed on the redirect URI");
        serde_json::from_slice(&response.body).expect("landing JSON")
    }

    /// The whole connect flow for `user`: authorization URL, consent, code
    /// exchange. Returns the tokens.
    pub(crate) async fn connect(&self, fetcher: &Fetcher, user: &str, now: i64) -> Tokens {
        let auth = authorization(&self.provider, &self.redirect_uri, "state-1", SCOPES, &[]);
        let landing = self.consent(fetcher, &auth.url, user).await;
        let code = landing["code"].as_str().expect("code");
        exchange_code(
            fetcher,
            &self.provider,
            &self.redirect_uri,
            code,
            &auth.pkce_verifier,
            now,
        )
        .await
        .expect("code exchange")
    }

    /// RFC 7662 introspection of `token` as the resource server.
    pub(crate) async fn introspect(&self, fetcher: &Fetcher, token: &str) -> Value {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", token)
            .append_pair("client_id", INTROSPECTOR.0)
            .append_pair("client_secret", INTROSPECTOR.1)
            .finish();
        self.post(
            fetcher,
            "/introspect",
            "application/x-www-form-urlencoded",
            body,
        )
        .await
    }

    /// Revokes every token of `sub`, as a user removing our access in their
    /// account settings would.
    pub(crate) async fn revoke_user(&self, fetcher: &Fetcher, sub: &str) {
        let body = json!({ "sub": sub }).to_string();
        self.post(fetcher, "/_admin/revoke-user", "application/json", body)
            .await;
    }

    /// What the server has seen: token requests by grant type, revocations
    /// (and the subs of the tokens they hit), introspections.
    pub(crate) async fn stats(&self, fetcher: &Fetcher) -> Value {
        let target = Target::parse(&self.peer.url("/_admin/stats")).expect("target");
        let response = fetcher.get(target, JSON).await.expect("stats");
        serde_json::from_slice(&response.body).expect("stats JSON")
    }

    async fn post(&self, fetcher: &Fetcher, path: &str, content_type: &str, body: String) -> Value {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, content_type.parse().expect("content type"));
        let response = fetcher
            .send(Request {
                method: Method::POST,
                target: Target::parse(&self.peer.url(path)).expect("target"),
                headers,
                body: body.into_bytes(),
            })
            .await
            .expect("admin request");
        assert_eq!(response.status, 200, "{path}");
        serde_json::from_slice(&response.body).expect("JSON")
    }
}

const NOW: i64 = 1_790_000_000;

fn query(url: &Url) -> std::collections::HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

#[tokio::test]
async fn the_authorization_url_carries_challenge_state_scopes_and_extra_params() {
    let server = AuthServer::start(&[]);
    let scopes = oauth::scopes(oauth::ProviderKind::Google, oauth::Tier::BusyOnly);
    let extra = oauth::extra_authorize_params(oauth::ProviderKind::Google);
    let auth = authorization(
        &server.provider,
        &server.redirect_uri,
        "opaque-state",
        scopes,
        extra,
    );
    let params = query(&auth.url);
    assert_eq!(params["response_type"], "code");
    assert_eq!(params["client_id"], CLIENT_ID);
    assert_eq!(params["redirect_uri"], server.redirect_uri.as_str());
    assert_eq!(params["state"], "opaque-state");
    assert_eq!(params["scope"], scopes.join(" "));
    assert_eq!(params["access_type"], "offline");
    assert_eq!(params["prompt"], "consent");
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["code_challenge"].len(), 43, "base64url SHA-256");
    assert!(!auth.url.as_str().contains(&auth.pkce_verifier));
    assert!(!auth.url.as_str().contains(CLIENT_SECRET));

    // The server accepts it and echoes the state with a code.
    let fetcher = test_fetcher();
    let landing = server
        .consent(&fetcher, &auth.url, "alice@example.com")
        .await;
    assert_eq!(landing["state"], "opaque-state");
    assert!(landing["code"]
        .as_str()
        .is_some_and(|code| !code.is_empty()));
}

#[tokio::test]
async fn the_code_flow_with_pkce_yields_tokens_the_server_recognises() {
    let server = AuthServer::start(&["--access-ttl", "600"]);
    let fetcher = test_fetcher();
    let tokens = server.connect(&fetcher, "alice@example.com", NOW).await;
    assert!(!tokens.access_token.is_empty());
    assert!(tokens.refresh_token.is_some());
    assert_eq!(tokens.expires_at, Some(NOW + 600));
    assert_eq!(
        tokens.scopes,
        Some(SCOPES.iter().map(|s| s.to_string()).collect())
    );

    let introspection = server.introspect(&fetcher, &tokens.access_token).await;
    assert_eq!(introspection["active"], true);
    assert_eq!(introspection["sub"], "alice@example.com");
    assert_eq!(introspection["client_id"], CLIENT_ID);
    assert_eq!(introspection["scope"], SCOPES.join(" "));
    assert_eq!(
        server.stats(&fetcher).await["token_requests"]["authorization_code"],
        1
    );
}

#[tokio::test]
async fn a_wrong_verifier_is_refused_and_a_code_cannot_be_replayed() {
    let server = AuthServer::start(&[]);
    let fetcher = test_fetcher();
    let auth = authorization(&server.provider, &server.redirect_uri, "s", SCOPES, &[]);
    let landing = server
        .consent(&fetcher, &auth.url, "alice@example.com")
        .await;
    let code = landing["code"].as_str().expect("code");
    let exchange = |verifier: String| {
        let (fetcher, provider, redirect) = (&fetcher, &server.provider, &server.redirect_uri);
        async move { exchange_code(fetcher, provider, redirect, code, &verifier, NOW).await }
    };

    // Another authorization's verifier (well-formed, wrong).
    let other = authorization(&server.provider, &server.redirect_uri, "s", SCOPES, &[]);
    assert_eq!(
        exchange(other.pkce_verifier).await.err(),
        Some(OAuthError::InvalidGrant)
    );

    exchange(auth.pkce_verifier.clone())
        .await
        .expect("right verifier");
    let replay = exchange(auth.pkce_verifier.clone()).await.err();
    assert_eq!(replay, Some(OAuthError::InvalidGrant));
    assert_eq!(
        ProviderError::from(OAuthError::InvalidGrant).class(),
        "grant_revoked"
    );
}

#[tokio::test]
async fn the_code_must_go_back_with_the_same_redirect_uri() {
    let server = AuthServer::start(&[]);
    let fetcher = test_fetcher();
    let auth = authorization(&server.provider, &server.redirect_uri, "s", SCOPES, &[]);
    let landing = server
        .consent(&fetcher, &auth.url, "alice@example.com")
        .await;
    let code = landing["code"].as_str().expect("code");
    let other = Url::parse(&server.peer.url("/elsewhere")).expect("url");
    let result = exchange_code(
        &fetcher,
        &server.provider,
        &other,
        code,
        &auth.pkce_verifier,
        NOW,
    )
    .await;
    assert_eq!(result.err(), Some(OAuthError::InvalidGrant));
}

#[tokio::test]
async fn refresh_gives_a_new_access_token_and_keeps_the_refresh_token() {
    let server = AuthServer::start(&["--access-ttl", "120"]);
    let fetcher = test_fetcher();
    let first = server.connect(&fetcher, "alice@example.com", NOW).await;
    let refresh_token = first.refresh_token.clone().expect("refresh token");

    let later = NOW + 100;
    let second = refresh(&fetcher, &server.provider, &refresh_token, later)
        .await
        .expect("refresh");
    assert_ne!(second.access_token, first.access_token);
    assert_eq!(second.refresh_token, None, "not rotated: keep the old one");
    assert_eq!(second.expires_at, Some(later + 120));
    let introspection = server.introspect(&fetcher, &second.access_token).await;
    assert_eq!(introspection["active"], true);

    refresh(&fetcher, &server.provider, &refresh_token, later)
        .await
        .expect("the unrotated refresh token still works");
    assert_eq!(
        server.stats(&fetcher).await["token_requests"]["refresh_token"],
        2
    );
}

#[tokio::test]
async fn a_rotated_refresh_token_replaces_the_old_one() {
    let server = AuthServer::start(&["--rotate-refresh-tokens"]);
    let fetcher = test_fetcher();
    let first = server.connect(&fetcher, "alice@example.com", NOW).await;
    let old = first.refresh_token.expect("refresh token");

    let second = refresh(&fetcher, &server.provider, &old, NOW)
        .await
        .expect("refresh");
    let new = second.refresh_token.expect("rotated refresh token");
    assert_ne!(new, old);

    assert_eq!(
        refresh(&fetcher, &server.provider, &old, NOW).await.err(),
        Some(OAuthError::InvalidGrant)
    );
    refresh(&fetcher, &server.provider, &new, NOW)
        .await
        .expect("the new refresh token works");
}

#[tokio::test]
async fn a_grant_the_user_revoked_fails_refresh_with_invalid_grant() {
    let server = AuthServer::start(&[]);
    let fetcher = test_fetcher();
    let alice = server.connect(&fetcher, "alice@example.com", NOW).await;
    let bob = server.connect(&fetcher, "bob@example.com", NOW).await;

    server.revoke_user(&fetcher, "alice@example.com").await;

    let result = refresh(
        &fetcher,
        &server.provider,
        alice.refresh_token.as_deref().expect("refresh token"),
        NOW,
    )
    .await;
    assert_eq!(result.clone().err(), Some(OAuthError::InvalidGrant));
    assert_eq!(
        ProviderError::from(result.expect_err("error")).class(),
        "grant_revoked"
    );
    let introspection = server.introspect(&fetcher, &alice.access_token).await;
    assert_eq!(introspection["active"], false);

    // Another user's grant is untouched.
    refresh(
        &fetcher,
        &server.provider,
        bob.refresh_token.as_deref().expect("refresh token"),
        NOW,
    )
    .await
    .expect("bob's grant still works");
}

#[tokio::test]
async fn revoke_reaches_the_server_and_ends_the_grant() {
    let server = AuthServer::start(&[]);
    let fetcher = test_fetcher();
    let tokens = server.connect(&fetcher, "alice@example.com", NOW).await;
    let refresh_token = tokens.refresh_token.expect("refresh token");

    revoke(&fetcher, &server.provider, &refresh_token)
        .await
        .expect("revoke");
    let stats = server.stats(&fetcher).await;
    assert_eq!(stats["revocations"], 1);
    assert_eq!(stats["revoked_subs"], json!(["alice@example.com"]));
    assert_eq!(
        refresh(&fetcher, &server.provider, &refresh_token, NOW)
            .await
            .err(),
        Some(OAuthError::InvalidGrant)
    );
    assert_eq!(
        server.introspect(&fetcher, &tokens.access_token).await["active"],
        false,
        "revoking the refresh token revokes the grant"
    );

    // Revoking again is not an error (RFC 7009: unknown tokens get 200).
    revoke(&fetcher, &server.provider, &refresh_token)
        .await
        .expect("revoke twice");

    let microsoft_like = OAuthProvider {
        revoke_url: None,
        ..server.provider.clone()
    };
    assert_eq!(
        revoke(&fetcher, &microsoft_like, &refresh_token)
            .await
            .err(),
        Some(OAuthError::NoRevocation)
    );
}

#[tokio::test]
async fn denied_consent_comes_back_as_access_denied_with_the_state() {
    let server = AuthServer::start(&[]);
    let fetcher = test_fetcher();
    let auth = authorization(
        &server.provider,
        &server.redirect_uri,
        "state-9",
        SCOPES,
        &[],
    );
    let landing = server.consent(&fetcher, &auth.url, "deny").await;
    assert_eq!(landing["error"], "access_denied");
    assert_eq!(landing["state"], "state-9");
    assert!(landing.get("code").is_none());
}

#[tokio::test]
async fn a_wrong_client_secret_is_our_configuration_not_a_revoked_grant() {
    let server = AuthServer::start(&[]);
    let fetcher = test_fetcher();
    let tokens = server.connect(&fetcher, "alice@example.com", NOW).await;
    let misconfigured = OAuthProvider {
        client_secret: "rotated-away".into(),
        ..server.provider.clone()
    };
    let result = refresh(
        &fetcher,
        &misconfigured,
        tokens.refresh_token.as_deref().expect("refresh token"),
        NOW,
    )
    .await;
    assert_eq!(
        result.clone().err(),
        Some(OAuthError::Rejected("invalid_client".into()))
    );
    assert_eq!(
        ProviderError::from(result.expect_err("error")).class(),
        "protocol"
    );
}

#[tokio::test]
async fn an_unreachable_or_refused_token_endpoint_is_a_fetch_error() {
    let fetcher = test_fetcher();
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    let closed = OAuthProvider {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        authorize_url: Url::parse(&format!("https://localhost:{port}/authorize")).expect("url"),
        token_url: Url::parse(&format!("https://localhost:{port}/token")).expect("url"),
        revoke_url: Some(Url::parse(&format!("https://localhost:{port}/revoke")).expect("url")),
    };
    assert_eq!(
        refresh(&fetcher, &closed, "rt", NOW).await.err(),
        Some(OAuthError::Fetch(FetchError::Connect))
    );
    assert_eq!(
        revoke(&fetcher, &closed, "rt").await.err(),
        Some(OAuthError::Fetch(FetchError::Connect))
    );

    // A private address is refused before anything is sent.
    let private = OAuthProvider {
        token_url: Url::parse("https://10.20.30.40/token").expect("url"),
        ..closed.clone()
    };
    let result = exchange_code(
        &fetcher,
        &private,
        &Url::parse("https://app.example/cb").expect("url"),
        "code",
        "verifier-verifier-verifier-verifier-verifier",
        NOW,
    )
    .await;
    let error = result.expect_err("refused");
    assert!(
        matches!(error, OAuthError::Fetch(FetchError::Refused(_))),
        "{error:?}"
    );
    assert_eq!(ProviderError::from(error).class(), "address_refused");
}
