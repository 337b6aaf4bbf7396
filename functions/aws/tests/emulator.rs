//! The AWS adapters against a real AWS emulator (MiniStack or moto server): the port contract
//! suites, conditional-write races, paging over thousands of jobs, S3 round trips and presigned
//! URLs, Step Functions start/stop, the task handlers, and every `events/*.json` through the
//! function it belongs to.
//!
//! Ignored by default; `tests/stages/aws-emulator.sh` starts an emulator and runs them with
//! `AWS_ENDPOINT_URL` pointing at it (`-- --ignored`). Each test makes its own table and
//! bucket.

use std::sync::Arc;
use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use bytes::Bytes;
use serde_json::{Value, json};
use stratus_aws::tasks::{self, CaughtError, FinalizeInput, JobRef, RunItemInput};
use stratus_aws::{AwsConfig, AwsEngine, DynamoJobStore};
use stratus_core::contract;
use stratus_core::execute::Preferences;
use stratus_core::job::{FailureKind, Job, JobId, JobPatch, JobStatus};
use stratus_core::ports::{JobStore, ObjectStore, get_json};
use stratus_core::process::WorkItem;
use stratus_core::{Error, keys};
use tower::ServiceExt;

/// The job id the sample events in `events/` name.
const EVENT_JOB: &str = "0193b4c5-d6e7-7f80-9a1b-2c3d4e5f6a7b";

async fn sdk() -> SdkConfig {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL (an emulator)");
    assert!(
        endpoint.starts_with("http://127.0.0.1") || endpoint.starts_with("http://localhost"),
        "emulator tests only run against a local emulator, not {endpoint}"
    );
    aws_config::defaults(BehaviorVersion::latest())
        .region("us-east-1")
        .credentials_provider(Credentials::new("test", "test", None, None, "emulator"))
        .load()
        .await
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", uuid::Uuid::new_v4().simple())
}

/// A fresh table and bucket, and the engine over them.
struct Stack {
    sdk: SdkConfig,
    engine: AwsEngine,
}

impl Stack {
    async fn new(state_machine_arn: Option<String>) -> Self {
        let sdk = sdk().await;
        let table = unique("jobs");
        let bucket = unique("results");
        DynamoJobStore::create_table(&aws_sdk_dynamodb::Client::new(&sdk), &table)
            .await
            .expect("create table");
        s3_client(&sdk)
            .create_bucket()
            .bucket(&bucket)
            .send()
            .await
            .expect("create bucket");
        let config = AwsConfig {
            state_machine_arn,
            net_policy: stratus_outbound::NetPolicy::LOCAL_DEFAULT,
            ..AwsConfig::from_lookup(|name| match name {
                "STRATUS_JOBS_TABLE" => Some(table.clone()),
                "STRATUS_BUCKET" => Some(bucket.clone()),
                "AWS_ENDPOINT_URL" => std::env::var(name).ok(),
                _ => None,
            })
            .expect("config")
        };
        let engine = AwsEngine::new(config, &sdk);
        Stack { sdk, engine }
    }

    fn jobs(&self) -> &Arc<dyn JobStore> {
        &self.engine.ports.jobs
    }

    fn objects(&self) -> &Arc<dyn ObjectStore> {
        &self.engine.ports.objects
    }
}

fn s3_client(sdk: &SdkConfig) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(sdk)
            .force_path_style(true)
            .build(),
    )
}

/// A state machine that only waits, so executions stay running until stopped.
async fn waiting_state_machine(sdk: &SdkConfig) -> String {
    let definition = json!({
        "StartAt": "Wait",
        "States": {"Wait": {"Type": "Wait", "Seconds": 120, "End": true}}
    });
    aws_sdk_sfn::Client::new(sdk)
        .create_state_machine()
        .name(unique("wait"))
        .definition(definition.to_string())
        .role_arn("arn:aws:iam::000000000000:role/stratus-test")
        .send()
        .await
        .expect("create state machine")
        .state_machine_arn()
        .to_string()
}

#[tokio::test]
#[ignore = "needs an AWS emulator at AWS_ENDPOINT_URL (tests/stages/aws-emulator.sh)"]
async fn dynamodb_job_store_contract() {
    let stack = Stack::new(None).await;
    contract::job_store_basics(&**stack.jobs()).await;
}

#[tokio::test]
#[ignore = "needs an AWS emulator at AWS_ENDPOINT_URL (tests/stages/aws-emulator.sh)"]
async fn dynamodb_process_store_contract() {
    let stack = Stack::new(None).await;
    contract::process_store(&*stack.engine.process_store).await;
}

#[tokio::test]
#[ignore = "needs an AWS emulator at AWS_ENDPOINT_URL (tests/stages/aws-emulator.sh)"]
async fn dynamodb_job_list_over_thousands_of_jobs() {
    let stack = Stack::new(None).await;
    let n = std::env::var("STRATUS_LISTING_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    contract::job_store_listing(&**stack.jobs(), n).await;
}

#[tokio::test]
#[ignore = "needs an AWS emulator at AWS_ENDPOINT_URL (tests/stages/aws-emulator.sh)"]
async fn dynamodb_conditional_writes_under_races() {
    let stack = Stack::new(None).await;
    let jobs = stack.jobs().clone();
    let now = stratus_core::ports::SystemClock;
    let job = Job::accepted(
        JobId::new_v7(),
        "echo",
        Default::default(),
        None,
        stratus_core::ports::Clock::now(&now),
    );
    jobs.create(&job).await.expect("create");

    // Sixteen claims race; exactly one wins, the others see the job running.
    let claims = futures::future::join_all((0..16).map(|_| {
        let jobs = jobs.clone();
        let id = job.id.clone();
        async move {
            jobs.update(
                &id,
                &[JobStatus::Accepted],
                &JobPatch::running("claimed"),
                chrono::Utc::now(),
            )
            .await
        }
    }))
    .await;
    let won = claims.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "one claim wins");
    for lost in claims.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(
                lost,
                Error::Conflict {
                    current: JobStatus::Running,
                    ..
                }
            ),
            "{lost:?}"
        );
    }
    let claimed = jobs.get(&job.id).await.expect("get");
    assert_eq!((claimed.attempts, claimed.version), (1, 1));

    // Ten items reported four times each, concurrently: each counted once.
    jobs.set_items_total(&job.id, 10, chrono::Utc::now())
        .await
        .expect("total");
    let reports = futures::future::join_all((0..40u32).map(|i| {
        let jobs = jobs.clone();
        let id = job.id.clone();
        async move {
            jobs.mark_item_done(&id, i % 10, chrono::Utc::now())
                .await
                .expect("mark")
        }
    }))
    .await;
    assert!(reports.iter().all(|p| p.done <= 10 && p.total == 10));
    assert_eq!(jobs.get(&job.id).await.expect("get").items_done, 10);
    assert!(matches!(
        jobs.mark_item_done(&JobId::new_v7(), 0, chrono::Utc::now())
            .await,
        Err(Error::NoSuchJob(_))
    ));

    // A dismissed job gets a TTL; deleting it removes its markers too.
    let dismissed = jobs
        .update(
            &job.id,
            &JobStatus::DISMISSABLE,
            &JobPatch::dismissed(),
            chrono::Utc::now(),
        )
        .await
        .expect("dismiss");
    assert_eq!(dismissed.status, JobStatus::Dismissed);
    let raw = aws_sdk_dynamodb::Client::new(&stack.sdk)
        .query()
        .table_name(&stack.engine.config.jobs_table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S(job.id.to_string()),
        )
        .send()
        .await
        .expect("query");
    assert_eq!(raw.count(), 11, "the job and ten markers");
    let record = raw
        .items()
        .iter()
        .find(|i| i.get("sk").and_then(|v| v.as_s().ok()).map(String::as_str) == Some("job"))
        .expect("job item");
    assert!(record.contains_key("expires"), "TTL on dismissed jobs");
    jobs.delete(&job.id).await.expect("delete");
    let left = aws_sdk_dynamodb::Client::new(&stack.sdk)
        .query()
        .table_name(&stack.engine.config.jobs_table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S(job.id.to_string()),
        )
        .send()
        .await
        .expect("query");
    assert_eq!(left.count(), 0);
}

#[tokio::test]
#[ignore = "needs an AWS emulator at AWS_ENDPOINT_URL (tests/stages/aws-emulator.sh)"]
async fn s3_object_store_contract_and_downloads() {
    let stack = Stack::new(None).await;
    contract::object_store(&**stack.objects()).await;

    let objects = stack.objects();
    let key = "results/x/item/otsu.tif";
    objects
        .put(key, Bytes::from_static(b"II*\0data"), "image/tiff")
        .await
        .expect("put");
    assert_eq!(
        objects.href(key),
        format!("s3://{}/{key}", stack.engine.config.bucket)
    );
    let url = objects.download_url(key).await.expect("presign");
    assert!(url.contains("X-Amz-Signature="), "{url}");
    let got = reqwest::get(&url).await.expect("GET presigned");
    assert_eq!(got.status(), 200);
    assert_eq!(&got.bytes().await.expect("body")[..], b"II*\0data");
    let storage = objects.storage_fields().expect("storage fields");
    assert_eq!(storage["storage:platform"], "AWS");
    assert_eq!(storage["storage:region"], "us-east-1");
    assert_eq!(storage["storage:requester_pays"], false);
    assert!(
        objects
            .get_range(key, 100..200)
            .await
            .expect("past the end")
            .is_empty()
    );
}

#[tokio::test]
#[ignore = "needs an AWS emulator at AWS_ENDPOINT_URL (tests/stages/aws-emulator.sh)"]
async fn s3_and_http_references_are_fetched_under_the_policy() {
    let stack = Stack::new(None).await;
    let bucket = &stack.engine.config.bucket;
    stack
        .objects()
        .put(
            "inputs/doc.json",
            Bytes::from_static(b"{\"a\":1}"),
            "application/json",
        )
        .await
        .expect("put");
    let fetcher = &stack.engine.ports.fetcher;
    let doc = fetcher
        .fetch(&format!("s3://{bucket}/inputs/doc.json"))
        .await
        .expect("fetch s3");
    assert_eq!(&doc.body[..], b"{\"a\":1}");
    assert_eq!(doc.media_type.as_deref(), Some("application/json"));
    let missing = fetcher
        .fetch(&format!("s3://{bucket}/inputs/none.json"))
        .await
        .expect_err("missing");
    assert_eq!(missing.kind, FailureKind::InvalidInput);
    let metadata = fetcher
        .fetch("http://169.254.169.254/latest/meta-data/")
        .await
        .expect_err("metadata endpoint");
    assert_eq!(metadata.kind, FailureKind::InvalidInput);
    assert!(
        metadata.message.contains("not allowed"),
        "{}",
        metadata.message
    );
}

#[tokio::test]
#[ignore = "needs an AWS emulator at AWS_ENDPOINT_URL (tests/stages/aws-emulator.sh)"]
async fn step_functions_start_is_idempotent_and_cancel_stops() {
    let sdk = sdk().await;
    let arn = waiting_state_machine(&sdk).await;
    let stack = Stack::new(Some(arn.clone())).await;
    let state = stack.engine.api_state();
    let orchestrator = &state.service.orchestrator;
    let job = Job::accepted(
        JobId::new_v7(),
        "echo",
        Default::default(),
        None,
        chrono::Utc::now(),
    );
    stack.jobs().create(&job).await.expect("create");
    orchestrator.start(&job).await.expect("start");
    orchestrator
        .start(&job)
        .await
        .expect("a second start is harmless");
    let sfn = aws_sdk_sfn::Client::new(&sdk);
    let execution = stratus_aws::sfn::execution_arn(&arn, &job.id).expect("arn");
    let described = sfn
        .describe_execution()
        .execution_arn(&execution)
        .send()
        .await
        .expect("describe");
    assert_eq!(
        described.status(),
        &aws_sdk_sfn::types::ExecutionStatus::Running
    );
    assert_eq!(
        serde_json::from_str::<Value>(described.input().unwrap_or_default()).unwrap(),
        json!({"jobId": job.id})
    );
    orchestrator.cancel(&job.id).await.expect("cancel");
    let stopped = sfn
        .describe_execution()
        .execution_arn(&execution)
        .send()
        .await
        .expect("describe");
    assert_eq!(
        stopped.status(),
        &aws_sdk_sfn::types::ExecutionStatus::Aborted
    );
    orchestrator
        .cancel(&JobId::new_v7())
        .await
        .expect("cancelling an unknown execution is harmless");

    let started = tokio::time::Instant::now();
    let waited = orchestrator
        .wait(&job.id, Some(Duration::from_millis(400)))
        .await
        .expect("wait");
    assert_eq!(waited.status, JobStatus::Accepted);
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert!(started.elapsed() < Duration::from_secs(3));
}

/// Runs the steps the state machine runs, in-process, through the task handlers.
async fn run_steps(stack: &Stack, id: &JobId) -> tasks::FinalizeOutput {
    let runner = stack.engine.runner();
    let prepared = tasks::prepare(
        &runner,
        JobRef {
            job_id: id.to_string(),
        },
    )
    .await
    .expect("prepare");
    assert!(prepared.run);
    assert_eq!(prepared.manifest, keys::plan(id));
    let plan: Vec<WorkItem> = get_json(&**stack.objects(), &prepared.manifest)
        .await
        .expect("manifest");
    assert_eq!(plan.len() as u32, prepared.items);
    for item in plan {
        let input: RunItemInput =
            tasks::input(json!({"jobId": id, "item": item})).expect("run-item input");
        tasks::run_item(&runner, input.clone())
            .await
            .expect("run item");
        let again = tasks::run_item(&runner, input).await.expect("run again");
        assert_eq!(again.done, 1, "a re-run item is done, not run twice");
    }
    tasks::finalize(
        &runner,
        FinalizeInput {
            job_id: id.to_string(),
            error: None,
        },
    )
    .await
    .expect("finalize")
}

#[tokio::test]
#[ignore = "needs an AWS emulator at AWS_ENDPOINT_URL (tests/stages/aws-emulator.sh)"]
async fn task_handlers_run_succeed_fail_and_respect_dismissal() {
    let sdk = sdk().await;
    let arn = waiting_state_machine(&sdk).await;
    let stack = Stack::new(Some(arn)).await;
    let service = stack.engine.api_state().service;
    let prefs = Preferences {
        respond_async: true,
        ..Default::default()
    };

    let ok = service
        .execute(
            "echo",
            &json!({"inputs": {"stringInput": "hi"}, "outputs": {"stringInput": {"transmissionMode": "reference"}}}),
            &prefs,
        )
        .await
        .expect("execute");
    assert_eq!(ok.job.status, JobStatus::Accepted);
    let done = run_steps(&stack, &ok.job.id).await;
    assert_eq!(done.status, JobStatus::Successful);
    let (job, outputs) = service.results(ok.job.id.as_str()).await.expect("results");
    assert_eq!((job.items_done, job.items_total, job.progress), (1, 1, 100));
    let published = stack
        .objects()
        .list(&keys::outputs_prefix(&job.id))
        .await
        .expect("list");
    assert_eq!(published.len(), 1, "{outputs:?}");
    let again = tasks::finalize(
        &stack.engine.runner(),
        FinalizeInput {
            job_id: job.id.to_string(),
            error: None,
        },
    )
    .await
    .expect("finalize again");
    assert_eq!(again.status, JobStatus::Successful);

    // A caught item error fails the job with the item's message.
    let failing = service
        .execute("echo", &json!({"inputs": {"stringInput": "x"}}), &prefs)
        .await
        .expect("execute");
    let runner = stack.engine.runner();
    tasks::prepare(
        &runner,
        JobRef {
            job_id: failing.job.id.to_string(),
        },
    )
    .await
    .expect("prepare");
    let event: Value =
        serde_json::from_str(include_str!("../../../events/finalize-job-failed.json"))
            .expect("event");
    let caught: CaughtError = serde_json::from_value(event["error"].clone()).expect("error");
    let failed = tasks::finalize(
        &runner,
        FinalizeInput {
            job_id: failing.job.id.to_string(),
            error: Some(caught),
        },
    )
    .await
    .expect("finalize with error");
    assert_eq!(failed.status, JobStatus::Failed);
    let record = service.job(failing.job.id.as_str()).await.expect("job");
    assert_eq!(record.failure, Some(FailureKind::Upstream));
    assert!(record.message.unwrap_or_default().contains("HTTP 502"));

    // Items of a dismissed job do nothing.
    let dismissed = service
        .execute("echo", &json!({"inputs": {"stringInput": "y"}}), &prefs)
        .await
        .expect("execute");
    tasks::prepare(
        &runner,
        JobRef {
            job_id: dismissed.job.id.to_string(),
        },
    )
    .await
    .expect("prepare");
    service
        .dismiss(dismissed.job.id.as_str())
        .await
        .expect("dismiss");
    let skipped = tasks::run_item(
        &runner,
        tasks::input(json!({"Items": [{"index": 0, "payload": null}], "BatchInput": {"jobId": dismissed.job.id}}))
            .expect("batch input"),
    )
    .await
    .expect("run item");
    assert_eq!((skipped.done, skipped.skipped), (0, 1));
    let prepared_again = tasks::prepare(
        &runner,
        JobRef {
            job_id: dismissed.job.id.to_string(),
        },
    )
    .await
    .expect("prepare a dismissed job");
    assert!(!prepared_again.run);
}

async fn call_route(
    endpoint: Option<stratus_api::routes::Endpoint>,
    state: &stratus_api::AppState,
    event_file: &str,
) -> http::Response<axum::body::Body> {
    let raw = std::fs::read_to_string(event_path(event_file)).expect("event file");
    let request = lambda_http::request::from_str(&raw).expect("an API Gateway v2 event");
    let router = match endpoint {
        Some(e) => stratus_api::routes::single(e, state.clone()),
        None => stratus_api::routes::unmatched(state.clone()),
    };
    router.oneshot(request).await.expect("infallible")
}

fn event_path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../events")
        .join(name)
}

fn task_event<T: serde::de::DeserializeOwned>(name: &str) -> T {
    let raw = std::fs::read_to_string(event_path(name)).expect("event file");
    tasks::input(serde_json::from_str(&raw).expect("JSON")).expect("task input")
}

#[tokio::test]
#[ignore = "needs an AWS emulator at AWS_ENDPOINT_URL (tests/stages/aws-emulator.sh)"]
async fn every_sample_event_runs_through_its_function() {
    use stratus_api::routes::Endpoint;

    let sdk = sdk().await;
    let arn = waiting_state_machine(&sdk).await;
    let stack = Stack::new(Some(arn)).await;
    let state = stack.engine.api_state();
    let runner = stack.engine.runner();

    // The job the events name, created as the execute endpoint would, asking for its output by
    // reference so there is a published object to fetch.
    let id = JobId::parse(EVENT_JOB).expect("id");
    let mut job = Job::accepted(
        id.clone(),
        "echo",
        Default::default(),
        None,
        chrono::Utc::now(),
    );
    job.delivery.outputs.insert(
        "stringInput".into(),
        stratus_core::process::TransmissionMode::Reference,
    );
    stratus_core::ports::put_json(
        &**stack.objects(),
        &keys::request(&id),
        &json!({"stringInput": "from the events"}),
    )
    .await
    .expect("request");
    stack.jobs().create(&job).await.expect("create");

    let prepared = tasks::prepare(&runner, task_event("prepare-job.json"))
        .await
        .expect("prepare-job.json");
    assert!(prepared.run);
    let ran = tasks::run_item(&runner, task_event("run-item.json"))
        .await
        .expect("run-item.json");
    assert_eq!(ran.done, 1);
    let batch = tasks::run_item(&runner, task_event("run-item-batch.json"))
        .await
        .expect("run-item-batch.json");
    assert_eq!(batch.done, 1);
    let finished = tasks::finalize(&runner, task_event("finalize-job.json"))
        .await
        .expect("finalize-job.json");
    assert_eq!(finished.status, JobStatus::Successful);
    let unchanged = tasks::finalize(&runner, task_event("finalize-job-failed.json"))
        .await
        .expect("finalize-job-failed.json");
    assert_eq!(
        unchanged.status,
        JobStatus::Successful,
        "terminal jobs stay"
    );

    let expected = [
        (Some(Endpoint::LandingPage), "landing-page.json", 200),
        (Some(Endpoint::Conformance), "conformance.json", 200),
        (Some(Endpoint::ApiDefinition), "api-definition.json", 200),
        (Some(Endpoint::ListProcesses), "list-processes.json", 200),
        (
            Some(Endpoint::DescribeProcess),
            "describe-process.json",
            200,
        ),
        (Some(Endpoint::Execute), "execute.json", 201),
        (Some(Endpoint::ListJobs), "list-jobs.json", 200),
        (Some(Endpoint::GetJob), "get-job.json", 200),
        (Some(Endpoint::GetResults), "get-results.json", 204),
        (Some(Endpoint::GetObject), "get-object.json", 302),
        (Some(Endpoint::StaticAsset), "static-asset.json", 200),
        (Some(Endpoint::DismissJob), "dismiss-job.json", 200),
        (Some(Endpoint::DeployProcess), "deploy-process.json", 201),
        (Some(Endpoint::GetPackage), "get-package.json", 200),
        (Some(Endpoint::ReplaceProcess), "replace-process.json", 204),
        (
            Some(Endpoint::UndeployProcess),
            "undeploy-process.json",
            204,
        ),
        (None, "unmatched-route.json", 405),
    ];
    for (endpoint, file, status) in expected {
        let resp = call_route(endpoint, &state, file).await;
        assert_eq!(resp.status().as_u16(), status, "{file}");
        if file == "get-object.json" {
            let location = resp.headers()["location"].to_str().expect("location");
            let body = reqwest::get(location).await.expect("follow");
            assert_eq!(body.text().await.expect("text"), "from the events");
        }
        if file == "landing-page.json" {
            let body = axum::body::to_bytes(resp.into_body(), 1 << 20)
                .await
                .expect("body");
            let doc: Value = serde_json::from_slice(&body).expect("JSON");
            assert!(
                doc["links"][0]["href"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("https://abc123defg.execute-api.eu-central-1.amazonaws.com/"),
                "links from the API Gateway host: {doc}"
            );
        }
    }
    assert!(matches!(
        stack.jobs().get(&id).await,
        Err(Error::NoSuchJob(_))
    ));
}
