//! Wiring of the AWS engine: configuration and SDK clients once per cold start, the ports over
//! them, and what the Lambda binaries mount (an [`AppState`] for API functions, a
//! [`JobRunner`] for task functions).

use std::sync::Arc;
use std::time::Duration;

use aws_config::{BehaviorVersion, SdkConfig};
use stratus_api::{ApiConfig, AppState};
use stratus_core::deploy::Registry;
use stratus_core::ports::{Clock, CwlRun, CwlRunner, Orchestrator, SystemClock};
use stratus_core::process::{ProcessError, RunContext};
use stratus_core::results::Outputs;
use stratus_core::runner::{JobRunner, Ports};
use stratus_core::service::ProcessesService;
use stratus_outbound::{HttpClient, HttpNotifier, Limits, UrlFetcher};
use stratus_processes::BuiltinRegistry;

use crate::config::AwsConfig;
use crate::dynamo::{DynamoJobStore, DynamoProcessStore};
use crate::error::Result;
use crate::fetcher::AwsFetcher;
use crate::s3::S3ObjectStore;
use crate::sfn::SfnOrchestrator;

/// How long a synchronous execution is waited for: API Gateway ends requests at 29 s.
pub const SYNC_TIMEOUT: Duration = Duration::from_secs(25);

/// The built-in processes, the same the local engine offers (echo, water-bodies).
pub fn builtin_processes() -> BuiltinRegistry {
    stratus_processes::builtins()
}

/// Logging for a Lambda function: `AWS_LAMBDA_LOG_LEVEL`/`RUST_LOG` level, JSON when the
/// function's log format is JSON.
pub fn init_tracing() {
    lambda_runtime::tracing::init_default_subscriber();
}

/// The CWL runner of the Lambda functions: deployed packages never run in a Lambda function
/// but in the job state machine's container task (`RunCwl`, an ECS Fargate task running the
/// `cwl-task` binary with cwltool), so reaching this is a wiring error.
struct CwlInContainerOnly;

#[async_trait::async_trait]
impl CwlRunner for CwlInContainerOnly {
    async fn run(&self, run: CwlRun<'_>, _ctx: &RunContext) -> Result<Outputs, ProcessError> {
        Err(ProcessError::internal(format!(
            "process '{}' is a CWL package: it runs in the CWL container task, not in a Lambda function",
            run.process.id
        )))
    }
}

/// The AWS engine's ports over SDK clients built once.
#[derive(Clone)]
pub struct AwsEngine {
    /// The configuration read at start-up.
    pub config: AwsConfig,
    /// The ports.
    pub ports: Ports,
    /// Deployed processes (the `processes` partition of the jobs table).
    pub process_store: Arc<DynamoProcessStore>,
    orchestrator: Arc<SfnOrchestrator>,
}

impl AwsEngine {
    /// Reads the configuration and the SDK configuration (credentials, region, and
    /// `AWS_ENDPOINT_URL`) from the environment and builds the clients.
    pub async fn from_env() -> Result<Self> {
        let config = AwsConfig::from_env()?;
        let sdk = aws_config::defaults(BehaviorVersion::latest()).load().await;
        Ok(Self::new(config, &sdk))
    }

    /// Builds the clients and ports from a configuration (for Lambda functions).
    pub fn new(config: AwsConfig, sdk: &SdkConfig) -> Self {
        Self::with_cwl_runner(config, sdk, Arc::new(CwlInContainerOnly))
    }

    /// Builds the clients and ports with the CWL engine that runs deployed packages (the
    /// container task of the CWL path of the state machine).
    pub fn with_cwl_runner(config: AwsConfig, sdk: &SdkConfig, cwl: Arc<dyn CwlRunner>) -> Self {
        let region = sdk
            .region()
            .map_or_else(|| "us-east-1".to_string(), ToString::to_string);
        let dynamo = aws_sdk_dynamodb::Client::new(sdk);
        let process_store = Arc::new(DynamoProcessStore::new(
            dynamo.clone(),
            config.jobs_table.clone(),
        ));
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(sdk)
                .force_path_style(config.endpoint_url.is_some())
                .build(),
        );
        let sfn = aws_sdk_sfn::Client::new(sdk);
        let jobs = Arc::new(DynamoJobStore::new(
            dynamo,
            config.jobs_table.clone(),
            config.dismissed_ttl,
        ));
        let objects = Arc::new(S3ObjectStore::new(
            s3.clone(),
            config.bucket.clone(),
            region,
            config.endpoint_url.clone(),
            config.presign_ttl,
        ));
        let limits = Limits::default();
        let http = HttpClient::new(config.net_policy, limits);
        let urls = UrlFetcher::new(http.clone(), Vec::new(), limits.max_document_bytes);
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let processes = Registry::new(
            Arc::new(builtin_processes()),
            process_store.clone(),
            objects.clone(),
            cwl,
            clock.clone(),
        );
        let ports = Ports {
            jobs: jobs.clone(),
            objects,
            processes: Arc::new(processes),
            notifier: Arc::new(HttpNotifier::new(http, false)),
            fetcher: Arc::new(AwsFetcher::new(urls, s3, limits.max_document_bytes)),
            clock,
        };
        let orchestrator = Arc::new(SfnOrchestrator::new(
            sfn,
            config.state_machine_arn.clone(),
            jobs,
        ));
        AwsEngine {
            config,
            ports,
            process_store,
            orchestrator,
        }
    }

    /// State for an API function: the Processes service with a 25 s synchronous limit, links
    /// from `STRATUS_PUBLIC_URL` or the request, and `/objects/{key}` answered by a redirect
    /// to a presigned URL.
    pub fn api_state(&self) -> AppState {
        let orchestrator: Arc<dyn Orchestrator> = self.orchestrator.clone();
        let service = ProcessesService {
            ports: self.ports.clone(),
            orchestrator,
            sync_timeout: Some(SYNC_TIMEOUT),
        };
        AppState::new(
            service,
            ApiConfig {
                public_url: self.config.public_url.clone(),
                redirect_objects: true,
                basemap_url: std::env::var("STRATUS_BASEMAP_URL")
                    .ok()
                    .filter(|u| !u.is_empty()),
                ..ApiConfig::default()
            },
        )
    }

    /// The job runner for task functions (the state machine's Map runs items in parallel).
    pub fn runner(&self) -> JobRunner {
        JobRunner::new(self.ports.clone(), 1)
    }
}

/// State for an API function, from the environment.
pub async fn api_state_from_env() -> Result<AppState> {
    Ok(AwsEngine::from_env().await?.api_state())
}

/// The job runner for a task function, from the environment.
pub async fn runner_from_env() -> Result<JobRunner> {
    Ok(AwsEngine::from_env().await?.runner())
}
