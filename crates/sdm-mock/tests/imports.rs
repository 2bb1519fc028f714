//! The import flow over real HTTP: uploads (multipart and JSON rows) and their parsing, job
//! creation on projects, downloads, projects, the faults of these routes, and the records of
//! what the server received.

mod common;

use std::time::Duration;

use common::raw::{exchange, header};
use common::upload::{BOUNDARY, Part, multipart, multipart_type, post, post_json, upload_csv};
use common::{Resp, get, request};
use sdm_mock::{Fault, FaultPlan, MockServer, Route, Status, fnv1a64};
use serde_json::{Value, json};

/// Long enough never to pass during a test.
const FOREVER: Duration = Duration::from_secs(3600);

/// A server whose files are parsed and created jobs done at once.
fn instant_server() -> MockServer {
    MockServer::builder()
        .job_count(40)
        .parse_for(Duration::ZERO)
        .created_jobs_run_for(Duration::ZERO)
        .start()
        .unwrap()
}

/// The CSV used by most tests: `;`-separated, with empty cells and a quoted field.
const CSV: &[u8] = b"sku;name;price;color\r\nA-1;Chaise \"pro\";12,5;\r\nB-2;;3;blue\r\nC-3;\"two\nlines; and more\";;\r\n";

/// Its rows as the data endpoint serves them: empty cells left out.
fn csv_rows() -> Value {
    json!([
        {"sku": "A-1", "name": "Chaise \"pro\"", "price": "12,5"},
        {"sku": "B-2", "price": "3", "color": "blue"},
        {"sku": "C-3", "name": "two\nlines; and more"},
    ])
}

/// Uploads [`CSV`] and returns the file id (asserting a 201).
fn uploaded(server: &MockServer) -> u64 {
    let resp = upload_csv(server, "products.csv", CSV, None);
    assert_eq!(resp.status, 201, "{}", resp.text());
    resp.json()["id"].as_u64().unwrap()
}

/// Creates a job from `file_id` on `project`; returns the response.
fn create_job(server: &MockServer, file_id: u64, name: &str, project: u64) -> Resp {
    post_json(
        server,
        "jobs/",
        &json!({"file_id": file_id, "name": name, "project": project, "model_version": 0}),
    )
}

fn is_microsecond_utc(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 27
        && b[10] == b'T'
        && b[19] == b'.'
        && b[26] == b'Z'
        && chrono::DateTime::parse_from_rfc3339(text).is_ok()
}

#[test]
fn multipart_upload_is_created_parsing_then_ready() {
    let server = MockServer::builder().parse_for(FOREVER).start().unwrap();
    let body = multipart(&[Part::File("products.csv", CSV)]);
    let resp = post(&server, "files/", Some(&multipart_type()), &body);
    assert_eq!(resp.status, 201);
    let file = resp.json();
    let keys: Vec<&str> = file
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "name",
            "status",
            "parsing_error",
            "skip_lines",
            "creation_date"
        ]
    );
    assert_eq!(file["id"], 1);
    assert_eq!(file["name"], "products.csv");
    assert_eq!(file["status"], "parsing");
    assert_eq!(file["parsing_error"], Value::Null);
    assert_eq!(file["skip_lines"], 0);
    assert!(is_microsecond_utc(file["creation_date"].as_str().unwrap()));
    assert_eq!(get(&server, "files/1/").json(), file);
    let second = upload_csv(&server, "other.csv", CSV, Some("0")).json();
    assert_eq!(second["id"], 2);
    assert_eq!(server.files_snapshot(), [file, second]);

    let server = instant_server();
    let id = uploaded(&server);
    let file = get(&server, &format!("files/{id}/")).json();
    assert_eq!(file["status"], "ready");
    assert_eq!(file["parsing_error"], Value::Null);
}

#[test]
fn file_detail_is_404_for_unknown_or_non_integer_ids() {
    let server = instant_server();
    uploaded(&server);
    for path in ["files/2/", "files/0/", "files/abc/", "files/-1/"] {
        let resp = get(&server, path);
        assert_eq!(resp.status, 404, "{path}");
        assert_eq!(resp.json(), json!({"detail": "Not found."}), "{path}");
    }
    assert_eq!(get(&server, "files/1/").status, 200);
}

#[test]
fn parsing_errors_show_once_parsing_is_over() {
    let server = instant_server();
    let cases: [(&[u8], Option<&str>, Option<&str>); 5] = [
        (b"\r\n\r\n", None, Some("The file has no header line.")),
        (
            b"title\nsku,ean\n",
            Some("2"),
            Some("The file has no header line."),
        ),
        (b"Export of Monday\nsku|ean\nA|1\n", Some("1"), None),
        (b"sku\n", None, None),
        (b"PK\x03\x04 not really a workbook", None, None),
    ];
    for (n, (csv, skip, error)) in cases.into_iter().enumerate() {
        let name = if n == 4 { "book.xlsx" } else { "f.csv" };
        let resp = upload_csv(&server, name, csv, skip);
        assert_eq!(resp.status, 201, "{n}: {}", resp.text());
        let file = get(&server, &format!("files/{}/", resp.json()["id"])).json();
        let expected_status = if error.is_some() { "error" } else { "ready" };
        assert_eq!(file["status"], expected_status, "{n}");
        assert_eq!(file["parsing_error"], json!(error), "{n}");
        assert_eq!(
            file["skip_lines"],
            skip.map_or(0, |s| s.parse().unwrap()),
            "{n}"
        );
    }
}

#[test]
fn more_than_800000_cells_is_a_parsing_error_empty_cells_included() {
    let server = instant_server();
    let within = format!("a,b,c,d,e\n{}", ",,,,\n".repeat(160_000));
    let over = format!("{within}x\n");
    let ids: Vec<u64> = [within, over]
        .iter()
        .map(|csv| {
            upload_csv(&server, "big.csv", csv.as_bytes(), None).json()["id"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(
        get(&server, &format!("files/{}/", ids[0])).json()["status"],
        "ready"
    );
    let over = get(&server, &format!("files/{}/", ids[1])).json();
    assert_eq!(over["status"], "error");
    assert_eq!(
        over["parsing_error"],
        "The file has more than 800000 cells (rows × columns)."
    );
}

#[test]
fn upload_errors_are_drf_bodies() {
    let server = instant_server();
    let ct = multipart_type();
    let cases: Vec<(Option<&str>, Vec<u8>, u16, Value)> = vec![
        (
            Some(&ct),
            multipart(&[Part::Text("skip_lines", "1")]),
            400,
            json!({"file": ["No file was submitted."]}),
        ),
        (
            Some(&ct),
            multipart(&[Part::File("empty.csv", b"")]),
            400,
            json!({"file": ["The submitted file is empty."]}),
        ),
        (
            Some(&ct),
            multipart(&[Part::File("a.csv", CSV), Part::Text("skip_lines", "two")]),
            400,
            json!({"skip_lines": ["A valid integer is required."]}),
        ),
        (
            Some("multipart/form-data"),
            multipart(&[Part::File("a.csv", CSV)]),
            400,
            json!({"detail": "Multipart form parse error - Invalid boundary in multipart: None"}),
        ),
        (
            Some(&ct),
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\ncut short")
                .into_bytes(),
            400,
            json!({"detail": "Multipart form parse error - Invalid boundary in multipart: None"}),
        ),
        (
            Some("application/json"),
            br#"{"rows": []}"#.to_vec(),
            400,
            json!({"data": ["This field is required."]}),
        ),
        (
            Some("application/json"),
            br#"{"data": {"sku": "A"}}"#.to_vec(),
            400,
            json!({"data": ["Expected a list of items but got type \"dict\"."]}),
        ),
        (
            Some("text/plain"),
            b"sku\nA\n".to_vec(),
            415,
            json!({"detail": "Unsupported media type \"text/plain\" in request."}),
        ),
    ];
    for (n, (content_type, body, status, expected)) in cases.into_iter().enumerate() {
        let resp = post(&server, "files/", content_type, &body);
        assert_eq!(resp.status, status, "case {n}: {}", resp.text());
        assert_eq!(resp.json(), expected, "case {n}");
    }
    let resp = post(&server, "files/", Some("application/json"), b"{\"data\": [");
    assert_eq!(resp.status, 400);
    assert!(
        resp.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("JSON parse error - "),
        "{}",
        resp.text()
    );
    assert!(server.files_snapshot().is_empty());
    // Unauthenticated uploads are refused before anything else.
    let resp = request(
        server.addr(),
        "POST",
        "/api/v1/files/",
        &[("Content-Type", &ct)],
        Some(&multipart(&[Part::File("a.csv", CSV)])),
    );
    assert_eq!(resp.status, 401);
    assert!(server.files_snapshot().is_empty());
    assert_eq!(get(&server, "files/").status, 405);
}

#[test]
fn chunked_uploads_are_refused_with_411() {
    let server = instant_server();
    let body = multipart(&[Part::File("a.csv", CSV)]);
    let mut raw = format!(
        "POST /api/v1/files/ HTTP/1.1\r\nHost: {}\r\nAuthorization: Token {}\r\nContent-Type: {}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n",
        server.addr(),
        server.token(),
        multipart_type(),
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(&body);
    raw.extend_from_slice(b"\r\n0\r\n\r\n");
    let answer = exchange(server.addr(), &raw);
    let (status, headers, body) = answer.parts().expect("a response");
    assert_eq!(status, 411);
    assert_eq!(header(&headers, "content-type"), Some("application/json"));
    assert_eq!(
        serde_json::from_slice::<Value>(body).unwrap(),
        json!({"detail": "Length required."})
    );
    assert!(server.files_snapshot().is_empty());
}

#[test]
fn json_rows_upload_is_ready_with_those_rows() {
    let server = instant_server();
    let rows = json!([{"sku": "A", "name": "", "price": 3}, {"sku": "B", "extra": null}]);
    let resp = post_json(&server, "files/", &json!({ "data": rows }));
    assert_eq!(resp.status, 201, "{}", resp.text());
    let file = resp.json();
    assert_eq!(file["name"], "data.json");
    assert_eq!(file["skip_lines"], 0);
    let id = file["id"].as_u64().unwrap();
    assert_eq!(
        get(&server, &format!("files/{id}/")).json()["status"],
        "ready"
    );
    let job = create_job(&server, id, "From JSON", 1).json();
    let data = get(
        &server,
        &format!("jobs/{}/data/1/", job["id"].as_str().unwrap()),
    )
    .json();
    assert_eq!(data, json!([{"sku": "A", "price": 3}, {"sku": "B"}]));
}

#[test]
fn created_job_runs_then_serves_exactly_the_uploaded_rows() {
    let server = instant_server();
    let file_id = uploaded(&server);
    let resp = create_job(&server, file_id, "Import products", 2);
    assert_eq!(resp.status, 201, "{}", resp.text());
    let job = resp.json();
    let id = job["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 36);
    assert_eq!(job["name"], "Import products");
    assert_eq!(job["project"], 2);
    assert_eq!(job["file"], json!({"id": file_id}));
    assert!(job["step"]["id"].is_u64() && job["creation_date"].is_string());
    for key in ["status", "message", "completion_date", "model_version"] {
        assert!(job.get(key).is_some(), "{key}");
    }
    let detail = get(&server, &format!("jobs/{id}/")).json();
    assert_eq!(detail["status"], "done");
    assert_eq!(detail["step"]["number"], 5);
    let list = get(&server, "jobs/?page_size=1").json();
    assert_eq!(list["results"][0]["id"], id.as_str());
    assert_eq!(list["count"], 41);
    assert!(
        server
            .jobs_snapshot()
            .iter()
            .any(|j| j["id"] == id.as_str())
    );
    for format in [1, 2] {
        let data = get(&server, &format!("jobs/{id}/data/{format}/"));
        assert_eq!(data.status, 200);
        assert_eq!(data.json(), csv_rows(), "format {format}");
    }
    assert_eq!(get(&server, &format!("jobs/{id}/data/3/")).status, 404);
    let rows: Vec<Value> = server.job_rows(&id, 1).unwrap().collect();
    assert_eq!(Value::Array(rows), csv_rows());
}

#[test]
fn created_jobs_run_for_a_while_and_end_in_their_projects_outcome() {
    let server = MockServer::builder()
        .parse_for(Duration::ZERO)
        .created_jobs_run_for(FOREVER)
        .start()
        .unwrap();
    let file_id = uploaded(&server);
    let job = create_job(&server, file_id, "Slow", 1).json();
    let id = job["id"].as_str().unwrap();
    assert_eq!(job["status"], "running");
    assert_eq!(
        get(&server, &format!("jobs/{id}/")).json()["status"],
        "running"
    );
    let data = get(&server, &format!("jobs/{id}/data/1/"));
    let download = get(&server, &format!("jobs/{id}/download/1/"));
    assert_eq!(data.status, 400);
    assert_eq!(
        (download.status, download.json()),
        (data.status, data.json())
    );

    let server = instant_server();
    let file_id = uploaded(&server);
    server.set_project_outcome(3, Status::Error);
    server.set_project_outcome(4, Status::Pending);
    for (project, status) in [(3, "error"), (4, "pending"), (5, "done")] {
        let job = create_job(&server, file_id, "Outcome", project).json();
        let detail = get(&server, &format!("jobs/{}/", job["id"].as_str().unwrap())).json();
        assert_eq!(detail["status"], status, "project {project}");
        if status == "error" {
            assert!(detail["message"].is_string());
        }
    }
}

#[test]
fn job_creation_errors_are_drf_bodies() {
    let server = MockServer::builder()
        .parse_for(Duration::ZERO)
        .start()
        .unwrap();
    let ready = uploaded(&server);
    let failed = upload_csv(&server, "empty.csv", b"\n", None).json()["id"]
        .as_u64()
        .unwrap();
    let slow = MockServer::builder().parse_for(FOREVER).start().unwrap();
    let parsing = uploaded(&slow);
    let cases = [
        (
            json!({"file_id": ready, "project": 1}),
            json!({"name": ["This field is required."]}),
        ),
        (
            json!({}),
            json!({
                "file_id": ["This field is required."],
                "name": ["This field is required."],
                "project": ["This field is required."]
            }),
        ),
        (
            json!({"file_id": ready, "name": "x", "project": 5_i64 + 2}),
            json!({"project": ["Invalid pk \"7\" - object does not exist."]}),
        ),
        (
            json!({"file_id": 9, "name": "x", "project": 1}),
            json!({"file_id": ["Invalid pk \"9\" - object does not exist."]}),
        ),
        (
            json!({"file_id": failed, "name": "x", "project": 1}),
            json!({"file_id": ["The file is not ready (status: error)."]}),
        ),
        (
            json!({"file_id": ready, "name": "x", "project": "1"}),
            json!({"project": ["Incorrect type. Expected pk value, received str."]}),
        ),
        (
            json!({"file_id": [ready], "name": "", "project": 1}),
            json!({
                "file_id": ["Incorrect type. Expected pk value, received list."],
                "name": ["This field may not be blank."]
            }),
        ),
    ];
    for (body, expected) in cases {
        let resp = post_json(&server, "jobs/", &body);
        assert_eq!(resp.status, 400, "{body}");
        assert_eq!(resp.json(), expected, "{body}");
    }
    let resp = create_job(&slow, parsing, "x", 1);
    assert_eq!(
        (resp.status, resp.json()),
        (
            400,
            json!({"file_id": ["The file is not ready (status: parsing)."]})
        )
    );
    let resp = post(&server, "jobs/", Some("text/plain"), b"{}");
    assert_eq!(resp.status, 415);
    assert_eq!(
        resp.json(),
        json!({"detail": "Unsupported media type \"text/plain\" in request."})
    );
    let resp = post(&server, "jobs/", Some("application/json"), b"{\"name\":");
    assert_eq!(resp.status, 400);
    assert!(
        resp.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("JSON parse error - ")
    );
    assert_eq!(server.jobs_snapshot().len(), server.world().jobs().len());
}

/// The CSV a download of `rows` holds: header of every key in first-seen order, RFC 4180.
fn expected_csv(rows: &[Value]) -> String {
    fn field(text: &str) -> String {
        if text.contains([',', '"', '\r', '\n']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text.to_owned()
        }
    }
    let mut columns: Vec<&str> = Vec::new();
    for row in rows {
        for key in row.as_object().unwrap().keys() {
            if !columns.contains(&key.as_str()) {
                columns.push(key);
            }
        }
    }
    let mut out = String::new();
    if !columns.is_empty() {
        let header: Vec<String> = columns.iter().map(|c| field(c)).collect();
        out.push_str(&header.join(","));
        out.push_str("\r\n");
    }
    for row in rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| match row.get(*c) {
                None | Some(Value::Null) => String::new(),
                Some(Value::String(s)) => field(s),
                Some(other) => field(&other.to_string()),
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

#[test]
fn downloads_are_csv_files_with_djangos_content_disposition() {
    let server = instant_server();
    let file_id = uploaded(&server);
    let ascii = create_job(&server, file_id, "Weekly feed 42", 1).json();
    let resp = get(
        &server,
        &format!("jobs/{}/download/2/", ascii["id"].as_str().unwrap()),
    );
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        resp.header("content-disposition"),
        Some("attachment; filename=\"Weekly feed 42.csv\"")
    );
    assert!(!resp.chunked);
    assert_eq!(
        resp.header("content-length"),
        Some(resp.body.len().to_string().as_str())
    );
    let rows = csv_rows();
    assert_eq!(resp.text(), expected_csv(rows.as_array().unwrap()));
    assert_eq!(
        resp.text(),
        "sku,name,price,color\r\nA-1,\"Chaise \"\"pro\"\"\",\"12,5\",\r\nB-2,,3,blue\r\nC-3,\"two\nlines; and more\",,\r\n"
    );

    let unicode = create_job(&server, file_id, "Café \"Dupont\" – été/2025", 1).json();
    let unicode_path = format!("jobs/{}/download/1/", unicode["id"].as_str().unwrap());
    assert_eq!(
        get(&server, &unicode_path).header("content-disposition"),
        Some(
            "attachment; filename*=utf-8''Caf%C3%A9%20%22Dupont%22%20%E2%80%93%20%C3%A9t%C3%A9/2025.csv"
        )
    );
    let backslash = create_job(&server, file_id, "a\\b", 1).json();
    assert_eq!(
        get(
            &server,
            &format!("jobs/{}/download/1/", backslash["id"].as_str().unwrap())
        )
        .header("content-disposition"),
        Some("attachment; filename*=utf-8''a%5Cb.csv")
    );

    let hostile = "attachment; filename=\"../../etc/passwd\"";
    server.set_content_disposition(Some(hostile.to_owned()));
    assert_eq!(
        get(&server, &unicode_path).header("content-disposition"),
        Some(hostile)
    );
    server.set_content_disposition(None);
    assert!(
        get(&server, &unicode_path)
            .header("content-disposition")
            .unwrap()
            .starts_with("attachment; filename*=utf-8''Caf")
    );
}

#[test]
fn generated_jobs_download_their_rows_streamed() {
    let server = instant_server();
    let job = &server.world().jobs()[0];
    assert_eq!(job["status"], "done");
    let id = job["id"].as_str().unwrap();
    for format in [1, 2] {
        let resp = get(&server, &format!("jobs/{id}/download/{format}/"));
        assert_eq!(resp.status, 200);
        assert!(resp.chunked, "generated outputs are streamed");
        let rows = server.world().rows(id, format).unwrap();
        assert!(format == 2 || rows.len() == 60);
        assert_eq!(resp.text(), expected_csv(&rows), "format {format}");
        let name = job["name"].as_str().unwrap();
        assert!(!name.is_ascii());
        assert!(
            resp.header("content-disposition")
                .unwrap()
                .starts_with("attachment; filename*=utf-8''")
        );
    }
    // A done job without rows in a format: an empty file.
    let empty = server.world().jobs()[4]["id"].as_str().unwrap();
    assert_eq!(server.world().rows(empty, 2).unwrap().len(), 0);
    let resp = get(&server, &format!("jobs/{empty}/download/2/"));
    assert_eq!((resp.status, resp.body.len()), (200, 0));
    let not_done = server
        .world()
        .jobs()
        .iter()
        .find(|j| j["status"] != "done")
        .unwrap();
    let not_done = not_done["id"].as_str().unwrap();
    let data = get(&server, &format!("jobs/{not_done}/data/1/"));
    let download = get(&server, &format!("jobs/{not_done}/download/1/"));
    assert!((400..500).contains(&download.status));
    assert_eq!(
        (download.status, download.json()),
        (data.status, data.json())
    );
    for path in [
        format!("jobs/{id}/download/3/"),
        format!("jobs/{id}/download/x/"),
        "jobs/00000000-0000-4000-8000-000000000000/download/1/".to_owned(),
    ] {
        let resp = get(&server, &path);
        assert_eq!(
            (resp.status, resp.json()),
            (404, json!({"detail": "Not found."})),
            "{path}"
        );
    }
}

#[test]
fn projects_are_paginated_like_jobs_and_detail_their_steps() {
    let server = MockServer::builder().max_page_size(4).start().unwrap();
    let all = get(&server, "projects/").json();
    assert_eq!(all["count"], 6);
    assert_eq!(
        all["results"].as_array().unwrap().len(),
        4,
        "capped by the max page size"
    );
    let first = get(&server, "projects/?page_size=2").json();
    assert_eq!(first["previous"], Value::Null);
    let next = first["next"].as_str().unwrap();
    assert_eq!(
        next,
        format!(
            "http://{}/api/v1/projects/?page=2&page_size=2",
            server.addr()
        )
    );
    let ids: Vec<u64> = (1..=3)
        .flat_map(|page| {
            let page = get(&server, &format!("projects/?page_size=2&page={page}")).json();
            page["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_u64().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
    let last = get(&server, "projects/?page_size=2&page=3").json();
    assert_eq!(last["next"], Value::Null);
    let past = get(&server, "projects/?page_size=2&page=4");
    assert_eq!(
        (past.status, past.json()),
        (404, json!({"detail": "Invalid page."}))
    );
    let item = &first["results"][0];
    let keys: Vec<&str> = item
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["id", "name", "creation_date"]);
    assert_eq!(item["name"], "Spring catalogue");

    let detail = get(&server, "projects/3/").json();
    assert_eq!(detail["name"], "Électroménager");
    let steps = detail["steps"].as_array().unwrap();
    let numbers: Vec<u64> = steps
        .iter()
        .map(|s| s["number"].as_u64().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5]);
    for step in steps {
        assert!(
            ["extraction", "mappings", "categorisation"].contains(&step["type"].as_str().unwrap())
        );
    }
    // Steps agree with what jobs say.
    for job in server.world().jobs().iter().take(10) {
        let project = job["project"]
            .as_u64()
            .or_else(|| job["project"]["id"].as_u64())
            .unwrap();
        let detail = get(&server, &format!("projects/{project}/")).json();
        assert!(
            detail["steps"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["id"] == job["step"]["id"] && s["name"] == job["step"]["name"])
        );
    }
    for path in ["projects/0/", "projects/7/", "projects/abc/"] {
        let resp = get(&server, path);
        assert_eq!(
            (resp.status, resp.json()),
            (404, json!({"detail": "Not found."})),
            "{path}"
        );
    }
}

/// A keep-alive POST (the server must close it) of `body` to `relative`, read raw.
fn raw_post(
    server: &MockServer,
    relative: &str,
    content_type: &str,
    body: &[u8],
) -> common::raw::Raw {
    let mut raw = format!(
        "POST /api/v1/{relative} HTTP/1.1\r\nHost: {}\r\nAuthorization: Token {}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n",
        server.addr(),
        server.token(),
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    exchange(server.addr(), &raw)
}

#[test]
fn drop_after_acting_creates_then_drops_the_connection() {
    let server = instant_server();
    let file_id = uploaded(&server);
    server.set_faults(vec![
        FaultPlan::times(Fault::DropAfterActing, 1).on(Route::JobCreate),
    ]);
    let body = json!({"file_id": file_id, "name": "Lost answer", "project": 1});
    let raw = raw_post(
        &server,
        "jobs/",
        "application/json",
        body.to_string().as_bytes(),
    );
    assert!(
        raw.bytes.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&raw.bytes)
    );
    let created: Vec<Value> = server
        .jobs_snapshot()
        .into_iter()
        .filter(|j| j["name"] == "Lost answer")
        .collect();
    assert_eq!(created.len(), 1, "the job was created");
    assert_eq!(server.posts_received(Route::JobCreate), 1);
    assert_eq!(server.faults_served(), 1);

    server.set_faults(vec![
        FaultPlan::times(Fault::DropAfterActing, 1).on(Route::FileUpload),
    ]);
    let body = multipart(&[Part::File("lost.csv", CSV)]);
    let raw = raw_post(&server, "files/", &multipart_type(), &body);
    assert!(raw.bytes.is_empty());
    let files = server.files_snapshot();
    assert_eq!(files.len(), 2);
    assert_eq!(files[1]["name"], "lost.csv");
    assert_eq!(server.uploads_received().last().unwrap().status, 201);
    // The fault is spent: the next create answers.
    assert_eq!(create_job(&server, file_id, "Answered", 1).status, 201);
}

#[test]
fn uploads_and_posts_are_recorded_429s_included() {
    let server = instant_server();
    server.set_faults(vec![
        FaultPlan::times(
            Fault::TooManyRequests {
                retry_after: Some(1),
            },
            1,
        )
        .on(Route::FileUpload),
    ]);
    let body = multipart(&[Part::Text("skip_lines", "0"), Part::File("p.csv", CSV)]);
    let throttled = post(&server, "files/", Some(&multipart_type()), &body);
    assert_eq!(throttled.status, 429);
    assert_eq!(throttled.header("retry-after"), Some("1"));
    assert!(server.files_snapshot().is_empty());
    let created = post(&server, "files/", Some(&multipart_type()), &body);
    assert_eq!(created.status, 201);
    let records = server.uploads_received();
    assert_eq!(records.len(), 2);
    let (first, second) = (records[0], records[1]);
    assert_eq!((first.status, second.status), (429, 201));
    assert_eq!(first.body_len, body.len() as u64);
    assert_eq!(first.body_hash, fnv1a64(&body));
    assert_eq!(
        (first.file_len, first.file_hash),
        (CSV.len() as u64, fnv1a64(CSV))
    );
    assert_eq!(
        (
            first.body_len,
            first.body_hash,
            first.file_len,
            first.file_hash
        ),
        (
            second.body_len,
            second.body_hash,
            second.file_len,
            second.file_hash
        )
    );

    // Dropped before the server acts: recorded with status 0, nothing created.
    server.set_faults(vec![
        FaultPlan::times(Fault::DropBeforeResponse, 1).on(Route::FileUpload),
    ]);
    let raw = raw_post(&server, "files/", &multipart_type(), &body);
    assert!(raw.bytes.is_empty());
    assert_eq!(server.files_snapshot().len(), 1);
    assert_eq!(server.uploads_received().last().unwrap().status, 0);

    // JSON uploads hash their whole body as the file.
    let json_body = br#"{"data": [{"sku": "A"}]}"#;
    assert_eq!(
        post(&server, "files/", Some("application/json"), json_body).status,
        201
    );
    let last = *server.uploads_received().last().unwrap();
    assert_eq!(
        (last.file_len, last.file_hash),
        (json_body.len() as u64, fnv1a64(json_body))
    );
    assert_eq!(last.body_hash, last.file_hash);

    // POSTs are counted per route when they arrive, whatever happens next.
    server.set_faults(vec![
        FaultPlan::always(Fault::ServerError {
            status: 503,
            body: sdm_mock::ErrorBody::Empty,
        })
        .on(Route::JobCreate),
    ]);
    assert_eq!(post_json(&server, "jobs/", &json!({})).status, 503);
    let unauthenticated = request(server.addr(), "POST", "/api/v1/jobs/", &[], Some(b"{}"));
    assert_eq!(unauthenticated.status, 503);
    server.clear_faults();
    assert_eq!(get(&server, "jobs/").status, 200);
    assert_eq!(server.posts_received(Route::FileUpload), 4);
    assert_eq!(server.posts_received(Route::JobCreate), 2);
    assert_eq!(server.posts_received(Route::JobList), 0);
    assert_eq!(server.posts_received(Route::Any), 6);
}

#[test]
fn job_list_faults_leave_creation_alone_and_the_new_routes_parse() {
    let server = instant_server();
    let file_id = uploaded(&server);
    server.set_faults(vec![
        FaultPlan::always(Fault::ServerError {
            status: 502,
            body: sdm_mock::ErrorBody::Html,
        })
        .on(Route::JobList),
    ]);
    assert_eq!(get(&server, "jobs/").status, 502);
    assert_eq!(create_job(&server, file_id, "Still created", 1).status, 201);
    server.set_faults(vec![Fault::parse("empty-ok@create").unwrap()]);
    let resp = create_job(&server, file_id, "Empty answer", 1);
    assert_eq!((resp.status, resp.body.len()), (201, 0));
    for (name, route) in [
        ("upload", Route::FileUpload),
        ("file", Route::FileDetail),
        ("create", Route::JobCreate),
        ("download", Route::JobDownload),
        ("projects", Route::ProjectList),
        ("project", Route::ProjectDetail),
    ] {
        let plan = Fault::parse(&format!("drop-after@{name}x2")).unwrap();
        assert_eq!(plan, FaultPlan::times(Fault::DropAfterActing, 2).on(route));
        assert_eq!(plan.to_string(), format!("drop-after@{name}x2"));
    }
    server.set_faults(vec![Fault::parse("503@projects").unwrap()]);
    assert_eq!(get(&server, "projects/").status, 503);
    assert_eq!(get(&server, "projects/1/").status, 200);
    server.set_faults(vec![Fault::parse("count-string@projects").unwrap()]);
    assert_eq!(get(&server, "projects/").json()["count"], "6");
    // A 5xx in front of an upload still reads (and records) its body.
    server.set_faults(vec![Fault::parse("502-html@uploadx1").unwrap()]);
    let resp = upload_csv(&server, "p.csv", CSV, None);
    assert_eq!(resp.status, 502);
    let last = *server.uploads_received().last().unwrap();
    assert_eq!((last.status, last.file_hash), (502, fnv1a64(CSV)));
    assert_eq!(server.files_snapshot().len(), 1);
}

#[test]
fn connections_stay_usable_after_uploads_refusals_and_creates() {
    use std::io::{Read, Write};
    let server = instant_server();
    let mut stream = std::net::TcpStream::connect(server.addr()).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let auth = format!("Authorization: Token {}", server.token());
    let host = format!("Host: {}", server.addr());
    let upload = multipart(&[Part::File("a.csv", CSV)]);
    let mut requests = Vec::new();
    // An upload, a refused upload (unauthenticated), a create, then a GET that closes.
    for (headers, body) in [
        (
            format!("{auth}\r\nContent-Type: {}", multipart_type()),
            upload.clone(),
        ),
        (format!("Content-Type: {}", multipart_type()), upload),
        (
            format!("{auth}\r\nContent-Type: application/json"),
            br#"{"file_id": 1, "name": "Kept alive", "project": 1}"#.to_vec(),
        ),
    ] {
        let path = if body.starts_with(b"{") {
            "jobs/"
        } else {
            "files/"
        };
        requests.extend_from_slice(
            format!(
                "POST /api/v1/{path} HTTP/1.1\r\n{host}\r\n{headers}\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .as_bytes(),
        );
        requests.extend_from_slice(&body);
    }
    requests.extend_from_slice(
        format!("GET /api/v1/files/1/ HTTP/1.1\r\n{host}\r\n{auth}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    stream.write_all(&requests).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    let text = String::from_utf8_lossy(&answer);
    let statuses: Vec<&str> = text
        .match_indices("HTTP/1.1 ")
        .map(|(i, _)| &text[i + 9..i + 12])
        .collect();
    assert_eq!(statuses, ["201", "401", "201", "200"], "{text}");
    assert_eq!(server.uploads_received().len(), 2);
}
