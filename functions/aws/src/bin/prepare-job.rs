//! The job state machine's `Prepare` task: claims a job and stores its plan, the Map manifest.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use stratus_aws::tasks;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    stratus_aws::init_tracing();
    let runner = &stratus_aws::runner_from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        tasks::prepare(runner, tasks::input(event.payload)?).await
    }))
    .await
}
