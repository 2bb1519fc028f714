//! Job output rows over real HTTP, determinism, latency, and server lifecycle.

mod common;

use std::time::{Duration, Instant};

use common::{get, request};
use sdm_mock::{MockServer, World};
use serde_json::{Value, json};

fn jobs_with_status<'a>(server: &'a MockServer, status: &str) -> Vec<&'a Value> {
    server
        .world()
        .jobs()
        .iter()
        .filter(|j| j["status"] == status)
        .collect()
}

#[test]
fn rows_of_done_jobs_match_the_world() {
    let server = MockServer::start();
    assert_eq!(server.world().output_format_ids(), &[1, 2]);
    let mut saw_empty = false;
    let mut saw_rows = false;
    for job in jobs_with_status(&server, "done").into_iter().take(25) {
        let id = job["id"].as_str().unwrap();
        for &format in server.world().output_format_ids() {
            let resp = get(&server, &format!("jobs/{id}/data/{format}/"));
            assert_eq!(resp.status, 200);
            assert!(resp.chunked, "the body should be streamed");
            let expected = server.world().rows(id, format).unwrap();
            assert_eq!(resp.json(), Value::Array(expected.clone()));
            assert_eq!(resp.text(), serde_json::to_string(&expected).unwrap());
            saw_empty |= expected.is_empty();
            saw_rows |= !expected.is_empty();
        }
    }
    assert!(saw_empty && saw_rows);
}

#[test]
fn rows_cover_awkward_values() {
    let world = World::generate(0x5d3_2022, 300);
    let mut all = Vec::new();
    for job in world.jobs() {
        for &format in world.output_format_ids() {
            if let Some(rows) = world.rows(job["id"].as_str().unwrap(), format) {
                all.extend(rows);
            }
        }
    }
    assert!(all.len() > 1000);
    let strings: Vec<&str> = all
        .iter()
        .flat_map(|r| r.as_object().unwrap().values())
        .filter_map(Value::as_str)
        .collect();
    let any = |pred: &dyn Fn(&str) -> bool| strings.iter().any(|s| pred(s));
    assert!(any(&|s| s.contains('"')));
    assert!(any(&|s| s.contains(',')));
    assert!(any(&|s| s.contains(';')));
    assert!(any(&|s| s.contains("\r\n")));
    assert!(any(&|s| s.contains('\n') && !s.contains('\r')));
    assert!(any(&|s| s.contains('\t')));
    assert!(any(&|s| s.contains('é')));
    assert!(any(&|s| s.contains('ü')));
    assert!(any(&|s| s.contains("中文")));
    assert!(any(&|s| s.chars().any(|c| c as u32 >= 0x1F300)));
    assert!(any(&|s| s.starts_with(' ') && s.ends_with(' ')));
    let values = || all.iter().flat_map(|r| r.as_object().unwrap().values());
    assert!(values().any(Value::is_number));
    assert!(values().any(Value::is_boolean));
    assert!(values().any(Value::is_null));
    assert!(all.iter().any(|r| r.get("Désignation").is_some()));
    let key_sets: std::collections::HashSet<Vec<&String>> = all
        .iter()
        .map(|r| r.as_object().unwrap().keys().collect())
        .collect();
    assert!(key_sets.len() > 10);
}

#[test]
fn data_errors() {
    let server = MockServer::start();
    let done = jobs_with_status(&server, "done")[0]["id"].as_str().unwrap();
    let resp = get(&server, "jobs/00000000-0000-4000-8000-000000000000/data/1/");
    assert_eq!(resp.status, 404);
    assert_eq!(resp.json(), json!({"detail": "Not found."}));
    for format in ["3", "0", "abc", "-1"] {
        let resp = get(&server, &format!("jobs/{done}/data/{format}/"));
        assert_eq!(resp.status, 404, "{format}");
        assert_eq!(resp.json(), json!({"detail": "Not found."}));
    }
    for status in ["running", "error", "pending"] {
        let id = jobs_with_status(&server, status)[0]["id"].as_str().unwrap();
        let resp = get(&server, &format!("jobs/{id}/data/1/"));
        assert_eq!(resp.status, 400, "{status}");
        assert_eq!(resp.json(), json!({"detail": "Job is not finished."}));
        assert_eq!(server.world().rows(id, 1), None);
    }
    let resp = request(
        server.addr(),
        "GET",
        &format!("/api/v1/jobs/{done}/data/1/"),
        &[],
        None,
    );
    assert_eq!(resp.status, 401);
}

#[test]
fn same_seed_gives_identical_worlds_and_responses() {
    assert_eq!(World::generate(42, 300), World::generate(42, 300));
    assert_ne!(World::generate(42, 300), World::generate(43, 300));
    let a = MockServer::builder()
        .seed(42)
        .job_count(50)
        .start()
        .unwrap();
    let b = MockServer::builder()
        .seed(42)
        .job_count(50)
        .start()
        .unwrap();
    assert_eq!(a.world(), b.world());
    assert_eq!(a.token(), b.token());
    let page = |s: &MockServer| get(s, "jobs/?page=2&page_size=10").json()["results"].clone();
    assert_eq!(page(&a), page(&b));
    let id = a.world().jobs()[0]["id"].as_str().unwrap().to_owned();
    let rows = |s: &MockServer| get(s, &format!("jobs/{id}/data/1/")).body;
    assert_eq!(rows(&a), rows(&b));
}

#[test]
fn small_worlds_still_have_every_status() {
    let server = MockServer::builder().job_count(8).start().unwrap();
    for status in ["done", "running", "error", "pending"] {
        let body = get(&server, &format!("jobs/?status={status}")).json();
        assert!(body["count"].as_u64().unwrap() >= 1, "{status}");
    }
    let empty = MockServer::builder().job_count(0).start().unwrap();
    assert_eq!(
        get(&empty, "jobs/").json(),
        json!({"count": 0, "next": null, "previous": null, "results": []})
    );
}

#[test]
fn latency_is_added_to_every_response() {
    let server = MockServer::builder()
        .latency(Duration::from_millis(150))
        .start()
        .unwrap();
    let start = Instant::now();
    assert_eq!(get(&server, "jobs/?page_size=1").status, 200);
    assert_eq!(
        request(server.addr(), "GET", "/nowhere/", &[], None).status,
        404
    );
    assert!(start.elapsed() >= Duration::from_millis(300));
}

#[test]
fn latency_applies_to_concurrent_requests_in_parallel() {
    const LATENCY: Duration = Duration::from_millis(300);
    let server = MockServer::builder()
        .job_count(10)
        .latency(LATENCY)
        .start()
        .unwrap();
    let start = Instant::now();
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| get(&server, "jobs/?page_size=1").status))
            .collect();
        for thread in threads {
            assert_eq!(thread.join().unwrap(), 200);
        }
    });
    let elapsed = start.elapsed();
    assert!(elapsed >= LATENCY, "{elapsed:?}");
    // Serialized, four requests would take 1200 ms; the margin is for a busy CI machine.
    assert!(elapsed < LATENCY * 3, "{elapsed:?}");
}

#[test]
fn base_url_and_custom_address() {
    let server = MockServer::start();
    assert_eq!(
        server.base_url(),
        format!("http://127.0.0.1:{}/api/v1/", server.addr().port())
    );
    assert_ne!(server.addr().port(), 0);
    let taken = server.addr();
    assert!(MockServer::builder().addr(taken).start().is_err());
}

#[test]
fn drop_stops_the_server() {
    let server = MockServer::start();
    let addr = server.addr();
    assert_eq!(get(&server, "jobs/?page_size=1").status, 200);
    drop(server);
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[tokio::test]
async fn starts_and_stops_inside_a_tokio_runtime() {
    let server = MockServer::start();
    let addr = server.addr();
    let token = server.token().to_owned();
    let body = tokio::task::spawn_blocking(move || {
        request(
            addr,
            "GET",
            "/api/v1/jobs/?page_size=2",
            &[("Authorization", &format!("Token {token}"))],
            None,
        )
        .json()
    })
    .await
    .unwrap();
    assert_eq!(body["results"].as_array().unwrap().len(), 2);
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_client_in_a_multi_thread_runtime() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = MockServer::builder().job_count(10).start().unwrap();
    let mut stream = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let req = format!(
        "GET /api/v1/jobs/ HTTP/1.1\r\nHost: x\r\nAuthorization: Token {}\r\nConnection: close\r\n\r\n",
        server.token()
    );
    stream.write_all(req.as_bytes()).await.unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).await.unwrap();
    assert!(raw.starts_with("HTTP/1.1 200 OK\r\n"), "{raw}");
    assert!(raw.contains("\"count\":10"));
}

#[test]
fn drop_is_prompt_with_an_idle_keep_alive_connection() {
    use std::io::{Read, Write};
    let server = MockServer::start();
    let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
    let req = format!(
        "GET /api/v1/jobs/?page_size=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Token {}\r\n\r\n",
        server.token()
    );
    stream.write_all(req.as_bytes()).unwrap();
    let mut buf = [0_u8; 4096];
    let n = stream.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 200 OK"));
    let start = Instant::now();
    drop(server);
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
}
