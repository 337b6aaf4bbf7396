//! The process registry port.

use std::sync::Arc;

use async_trait::async_trait;

use crate::cwl::CwlPackage;
use crate::error::{Error, Result};
use crate::package::{Deployment, PackageBody};
use crate::process::{Process, ProcessDescription};

/// A deployed package as stored: the body as received and its CWL.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPackage {
    /// The deployment body, byte for byte, with its media type.
    pub body: PackageBody,
    /// The CWL it holds.
    pub cwl: CwlPackage,
}

/// The processes a server offers: built-ins, and (OGC API - Processes Part 2) deployed ones.
///
/// Built-ins live in code on both engines and are immutable; deployed packages are described
/// in the engine's database ([`crate::ports::ProcessStore`]) with their package in the object
/// store ([`crate::deploy::Registry`] composes both).
///
/// Contract of the Part 2 operations:
/// - `deploy`: `ImmutableProcess` if a built-in has the id, `DuplicatedProcess` if a deployed
///   process has it; otherwise the package is stored and the process is listed at once;
/// - `replace`: `ImmutableProcess` for a built-in, `NoSuchProcess` if nothing is deployed
///   under the id; the id stays, description and package change together;
/// - `undeploy`: `ImmutableProcess` for a built-in, `NoSuchProcess` if unknown; afterwards the
///   process and its package are gone (jobs already run keep their results);
/// - `package`: the body as deployed; `NoSuchProcess` for unknown ids and for built-ins,
///   which have no package.
#[async_trait]
pub trait ProcessRegistry: Send + Sync {
    /// Descriptions in a stable order (built-ins by id, then deployed processes by id),
    /// starting at `offset`, at most `limit`; the flag tells whether more follow.
    async fn list(&self, offset: usize, limit: usize) -> Result<(Vec<ProcessDescription>, bool)>;

    /// A process by id; `NoSuchProcess` if unknown.
    async fn get(&self, id: &str) -> Result<Arc<dyn Process>>;

    /// Deploys a validated package under `deployment.description.id`.
    async fn deploy(&self, deployment: Deployment) -> Result<ProcessDescription> {
        let id = deployment.description.id;
        match self.get(&id).await {
            Ok(_) => Err(Error::ImmutableProcess(id)),
            Err(_) => Err(Error::NotSupported(
                "this server does not deploy processes".into(),
            )),
        }
    }

    /// Replaces the package of a deployed process.
    async fn replace(&self, id: &str, _deployment: Deployment) -> Result<ProcessDescription> {
        self.get(id).await?;
        Err(Error::ImmutableProcess(id.to_string()))
    }

    /// Undeploys a deployed process.
    async fn undeploy(&self, id: &str) -> Result<()> {
        self.get(id).await?;
        Err(Error::ImmutableProcess(id.to_string()))
    }

    /// The package of a deployed process.
    async fn package(&self, id: &str) -> Result<StoredPackage> {
        self.get(id).await?;
        Err(Error::NoSuchProcess(format!(
            "{id} (a built-in process has no package)"
        )))
    }
}
