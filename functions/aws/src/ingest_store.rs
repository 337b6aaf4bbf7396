//! The ingestion store on one DynamoDB table.
//!
//! ```text
//! pk                    sk                          what
//! AOI#{aoi}             AOI                         an AOI (area of its latest payload)
//! AOI#{aoi}             COUNT#{0..15}               sharded counters S_{STATUS}, T_{STATUS}
//! AOI#{aoi}             SRC#{scene}                 natural key of a scene -> its id
//! AOI#{aoi}             TSRC#{scene}#{tile}         natural key of a tile -> its id
//! SCENE#{id}            SCENE                       a scene
//! TILE#{id}             TILE                        a tile
//! COUNTER               ids                         the id sequence (ADD)
//! VAR#{name}            VAR | INST#{name}           a variable and its instances
//! INST#{id}             INST                        an instance by id
//! REC#{id}              REC | DS#{tile}#{layer}     a record and its datasets
//!
//! GSI gsi1 (g1pk, g1sk)  "{aoi}#S#{status}" / "{aoi}#T#{status}", id     scenes, tiles by status
//! GSI gsi2 (g2pk, g2sk)  "SC#{scene}", id | "AOIS", aoi | "VARS", name | "REC#{aoi}", date#id
//! GSI gsi3 (g3pk, g3sk)  "PREV#{tile}", id | "RECORDS", date#id           next tiles, all records
//! GSI gsi4 (g4pk, g4sk)  "REF#{tile}", id | "ROOT#{aoi}", id              reference users, roots
//! ```
//!
//! A change of a scene or tile reads it (consistently), checks the contract's conditions, and
//! writes it back with `ConditionExpression version = :read` in one `TransactWriteItems` with
//! the AOI counter shard of the id when the status changes; a lost race re-reads and re-checks.
//! So counts are exact and every transition is atomic with them.

use std::collections::{BTreeMap, HashMap};

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, DeleteRequest, GlobalSecondaryIndex,
    KeySchemaElement, KeyType, Projection, ProjectionType, Put, ReturnValue, ScalarAttributeType,
    TransactWriteItem, Update, WriteRequest,
};
use chrono::{DateTime, Utc};
use stratus_ingest::model::{
    Dataset, Instance, Lease, NewScene, Record, SceneData, SceneId, SceneRecord, TileData, TileId,
    TileRecord, Variable,
};
use stratus_ingest::ports::{
    IngestStore, Inserted, LeaseGuard, LeaseSet, Page, SceneChange, TileChange, TileFilter, Work,
};
use stratus_ingest::status::{Counts, Status};
use stratus_ingest::{Error, Result};

use crate::dynamo::Item;

/// Counter shards per AOI (transactions on one AOI spread over them).
const SHARDS: i64 = 16;
/// The condition of a put: an expression with its placeholder values and names.
struct Condition {
    expr: &'static str,
    values: HashMap<String, AttributeValue>,
    names: HashMap<String, String>,
}

impl Condition {
    /// The item does not exist yet.
    fn absent() -> Self {
        Condition {
            expr: "attribute_not_exists(pk)",
            values: HashMap::new(),
            names: HashMap::new(),
        }
    }
}

/// Attempts of a conditional write that lost a race.
const ATTEMPTS: u32 = 12;

/// Ingestion store on a DynamoDB table. Cheap to clone.
#[derive(Clone, Debug)]
pub struct DynamoIngestStore {
    client: Client,
    table: String,
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

fn pad(id: i64) -> String {
    format!("{id:020}")
}

fn aws<E: std::error::Error + 'static>(op: &'static str) -> impl FnOnce(E) -> Error {
    move |e| Error::backend(op, crate::error::Error::aws(op, e))
}

fn get_s<'a>(item: &'a Item, name: &'static str) -> Result<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        _ => Err(Error::backend(
            "decode an ingestion item",
            format!("attribute '{name}' is missing or not a string"),
        )),
    }
}

fn opt_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v),
        _ => None,
    }
}

fn get_n(item: &Item, name: &'static str) -> Result<i64> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v.parse().map_err(|_| {
            Error::backend(
                "decode an ingestion item",
                format!("attribute '{name}' is not an integer"),
            )
        }),
        _ => Err(Error::backend(
            "decode an ingestion item",
            format!("attribute '{name}' is missing or not a number"),
        )),
    }
}

fn opt_n(item: &Item, name: &str) -> Option<i64> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v.parse().ok(),
        _ => None,
    }
}

fn json_of<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::backend("encode an ingestion item", e))
}

fn from_json<T: serde::de::DeserializeOwned>(v: &str) -> Result<T> {
    serde_json::from_str(v).map_err(|e| Error::backend("decode an ingestion item", e))
}

fn time(ms: i64) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| Error::backend("decode an ingestion item", "time out of range"))
}

fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

fn scene_key(id: SceneId) -> Item {
    key(format!("SCENE#{id}"), "SCENE")
}

fn tile_key(id: TileId) -> Item {
    key(format!("TILE#{id}"), "TILE")
}

fn lease_of(item: &Item) -> Result<Option<Lease>> {
    match (opt_s(item, "lease_owner"), opt_n(item, "lease_until")) {
        (Some(o), Some(u)) => Ok(Some(Lease {
            owner: o.to_string(),
            until: time(u)?,
        })),
        _ => Ok(None),
    }
}

fn scene_item(sc: &SceneRecord, date: DateTime<Utc>, wkt: &str) -> Result<Item> {
    let mut item = scene_key(sc.id);
    item.extend([
        ("id".to_string(), n(sc.id)),
        ("aoi".into(), s(&sc.aoi)),
        ("source_id".into(), s(&sc.source_id)),
        ("status".into(), s(sc.status.as_str())),
        ("message".into(), s(&sc.message)),
        ("data".into(), s(json_of(&sc.data)?)),
        ("countdown".into(), n(sc.retry_countdown)),
        ("version".into(), n(sc.version)),
        ("date".into(), n(date.timestamp_millis())),
        ("wkt".into(), s(wkt)),
        ("g1pk".into(), s(format!("{}#S#{}", sc.aoi, sc.status))),
        ("g1sk".into(), s(pad(sc.id))),
    ]);
    if let Some(l) = &sc.lease {
        item.insert("lease_owner".into(), s(&l.owner));
        item.insert("lease_until".into(), n(l.until.timestamp_millis()));
    }
    Ok(item)
}

fn scene_of(item: &Item) -> Result<SceneRecord> {
    Ok(SceneRecord {
        id: get_n(item, "id")?,
        aoi: get_s(item, "aoi")?.to_string(),
        source_id: get_s(item, "source_id")?.to_string(),
        data: from_json(get_s(item, "data")?)?,
        status: get_s(item, "status")?.parse()?,
        message: opt_s(item, "message").unwrap_or_default().to_string(),
        retry_countdown: get_n(item, "countdown")?,
        lease: lease_of(item)?,
        version: get_n(item, "version")? as u64,
    })
}

fn tile_item(t: &TileRecord, wkt: &str) -> Result<Item> {
    let mut item = tile_key(t.id);
    item.extend([
        ("id".to_string(), n(t.id)),
        ("scene_id".into(), n(t.scene_id)),
        ("aoi".into(), s(&t.aoi)),
        ("source_id".into(), s(&t.source_id)),
        ("status".into(), s(t.status.as_str())),
        ("message".into(), s(&t.message)),
        ("data".into(), s(json_of(&t.data)?)),
        ("countdown".into(), n(t.retry_countdown)),
        ("version".into(), n(t.version)),
        ("date".into(), n(t.date.timestamp_millis())),
        ("wkt".into(), s(wkt)),
        ("g1pk".into(), s(format!("{}#T#{}", t.aoi, t.status))),
        ("g1sk".into(), s(pad(t.id))),
        ("g2pk".into(), s(format!("SC#{}", t.scene_id))),
        ("g2sk".into(), s(pad(t.id))),
    ]);
    if let Some(p) = t.prev {
        item.insert("prev".into(), n(p));
        item.insert("g3pk".into(), s(format!("PREV#{p}")));
        item.insert("g3sk".into(), s(pad(t.id)));
    }
    match t.reference {
        Some(r) => {
            item.insert("ref".into(), n(r));
            item.insert("g4pk".into(), s(format!("REF#{r}")));
            item.insert("g4sk".into(), s(pad(t.id)));
        }
        None if t.prev.is_none() && t.status != Status::Failed => {
            item.insert("g4pk".into(), s(format!("ROOT#{}", t.aoi)));
            item.insert("g4sk".into(), s(pad(t.id)));
        }
        None => {}
    }
    if let Some(l) = &t.lease {
        item.insert("lease_owner".into(), s(&l.owner));
        item.insert("lease_until".into(), n(l.until.timestamp_millis()));
    }
    Ok(item)
}

fn tile_of(item: &Item) -> Result<TileRecord> {
    Ok(TileRecord {
        id: get_n(item, "id")?,
        scene_id: get_n(item, "scene_id")?,
        aoi: get_s(item, "aoi")?.to_string(),
        source_id: get_s(item, "source_id")?.to_string(),
        date: time(get_n(item, "date")?)?,
        data: from_json(get_s(item, "data")?)?,
        status: get_s(item, "status")?.parse()?,
        message: opt_s(item, "message").unwrap_or_default().to_string(),
        prev: opt_n(item, "prev"),
        reference: opt_n(item, "ref"),
        retry_countdown: get_n(item, "countdown")?,
        lease: lease_of(item)?,
        version: get_n(item, "version")? as u64,
    })
}

fn guard_holds(lease: &Option<Lease>, guard: &Option<LeaseGuard>) -> bool {
    match guard {
        None | Some(LeaseGuard::Any) => true,
        Some(LeaseGuard::Claimable { owner, now }) => lease
            .as_ref()
            .is_none_or(|l| l.until <= *now || &l.owner == owner),
        Some(LeaseGuard::HeldBy(owner)) => lease.as_ref().is_some_and(|l| &l.owner == owner),
    }
}

fn apply_lease(lease: Option<Lease>, set: &LeaseSet) -> Option<Lease> {
    match set {
        LeaseSet::Keep => lease,
        LeaseSet::Clear => None,
        LeaseSet::Take { owner, until } => Some(Lease {
            owner: owner.clone(),
            until: *until,
        }),
    }
}

fn statuses(list: &[Status]) -> String {
    list.iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join("|")
}

/// Outcome of one optimistic write.
enum Written<T> {
    Done(T),
    Raced,
}

impl DynamoIngestStore {
    /// A store on `table`.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        DynamoIngestStore {
            client,
            table: table.into(),
        }
    }

    /// Creates the table with the schema `infra/template.yaml` declares, for emulator tests.
    pub async fn create_table(client: &Client, table: &str) -> crate::Result<()> {
        let err =
            |e: aws_sdk_dynamodb::error::BuildError| crate::Error::aws("DynamoDB CreateTable", e);
        let key = |name: &str, kind: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .map_err(err)
        };
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(err)
        };
        let mut req = client
            .create_table()
            .table_name(table)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key("pk", KeyType::Hash)?)
            .key_schema(key("sk", KeyType::Range)?)
            .attribute_definitions(attr("pk")?)
            .attribute_definitions(attr("sk")?);
        for g in ["g1", "g2", "g3", "g4"] {
            let (p, k) = (format!("{g}pk"), format!("{g}sk"));
            req = req
                .attribute_definitions(attr(&p)?)
                .attribute_definitions(attr(&k)?)
                .global_secondary_indexes(
                    GlobalSecondaryIndex::builder()
                        .index_name(format!("gsi{}", &g[1..]))
                        .key_schema(key(&p, KeyType::Hash)?)
                        .key_schema(key(&k, KeyType::Range)?)
                        .projection(
                            Projection::builder()
                                .projection_type(ProjectionType::All)
                                .build(),
                        )
                        .build()
                        .map_err(err)?,
                );
        }
        req.send()
            .await
            .map_err(|e| crate::Error::aws("DynamoDB CreateTable", e))?;
        Ok(())
    }

    async fn get(&self, key: Item) -> Result<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(aws("DynamoDB GetItem"))?;
        Ok(out.item().cloned())
    }

    /// Every item of a query (all pages).
    async fn query(
        &self,
        index: Option<&str>,
        pk_name: &str,
        pk: &str,
        sk_prefix: Option<(&str, &str)>,
    ) -> Result<Vec<Item>> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        let mut names = HashMap::from([("#p".to_string(), pk_name.to_string())]);
        let mut values = HashMap::from([(":p".to_string(), s(pk))]);
        let mut cond = "#p = :p".to_string();
        if let Some((sk_name, prefix)) = sk_prefix {
            names.insert("#s".into(), sk_name.into());
            values.insert(":s".into(), s(prefix));
            cond.push_str(" AND begins_with(#s, :s)");
        }
        loop {
            let resp = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_string))
                .key_condition_expression(&cond)
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .set_consistent_read(index.is_none().then_some(true))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(aws("DynamoDB Query"))?;
            out.extend(resp.items().iter().cloned());
            match resp.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(out),
            }
        }
    }

    /// Allocates `count` ids; returns the first.
    async fn allocate(&self, count: usize) -> Result<i64> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key("COUNTER", "ids")))
            .update_expression("ADD #n :c")
            .expression_attribute_names("#n", "next")
            .expression_attribute_values(":c", n(count))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(aws("DynamoDB UpdateItem"))?;
        let last = out
            .attributes()
            .map(|a| get_n(a, "next"))
            .transpose()?
            .ok_or_else(|| Error::backend("allocate ids", "no counter value"))?;
        Ok(last - count as i64 + 1)
    }

    fn counter_update(&self, aoi: &str, id: i64, deltas: &[(String, i64)]) -> Result<Update> {
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut parts = Vec::new();
        for (i, (attr, d)) in deltas.iter().enumerate() {
            names.insert(format!("#c{i}"), attr.clone());
            values.insert(format!(":d{i}"), n(d));
            parts.push(format!("#c{i} :d{i}"));
        }
        Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(
                format!("AOI#{aoi}"),
                format!("COUNT#{}", id.rem_euclid(SHARDS)),
            )))
            .update_expression(format!("ADD {}", parts.join(", ")))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(|e| Error::backend("build a counter update", e))
    }

    /// Writes `item` unless one with its key exists; `false` when it did.
    async fn put_new(&self, item: Item) -> Result<bool> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|se| se.is_conditional_check_failed_exception()) =>
            {
                Ok(false)
            }
            Err(e) => Err(aws("DynamoDB PutItem")(e)),
        }
    }

    fn put(&self, item: Item, condition: Option<Condition>) -> Result<Put> {
        let mut b = Put::builder().table_name(&self.table).set_item(Some(item));
        if let Some(Condition {
            expr,
            values,
            names,
        }) = condition
        {
            b = b
                .condition_expression(expr)
                .set_expression_attribute_values((!values.is_empty()).then_some(values))
                .set_expression_attribute_names((!names.is_empty()).then_some(names));
        }
        b.build().map_err(|e| Error::backend("build a put", e))
    }

    /// Runs a transaction; `Raced` when a condition failed or it conflicted with another.
    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<Written<()>> {
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(Written::Done(())),
            Err(e) => {
                let raced = e.as_service_error().is_some_and(|se| {
                    matches!(se, TransactWriteItemsError::TransactionCanceledException(tc)
                        if tc.cancellation_reasons().iter().any(|r| matches!(r.code(), Some("ConditionalCheckFailed" | "TransactionConflict"))))
                });
                if raced {
                    Ok(Written::Raced)
                } else {
                    Err(aws("DynamoDB TransactWriteItems")(e))
                }
            }
        }
    }

    /// Writes `item` if its stored version is still `version`, with counter deltas.
    async fn write_versioned(
        &self,
        item: Item,
        version: u64,
        counter: Option<Update>,
    ) -> Result<Written<()>> {
        let put = self.put(
            item,
            Some(Condition {
                expr: "#v = :v",
                values: HashMap::from([(":v".to_string(), n(version))]),
                names: HashMap::from([("#v".to_string(), "version".to_string())]),
            }),
        )?;
        let mut items = vec![TransactWriteItem::builder().put(put).build()];
        if let Some(u) = counter {
            items.push(TransactWriteItem::builder().update(u).build());
        }
        self.transact(items).await
    }

    async fn batch_delete(&self, keys: Vec<Item>) -> Result<()> {
        for chunk in keys.chunks(25) {
            let mut requests: Vec<WriteRequest> = chunk
                .iter()
                .map(|k| {
                    DeleteRequest::builder()
                        .set_key(Some(k.clone()))
                        .build()
                        .map(|d| WriteRequest::builder().delete_request(d).build())
                        .map_err(|e| Error::backend("build a delete", e))
                })
                .collect::<Result<_>>()?;
            for _ in 0..ATTEMPTS {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests.clone())
                    .send()
                    .await
                    .map_err(aws("DynamoDB BatchWriteItem"))?;
                requests = out
                    .unprocessed_items()
                    .and_then(|u| u.get(&self.table))
                    .cloned()
                    .unwrap_or_default();
                if requests.is_empty() {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
        Ok(())
    }

    async fn tiles_of_aoi(&self, aoi: &str, status: Option<Status>) -> Result<Vec<TileRecord>> {
        let mut out = Vec::new();
        let list: Vec<Status> = status.map_or(Status::ALL.to_vec(), |s| vec![s]);
        for st in list {
            for item in self
                .query(Some("gsi1"), "g1pk", &format!("{aoi}#T#{st}"), None)
                .await?
            {
                out.push(tile_of(&item)?);
            }
        }
        out.sort_by_key(|t| t.id);
        Ok(out)
    }

    async fn aoi_names(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = self
            .query(Some("gsi2"), "g2pk", "AOIS", None)
            .await?
            .iter()
            .map(|i| get_s(i, "name").map(str::to_string))
            .collect::<Result<_>>()?;
        names.sort();
        Ok(names)
    }
}

fn paged<T>(all: Vec<T>, page: Page) -> Vec<T> {
    let skip = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let take = page
        .limit
        .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
    all.into_iter().skip(skip).take(take).collect()
}

#[async_trait]
impl IngestStore for DynamoIngestStore {
    async fn create_aoi(&self, aoi: &str, now: DateTime<Utc>) -> Result<()> {
        let mut item = key(format!("AOI#{aoi}"), "AOI");
        item.extend([
            ("name".to_string(), s(aoi)),
            ("created".into(), n(now.timestamp_millis())),
            ("g2pk".into(), s("AOIS")),
            ("g2sk".into(), s(aoi)),
        ]);
        if self.put_new(item).await? {
            Ok(())
        } else {
            Err(Error::AlreadyExists {
                what: "aoi",
                id: aoi.to_string(),
            })
        }
    }

    async fn ensure_aoi(
        &self,
        aoi: &str,
        area_wkt: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut expr =
            "SET #name = :name, g2pk = :g2pk, g2sk = :name, created = if_not_exists(created, :now)"
                .to_string();
        let mut values = HashMap::from([
            (":name".to_string(), s(aoi)),
            (":g2pk".to_string(), s("AOIS")),
            (":now".to_string(), n(now.timestamp_millis())),
        ]);
        if let Some(a) = area_wkt {
            expr.push_str(", area = :area");
            values.insert(":area".into(), s(a));
        }
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(format!("AOI#{aoi}"), "AOI")))
            .update_expression(expr)
            .expression_attribute_names("#name", "name")
            .set_expression_attribute_values(Some(values))
            .send()
            .await
            .map_err(aws("DynamoDB UpdateItem"))?;
        Ok(())
    }

    async fn aois(&self) -> Result<Vec<String>> {
        self.aoi_names().await
    }

    async fn aoi_area(&self, aoi: &str) -> Result<Option<String>> {
        Ok(self
            .get(key(format!("AOI#{aoi}"), "AOI"))
            .await?
            .and_then(|i| opt_s(&i, "area").map(str::to_string)))
    }

    async fn aoi_exists(&self, aoi: &str) -> Result<bool> {
        Ok(self.get(key(format!("AOI#{aoi}"), "AOI")).await?.is_some())
    }

    async fn delete_aoi(&self, aoi: &str) -> Result<()> {
        let mut keys: Vec<Item> = Vec::new();
        for st in Status::ALL {
            for kind in ["S", "T"] {
                for item in self
                    .query(Some("gsi1"), "g1pk", &format!("{aoi}#{kind}#{st}"), None)
                    .await?
                {
                    keys.push(key(get_s(&item, "pk")?, get_s(&item, "sk")?));
                }
            }
        }
        for item in self.query(None, "pk", &format!("AOI#{aoi}"), None).await? {
            keys.push(key(get_s(&item, "pk")?, get_s(&item, "sk")?));
        }
        self.batch_delete(keys).await
    }

    async fn counts(&self, aoi: &str) -> Result<Counts> {
        // Shards hold signed partial sums (a tile's moves land on its own shard).
        let mut sums: HashMap<String, i64> = HashMap::new();
        for item in self
            .query(None, "pk", &format!("AOI#{aoi}"), Some(("sk", "COUNT#")))
            .await?
        {
            for (k, v) in &item {
                if let (true, AttributeValue::N(n)) =
                    (k.starts_with("S_") || k.starts_with("T_"), v)
                {
                    *sums.entry(k.clone()).or_default() += n.parse::<i64>().unwrap_or(0);
                }
            }
        }
        let mut c = Counts::default();
        for st in Status::ALL {
            *c.scenes.get_mut(st) =
                sums.get(&format!("S_{st}")).copied().unwrap_or(0).max(0) as u64;
            *c.tiles.get_mut(st) = sums.get(&format!("T_{st}")).copied().unwrap_or(0).max(0) as u64;
        }
        Ok(c)
    }

    async fn insert(
        &self,
        aoi: &str,
        scenes: &[NewScene],
        now: DateTime<Utc>,
    ) -> Result<Vec<Inserted>> {
        self.ensure_aoi(aoi, None, now).await?;
        let mut fresh: Vec<&NewScene> = Vec::new();
        for sc in scenes {
            if self
                .get(key(format!("AOI#{aoi}"), format!("SRC#{}", sc.source_id)))
                .await?
                .is_none()
            {
                fresh.push(sc);
            }
        }
        if fresh.is_empty() {
            return Ok(Vec::new());
        }
        let total: usize = fresh.iter().map(|sc| 1 + sc.tiles.len()).sum();
        let mut next = self.allocate(total).await?;
        // Ids first, so links inside the batch resolve whatever its order.
        let mut ids: Vec<(SceneId, Vec<TileId>)> = Vec::new();
        let mut batch: HashMap<(String, String), TileId> = HashMap::new();
        for sc in &fresh {
            let scene_id = next;
            next += 1;
            let mut tiles = Vec::new();
            for t in &sc.tiles {
                if batch
                    .insert((t.source_id.clone(), sc.source_id.clone()), next)
                    .is_some()
                {
                    return Err(Error::invalid(format!(
                        "scene {}: tile {} is listed twice",
                        sc.source_id, t.source_id
                    )));
                }
                tiles.push(next);
                next += 1;
            }
            ids.push((scene_id, tiles));
        }
        let mut resolved: HashMap<(String, String), TileId> = HashMap::new();
        for sc in &fresh {
            for t in &sc.tiles {
                for (what, link) in [("previous", &t.prev), ("reference", &t.reference)] {
                    let Some((tile, scene)) = link else { continue };
                    let k = (tile.clone(), scene.clone());
                    if resolved.contains_key(&k) || batch.contains_key(&k) {
                        continue;
                    }
                    let found = self
                        .get(key(format!("AOI#{aoi}"), format!("TSRC#{scene}#{tile}")))
                        .await?;
                    let Some(found) = found else {
                        return Err(Error::invalid(format!(
                            "tile {}: {what} tile {tile} of scene {scene} is not in the AOI",
                            t.source_id
                        )));
                    };
                    let id = get_n(&found, "tile_id")?;
                    let linked = self
                        .get(tile_key(id))
                        .await?
                        .map(|i| tile_of(&i))
                        .transpose()?;
                    if linked.is_none_or(|l| l.status == Status::Failed) {
                        return Err(Error::invalid(format!(
                            "tile {}: {what} tile {tile} of scene {scene} is FAILED",
                            t.source_id
                        )));
                    }
                    resolved.insert(k, id);
                }
            }
        }
        let lookup = |l: &Option<(String, String)>| {
            l.as_ref()
                .and_then(|k| batch.get(k).or_else(|| resolved.get(k)).copied())
        };
        let mut out = Vec::new();
        for (sc, (scene_id, tile_ids)) in fresh.iter().zip(ids) {
            let record = SceneRecord {
                id: scene_id,
                aoi: aoi.to_string(),
                source_id: sc.source_id.clone(),
                data: sc.data.clone(),
                status: Status::Pending,
                message: String::new(),
                retry_countdown: sc.retry_count,
                lease: None,
                version: 0,
            };
            let not_there = || Some(Condition::absent());
            let mut tile_items = Vec::new();
            let mut tile_keys = Vec::new();
            for (t, id) in sc.tiles.iter().zip(&tile_ids) {
                let rec = TileRecord {
                    id: *id,
                    scene_id,
                    aoi: aoi.to_string(),
                    source_id: t.source_id.clone(),
                    date: sc.data.date,
                    data: t.data.clone(),
                    status: Status::New,
                    message: String::new(),
                    prev: lookup(&t.prev),
                    reference: lookup(&t.reference),
                    retry_countdown: sc.retry_count,
                    lease: None,
                    version: 0,
                };
                let mut natural = key(
                    format!("AOI#{aoi}"),
                    format!("TSRC#{}#{}", sc.source_id, t.source_id),
                );
                natural.insert("tile_id".into(), n(*id));
                tile_items.push(
                    TransactWriteItem::builder()
                        .put(self.put(tile_item(&rec, &t.wkt)?, None)?)
                        .build(),
                );
                tile_keys.push(
                    TransactWriteItem::builder()
                        .put(self.put(natural, None)?)
                        .build(),
                );
            }
            // Tiles first (a scene is visible only with all its tiles), then the scene with its
            // natural key and counters in one transaction, then the tiles' natural keys (only
            // the request that created the scene writes them).
            for chunk in tile_items.chunks(100) {
                if let Written::Raced = self.transact(chunk.to_vec()).await? {
                    return Err(Error::backend("ingest tiles", "a tile write conflicted"));
                }
            }
            let mut natural = key(format!("AOI#{aoi}"), format!("SRC#{}", sc.source_id));
            natural.insert("scene_id".into(), n(scene_id));
            let items = vec![
                TransactWriteItem::builder()
                    .put(self.put(natural, not_there())?)
                    .build(),
                TransactWriteItem::builder()
                    .put(self.put(scene_item(&record, sc.data.date, &sc.wkt)?, not_there())?)
                    .build(),
                TransactWriteItem::builder()
                    .update(self.counter_update(
                        aoi,
                        scene_id,
                        &[
                            ("S_PENDING".into(), 1),
                            ("T_NEW".into(), sc.tiles.len() as i64),
                        ],
                    )?)
                    .build(),
            ];
            match self.transact(items).await? {
                Written::Done(()) => {
                    for chunk in tile_keys.chunks(100) {
                        if let Written::Raced = self.transact(chunk.to_vec()).await? {
                            return Err(Error::backend(
                                "ingest tiles",
                                "a natural key write conflicted",
                            ));
                        }
                    }
                    out.push(Inserted {
                        source_id: sc.source_id.clone(),
                        id: scene_id,
                        tiles: tile_ids,
                    });
                }
                Written::Raced => {
                    // Ingested meanwhile by another request: drop the tiles written for nothing.
                    self.batch_delete(tile_ids.iter().map(|id| tile_key(*id)).collect())
                        .await?;
                }
            }
        }
        Ok(out)
    }

    async fn scene(&self, id: SceneId) -> Result<SceneRecord> {
        let item = self
            .get(scene_key(id))
            .await?
            .ok_or_else(|| Error::not_found("scene", id))?;
        scene_of(&item)
    }

    async fn scene_by_source(&self, aoi: &str, source_id: &str) -> Result<Option<SceneRecord>> {
        match self
            .get(key(format!("AOI#{aoi}"), format!("SRC#{source_id}")))
            .await?
        {
            Some(k) => {
                let id = get_n(&k, "scene_id")?;
                match self.get(scene_key(id)).await? {
                    Some(i) => Ok(Some(scene_of(&i)?)),
                    None => Ok(None),
                }
            }
            None => Ok(None),
        }
    }

    async fn scenes(
        &self,
        aoi: &str,
        status: Option<Status>,
        page: Page,
    ) -> Result<Vec<SceneRecord>> {
        let mut out = Vec::new();
        let list: Vec<Status> = status.map_or(Status::ALL.to_vec(), |s| vec![s]);
        for st in list {
            for item in self
                .query(Some("gsi1"), "g1pk", &format!("{aoi}#S#{st}"), None)
                .await?
            {
                out.push(scene_of(&item)?);
            }
        }
        out.sort_by_key(|s| s.id);
        Ok(paged(out, page))
    }

    async fn tile(&self, id: TileId) -> Result<TileRecord> {
        let item = self
            .get(tile_key(id))
            .await?
            .ok_or_else(|| Error::not_found("tile", id))?;
        tile_of(&item)
    }

    async fn tiles(&self, filter: &TileFilter, page: Page) -> Result<Vec<TileRecord>> {
        let mut out = match filter {
            TileFilter::Aoi { aoi, status } => self.tiles_of_aoi(aoi, *status).await?,
            TileFilter::Scene(id) => self
                .query(Some("gsi2"), "g2pk", &format!("SC#{id}"), None)
                .await?
                .iter()
                .map(tile_of)
                .collect::<Result<Vec<_>>>()?,
            TileFilter::Prev(id) => self
                .query(Some("gsi3"), "g3pk", &format!("PREV#{id}"), None)
                .await?
                .iter()
                .map(tile_of)
                .collect::<Result<Vec<_>>>()?,
            TileFilter::Reference(id) => self
                .query(Some("gsi4"), "g4pk", &format!("REF#{id}"), None)
                .await?
                .iter()
                .map(tile_of)
                .collect::<Result<Vec<_>>>()?,
        };
        // GSIs are eventually consistent: the base table has the truth.
        if !matches!(filter, TileFilter::Aoi { .. }) {
            let mut fresh = Vec::with_capacity(out.len());
            for t in out {
                if let Some(i) = self.get(tile_key(t.id)).await? {
                    let t = tile_of(&i)?;
                    let keep = match filter {
                        TileFilter::Scene(id) => t.scene_id == *id,
                        TileFilter::Prev(id) => t.prev == Some(*id),
                        TileFilter::Reference(id) => t.reference == Some(*id),
                        TileFilter::Aoi { .. } => true,
                    };
                    if keep {
                        fresh.push(t);
                    }
                }
            }
            out = fresh;
        }
        out.sort_by_key(|t| t.id);
        Ok(paged(out, page))
    }

    async fn roots(&self, aoi: &str) -> Result<Vec<TileRecord>> {
        let mut out: Vec<TileRecord> = self
            .query(Some("gsi4"), "g4pk", &format!("ROOT#{aoi}"), None)
            .await?
            .iter()
            .map(tile_of)
            .collect::<Result<_>>()?;
        out.retain(|t| t.prev.is_none() && t.reference.is_none() && t.status != Status::Failed);
        out.sort_by_key(|t| t.id);
        Ok(out)
    }

    async fn leaves(&self, aoi: &str) -> Result<Vec<TileRecord>> {
        let all = self.tiles_of_aoi(aoi, None).await?;
        let prevs: std::collections::HashSet<TileId> = all.iter().filter_map(|t| t.prev).collect();
        Ok(all
            .into_iter()
            .filter(|t| t.status != Status::Failed && !prevs.contains(&t.id))
            .collect())
    }

    async fn footprint(&self, scene: SceneId, tile: Option<TileId>) -> Result<String> {
        let item = match tile {
            Some(t) => self.get(tile_key(t)).await?,
            None => self.get(scene_key(scene)).await?,
        };
        Ok(item
            .and_then(|i| opt_s(&i, "wkt").map(str::to_string))
            .unwrap_or_default())
    }

    async fn update_scene(
        &self,
        id: SceneId,
        change: &SceneChange,
        _now: DateTime<Utc>,
    ) -> Result<SceneRecord> {
        for _ in 0..ATTEMPTS {
            let item = self
                .get(scene_key(id))
                .await?
                .ok_or_else(|| Error::not_found("scene", id))?;
            let cur = scene_of(&item)?;
            let status_ok = change.expect.is_empty() || change.expect.contains(&cur.status);
            if !status_ok || !guard_holds(&cur.lease, &change.lease_guard) {
                let current = if status_ok {
                    format!("{} (lease held elsewhere)", cur.status)
                } else {
                    format!("{}, not {}", cur.status, statuses(&change.expect))
                };
                return Err(Error::Conflict {
                    what: "scene",
                    id,
                    current,
                });
            }
            let next = SceneRecord {
                status: change.status.unwrap_or(cur.status),
                message: change.message.clone().unwrap_or(cur.message.clone()),
                retry_countdown: cur.retry_countdown - i64::from(change.decrement_countdown),
                lease: apply_lease(cur.lease.clone(), &change.lease),
                version: cur.version + 1,
                ..cur.clone()
            };
            let date = time(get_n(&item, "date")?)?;
            let wkt = opt_s(&item, "wkt").unwrap_or_default();
            let counter = (next.status != cur.status)
                .then(|| {
                    self.counter_update(
                        &cur.aoi,
                        id,
                        &[
                            (format!("S_{}", cur.status), -1),
                            (format!("S_{}", next.status), 1),
                        ],
                    )
                })
                .transpose()?;
            if let Written::Done(()) = self
                .write_versioned(scene_item(&next, date, wkt)?, cur.version, counter)
                .await?
            {
                return Ok(next);
            }
        }
        Err(Error::backend(
            "update a scene",
            "too many concurrent changes",
        ))
    }

    async fn update_tile(
        &self,
        id: TileId,
        change: &TileChange,
        _now: DateTime<Utc>,
    ) -> Result<TileRecord> {
        for _ in 0..ATTEMPTS {
            let item = self
                .get(tile_key(id))
                .await?
                .ok_or_else(|| Error::not_found("tile", id))?;
            let cur = tile_of(&item)?;
            let status_ok = change.expect.is_empty() || change.expect.contains(&cur.status);
            let prev_ok = change.expect_prev.is_none_or(|p| p == cur.prev);
            if !status_ok || !prev_ok || !guard_holds(&cur.lease, &change.lease_guard) {
                let current = if !status_ok {
                    format!("{}, not {}", cur.status, statuses(&change.expect))
                } else if !prev_ok {
                    format!("{} with previous tile {:?}", cur.status, cur.prev)
                } else {
                    format!("{} (lease held elsewhere)", cur.status)
                };
                return Err(Error::Conflict {
                    what: "tile",
                    id,
                    current,
                });
            }
            let next = TileRecord {
                status: change.status.unwrap_or(cur.status),
                message: change.message.clone().unwrap_or(cur.message.clone()),
                retry_countdown: cur.retry_countdown - i64::from(change.decrement_countdown),
                prev: change.prev.unwrap_or(cur.prev),
                reference: change.reference.unwrap_or(cur.reference),
                lease: apply_lease(cur.lease.clone(), &change.lease),
                version: cur.version + 1,
                ..cur.clone()
            };
            let wkt = opt_s(&item, "wkt").unwrap_or_default();
            let counter = (next.status != cur.status)
                .then(|| {
                    self.counter_update(
                        &cur.aoi,
                        id,
                        &[
                            (format!("T_{}", cur.status), -1),
                            (format!("T_{}", next.status), 1),
                        ],
                    )
                })
                .transpose()?;
            if let Written::Done(()) = self
                .write_versioned(tile_item(&next, wkt)?, cur.version, counter)
                .await?
            {
                return Ok(next);
            }
        }
        Err(Error::backend(
            "update a tile",
            "too many concurrent changes",
        ))
    }

    async fn replace_reference(&self, old: TileId, new: TileId, now: DateTime<Utc>) -> Result<()> {
        for t in self.tiles(&TileFilter::Reference(old), Page::ALL).await? {
            if t.id == new {
                continue;
            }
            let change = TileChange {
                reference: Some(Some(new)),
                ..Default::default()
            };
            self.update_tile(t.id, &change, now).await?;
        }
        let change = TileChange {
            reference: Some(None),
            ..Default::default()
        };
        self.update_tile(new, &change, now).await?;
        Ok(())
    }

    async fn set_scene_data(&self, id: SceneId, data: &SceneData) -> Result<()> {
        for _ in 0..ATTEMPTS {
            let item = self
                .get(scene_key(id))
                .await?
                .ok_or_else(|| Error::not_found("scene", id))?;
            let cur = scene_of(&item)?;
            let next = SceneRecord {
                data: data.clone(),
                version: cur.version + 1,
                ..cur.clone()
            };
            let date = time(get_n(&item, "date")?)?;
            let wkt = opt_s(&item, "wkt").unwrap_or_default();
            if let Written::Done(()) = self
                .write_versioned(scene_item(&next, date, wkt)?, cur.version, None)
                .await?
            {
                return Ok(());
            }
        }
        Err(Error::backend(
            "update a scene's data",
            "too many concurrent changes",
        ))
    }

    async fn set_tile_data(&self, id: TileId, data: &TileData) -> Result<()> {
        for _ in 0..ATTEMPTS {
            let item = self
                .get(tile_key(id))
                .await?
                .ok_or_else(|| Error::not_found("tile", id))?;
            let cur = tile_of(&item)?;
            let next = TileRecord {
                data: data.clone(),
                version: cur.version + 1,
                ..cur.clone()
            };
            let wkt = opt_s(&item, "wkt").unwrap_or_default();
            if let Written::Done(()) = self
                .write_versioned(tile_item(&next, wkt)?, cur.version, None)
                .await?
            {
                return Ok(());
            }
        }
        Err(Error::backend(
            "update a tile's data",
            "too many concurrent changes",
        ))
    }

    async fn pending(&self, limit: u64) -> Result<Vec<Work>> {
        let mut scenes = Vec::new();
        let mut tiles = Vec::new();
        for aoi in self.aoi_names().await? {
            for item in self
                .query(Some("gsi1"), "g1pk", &format!("{aoi}#S#PENDING"), None)
                .await?
            {
                scenes.push(get_n(&item, "id")?);
            }
            for item in self
                .query(Some("gsi1"), "g1pk", &format!("{aoi}#T#PENDING"), None)
                .await?
            {
                tiles.push(get_n(&item, "id")?);
            }
        }
        scenes.sort_unstable();
        tiles.sort_unstable();
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(scenes
            .into_iter()
            .take(limit)
            .map(Work::Scene)
            .chain(tiles.into_iter().take(limit).map(|t| Work::Tiles(vec![t])))
            .collect())
    }

    async fn create_variable(&self, variable: &Variable) -> Result<()> {
        let mut item = key(format!("VAR#{}", variable.name), "VAR");
        item.extend([
            (
                "body".to_string(),
                s(json_of(&Variable {
                    instances: Vec::new(),
                    ..variable.clone()
                })?),
            ),
            ("g2pk".into(), s("VARS")),
            ("g2sk".into(), s(&variable.name)),
        ]);
        if self.put_new(item).await? {
            Ok(())
        } else {
            Err(Error::AlreadyExists {
                what: "variable",
                id: variable.name.clone(),
            })
        }
    }

    async fn variable(&self, name: &str) -> Result<Option<Variable>> {
        let items = self.query(None, "pk", &format!("VAR#{name}"), None).await?;
        let Some(head) = items.iter().find(|i| opt_s(i, "sk") == Some("VAR")) else {
            return Ok(None);
        };
        let mut v: Variable = from_json(get_s(head, "body")?)?;
        let mut instances: Vec<Instance> = items
            .iter()
            .filter(|i| opt_s(i, "sk").is_some_and(|k| k.starts_with("INST#")))
            .map(|i| from_json(get_s(i, "body")?))
            .collect::<Result<_>>()?;
        instances.sort_by(|a, b| a.name.cmp(&b.name));
        v.instances = instances;
        Ok(Some(v))
    }

    async fn variables(&self) -> Result<Vec<Variable>> {
        let mut out = Vec::new();
        let mut names: Vec<String> = self
            .query(Some("gsi2"), "g2pk", "VARS", None)
            .await?
            .iter()
            .map(|i| get_s(i, "g2sk").map(str::to_string))
            .collect::<Result<_>>()?;
        names.sort();
        for name in names {
            if let Some(v) = self.variable(&name).await? {
                out.push(v);
            }
        }
        Ok(out)
    }

    async fn add_instance(&self, variable: &str, instance: &Instance) -> Result<()> {
        if self
            .get(key(format!("VAR#{variable}"), "VAR"))
            .await?
            .is_none()
        {
            return Err(Error::not_found("variable", variable));
        }
        let body = json_of(instance)?;
        let mut by_name = key(format!("VAR#{variable}"), format!("INST#{}", instance.name));
        by_name.insert("body".into(), s(&body));
        let mut by_id = key(format!("INST#{}", instance.id), "INST");
        by_id.insert("body".into(), s(&body));
        by_id.insert("variable".into(), s(variable));
        let not_there = || Some(Condition::absent());
        let items = vec![
            TransactWriteItem::builder()
                .put(self.put(by_name, not_there())?)
                .build(),
            TransactWriteItem::builder()
                .put(self.put(by_id, not_there())?)
                .build(),
        ];
        match self.transact(items).await? {
            Written::Done(()) => Ok(()),
            Written::Raced => Err(Error::AlreadyExists {
                what: "instance",
                id: format!("{variable}/{}", instance.name),
            }),
        }
    }

    async fn instance(&self, id: &str) -> Result<Option<(String, Instance)>> {
        match self.get(key(format!("INST#{id}"), "INST")).await? {
            Some(i) => Ok(Some((
                get_s(&i, "variable")?.to_string(),
                from_json(get_s(&i, "body")?)?,
            ))),
            None => Ok(None),
        }
    }

    async fn put_record(&self, record: &Record) -> Result<()> {
        let sort = format!(
            "{:020}#{}",
            record.date.timestamp_millis().max(0),
            record.id
        );
        let mut item = key(format!("REC#{}", record.id), "REC");
        item.extend([
            ("body".to_string(), s(json_of(record)?)),
            ("g2pk".into(), s(format!("REC#{}", record.aoi))),
            ("g2sk".into(), s(&sort)),
            ("g3pk".into(), s("RECORDS")),
            ("g3sk".into(), s(&sort)),
        ]);
        self.put_new(item).await.map(|_| ())
    }

    async fn record(&self, id: &str) -> Result<Option<Record>> {
        self.get(key(format!("REC#{id}"), "REC"))
            .await?
            .map(|i| from_json(get_s(&i, "body")?))
            .transpose()
    }

    async fn records(&self, aoi: Option<&str>, page: Page) -> Result<Vec<Record>> {
        let items = match aoi {
            Some(a) => {
                self.query(Some("gsi2"), "g2pk", &format!("REC#{a}"), None)
                    .await?
            }
            None => self.query(Some("gsi3"), "g3pk", "RECORDS", None).await?,
        };
        let mut sorted: BTreeMap<String, Record> = BTreeMap::new();
        for i in &items {
            let k = opt_s(i, if aoi.is_some() { "g2sk" } else { "g3sk" })
                .unwrap_or_default()
                .to_string();
            sorted.insert(k, from_json(get_s(i, "body")?)?);
        }
        Ok(paged(sorted.into_values().collect(), page))
    }

    async fn put_dataset(&self, dataset: &Dataset) -> Result<()> {
        let mut item = key(
            format!("REC#{}", dataset.record_id),
            format!("DS#{}#{}", pad(dataset.tile_id), dataset.layer),
        );
        item.insert("body".into(), s(json_of(dataset)?));
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(aws("DynamoDB PutItem"))?;
        Ok(())
    }

    async fn datasets(&self, record: &str) -> Result<Vec<Dataset>> {
        self.query(None, "pk", &format!("REC#{record}"), Some(("sk", "DS#")))
            .await?
            .iter()
            .map(|i| from_json(get_s(i, "body")?))
            .collect()
    }
}
