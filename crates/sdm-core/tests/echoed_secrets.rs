//! The client masks its own secrets in what the server echoes: the token (and, at login, the
//! password) never reaches an error's text, whether the server repeats it in a `detail`, a field
//! error, an HTML page or a body that does not decode — cut at an excerpt's edge included.

mod common;

use std::error::Error as StdError;

use common::{JOB_ID, PASSWORD, TOKEN, block_on, client_config, job_id, response};
use insta::assert_snapshot;
use sdm_core::http::Response;
use sdm_core::ops::{CreateToken, Operation};
use sdm_core::transport::transport_fn;
use sdm_core::{AsyncClient, BlockingClient, Error, JobQuery, Password};

/// Every text a front end may show of an error: its `Display` and each cause's.
fn shown(error: &Error) -> String {
    let mut text = error.to_string();
    let mut source = StdError::source(error);
    while let Some(cause) = source {
        text.push_str("\n  caused by: ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Fails when any 6 characters of `secret` in a row appear in `text` (a secret cut at an
/// excerpt's edge must not leak either).
fn assert_masked(text: &str, secret: &str) {
    let chars: Vec<char> = secret.chars().collect();
    for window in chars.windows(6) {
        let part: String = window.iter().collect();
        assert!(
            !text.contains(&part),
            "{part:?} of the secret leaked in:\n{text}"
        );
    }
}

/// What the blocking and the async client report for `reply` to `get job` and `list jobs`.
fn both_clients(
    reply: impl Fn() -> Response<Vec<u8>> + Send + Sync + Clone + 'static,
) -> [Error; 4] {
    let transport = transport_fn(move |_| Ok(reply()));
    let blocking = BlockingClient::with_transport(client_config(), transport.clone());
    let nonblocking = AsyncClient::with_transport(client_config(), transport);
    [
        blocking.get_job(&job_id()).unwrap_err(),
        blocking.list_jobs(&JobQuery::new()).unwrap_err(),
        block_on(nonblocking.get_job(&job_id())).unwrap_err(),
        block_on(nonblocking.list_jobs(&JobQuery::new())).unwrap_err(),
    ]
}

#[test]
fn a_401_that_repeats_the_token_shows_it_redacted() {
    let errors = both_clients(|| {
        response(
            401,
            &[("www-authenticate", "Token")],
            format!(r#"{{"detail": "Invalid token: {TOKEN}."}}"#),
        )
    });
    for error in &errors {
        assert!(matches!(error, Error::Authentication(_)), "{error:?}");
        let detail = error.api_error().unwrap().detail.as_deref();
        assert_eq!(detail, Some("Invalid token: [redacted]."));
        assert_masked(&shown(error), TOKEN);
        assert_masked(&format!("{error:?}"), TOKEN);
    }
    assert_snapshot!(shown(&errors[0]));
}

#[test]
fn field_errors_that_repeat_the_token_show_it_redacted() {
    let errors = both_clients(|| {
        response(
            400,
            &[],
            format!(r#"{{"status": ["{TOKEN} is not a status"], "{TOKEN}": ["unknown filter"]}}"#),
        )
    });
    for error in &errors {
        let api = error.api_error().unwrap();
        assert_eq!(api.field_errors[0].messages, ["[redacted] is not a status"]);
        assert_eq!(api.field_errors[1].field, "[redacted]");
        assert_masked(&shown(error), TOKEN);
    }
    assert_snapshot!(shown(&errors[1]));
}

#[test]
fn an_html_page_that_repeats_the_token_is_quoted_redacted() {
    let errors = both_clients(|| {
        response(
            502,
            &[("content-type", "text/html")],
            format!(
                "<html><body><h1>502 Bad Gateway</h1><pre>Authorization: Token {TOKEN}</pre></body></html>"
            ),
        )
    });
    for error in &errors {
        assert!(error.api_error().unwrap().excerpt.is_some());
        assert_masked(&shown(error), TOKEN);
    }
    assert_snapshot!(shown(&errors[0]));
}

#[test]
fn a_token_cut_at_the_excerpts_edge_does_not_leak_either() {
    // The excerpt keeps 160 characters: each padding puts the cut somewhere inside the token.
    for padding in 130..165 {
        let errors = both_clients(move || {
            let page = format!(
                "<html>{}{TOKEN} and more after it</html>",
                "x".repeat(padding)
            );
            response(503, &[], page)
        });
        for error in &errors {
            assert_masked(&shown(error), TOKEN);
        }
    }
}

#[test]
fn a_body_that_does_not_decode_is_quoted_redacted() {
    // serde_json quotes the string it refused (`invalid type: string "…"`), and the excerpt
    // quotes the body around it.
    let errors = both_clients(|| {
        response(
            200,
            &[],
            format!(
                r#"{{"count": "{TOKEN}", "id": "{JOB_ID}", "status": {{"token": "{TOKEN}"}}}}"#
            ),
        )
    });
    for error in &errors {
        assert!(matches!(error, Error::Decode(_)), "{error:?}");
        assert_masked(&shown(error), TOKEN);
        assert_masked(&format!("{error:?}"), TOKEN);
    }
    assert_snapshot!(shown(&errors[1]));
}

#[test]
fn a_job_answer_that_names_the_token_as_its_id_is_redacted() {
    // The token is a UUID: a server that answers with it as the job's id must not print it.
    let errors = both_clients(|| {
        response(
            200,
            &[],
            format!(r#"{{"id": "{TOKEN}", "status": "done"}}"#),
        )
    });
    assert!(matches!(errors[0], Error::Decode(_)), "{:?}", errors[0]);
    assert_masked(&shown(&errors[0]), TOKEN);
    assert_masked(&shown(&errors[2]), TOKEN);
}

#[test]
fn the_password_is_redacted_in_what_login_refusals_repeat() {
    let refusal = format!(r#"{{"non_field_errors": ["No user with password {PASSWORD}."]}}"#);
    let html = format!("<html><p>login failed for password={PASSWORD}</p></html>");
    let field = format!(r#"{{"password": ["{PASSWORD} is too common"]}}"#);
    for (status, body) in [(400, refusal), (502, html), (400, field)] {
        // Driven by hand: the operation knows the password.
        let login = CreateToken::new("ana@example.com", Password::new(PASSWORD), "sdm-cli");
        let by_hand = login
            .parse(&response(status, &[], body.clone()))
            .unwrap_err();
        assert_masked(&shown(&by_hand), PASSWORD);
        // Through both clients.
        let transport = transport_fn(move |_| Ok(response(status, &[], body.clone())));
        let password = Password::new(PASSWORD);
        let blocking = BlockingClient::with_transport(client_config(), transport.clone())
            .login("ana@example.com", &password, "sdm-cli")
            .unwrap_err();
        let nonblocking = block_on(
            AsyncClient::with_transport(client_config(), transport).login(
                "ana@example.com",
                &password,
                "sdm-cli",
            ),
        )
        .unwrap_err();
        for error in [&by_hand, &blocking, &nonblocking] {
            assert_masked(&shown(error), PASSWORD);
            assert!(shown(error).contains("[redacted]"), "{error}");
        }
        if status == 400 && matches!(by_hand, Error::Authentication(_)) {
            assert_snapshot!(shown(&by_hand));
        }
    }
}
