//! The API's base URL, the URLs of endpoints under it, and the URL text rules they follow.
//!
//! URLs here are [`http::Uri`] values plus the few rules of the WHATWG URL standard this crate
//! needs, written out below rather than taken from the `url` crate (and the Unicode tables its
//! international domain names bring): an `http`/`https` base URL is normalised the way browsers
//! do (scheme and host lower case, default port dropped, dot segments resolved, a trailing
//! slash), endpoint path segments are percent-encoded, query pairs are form-encoded, and origins
//! compare scheme, host and port. Host names must be ASCII (punycode for international ones).

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use http::Uri;

use crate::error::InvalidInput;

/// The base URL of the production SDM API.
pub const DEFAULT_BASE_URL: &str = "https://sdm.akeneo.cloud/api/v1/";

/// Where the API lives, e.g. `https://sdm.akeneo.cloud/api/v1/`.
///
/// Accepted with or without a trailing slash and with any path prefix; stored with the slash so
/// endpoint paths are appended under it, never in place of its last segment.
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl {
    /// The normalised text, with its trailing slash.
    text: String,
    uri: Uri,
    origin: Origin,
}

impl BaseUrl {
    /// Parses and checks a base URL: absolute `http` or `https`, no credentials, query or fragment.
    pub fn parse(text: &str) -> Result<Self, InvalidInput> {
        let invalid = |reason: String| InvalidInput::new("base URL", reason);
        let trimmed = text.trim();
        if trimmed.contains('#') {
            return Err(invalid(format!(
                "{text:?} must not have a query or a fragment"
            )));
        }
        let uri = trimmed.parse::<Uri>().map_err(|e| {
            let hint = if trimmed.is_ascii() {
                ""
            } else {
                "; write international host names in their punycode form, xn--…"
            };
            invalid(format!("{text:?} is not an absolute URL ({e}{hint})"))
        })?;
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(invalid(format!("{text:?} is not an absolute URL")));
        };
        let scheme = scheme.to_ascii_lowercase();
        if !matches!(scheme.as_str(), "http" | "https") {
            return Err(invalid(format!(
                "{text:?} must start with https:// or http://"
            )));
        }
        if authority.as_str().contains('@') {
            return Err(invalid(
                "credentials do not belong in the URL; pass a token".into(),
            ));
        }
        if uri.query().is_some() {
            return Err(invalid(format!(
                "{text:?} must not have a query or a fragment"
            )));
        }
        let origin = Origin::of(&scheme, authority.as_str())
            .map_err(|reason| invalid(format!("{text:?} {reason}")))?;
        let mut path = encode(&resolve_dot_segments(uri.path()), in_path_set);
        if !path.ends_with('/') {
            path.push('/');
        }
        let text = format!("{}{path}", origin.serialize());
        let uri = text
            .parse()
            .map_err(|e| invalid(format!("{text:?} is not an absolute URL ({e})")))?;
        Ok(Self { text, uri, origin })
    }

    /// The URL of an endpoint: the base path, then `segments`, then a trailing slash.
    ///
    /// Each segment is percent-encoded as one path segment (`/`, `%`, `?`, `#`, spaces, `.` and
    /// `..` included), so no value can add or remove path levels (ids are validated before they
    /// get here as well).
    pub fn endpoint(&self, segments: &[&str]) -> Uri {
        endpoint_with_query(self, segments, &[])
    }

    /// True when `uri` has the same scheme, host and port (default ports included): only such
    /// URLs may receive the token.
    pub fn same_origin(&self, uri: &Uri) -> bool {
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return false;
        };
        Origin::of(&scheme.to_ascii_lowercase(), authority.as_str())
            .is_ok_and(|origin| origin == self.origin)
    }

    /// True when the host is a loopback address (`127.0.0.0/8`, `[::1]`) or `localhost`.
    pub fn is_loopback(&self) -> bool {
        let host = self.origin.host.as_str();
        if let Some(v6) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            return v6.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback());
        }
        match host.parse::<Ipv4Addr>() {
            Ok(ip) => ip.is_loopback(),
            Err(_) => host == "localhost",
        }
    }

    /// True for an `https` base URL.
    pub(crate) fn is_https(&self) -> bool {
        self.origin.scheme == "https"
    }

    /// The base URL as an [`http::Uri`].
    pub fn as_uri(&self) -> &Uri {
        &self.uri
    }

    /// The base URL as text, with its trailing slash.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// An endpoint's URL with a form-encoded query (`pairs` in order; none: no `?`).
pub(crate) fn endpoint_with_query(
    base: &BaseUrl,
    segments: &[&str],
    pairs: &[(&str, &str)],
) -> Uri {
    let mut text = base.text.clone();
    for segment in segments {
        match *segment {
            "." => text.push_str("%2E"),
            ".." => text.push_str("%2E%2E"),
            segment => text.push_str(&encode(segment, in_path_segment_set)),
        }
        text.push('/');
    }
    for (index, (key, value)) in pairs.iter().enumerate() {
        text.push(if index == 0 { '?' } else { '&' });
        form_encode_into(&mut text, key);
        text.push('=');
        form_encode_into(&mut text, value);
    }
    text.parse()
        .expect("a valid base URL with encoded segments and query is a valid URI")
}

/// The value of the first `name` parameter in `uri`'s query, form-decoded.
pub(crate) fn query_param(uri: &Uri, name: &str) -> Option<String> {
    uri.query()?
        .split('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .find(|(key, _)| form_decode(key) == name)
        .map(|(_, value)| form_decode(value))
}

/// Scheme, host and port: what two URLs must share for one to be trusted like the other.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Origin {
    /// `http` or `https`.
    scheme: String,
    /// Lower case; IPv6 literals in brackets, in their shortest form.
    host: String,
    port: u16,
}

impl Origin {
    /// The origin of an `http(s)` URL's authority; an error says what is wrong with it.
    fn of(scheme: &str, authority: &str) -> Result<Self, &'static str> {
        let default_port = match scheme {
            "http" => 80,
            "https" => 443,
            _ => return Err("must start with https:// or http://"),
        };
        if authority.contains('@') {
            return Err("has credentials");
        }
        let (host, port) = match authority.rfind(':') {
            // A colon inside an IPv6 literal is not a port separator.
            Some(colon) if !authority[colon..].contains(']') => {
                (&authority[..colon], &authority[colon + 1..])
            }
            _ => (authority, ""),
        };
        if host.is_empty() {
            return Err("has no host");
        }
        let host = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
            Some(v6) => format!(
                "[{}]",
                v6.parse::<Ipv6Addr>()
                    .map_err(|_| "has a bad IPv6 address")?
            ),
            None => host.to_ascii_lowercase(),
        };
        let port = match port {
            "" => default_port,
            digits => digits.parse().map_err(|_| "has a bad port")?,
        };
        Ok(Self {
            scheme: scheme.to_owned(),
            host,
            port,
        })
    }

    /// `scheme://host[:port]`, the port left out when it is the scheme's default.
    fn serialize(&self) -> String {
        let default_port = if self.scheme == "https" { 443 } else { 80 };
        if self.port == default_port {
            format!("{}://{}", self.scheme, self.host)
        } else {
            format!("{}://{}:{}", self.scheme, self.host, self.port)
        }
    }
}

/// Removes `.` segments and applies `..` ones, as URL parsers do.
fn resolve_dot_segments(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(path).split('/').collect();
    let last = segments.len() - 1;
    for (index, segment) in segments.iter().enumerate() {
        let dots = match segment.to_ascii_lowercase().as_str() {
            "." | "%2e" => 1,
            ".." | ".%2e" | "%2e." | "%2e%2e" => 2,
            _ => 0,
        };
        if dots == 2 {
            out.pop();
        }
        if dots == 0 {
            out.push(segment);
        } else if index == last {
            // `a/..` and `a/.` end in a directory: keep the trailing slash.
            out.push("");
        }
    }
    format!("/{}", out.join("/"))
}

/// Bytes the URL standard percent-encodes in a path: controls, space, `"#<>?`{}` and non-ASCII.
fn in_path_set(byte: u8) -> bool {
    byte <= 0x20 || byte >= 0x7F || b"\"#<>?`{}".contains(&byte)
}

/// The path set plus what would end a segment or start an escape: `/`, `\` and `%`.
fn in_path_segment_set(byte: u8) -> bool {
    in_path_set(byte) || b"/\\%".contains(&byte)
}

/// Percent-encodes the bytes of `text` that `needs` says must be.
fn encode(text: &str, needs: fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        if needs(byte) {
            push_escape(&mut out, byte);
        } else {
            out.push(char::from(byte));
        }
    }
    out
}

/// `application/x-www-form-urlencoded`: ASCII letters, digits and `*-._` as they are, space as
/// `+`, every other byte percent-encoded.
fn form_encode_into(out: &mut String, text: &str) {
    for &byte in text.as_bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => push_escape(out, byte),
        }
    }
}

fn push_escape(out: &mut String, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(char::from(HEX[usize::from(byte >> 4)]));
    out.push(char::from(HEX[usize::from(byte & 0xF)]));
}

/// Decodes `application/x-www-form-urlencoded` text (`+` is a space; bad escapes stay as they
/// are; invalid UTF-8 becomes U+FFFD).
fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|b| char::from(*b).to_digit(16));
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if hex(i + 1).is_some() && hex(i + 2).is_some() => {
                let (high, low) = (hex(i + 1).unwrap_or(0), hex(i + 2).unwrap_or(0));
                out.push(u8::try_from(high * 16 + low).unwrap_or(b'%'));
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Default for BaseUrl {
    fn default() -> Self {
        Self::parse(DEFAULT_BASE_URL).expect("the default base URL is valid")
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BaseUrl({})", self.as_str())
    }
}

impl std::str::FromStr for BaseUrl {
    type Err = InvalidInput;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_resolve_under_any_base() {
        for (base, expected) in [
            (
                "https://sdm.akeneo.cloud/api/v1/",
                "https://sdm.akeneo.cloud/api/v1/jobs/",
            ),
            (
                "https://sdm.akeneo.cloud/api/v1",
                "https://sdm.akeneo.cloud/api/v1/jobs/",
            ),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/jobs/"),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/jobs/"),
            (
                "https://proxy.example/sdm/api/v1//",
                "https://proxy.example/sdm/api/v1//jobs/",
            ),
        ] {
            let url = BaseUrl::parse(base).unwrap().endpoint(&["jobs"]);
            assert_eq!(url.to_string(), expected, "base {base}");
        }
        let url = BaseUrl::default().endpoint(&["jobs", "a/../b c", "data", "1"]);
        assert_eq!(
            url.to_string(),
            "https://sdm.akeneo.cloud/api/v1/jobs/a%2F..%2Fb%20c/data/1/"
        );
    }

    #[test]
    fn no_segment_leaves_its_level() {
        let url = BaseUrl::default().endpoint(&["jobs", "..", ".", "%2e", "x?y#z\\w", "é"]);
        assert_eq!(
            url.to_string(),
            "https://sdm.akeneo.cloud/api/v1/jobs/%2E%2E/%2E/%252e/x%3Fy%23z%5Cw/%C3%A9/"
        );
    }

    #[test]
    fn base_urls_are_normalised_like_browsers_do() {
        for (text, expected) in [
            (
                "  HTTPS://SDM.Akeneo.Cloud:443/api/v1  ",
                "https://sdm.akeneo.cloud/api/v1/",
            ),
            ("http://localhost:80", "http://localhost/"),
            ("http://[0:0:0:0:0:0:0:1]:8080/", "http://[::1]:8080/"),
            ("https://x.example/a/./b/../v1", "https://x.example/a/v1/"),
            ("https://x.example/a/b/..", "https://x.example/a/"),
            ("https://x.example/{a}", "https://x.example/%7Ba%7D/"),
        ] {
            assert_eq!(BaseUrl::parse(text).unwrap().as_str(), expected, "{text}");
        }
    }

    #[test]
    fn bad_base_urls_are_refused() {
        for bad in [
            "sdm.akeneo.cloud/api/v1",
            "/api/v1/",
            "ftp://sdm.akeneo.cloud/",
            "https://user:pw@sdm.akeneo.cloud/",
            "https://user@sdm.akeneo.cloud/",
            "https://sdm.akeneo.cloud/api/v1/?x=1",
            "https://sdm.akeneo.cloud/api/v1/?",
            "https://sdm.akeneo.cloud/api/v1/#top",
            "https://sdm.akeneo.cloud:99999/",
            "https://sdm.akeneo.cloud:x/",
            "https://bücher.example/",
            "https://[::g]/",
            "",
        ] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let base = BaseUrl::parse("https://sdm.akeneo.cloud/api/v1").unwrap();
        for same in [
            "https://sdm.akeneo.cloud:443/api/v1/jobs/?page=2",
            "HTTPS://SDM.akeneo.cloud/api/v1/jobs/?page=2",
        ] {
            assert!(base.same_origin(&same.parse().unwrap()), "{same}");
        }
        for other in [
            "http://sdm.akeneo.cloud/api/v1/jobs/?page=2",
            "https://evil.example/api/v1/jobs/?page=2",
            "https://sdm.akeneo.cloud:8443/api/v1/jobs/",
            "https://sdm.akeneo.cloud.evil.example/api/v1/jobs/",
            "https://user@sdm.akeneo.cloud/api/v1/jobs/",
            "/api/v1/jobs/?page=2",
        ] {
            assert!(!base.same_origin(&other.parse().unwrap()), "{other}");
        }
        let v6 = BaseUrl::parse("http://[::1]:8080/").unwrap();
        assert!(v6.same_origin(&"http://[0::1]:8080/jobs/".parse().unwrap()));
    }

    #[test]
    fn loopback_hosts() {
        for (text, loopback) in [
            ("http://127.0.0.1:8080/", true),
            ("http://127.3.2.1/", true),
            ("http://[::1]:9/", true),
            ("http://LOCALHOST:1/", true),
            ("http://localhost.evil.example/", false),
            ("http://10.0.0.5/", false),
            ("http://[::2]/", false),
            ("https://sdm.akeneo.cloud/", false),
        ] {
            assert_eq!(
                BaseUrl::parse(text).unwrap().is_loopback(),
                loopback,
                "{text}"
            );
        }
    }

    #[test]
    fn queries_are_form_encoded_and_decoded() {
        let url = endpoint_with_query(
            &BaseUrl::default(),
            &["jobs"],
            &[
                ("status", "a b&c=d"),
                ("t", "2022-01-01T00:00:00+01:00"),
                ("x", "é*-._~"),
            ],
        );
        assert_eq!(
            url.to_string(),
            "https://sdm.akeneo.cloud/api/v1/jobs/?status=a+b%26c%3Dd&t=2022-01-01T00%3A00%3A00%2B01%3A00&x=%C3%A9*-._%7E"
        );
        assert_eq!(query_param(&url, "status").as_deref(), Some("a b&c=d"));
        assert_eq!(query_param(&url, "x").as_deref(), Some("é*-._~"));
        assert_eq!(query_param(&url, "page"), None);
        let odd: Uri = "https://x.example/?flag&pa%67e=%3&page=9".parse().unwrap();
        assert_eq!(query_param(&odd, "page").as_deref(), Some("%3"));
        assert_eq!(query_param(&odd, "flag").as_deref(), Some(""));
    }
}
