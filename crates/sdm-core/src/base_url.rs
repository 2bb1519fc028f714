//! The API's base URL, and the URLs of endpoints under it.

use std::fmt;

use url::Url;

use crate::error::InvalidInput;

/// The base URL of the production SDM API.
pub const DEFAULT_BASE_URL: &str = "https://sdm.akeneo.cloud/api/v1/";

/// Where the API lives, e.g. `https://sdm.akeneo.cloud/api/v1/`.
///
/// Accepted with or without a trailing slash and with any path prefix; stored with the slash so
/// endpoint paths are appended under it, never in place of its last segment.
#[derive(Clone, PartialEq, Eq)]
pub struct BaseUrl(Url);

impl BaseUrl {
    /// Parses and checks a base URL: absolute `http` or `https`, no credentials, query or fragment.
    pub fn parse(text: &str) -> Result<Self, InvalidInput> {
        let invalid = |reason: String| InvalidInput::new("base URL", reason);
        let mut url = Url::parse(text.trim())
            .map_err(|e| invalid(format!("{text:?} is not an absolute URL ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid(format!(
                "{text:?} must start with https:// or http://"
            )));
        }
        if url.host().is_none() {
            return Err(invalid(format!("{text:?} has no host")));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(invalid(
                "credentials do not belong in the URL; pass a token".into(),
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(invalid(format!(
                "{text:?} must not have a query or a fragment"
            )));
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(Self(url))
    }

    /// The URL of an endpoint: the base path, then `segments`, then a trailing slash.
    ///
    /// Each segment is percent-encoded as one path segment, so no value can add or remove path
    /// levels (ids are validated before they get here as well).
    pub fn endpoint(&self, segments: &[&str]) -> Url {
        let mut url = self.0.clone();
        {
            let mut path = url
                .path_segments_mut()
                .expect("http(s) URLs always have a path");
            path.pop_if_empty();
            path.extend(segments);
            path.push("");
        }
        url
    }

    /// True when `url` has the same scheme, host and port: only such URLs may receive the token.
    pub fn same_origin(&self, url: &Url) -> bool {
        self.0.origin() == url.origin()
    }

    /// The base URL as a `Url`.
    pub fn as_url(&self) -> &Url {
        &self.0
    }

    /// The base URL as text, with its trailing slash.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
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
            assert_eq!(url.as_str(), expected, "base {base}");
        }
        let url = BaseUrl::default().endpoint(&["jobs", "a/../b c", "data", "1"]);
        assert_eq!(
            url.as_str(),
            "https://sdm.akeneo.cloud/api/v1/jobs/a%2F..%2Fb%20c/data/1/"
        );
    }

    #[test]
    fn bad_base_urls_are_refused() {
        for bad in [
            "sdm.akeneo.cloud/api/v1",
            "ftp://sdm.akeneo.cloud/",
            "https://user:pw@sdm.akeneo.cloud/",
            "https://sdm.akeneo.cloud/api/v1/?x=1",
            "https://sdm.akeneo.cloud/api/v1/#top",
            "",
        ] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let base = BaseUrl::parse("https://sdm.akeneo.cloud/api/v1").unwrap();
        let same = Url::parse("https://sdm.akeneo.cloud:443/api/v1/jobs/?page=2").unwrap();
        assert!(base.same_origin(&same));
        for other in [
            "http://sdm.akeneo.cloud/api/v1/jobs/?page=2",
            "https://evil.example/api/v1/jobs/?page=2",
            "https://sdm.akeneo.cloud:8443/api/v1/jobs/",
            "https://sdm.akeneo.cloud.evil.example/api/v1/jobs/",
        ] {
            assert!(!base.same_origin(&Url::parse(other).unwrap()), "{other}");
        }
    }
}
