//! The CWL container task of the job state machine (`RunCwl`: `ecs:runTask.sync` on Fargate):
//! runs the deployed package of job `STRATUS_JOB_ID` with cwltool (`STRATUS_CWLTOOL`, default
//! `cwltool`, in the image), inputs staged from and outputs staged out to S3. Exits non-zero
//! when the run fails, after marking the job failed with the engine's message.

use std::sync::Arc;

use stratus_aws::{AwsConfig, AwsEngine, tasks};
use stratus_cwl::{Containers, CwltoolConfig, CwltoolRunner};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    stratus_aws::init_tracing();
    match run().await {
        Ok(out) => {
            tracing::info!(job = %out.job_id, done = out.done, "CWL task finished");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "CWL task failed");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<tasks::RunItemOutput, Box<dyn std::error::Error + Send + Sync>> {
    let job_id = std::env::var("STRATUS_JOB_ID").map_err(|_| "STRATUS_JOB_ID is not set")?;
    let config = AwsConfig::from_env()?;
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let cwltool = std::env::var("STRATUS_CWLTOOL").unwrap_or_else(|_| "cwltool".into());
    let runner = CwltoolRunner::new(CwltoolConfig {
        program: cwltool.into(),
        work_dir: std::env::temp_dir().join("stratus-work"),
        // Fargate tasks have no container runtime: the image holds the tools' environment.
        containers: Containers::Never,
    });
    let engine = AwsEngine::with_cwl_runner(config, &sdk, Arc::new(runner));
    Ok(tasks::run_cwl(&engine.runner(), tasks::JobRef { job_id }).await?)
}
