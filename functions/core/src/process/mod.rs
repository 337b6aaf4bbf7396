//! Processes: what they describe, and the trait every process (built-in or deployed) implements.
//!
//! A run is split so both engines can fan it out: [`Process::plan`] turns the inputs into work
//! items, [`Process::run_item`] does one item (locally a tokio task; on AWS one Lambda invocation
//! inside a Step Functions Map), [`Process::finalize`] combines the item results into the outputs.

mod description;

use std::sync::Arc;

pub use description::{
    InputDescription, JobControl, MaxOccurs, OutputDescription, ProcessDescription,
    TransmissionMode, Unbounded,
};

use async_trait::async_trait;
use serde_json::Value;

use crate::execute::Inputs;
use crate::job::{FailureKind, JobId};
use crate::ports::{Clock, Fetcher, JobStore, ObjectStore};
use crate::results::Outputs;

/// One unit of work of a job: a process-defined JSON value (e.g. one STAC item URL) and its
/// position. Items are independent and idempotent: running one twice writes the same objects.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WorkItem {
    /// Position in the plan, from 0.
    pub index: u32,
    /// What the process needs to run the item.
    pub payload: Value,
}

/// What a process may use while running.
#[derive(Clone)]
pub struct RunContext {
    /// The job being run.
    pub job_id: JobId,
    /// Where outputs go; keys under [`RunContext::outputs_prefix`] are removed on dismiss.
    pub objects: Arc<dyn ObjectStore>,
    /// Documents referenced by URL.
    pub fetcher: Arc<dyn Fetcher>,
    /// Job records, for progress reports.
    pub jobs: Arc<dyn JobStore>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

impl RunContext {
    /// The key prefix of this job's outputs: `results/{jobID}/`.
    pub fn outputs_prefix(&self) -> String {
        crate::keys::outputs_prefix(&self.job_id)
    }

    /// Reports progress of the running job (its `message`, and `progress` in percent when
    /// known, at most 99). Best effort: a job no longer running is left as it is.
    pub async fn report(&self, progress: Option<u8>, message: impl Into<String>) {
        let patch = crate::job::JobPatch {
            progress: progress.map(|p| p.min(99)),
            message: Some(message.into()),
            ..Default::default()
        };
        let now = self.clock.now();
        if let Err(e) = self
            .jobs
            .update(&self.job_id, &[crate::job::JobStatus::Running], &patch, now)
            .await
            && !matches!(e, crate::Error::Conflict { .. })
        {
            tracing::warn!(job = %self.job_id, error = %e, "could not report progress");
        }
    }
}

/// A process failure with its class; the message is shown to the client, so it must name the
/// item and the reason and never carry secrets.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct ProcessError {
    /// Class of the failure.
    pub kind: FailureKind,
    /// What went wrong.
    pub message: String,
}

impl ProcessError {
    /// An invalid-input failure.
    pub fn invalid(message: impl Into<String>) -> Self {
        ProcessError {
            kind: FailureKind::InvalidInput,
            message: message.into(),
        }
    }

    /// A remote resource failed.
    pub fn upstream(message: impl Into<String>) -> Self {
        ProcessError {
            kind: FailureKind::Upstream,
            message: message.into(),
        }
    }

    /// An internal failure.
    pub fn internal(message: impl Into<String>) -> Self {
        ProcessError {
            kind: FailureKind::Internal,
            message: message.into(),
        }
    }
}

impl From<crate::Error> for ProcessError {
    fn from(e: crate::Error) -> Self {
        match e {
            crate::Error::InvalidInput(m) => ProcessError::invalid(m),
            other => ProcessError::internal(other.to_string()),
        }
    }
}

/// A process the engines can run.
#[async_trait]
pub trait Process: Send + Sync {
    /// The description clients see and requests are validated against.
    fn description(&self) -> &ProcessDescription;

    /// Whether the runner replaces `{"href"}` values of `input` with the fetched document
    /// before planning (the default). A process that stages references itself, such as a
    /// deployed CWL package with `File` and `Directory` inputs, returns false for them.
    fn resolves_references(&self, _input: &str) -> bool {
        true
    }

    /// Splits validated inputs into work items. The default is one item with a null payload.
    async fn plan(
        &self,
        _inputs: &Inputs,
        _ctx: &RunContext,
    ) -> Result<Vec<WorkItem>, ProcessError> {
        Ok(vec![WorkItem {
            index: 0,
            payload: Value::Null,
        }])
    }

    /// Runs one work item and returns its (small) result. Must be idempotent.
    async fn run_item(
        &self,
        inputs: &Inputs,
        item: &WorkItem,
        ctx: &RunContext,
    ) -> Result<Value, ProcessError>;

    /// Combines item results, in plan order, into the process outputs.
    async fn finalize(
        &self,
        inputs: &Inputs,
        items: Vec<Value>,
        ctx: &RunContext,
    ) -> Result<Outputs, ProcessError>;
}
