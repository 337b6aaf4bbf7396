//! What only the AWS engine has: Lambda time limits inside the job state machine. A work item
//! that outlives the run-item function's timeout fails the job through the Map's `Catch`, with
//! a message that says so. Run against a deployed stack (`STRATUS_E2E_URL`) whose run-item
//! timeout is `STRATUS_E2E_ITEM_TIMEOUT` seconds (tests/stages/aws-e2e.sh).

use std::time::Duration;

use serde_json::json;
use stratus_tests::{Stratus, assert_exception};

#[tokio::test]
#[ignore = "needs a deployed AWS stack: tests/stages/aws-e2e.sh"]
async fn an_item_that_outlives_its_lambda_fails_the_job() {
    let timeout: u64 = std::env::var("STRATUS_E2E_ITEM_TIMEOUT")
        .expect("STRATUS_E2E_ITEM_TIMEOUT")
        .parse()
        .expect("seconds");
    let s = Stratus::start().await;
    assert!(!s.is_local(), "runs against a deployed stack only");
    let id = s
        .submit(
            "echo",
            json!({"inputs": {"stringInput": "too slow", "pause": timeout + 5}}),
        )
        .await;
    let failed = s
        .wait_for(&id, &["failed"], Duration::from_secs(timeout + 60))
        .await;
    assert!(
        failed["message"]
            .as_str()
            .unwrap_or_default()
            .contains("ran out of time"),
        "{failed}"
    );
    let r = s
        .http
        .get(s.at(&format!("/jobs/{id}/results")))
        .send()
        .await
        .expect("GET results");
    assert_exception(r, 504, "NoApplicableCode", "ran out of time").await;
}
