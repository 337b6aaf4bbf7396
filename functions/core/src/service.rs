//! The operations of OGC API - Processes Part 1, written once over the ports. HTTP handlers on
//! both engines call these and only translate transport details.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::execute::{ExecutionMode, Preferences, negotiate_mode, validate_request};
use crate::job::{FailureKind, Job, JobId, JobStatus};
use crate::keys;
use crate::package::{self, PackageBody};
use crate::ports::{Orchestrator, StoredPackage, get_json, put_json};
use crate::process::ProcessDescription;
use crate::query::{JobPage, JobQuery};
use crate::results::Outputs;
use crate::runner::Ports;

/// The Processes API over one engine's ports.
#[derive(Clone)]
pub struct ProcessesService {
    /// The ports.
    pub ports: Ports,
    /// Who runs jobs.
    pub orchestrator: Arc<dyn Orchestrator>,
    /// Longest a synchronous execution is waited for before it is answered as a job to monitor
    /// (`None` = wait as long as it takes). API Gateway cuts requests at 29 s, so AWS sets 25 s.
    pub sync_timeout: Option<Duration>,
}

/// The result of an execute request.
#[derive(Debug, Clone)]
pub struct Execution {
    /// The job as last read.
    pub job: Job,
    /// The negotiated mode. A synchronous execution that outlived `sync_timeout` or the client's
    /// `wait` preference is reported as `Async`.
    pub mode: ExecutionMode,
    /// Whether the client's `respond-async` preference was honoured.
    pub async_preference_applied: bool,
}

impl ProcessesService {
    /// Validates an execute request, creates the job (`accepted`), hands it to the orchestrator
    /// and, for a synchronous execution, waits for it to end.
    pub async fn execute(
        &self,
        process_id: &str,
        body: &Value,
        prefs: &Preferences,
    ) -> Result<Execution> {
        let process = self.ports.processes.get(process_id).await?;
        let description = process.description();
        let submission = validate_request(description, body, prefs)?;
        let mode = negotiate_mode(description, prefs);
        let now = self.ports.clock.now();
        let job = Job::accepted(
            JobId::new_v7(),
            &description.id,
            submission.delivery,
            submission.subscriber,
            now,
        );
        put_json(
            &*self.ports.objects,
            &keys::request(&job.id),
            &submission.inputs,
        )
        .await?;
        self.ports.jobs.create(&job).await?;
        self.orchestrator.start(&job).await?;
        match mode {
            ExecutionMode::Async => Ok(Execution {
                job,
                mode,
                async_preference_applied: prefs.respond_async,
            }),
            ExecutionMode::Sync => {
                let limit = match (self.sync_timeout, prefs.wait) {
                    (Some(cap), Some(w)) => Some(cap.min(Duration::from_secs(w))),
                    (cap, None) => cap,
                    (None, Some(w)) => Some(Duration::from_secs(w)),
                };
                let job = self.orchestrator.wait(&job.id, limit).await?;
                let mode = if job.status.is_terminal() {
                    ExecutionMode::Sync
                } else {
                    ExecutionMode::Async
                };
                Ok(Execution {
                    job,
                    mode,
                    async_preference_applied: false,
                })
            }
        }
    }

    /// A job's record.
    pub async fn job(&self, id: &str) -> Result<Job> {
        let id = JobId::parse(id)?;
        self.ports.jobs.get(&id).await
    }

    /// A page of the job list.
    pub async fn jobs(&self, query: &JobQuery) -> Result<JobPage> {
        if query.is_empty() {
            return Ok(JobPage::default());
        }
        self.ports.jobs.list(query, self.ports.clock.now()).await
    }

    /// The outputs of a successful job; otherwise the error that explains why there are none.
    pub async fn results(&self, id: &str) -> Result<(Job, Outputs)> {
        let job = self.job(id).await?;
        outputs_ready(&job)?;
        let outputs: Outputs = get_json(&*self.ports.objects, &keys::results(&job.id)).await?;
        Ok((job, outputs))
    }

    /// Dismisses a job. A job still accepted or running is stopped (no more work, its outputs
    /// removed) and stays listed as `dismissed`; a finished job has its outputs and record
    /// removed. Dismissing a dismissed job again returns it unchanged.
    pub async fn dismiss(&self, id: &str) -> Result<Job> {
        let job = self.job(id).await?;
        let now = self.ports.clock.now();
        match job.status {
            JobStatus::Dismissed => Ok(job),
            JobStatus::Accepted | JobStatus::Running => {
                let dismissed = match self
                    .ports
                    .jobs
                    .update(
                        &job.id,
                        &JobStatus::DISMISSABLE,
                        &crate::job::JobPatch::dismissed(),
                        now,
                    )
                    .await
                {
                    Ok(j) => j,
                    // It finished meanwhile: dismiss it as a finished job.
                    Err(Error::Conflict { .. }) => return Box::pin(self.dismiss(id)).await,
                    Err(e) => return Err(e),
                };
                self.orchestrator.cancel(&job.id).await?;
                self.remove_everything_but_the_record(&job.id).await?;
                Ok(dismissed)
            }
            JobStatus::Successful | JobStatus::Failed => {
                self.remove_everything_but_the_record(&job.id).await?;
                self.ports.jobs.delete(&job.id).await?;
                Ok(crate::job::Job {
                    status: JobStatus::Dismissed,
                    message: Some("dismissed by the client; results removed".into()),
                    updated: now,
                    ..job
                })
            }
        }
    }

    async fn remove_everything_but_the_record(&self, id: &JobId) -> Result<()> {
        self.ports
            .objects
            .delete_prefix(&keys::outputs_prefix(id))
            .await?;
        self.ports
            .objects
            .delete_prefix(&keys::job_prefix(id))
            .await?;
        Ok(())
    }

    /// Deploys an application package (OGC API - Processes Part 2, `POST /processes`);
    /// `workflow` is the `w` parameter. Returns the new process's description.
    pub async fn deploy(
        &self,
        body: PackageBody,
        workflow: Option<&str>,
    ) -> Result<ProcessDescription> {
        let deployment = package::parse(body, workflow, None, &*self.ports.fetcher).await?;
        self.ports.processes.deploy(deployment).await
    }

    /// Replaces a deployed process's package (`PUT /processes/{id}`); the id stays.
    pub async fn replace(
        &self,
        id: &str,
        body: PackageBody,
        workflow: Option<&str>,
    ) -> Result<ProcessDescription> {
        self.mutable(id).await?;
        let deployment = package::parse(body, workflow, Some(id), &*self.ports.fetcher).await?;
        self.ports.processes.replace(id, deployment).await
    }

    /// Undeploys a deployed process (`DELETE /processes/{id}`).
    pub async fn undeploy(&self, id: &str) -> Result<()> {
        self.mutable(id).await?;
        self.ports.processes.undeploy(id).await
    }

    /// The package a process was deployed with (`GET /processes/{id}/package`).
    pub async fn package(&self, id: &str) -> Result<StoredPackage> {
        self.ports.processes.package(id).await
    }

    /// `NoSuchProcess` for an unknown id, `ImmutableProcess` for a built-in.
    async fn mutable(&self, id: &str) -> Result<()> {
        let process = self.ports.processes.get(id).await?;
        if process.description().mutable {
            Ok(())
        } else {
            Err(Error::ImmutableProcess(id.to_string()))
        }
    }

    /// The current time of this engine.
    pub fn now(&self) -> DateTime<Utc> {
        self.ports.clock.now()
    }
}

/// Why a job has no outputs to show, if it has none.
pub fn outputs_ready(job: &Job) -> Result<()> {
    match job.status {
        JobStatus::Successful => Ok(()),
        JobStatus::Failed => Err(Error::JobFailed {
            id: job.id.to_string(),
            kind: job.failure.unwrap_or(FailureKind::Internal),
            message: job.message.clone().unwrap_or_else(|| "failed".into()),
        }),
        JobStatus::Dismissed => Err(Error::JobDismissed(job.id.to_string())),
        status => Err(Error::ResultNotReady {
            id: job.id.to_string(),
            status,
        }),
    }
}
