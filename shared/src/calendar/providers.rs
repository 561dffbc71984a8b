//! Where the OAuth providers live. Production uses the providers' published
//! endpoints; tests point the same code at local peers.

use url::Url;

use super::oauth::{OAuthProvider, ProviderKind};
use super::ProviderError;

/// The endpoints calendar connections talk to, as configured text (parsed
/// where used, so a bad value is an error of that call, not a crash).
#[derive(Clone, Debug)]
pub struct Endpoints {
    /// Google's authorization endpoint.
    pub google_authorize: String,
    /// Google's token endpoint.
    pub google_token: String,
    /// Google's revocation endpoint.
    pub google_revoke: Option<String>,
    /// The Google Calendar API base.
    pub google_api: String,
    /// Microsoft's authorization endpoint.
    pub microsoft_authorize: String,
    /// Microsoft's token endpoint.
    pub microsoft_token: String,
    /// Microsoft's revocation endpoint (it offers none for one grant).
    pub microsoft_revoke: Option<String>,
    /// The Microsoft Graph base.
    pub graph_api: String,
    /// The redirect URI registered with the providers, when it is not the
    /// application's base URL followed by the callback path.
    pub redirect_uri: Option<String>,
}

fn parse(text: &str) -> Result<Url, ProviderError> {
    Url::parse(text).map_err(|_| ProviderError::Protocol)
}

impl Endpoints {
    /// The providers' published endpoints.
    pub fn production() -> Self {
        let text = |kind| {
            let (a, t, r) = super::oauth::production_endpoints(kind);
            (a.to_string(), t.to_string(), r.map(|u| u.to_string()))
        };
        let (google_authorize, google_token, google_revoke) = text(ProviderKind::Google);
        let (microsoft_authorize, microsoft_token, microsoft_revoke) =
            text(ProviderKind::Microsoft);
        Self {
            google_authorize,
            google_token,
            google_revoke,
            google_api: super::google::GOOGLE_API_BASE.to_owned(),
            microsoft_authorize,
            microsoft_token,
            microsoft_revoke,
            graph_api: super::microsoft::GRAPH_API_BASE.to_owned(),
            redirect_uri: None,
        }
    }

    /// The Google Calendar API base.
    pub fn google_api(&self) -> Result<Url, ProviderError> {
        parse(&self.google_api)
    }

    /// The Microsoft Graph base.
    pub fn graph_api(&self) -> Result<Url, ProviderError> {
        parse(&self.graph_api)
    }

    /// The OAuth provider `kind` with the registered client.
    pub fn oauth(
        &self,
        kind: ProviderKind,
        client_id: &str,
        client_secret: &str,
    ) -> Result<OAuthProvider, ProviderError> {
        let (authorize, token, revoke) = match kind {
            ProviderKind::Google => (
                &self.google_authorize,
                &self.google_token,
                &self.google_revoke,
            ),
            ProviderKind::Microsoft => (
                &self.microsoft_authorize,
                &self.microsoft_token,
                &self.microsoft_revoke,
            ),
        };
        Ok(OAuthProvider {
            client_id: client_id.to_owned(),
            client_secret: client_secret.to_owned(),
            authorize_url: parse(authorize)?,
            token_url: parse(token)?,
            revoke_url: revoke.as_deref().map(parse).transpose()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_production_endpoints_parse() {
        let e = Endpoints::production();
        assert!(e.google_api().is_ok() && e.graph_api().is_ok());
        for kind in [ProviderKind::Google, ProviderKind::Microsoft] {
            assert!(e.oauth(kind, "id", "secret").is_ok());
        }
    }
}
