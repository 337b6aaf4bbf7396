//! The local orchestrator: jobs run as tokio tasks in this process, at most `max_jobs` at a
//! time. The job table is the durable queue: on start-up [`LocalExecutor::recover`] picks up
//! jobs left `accepted` or `running` by a previous process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use stratus_core::Result;
use stratus_core::job::{FailureKind, Job, JobId, JobPatch, JobStatus};
use stratus_core::ports::Orchestrator;
use stratus_core::process::ProcessError;
use stratus_core::query::JobQuery;
use stratus_core::runner::JobRunner;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;

/// A job interrupted by this many restarts is failed instead of resumed.
pub const MAX_ATTEMPTS: u32 = 3;

struct Running {
    handle: JoinHandle<()>,
    done: watch::Receiver<bool>,
}

/// Runs jobs in-process with bounded concurrency.
#[derive(Clone)]
pub struct LocalExecutor {
    runner: JobRunner,
    permits: Arc<Semaphore>,
    running: Arc<Mutex<HashMap<JobId, Running>>>,
}

impl LocalExecutor {
    /// An executor running at most `max_jobs` jobs at once.
    pub fn new(runner: JobRunner, max_jobs: usize) -> Self {
        LocalExecutor {
            runner,
            permits: Arc::new(Semaphore::new(max_jobs.max(1))),
            running: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    fn tasks(&self) -> std::sync::MutexGuard<'_, HashMap<JobId, Running>> {
        self.running
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Resumes jobs a previous process left unfinished: `accepted` ones are queued again;
    /// `running` ones are resumed (items with stored results are not run again) unless they
    /// were already interrupted [`MAX_ATTEMPTS`] times, in which case they fail with a message.
    /// Returns how many jobs were resumed.
    pub async fn recover(&self) -> Result<usize> {
        let jobs = &self.runner.ports().jobs;
        let clock = &self.runner.ports().clock;
        let mut query = JobQuery {
            statuses: vec![JobStatus::Accepted, JobStatus::Running],
            limit: 1000,
            ..Default::default()
        };
        let mut unfinished = Vec::new();
        loop {
            let page = jobs.list(&query, clock.now()).await?;
            unfinished.extend(page.jobs);
            match page.next {
                Some(t) => query.page = Some(t),
                None => break,
            }
        }
        let mut resumed = 0;
        for job in unfinished.into_iter().rev() {
            if job.status == JobStatus::Running && job.attempts >= MAX_ATTEMPTS {
                let message = format!(
                    "the server stopped while this job was running, {} times; not resumed again",
                    job.attempts
                );
                let _ = jobs
                    .update(
                        &job.id,
                        &[JobStatus::Running],
                        &JobPatch::failed(FailureKind::Internal, message),
                        clock.now(),
                    )
                    .await;
                continue;
            }
            self.start(&job).await?;
            resumed += 1;
        }
        Ok(resumed)
    }
}

/// Runs a job; an engine error (not a process failure) still ends it, as failed.
async fn run_to_the_end(runner: &JobRunner, id: &JobId) {
    if let Err(e) = runner.run(id).await {
        tracing::error!(job = %id, error = %e, "job run failed");
        let failure = ProcessError::internal("the job could not be run; see the server log");
        if let Err(e) = runner.finalize(id, Some(failure)).await {
            tracing::error!(job = %id, error = %e, "could not mark the job failed");
        }
    }
}

#[async_trait]
impl Orchestrator for LocalExecutor {
    async fn start(&self, job: &Job) -> Result<()> {
        let mut tasks = self.tasks();
        if tasks.contains_key(&job.id) {
            return Ok(());
        }
        let (tx, rx) = watch::channel(false);
        let runner = self.runner.clone();
        let permits = self.permits.clone();
        let running = self.running.clone();
        let id = job.id.clone();
        let handle = tokio::spawn(async move {
            if let Ok(_permit) = permits.acquire_owned().await {
                run_to_the_end(&runner, &id).await;
            }
            running
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(&id);
            let _ = tx.send(true);
        });
        tasks.insert(job.id.clone(), Running { handle, done: rx });
        Ok(())
    }

    async fn cancel(&self, id: &JobId) -> Result<()> {
        let task = self.tasks().remove(id);
        if let Some(task) = task {
            task.handle.abort();
            match task.handle.await {
                Ok(()) => {}
                Err(e) if e.is_cancelled() => {}
                Err(e) => tracing::error!(job = %id, error = %e, "job task panicked"),
            }
        }
        Ok(())
    }

    async fn wait(&self, id: &JobId, timeout: Option<Duration>) -> Result<Job> {
        let deadline = timeout.map(|t| tokio::time::Instant::now() + t);
        loop {
            let job = self.runner.ports().jobs.get(id).await?;
            if job.status.is_terminal() {
                return Ok(job);
            }
            if deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
                return Ok(job);
            }
            let done = self.tasks().get(id).map(|t| t.done.clone());
            let tick = async {
                match done {
                    Some(mut rx) => {
                        let _ = rx.wait_for(|finished| *finished).await;
                    }
                    None => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            };
            match deadline {
                Some(d) => {
                    let _ = tokio::time::timeout_at(d, tick).await;
                }
                None => tick.await,
            }
        }
    }
}
