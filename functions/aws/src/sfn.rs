//! The orchestrator on Step Functions.
//!
//! A job runs as one execution of the job state machine (`infra/statemachines/job.asl.json`),
//! named after the job id: a duplicate start is `ExecutionAlreadyExists` and harmless. Dismiss
//! stops the execution; work items still running see the job's status and publish nothing.
//! `wait` polls the job store, since the API Lambda only needs the record.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sfn::Client;
use serde_json::json;
use stratus_core::job::{Job, JobId};
use stratus_core::ports::{JobStore, Orchestrator};

use crate::error::Error;

/// Longest pause between two reads of a job while waiting for it.
const MAX_POLL: Duration = Duration::from_secs(1);

/// Orchestrator on a Step Functions state machine. Cheap to clone.
#[derive(Clone)]
pub struct SfnOrchestrator {
    client: Client,
    state_machine_arn: Option<String>,
    jobs: Arc<dyn JobStore>,
}

/// The input of a job execution (and of its `prepare` task).
pub fn execution_input(id: &JobId) -> String {
    json!({ "jobId": id }).to_string()
}

/// The ARN of the execution of job `id` on `state_machine_arn`
/// (`arn:aws:states:r:a:stateMachine:name` -> `arn:aws:states:r:a:execution:name:id`).
pub fn execution_arn(state_machine_arn: &str, id: &JobId) -> Option<String> {
    let (head, name) = state_machine_arn.split_once(":stateMachine:")?;
    Some(format!("{head}:execution:{name}:{id}"))
}

impl SfnOrchestrator {
    /// An orchestrator starting executions of `state_machine_arn` (functions that never start
    /// or stop jobs may pass `None`) and reading jobs from `jobs` while waiting.
    pub fn new(client: Client, state_machine_arn: Option<String>, jobs: Arc<dyn JobStore>) -> Self {
        SfnOrchestrator {
            client,
            state_machine_arn,
            jobs,
        }
    }

    fn arn(&self) -> stratus_core::Result<&str> {
        self.state_machine_arn
            .as_deref()
            .ok_or_else(|| Error::MissingEnv("STRATUS_STATE_MACHINE_ARN").into())
    }
}

#[async_trait]
impl Orchestrator for SfnOrchestrator {
    async fn start(&self, job: &Job) -> stratus_core::Result<()> {
        let result = self
            .client
            .start_execution()
            .state_machine_arn(self.arn()?)
            .name(job.id.as_str())
            .input(execution_input(&job.id))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_execution_already_exists()) =>
            {
                Ok(())
            }
            Err(e) => Err(Error::aws("Step Functions StartExecution", e).into()),
        }
    }

    async fn cancel(&self, id: &JobId) -> stratus_core::Result<()> {
        let arn = self.arn()?;
        let execution = execution_arn(arn, id).ok_or_else(|| Error::BadEnv {
            name: "STRATUS_STATE_MACHINE_ARN",
            reason: format!("'{arn}' is not a state machine ARN"),
        })?;
        let result = self
            .client
            .stop_execution()
            .execution_arn(execution)
            .cause("dismissed by the client")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_execution_does_not_exist()) =>
            {
                Ok(())
            }
            Err(e) => Err(Error::aws("Step Functions StopExecution", e).into()),
        }
    }

    async fn wait(&self, id: &JobId, timeout: Option<Duration>) -> stratus_core::Result<Job> {
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        let mut pause = Duration::from_millis(50);
        loop {
            let job = self.jobs.get(id).await?;
            if job.status.is_terminal() {
                return Ok(job);
            }
            let now = tokio::time::Instant::now();
            let sleep = match deadline {
                Some(d) if now >= d => return Ok(job),
                Some(d) => pause.min(d - now),
                None => pause,
            };
            tokio::time::sleep(sleep).await;
            pause = (pause * 2).min(MAX_POLL);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn execution_arns_follow_the_state_machine() {
        let id = JobId::new_v7();
        assert_eq!(
            execution_arn("arn:aws:states:eu-west-1:123:stateMachine:jobs", &id),
            Some(format!("arn:aws:states:eu-west-1:123:execution:jobs:{id}"))
        );
        assert_eq!(execution_arn("nonsense", &id), None);
        assert_eq!(execution_input(&id), format!("{{\"jobId\":\"{id}\"}}"));
    }
}
