//! Fault injection over real HTTP: what a raw client receives for each fault (status, headers,
//! body shape, how the connection ends), budgets, route targeting, run-time switching, the
//! text form, and isolation between servers.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::raw::{closing_get, dechunk_partial, exchange, header, keep_alive_get};
use common::{get, login, request};
use sdm_mock::{ErrorBody, Fault, FaultPlan, MockServer, Route};
use serde_json::{Value, json};

/// A small server with `plans`.
fn server_with(plans: impl IntoIterator<Item = FaultPlan>) -> MockServer {
    let mut builder = MockServer::builder().job_count(40);
    for plan in plans {
        builder = builder.fault(plan);
    }
    builder.start().unwrap()
}

/// The id of the first generated job, which is done and has 60 rows in format 1.
fn done_job(server: &MockServer) -> String {
    let job = &server.world().jobs()[0];
    assert_eq!(job["status"], "done");
    job["id"].as_str().unwrap().to_owned()
}

/// What the server answers to an authenticated GET: call it before setting faults.
fn healthy_body(server: &MockServer, relative: &str) -> Vec<u8> {
    let resp = get(server, relative);
    assert_eq!(resp.status, 200);
    resp.body
}

/// The address in an `http://host:port` origin.
fn origin_addr(origin: &str) -> SocketAddr {
    origin.strip_prefix("http://").unwrap().parse().unwrap()
}

#[test]
fn latency_delays_a_normal_answer() {
    let server = server_with([]);
    let expected = healthy_body(&server, "jobs/?page_size=2");
    server.set_faults(vec![FaultPlan::always(Fault::Latency(
        Duration::from_millis(300),
    ))]);
    let start = Instant::now();
    let resp = get(&server, "jobs/?page_size=2");
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body, expected);
    assert_eq!(server.faults_served(), 1);
}

#[test]
fn slow_drip_sends_the_same_body_in_pieces() {
    let pause = Duration::from_millis(15);
    let server = server_with([]);
    let id = done_job(&server);
    let expected = healthy_body(&server, &format!("jobs/{id}/"));
    let rows = healthy_body(&server, &format!("jobs/{id}/data/1/"));
    server.set_faults(vec![FaultPlan::always(Fault::SlowDrip {
        chunk_bytes: 100,
        pause,
    })]);
    // A job detail keeps its Content-Length.
    let raw = closing_get(&server, &format!("jobs/{id}/"));
    let (status, headers, body) = raw.parts().unwrap();
    assert_eq!(status, 200);
    assert_eq!(body, &expected[..]);
    assert_eq!(
        header(&headers, "content-length"),
        Some(expected.len().to_string().as_str())
    );
    let pieces = expected.len().div_ceil(100) as u32;
    assert!(pieces >= 3, "{pieces}");
    let last = *raw.arrivals.last().unwrap();
    assert!(last >= pause * (pieces - 1), "{last:?} for {pieces} pieces");
    assert!(raw.arrivals.len() >= 3, "{:?}", raw.arrivals);
    // Streamed rows stay chunked.
    let raw = closing_get(&server, &format!("jobs/{id}/data/1/"));
    let (status, headers, body) = raw.parts().unwrap();
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "transfer-encoding"), Some("chunked"));
    let (data, complete) = dechunk_partial(body);
    assert!(complete);
    assert_eq!(data, rows);
    assert_eq!(server.faults_served(), 2);
}

#[test]
fn too_many_requests_with_and_without_retry_after() {
    let server = server_with([FaultPlan::times(
        Fault::TooManyRequests {
            retry_after: Some(7),
        },
        1,
    )]);
    let resp = get(&server, "jobs/");
    assert_eq!(resp.status, 429);
    assert_eq!(resp.header("retry-after"), Some("7"));
    assert_eq!(
        resp.json(),
        json!({"detail": "Request was throttled. Expected available in 7 seconds."})
    );
    server.set_faults(vec![FaultPlan::always(Fault::TooManyRequests {
        retry_after: None,
    })]);
    // Before authentication: no token needed.
    let resp = request(server.addr(), "GET", "/api/v1/jobs/", &[], None);
    assert_eq!(resp.status, 429);
    assert_eq!(resp.header("retry-after"), None);
    assert_eq!(
        resp.json()["detail"],
        "Request was throttled. Expected available in 1 second."
    );
    assert_eq!(server.faults_served(), 2);
    assert_eq!(server.throttled_count(), 0);
}

#[test]
fn server_errors_come_as_html_json_or_nothing_whatever_the_request() {
    let server = server_with([]);
    let cases = [
        (502, ErrorBody::Html),
        (504, ErrorBody::Html),
        (503, ErrorBody::Json),
        (500, ErrorBody::Json),
        (503, ErrorBody::Empty),
    ];
    for (status, body) in cases {
        server.set_faults(vec![FaultPlan::always(Fault::ServerError { status, body })]);
        // Authenticated, anonymous, and a login POST alike.
        let responses = [
            get(&server, "jobs/"),
            request(server.addr(), "GET", "/api/v1/jobs/", &[], None),
            login(&server, "{}"),
        ];
        for resp in responses {
            assert_eq!(resp.status, status, "{body:?}");
            assert_eq!(resp.header("allow"), None, "a proxy answered, not the view");
            match body {
                ErrorBody::Html => {
                    assert_eq!(resp.header("content-type"), Some("text/html"));
                    let text = resp.text();
                    let reason = if status == 502 {
                        "502 Bad Gateway"
                    } else {
                        "504 Gateway Timeout"
                    };
                    assert!(text.contains(&format!("<h1>{reason}</h1>")), "{text}");
                    assert!(text.contains("nginx"));
                }
                ErrorBody::Json => {
                    let detail = resp.json()["detail"].as_str().unwrap().to_owned();
                    assert!(!detail.is_empty());
                }
                ErrorBody::Empty => {
                    assert_eq!(resp.header("content-type"), None);
                    assert_eq!(resp.header("content-length"), Some("0"));
                    assert!(resp.body.is_empty());
                }
                _ => unreachable!(),
            }
        }
    }
    assert_eq!(server.faults_served(), 15);
}

#[test]
fn drop_before_response_closes_without_a_byte() {
    let server = server_with([FaultPlan::always(Fault::DropBeforeResponse)]);
    // Keep-alive requests: the server closes the connection itself.
    for with_token in [true, false] {
        let raw = exchange(server.addr(), &keep_alive_get(&server, "jobs/", with_token));
        assert_eq!(raw.bytes, b"", "{:?}", String::from_utf8_lossy(&raw.bytes));
        assert_eq!(raw.error, None, "a clean EOF, not a reset");
    }
    // A POST's body is read before the connection is closed.
    let body = json!({"email": server.email(), "password": server.password(), "token_name": "x"})
        .to_string();
    let post = format!(
        "POST /api/v1/auth/token/ HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        server.addr(),
        body.len()
    );
    let raw = exchange(server.addr(), post.as_bytes());
    assert_eq!(raw.bytes, b"");
    assert_eq!(raw.error, None);
    assert_eq!(server.faults_served(), 3);
    assert_eq!(server.request_count(), 3);
}

#[test]
fn drop_mid_body_sends_the_head_and_half_the_body() {
    let server = server_with([]);
    let id = done_job(&server);
    let detail = healthy_body(&server, &format!("jobs/{id}/"));
    let rows = healthy_body(&server, &format!("jobs/{id}/data/1/"));
    server.set_faults(vec![FaultPlan::always(Fault::DropMidBody)]);

    // A Content-Length body: fewer bytes than announced, then EOF.
    let raw = exchange(
        server.addr(),
        &keep_alive_get(&server, &format!("jobs/{id}/"), true),
    );
    assert_eq!(raw.error, None);
    let (status, headers, body) = raw.parts().unwrap();
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), Some("application/json"));
    assert_eq!(
        header(&headers, "content-length"),
        Some(detail.len().to_string().as_str())
    );
    assert_eq!(body, &detail[..detail.len() / 2]);

    // A chunked body: part of it, no terminating chunk, then EOF.
    let raw = exchange(
        server.addr(),
        &keep_alive_get(&server, &format!("jobs/{id}/data/1/"), true),
    );
    assert_eq!(raw.error, None);
    let (status, headers, body) = raw.parts().unwrap();
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "transfer-encoding"), Some("chunked"));
    assert_eq!(header(&headers, "content-length"), None);
    let (data, complete) = dechunk_partial(body);
    assert!(!complete);
    assert_eq!(data, &rows[..rows.len() / 2]);

    // Whatever the status: an anonymous request gets half a 401.
    let raw = exchange(server.addr(), &keep_alive_get(&server, "jobs/", false));
    let (status, headers, body) = raw.parts().unwrap();
    assert_eq!(status, 401);
    let length: usize = header(&headers, "content-length").unwrap().parse().unwrap();
    assert_eq!(body.len(), length / 2);
    assert_eq!(server.faults_served(), 3);
}

#[test]
fn truncated_body_ends_cleanly_at_eof_without_framing() {
    let server = server_with([]);
    let full = healthy_body(&server, "jobs/?page_size=5");
    server.set_faults(vec![
        FaultPlan::always(Fault::TruncatedBody).on(Route::JobList),
    ]);
    let raw = exchange(
        server.addr(),
        &keep_alive_get(&server, "jobs/?page_size=5", true),
    );
    assert_eq!(raw.error, None);
    let (status, headers, body) = raw.parts().unwrap();
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-length"), None);
    assert_eq!(header(&headers, "transfer-encoding"), None);
    assert_eq!(header(&headers, "connection"), Some("close"));
    assert_eq!(header(&headers, "content-type"), Some("application/json"));
    assert_eq!(body, &full[..full.len() / 2]);
    assert!(serde_json::from_slice::<Value>(body).is_err());
    assert_eq!(server.faults_served(), 1);
}

#[test]
fn malformed_json_is_a_200_that_does_not_parse() {
    let server = server_with([]);
    let id = done_job(&server);
    let relatives = [
        "jobs/?page_size=3".to_owned(),
        format!("jobs/{id}/"),
        format!("jobs/{id}/data/1/"),
    ];
    let fulls: Vec<Vec<u8>> = relatives.iter().map(|r| healthy_body(&server, r)).collect();
    server.set_faults(vec![FaultPlan::always(Fault::MalformedJson)]);
    for (relative, full) in relatives.iter().zip(fulls) {
        let resp = get(&server, relative);
        assert_eq!(resp.status, 200);
        assert_eq!(resp.header("content-type"), Some("application/json"));
        assert!(resp.body.starts_with(&full[..full.len() / 2]), "{relative}");
        assert!(resp.body.ends_with(b"<<garbage>>"));
        assert!(serde_json::from_slice::<Value>(&resp.body).is_err());
    }
    let resp = get(&server, "jobs/?page_size=3");
    assert!(resp.text().starts_with("{\"count\":40,\"next\":"));
    assert_eq!(server.faults_served(), 4);
}

#[test]
fn wrongly_typed_or_missing_fields() {
    let server = server_with([FaultPlan::always(Fault::CountAsString)]);
    let id = done_job(&server);
    let list = get(&server, "jobs/?page_size=2").json();
    assert_eq!(list["count"], json!("40"));
    assert_eq!(list["results"].as_array().unwrap().len(), 2);
    // No count on a detail: unchanged and not counted.
    assert_eq!(
        get(&server, &format!("jobs/{id}/")).json()["status"],
        "done"
    );
    assert_eq!(server.faults_served(), 1);

    server.set_faults(vec![FaultPlan::always(Fault::StatusAsNumber)]);
    assert_eq!(
        get(&server, &format!("jobs/{id}/")).json()["status"],
        json!(3)
    );
    let list = get(&server, "jobs/?page_size=2").json();
    assert_eq!(list["results"][0]["status"], json!(3));
    assert!(list["results"][1]["status"].is_string());
    assert_eq!(list["count"], 40);
    assert_eq!(server.faults_served(), 3);

    server.set_faults(vec![FaultPlan::always(Fault::ResultsMissing)]);
    let list = get(&server, "jobs/?page_size=2").json();
    assert_eq!(list.get("results"), None);
    assert_eq!(list["count"], 40);
    assert!(list["next"].is_string());
    assert_eq!(server.faults_served(), 4);
}

#[test]
fn empty_ok_is_a_200_with_no_body() {
    let server = server_with([FaultPlan::always(Fault::EmptyOk)]);
    let id = done_job(&server);
    for relative in ["jobs/".to_owned(), format!("jobs/{id}/data/1/")] {
        let resp = get(&server, &relative);
        assert_eq!(resp.status, 200);
        assert_eq!(resp.header("content-length"), Some("0"));
        assert_eq!(resp.header("content-type"), Some("application/json"));
        assert!(resp.body.is_empty());
    }
    let body = json!({"email": server.email(), "password": server.password(), "token_name": "x"});
    let resp = login(&server, &body.to_string());
    assert_eq!(resp.status, 200);
    assert!(resp.body.is_empty());
    assert_eq!(server.faults_served(), 3);
}

#[test]
fn huge_row_leads_the_real_rows() {
    let server = server_with([FaultPlan::always(Fault::HugeRow { bytes: 300_000 })]);
    let id = done_job(&server);
    let resp = get(&server, &format!("jobs/{id}/data/1/"));
    assert_eq!(resp.status, 200);
    assert!(resp.chunked);
    let rows = resp.json();
    let rows = rows.as_array().unwrap();
    let huge = serde_json::to_string(&rows[0]).unwrap();
    assert!((299_000..=300_000).contains(&huge.len()), "{}", huge.len());
    assert_eq!(&rows[1..], &server.world().rows(&id, 1).unwrap()[..]);
    // Only on the data route.
    assert_eq!(get(&server, "jobs/?page_size=1").json()["count"], 40);
    assert_eq!(server.faults_served(), 1);
}

#[test]
fn redirect_points_at_another_origin_that_records_visits() {
    let server = server_with([FaultPlan::always(Fault::RedirectElsewhere)]);
    let target = server.redirect_target().to_owned();
    assert_ne!(origin_addr(&target), server.addr());
    assert_eq!(origin_addr(&target).ip(), server.addr().ip());
    let resp = get(&server, "jobs/?page=2&status=done");
    assert_eq!(resp.status, 302);
    let location = resp.header("location").unwrap().to_owned();
    assert_eq!(
        location,
        format!("{target}/api/v1/jobs/?page=2&status=done")
    );
    assert!(resp.body.is_empty());
    assert_eq!(server.redirect_target_hits(), 0);

    // Following it without credentials is seen, but nothing leaked.
    let path = location.strip_prefix(&target).unwrap();
    let resp = request(origin_addr(&target), "GET", path, &[], None);
    assert_eq!(resp.status, 404);
    assert_eq!(server.redirect_target_hits(), 1);
    assert!(!server.redirect_target_saw_token());
    // Following it with the token is caught.
    let auth = format!("Token {}", server.token());
    let resp = request(
        origin_addr(&target),
        "GET",
        path,
        &[("Authorization", &auth)],
        None,
    );
    assert_eq!(resp.status, 404);
    assert_eq!(server.redirect_target_hits(), 2);
    assert!(server.redirect_target_saw_token());
    // The token in a query string counts too.
    let other = server_with([]);
    let target = origin_addr(other.redirect_target());
    let leak = format!("/api/v1/jobs/?t={}", other.token());
    request(target, "GET", &leak, &[], None);
    assert!(other.redirect_target_saw_token());
}

#[test]
fn foreign_next_link_only_while_more_pages_exist() {
    let server = server_with([FaultPlan::always(Fault::ForeignNextLink)]);
    let page = get(&server, "jobs/?page_size=10&status=done").json();
    let next = page["next"].as_str().unwrap();
    let target = server.redirect_target();
    assert_eq!(
        next,
        format!("{target}/api/v1/jobs/?page=2&page_size=10&status=done")
    );
    assert_eq!(server.faults_served(), 1);
    let last = get(&server, "jobs/?page_size=10&page=last").json();
    assert_eq!(last["next"], Value::Null);
    assert!(
        last["previous"]
            .as_str()
            .unwrap()
            .starts_with(&format!("http://{}/", server.addr()))
    );
    assert_eq!(server.faults_served(), 1);
}

#[test]
fn times_limits_a_plan_then_the_server_is_healthy() {
    let server = server_with([FaultPlan::times(
        Fault::ServerError {
            status: 503,
            body: ErrorBody::Json,
        },
        2,
    )]);
    let statuses: Vec<u16> = (0..4).map(|_| get(&server, "jobs/").status).collect();
    assert_eq!(statuses, [503, 503, 200, 200]);
    assert_eq!(server.faults_served(), 2);

    // Plans are checked in order; a spent plan lets the next one through.
    server.set_faults(vec![
        FaultPlan::times(Fault::EmptyOk, 1).on(Route::JobList),
        FaultPlan::times(Fault::TooManyRequests { retry_after: None }, 1),
    ]);
    let id = done_job(&server);
    // A detail does not match the first plan: the second one serves it.
    assert_eq!(get(&server, &format!("jobs/{id}/")).status, 429);
    assert!(get(&server, "jobs/").body.is_empty());
    assert_eq!(get(&server, "jobs/").json()["count"], 40);
    assert_eq!(get(&server, &format!("jobs/{id}/")).status, 200);
    assert_eq!(server.faults_served(), 4);
}

#[test]
fn a_request_a_fault_leaves_alone_does_not_use_its_budget() {
    let server = server_with([FaultPlan::times(Fault::CountAsString, 1)]);
    // Unauthenticated, invalid, HEAD, or another route: answered normally.
    assert_eq!(
        request(server.addr(), "GET", "/api/v1/jobs/", &[], None).status,
        401
    );
    assert_eq!(get(&server, "jobs/?page=99").status, 404);
    let auth = format!("Token {}", server.token());
    let head = request(
        server.addr(),
        "HEAD",
        "/api/v1/jobs/",
        &[("Authorization", &auth)],
        None,
    );
    assert_eq!(head.status, 200);
    assert_eq!(
        get(&server, &format!("jobs/{}/", done_job(&server))).status,
        200
    );
    assert_eq!(server.faults_served(), 0);
    assert_eq!(get(&server, "jobs/").json()["count"], "40");
    assert_eq!(get(&server, "jobs/").json()["count"], 40);
    assert_eq!(server.faults_served(), 1);
}

#[test]
fn routes_target_their_requests_only() {
    let server = server_with([]);
    let id = done_job(&server);
    let paths = [
        ("token", "/api/v1/auth/token/"),
        ("list", "/api/v1/jobs/"),
        ("detail", &format!("/api/v1/jobs/{id}/")),
        ("data", &format!("/api/v1/jobs/{id}/data/1/")),
        ("none", "/api/v1/nowhere/"),
    ];
    let auth = format!("Token {}", server.token());
    for (route, name) in [
        (Route::Token, "token"),
        (Route::JobList, "list"),
        (Route::JobDetail, "detail"),
        (Route::JobData, "data"),
        (Route::Any, "any"),
    ] {
        server.set_faults(vec![
            FaultPlan::always(Fault::ServerError {
                status: 504,
                body: ErrorBody::Empty,
            })
            .on(route),
        ]);
        for (path_name, path) in paths {
            let method = if path_name == "token" { "POST" } else { "GET" };
            let resp = request(
                server.addr(),
                method,
                path,
                &[("Authorization", &auth)],
                None,
            );
            let faulted = name == "any" || name == path_name;
            assert_eq!(resp.status == 504, faulted, "{name} on {path_name}");
        }
    }
}

#[test]
fn faults_switch_at_run_time_from_any_handle() {
    let server = server_with([]);
    assert_eq!(get(&server, "jobs/").status, 200);
    let control = server.control();
    control.set_faults(vec![
        FaultPlan::always(Fault::ServerError {
            status: 500,
            body: ErrorBody::Html,
        })
        .on(Route::JobList),
    ]);
    assert_eq!(get(&server, "jobs/").status, 500);
    assert_eq!(control.faults_served(), 1);
    server.clear_faults();
    assert_eq!(get(&server, "jobs/").status, 200);
    // A hook can switch faults between pages.
    let server = MockServer::builder()
        .job_count(40)
        .on_list_page(|control, page| {
            if page == 1 {
                control.set_faults(vec![FaultPlan::times(Fault::DropBeforeResponse, 1)]);
            }
        })
        .start()
        .unwrap();
    assert_eq!(get(&server, "jobs/?page_size=10").status, 200);
    let raw = closing_get(&server, "jobs/?page_size=10&page=2");
    assert!(raw.bytes.is_empty());
    assert_eq!(get(&server, "jobs/?page_size=10&page=2").status, 200);
}

#[test]
fn faults_do_not_leak_across_servers() {
    let faulty = server_with([FaultPlan::always(Fault::ServerError {
        status: 502,
        body: ErrorBody::Html,
    })]);
    let healthy = server_with([]);
    assert_eq!(get(&faulty, "jobs/").status, 502);
    assert_eq!(get(&healthy, "jobs/").status, 200);
    healthy.set_faults(vec![FaultPlan::always(Fault::EmptyOk)]);
    assert_eq!(get(&faulty, "jobs/").status, 502);
    assert!(get(&healthy, "jobs/").body.is_empty());
    faulty.clear_faults();
    assert_eq!(get(&faulty, "jobs/").status, 200);
    assert!(get(&healthy, "jobs/").body.is_empty());
    assert_eq!(faulty.faults_served(), 2);
    assert_eq!(healthy.faults_served(), 2);
    assert_ne!(faulty.redirect_target(), healthy.redirect_target());
    let fresh = server_with([]);
    assert_eq!(get(&fresh, "jobs/").status, 200);
    assert_eq!(fresh.faults_served(), 0);
}

#[test]
fn every_fault_name_parses_round_trips_and_is_served() {
    let server = server_with([]);
    let id = done_job(&server);
    let paths = [
        "jobs/?page_size=2".to_owned(),
        // `404-page` faults page 2 only.
        "jobs/?page=2&page_size=2".to_owned(),
        format!("jobs/{id}/"),
        format!("jobs/{id}/data/1/"),
    ];
    for name in Fault::names() {
        let plan = Fault::parse(name).unwrap();
        assert_eq!(
            plan,
            plan.to_string().parse::<FaultPlan>().unwrap(),
            "{name}"
        );
        let suffixed = Fault::parse(&format!("{name}@listx2")).unwrap();
        assert_eq!(suffixed.route, Route::JobList);
        assert_eq!(suffixed.times, Some(2));
        assert_eq!(Fault::parse(&suffixed.to_string()).unwrap(), suffixed);
        // Keep the slow ones quick: no default huge row or drip here.
        let plan = match plan.fault {
            Fault::HugeRow { .. } => FaultPlan::always(Fault::HugeRow { bytes: 1000 }),
            Fault::SlowDrip { .. } => FaultPlan::always(Fault::SlowDrip {
                chunk_bytes: 4096,
                pause: Duration::from_millis(1),
            }),
            _ => plan,
        };
        server.set_faults(vec![plan]);
        let before = server.faults_served();
        for path in &paths {
            closing_get(&server, path);
        }
        assert!(server.faults_served() > before, "{name} was never served");
    }
}
