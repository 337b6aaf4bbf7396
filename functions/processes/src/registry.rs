//! The registry of built-in processes.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use stratus_core::ports::ProcessRegistry;
use stratus_core::process::{Process, ProcessDescription};
use stratus_core::{Error, Result};

/// Processes compiled into Stratus. Immutable: they cannot be replaced or undeployed.
#[derive(Clone, Default)]
pub struct BuiltinRegistry {
    processes: BTreeMap<String, Arc<dyn Process>>,
}

impl BuiltinRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a process (replacing one with the same id).
    pub fn with(mut self, process: Arc<dyn Process>) -> Self {
        self.processes
            .insert(process.description().id.clone(), process);
        self
    }

    /// Whether a built-in has this id.
    pub fn contains(&self, id: &str) -> bool {
        self.processes.contains_key(id)
    }
}

#[async_trait]
impl ProcessRegistry for BuiltinRegistry {
    async fn list(&self, offset: usize, limit: usize) -> Result<(Vec<ProcessDescription>, bool)> {
        let page: Vec<ProcessDescription> = self
            .processes
            .values()
            .skip(offset)
            .take(limit)
            .map(|p| p.description().clone())
            .collect();
        let more = self.processes.len() > offset.saturating_add(page.len());
        Ok((page, more))
    }

    async fn get(&self, id: &str) -> Result<Arc<dyn Process>> {
        self.processes
            .get(id)
            .cloned()
            .ok_or_else(|| Error::NoSuchProcess(id.chars().take(128).collect()))
    }
}
