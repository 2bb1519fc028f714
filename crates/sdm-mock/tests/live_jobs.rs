//! Jobs added while the server runs, over real HTTP: inserted jobs, the list-page hook, and
//! lifecycles that advance with time.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{get, get_url, ids};
use sdm_mock::{JobSpec, MockServer, Status};
use serde_json::{Value, json};

fn id_of(job: &Value) -> String {
    job["id"].as_str().unwrap().to_owned()
}

fn count(server: &MockServer, query: &str) -> u64 {
    get(server, &format!("jobs/?{query}")).json()["count"]
        .as_u64()
        .unwrap()
}

#[test]
fn inserted_jobs_shift_page_one_and_counts() {
    let server = MockServer::builder().job_count(50).start().unwrap();
    let before = get(&server, "jobs/?page_size=10").json();
    let running_before = count(&server, "status=running");
    assert_eq!(before["count"], 50);

    let inserted = server.insert_jobs(7);
    assert_eq!(inserted.len(), 7);
    let after = get(&server, "jobs/?page_size=10").json();
    assert_eq!(after["count"], 57);
    let page = ids(&after["results"]);
    // Newest first: the last inserted comes first, then the old page 1.
    let mut expected: Vec<String> = inserted.iter().rev().map(id_of).collect();
    expected.extend(ids(&before["results"]).into_iter().take(3));
    assert_eq!(page, expected);
    assert_eq!(after["results"][0], inserted[6]);

    for job in &inserted {
        assert_eq!(job["status"], "running");
        assert_eq!(job["completion_date"], Value::Null);
        assert_eq!(job["message"], Value::Null);
        let id = id_of(job);
        let detail = get(&server, &format!("jobs/{id}/"));
        assert_eq!(detail.status, 200);
        assert_eq!(&detail.json(), job);
        let data = get(&server, &format!("jobs/{id}/data/1/"));
        assert_eq!(data.status, 400);
        assert!(server.job_rows(&id, 1).is_none());
    }
    assert_eq!(count(&server, "status=running"), running_before + 7);
    let oldest_new = inserted[0]["creation_date"]
        .as_str()
        .unwrap()
        .replace(':', "%3A");
    assert_eq!(count(&server, &format!("created_after={oldest_new}")), 7);
    assert_eq!(count(&server, &format!("created_before={oldest_new}")), 50);

    // Ground truth: the world is the initial one, the snapshot has everything.
    assert_eq!(server.world().jobs().len(), 50);
    let snapshot = server.jobs_snapshot();
    assert_eq!(snapshot.len(), 57);
    assert_eq!(&snapshot[..50], server.world().jobs());
    assert_eq!(&snapshot[50..], &inserted[..]);
}

#[test]
fn inserted_jobs_are_deterministic() {
    let a = MockServer::builder().seed(9).job_count(20).start().unwrap();
    let b = MockServer::builder().seed(9).job_count(20).start().unwrap();
    assert_eq!(a.insert_jobs(3), b.insert_jobs(3));
    assert_eq!(a.insert_jobs(2), b.control().insert_jobs(2));
    assert_eq!(a.jobs_snapshot(), b.jobs_snapshot());
    let c = MockServer::builder()
        .seed(10)
        .job_count(20)
        .start()
        .unwrap();
    assert_ne!(a.jobs_snapshot()[20], c.insert_jobs(1)[0]);
}

#[test]
fn the_list_page_hook_can_insert_jobs_between_pages() {
    let served = Arc::new(Mutex::new(Vec::new()));
    let server = MockServer::builder()
        .job_count(30)
        .on_list_page({
            let served = Arc::clone(&served);
            move |control, page| {
                served.lock().unwrap().push(page);
                if page == 1 {
                    control.insert_jobs(7);
                }
            }
        })
        .start()
        .unwrap();
    let first = get(&server, "jobs/?page_size=10").json();
    assert_eq!(
        first["count"], 30,
        "the page is computed before the hook runs"
    );
    assert_eq!(*served.lock().unwrap(), [1]);

    let second = get_url(&server, first["next"].as_str().unwrap()).json();
    assert_eq!(second["count"], 37);
    assert_eq!(*served.lock().unwrap(), [1, 2]);
    // The 7 new jobs pushed the last 7 of page 1 onto page 2.
    let first_ids = ids(&first["results"]);
    let second_ids = ids(&second["results"]);
    assert_eq!(second_ids[..7], first_ids[3..]);

    // Only pages actually served call the hook.
    assert_eq!(get(&server, "jobs/?page=99").status, 404);
    assert_eq!(get(&server, "jobs/?status=nope").status, 400);
    assert_eq!(get(&server, &format!("jobs/{}/", first_ids[0])).status, 200);
    assert_eq!(*served.lock().unwrap(), [1, 2]);
    assert_eq!(get(&server, "jobs/?page=last&page_size=10").status, 200);
    assert_eq!(*served.lock().unwrap(), [1, 2, 4]);
}

#[test]
fn added_jobs_run_then_reach_their_final_status() {
    const RUN_FOR: Duration = Duration::from_millis(300);
    let server = MockServer::builder().job_count(10).start().unwrap();
    let running_before = count(&server, "status=running");
    let added = Instant::now();
    let done = server.add_job(
        JobSpec::new(Status::Done, RUN_FOR)
            .rows(25)
            .name("Nightly feed"),
    );
    let error = server.add_job(JobSpec::new(Status::Error, RUN_FOR));
    let pending = server.add_job(JobSpec::new(Status::Pending, RUN_FOR));
    let forever = server.add_job(JobSpec::new(Status::Running, Duration::ZERO));

    let list = get(&server, "jobs/?status=running").json();
    let data = get(&server, &format!("jobs/{done}/data/1/"));
    let detail = get(&server, &format!("jobs/{done}/")).json();
    // Only meaningful if the server answered before the jobs finished.
    if added.elapsed() < RUN_FOR {
        assert_eq!(list["count"].as_u64().unwrap(), running_before + 4);
        assert_eq!(
            ids(&list["results"])[..4],
            [&*forever, &*pending, &*error, &*done]
        );
        assert_eq!(data.status, 400);
        assert_eq!(detail["name"], "Nightly feed");
        assert_eq!(detail["status"], "running");
        assert_eq!(detail["step"]["number"], 2);
        assert_eq!(detail["step"]["name"], "Mapping");
        assert_eq!(detail["completion_date"], Value::Null);
        assert_eq!(detail["message"], Value::Null);
    }

    std::thread::sleep(RUN_FOR.saturating_sub(added.elapsed()) + Duration::from_millis(50));
    let job = |id: &str| get(&server, &format!("jobs/{id}/")).json();
    let done_job = job(&done);
    assert_eq!(done_job["status"], "done");
    assert_eq!(done_job["step"]["number"], 5);
    assert_eq!(done_job["message"], Value::Null);
    assert!(
        done_job["completion_date"].as_str().unwrap() > done_job["creation_date"].as_str().unwrap()
    );

    let error_job = job(&error);
    assert_eq!(error_job["status"], "error");
    let message = error_job["message"].as_str().unwrap();
    assert!(message.len() > 10, "{message}");
    assert!(error_job["completion_date"].is_string());

    let pending_job = job(&pending);
    assert_eq!(pending_job["status"], "pending");
    assert_eq!(pending_job["step"]["name"], "Validation");
    assert_eq!(pending_job["completion_date"], Value::Null);

    assert_eq!(job(&forever)["status"], "running");

    // The list shows the transitions too, and the snapshot agrees with the detail endpoint.
    let list = get(&server, "jobs/?page_size=4").json();
    assert_eq!(
        ids(&list["results"]),
        [&*forever, &*pending, &*error, &*done]
    );
    assert_eq!(list["results"][3], done_job);
    assert_eq!(count(&server, "status=running"), running_before + 1);
    assert_eq!(count(&server, "status=done&created_after=2026-01-01"), 1);
    let snapshot = server.jobs_snapshot();
    assert_eq!(
        snapshot[10..],
        [done_job, error_job, pending_job, job(&forever)]
    );

    // Rows of the done job: the asked count, in both formats, matching the ground truth.
    for format in [1, 2] {
        let resp = get(&server, &format!("jobs/{done}/data/{format}/"));
        assert_eq!(resp.status, 200);
        let expected: Vec<Value> = server.job_rows(&done, format).unwrap().collect();
        assert_eq!(expected.len(), 25);
        assert_eq!(resp.text(), serde_json::to_string(&expected).unwrap());
    }
    assert_eq!(get(&server, &format!("jobs/{done}/data/3/")).status, 404);
    assert_eq!(
        get(&server, &format!("jobs/{error}/data/1/")).json(),
        json!({"detail": "Job is not finished."})
    );
    assert!(server.job_rows(&error, 1).is_none());
    assert!(server.job_rows(&done, 3).is_none());
}

#[test]
fn job_rows_are_the_ground_truth_for_generated_jobs_too() {
    let server = MockServer::builder().job_count(20).start().unwrap();
    for job in server.world().jobs() {
        let id = id_of(job);
        for format in [1, 2] {
            let rows = server
                .job_rows(&id, format)
                .map(Iterator::collect::<Vec<_>>);
            assert_eq!(rows, server.world().rows(&id, format));
        }
    }
    assert!(
        server
            .job_rows("00000000-0000-4000-8000-000000000000", 1)
            .is_none()
    );
}

#[test]
fn added_rows_depend_on_seed_and_job() {
    let a = MockServer::builder().seed(1).job_count(3).start().unwrap();
    let b = MockServer::builder().seed(1).job_count(3).start().unwrap();
    let id_a = a.add_job(JobSpec::new(Status::Done, Duration::ZERO).rows(40));
    let id_b = b.add_job(JobSpec::new(Status::Done, Duration::ZERO).rows(40));
    assert_eq!(id_a, id_b);
    let body = |s: &MockServer, id: &str| get(s, &format!("jobs/{id}/data/1/")).body;
    assert_eq!(body(&a, &id_a), body(&b, &id_b));
    let other = a.add_job(JobSpec::new(Status::Done, Duration::ZERO).rows(40));
    assert_ne!(body(&a, &id_a), body(&a, &other));
    let rows: Vec<Value> = serde_json::from_slice(&body(&a, &other)).unwrap();
    assert_eq!(rows.len(), 40);
}
