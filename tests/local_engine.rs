//! What only the local engine has: a process that can crash and restart, and a data directory.

use std::time::Duration;

use serde_json::json;
use stratus_tests::Stratus;

#[tokio::test]
async fn jobs_survive_a_crash_and_running_jobs_resume() {
    let mut s = Stratus::local(Vec::new()).await;
    let done = s
        .submit("echo", json!({"inputs": {"stringInput": "before"}}))
        .await;
    s.wait_for(&done, &["successful"], Duration::from_secs(30))
        .await;
    let running = s
        .submit(
            "echo",
            json!({"inputs": {"stringInput": "resumed", "pause": 2}}),
        )
        .await;
    s.wait_for(&running, &["running"], Duration::from_secs(30))
        .await;

    s.crash_and_restart().await;

    let before = s
        .http
        .get(s.at(&format!("/jobs/{done}/results")))
        .send()
        .await
        .unwrap();
    assert_eq!(before.text().await.unwrap(), "before");
    let resumed = s
        .wait_for(&running, &["successful", "failed"], Duration::from_secs(30))
        .await;
    assert_eq!(resumed["status"], "successful", "{resumed}");
    let r = s
        .http
        .get(s.at(&format!("/jobs/{running}/results")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "resumed");
    assert!(s.log().contains("resumed unfinished jobs"));
}

#[tokio::test]
async fn a_job_interrupted_too_often_fails_with_a_message() {
    let mut s = Stratus::local(Vec::new()).await;
    let id = s
        .submit("echo", json!({"inputs": {"stringInput": "x", "pause": 60}}))
        .await;
    for _ in 0..3 {
        s.wait_for(&id, &["running"], Duration::from_secs(30)).await;
        s.crash_and_restart().await;
    }
    let failed = s.wait_for(&id, &["failed"], Duration::from_secs(30)).await;
    assert!(
        failed["message"]
            .as_str()
            .unwrap()
            .contains("not resumed again"),
        "{failed}"
    );
}

#[tokio::test]
async fn data_dir_holds_an_embedded_database_and_objects() {
    let s = Stratus::local(Vec::new()).await;
    let id = s
        .submit(
            "echo",
            json!({"inputs": {"stringInput": "stored"},
                   "outputs": {"stringInput": {"transmissionMode": "reference"}}}),
        )
        .await;
    s.wait_for(&id, &["successful"], Duration::from_secs(30))
        .await;
    assert!(s.data_dir().join("stratus.db").is_file());
    let output = s
        .data_dir()
        .join(format!("objects/results/{id}/stringInput"));
    assert_eq!(std::fs::read_to_string(output).unwrap(), "stored");
    let r = s
        .http
        .get(s.at(&format!("/objects/results/{id}/stringInput")))
        .header("Range", "bytes=1-3")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 1-3/6");
    assert_eq!(r.text().await.unwrap(), "tor");
    let r = s
        .http
        .get(s.at(&format!("/objects/jobs/{id}/request.json")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "job internals are not served");
}

#[tokio::test]
async fn a_client_that_hangs_up_mid_request_leaves_no_job_behind() {
    use tokio::io::AsyncWriteExt;
    let s = Stratus::local(Vec::new()).await;
    let addr = s.url.trim_start_matches("http://").to_string();
    let body = r#"{"inputs": {"stringInput": "gone"}}"#;
    let request = format!(
        "POST /processes/echo/execution HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Prefer: respond-async\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    // Clients send a whole request and hang up without reading the answer, many at once so
    // that hang-ups land at every moment of the handling: a job that was created must run.
    for round in 0..10u64 {
        let clients: Vec<_> = (0..48u64)
            .map(|i| {
                let (addr, request) = (addr.clone(), request.clone());
                tokio::spawn(async move {
                    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
                    stream.write_all(request.as_bytes()).await.unwrap();
                    tokio::time::sleep(Duration::from_micros(50 * ((i * 7 + round * 13) % 100)))
                        .await;
                })
            })
            .collect();
        for c in clients {
            c.await.unwrap();
        }
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let all = s.get_json("/jobs?limit=1000", 200).await;
        let jobs = all["jobs"].as_array().unwrap();
        let waiting = jobs
            .iter()
            .filter(|j| j["status"] == "accepted" || j["status"] == "running")
            .count();
        if waiting == 0 {
            assert!(jobs.iter().all(|j| j["status"] == "successful"), "{all}");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{waiting} of {} jobs never ran: {all}",
            jobs.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
