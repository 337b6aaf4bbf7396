//! The object-store layout, shared by both engines.
//!
//! ```text
//! jobs/{jobID}/request.json          validated inputs of the execute request
//! jobs/{jobID}/plan.json             work items (the Step Functions Map reads it as its manifest)
//! jobs/{jobID}/items/{n}.json        result of work item n
//! jobs/{jobID}/results.json          the job's outputs
//! results/{jobID}/...                files the process publishes (e.g. {itemID}/otsu.tif)
//! processes/{id}/{revision}/package  a deployed package as received (Part 2)
//! processes/{id}/{revision}/cwl.json its CWL as JSON, what the CWL engine runs
//! ```

use crate::job::JobId;

/// Key of the stored validated inputs.
pub fn request(id: &JobId) -> String {
    format!("jobs/{id}/request.json")
}

/// Key of the stored work-item plan.
pub fn plan(id: &JobId) -> String {
    format!("jobs/{id}/plan.json")
}

/// Key of one work item's result.
pub fn item_result(id: &JobId, index: u32) -> String {
    format!("jobs/{id}/items/{index}.json")
}

/// Key of the stored outputs.
pub fn results(id: &JobId) -> String {
    format!("jobs/{id}/results.json")
}

/// Prefix of everything the engine keeps about a job.
pub fn job_prefix(id: &JobId) -> String {
    format!("jobs/{id}/")
}

/// Prefix of the files a job publishes.
pub fn outputs_prefix(id: &JobId) -> String {
    format!("results/{id}/")
}

/// Prefix of a deployed process's package objects (every revision).
pub fn process_prefix(id: &str) -> String {
    format!("processes/{id}/")
}

/// Prefix of one revision of a deployed process's package objects.
pub fn package_prefix(id: &str, revision: &str) -> String {
    format!("processes/{id}/{revision}/")
}

/// Key of a deployed package as received.
pub fn package(id: &str, revision: &str) -> String {
    format!("processes/{id}/{revision}/package")
}

/// Key of a deployed package's CWL as JSON.
pub fn package_cwl(id: &str, revision: &str) -> String {
    format!("processes/{id}/{revision}/cwl.json")
}
