//! `GET /ingestion` (the ingestion dashboard page) as a Lambda function behind API Gateway.

use stratus_api::routes::{Endpoint, single};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stratus_aws::init_tracing();
    let state = stratus_aws::api_state_from_env().await?;
    lambda_http::run(single(Endpoint::IngestDashboard, state)).await
}
