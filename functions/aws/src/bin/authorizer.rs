//! The HTTP API's Lambda authorizer: bearer tokens from `STRATUS_TOKENS` (simple responses).

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;
use stratus_aws::ingest;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    stratus_aws::init_tracing();
    let tokens = &ingest::IngestConfig::tokens_from_env();
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<_, lambda_runtime::Error>(ingest::authorize(tokens, &event.payload))
    }))
    .await
}
