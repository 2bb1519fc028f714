//! The URL configuration: which paths are API routes, Django style (`<uuid:job_id>`, trailing
//! slashes).

use crate::query::decode;

/// Every route lives under this prefix.
pub(crate) const PREFIX: &str = "/api/v1/";

/// A resolved API route with its path arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `auth/token/`
    Token,
    /// `jobs/`
    Jobs,
    /// `jobs/<uuid:job_id>/`
    Job(String),
    /// `jobs/<uuid:job_id>/data/<str:output_format_id>/`
    JobData(String, String),
    /// `jobs/<uuid:job_id>/download/<str:output_format_id>/`
    JobDownload(String, String),
    /// `files/`
    Files,
    /// `files/<pk>/`: any segment, as DRF routers match it; a non-integer is the view's 404.
    File(String),
    /// `projects/`
    Projects,
    /// `projects/<pk>/`, like [`Route::File`].
    Project(String),
}

impl Route {
    /// Resolves a request path (still percent-encoded, as on the wire); `None` if no route matches.
    pub(crate) fn resolve(raw_path: &str) -> Option<Route> {
        let path = decode(raw_path, false);
        let inner = path.strip_prefix(PREFIX)?.strip_suffix('/')?;
        let segments: Vec<&str> = inner.split('/').collect();
        match segments.as_slice() {
            ["auth", "token"] => Some(Route::Token),
            ["jobs"] => Some(Route::Jobs),
            ["jobs", id] if is_uuid(id) => Some(Route::Job((*id).to_owned())),
            ["jobs", id, "data", format] if is_uuid(id) && !format.is_empty() => {
                Some(Route::JobData((*id).to_owned(), (*format).to_owned()))
            }
            ["jobs", id, "download", format] if is_uuid(id) && !format.is_empty() => {
                Some(Route::JobDownload((*id).to_owned(), (*format).to_owned()))
            }
            ["files"] => Some(Route::Files),
            ["files", pk] if is_lookup(pk) => Some(Route::File((*pk).to_owned())),
            ["projects"] => Some(Route::Projects),
            ["projects", pk] if is_lookup(pk) => Some(Route::Project((*pk).to_owned())),
            _ => None,
        }
    }
}

/// Matches a DRF router's default lookup, `[^/.]+`.
fn is_lookup(s: &str) -> bool {
    !s.is_empty() && !s.contains(['/', '.'])
}

/// Matches Django's `uuid` path converter: lowercase hex in 8-4-4-4-12 groups.
fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b";

    #[test]
    fn resolves_routes() {
        assert_eq!(Route::resolve("/api/v1/auth/token/"), Some(Route::Token));
        assert_eq!(Route::resolve("/api/v1/jobs/"), Some(Route::Jobs));
        assert_eq!(
            Route::resolve(&format!("/api/v1/jobs/{ID}/")),
            Some(Route::Job(ID.into()))
        );
        assert_eq!(
            Route::resolve(&format!("/api/v1/jobs/{ID}/data/x/")),
            Some(Route::JobData(ID.into(), "x".into()))
        );
        assert_eq!(
            Route::resolve(&format!("/api/v1/jobs/{ID}/download/2/")),
            Some(Route::JobDownload(ID.into(), "2".into()))
        );
        assert_eq!(Route::resolve("/api/v1/files/"), Some(Route::Files));
        assert_eq!(
            Route::resolve("/api/v1/files/7/"),
            Some(Route::File("7".into()))
        );
        assert_eq!(
            Route::resolve("/api/v1/files/x/"),
            Some(Route::File("x".into()))
        );
        assert_eq!(Route::resolve("/api/v1/projects/"), Some(Route::Projects));
        assert_eq!(
            Route::resolve("/api/v1/projects/3/"),
            Some(Route::Project("3".into()))
        );
        for unknown in [
            "/api/v1/files",
            "/api/v1/files/1.5/",
            "/api/v1/files/1/download_parsed/",
            "/api/v1/projects//",
            "/",
            "/api/v1/",
            "/api/v1/jobs",
            "/api/v2/jobs/",
            "/api/v1/jobs/not-a-uuid/",
            "/api/v1/jobs/9F1C3A52-6D0B-4B8E-8F1E-1C2D3E4F5A6B/",
            "/api/v1/jobs//",
            "/api/v1/jobs/9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b/data//",
            "/api/v1/jobs/9f1c3a52-6d0b-4b8e-8f1e-1c2d3e4f5a6b/data/1/2/",
        ] {
            assert_eq!(Route::resolve(unknown), None, "{unknown}");
        }
    }
}
