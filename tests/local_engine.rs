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
