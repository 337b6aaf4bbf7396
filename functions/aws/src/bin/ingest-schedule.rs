//! Runs the scheduled payload over a window ending now (EventBridge schedule).

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use stratus_aws::ingest;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    stratus_aws::init_tracing();
    let engine = &ingest::IngestEngine::from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        ingest::on_schedule(engine, event.payload).await
    }))
    .await
}
