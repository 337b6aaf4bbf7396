//! The CWL engine port: who runs deployed application packages.

use async_trait::async_trait;

use crate::cwl::CwlPackage;
use crate::execute::Inputs;
use crate::process::{ProcessDescription, ProcessError, RunContext};
use crate::results::Outputs;

/// One run of a deployed package.
#[derive(Debug, Clone, Copy)]
pub struct CwlRun<'a> {
    /// The deployed process.
    pub process: &'a ProcessDescription,
    /// Its CWL and the workflow to run.
    pub cwl: &'a CwlPackage,
    /// Validated inputs; `File` and `Directory` inputs are still references (`{"href"}`) or
    /// inline values, for the engine to stage.
    pub inputs: &'a Inputs,
}

/// Runs a CWL workflow on a real CWL engine and publishes its outputs.
///
/// - Local engine: `cwltool` as a child process in its own process group, in a working
///   directory under the data directory, with `--no-container` when no container runtime is
///   available; `File`/`Directory` inputs are staged into the working directory, outputs are
///   staged out to `results/{jobID}/{outputID}/...`. Dropping the future (a dismissed job)
///   kills the whole process group.
/// - AWS engine: the job state machine runs the CWL engine as an ECS Fargate task
///   (`ecs:runTask.sync`) with inputs and outputs in S3.
///
/// Errors are process failures: the message carries the engine's own error lines.
#[async_trait]
pub trait CwlRunner: Send + Sync {
    /// Runs the package's workflow to its end.
    async fn run(&self, run: CwlRun<'_>, ctx: &RunContext) -> Result<Outputs, ProcessError>;
}
