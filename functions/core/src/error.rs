//! The one error type of the domain and its ports.

use crate::job::{FailureKind, JobStatus};

/// Result alias used across the domain and by port adapters.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong in the domain or behind a port. Variants are matched by the API layer to
/// choose an HTTP status and an OGC exception type; `Backend` never reaches a client verbatim.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No process has this identifier.
    #[error("process '{0}' does not exist")]
    NoSuchProcess(String),
    /// No job has this identifier.
    #[error("job '{0}' does not exist")]
    NoSuchJob(String),
    /// The job exists but has not finished yet.
    #[error("the results of job '{id}' are not ready: the job is {status}")]
    ResultNotReady {
        /// Job identifier.
        id: String,
        /// Its current status.
        status: JobStatus,
    },
    /// The job was dismissed and its outputs removed.
    #[error("job '{0}' was dismissed; its results were removed")]
    JobDismissed(String),
    /// The job ended in failure; `kind` tells why.
    #[error("job '{id}' failed: {message}")]
    JobFailed {
        /// Job identifier.
        id: String,
        /// Class of the failure.
        kind: FailureKind,
        /// What went wrong, for the client.
        message: String,
    },
    /// The execute request or one of its inputs is invalid; the message names the input.
    #[error("{0}")]
    InvalidInput(String),
    /// A query or path parameter is invalid.
    #[error("invalid value for parameter '{name}': {reason}")]
    InvalidParameter {
        /// Parameter name.
        name: String,
        /// Why it is invalid.
        reason: String,
    },
    /// A conditional update found the job in another state than expected.
    #[error("job '{id}' is {current}, not in an expected state for this change")]
    Conflict {
        /// Job identifier.
        id: String,
        /// Status the store holds now.
        current: JobStatus,
    },
    /// A create found an existing record with the same key.
    #[error("'{0}' already exists")]
    AlreadyExists(String),
    /// A deployment names a process id a deployed process already has (Part 2).
    #[error("a process with id '{0}' is already deployed; replace it with PUT /processes/{0}")]
    DuplicatedProcess(String),
    /// A deployment, replacement or undeployment names a built-in process (Part 2).
    #[error("process '{0}' is built in: it cannot be deployed over, replaced or undeployed")]
    ImmutableProcess(String),
    /// An application package is invalid; the message names the problem.
    #[error("invalid application package: {0}")]
    InvalidPackage(String),
    /// The `w` parameter of a deployment names no Workflow of the package (Part 2).
    #[error("{0}")]
    WorkflowNotFound(String),
    /// This engine or registry does not offer the operation.
    #[error("{0}")]
    NotSupported(String),
    /// An object is missing from the object store.
    #[error("object '{0}' does not exist")]
    NoSuchObject(String),
    /// A request is larger than an explicit limit.
    #[error("{what} exceeds the limit of {limit}")]
    TooLarge {
        /// What was too large.
        what: String,
        /// The limit, human readable.
        limit: String,
    },
    /// A storage, orchestration or network backend failed. Logged, never shown to clients.
    #[error("{context}: {source}")]
    Backend {
        /// What was being done.
        context: String,
        /// The adapter's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    /// Wraps an adapter error with what was being done.
    pub fn backend(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::Backend {
            context: context.into(),
            source: source.into(),
        }
    }

    /// An invalid-input error.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::InvalidInput(message.into())
    }

    /// An invalid query or path parameter.
    pub fn parameter(name: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name: name.into(),
            reason: reason.into(),
        }
    }
}
