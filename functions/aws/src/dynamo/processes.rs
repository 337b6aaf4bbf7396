//! Deployed processes (OGC API - Processes Part 2) in the jobs table.
//!
//! ```text
//! pk      S  "processes"        (one partition: deployed processes are few)
//! sk      S  process id         (the partition's sort order is the listing order)
//! record  S  the ProcessRecord as JSON
//! ```
//!
//! The items carry none of the GSI key attributes, so they stay out of the job indexes.
//! `insert` is a `PutItem` guarded by `attribute_not_exists(pk)`; `replace` and `delete` are
//! guarded by `attribute_exists(pk)` and return the old item (`ALL_OLD`); `list` queries the
//! partition in sort-key order.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use stratus_core::ports::{ProcessRecord, ProcessStore};

use super::item::{Item, PK, SK, get_s, s};
use crate::error::Error;

/// Partition key value of every deployed-process item.
pub const PROCESSES_PK: &str = "processes";
/// Attribute holding the record.
pub const RECORD: &str = "record";

/// Deployed processes on a DynamoDB table (the jobs table). Cheap to clone.
#[derive(Clone, Debug)]
pub struct DynamoProcessStore {
    client: Client,
    table: String,
}

fn aws<E: std::error::Error + 'static>(
    operation: &'static str,
) -> impl FnOnce(E) -> stratus_core::Error {
    move |e| Error::aws(operation, e).into()
}

fn item_of(record: &ProcessRecord) -> stratus_core::Result<Item> {
    let json = serde_json::to_string(record)
        .map_err(|e| stratus_core::Error::backend("encode a process record", e))?;
    Ok(Item::from([
        (PK.to_string(), s(PROCESSES_PK)),
        (SK.to_string(), s(record.id())),
        (RECORD.to_string(), s(json)),
    ]))
}

fn record_of(item: &Item) -> stratus_core::Result<ProcessRecord> {
    let json = get_s(item, RECORD)?;
    serde_json::from_str(json).map_err(|e| {
        Error::BadAttribute {
            name: RECORD,
            reason: e.to_string(),
        }
        .into()
    })
}

fn key(id: &str) -> Item {
    Item::from([(PK.to_string(), s(PROCESSES_PK)), (SK.to_string(), s(id))])
}

impl DynamoProcessStore {
    /// A store on `table` (the jobs table).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoProcessStore {
            client,
            table: table.into(),
        }
    }
}

#[async_trait::async_trait]
impl ProcessStore for DynamoProcessStore {
    async fn insert(&self, record: &ProcessRecord) -> stratus_core::Result<()> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item_of(record)?))
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
                    "process {}",
                    record.id()
                )))
            }
            Err(e) => Err(aws("DynamoDB PutItem")(e)),
        }
    }

    async fn get(&self, id: &str) -> stratus_core::Result<ProcessRecord> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(aws("DynamoDB GetItem"))?;
        match out.item() {
            Some(item) => record_of(item),
            None => Err(stratus_core::Error::NoSuchProcess(id.to_string())),
        }
    }

    async fn replace(&self, record: &ProcessRecord) -> stratus_core::Result<ProcessRecord> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item_of(record)?))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => out
                .attributes()
                .map(record_of)
                .unwrap_or_else(|| Err(Error::MissingAttribute(RECORD).into())),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Err(stratus_core::Error::NoSuchProcess(record.id().to_string()))
            }
            Err(e) => Err(aws("DynamoDB PutItem")(e)),
        }
    }

    async fn delete(&self, id: &str) -> stratus_core::Result<ProcessRecord> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(id)))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(out) => out
                .attributes()
                .map(record_of)
                .unwrap_or_else(|| Err(Error::MissingAttribute(RECORD).into())),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Err(stratus_core::Error::NoSuchProcess(id.to_string()))
            }
            Err(e) => Err(aws("DynamoDB DeleteItem")(e)),
        }
    }

    async fn list(
        &self,
        offset: usize,
        limit: usize,
    ) -> stratus_core::Result<(Vec<ProcessRecord>, bool)> {
        let want = offset.saturating_add(limit).saturating_add(1);
        let mut items: Vec<Item> = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", PK)
                .expression_attribute_values(":pk", AttributeValue::S(PROCESSES_PK.into()))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(aws("DynamoDB Query"))?;
            items.extend(out.items().iter().cloned());
            match out.last_evaluated_key() {
                Some(k) if items.len() < want => start = Some(k.clone()),
                _ => break,
            }
        }
        let more = items.len() > offset.saturating_add(limit);
        let records = items
            .iter()
            .skip(offset)
            .take(limit)
            .map(record_of)
            .collect::<stratus_core::Result<Vec<_>>>()?;
        Ok((records, more))
    }
}
