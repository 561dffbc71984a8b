//! Helpers for identity tests: tenants with users of every role, sign-in,
//! requests carrying a session cookie or an API key.

use serde_json::{json, Value};

use crate::{signup_body, token_from_mail, TestApp, TestResponse};

/// The web application's origin in tests (`APP_BASE_URL`).
pub const ORIGIN: &str = "https://app.bookwarden.test";

/// A signed-in user.
#[derive(Clone, Debug)]
pub struct Session {
    /// `__Host-session=<token>`
    pub cookie: String,
    /// The tenant.
    pub tenant_id: String,
    /// The user.
    pub user_id: String,
}

/// Someone who can sign in.
#[derive(Clone, Debug)]
pub struct Account {
    /// The tenant's slug.
    pub slug: String,
    /// Email address.
    pub email: String,
    /// Password.
    pub password: String,
    /// The tenant.
    pub tenant_id: String,
    /// The user.
    pub user_id: String,
}

/// How a request authenticates.
#[derive(Clone, Debug)]
pub enum As<'a> {
    /// No credential.
    Anonymous,
    /// A session cookie, from the application's origin.
    Session(&'a Session),
    /// A session cookie with explicit browser headers (for CSRF tests).
    SessionWith(&'a Session, &'a [(&'a str, &'a str)]),
    /// An API key.
    Key(&'a str),
}

impl TestApp {
    /// Sends a request as someone.
    pub async fn call(
        &self,
        who: As<'_>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> TestResponse {
        let text = body.map(|b| b.to_string()).unwrap_or_default();
        let mut headers: Vec<(String, String)> = Vec::new();
        if !text.is_empty() {
            headers.push(("content-type".into(), "application/json".into()));
        }
        match who {
            As::Anonymous => {}
            As::Session(s) => {
                headers.push(("cookie".into(), s.cookie.clone()));
                headers.push(("origin".into(), ORIGIN.into()));
            }
            As::SessionWith(s, extra) => {
                headers.push(("cookie".into(), s.cookie.clone()));
                headers.extend(
                    extra
                        .iter()
                        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
                );
            }
            As::Key(k) => headers.push(("authorization".into(), format!("Bearer {k}"))),
        }
        let refs: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.request(method, path, &refs, text.as_bytes()).await
    }

    /// Signs a business up and verifies its owner.
    pub async fn owner(&self, tag: &str) -> Account {
        let body = signup_body(tag);
        let created = self.post_json("/v1/tenants", &body).await;
        assert_eq!(created.status, 201, "{}", created.body);
        let email = body["owner_email"].as_str().unwrap().to_owned();
        let token = token_from_mail(
            self.mail_to(&email)
                .await
                .last()
                .expect("verification mail"),
        );
        let verified = self
            .post_json("/v1/auth/verify-email", &json!({ "token": token }))
            .await;
        assert_eq!(verified.status, 200, "{}", verified.body);
        Account {
            slug: body["slug"].as_str().unwrap().to_owned(),
            email,
            password: body["password"].as_str().unwrap().to_owned(),
            tenant_id: created.json()["tenant_id"].as_str().unwrap().to_owned(),
            user_id: String::new(),
        }
    }

    /// Asks for a password reset of `account` and returns the emailed token.
    pub async fn reset_token(&self, account: &Account) -> String {
        let r = self
            .post_json(
                "/v1/auth/password-reset",
                &json!({ "tenant": account.slug, "email": account.email }),
            )
            .await;
        assert_eq!(r.status, 202, "{}", r.body);
        token_from_mail(
            self.mail_to(&account.email)
                .await
                .last()
                .expect("reset mail"),
        )
    }

    /// A login attempt.
    pub async fn login_attempt(&self, slug: &str, email: &str, password: &str) -> TestResponse {
        self.post_json(
            "/v1/auth/login",
            &json!({ "tenant": slug, "email": email, "password": password }),
        )
        .await
    }

    /// Signs in with a password only; panics unless a session results.
    pub async fn login(&self, account: &Account) -> Session {
        let r = self
            .login_attempt(&account.slug, &account.email, &account.password)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        session_from(&r)
    }

    /// Invites a user with `role` as `inviter`, accepts the invitation and signs in.
    pub async fn member(
        &self,
        inviter: &Session,
        owner: &Account,
        role: &str,
    ) -> (Account, Session) {
        let unique = bookwarden_shared::tenancy::TenantId::generate().to_string();
        let email = format!("{role}.{}@example.net", &unique[..10]);
        let invited = self
            .call(
                As::Session(inviter),
                "POST",
                &format!("/v1/tenants/{}/users", owner.tenant_id),
                Some(json!({ "email": email, "name": format!("A {role}"), "role": role })),
            )
            .await;
        assert_eq!(invited.status, 201, "{}", invited.body);
        let token = token_from_mail(self.mail_to(&email).await.last().expect("invitation mail"));
        let password = format!("violet harbour lantern {}", &unique[..6]);
        let accepted = self
            .post_json(
                "/v1/auth/invitations/accept",
                &json!({ "token": token, "password": password }),
            )
            .await;
        assert_eq!(accepted.status, 204, "{}", accepted.body);
        let account = Account {
            slug: owner.slug.clone(),
            email,
            password,
            tenant_id: owner.tenant_id.clone(),
            user_id: invited.json()["user_id"].as_str().unwrap().to_owned(),
        };
        let session = self.login(&account).await;
        (account, session)
    }

    /// Creates an API key as `session` and returns its secret and id.
    pub async fn api_key(&self, session: &Session, scopes: &[&str]) -> (String, String) {
        let r = self
            .call(
                As::Session(session),
                "POST",
                &format!("/v1/tenants/{}/api-keys", session.tenant_id),
                Some(json!({ "name": "integration", "scopes": scopes, "expires_in_days": 30 })),
            )
            .await;
        assert_eq!(r.status, 201, "{}", r.body);
        let j = r.json();
        (
            j["secret"].as_str().unwrap().to_owned(),
            j["id"].as_str().unwrap().to_owned(),
        )
    }

    /// Audit actions of a tenant, newest first (as its owner sees them).
    pub async fn audit_actions(&self, owner: &Session) -> Vec<String> {
        let r = self
            .call(
                As::Session(owner),
                "GET",
                &format!("/v1/tenants/{}/audit?limit=100", owner.tenant_id),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    }
}

impl TestApp {
    /// Sets a number attribute on every user item of a tenant (to move a lock
    /// or a password's age into the past without waiting).
    pub async fn set_user_number(&self, tenant_id: &str, field: &str, value: i64) {
        use aws_sdk_dynamodb::types::AttributeValue;
        for item in self.scan().await {
            let sk = item["SK"].as_s().unwrap();
            if item["PK"].as_s().unwrap() == &format!("T#{tenant_id}") && sk.starts_with("USER#") {
                self.clients
                    .dynamodb
                    .update_item()
                    .table_name(&self.table)
                    .key("PK", item["PK"].clone())
                    .key("SK", item["SK"].clone())
                    .update_expression("SET #f = :v")
                    .expression_attribute_names("#f", field)
                    .expression_attribute_values(":v", AttributeValue::N(value.to_string()))
                    .send()
                    .await
                    .unwrap();
            }
        }
    }

    /// Changes the tenant's settings as `owner`.
    pub async fn set_settings(&self, owner: &Session, settings: Value) {
        let r = self
            .call(
                As::Session(owner),
                "PATCH",
                &format!("/v1/tenants/{}/settings", owner.tenant_id),
                Some(settings),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }

    /// Enrols an authenticator for `session`'s user; returns its base32 secret,
    /// the recovery codes and the rotated session.
    pub async fn enrol_totp(&self, session: &Session) -> (String, Vec<String>, Session) {
        let base = format!("/v1/tenants/{}/me/mfa/totp", session.tenant_id);
        let begun = self.call(As::Session(session), "POST", &base, None).await;
        assert_eq!(begun.status, 201, "{}", begun.body);
        let secret = begun.json()["secret"].as_str().unwrap().to_owned();
        let confirmed = self
            .call(
                As::Session(session),
                "POST",
                &format!("{base}/confirm"),
                Some(json!({ "code": totp_now(&secret) })),
            )
            .await;
        assert_eq!(confirmed.status, 200, "{}", confirmed.body);
        let codes = confirmed.json()["recovery_codes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c.as_str().unwrap().to_owned())
            .collect();
        (secret, codes, rotated(&confirmed, session))
    }
}

/// The session a response rotated to (its `Set-Cookie`), for the same user.
pub fn rotated(r: &TestResponse, from: &Session) -> Session {
    let set_cookie = r.header("set-cookie").expect("a rotated session cookie");
    Session {
        cookie: set_cookie.split(';').next().unwrap().to_owned(),
        tenant_id: from.tenant_id.clone(),
        user_id: from.user_id.clone(),
    }
}

/// The session in a sign-in response.
pub fn session_from(r: &TestResponse) -> Session {
    let set_cookie = r.header("set-cookie").expect("a session cookie");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let j = r.json();
    Session {
        cookie,
        tenant_id: j["tenant_id"].as_str().unwrap().to_owned(),
        user_id: j["user_id"].as_str().unwrap().to_owned(),
    }
}

/// A current TOTP code for a base32 secret.
pub fn totp_now(secret_base32: &str) -> String {
    let secret = totp_rs::Secret::try_from_base32(secret_base32).expect("base32 secret");
    let totp = totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(secret)
        .build()
        .expect("totp");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    totp.generate(now).to_string()
}
