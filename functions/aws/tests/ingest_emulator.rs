//! The DynamoDB ingestion store against a real AWS emulator (MiniStack): the contract suite
//! every ingestion store adapter runs. Ignored by default; `tests/stages/aws-emulator.sh` runs
//! it with `AWS_ENDPOINT_URL` pointing at the emulator. Each run makes its own table.

use aws_config::BehaviorVersion;
use aws_sdk_dynamodb::config::Credentials;
use stratus_aws::DynamoIngestStore;

#[tokio::test]
#[ignore = "needs an AWS emulator at AWS_ENDPOINT_URL (tests/stages/aws-emulator.sh)"]
async fn dynamodb_ingest_store_contract() {
    let endpoint = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL (an emulator)");
    assert!(
        endpoint.starts_with("http://127.0.0.1") || endpoint.starts_with("http://localhost"),
        "emulator tests only run against a local emulator, not {endpoint}"
    );
    let sdk = aws_config::defaults(BehaviorVersion::latest())
        .region("us-east-1")
        .credentials_provider(Credentials::new("test", "test", None, None, "emulator"))
        .load()
        .await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let table = format!("ingest-{}", uuid::Uuid::new_v4().simple());
    DynamoIngestStore::create_table(&client, &table)
        .await
        .expect("create table");
    let store = DynamoIngestStore::new(client, table);
    stratus_ingest::contract::ingest_store(&store).await;
}
