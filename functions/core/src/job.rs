//! Jobs: identity, status machine and the record both job stores persist.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::execute::{Delivery, Subscriber};

/// A job identifier: a UUID in its hyphenated lower-case form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(String);

impl JobId {
    /// Parses a job id from a path segment; anything but a UUID is refused, so ids can be used
    /// in object keys and execution names without escaping.
    pub fn parse(s: &str) -> Result<Self> {
        uuid::Uuid::parse_str(s)
            .map(|u| JobId(u.hyphenated().to_string()))
            .map_err(|_| Error::NoSuchJob(s.chars().take(64).collect()))
    }

    /// A new random, time-ordered id (UUID v7).
    pub fn new_v7() -> Self {
        JobId(uuid::Uuid::now_v7().hyphenated().to_string())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Status of a job, in the OGC wire spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Created, waiting for the engine.
    Accepted,
    /// The engine works on it.
    Running,
    /// Finished with results.
    Successful,
    /// Finished with an error.
    Failed,
    /// Stopped by a client; outputs removed.
    Dismissed,
}

impl JobStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Accepted,
        JobStatus::Running,
        JobStatus::Successful,
        JobStatus::Failed,
        JobStatus::Dismissed,
    ];

    /// The statuses a job list shows when the client gives no `status` filter.
    pub const LISTED_BY_DEFAULT: [JobStatus; 4] = [
        JobStatus::Running,
        JobStatus::Successful,
        JobStatus::Failed,
        JobStatus::Dismissed,
    ];

    /// The statuses from which a job can still be dismissed.
    pub const DISMISSABLE: [JobStatus; 2] = [JobStatus::Accepted, JobStatus::Running];

    /// True once nothing more will happen to the job.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Successful | JobStatus::Failed | JobStatus::Dismissed
        )
    }

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Accepted => "accepted",
            JobStatus::Running => "running",
            JobStatus::Successful => "successful",
            JobStatus::Failed => "failed",
            JobStatus::Dismissed => "dismissed",
        }
    }

    /// Whether the lifecycle allows moving from `self` to `next`. Jobs never move backwards and
    /// never leave a terminal state; `running -> running` is allowed (progress updates).
    pub fn can_become(self, next: JobStatus) -> bool {
        use JobStatus::*;
        matches!(
            (self, next),
            (Accepted, Running | Successful | Failed | Dismissed)
                | (Running, Running | Successful | Failed | Dismissed)
        )
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobStatus {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        JobStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| {
                Error::parameter(
                    "status",
                    format!("'{s}' is not one of accepted, running, successful, failed, dismissed"),
                )
            })
    }
}

/// What created the job; OGC calls jobs created through the Processes API `process`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// Created through `POST /processes/{id}/execution`.
    Process,
}

impl JobKind {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Process => "process",
        }
    }
}

impl FromStr for JobKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "process" => Ok(JobKind::Process),
            other => Err(Error::parameter(
                "type",
                format!("'{other}' is not a job type"),
            )),
        }
    }
}

/// Why a job failed; decides the HTTP status and exception type of its results request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailureKind {
    /// An input was invalid (found while running, e.g. a referenced item lacks a band).
    InvalidInput,
    /// A remote resource the job needed could not be fetched.
    Upstream,
    /// The job ran out of time.
    Timeout,
    /// Anything else: a bug or an infrastructure failure.
    Internal,
}

impl FailureKind {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::InvalidInput => "invalid-input",
            FailureKind::Upstream => "upstream",
            FailureKind::Timeout => "timeout",
            FailureKind::Internal => "internal",
        }
    }
}

impl FromStr for FailureKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        [
            FailureKind::InvalidInput,
            FailureKind::Upstream,
            FailureKind::Timeout,
            FailureKind::Internal,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
        .ok_or_else(|| Error::backend("decode job", format!("unknown failure kind '{s}'")))
    }
}

/// A job as the job stores hold it. Large documents (the execute request, the results) live in
/// the object store under [`crate::keys`]; this record stays small (well below DynamoDB's
/// 400 KB item limit).
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Identifier.
    pub id: JobId,
    /// What created it.
    pub kind: JobKind,
    /// The process it runs.
    pub process_id: String,
    /// Lifecycle status.
    pub status: JobStatus,
    /// Human-readable status message.
    pub message: Option<String>,
    /// When it was accepted.
    pub created: DateTime<Utc>,
    /// When the engine started working on it.
    pub started: Option<DateTime<Utc>>,
    /// When it reached a terminal status.
    pub finished: Option<DateTime<Utc>>,
    /// Last change of any field.
    pub updated: DateTime<Utc>,
    /// Percent done, 0..=100.
    pub progress: u8,
    /// Number of work items the job fans out to (0 until planned).
    pub items_total: u32,
    /// Number of work items finished.
    pub items_done: u32,
    /// Why it failed, when it failed.
    pub failure: Option<FailureKind>,
    /// How the client wants the results rendered.
    pub delivery: Delivery,
    /// Callback URIs.
    pub subscriber: Option<Subscriber>,
    /// How many times an engine started running it (recovery after a crash increments it).
    pub attempts: u32,
    /// Optimistic-concurrency version, bumped by every update.
    pub version: u64,
}

impl Job {
    /// A freshly accepted job.
    pub fn accepted(
        id: JobId,
        process_id: impl Into<String>,
        delivery: Delivery,
        subscriber: Option<Subscriber>,
        now: DateTime<Utc>,
    ) -> Self {
        Job {
            id,
            kind: JobKind::Process,
            process_id: process_id.into(),
            status: JobStatus::Accepted,
            message: Some("accepted".into()),
            created: now,
            started: None,
            finished: None,
            updated: now,
            progress: 0,
            items_total: 0,
            items_done: 0,
            failure: None,
            delivery,
            subscriber,
            attempts: 0,
            version: 0,
        }
    }

    /// Runtime in seconds as the job list's duration filters define it: running jobs count up to
    /// `now`, finished ones up to `finished`; jobs that never started have none.
    pub fn duration_secs(&self, now: DateTime<Utc>) -> Option<i64> {
        let started = self.started?;
        let end = match self.finished {
            Some(f) => f,
            None if self.status == JobStatus::Running => now,
            None => return None,
        };
        Some((end - started).num_seconds())
    }

    /// Applies a patch as a store would, returning the new record (version and `updated` bumped).
    /// Adapters use it to compute what to write; it does not check the expected status.
    pub fn patched(&self, patch: &JobPatch, now: DateTime<Utc>) -> Job {
        let mut job = self.clone();
        if let Some(s) = patch.status {
            job.status = s;
        }
        if let Some(m) = &patch.message {
            job.message = Some(m.clone());
        }
        if let Some(p) = patch.progress {
            job.progress = p.min(100);
        }
        if let Some(t) = patch.items_total {
            job.items_total = t;
        }
        if let Some(d) = patch.items_done {
            job.items_done = d;
        }
        if patch.started && job.started.is_none() {
            job.started = Some(now);
        }
        if patch.status.is_some_and(JobStatus::is_terminal) && job.finished.is_none() {
            job.finished = Some(now);
        }
        if let Some(f) = patch.failure {
            job.failure = Some(f);
        }
        if patch.new_attempt {
            job.attempts += 1;
        }
        job.updated = now;
        job.version += 1;
        job
    }
}

/// A change to a job. Stores apply it only if the job's current status is one of the expected
/// ones (a conditional write), so duplicate deliveries and races are harmless.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JobPatch {
    /// New status.
    pub status: Option<JobStatus>,
    /// New message.
    pub message: Option<String>,
    /// New progress.
    pub progress: Option<u8>,
    /// Number of work items planned.
    pub items_total: Option<u32>,
    /// Number of work items done.
    pub items_done: Option<u32>,
    /// Set `started` to now if unset.
    pub started: bool,
    /// Failure class (with `status: failed`).
    pub failure: Option<FailureKind>,
    /// Count one more engine attempt.
    pub new_attempt: bool,
}

impl JobPatch {
    /// Moves the job to `running` and stamps `started`.
    pub fn running(message: impl Into<String>) -> Self {
        JobPatch {
            status: Some(JobStatus::Running),
            message: Some(message.into()),
            started: true,
            new_attempt: true,
            ..Default::default()
        }
    }

    /// Moves the job to `successful`.
    pub fn successful() -> Self {
        JobPatch {
            status: Some(JobStatus::Successful),
            message: Some("finished".into()),
            progress: Some(100),
            ..Default::default()
        }
    }

    /// Moves the job to `failed` with a message for the client.
    pub fn failed(kind: FailureKind, message: impl Into<String>) -> Self {
        JobPatch {
            status: Some(JobStatus::Failed),
            message: Some(message.into()),
            failure: Some(kind),
            ..Default::default()
        }
    }

    /// Moves the job to `dismissed`.
    pub fn dismissed() -> Self {
        JobPatch {
            status: Some(JobStatus::Dismissed),
            message: Some("dismissed by the client".into()),
            ..Default::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_statuses_never_change() {
        for from in [
            JobStatus::Successful,
            JobStatus::Failed,
            JobStatus::Dismissed,
        ] {
            for to in JobStatus::ALL {
                assert!(!from.can_become(to), "{from} -> {to}");
            }
        }
        assert!(!JobStatus::Running.can_become(JobStatus::Accepted));
        assert!(JobStatus::Accepted.can_become(JobStatus::Running));
    }

    #[test]
    fn job_ids_are_uuids() {
        let id = JobId::new_v7();
        assert_eq!(JobId::parse(id.as_str()).unwrap(), id);
        assert!(matches!(JobId::parse("../etc"), Err(Error::NoSuchJob(_))));
    }

    #[test]
    fn patch_stamps_times_once() {
        let t0 = Utc::now();
        let job = Job::accepted(JobId::new_v7(), "echo", Delivery::default(), None, t0);
        let t1 = t0 + chrono::Duration::seconds(2);
        let running = job.patched(&JobPatch::running("go"), t1);
        assert_eq!(running.started, Some(t1));
        assert_eq!(running.version, 1);
        let t2 = t1 + chrono::Duration::seconds(3);
        let done = running.patched(&JobPatch::successful(), t2);
        assert_eq!(done.started, Some(t1));
        assert_eq!(done.finished, Some(t2));
        assert_eq!(done.duration_secs(t2 + chrono::Duration::hours(1)), Some(3));
        assert_eq!(job.duration_secs(t2), None);
    }
}
