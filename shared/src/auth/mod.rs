//! Authentication and authorisation of requests.
//!
//! Every function validates the caller itself (no separate authorizer), so a
//! revoked session or key stops working on the very next request. That costs
//! one strongly consistent read: the session or key record found by the
//! token's hash holds everything authentication needs, and every revocation
//! deletes it in the transaction that makes the change ([`credentials`]).
//!
//! A request is authenticated by the `__Host-session` cookie or by
//! `Authorization: Bearer` with an API key; cookie-authenticated state changes
//! must come from the service's own origin (WEB-2); the tenant in the path
//! must be the principal's (ISO-3); and the route's permission must be granted
//! by the matrix (ACC-1).

pub mod api_keys;
pub mod credentials;
pub mod mfa;
pub mod permissions;
pub mod policy;
pub mod session;

use http::Method;
use lambda_http::Request;

use crate::audit::{AuditEvent, Outcome};
use crate::http::{Problem, RequestMeta};
use crate::store::StoreError;
use crate::tenancy::{Principal, Role, TenantScope, UserId};
use crate::Platform;

pub use permissions::{Permission, Scope};
pub use session::Restriction;

/// How the caller proved who it is.
#[derive(Clone, Debug)]
pub enum Credential {
    /// A browser session (cookie).
    Session {
        /// Public id of the session.
        id: String,
        /// A pending step that limits what the session may do.
        restriction: Option<Restriction>,
    },
    /// An API key (bearer token).
    ApiKey {
        /// Public id of the key.
        id: String,
        /// What the key may do.
        scopes: Vec<Scope>,
    },
}

/// An authenticated caller.
#[derive(Clone, Debug)]
pub struct Caller {
    /// Tenant, user and role.
    pub principal: Principal,
    /// How it authenticated.
    pub credential: Credential,
}

impl Caller {
    /// The caller's tenant scope.
    pub fn scope(&self) -> TenantScope {
        self.principal.scope()
    }

    /// The caller's user id.
    pub fn user_id(&self) -> &UserId {
        self.principal.user_id()
    }

    /// The caller's role.
    pub fn role(&self) -> Role {
        self.principal.role()
    }

    /// Who the audit log names as the actor: the user, and for an API key also
    /// the key (`<user>/key:<key id>`), so a key's actions can be told apart from
    /// its creator's and traced to the key to revoke (AUD-1).
    pub fn actor(&self) -> String {
        match &self.credential {
            Credential::Session { .. } => self.user_id().to_string(),
            Credential::ApiKey { id, .. } => format!("{}/key:{id}", self.user_id()),
        }
    }

    /// The session id, when the caller uses a session.
    pub fn session_id(&self) -> Option<&str> {
        match &self.credential {
            Credential::Session { id, .. } => Some(id),
            Credential::ApiKey { .. } => None,
        }
    }

    /// Refuses (403) unless the role holds `permission`, an API key carries the
    /// scope for it, and no pending restriction forbids it.
    pub fn require(&self, permission: Permission) -> Result<(), Problem> {
        if !permissions::role_allows(self.role(), permission) {
            return Err(Problem::Forbidden);
        }
        match &self.credential {
            Credential::ApiKey { scopes, .. } => match permissions::scope_for(permission) {
                Some(needed) if scopes.contains(&needed) => Ok(()),
                _ => Err(Problem::Forbidden),
            },
            Credential::Session {
                restriction: Some(Restriction::BusinessClosed),
                ..
            } => {
                if matches!(
                    permission,
                    Permission::ViewSelf
                        | Permission::ViewSessions
                        | Permission::CloseBusiness
                        | Permission::ExportData
                ) {
                    Ok(())
                } else {
                    Err(Problem::BusinessClosed)
                }
            }
            Credential::Session {
                restriction: Some(_),
                ..
            } => {
                if matches!(
                    permission,
                    Permission::ViewSelf | Permission::ManageSelf | Permission::ViewSessions
                ) {
                    Ok(())
                } else {
                    Err(Problem::StepRequired)
                }
            }
            Credential::Session {
                restriction: None, ..
            } => Ok(()),
        }
    }

    /// The scope for a `/v1/tenants/{tenant_id}/…` route. Another tenant's id is
    /// answered as not found (nothing about it is revealed) and the attempt is
    /// audited in the caller's own tenant (ISO-3).
    pub async fn scope_for_path(
        &self,
        p: &Platform,
        req: &Request,
        meta: &RequestMeta,
    ) -> Result<TenantScope, Problem> {
        use lambda_http::RequestExt;
        let scope = self.scope();
        let params = req.path_parameters();
        let asked = params.first("tenant_id").unwrap_or_default();
        if asked == scope.tenant_id().as_str() {
            return Ok(scope);
        }
        tracing::warn!(user_id = %self.user_id(), "cross-tenant request refused");
        let event = AuditEvent {
            kind: "security",
            action: "tenant.cross_access_attempt",
            actor: self.actor(),
            target: asked.chars().take(64).collect(),
            client_addr: meta.client_addr.clone(),
            outcome: Outcome::Failure,
        };
        if event.append(&p.store, &scope).await.is_err() {
            tracing::error!("could not record a cross-tenant attempt");
        }
        Err(Problem::NotFound)
    }
}

fn unavailable(e: StoreError) -> Problem {
    match e {
        StoreError::Unavailable => Problem::ServiceUnavailable,
        StoreError::Conflict | StoreError::Integrity => Problem::Internal,
    }
}

/// Authenticates a request (401 when it carries no valid credential).
pub async fn authenticate(p: &Platform, req: &Request) -> Result<Caller, Problem> {
    let headers = req.headers();
    if let Some(auth) = headers.get(http::header::AUTHORIZATION) {
        let value = auth.to_str().map_err(|_| Problem::Unauthenticated)?;
        let presented = value
            .strip_prefix("Bearer ")
            .ok_or(Problem::Unauthenticated)?;
        let hash = api_keys::parse_presented(presented.trim()).ok_or(Problem::Unauthenticated)?;
        let key = api_keys::find(&p.store, &hash)
            .await
            .map_err(unavailable)?
            .ok_or(Problem::Unauthenticated)?;
        crate::telemetry::record_tenant(key.scope.tenant_id());
        return Ok(Caller {
            principal: Principal::authenticated(
                key.scope.tenant_id().clone(),
                key.created_by,
                key.role,
            ),
            credential: Credential::ApiKey {
                id: key.id,
                scopes: key.scopes,
            },
        });
    }
    let token = headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(session::token_from_cookie_header)
        .ok_or(Problem::Unauthenticated)?;
    let live = session::find(&p.store, &token)
        .await
        .map_err(unavailable)?
        .ok_or(Problem::Unauthenticated)?;
    crate::telemetry::record_tenant(live.scope.tenant_id());
    if is_unsafe(req.method()) && !same_origin(req, &p.config.app_base_url) {
        return Err(Problem::CrossSiteRequest);
    }
    Ok(Caller {
        principal: Principal::authenticated(
            live.scope.tenant_id().clone(),
            live.user_id,
            live.role,
        ),
        credential: Credential::Session {
            id: live.id,
            restriction: live.restriction,
        },
    })
}

fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The origin (`scheme://host[:port]`) of a URL.
pub fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    match url[after_scheme..].find('/') {
        Some(i) => &url[..after_scheme + i],
        None => url,
    }
}

/// WEB-2: a cookie-authenticated state change must carry an `Origin` equal to
/// the web application's, or (from browsers that send no Origin)
/// `Sec-Fetch-Site: same-origin`. A missing or `null` origin is refused.
fn same_origin(req: &Request, app_base_url: &str) -> bool {
    let headers = req.headers();
    let expected = origin_of(app_base_url);
    match headers
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
    {
        Some(origin) => origin.eq_ignore_ascii_case(expected),
        None => headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == "same-origin"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://app.example.com/path/x"),
            "https://app.example.com"
        );
        assert_eq!(origin_of("http://127.0.0.1:3000"), "http://127.0.0.1:3000");
    }
}
