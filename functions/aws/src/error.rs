//! The one error type of the AWS adapters.

use lambda_runtime::Diagnostic;
use stratus_core::job::FailureKind;
use stratus_core::process::ProcessError;

/// `error_type` of a work item that failed for good (Step Functions `Catch`).
pub const ITEM_FAILED: &str = "ItemFailed";
/// `error_type` of a failure worth retrying: a remote resource or an AWS call failed
/// (Step Functions `Retry`).
pub const TRANSIENT: &str = "Transient";
/// `error_type` of a task input the function cannot read.
pub const INVALID_TASK_INPUT: &str = "InvalidTaskInput";
/// `error_type` of a task naming a job that does not exist.
pub const NO_SUCH_JOB: &str = "NoSuchJob";

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong in the AWS adapters and their wiring. Port methods convert it into
/// [`stratus_core::Error::Backend`], so SDK types never leave this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A required environment variable is not set.
    #[error("environment variable {0} is not set")]
    MissingEnv(&'static str),
    /// An environment variable has a value that cannot be used.
    #[error("environment variable {name}: {reason}")]
    BadEnv {
        /// Variable name.
        name: &'static str,
        /// Why the value is refused.
        reason: String,
    },
    /// A DynamoDB item lacks an attribute the mapping needs (schema drift or a foreign item).
    #[error("DynamoDB item lacks attribute '{0}'")]
    MissingAttribute(&'static str),
    /// A DynamoDB attribute has the wrong type or an unreadable value.
    #[error("DynamoDB attribute '{name}': {reason}")]
    BadAttribute {
        /// Attribute name.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// An AWS API call failed.
    #[error("{operation}: {message}")]
    Aws {
        /// The operation, e.g. `DynamoDB UpdateItem`.
        operation: &'static str,
        /// The service's error, rendered with its code.
        message: String,
    },
    /// A task event could not be read.
    #[error("invalid task input: {0}")]
    BadInput(String),
    /// A step of a job (prepare, finalize) failed in the domain or a port.
    #[error("job step failed: {0}")]
    Step(#[from] stratus_core::Error),
    /// A work item failed; the process error says why and is shown to the client.
    #[error("work item failed: {0}")]
    ItemFailed(ProcessError),
}

impl Error {
    /// Wraps an SDK error of `operation`, keeping the service's error code and message.
    pub fn aws<E>(operation: &'static str, err: E) -> Self
    where
        E: std::error::Error + 'static,
    {
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        Error::Aws { operation, message }
    }
}

impl From<Error> for stratus_core::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Step(inner) => inner,
            other => stratus_core::Error::backend("aws", other),
        }
    }
}

/// The message of a task error: the process error as JSON (`{"kind", "message"}`), which the
/// finalize task reads back from the `Cause` Step Functions hands it.
pub fn item_error_message(e: &ProcessError) -> String {
    serde_json::json!({ "kind": e.kind, "message": e.message }).to_string()
}

impl From<Error> for Diagnostic {
    /// Stable error types for `Retry`/`Catch`: a process failure is `ItemFailed` (or
    /// `Transient` when a remote resource failed or timed out), an AWS or store failure
    /// `Transient`, a bad event `InvalidTaskInput`. Internal details go to the log only.
    fn from(e: Error) -> Diagnostic {
        let (error_type, message) = match &e {
            Error::ItemFailed(pe) => (
                match pe.kind {
                    FailureKind::Upstream | FailureKind::Timeout => TRANSIENT,
                    FailureKind::InvalidInput | FailureKind::Internal => ITEM_FAILED,
                },
                item_error_message(pe),
            ),
            Error::BadInput(m) => (INVALID_TASK_INPUT, m.clone()),
            Error::Step(stratus_core::Error::NoSuchJob(id)) => {
                (NO_SUCH_JOB, format!("job '{id}' does not exist"))
            }
            _ => {
                tracing::error!(error = %e, "task failed");
                (
                    TRANSIENT,
                    item_error_message(&ProcessError::internal(
                        "the job could not be run; see the function logs",
                    )),
                )
            }
        };
        Diagnostic {
            error_type: error_type.to_string(),
            error_message: message,
        }
    }
}
