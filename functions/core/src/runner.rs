//! Running a job, in the three steps both engines share: [`JobRunner::prepare`] (claim the job,
//! plan its work items), [`JobRunner::run_item`] (one item; idempotent), and
//! [`JobRunner::finalize`] (combine, publish, set the terminal status). The local executor calls
//! [`JobRunner::run`], which chains them in-process; on AWS each step is a Lambda inside a Step
//! Functions execution and the Map state fans out `run_item`.

use std::sync::Arc;

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

use crate::documents::{results_document, status_info};
use crate::error::{Error, Result};
use crate::execute::{Inputs, is_reference, validate_value};
use crate::job::{FailureKind, Job, JobId, JobPatch, JobStatus};
use crate::keys;
use crate::ports::{
    Clock, Fetched, Fetcher, JobStore, Notifier, ObjectStore, ProcessRegistry, get_json, put_json,
};
use crate::process::{Process, ProcessError, RunContext, TransmissionMode, WorkItem};
use crate::results::{OutputValue, Outputs};

/// The ports a runner and the services use, built once per engine.
#[derive(Clone)]
pub struct Ports {
    /// Job records.
    pub jobs: Arc<dyn JobStore>,
    /// Documents and outputs.
    pub objects: Arc<dyn ObjectStore>,
    /// Processes.
    pub processes: Arc<dyn ProcessRegistry>,
    /// Callback delivery.
    pub notifier: Arc<dyn Notifier>,
    /// Documents referenced by URL.
    pub fetcher: Arc<dyn Fetcher>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

/// What [`JobRunner::prepare`] decided.
#[derive(Debug, Clone, PartialEq)]
pub enum Prepared {
    /// The job runs these items.
    Run(Vec<WorkItem>),
    /// Nothing to do: the job is already terminal (a duplicate start, or dismissed meanwhile).
    Skip(JobStatus),
}

/// Outcome of one work item.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemOutcome {
    /// The item ran (or had already run) and its result is stored.
    Done,
    /// The job is no longer running; the item did nothing.
    Skipped(JobStatus),
}

/// Runs jobs through their steps. Cheap to clone.
#[derive(Clone)]
pub struct JobRunner {
    ports: Ports,
    item_concurrency: usize,
}

impl JobRunner {
    /// A runner running up to `item_concurrency` items of one job at a time in [`Self::run`].
    pub fn new(ports: Ports, item_concurrency: usize) -> Self {
        JobRunner {
            ports,
            item_concurrency: item_concurrency.max(1),
        }
    }

    /// The ports.
    pub fn ports(&self) -> &Ports {
        &self.ports
    }

    fn context(&self, id: &JobId) -> RunContext {
        RunContext {
            job_id: id.clone(),
            objects: self.ports.objects.clone(),
            fetcher: self.ports.fetcher.clone(),
            jobs: self.ports.jobs.clone(),
            clock: self.ports.clock.clone(),
        }
    }

    async fn load(&self, job: &Job) -> Result<(Arc<dyn Process>, Inputs)> {
        let process = self.ports.processes.get(&job.process_id).await?;
        let inputs: Inputs = get_json(&*self.ports.objects, &keys::request(&job.id)).await?;
        Ok((process, inputs))
    }

    /// Runs a whole job in this process: prepare, items with bounded concurrency (stopping at
    /// the first failure), finalize. Returns the job's final record.
    pub async fn run(&self, id: &JobId) -> Result<Job> {
        let items = match self.prepare(id).await? {
            Prepared::Run(items) => items,
            Prepared::Skip(_) => return self.ports.jobs.get(id).await,
        };
        // After the first failure no new item starts, but items in flight run to their end:
        // cancelling one mid-write could leave an object behind after finalize removed them.
        let failure: std::sync::Mutex<Option<ProcessError>> = std::sync::Mutex::new(None);
        let failed = |f: &std::sync::Mutex<Option<ProcessError>>| {
            f.lock().map(|g| g.is_some()).unwrap_or(true)
        };
        futures::stream::iter(items)
            .for_each_concurrent(self.item_concurrency, |item| {
                let failure = &failure;
                async move {
                    if failed(failure) {
                        return;
                    }
                    if let Err(e) = self.run_item(id, &item).await
                        && let Ok(mut first) = failure.lock()
                    {
                        first.get_or_insert(e);
                    }
                }
            })
            .await;
        let failure = failure.into_inner().unwrap_or_else(|p| p.into_inner());
        self.finalize(id, failure).await
    }

    /// Claims the job (`accepted`/`running` -> `running`), plans its items and stores the plan
    /// (`jobs/{id}/plan.json`, the Map manifest on AWS). A planning failure fails the job.
    pub async fn prepare(&self, id: &JobId) -> Result<Prepared> {
        let now = self.ports.clock.now();
        let job = match self
            .ports
            .jobs
            .update(
                id,
                &[JobStatus::Accepted, JobStatus::Running],
                &JobPatch::running("planning"),
                now,
            )
            .await
        {
            Ok(job) => job,
            Err(Error::Conflict { current, .. }) => return Ok(Prepared::Skip(current)),
            Err(e) => return Err(e),
        };
        self.notify_progress(&job).await;
        let planned = async {
            let (process, inputs) = self.load(&job).await.map_err(ProcessError::from)?;
            let inputs = self.resolve_references(&*process, &job.id, inputs).await?;
            let items = process.plan(&inputs, &self.context(id)).await?;
            if items.is_empty() {
                return Err(ProcessError::internal("the process planned no work"));
            }
            Ok(items)
        }
        .await;
        let items = match planned {
            Ok(items) => items,
            Err(e) => {
                let job = self.finalize(id, Some(e)).await?;
                return Ok(Prepared::Skip(job.status));
            }
        };
        put_json(&*self.ports.objects, &keys::plan(id), &items).await?;
        let total = u32::try_from(items.len()).unwrap_or(u32::MAX);
        match self
            .ports
            .jobs
            .set_items_total(id, total, self.ports.clock.now())
            .await
        {
            Ok(_) => Ok(Prepared::Run(items)),
            Err(Error::Conflict { current, .. }) => Ok(Prepared::Skip(current)),
            Err(e) => Err(e),
        }
    }

    /// Runs one work item if the job still runs and the item has no stored result yet; stores
    /// the result and counts the item once. Process failures are returned as `ProcessError`
    /// for the caller to pass to [`Self::finalize`] (AWS: the state machine's `Catch`).
    pub async fn run_item(&self, id: &JobId, item: &WorkItem) -> Result<ItemOutcome, ProcessError> {
        let job = self.ports.jobs.get(id).await.map_err(ProcessError::from)?;
        if job.status != JobStatus::Running {
            return Ok(ItemOutcome::Skipped(job.status));
        }
        let key = keys::item_result(id, item.index);
        let exists = match self.ports.objects.head(&key).await {
            Ok(_) => true,
            Err(Error::NoSuchObject(_)) => false,
            Err(e) => return Err(e.into()),
        };
        if !exists {
            let (process, inputs) = self.load(&job).await.map_err(ProcessError::from)?;
            let value = process.run_item(&inputs, item, &self.context(id)).await?;
            put_json(&*self.ports.objects, &key, &value)
                .await
                .map_err(ProcessError::from)?;
        }
        let now = self.ports.clock.now();
        let progress = self
            .ports
            .jobs
            .mark_item_done(id, item.index, now)
            .await
            .map_err(ProcessError::from)?;
        let patch = JobPatch {
            progress: Some(percent(progress.done, progress.total)),
            message: Some(format!(
                "{} of {} items done",
                progress.done, progress.total
            )),
            ..Default::default()
        };
        match self
            .ports
            .jobs
            .update(id, &[JobStatus::Running], &patch, now)
            .await
        {
            Ok(job) => {
                self.notify_progress(&job).await;
                Ok(ItemOutcome::Done)
            }
            Err(Error::Conflict { current, .. }) => {
                // Dismissed or failed while this item ran: what it published must not stay.
                if matches!(current, JobStatus::Dismissed | JobStatus::Failed) {
                    self.remove_outputs(id).await;
                }
                Ok(ItemOutcome::Skipped(current))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Ends the job: on `failure`, marks it failed and removes anything it published; otherwise
    /// combines item results, stores outputs (by reference where asked) and marks it successful.
    /// Idempotent: a job already terminal is returned unchanged.
    pub async fn finalize(&self, id: &JobId, failure: Option<ProcessError>) -> Result<Job> {
        let job = self.ports.jobs.get(id).await?;
        if job.status.is_terminal() {
            return Ok(job);
        }
        let outcome = match failure {
            Some(e) => Err(e),
            None => self.publish(&job).await,
        };
        let now = self.ports.clock.now();
        let expected = [JobStatus::Accepted, JobStatus::Running];
        match outcome {
            Ok(outputs) => {
                match self
                    .ports
                    .jobs
                    .update(id, &expected, &JobPatch::successful(), now)
                    .await
                {
                    Ok(job) => {
                        self.notify_success(&job, &outputs).await;
                        Ok(job)
                    }
                    Err(Error::Conflict { .. }) => {
                        let job = self.ports.jobs.get(id).await?;
                        if job.status == JobStatus::Dismissed {
                            self.remove_outputs(id).await;
                        }
                        Ok(job)
                    }
                    Err(e) => Err(e),
                }
            }
            Err(e) => {
                self.remove_outputs(id).await;
                match self
                    .ports
                    .jobs
                    .update(id, &expected, &JobPatch::failed(e.kind, &e.message), now)
                    .await
                {
                    Ok(job) => {
                        self.notify_failure(&job).await;
                        Ok(job)
                    }
                    Err(Error::Conflict { .. }) => self.ports.jobs.get(id).await,
                    Err(other) => Err(other),
                }
            }
        }
    }

    async fn publish(&self, job: &Job) -> Result<Outputs, ProcessError> {
        let (process, inputs) = self.load(job).await.map_err(ProcessError::from)?;
        let plan: Vec<WorkItem> = get_json(&*self.ports.objects, &keys::plan(&job.id))
            .await
            .map_err(ProcessError::from)?;
        let ctx = self.context(&job.id);
        let objects = &*self.ports.objects;
        let results: Vec<Value> = futures::stream::iter(plan.iter())
            .then(|item| async move {
                get_json::<Value>(objects, &keys::item_result(&job.id, item.index))
                    .await
                    .map_err(|e| match e {
                        Error::NoSuchObject(_) => ProcessError::internal(format!(
                            "work item {} has no result",
                            item.index
                        )),
                        other => ProcessError::from(other),
                    })
            })
            .try_collect()
            .await?;
        let outputs = process.finalize(&inputs, results, &ctx).await?;
        let outputs = self
            .apply_transmission(job, outputs)
            .await
            .map_err(ProcessError::from)?;
        put_json(objects, &keys::results(&job.id), &outputs)
            .await
            .map_err(ProcessError::from)?;
        Ok(outputs)
    }

    /// Keeps the selected outputs, storing inline values as objects where the client asked for
    /// references.
    async fn apply_transmission(&self, job: &Job, outputs: Outputs) -> Result<Outputs> {
        let mut selected = Outputs::new();
        for (id, out) in outputs {
            let Some(mode) = job.delivery.outputs.get(&id) else {
                continue;
            };
            let out = match (mode, out) {
                (
                    TransmissionMode::Reference,
                    OutputValue::Inline {
                        value,
                        media_type,
                        encoding,
                    },
                ) => {
                    let (body, media_type) = inline_bytes(&value, media_type, encoding.as_deref())?;
                    let key = format!("{}{id}", keys::outputs_prefix(&job.id));
                    self.ports.objects.put(&key, body, &media_type).await?;
                    OutputValue::Stored { key, media_type }
                }
                (_, out) => out,
            };
            selected.insert(id, out);
        }
        Ok(selected)
    }

    /// Replaces inputs given by reference with the fetched values, validated against their
    /// schemas (OGC API - Processes 1.0, /req/core/process-execute-input-validation), and stores
    /// the resolved inputs so later steps read them.
    async fn resolve_references(
        &self,
        process: &dyn Process,
        id: &JobId,
        mut inputs: Inputs,
    ) -> Result<Inputs, ProcessError> {
        let mut changed = false;
        for (name, value) in inputs.iter_mut() {
            let Some(desc) = process.description().inputs.get(name) else {
                continue;
            };
            if !process.resolves_references(name) {
                continue;
            }
            let slots: Vec<&mut Value> = match value {
                Value::Array(values) => values.iter_mut().collect(),
                single => vec![single],
            };
            for slot in slots {
                if !is_reference(slot) {
                    continue;
                }
                let href = slot["href"].as_str().unwrap_or_default().to_string();
                // A reference that cannot be resolved makes the input invalid, whatever the
                // cause: the client chose it.
                let fetched =
                    self.ports.fetcher.fetch(&href).await.map_err(|e| {
                        ProcessError::invalid(format!("input '{name}': {}", e.message))
                    })?;
                let resolved = referenced_value(name, fetched)?;
                validate_value(name, &desc.schema, &resolved)
                    .map_err(|e| ProcessError::invalid(format!("{e} (fetched from {href})")))?;
                *slot = resolved;
                changed = true;
            }
        }
        if changed {
            put_json(&*self.ports.objects, &keys::request(id), &inputs)
                .await
                .map_err(ProcessError::from)?;
        }
        Ok(inputs)
    }

    async fn remove_outputs(&self, id: &JobId) {
        if let Err(e) = self
            .ports
            .objects
            .delete_prefix(&keys::outputs_prefix(id))
            .await
        {
            tracing::warn!(job = %id, error = %e, "could not remove outputs");
        }
    }

    async fn notify_progress(&self, job: &Job) {
        if let Some(uri) = job
            .subscriber
            .as_ref()
            .and_then(|s| s.in_progress_uri.as_deref())
        {
            self.ports
                .notifier
                .notify(uri, Value::Object(status_info(job)))
                .await;
        }
    }

    async fn notify_success(&self, job: &Job, outputs: &Outputs) {
        let Some(uri) = job
            .subscriber
            .as_ref()
            .and_then(|s| s.success_uri.as_deref())
        else {
            return;
        };
        match results_document(outputs, &*self.ports.objects).await {
            Ok(doc) => self.ports.notifier.notify(uri, doc).await,
            Err(e) => tracing::warn!(job = %job.id, error = %e, "no results for the callback"),
        }
    }

    async fn notify_failure(&self, job: &Job) {
        if let Some(uri) = job
            .subscriber
            .as_ref()
            .and_then(|s| s.failed_uri.as_deref())
        {
            self.ports
                .notifier
                .notify(uri, Value::Object(status_info(job)))
                .await;
        }
    }
}

/// The value of a fetched reference: JSON documents parsed, text as a string, anything else a
/// base64 qualified value with its media type.
fn referenced_value(input: &str, fetched: Fetched) -> Result<Value, ProcessError> {
    use base64::Engine;
    let media = fetched
        .media_type
        .as_deref()
        .unwrap_or("")
        .to_ascii_lowercase();
    let is_json = media.contains("json");
    if is_json || media.is_empty() {
        match serde_json::from_slice::<Value>(&fetched.body) {
            Ok(v) => return Ok(v),
            Err(e) if is_json => {
                return Err(ProcessError::invalid(format!(
                    "input '{input}': the referenced document is not valid JSON: {e}"
                )));
            }
            Err(_) => {}
        }
    }
    if (media.starts_with("text/") || media.is_empty())
        && let Ok(s) = std::str::from_utf8(&fetched.body)
    {
        return Ok(Value::String(s.to_string()));
    }
    Ok(serde_json::json!({
        "value": base64::engine::general_purpose::STANDARD.encode(&fetched.body),
        "mediaType": if media.is_empty() { "application/octet-stream".to_string() } else { media },
        "encoding": "base64",
    }))
}

/// Progress in percent; 100 is kept for the finished job.
fn percent(done: u32, total: u32) -> u8 {
    if total == 0 {
        return 0;
    }
    let p = u64::from(done) * 99 / u64::from(total);
    u8::try_from(p.min(99)).unwrap_or(99)
}

/// The bytes and media type of an inline value stored by reference.
pub fn inline_bytes(
    value: &Value,
    media_type: Option<String>,
    encoding: Option<&str>,
) -> Result<(Bytes, String)> {
    use base64::Engine;
    match (value, encoding) {
        (Value::String(s), Some("base64")) => {
            let body = base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_err(|e| Error::invalid(format!("output is not valid base64: {e}")))?;
            Ok((
                Bytes::from(body),
                media_type.unwrap_or_else(|| "application/octet-stream".into()),
            ))
        }
        (Value::String(s), _)
            if media_type
                .as_deref()
                .is_some_and(|m| m.starts_with("text/")) =>
        {
            Ok((Bytes::from(s.clone()), media_type.unwrap_or_default()))
        }
        _ => {
            let body = serde_json::to_vec(value).map_err(|e| Error::backend("encode output", e))?;
            Ok((
                Bytes::from(body),
                media_type.unwrap_or_else(|| "application/json".into()),
            ))
        }
    }
}

impl From<ProcessError> for Error {
    fn from(e: ProcessError) -> Self {
        match e.kind {
            FailureKind::InvalidInput => Error::InvalidInput(e.message),
            _ => Error::backend("process", e.message),
        }
    }
}
