//! API Gateway's `$default` route as a Lambda function: requests no endpoint takes get the
//! same OGC exceptions as on the local server (405 for a known path, 404 otherwise).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    stratus_aws::init_tracing();
    let state = stratus_aws::api_state_from_env().await?;
    lambda_http::run(stratus_api::routes::unmatched(state)).await
}
