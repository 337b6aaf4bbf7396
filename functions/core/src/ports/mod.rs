//! Ports: the narrow traits the domain needs from the outside world. Each engine implements
//! them; the doc comment of each trait says how it maps onto both.
//!
//! | Port | Local engine (`stratus-local`) | AWS engine (`stratus-aws`) |
//! |---|---|---|
//! | [`JobStore`] | SQLite file (rusqlite): one `jobs` row per job, indexes on `(status, created)`, `(process_id, created)`, `created`; `UPDATE ... WHERE status IN (...)` | DynamoDB: item per job, `attribute_not_exists` create, `ConditionExpression` on `status`, GSIs `status`+`created#id` and `process`+`created#id` |
//! | [`ObjectStore`] | files under the data dir, atomic rename on write | S3 bucket |
//! | [`Orchestrator`] | tokio tasks with bounded concurrency; the job table is the durable queue | Step Functions `StartExecution` named after the job id; `StopExecution` on dismiss |
//! | [`ProcessRegistry`] | built-ins (+ deployed packages from the store) | the same |
//! | [`Notifier`] | spawned HTTP POSTs with retries | awaited HTTP POSTs with retries inside the task Lambda |
//! | [`Fetcher`] | guarded HTTP client, `file://` in allowed directories | guarded HTTP client (public addresses only), `s3://` via S3 |
//! | [`Clock`] | system time | system time |

mod clock;
mod fetcher;
mod job_store;
mod notifier;
mod object_store;
mod orchestrator;
mod registry;

pub use clock::{Clock, SystemClock};
pub use fetcher::{Fetched, Fetcher};
pub use job_store::{ItemProgress, JobStore};
pub use notifier::Notifier;
pub use object_store::{ObjectMeta, ObjectStore, get_json, put_json};
pub use orchestrator::Orchestrator;
pub use registry::ProcessRegistry;
