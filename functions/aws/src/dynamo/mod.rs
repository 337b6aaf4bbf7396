//! The job store on DynamoDB.
//!
//! One table keyed by `pk` (job id) and `sk` (`job` for the record, `item#{n}` for done-item
//! markers), two GSIs for the job list (`by-status`, `by-process`, both sorted by
//! `created_id`), and a TTL attribute. Every change is a conditional write:
//! - `create`: `PutItem` with `attribute_not_exists(pk)`;
//! - `update`: one `UpdateItem` whose `ConditionExpression` is `#status IN (:expected...)`,
//!   returning `ALL_NEW` (and `ALL_OLD` on a failed condition, to report the current status);
//! - `mark_item_done`: a transaction of a marker `Put` guarded by `attribute_not_exists` and an
//!   `ADD items_done :one` on the job, so an item is counted once however often it is reported;
//! - `list`: one `Query` per status (or per process) on a GSI, newest first, merged. No `Scan`.

mod item;
mod processes;

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, DeleteRequest, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, ReturnValue,
    ReturnValuesOnConditionCheckFailure, ScalarAttributeType, TimeToLiveSpecification,
    TransactWriteItem, Update, WriteRequest,
};
use chrono::{DateTime, Utc};
use futures::future::try_join_all;
use stratus_core::job::{Job, JobId, JobPatch, JobStatus};
use stratus_core::ports::{ItemProgress, JobStore};
use stratus_core::query::{Direction, JobPage, JobQuery, newest_first};

use item::{
    BY_PROCESS, BY_STATUS, CREATED_ID, EXPIRES, JOB_SK, PK, PROCESS, SK, STATUS, created_id, get_s,
    job_key, marker_sk, n, s,
};
pub use item::{Item, ItemView, JobItem};
pub use processes::DynamoProcessStore;

use crate::error::Error;

/// How long a done-item marker is kept (DynamoDB TTL); long after any job has finished.
const MARKER_TTL: Duration = Duration::from_secs(30 * 86_400);

/// Attempts of a `mark_item_done` transaction that lost a race with another item's.
const TRANSACTION_ATTEMPTS: u32 = 8;

/// Job store on a DynamoDB table. Cheap to clone.
#[derive(Clone, Debug)]
pub struct DynamoJobStore {
    client: Client,
    table: String,
    dismissed_ttl: Duration,
}

fn aws<E: std::error::Error + 'static>(
    operation: &'static str,
) -> impl FnOnce(E) -> stratus_core::Error {
    move |e| Error::aws(operation, e).into()
}

fn epoch_secs(t: DateTime<Utc>, after: Duration) -> i64 {
    t.timestamp()
        .saturating_add(i64::try_from(after.as_secs()).unwrap_or(i64::MAX))
}

impl DynamoJobStore {
    /// A store on `table`; dismissed jobs expire `dismissed_ttl` after their dismissal.
    pub fn new(client: Client, table: impl Into<String>, dismissed_ttl: Duration) -> Self {
        DynamoJobStore {
            client,
            table: table.into(),
            dismissed_ttl,
        }
    }

    /// Creates the table with the schema `infra/template.yaml` declares (keys, GSIs, on-demand
    /// billing, TTL): for emulator tests and hand-made environments.
    pub async fn create_table(client: &Client, table: &str) -> crate::Result<()> {
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .map_err(|e| Error::aws("DynamoDB CreateTable", e))
        };
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| Error::aws("DynamoDB CreateTable", e))
        };
        let gsi = |name: &str, partition: &str| -> crate::Result<GlobalSecondaryIndex> {
            GlobalSecondaryIndex::builder()
                .index_name(name)
                .key_schema(key(partition, KeyType::Hash)?)
                .key_schema(key(CREATED_ID, KeyType::Range)?)
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .map_err(|e| Error::aws("DynamoDB CreateTable", e))
        };
        client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key(PK, KeyType::Hash)?)
            .key_schema(key(SK, KeyType::Range)?)
            .attribute_definitions(attr(PK)?)
            .attribute_definitions(attr(SK)?)
            .attribute_definitions(attr(STATUS)?)
            .attribute_definitions(attr(PROCESS)?)
            .attribute_definitions(attr(CREATED_ID)?)
            .global_secondary_indexes(gsi(BY_STATUS, STATUS)?)
            .global_secondary_indexes(gsi(BY_PROCESS, PROCESS)?)
            .send()
            .await
            .map_err(|e| Error::aws("DynamoDB CreateTable", e))?;
        client
            .update_time_to_live()
            .table_name(table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(EXPIRES)
                    .build()
                    .map_err(|e| Error::aws("DynamoDB UpdateTimeToLive", e))?,
            )
            .send()
            .await
            .map_err(|e| Error::aws("DynamoDB UpdateTimeToLive", e))?;
        Ok(())
    }

    async fn read(&self, id: &JobId) -> stratus_core::Result<Option<Job>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(job_key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(aws("DynamoDB GetItem"))?;
        out.item()
            .map(|item| Job::try_from(ItemView(item)).map_err(Into::into))
            .transpose()
    }

    /// One partition of a job list: jobs of `partition` on `index` within `bounds`, in the
    /// query's direction, until `want` matching jobs are found or the partition ends.
    async fn query_partition(
        &self,
        index: &'static str,
        partition: String,
        plan: &ListPlan<'_>,
    ) -> stratus_core::Result<Vec<Job>> {
        let want = plan.query.limit as usize + 1;
        let mut names = HashMap::from([("#p".to_string(), index_partition_attr(index).into())]);
        let mut values = HashMap::from([(":p".to_string(), s(partition))]);
        let mut condition = "#p = :p".to_string();
        if let Some(range) = plan.bounds.condition() {
            names.insert("#k".into(), CREATED_ID.into());
            condition.push_str(" AND ");
            condition.push_str(&range.expression);
            values.extend(range.values);
        }
        let filter = if index == BY_PROCESS && plan.query.statuses.len() < JobStatus::ALL.len() {
            names.insert("#s".into(), STATUS.into());
            let placeholders: Vec<String> = plan
                .query
                .statuses
                .iter()
                .enumerate()
                .map(|(i, st)| {
                    let ph = format!(":s{i}");
                    values.insert(ph.clone(), s(st.as_str()));
                    ph
                })
                .collect();
            Some(format!("#s IN ({})", placeholders.join(", ")))
        } else {
            None
        };
        let mut found = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression(&condition)
                .set_filter_expression(filter.clone())
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .scan_index_forward(plan.ascending())
                .limit(i32::try_from(want.clamp(25, 1000)).unwrap_or(1000))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(aws("DynamoDB Query"))?;
            for item in out.items() {
                let key = get_s(item, CREATED_ID).map_err(stratus_core::Error::from)?;
                if plan.bounds.excludes(key) {
                    continue;
                }
                let job = Job::try_from(ItemView(item))?;
                if plan.query.matches(&job, plan.now) {
                    found.push(job);
                }
            }
            match out.last_evaluated_key() {
                Some(k) if found.len() < want => start = Some(k.clone()),
                _ => break,
            }
        }
        Ok(found)
    }
}

fn index_partition_attr(index: &str) -> &'static str {
    if index == BY_PROCESS { PROCESS } else { STATUS }
}

/// Sort-key bounds of a job list query: the `datetime` range and the page token, folded into
/// at most one lower and one upper bound, each inclusive or exclusive.
#[derive(Debug, Default, PartialEq)]
struct Bounds {
    lower: Option<(String, bool)>,
    upper: Option<(String, bool)>,
}

/// A sort-key condition with its values.
struct RangeCondition {
    expression: String,
    values: HashMap<String, AttributeValue>,
}

impl Bounds {
    fn of(query: &JobQuery) -> Self {
        let mut b = Bounds {
            lower: query
                .created
                .start
                .map(|t| (format!("{:020}#", t.timestamp_micros().max(0)), true)),
            upper: query
                .created
                .end
                .map(|t| (format!("{:020}#~", t.timestamp_micros().max(0)), true)),
        };
        if let Some(token) = &query.page {
            let key = created_id(token.created, token.id.as_str());
            match token.direction {
                Direction::After => {
                    if b.upper.as_ref().is_none_or(|(u, _)| key <= *u) {
                        b.upper = Some((key, false));
                    }
                }
                Direction::Before => {
                    if b.lower.as_ref().is_none_or(|(l, _)| key >= *l) {
                        b.lower = Some((key, false));
                    }
                }
            }
        }
        b
    }

    fn is_empty(&self) -> bool {
        match (&self.lower, &self.upper) {
            (Some((l, li)), Some((u, ui))) => l > u || (l == u && !(*li && *ui)),
            _ => false,
        }
    }

    /// Whether `key` lies on an exclusive bound (a `BETWEEN` includes it).
    fn excludes(&self, key: &str) -> bool {
        [&self.lower, &self.upper]
            .into_iter()
            .flatten()
            .any(|(b, inclusive)| !inclusive && b == key)
    }

    fn condition(&self) -> Option<RangeCondition> {
        let (expression, values) = match (&self.lower, &self.upper) {
            (None, None) => return None,
            (Some((l, _)), Some((u, _))) => (
                "#k BETWEEN :lo AND :hi".to_string(),
                vec![(":lo", l), (":hi", u)],
            ),
            (Some((l, inclusive)), None) => (
                format!("#k {} :lo", if *inclusive { ">=" } else { ">" }),
                vec![(":lo", l)],
            ),
            (None, Some((u, inclusive))) => (
                format!("#k {} :hi", if *inclusive { "<=" } else { "<" }),
                vec![(":hi", u)],
            ),
        };
        Some(RangeCondition {
            expression,
            values: values
                .into_iter()
                .map(|(k, v)| (k.to_string(), s(v.clone())))
                .collect(),
        })
    }
}

struct ListPlan<'a> {
    query: &'a JobQuery,
    bounds: Bounds,
    now: DateTime<Utc>,
}

impl ListPlan<'_> {
    fn ascending(&self) -> bool {
        self.query
            .page
            .as_ref()
            .is_some_and(|p| p.direction == Direction::Before)
    }
}

/// The update expression of a patch: what [`Job::patched`] does, as one atomic `UpdateItem`.
fn update_expression(
    patch: &JobPatch,
    now: DateTime<Utc>,
    dismissed_ttl: Duration,
) -> (
    String,
    HashMap<String, String>,
    HashMap<String, AttributeValue>,
) {
    let mut sets = vec!["#updated = :now".to_string()];
    let mut adds = vec!["#version :one".to_string()];
    let mut names = HashMap::from([
        ("#updated".to_string(), "updated".to_string()),
        ("#version".to_string(), "version".to_string()),
    ]);
    let mut values = HashMap::from([
        (":now".to_string(), n(now.timestamp_millis())),
        (":one".to_string(), n(1)),
    ]);
    let mut set = |attr: &str, value: AttributeValue| {
        names.insert(format!("#{attr}"), attr.to_string());
        values.insert(format!(":{attr}"), value);
        sets.push(format!("#{attr} = :{attr}"));
    };
    if let Some(st) = patch.status {
        set(STATUS, s(st.as_str()));
        if st == JobStatus::Dismissed {
            set(EXPIRES, n(epoch_secs(now, dismissed_ttl)));
        }
    }
    if let Some(m) = &patch.message {
        set("message", s(m));
    }
    if let Some(p) = patch.progress {
        set("progress", n(p.min(100)));
    }
    if let Some(t) = patch.items_total {
        set("items_total", n(t));
    }
    if let Some(d) = patch.items_done {
        set("items_done", n(d));
    }
    if let Some(f) = patch.failure {
        set("failure", s(f.as_str()));
    }
    if patch.started {
        names.insert("#started".into(), "started".into());
        sets.push("#started = if_not_exists(#started, :now)".into());
    }
    if patch.status.is_some_and(JobStatus::is_terminal) {
        names.insert("#finished".into(), "finished".into());
        sets.push("#finished = if_not_exists(#finished, :now)".into());
    }
    if patch.new_attempt {
        names.insert("#attempts".into(), "attempts".into());
        adds.push("#attempts :one".into());
    }
    (
        format!("SET {} ADD {}", sets.join(", "), adds.join(", ")),
        names,
        values,
    )
}

#[async_trait]
impl JobStore for DynamoJobStore {
    async fn create(&self, job: &Job) -> stratus_core::Result<()> {
        let JobItem(item) = JobItem::try_from(job)?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Err(stratus_core::Error::AlreadyExists(format!(
                    "job {}",
                    job.id
                )))
            }
            Err(e) => Err(aws("DynamoDB PutItem")(e)),
        }
    }

    async fn get(&self, id: &JobId) -> stratus_core::Result<Job> {
        self.read(id)
            .await?
            .ok_or_else(|| stratus_core::Error::NoSuchJob(id.to_string()))
    }

    async fn update(
        &self,
        id: &JobId,
        expected: &[JobStatus],
        patch: &JobPatch,
        now: DateTime<Utc>,
    ) -> stratus_core::Result<Job> {
        if expected.is_empty() {
            let current = self.get(id).await?;
            return Err(stratus_core::Error::Conflict {
                id: id.to_string(),
                current: current.status,
            });
        }
        let (expression, mut names, mut values) = update_expression(patch, now, self.dismissed_ttl);
        names.insert("#pk".into(), PK.into());
        names.insert("#status".into(), STATUS.into());
        let expected_ph: Vec<String> = expected
            .iter()
            .enumerate()
            .map(|(i, st)| {
                let ph = format!(":expected{i}");
                values.insert(ph.clone(), s(st.as_str()));
                ph
            })
            .collect();
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(job_key(id)))
            .update_expression(expression)
            .condition_expression(format!(
                "attribute_exists(#pk) AND #status IN ({})",
                expected_ph.join(", ")
            ))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => {
                let item = out.attributes().ok_or_else(|| {
                    Error::aws(
                        "DynamoDB UpdateItem",
                        std::io::Error::other("no attributes returned"),
                    )
                })?;
                Ok(Job::try_from(ItemView(item))?)
            }
            Err(e) => match e.into_service_error() {
                UpdateItemError::ConditionalCheckFailedException(failed) => {
                    let current = match failed.item() {
                        Some(old) => Some(Job::try_from(ItemView(old))?),
                        None => self.read(id).await?,
                    };
                    match current {
                        Some(job) => Err(stratus_core::Error::Conflict {
                            id: id.to_string(),
                            current: job.status,
                        }),
                        None => Err(stratus_core::Error::NoSuchJob(id.to_string())),
                    }
                }
                other => Err(aws("DynamoDB UpdateItem")(other)),
            },
        }
    }

    async fn mark_item_done(
        &self,
        id: &JobId,
        index: u32,
        now: DateTime<Utc>,
    ) -> stratus_core::Result<ItemProgress> {
        let build = |e: aws_sdk_dynamodb::error::BuildError| {
            stratus_core::Error::from(Error::aws("DynamoDB TransactWriteItems", e))
        };
        let marker = Put::builder()
            .table_name(&self.table)
            .item(PK, s(id.as_str()))
            .item(SK, s(marker_sk(index)))
            .item(EXPIRES, n(epoch_secs(now, MARKER_TTL)))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .build()
            .map_err(build)?;
        let count = Update::builder()
            .table_name(&self.table)
            .set_key(Some(job_key(id)))
            .update_expression("SET #updated = :now ADD #done :one, #version :one")
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#updated", "updated")
            .expression_attribute_names("#done", "items_done")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":now", n(now.timestamp_millis()))
            .expression_attribute_values(":one", n(1))
            .build()
            .map_err(build)?;
        let mut delay = Duration::from_millis(20);
        for attempt in 1..=TRANSACTION_ATTEMPTS {
            let result = self
                .client
                .transact_write_items()
                .transact_items(TransactWriteItem::builder().put(marker.clone()).build())
                .transact_items(TransactWriteItem::builder().update(count.clone()).build())
                .send()
                .await;
            let err = match result {
                Ok(_) => break,
                Err(e) => e,
            };
            let reasons: Vec<String> = err
                .as_service_error()
                .and_then(|se| match se {
                    TransactWriteItemsError::TransactionCanceledException(tc) => Some(
                        tc.cancellation_reasons()
                            .iter()
                            .map(|r| r.code().unwrap_or("None").to_string())
                            .collect(),
                    ),
                    _ => None,
                })
                .unwrap_or_default();
            match reasons.iter().map(String::as_str).collect::<Vec<_>>()[..] {
                // The marker exists: this item was counted before.
                ["ConditionalCheckFailed", ..] => break,
                [_, "ConditionalCheckFailed"] => {
                    return Err(stratus_core::Error::NoSuchJob(id.to_string()));
                }
                // Another item's transaction held the job record: try again shortly.
                [..] if !reasons.is_empty() && attempt < TRANSACTION_ATTEMPTS => {
                    let jitter = u64::from(index % 7) * 3;
                    tokio::time::sleep(delay + Duration::from_millis(jitter)).await;
                    delay = (delay * 2).min(Duration::from_millis(500));
                }
                _ => return Err(aws("DynamoDB TransactWriteItems")(err)),
            }
        }
        let job = self.get(id).await?;
        Ok(ItemProgress {
            done: job.items_done,
            total: job.items_total,
        })
    }

    async fn delete(&self, id: &JobId) -> stratus_core::Result<()> {
        let mut start: Option<Item> = None;
        let mut keys: Vec<Item> = Vec::new();
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":pk", s(id.as_str()))
                .projection_expression("#pk, #sk")
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(aws("DynamoDB Query"))?;
            keys.extend(out.items().iter().cloned());
            match out.last_evaluated_key() {
                Some(k) => start = Some(k.clone()),
                None => break,
            }
        }
        // Markers first, the record last: an interrupted delete leaves a job, not orphans.
        keys.sort_by_key(|k| k.get(SK) == Some(&s(JOB_SK)));
        for chunk in keys.chunks(25) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|key| {
                    DeleteRequest::builder()
                        .set_key(Some(key.clone()))
                        .build()
                        .map(|d| WriteRequest::builder().delete_request(d).build())
                        .map_err(|e| Error::aws("DynamoDB BatchWriteItem", e).into())
                })
                .collect::<stratus_core::Result<_>>()?;
            let mut delay = Duration::from_millis(50);
            while !requests.is_empty() {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(aws("DynamoDB BatchWriteItem"))?;
                requests = out
                    .unprocessed_items()
                    .and_then(|u| u.get(&self.table))
                    .cloned()
                    .unwrap_or_default();
                if !requests.is_empty() {
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
            }
        }
        Ok(())
    }

    async fn list(&self, query: &JobQuery, now: DateTime<Utc>) -> stratus_core::Result<JobPage> {
        let plan = ListPlan {
            query,
            bounds: Bounds::of(query),
            now,
        };
        if plan.bounds.is_empty() || query.is_empty() {
            return Ok(JobPage::default());
        }
        let (index, partitions): (&'static str, Vec<String>) = if query.process_ids.is_empty() {
            (
                BY_STATUS,
                query
                    .statuses
                    .iter()
                    .map(|st| st.as_str().to_string())
                    .collect(),
            )
        } else {
            (BY_PROCESS, query.process_ids.clone())
        };
        let plan = &plan;
        let parts = try_join_all(
            partitions
                .into_iter()
                .map(|p| self.query_partition(index, p, plan)),
        )
        .await?;
        let mut fetched: Vec<Job> = parts.into_iter().flatten().collect();
        fetched.sort_by(newest_first);
        fetched.dedup_by(|a, b| a.id == b.id);
        if plan.ascending() {
            fetched.reverse();
        }
        fetched.truncate(query.limit as usize + 1);
        Ok(JobPage::from_fetched(fetched, query))
    }
}

#[cfg(test)]
mod tests {
    use stratus_core::query::{PageToken, TimeRange};

    use super::*;

    fn t(ms: i64) -> DateTime<Utc> {
        DateTime::from_timestamp_millis(ms).unwrap()
    }

    #[test]
    fn bounds_fold_range_and_token() {
        let id = JobId::new_v7();
        let q = JobQuery {
            created: TimeRange {
                start: Some(t(1_000)),
                end: Some(t(5_000)),
            },
            page: Some(PageToken {
                direction: Direction::After,
                created: t(3_000),
                id: id.clone(),
            }),
            ..Default::default()
        };
        let b = Bounds::of(&q);
        assert_eq!(b.upper, Some((created_id(t(3_000), id.as_str()), false)));
        assert_eq!(b.lower, Some(("00000000000001000000#".into(), true)));
        assert!(b.excludes(&created_id(t(3_000), id.as_str())));
        assert!(!b.is_empty());
        assert_eq!(
            b.condition().unwrap().expression,
            "#k BETWEEN :lo AND :hi".to_string()
        );

        let before_range = JobQuery {
            created: TimeRange {
                start: Some(t(5_000)),
                end: None,
            },
            page: Some(PageToken {
                direction: Direction::After,
                created: t(3_000),
                id,
            }),
            ..Default::default()
        };
        assert!(Bounds::of(&before_range).is_empty());
        assert!(Bounds::of(&JobQuery::default()).condition().is_none());
    }

    #[test]
    fn update_expressions_mirror_patched() {
        let (expr, names, values) =
            update_expression(&JobPatch::running("go"), t(0), Duration::ZERO);
        assert_eq!(
            expr,
            "SET #updated = :now, #status = :status, #message = :message, \
             #started = if_not_exists(#started, :now) ADD #version :one, #attempts :one"
        );
        assert_eq!(names["#status"], "status");
        assert_eq!(values[":status"], s("running"));
        let (expr, _, values) =
            update_expression(&JobPatch::dismissed(), t(10_000), Duration::from_secs(100));
        assert!(expr.contains("#expires = :expires"));
        assert!(expr.contains("#finished = if_not_exists(#finished, :now)"));
        assert_eq!(values[":expires"], n(110));
    }
}
