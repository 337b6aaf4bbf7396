//! The ingestion state machine's `ProcessTile` task: claims and processes the first tile of a
//! chain, answers the tiles left to run.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use stratus_aws::{ingest, tasks};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    stratus_aws::init_tracing();
    let runner = &ingest::IngestEngine::from_env().await?.runner();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        ingest::process_tiles(runner, tasks::input(event.payload)?).await
    }))
    .await
}
