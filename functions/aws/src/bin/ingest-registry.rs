//! The ingestion routes of the variable registry and records, as one Lambda function behind API Gateway.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stratus_aws::init_tracing();
    let state = stratus_aws::ingest::api_state_from_env().await?;
    lambda_http::run(stratus_api::routes::ingest_function(
        "ingest-registry",
        state,
    ))
    .await
}
