//! The ingestion routes of AOI creation and deletion, retries, fails, forced statuses and data of scenes and tiles, as one Lambda function behind API Gateway.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stratus_aws::init_tracing();
    let state = stratus_aws::ingest::api_state_from_env().await?;
    lambda_http::run(stratus_api::routes::ingest_function(
        "ingest-control",
        state,
    ))
    .await
}
