//! The object-store layout, shared by both engines.
//!
//! ```text
//! jobs/{jobID}/request.json          validated inputs of the execute request
//! jobs/{jobID}/plan.json             work items (the Step Functions Map reads it as its manifest)
//! jobs/{jobID}/items/{n}.json        result of work item n
//! jobs/{jobID}/results.json          the job's outputs
//! results/{jobID}/...                files the process publishes (e.g. {itemID}/otsu.tif)
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
