//! The Stratus AWS engine: the domain's ports on DynamoDB ([`DynamoJobStore`]), S3
//! ([`S3ObjectStore`]) and Step Functions ([`SfnOrchestrator`]), an S3-aware fetcher
//! ([`AwsFetcher`]), the state machine's task handlers ([`tasks`]), and the wiring every Lambda
//! binary in `src/bin/` uses ([`AwsEngine`]): one binary per OGC API endpoint, mounting
//! `stratus_api::routes::single`, and one per task handler.
//!
//! The same binaries run against AWS or an emulator: the SDK honours `AWS_ENDPOINT_URL`.

#![warn(missing_docs)]

pub mod config;
pub mod dynamo;
pub mod engine;
pub mod error;
pub mod fetcher;
pub mod ingest;
pub mod ingest_store;
pub mod s3;
pub mod sfn;
pub mod tasks;

pub use config::AwsConfig;
pub use dynamo::DynamoJobStore;
pub use engine::{AwsEngine, api_state_from_env, builtin_processes, init_tracing, runner_from_env};
pub use error::{Error, Result};
pub use fetcher::AwsFetcher;
pub use ingest_store::DynamoIngestStore;
pub use s3::S3ObjectStore;
pub use sfn::SfnOrchestrator;
