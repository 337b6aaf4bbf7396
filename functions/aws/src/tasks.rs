//! The task handlers of the job state machine, as library functions over
//! [`JobRunner`]; each Lambda binary wraps one in `lambda_runtime::service_fn`.
//!
//! ```text
//! Prepare   {"jobId"}                      -> {"jobId", "run", "items", "manifest"}
//! Map       ItemReader s3://{bucket}/{manifest} (the plan, a JSON array of work items)
//!   RunItem {"jobId", "item": {...}}         -> {"jobId", "done", "skipped"}
//!           or {"Items": [...], "BatchInput": {"jobId"}}   (ItemBatcher)
//!   Catch -> FailJob = Finalize with the error, then fail the iteration
//! Finalize  {"jobId", "error"?: {"Error", "Cause"}} -> {"jobId", "status"}
//! ```
//!
//! Errors carry stable `error_type`s (see [`crate::error`]); every task tolerates being run
//! again with the same input.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use stratus_core::job::{FailureKind, JobId, JobStatus};
use stratus_core::keys;
use stratus_core::process::{ProcessError, WorkItem};
use stratus_core::runner::{ItemOutcome, JobRunner, Prepared};

use crate::error::{Error, INVALID_TASK_INPUT, ITEM_FAILED, NO_SUCH_JOB, Result, TRANSIENT};

/// A job named by a task input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobRef {
    /// The job id.
    pub job_id: String,
}

/// Where a job's work runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    /// Work items, each in a run-item function (built-in processes).
    #[default]
    Items,
    /// The CWL engine in an ECS task (deployed packages: every deployed process is mutable,
    /// every built-in is not).
    Cwl,
}

/// What `prepare` tells the state machine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrepareOutput {
    /// The job id.
    pub job_id: String,
    /// Whether items are to run (false: the job is already terminal).
    pub run: bool,
    /// Number of planned items.
    pub items: u32,
    /// Where the items run: `items` (the Distributed Map of run-item functions) or `cwl`
    /// (a deployed CWL package: the CWL engine's container task).
    #[serde(default)]
    pub engine: Engine,
    /// Key of the plan in the bucket: the Distributed Map's `ItemReader` manifest.
    pub manifest: String,
}

/// One entry of a run-item input.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
enum ItemEntry {
    /// `{"jobId", "item"}`, what the Map's `ItemSelector` builds.
    WithJob {
        #[serde(rename = "jobId")]
        job_id: String,
        item: WorkItem,
    },
    /// A bare work item (the job id is in `BatchInput`).
    Bare(WorkItem),
}

/// The input of `run-item`: one entry, or an `ItemBatcher` batch of them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum RunItemInput {
    /// `{"Items": [...], "BatchInput": {"jobId"}}`.
    Batch {
        /// The entries.
        #[serde(rename = "Items")]
        items: Vec<Value>,
        /// Shared input of the batch.
        #[serde(rename = "BatchInput", default)]
        batch_input: Option<Value>,
    },
    /// `{"jobId", "item"}`.
    Single {
        /// The job id.
        #[serde(rename = "jobId")]
        job_id: String,
        /// The work item.
        item: WorkItem,
    },
}

impl RunItemInput {
    /// The (job, item) pairs to run, in order.
    pub fn entries(self) -> Result<Vec<(String, WorkItem)>> {
        match self {
            RunItemInput::Single { job_id, item } => Ok(vec![(job_id, item)]),
            RunItemInput::Batch { items, batch_input } => {
                let shared = batch_input
                    .as_ref()
                    .and_then(|b| b.get("jobId"))
                    .and_then(Value::as_str)
                    .map(str::to_string);
                items
                    .into_iter()
                    .map(|v| match serde_json::from_value::<ItemEntry>(v) {
                        Ok(ItemEntry::WithJob { job_id, item }) => Ok((job_id, item)),
                        Ok(ItemEntry::Bare(item)) => shared
                            .clone()
                            .map(|id| (id, item))
                            .ok_or_else(|| Error::BadInput("a batch item has no jobId".into())),
                        Err(e) => Err(Error::BadInput(format!("batch item: {e}"))),
                    })
                    .collect()
            }
        }
    }
}

/// What `run-item` reports (the state machine discards it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunItemOutput {
    /// The job id.
    pub job_id: String,
    /// Items run or found already done.
    pub done: u32,
    /// Items skipped because the job no longer runs.
    pub skipped: u32,
}

/// An error a `Catch` caught, as Step Functions passes it on (`ResultPath: "$.error"`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaughtError {
    /// The error name (`ItemFailed`, `States.Timeout`, ...).
    #[serde(rename = "Error", default)]
    pub error: String,
    /// The cause: for a Lambda error, its JSON response (`errorType`, `errorMessage`).
    #[serde(rename = "Cause", default)]
    pub cause: Option<String>,
}

/// The input of `finalize-job`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FinalizeInput {
    /// The job id.
    pub job_id: String,
    /// The error that ended the run early, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<CaughtError>,
}

/// What `finalize-job` reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FinalizeOutput {
    /// The job id.
    pub job_id: String,
    /// Its final status.
    pub status: JobStatus,
}

fn parse_id(id: &str) -> Result<JobId> {
    JobId::parse(id).map_err(|_| Error::BadInput(format!("'{id}' is not a job id")))
}

/// Reads a task event into `T`.
pub fn input<T: serde::de::DeserializeOwned>(event: Value) -> Result<T> {
    serde_json::from_value(event).map_err(|e| Error::BadInput(e.to_string()))
}

/// Claims and plans a job, storing its plan as the Map manifest.
pub async fn prepare(runner: &JobRunner, input: JobRef) -> Result<PrepareOutput> {
    let id = parse_id(&input.job_id)?;
    let (run, items) = match runner.prepare(&id).await? {
        Prepared::Run(items) => (true, u32::try_from(items.len()).unwrap_or(u32::MAX)),
        Prepared::Skip(_) => (false, 0),
    };
    let engine = if run {
        let job = runner.ports().jobs.get(&id).await?;
        let process = runner.ports().processes.get(&job.process_id).await?;
        if process.description().mutable {
            Engine::Cwl
        } else {
            Engine::Items
        }
    } else {
        Engine::Items
    };
    Ok(PrepareOutput {
        manifest: keys::plan(&id),
        job_id: id.to_string(),
        run,
        items,
        engine,
    })
}

/// Runs a deployed CWL package's job (its one work item) in the CWL container task; a failure
/// fails the job with the engine's message before it is returned.
pub async fn run_cwl(runner: &JobRunner, input: JobRef) -> Result<RunItemOutput> {
    let id = parse_id(&input.job_id)?;
    let item = stratus_core::process::WorkItem {
        index: 0,
        payload: Value::Null,
    };
    match runner.run_item(&id, &item).await {
        Ok(ItemOutcome::Done) => Ok(RunItemOutput {
            job_id: id.to_string(),
            done: 1,
            skipped: 0,
        }),
        Ok(ItemOutcome::Skipped(_)) => Ok(RunItemOutput {
            job_id: id.to_string(),
            done: 0,
            skipped: 1,
        }),
        Err(e) => {
            runner.finalize(&id, Some(e.clone())).await?;
            Err(Error::ItemFailed(e))
        }
    }
}

/// Runs the work items of an input (one, or an `ItemBatcher` batch), stopping at the first
/// failure.
pub async fn run_item(runner: &JobRunner, input: RunItemInput) -> Result<RunItemOutput> {
    let entries = input.entries()?;
    let mut out = RunItemOutput {
        job_id: entries.first().map(|(j, _)| j.clone()).unwrap_or_default(),
        done: 0,
        skipped: 0,
    };
    for (job, item) in entries {
        let id = parse_id(&job)?;
        match runner.run_item(&id, &item).await {
            Ok(ItemOutcome::Done) => out.done += 1,
            Ok(ItemOutcome::Skipped(_)) => out.skipped += 1,
            Err(e) => {
                tracing::warn!(job = %id, item = item.index, error = %e, "work item failed");
                return Err(Error::ItemFailed(e));
            }
        }
    }
    Ok(out)
}

/// Ends a job: successful if no error was caught, else failed with the caught error's message.
pub async fn finalize(runner: &JobRunner, input: FinalizeInput) -> Result<FinalizeOutput> {
    let id = parse_id(&input.job_id)?;
    let failure = input.error.as_ref().map(failure_of);
    let job = runner.finalize(&id, failure).await?;
    Ok(FinalizeOutput {
        job_id: id.to_string(),
        status: job.status,
    })
}

/// The process error behind a caught error: the `{"kind", "message"}` our functions put in
/// `errorMessage`, or a generic message for errors raised by Step Functions or Lambda itself.
pub fn failure_of(caught: &CaughtError) -> ProcessError {
    #[derive(Deserialize)]
    struct Reported {
        kind: FailureKind,
        message: String,
    }
    let cause = caught.cause.as_deref().unwrap_or_default();
    let message = serde_json::from_str::<Value>(cause)
        .ok()
        .and_then(|v| match v.get("errorMessage") {
            Some(Value::String(m)) => Some(m.clone()),
            _ => None,
        })
        .unwrap_or_else(|| cause.to_string());
    let ours = [ITEM_FAILED, TRANSIENT, INVALID_TASK_INPUT, NO_SUCH_JOB];
    if ours.contains(&caught.error.as_str())
        && let Ok(r) = serde_json::from_str::<Reported>(&message)
    {
        return ProcessError {
            kind: r.kind,
            message: r.message,
        };
    }
    tracing::warn!(error = %caught.error, cause, "job ended by an error of the platform");
    match caught.error.as_str() {
        "States.Timeout" | "Sandbox.Timedout" => ProcessError {
            kind: FailureKind::Timeout,
            message: "a step of the job ran out of time".into(),
        },
        _ => ProcessError::internal(format!(
            "the job could not be run ({}); see the function logs",
            if caught.error.is_empty() {
                "unknown error"
            } else {
                &caught.error
            }
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn run_item_inputs_plain_and_batched() {
        let plain: RunItemInput =
            input(json!({"jobId": "j", "item": {"index": 2, "payload": {"u": 1}}})).unwrap();
        assert_eq!(
            plain.entries().unwrap(),
            vec![(
                "j".to_string(),
                WorkItem {
                    index: 2,
                    payload: json!({"u": 1})
                }
            )]
        );
        let batch: RunItemInput = input(json!({
            "Items": [{"jobId": "j", "item": {"index": 0, "payload": null}},
                      {"index": 1, "payload": "x"}],
            "BatchInput": {"jobId": "j"}
        }))
        .unwrap();
        let entries = batch.entries().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].1.index, 1);
        let orphan: RunItemInput = input(json!({"Items": [{"index": 1, "payload": 1}]})).unwrap();
        assert!(orphan.entries().is_err());
        assert!(input::<RunItemInput>(json!({"jobId": "j"})).is_err());
    }

    #[test]
    fn caught_errors_become_process_errors() {
        let lambda_cause = json!({
            "errorType": "ItemFailed",
            "errorMessage": "{\"kind\":\"upstream\",\"message\":\"item 2: HTTP 502\"}"
        })
        .to_string();
        let e = failure_of(&CaughtError {
            error: "ItemFailed".into(),
            cause: Some(lambda_cause),
        });
        assert_eq!(e, ProcessError::upstream("item 2: HTTP 502"));
        let bare = failure_of(&CaughtError {
            error: "Transient".into(),
            cause: Some("{\"kind\":\"invalid-input\",\"message\":\"bad\"}".into()),
        });
        assert_eq!(bare, ProcessError::invalid("bad"));
        for error in ["States.Timeout", "Sandbox.Timedout"] {
            let timeout = failure_of(&CaughtError {
                error: error.into(),
                cause: Some("Task timed out after 8.00 seconds".into()),
            });
            assert_eq!(timeout.kind, FailureKind::Timeout);
        }
        let other = failure_of(&CaughtError {
            error: "States.ExceedToleratedFailureThreshold".into(),
            cause: Some("secret internals".into()),
        });
        assert_eq!(other.kind, FailureKind::Internal);
        assert!(!other.message.contains("secret"));
    }

    #[test]
    fn diagnostics_have_stable_types() {
        let d = lambda_runtime::Diagnostic::from(Error::ItemFailed(ProcessError::invalid("x")));
        assert_eq!(d.error_type, ITEM_FAILED);
        let d = lambda_runtime::Diagnostic::from(Error::ItemFailed(ProcessError::upstream("x")));
        assert_eq!(d.error_type, TRANSIENT);
        let d = lambda_runtime::Diagnostic::from(Error::Step(stratus_core::Error::backend(
            "ddb",
            "throttled",
        )));
        assert_eq!(d.error_type, TRANSIENT);
        assert!(!d.error_message.contains("throttled"));
        let d = lambda_runtime::Diagnostic::from(Error::BadInput("no jobId".into()));
        assert_eq!(d.error_type, INVALID_TASK_INPUT);
    }
}
