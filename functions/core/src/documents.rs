//! JSON documents of OGC API - Processes that depend only on domain data: the status document
//! (`statusInfo.yaml`) and the results document (`results.yaml`). The API adds links.

use serde_json::{Map, Value, json};

use crate::error::Result;
use crate::job::Job;
use crate::ports::ObjectStore;
use crate::results::{OutputValue, Outputs};

/// The status document of a job, without links.
pub fn status_info(job: &Job) -> Map<String, Value> {
    let mut doc = Map::new();
    doc.insert("jobID".into(), json!(job.id.as_str()));
    doc.insert("type".into(), json!(job.kind.as_str()));
    doc.insert("processID".into(), json!(job.process_id));
    doc.insert("status".into(), json!(job.status.as_str()));
    if let Some(m) = &job.message {
        doc.insert("message".into(), json!(m));
    }
    doc.insert("created".into(), json!(rfc3339(job.created)));
    if let Some(t) = job.started {
        doc.insert("started".into(), json!(rfc3339(t)));
    }
    if let Some(t) = job.finished {
        doc.insert("finished".into(), json!(rfc3339(t)));
    }
    doc.insert("updated".into(), json!(rfc3339(job.updated)));
    doc.insert("progress".into(), json!(job.progress));
    if job.items_total > 0 {
        doc.insert(
            "stratus:items".into(),
            json!({"total": job.items_total, "done": job.items_done}),
        );
    }
    doc
}

/// RFC 3339 with millisecond precision and a `Z`, as every Stratus document writes times.
pub fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// The results document: each output as a bare JSON value (scalars and arrays without a media
/// type), a qualified value (`{"value", "mediaType"}`, always for objects and for typed
/// content) or a link (`{"href", "type"}`) to a stored object.
pub async fn results_document(outputs: &Outputs, objects: &dyn ObjectStore) -> Result<Value> {
    let mut doc = Map::new();
    for (id, out) in outputs {
        doc.insert(id.clone(), output_entry(out, objects).await?);
    }
    Ok(Value::Object(doc))
}

/// One entry of the results document.
pub async fn output_entry(out: &OutputValue, objects: &dyn ObjectStore) -> Result<Value> {
    Ok(match out {
        OutputValue::Inline {
            value,
            media_type,
            encoding,
        } => {
            if media_type.is_none() && encoding.is_none() && !value.is_object() {
                value.clone()
            } else {
                let mut q = Map::new();
                q.insert("value".into(), value.clone());
                q.insert(
                    "mediaType".into(),
                    json!(media_type.as_deref().unwrap_or("application/json")),
                );
                if let Some(enc) = encoding {
                    q.insert("encoding".into(), json!(enc));
                }
                Value::Object(q)
            }
        }
        OutputValue::Stored { key, media_type } => {
            json!({"href": objects.download_url(key).await?, "type": media_type})
        }
    })
}
