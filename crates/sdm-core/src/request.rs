//! The headers every request carries, in one place.

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, USER_AGENT};
use http::{Method, Request, Uri};

use crate::config::ClientConfig;
use crate::error::{Error, InvalidInput};
use crate::transport::RequestBody;

/// Whether a request carries the token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Auth {
    /// `Authorization: Token …` (every endpoint but token creation).
    Token,
    /// No credentials (token creation sends them in the body).
    None,
}

/// Builds a request with the common headers; `json_body` adds `Content-Type: application/json`.
pub(crate) fn build(
    config: &ClientConfig,
    method: Method,
    url: &Uri,
    auth: Auth,
    json_body: Option<Vec<u8>>,
) -> Result<Request<RequestBody>, Error> {
    // Every request carries a secret (the token, or the password to create one).
    config.check_transport_security()?;
    let mut builder = Request::builder();
    if let Some(headers) = builder.headers_mut() {
        headers.extend(
            config
                .default_headers()
                .iter()
                .map(|(name, value)| (name.clone(), value.clone())),
        );
        // The client's own headers replace default ones of the same name.
        for name in [
            ACCEPT,
            USER_AGENT,
            AUTHORIZATION,
            CONTENT_TYPE,
            CONTENT_LENGTH,
        ] {
            headers.remove(name);
        }
    }
    builder = builder
        .method(method)
        .uri(url.clone())
        .header(ACCEPT, "application/json")
        .header(USER_AGENT, config.user_agent());
    if auth == Auth::Token {
        let token = config.token().ok_or_else(|| {
            InvalidInput::new(
                "configuration",
                "no API token is set (create one with login)",
            )
        })?;
        let mut value =
            HeaderValue::try_from(format!("Token {}", token.expose())).map_err(|_| {
                InvalidInput::new("token", "it contains characters not allowed in a header")
            })?;
        value.set_sensitive(true);
        builder = builder.header(AUTHORIZATION, value);
    }
    let body = match json_body {
        Some(body) => {
            builder = builder.header(CONTENT_TYPE, "application/json");
            RequestBody::from_bytes(body)
        }
        None => RequestBody::empty(),
    };
    if !body.is_empty() {
        // Said here rather than left to each transport: Django deployments commonly refuse
        // chunked request bodies, so every transport sends the length.
        builder = builder.header(CONTENT_LENGTH, body.len());
    }
    builder
        .body(body)
        .map_err(|e| InvalidInput::new("request", e.to_string()).into())
}
