//! The job state machine's `Finalize` task: ends a job: publishes its outputs or records the caught error.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use stratus_aws::tasks;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    stratus_aws::init_tracing();
    let runner = &stratus_aws::runner_from_env().await?;
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        tasks::finalize(runner, tasks::input(event.payload)?).await
    }))
    .await
}
