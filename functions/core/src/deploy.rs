//! Deployed processes (OGC API - Processes Part 2): [`Registry`], the [`ProcessRegistry`] of an
//! engine, composes the built-ins with the deployed packages of a [`ProcessStore`] and the
//! object store; a deployed package runs as a [`DeployedProcess`] on the engine's
//! [`CwlRunner`].
//!
//! Package objects are written before the record that points at them, under a new revision
//! each time (`processes/{id}/{revision}/`), so a reader never sees a record without its
//! package; the objects of a replaced or undeployed revision are removed after the record.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use serde_json::Value;

use crate::cwl::CwlPackage;
use crate::error::{Error, Result};
use crate::execute::Inputs;
use crate::keys;
use crate::package::{Deployment, PackageBody};
use crate::ports::{
    Clock, CwlRun, CwlRunner, ObjectStore, ProcessRecord, ProcessRegistry, ProcessStore,
    StoredPackage, get_json,
};
use crate::process::{Process, ProcessDescription, ProcessError, RunContext, WorkItem};
use crate::results::Outputs;

/// Built-ins plus deployed processes.
#[derive(Clone)]
pub struct Registry {
    builtins: Arc<dyn ProcessRegistry>,
    store: Arc<dyn ProcessStore>,
    objects: Arc<dyn ObjectStore>,
    runner: Arc<dyn CwlRunner>,
    clock: Arc<dyn Clock>,
}

impl Registry {
    /// A registry over the built-ins, the store of deployed processes, the object store
    /// holding their packages, and the CWL engine that runs them.
    pub fn new(
        builtins: Arc<dyn ProcessRegistry>,
        store: Arc<dyn ProcessStore>,
        objects: Arc<dyn ObjectStore>,
        runner: Arc<dyn CwlRunner>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Registry {
            builtins,
            store,
            objects,
            runner,
            clock,
        }
    }

    async fn is_builtin(&self, id: &str) -> Result<bool> {
        match self.builtins.get(id).await {
            Ok(_) => Ok(true),
            Err(Error::NoSuchProcess(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn write_package(&self, d: &Deployment, revision: &str) -> Result<()> {
        let id = &d.description.id;
        self.objects
            .put(
                &keys::package(id, revision),
                d.body.bytes.clone(),
                d.body.format.media_type(),
            )
            .await?;
        let cwl = serde_json::to_vec(&d.cwl.document)
            .map_err(|e| Error::backend("encode a CWL document", e))?;
        self.objects
            .put(
                &keys::package_cwl(id, revision),
                Bytes::from(cwl),
                "application/cwl+json",
            )
            .await
    }

    async fn remove_revision(&self, id: &str, revision: &str) {
        if let Err(e) = self
            .objects
            .delete_prefix(&keys::package_prefix(id, revision))
            .await
        {
            tracing::warn!(process = id, revision, error = %e, "could not remove package objects");
        }
    }

    fn record(&self, d: &Deployment, previous: Option<&ProcessRecord>) -> ProcessRecord {
        let now = self.clock.now();
        ProcessRecord {
            description: d.description.clone(),
            format: d.body.format,
            workflow: d.cwl.workflow.clone(),
            revision: uuid::Uuid::now_v7().simple().to_string(),
            deployed: previous.map_or(now, |p| p.deployed),
            updated: now,
        }
    }
}

#[async_trait]
impl ProcessRegistry for Registry {
    async fn list(&self, offset: usize, limit: usize) -> Result<(Vec<ProcessDescription>, bool)> {
        let (mut page, more_builtins) = self.builtins.list(offset, limit).await?;
        if more_builtins {
            return Ok((page, true));
        }
        // Built-ins before `offset` were skipped: count them to place the deployed page.
        let builtin_count = if page.is_empty() {
            count(&*self.builtins).await?
        } else {
            offset + page.len()
        };
        let deployed_offset = offset.saturating_sub(builtin_count);
        let room = limit - page.len().min(limit);
        if room == 0 {
            let (next, _) = self.store.list(deployed_offset, 1).await?;
            return Ok((page, !next.is_empty()));
        }
        let (records, more) = self.store.list(deployed_offset, room).await?;
        page.extend(records.into_iter().map(|r| r.description));
        Ok((page, more))
    }

    async fn get(&self, id: &str) -> Result<Arc<dyn Process>> {
        match self.builtins.get(id).await {
            Err(Error::NoSuchProcess(_)) => {}
            other => return other,
        }
        let record = self.store.get(id).await?;
        Ok(Arc::new(DeployedProcess {
            record,
            objects: self.objects.clone(),
            runner: self.runner.clone(),
        }))
    }

    async fn deploy(&self, deployment: Deployment) -> Result<ProcessDescription> {
        let id = deployment.description.id.clone();
        if self.is_builtin(&id).await? {
            return Err(Error::ImmutableProcess(id));
        }
        let record = self.record(&deployment, None);
        self.write_package(&deployment, &record.revision).await?;
        match self.store.insert(&record).await {
            Ok(()) => Ok(record.description),
            Err(e) => {
                self.remove_revision(&id, &record.revision).await;
                Err(match e {
                    Error::AlreadyExists(_) => Error::DuplicatedProcess(id),
                    other => other,
                })
            }
        }
    }

    async fn replace(&self, id: &str, deployment: Deployment) -> Result<ProcessDescription> {
        if self.is_builtin(id).await? {
            return Err(Error::ImmutableProcess(id.to_string()));
        }
        let current = self.store.get(id).await?;
        let record = self.record(&deployment, Some(&current));
        self.write_package(&deployment, &record.revision).await?;
        match self.store.replace(&record).await {
            Ok(previous) => {
                self.remove_revision(id, &previous.revision).await;
                Ok(record.description)
            }
            Err(e) => {
                self.remove_revision(id, &record.revision).await;
                Err(e)
            }
        }
    }

    async fn undeploy(&self, id: &str) -> Result<()> {
        if self.is_builtin(id).await? {
            return Err(Error::ImmutableProcess(id.to_string()));
        }
        let removed = self.store.delete(id).await?;
        self.remove_revision(id, &removed.revision).await;
        Ok(())
    }

    async fn package(&self, id: &str) -> Result<StoredPackage> {
        if self.is_builtin(id).await? {
            return Err(Error::NoSuchProcess(format!(
                "{id} (a built-in process has no package)"
            )));
        }
        let record = self.store.get(id).await?;
        let (bytes, _) = self
            .objects
            .get(&keys::package(id, &record.revision))
            .await?;
        let cwl = load_cwl(&*self.objects, &record).await?;
        Ok(StoredPackage {
            body: PackageBody {
                format: record.format,
                bytes,
            },
            cwl,
        })
    }
}

/// How many processes a registry lists.
async fn count(registry: &dyn ProcessRegistry) -> Result<usize> {
    let (all, _) = registry.list(0, usize::MAX).await?;
    Ok(all.len())
}

async fn load_cwl(objects: &dyn ObjectStore, record: &ProcessRecord) -> Result<CwlPackage> {
    let document: Value =
        get_json(objects, &keys::package_cwl(record.id(), &record.revision)).await?;
    Ok(CwlPackage {
        document,
        workflow: record.workflow.clone(),
    })
}

/// A deployed CWL package as a process: one work item, run by the engine's [`CwlRunner`].
pub struct DeployedProcess {
    record: ProcessRecord,
    objects: Arc<dyn ObjectStore>,
    runner: Arc<dyn CwlRunner>,
}

impl DeployedProcess {
    /// The stored record.
    pub fn record(&self) -> &ProcessRecord {
        &self.record
    }
}

#[async_trait]
impl Process for DeployedProcess {
    fn description(&self) -> &ProcessDescription {
        &self.record.description
    }

    fn resolves_references(&self, input: &str) -> bool {
        // File and Directory inputs are staged by the CWL engine; their schemas say so.
        self.record.description.inputs.get(input).is_none_or(|d| {
            d.schema != crate::cwl::file_schema() && d.schema != crate::cwl::directory_schema()
        })
    }

    async fn run_item(
        &self,
        inputs: &Inputs,
        _item: &WorkItem,
        ctx: &RunContext,
    ) -> Result<Value, ProcessError> {
        let cwl = load_cwl(&*self.objects, &self.record)
            .await
            .map_err(ProcessError::from)?;
        let outputs = self
            .runner
            .run(
                CwlRun {
                    process: &self.record.description,
                    cwl: &cwl,
                    inputs,
                },
                ctx,
            )
            .await?;
        serde_json::to_value(outputs)
            .map_err(|e| ProcessError::internal(format!("could not record the outputs: {e}")))
    }

    async fn finalize(
        &self,
        _inputs: &Inputs,
        items: Vec<Value>,
        _ctx: &RunContext,
    ) -> Result<Outputs, ProcessError> {
        let first = items
            .into_iter()
            .next()
            .ok_or_else(|| ProcessError::internal("the CWL run left no outputs"))?;
        serde_json::from_value(first)
            .map_err(|e| ProcessError::internal(format!("could not read the outputs: {e}")))
    }
}
