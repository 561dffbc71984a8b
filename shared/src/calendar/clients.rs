//! The OAuth clients the platform is registered as with Google and Microsoft.
//!
//! Their secrets never come from the environment (CRY-5): one Secrets Manager
//! secret, encrypted under the stack's data key, holds them as JSON, and the
//! operator sets its value after deploying (README, Deploy):
//!
//! ```json
//! {"google": {"client_id": "…", "client_secret": "…"},
//!  "microsoft": {"client_id": "…", "client_secret": "…"}}
//! ```
//!
//! Either provider may be absent (or `null`, or both of its fields empty): that
//! provider then cannot be connected. Anything else unexpected (an unknown
//! key, a half-filled client, a value that is not text) refuses the whole
//! secret, so a typo surfaces at the first connection instead of as a provider
//! that silently vanished. Neither the value nor any part of it is ever logged
//! or carried in an error.

use serde_json::{Map, Value};

/// Longest client id or secret accepted (Google's and Microsoft's are well
/// under 100 characters); anything longer is a pasting mistake.
const MAX_FIELD_CHARS: usize = 512;

/// One OAuth client registered with a provider.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthClient {
    /// The public identifier, sent in authorization URLs.
    pub client_id: String,
    /// The secret, sent only to the provider's token endpoint.
    pub client_secret: String,
}

impl std::fmt::Debug for OAuthClient {
    /// Names the client; never prints the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

/// The registered clients; a provider without one cannot be connected.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CalendarClients {
    /// Google Calendar.
    pub google: Option<OAuthClient>,
    /// Microsoft 365 (Graph).
    pub microsoft: Option<OAuthClient>,
}

/// The clients could not be loaded. Neither variant carries any part of the
/// secret's value.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ClientsError {
    /// Secrets Manager (or KMS behind it) did not answer with the value:
    /// unreachable, denied, or no such secret. Worth retrying later.
    #[error("the calendar clients secret could not be read")]
    Unavailable,
    /// The value is not the expected JSON; the reason names only the shape.
    #[error("the calendar clients secret is malformed: {0}")]
    Malformed(&'static str),
}

/// Reads the current version of `secret_id` (a name or ARN) and parses it.
pub async fn load(
    secrets: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<CalendarClients, ClientsError> {
    let out = secrets
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|e| {
            // The SDK's error names the operation and the service's answer,
            // never the value it did not return.
            tracing::error!(
                error = %aws_sdk_secretsmanager::error::DisplayErrorContext(&e),
                "reading the calendar clients secret failed"
            );
            ClientsError::Unavailable
        })?;
    let Some(text) = out.secret_string() else {
        tracing::error!("the calendar clients secret has no text value");
        return Err(ClientsError::Malformed("the value is not text"));
    };
    parse(text).inspect_err(|e| tracing::error!(error = %e, "calendar clients refused"))
}

/// Parses the secret's value (see the module documentation).
pub fn parse(text: &str) -> Result<CalendarClients, ClientsError> {
    let value: Value =
        serde_json::from_str(text).map_err(|_| ClientsError::Malformed("the value is not JSON"))?;
    let Value::Object(providers) = value else {
        return Err(ClientsError::Malformed("the value is not a JSON object"));
    };
    if providers.keys().any(|k| k != "google" && k != "microsoft") {
        return Err(ClientsError::Malformed(
            "unknown provider (expected google, microsoft)",
        ));
    }
    Ok(CalendarClients {
        google: client(providers.get("google"))?,
        microsoft: client(providers.get("microsoft"))?,
    })
}

/// One provider's entry: absent, `null` or both fields empty is no client.
fn client(entry: Option<&Value>) -> Result<Option<OAuthClient>, ClientsError> {
    let fields = match entry {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(fields)) => fields,
        Some(_) => return Err(ClientsError::Malformed("a provider entry is not an object")),
    };
    if fields
        .keys()
        .any(|k| k != "client_id" && k != "client_secret")
    {
        return Err(ClientsError::Malformed(
            "unknown field in a provider entry (expected client_id, client_secret)",
        ));
    }
    let client_id = field(fields, "client_id")?;
    let client_secret = field(fields, "client_secret")?;
    match (client_id, client_secret) {
        (None, None) => Ok(None),
        (Some(client_id), Some(client_secret)) => Ok(Some(OAuthClient {
            client_id,
            client_secret,
        })),
        _ => Err(ClientsError::Malformed(
            "a provider entry has only one of client_id and client_secret",
        )),
    }
}

/// A field's text, `None` when missing, `null` or empty. Surrounding
/// whitespace (a pasted line break) is dropped; whitespace or control
/// characters inside refuse the value, since no provider issues such values
/// and they would end up in form bodies.
fn field(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, ClientsError> {
    let text = match fields.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(text)) => text.trim(),
        Some(_) => return Err(ClientsError::Malformed("a client field is not a string")),
    };
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > MAX_FIELD_CHARS {
        return Err(ClientsError::Malformed("a client field is too long"));
    }
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ClientsError::Malformed(
            "a client field contains whitespace or control characters",
        ));
    }
    Ok(Some(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(id: &str, secret: &str) -> Option<OAuthClient> {
        Some(OAuthClient {
            client_id: id.to_owned(),
            client_secret: secret.to_owned(),
        })
    }

    #[test]
    fn both_providers_are_read() {
        let got = parse(
            r#"{"google": {"client_id": "g-id.apps.googleusercontent.com", "client_secret": "g-secret"},
                "microsoft": {"client_id": "6731de76-14a6-49ae-97bc-6eba6914391e", "client_secret": "m~secret.1"}}"#,
        )
        .unwrap();
        assert_eq!(
            got,
            CalendarClients {
                google: client("g-id.apps.googleusercontent.com", "g-secret"),
                microsoft: client("6731de76-14a6-49ae-97bc-6eba6914391e", "m~secret.1"),
            }
        );
    }

    #[test]
    fn a_provider_left_out_null_or_empty_cannot_be_connected() {
        for text in [
            "{}",
            r#"{"google": null, "microsoft": null}"#,
            r#"{"google": {}, "microsoft": {"client_id": "", "client_secret": "  "}}"#,
            r#"{"google": {"client_id": null, "client_secret": null}}"#,
        ] {
            assert_eq!(parse(text).unwrap(), CalendarClients::default(), "{text}");
        }
        let only_microsoft =
            parse(r#"{"microsoft": {"client_id": "m", "client_secret": "s"}}"#).unwrap();
        assert_eq!(only_microsoft.google, None);
        assert_eq!(only_microsoft.microsoft, client("m", "s"));
    }

    #[test]
    fn a_pasted_line_break_around_a_value_is_dropped() {
        let got = parse(r#"{"google": {"client_id": " g\n", "client_secret": "s\r\n"}}"#).unwrap();
        assert_eq!(got.google, client("g", "s"));
    }

    #[test]
    fn anything_else_refuses_the_whole_secret() {
        for text in [
            "",
            "not json",
            r#"{"google": {"client_id": "g", "client_secret": "s"}"#,
            "[]",
            r#""{}""#,
            "null",
            r#"{"gogle": {"client_id": "g", "client_secret": "s"}}"#,
            r#"{"google": {"client_id": "g", "client_secret": "s"}, "caldav": {}}"#,
            r#"{"google": {"client_id": "g", "client_secret": "s", "tenant": "common"}}"#,
            r#"{"google": {"client_id": "g"}}"#,
            r#"{"google": {"client_id": "", "client_secret": "s"}}"#,
            r#"{"google": {"client_id": 12, "client_secret": "s"}}"#,
            r#"{"google": {"client_id": "g", "client_secret": ["s"]}}"#,
            r#"{"google": "g:s"}"#,
            r#"{"google": true}"#,
            r#"{"google": {"client_id": "g h", "client_secret": "s"}}"#,
            r#"{"google": {"client_id": "g", "client_secret": "s\u0000"}}"#,
        ] {
            assert!(
                matches!(parse(text), Err(ClientsError::Malformed(_))),
                "{text}"
            );
        }
        let long = "x".repeat(MAX_FIELD_CHARS + 1);
        let text = format!(r#"{{"google": {{"client_id": "g", "client_secret": "{long}"}}}}"#);
        assert!(matches!(parse(&text), Err(ClientsError::Malformed(_))));
    }

    #[test]
    fn errors_and_debug_output_never_show_the_value() {
        let secret = "hunter2-very-secret";
        let clients = parse(&format!(
            r#"{{"google": {{"client_id": "g", "client_secret": "{secret}"}}}}"#
        ))
        .unwrap();
        assert!(!format!("{clients:?}").contains(secret));
        assert!(format!("{clients:?}").contains("\"g\""));
        for text in [
            format!(r#"{{"google": "{secret}"}}"#),
            format!(r#"{{"{secret}": {{}}}}"#),
            format!(r#"{{"google": {{"client_id": "g", "{secret}": "x"}}}}"#),
            format!(r#"{{"google": {{"client_id": "g", "client_secret": "{secret} x"}}}}"#),
            format!(r#"{{"google": {{"client_id": "g", "client_secret": "{secret}""#),
        ] {
            let e = parse(&text).unwrap_err();
            assert!(!format!("{e} {e:?}").contains(secret), "{text}");
        }
    }
}
