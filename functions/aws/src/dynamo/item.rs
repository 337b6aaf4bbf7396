//! Mapping between [`Job`] and DynamoDB items.
//!
//! ```text
//! pk           S  job id                      (table partition key)
//! sk           S  "job" | "item#{n}"          (table sort key: the job, or a done-item marker)
//! status       S  accepted|running|...        (GSI by-status partition key)
//! process      S  process id                  (GSI by-process partition key)
//! created_id   S  "{created µs, 20 digits}#{id}" (sort key of both GSIs: newest first = descending)
//! kind, message, failure                      S
//! created, started, finished, updated         N  Unix milliseconds
//! progress, items_total, items_done, attempts, version   N
//! delivery, subscriber                        S  JSON documents (small)
//! expires                                     N  Unix seconds, DynamoDB TTL (dismissed jobs, markers)
//! ```
//!
//! Only job items carry `status`/`process`/`created_id`, so markers stay out of the indexes.

use std::collections::HashMap;
use std::str::FromStr;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use stratus_core::job::{FailureKind, Job, JobId, JobKind, JobStatus};

use crate::error::{Error, Result};

/// A DynamoDB item.
pub type Item = HashMap<String, AttributeValue>;

/// A job record as a DynamoDB item (`JobItem::try_from(&job)`).
#[derive(Debug, Clone, PartialEq)]
pub struct JobItem(pub Item);

/// A stored item read as a job (`Job::try_from(ItemView(&item))`).
#[derive(Debug, Clone, Copy)]
pub struct ItemView<'a>(pub &'a Item);

/// Partition key attribute.
pub const PK: &str = "pk";
/// Sort key attribute.
pub const SK: &str = "sk";
/// Sort key value of a job record.
pub const JOB_SK: &str = "job";
/// Status attribute (GSI `by-status` partition key).
pub const STATUS: &str = "status";
/// Process attribute (GSI `by-process` partition key).
pub const PROCESS: &str = "process";
/// Sort key of both GSIs.
pub const CREATED_ID: &str = "created_id";
/// TTL attribute.
pub const EXPIRES: &str = "expires";
/// GSI of jobs by status.
pub const BY_STATUS: &str = "by-status";
/// GSI of jobs by process.
pub const BY_PROCESS: &str = "by-process";

/// Sort key of a done-item marker.
pub fn marker_sk(index: u32) -> String {
    format!("item#{index}")
}

/// The GSI sort key of a job created at `created` with id `id`: fixed-width microseconds, so
/// string order is `(created, id)` order.
pub fn created_id(created: DateTime<Utc>, id: &str) -> String {
    format!("{:020}#{id}", created.timestamp_micros().max(0))
}

/// The key of a job record.
pub fn job_key(id: &JobId) -> Item {
    HashMap::from([
        (PK.to_string(), s(id.as_str())),
        (SK.to_string(), s(JOB_SK)),
    ])
}

/// A string attribute.
pub fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A number attribute.
pub fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn millis(t: DateTime<Utc>) -> AttributeValue {
    n(t.timestamp_millis())
}

impl TryFrom<&Job> for JobItem {
    type Error = Error;

    fn try_from(job: &Job) -> Result<JobItem> {
        let mut item: Item = HashMap::from([
            (PK.into(), s(job.id.as_str())),
            (SK.into(), s(JOB_SK)),
            ("kind".into(), s(job.kind.as_str())),
            (PROCESS.into(), s(&job.process_id)),
            (STATUS.into(), s(job.status.as_str())),
            (
                CREATED_ID.into(),
                s(created_id(job.created, job.id.as_str())),
            ),
            ("created".into(), millis(job.created)),
            ("updated".into(), millis(job.updated)),
            ("progress".into(), n(job.progress)),
            ("items_total".into(), n(job.items_total)),
            ("items_done".into(), n(job.items_done)),
            ("attempts".into(), n(job.attempts)),
            ("version".into(), n(job.version)),
            ("delivery".into(), s(json("delivery", &job.delivery)?)),
        ]);
        if let Some(m) = &job.message {
            item.insert("message".into(), s(m));
        }
        if let Some(t) = job.started {
            item.insert("started".into(), millis(t));
        }
        if let Some(t) = job.finished {
            item.insert("finished".into(), millis(t));
        }
        if let Some(f) = job.failure {
            item.insert("failure".into(), s(f.as_str()));
        }
        if let Some(sub) = &job.subscriber {
            item.insert("subscriber".into(), s(json("subscriber", sub)?));
        }
        Ok(JobItem(item))
    }
}

impl TryFrom<ItemView<'_>> for Job {
    type Error = Error;

    fn try_from(ItemView(item): ItemView<'_>) -> Result<Job> {
        let bad = |name: &'static str| {
            move |e: stratus_core::Error| Error::BadAttribute {
                name,
                reason: e.to_string(),
            }
        };
        let delivery = get_s(item, "delivery")?;
        Ok(Job {
            id: JobId::parse(get_s(item, PK)?).map_err(bad(PK))?,
            kind: JobKind::from_str(get_s(item, "kind")?).map_err(bad("kind"))?,
            process_id: get_s(item, PROCESS)?.to_string(),
            status: JobStatus::from_str(get_s(item, STATUS)?).map_err(bad(STATUS))?,
            message: opt_s(item, "message")?.map(str::to_string),
            created: get_time(item, "created")?,
            started: opt_time(item, "started")?,
            finished: opt_time(item, "finished")?,
            updated: get_time(item, "updated")?,
            progress: get_n(item, "progress")?,
            items_total: get_n(item, "items_total")?,
            items_done: get_n(item, "items_done")?,
            failure: opt_s(item, "failure")?
                .map(FailureKind::from_str)
                .transpose()
                .map_err(bad("failure"))?,
            delivery: serde_json::from_str(delivery).map_err(|e| Error::BadAttribute {
                name: "delivery",
                reason: e.to_string(),
            })?,
            subscriber: opt_s(item, "subscriber")?
                .map(serde_json::from_str)
                .transpose()
                .map_err(|e| Error::BadAttribute {
                    name: "subscriber",
                    reason: e.to_string(),
                })?,
            attempts: get_n(item, "attempts")?,
            version: get_n(item, "version")?,
        })
    }
}

/// A required string attribute.
pub fn get_s<'a>(item: &'a Item, name: &'static str) -> Result<&'a str> {
    opt_s(item, name)?.ok_or(Error::MissingAttribute(name))
}

fn opt_s<'a>(item: &'a Item, name: &'static str) -> Result<Option<&'a str>> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::S(v)) => Ok(Some(v)),
        Some(_) => Err(Error::BadAttribute {
            name,
            reason: "not a string".into(),
        }),
    }
}

fn opt_n<T: FromStr>(item: &Item, name: &'static str) -> Result<Option<T>> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::N(v)) => v.parse().map(Some).map_err(|_| Error::BadAttribute {
            name,
            reason: format!("'{v}' is out of range"),
        }),
        Some(_) => Err(Error::BadAttribute {
            name,
            reason: "not a number".into(),
        }),
    }
}

/// A required number attribute.
pub fn get_n<T: FromStr>(item: &Item, name: &'static str) -> Result<T> {
    opt_n(item, name)?.ok_or(Error::MissingAttribute(name))
}

fn opt_time(item: &Item, name: &'static str) -> Result<Option<DateTime<Utc>>> {
    opt_n::<i64>(item, name)?
        .map(|ms| {
            DateTime::from_timestamp_millis(ms).ok_or(Error::BadAttribute {
                name,
                reason: format!("{ms} is not a time"),
            })
        })
        .transpose()
}

fn get_time(item: &Item, name: &'static str) -> Result<DateTime<Utc>> {
    opt_time(item, name)?.ok_or(Error::MissingAttribute(name))
}

fn json<T: serde::Serialize>(name: &'static str, value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::BadAttribute {
        name,
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use stratus_core::execute::{Delivery, Subscriber};
    use stratus_core::job::JobPatch;

    use super::*;

    fn sample() -> Job {
        let t = DateTime::from_timestamp_millis(1_700_000_000_123).unwrap();
        let job = Job::accepted(
            JobId::new_v7(),
            "echo",
            Delivery::default(),
            Some(Subscriber {
                success_uri: Some("https://example.com/cb".into()),
                in_progress_uri: None,
                failed_uri: None,
            }),
            t,
        );
        job.patched(&JobPatch::running("go"), t + chrono::Duration::seconds(1))
            .patched(
                &JobPatch::failed(FailureKind::Upstream, "item 1: HTTP 502"),
                t + chrono::Duration::seconds(3),
            )
    }

    #[test]
    fn a_job_round_trips() {
        let job = sample();
        let JobItem(item) = JobItem::try_from(&job).unwrap();
        assert_eq!(Job::try_from(ItemView(&item)).unwrap(), job);
        assert_eq!(
            get_s(&item, CREATED_ID).unwrap(),
            format!("00001700000000123000#{}", job.id)
        );
    }

    #[test]
    fn missing_and_bad_attributes_are_typed_errors() {
        let JobItem(mut item) = JobItem::try_from(&sample()).unwrap();
        item.remove("updated");
        assert!(matches!(
            Job::try_from(ItemView(&item)),
            Err(Error::MissingAttribute("updated"))
        ));
        let JobItem(mut item) = JobItem::try_from(&sample()).unwrap();
        item.insert(STATUS.into(), s("sleeping"));
        assert!(matches!(
            Job::try_from(ItemView(&item)),
            Err(Error::BadAttribute { name: STATUS, .. })
        ));
        let JobItem(mut item) = JobItem::try_from(&sample()).unwrap();
        item.insert("progress".into(), s("ten"));
        assert!(matches!(
            Job::try_from(ItemView(&item)),
            Err(Error::BadAttribute {
                name: "progress",
                ..
            })
        ));
    }

    #[test]
    fn sort_keys_order_like_the_domain() {
        let a = DateTime::from_timestamp_millis(999).unwrap();
        let b = DateTime::from_timestamp_millis(1_000).unwrap();
        assert!(created_id(a, "f") < created_id(b, "0"));
        assert!(created_id(b, "0") < created_id(b, "1"));
    }
}
