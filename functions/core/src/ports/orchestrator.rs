//! The orchestrator port: who runs accepted jobs.

use std::time::Duration;

use async_trait::async_trait;

use crate::error::Result;
use crate::job::{Job, JobId};

/// Runs accepted jobs to a terminal status, through [`crate::runner::JobRunner`]'s steps.
///
/// - Local engine: `start` queues the job on an in-process tokio executor with bounded
///   concurrency; the job table is the durable queue (accepted/running jobs are picked up again
///   on restart); `cancel` aborts the task and waits for it to stop.
/// - AWS engine: `start` calls Step Functions `StartExecution` with the job id as execution
///   name (a duplicate start is `ExecutionAlreadyExists`, treated as success); the state machine
///   runs prepare -> Distributed Map of items -> finalize Lambdas; `cancel` calls
///   `StopExecution`.
#[async_trait]
pub trait Orchestrator: Send + Sync {
    /// Starts running an accepted job. Idempotent per job id.
    async fn start(&self, job: &Job) -> Result<()>;

    /// Stops whatever still runs for a job that was just dismissed. Idempotent; returns once no
    /// more work of the job will write outputs (local) or once the stop was requested (AWS,
    /// where item tasks check the job status before publishing).
    async fn cancel(&self, id: &JobId) -> Result<()>;

    /// Waits until the job is terminal or `timeout` passes; returns the job as last read.
    async fn wait(&self, id: &JobId, timeout: Option<Duration>) -> Result<Job>;
}
