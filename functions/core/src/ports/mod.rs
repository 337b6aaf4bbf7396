//! Ports: the narrow traits the domain needs from the outside world. Each engine implements
//! them; the doc comment of each trait says how it maps onto both.
//!
//! | Port | Local engine (`stratus-local`) | AWS engine (`stratus-aws`) |
//! |---|---|---|
//! | [`JobStore`] | SQLite file (rusqlite): one `jobs` row per job, indexes on `(status, created)`, `(process_id, created)`, `created`; `UPDATE ... WHERE status IN (...)` | DynamoDB: item per job, `attribute_not_exists` create, `ConditionExpression` on `status`, GSIs `status`+`created#id` and `process`+`created#id` |
//! | [`ObjectStore`] | files under the data dir, atomic rename on write | S3 bucket |
//! | [`Orchestrator`] | tokio tasks with bounded concurrency; the job table is the durable queue | Step Functions `StartExecution` named after the job id; `StopExecution` on dismiss |
//! | [`ProcessRegistry`] | built-ins + deployed packages ([`crate::deploy::Registry`]) | the same |
//! | [`ProcessStore`] | SQLite `processes` table; packages in the object store | DynamoDB items in the jobs table (`pk = processes`, `sk = id`); packages in S3 |
//! | [`CwlRunner`] | `cwltool` as a child process (`--no-container` without a container runtime) | the CWL engine as an ECS Fargate task of the CWL state machine |
//! | [`Notifier`] | spawned HTTP POSTs with retries | awaited HTTP POSTs with retries inside the task Lambda |
//! | [`Fetcher`] | guarded HTTP client, `file://` in allowed directories | guarded HTTP client (public addresses only), `s3://` via S3 |
//! | [`Clock`] | system time | system time |

mod clock;
mod cwl_runner;
mod fetcher;
mod job_store;
mod notifier;
mod object_store;
mod orchestrator;
mod process_store;
mod registry;

pub use clock::{Clock, SystemClock};
pub use cwl_runner::{CwlRun, CwlRunner};
pub use fetcher::{Fetched, Fetcher};
pub use job_store::{ItemProgress, JobStore};
pub use notifier::Notifier;
pub use object_store::{ObjectMeta, ObjectStore, get_json, put_json};
pub use orchestrator::Orchestrator;
pub use process_store::{ProcessRecord, ProcessStore};
pub use registry::{ProcessRegistry, StoredPackage};
