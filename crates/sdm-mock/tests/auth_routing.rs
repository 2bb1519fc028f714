//! Authentication, login, trailing slashes, unknown paths and wrong methods.

mod common;

use common::{get, login, request};
use sdm_mock::MockServer;
use serde_json::json;

fn job_id(server: &MockServer) -> String {
    server.world().jobs()[0]["id"].as_str().unwrap().to_owned()
}

#[test]
fn missing_token_is_401_with_drf_body_and_header() {
    let server = MockServer::start();
    let resp = request(server.addr(), "GET", "/api/v1/jobs/", &[], None);
    assert_eq!(resp.status, 401);
    assert_eq!(resp.header("www-authenticate"), Some("Token"));
    assert_eq!(
        resp.json(),
        json!({"detail": "Authentication credentials were not provided."})
    );
    // Another scheme counts as no credentials, as in DRF.
    let resp = request(
        server.addr(),
        "GET",
        "/api/v1/jobs/",
        &[("Authorization", &format!("Bearer {}", server.token()))],
        None,
    );
    assert_eq!(resp.status, 401);
    assert_eq!(
        resp.json()["detail"],
        "Authentication credentials were not provided."
    );
}

#[test]
fn wrong_token_is_401_invalid_token() {
    let server = MockServer::start();
    let path = format!("/api/v1/jobs/{}/", job_id(&server));
    for header in [
        "Token 00000000-0000-4000-8000-000000000000",
        "token not-a-token",
    ] {
        let resp = request(
            server.addr(),
            "GET",
            &path,
            &[("Authorization", header)],
            None,
        );
        assert_eq!(resp.status, 401, "{header}");
        assert_eq!(resp.header("www-authenticate"), Some("Token"));
        assert_eq!(resp.json(), json!({"detail": "Invalid token."}));
    }
    let resp = request(
        server.addr(),
        "GET",
        &path,
        &[("Authorization", "Token")],
        None,
    );
    assert_eq!(resp.status, 401);
    assert_eq!(
        resp.json()["detail"],
        "Invalid token header. No credentials provided."
    );
}

#[test]
fn token_looks_like_a_uuid_v4() {
    let server = MockServer::start();
    let token = server.token();
    assert_eq!(token.len(), 36);
    assert_eq!(&token[14..15], "4");
    assert!(
        token
            .chars()
            .all(|c| c == '-' || c.is_ascii_digit() || ('a'..='f').contains(&c))
    );
    let debug = format!("{server:?}");
    assert!(!debug.contains(token), "{debug}");
    assert!(!debug.contains(server.password()), "{debug}");
    assert!(debug.contains(server.base_url()));
}

#[test]
fn login_returns_stable_usable_tokens() {
    let server = MockServer::start();
    let body = |name: &str| {
        json!({"email": server.email(), "password": server.password(), "token_name": name})
            .to_string()
    };
    let first = login(&server, &body("ci"));
    assert_eq!(first.status, 200);
    let key = first.json()["key"].as_str().unwrap().to_owned();
    assert_eq!(key.len(), 36);
    assert_eq!(first.json().as_object().unwrap().len(), 1);
    assert_eq!(login(&server, &body("ci")).json()["key"], key.as_str());
    let other = login(&server, &body("laptop")).json()["key"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(other, key);
    assert_eq!(
        login(&server, &body("sdm-mock")).json()["key"],
        server.token()
    );

    for token in [&key, &other] {
        let resp = request(
            server.addr(),
            "GET",
            "/api/v1/jobs/?page_size=1",
            &[("Authorization", &format!("Token {token}"))],
            None,
        );
        assert_eq!(resp.status, 200);
        assert_eq!(resp.json()["count"], 300);
    }
}

#[test]
fn login_with_bad_credentials_is_400_non_field_errors() {
    let server = MockServer::start();
    for (email, password) in [
        (server.email(), "wrong"),
        ("someone@example.com", server.password()),
    ] {
        let body = json!({"email": email, "password": password, "token_name": "x"});
        let resp = login(&server, &body.to_string());
        assert_eq!(resp.status, 400);
        assert_eq!(
            resp.json(),
            json!({"non_field_errors": ["Unable to log in with provided credentials."]})
        );
    }
}

#[test]
fn login_field_errors_name_every_bad_field() {
    let server = MockServer::start();
    let resp = login(&server, &json!({"password": server.password()}).to_string());
    assert_eq!(resp.status, 400);
    assert_eq!(
        resp.json(),
        json!({"email": ["This field is required."], "token_name": ["This field is required."]})
    );
    let body = json!({"email": "", "password": null, "token_name": ["x"]});
    assert_eq!(
        login(&server, &body.to_string()).json(),
        json!({
            "email": ["This field may not be blank."],
            "password": ["This field may not be null."],
            "token_name": ["Not a valid string."],
        })
    );
    // No body: no data at all.
    let resp = request(server.addr(), "POST", "/api/v1/auth/token/", &[], None);
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json().as_object().unwrap().len(), 3);
    assert_eq!(
        login(&server, "[1, 2]").json(),
        json!({"non_field_errors": ["Invalid data. Expected a dictionary."]})
    );
}

#[test]
fn login_with_malformed_json_is_400_parse_error() {
    let server = MockServer::start();
    let resp = login(&server, "{\"email\": ");
    assert_eq!(resp.status, 400);
    let detail = resp.json()["detail"].as_str().unwrap().to_owned();
    assert!(detail.starts_with("JSON parse error - "), "{detail}");
}

#[test]
fn a_path_without_its_trailing_slash_is_not_found() {
    let server = MockServer::start();
    let id = job_id(&server);
    for (method, path) in [
        ("GET", "/api/v1/jobs".to_owned()),
        ("GET", "/api/v1/jobs?status=done&page=2".to_owned()),
        ("GET", format!("/api/v1/jobs/{id}")),
        ("GET", format!("/api/v1/jobs/{id}/data/1")),
        ("POST", "/api/v1/auth/token".to_owned()),
    ] {
        let resp = request(server.addr(), method, &path, &[], None);
        assert_eq!(resp.status, 404, "{method} {path}");
        assert_eq!(resp.header("location"), None, "{path}");
        assert_eq!(
            resp.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{path}"
        );
    }
}

#[test]
fn unknown_paths_are_django_html_404() {
    let server = MockServer::start();
    for path in [
        "/",
        "/api/v1/",
        "/api/v1/nowhere/",
        "/api/v1/jobs/not-a-uuid/",
        "/api/v1/jobs/12345/",
        "/api/v1/jobs/9F1C3A52-6D0B-4B8E-8F1E-1C2D3E4F5A6B/",
        "/api/v1/jobs/not-a-uuid",
        "/api/v2/jobs/",
    ] {
        let resp = get_raw(&server, path);
        assert_eq!(resp.status, 404, "{path}");
        assert_eq!(
            resp.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{path}"
        );
        assert!(resp.text().contains("<h1>Not Found</h1>"), "{path}");
    }
}

fn get_raw(server: &MockServer, path: &str) -> common::Resp {
    let auth = format!("Token {}", server.token());
    request(
        server.addr(),
        "GET",
        path,
        &[("Authorization", &auth)],
        None,
    )
}

#[test]
fn wrong_method_is_405_after_authentication() {
    let server = MockServer::start();
    let auth = format!("Token {}", server.token());
    let id = job_id(&server);
    for (method, path) in [
        ("PUT", format!("/api/v1/jobs/{id}/")),
        ("DELETE", "/api/v1/jobs/".to_owned()),
        ("POST", format!("/api/v1/jobs/{id}/data/1/")),
    ] {
        let resp = request(
            server.addr(),
            method,
            &path,
            &[("Authorization", &auth)],
            Some(b""),
        );
        assert_eq!(resp.status, 405, "{method} {path}");
        assert_eq!(
            resp.json(),
            json!({"detail": format!("Method \"{method}\" not allowed.")})
        );
        // Without a token DRF refuses before looking at the method.
        let resp = request(server.addr(), method, &path, &[], Some(b""));
        assert_eq!(resp.status, 401);
    }
    let resp = request(server.addr(), "GET", "/api/v1/auth/token/", &[], None);
    assert_eq!(resp.status, 405);
    assert_eq!(
        resp.json(),
        json!({"detail": "Method \"GET\" not allowed."})
    );
}

#[test]
fn head_is_answered_and_options_is_not_a_view() {
    let server = MockServer::start();
    let auth = format!("Token {}", server.token());
    let resp = request(
        server.addr(),
        "HEAD",
        "/api/v1/jobs/",
        &[("Authorization", &auth)],
        None,
    );
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("application/json"));
    let resp = request(
        server.addr(),
        "OPTIONS",
        "/api/v1/jobs/",
        &[("Authorization", &auth)],
        None,
    );
    assert_eq!(resp.status, 405);
    assert_eq!(get(&server, "jobs/?page_size=1").status, 200);
}
