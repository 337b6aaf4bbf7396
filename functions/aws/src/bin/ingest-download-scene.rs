//! The ingestion state machine's `DownloadScene` task: claims and downloads one scene, answers
//! whether to run it again and the tiles it made runnable.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use stratus_aws::{ingest, tasks};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    stratus_aws::init_tracing();
    let runner = &ingest::IngestEngine::from_env().await?.runner();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        ingest::download_scene(runner, tasks::input(event.payload)?).await
    }))
    .await
}
