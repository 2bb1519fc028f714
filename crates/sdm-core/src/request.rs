//! The headers every request carries, in one place.

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, HeaderValue, USER_AGENT};
use http::{Method, Request, Uri};

use crate::config::ClientConfig;
use crate::error::{Error, InvalidInput};
use crate::transport::{PlainHttpAllowed, RequestBody};

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
    let body = json_body.map(|body| ("application/json", RequestBody::from_bytes(body)));
    build_with_body(config, method, url, auth, body)
}

/// Builds a request with the common headers and a body of the given content type.
pub(crate) fn build_with_body(
    config: &ClientConfig,
    method: Method,
    url: &Uri,
    auth: Auth,
    body: Option<(&str, RequestBody)>,
) -> Result<Request<RequestBody>, Error> {
    // Every request carries a secret (the token, or the password to create one).
    config.check_transport_security()?;
    // Plain http that passed the check on a host other than loopback was allowed by the user:
    // say so to the transport, which may then send it through a proxy (`proxy_route`).
    let base = config.base_url();
    let clear_text_allowed = !base.is_https() && !base.is_loopback();
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
        // Visible ASCII only: `HeaderValue` would take bytes over 0x7f, which transports then
        // refuse to send (a local mistake that would look like a lost connection), and DRF
        // splits the header on whitespace. API keys are hex and dashes.
        let key = token.expose();
        let refused =
            || InvalidInput::new("token", "it contains characters not allowed in a header");
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(refused().into());
        }
        let mut value = HeaderValue::try_from(format!("Token {key}")).map_err(|_| refused())?;
        value.set_sensitive(true);
        builder = builder.header(AUTHORIZATION, value);
    }
    let body = match body {
        Some((content_type, body)) => {
            builder = builder.header(CONTENT_TYPE, content_type);
            body
        }
        None => RequestBody::empty(),
    };
    if !body.is_empty() {
        // Said here rather than left to each transport: Django deployments commonly refuse
        // chunked request bodies, so every transport sends the length.
        builder = builder.header(CONTENT_LENGTH, body.len());
    }
    if clear_text_allowed {
        builder = builder.extension(PlainHttpAllowed);
    }
    builder
        .body(body)
        .map_err(|e| InvalidInput::new("request", e.to_string()).into())
}

/// A `GET` of a `next` link from a listing, refused (before anything is sent) unless it is on
/// the base URL's origin: the token must never go to another host.
pub(crate) fn build_next_link(
    config: &ClientConfig,
    next: &Uri,
) -> Result<Request<RequestBody>, Error> {
    if !config.base_url().same_origin(next) {
        let reason = format!("{next} is not on the origin of {}", config.base_url());
        return Err(InvalidInput::new("next link", reason).into());
    }
    build(config, Method::GET, next, Auth::Token, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get_with_token(token: &str) -> Result<Request<RequestBody>, Error> {
        let config = ClientConfig::new("https://sdm.example/api/v1/")
            .unwrap()
            .with_token(token);
        let url: Uri = "https://sdm.example/api/v1/jobs/".parse().unwrap();
        build(&config, Method::GET, &url, Auth::Token, None)
    }

    #[test]
    fn tokens_that_no_header_can_carry_are_refused_before_sending() {
        // `HeaderValue` takes bytes over 0x7f (obs-text), which transports then refuse to send:
        // a local mistake must not look like a lost connection.
        for token in ["jetón", "to ken", "tab\there", "nul\0", "del\x7f", ""] {
            let error = get_with_token(token).unwrap_err();
            let Error::InvalidInput(invalid) = &error else {
                panic!("{token:?}: {error:?}")
            };
            assert_eq!(invalid.what, "token", "{token:?}");
            assert!(
                !error.to_string().contains(token) || token.is_empty(),
                "{error}"
            );
        }
        let request = get_with_token("0b5e1c5e-aaaa-4bbb-8ccc-123456789abc").unwrap();
        assert_eq!(
            request.headers()[AUTHORIZATION],
            "Token 0b5e1c5e-aaaa-4bbb-8ccc-123456789abc"
        );
    }
}
