//! Execute requests (`execute.yaml` of OGC API - Processes 1.0): parsing, validation against a
//! process description, and the negotiation of execution mode and result delivery.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::process::{InputDescription, JobControl, ProcessDescription, TransmissionMode};

/// Validated inputs handed to a process: one JSON value per input id, defaults applied. An input
/// with `maxOccurs > 1` holds an array of its values. A value given by reference stays a
/// `{"href": ...}` object; a qualified value stays `{"value": ..., "mediaType": ...}`.
pub type Inputs = IndexMap<String, Value>;

/// How results are returned (`response`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ResponseMode {
    /// Outputs as they are (one output: its own media type; several: multipart).
    #[default]
    Raw,
    /// A JSON results document mapping output ids to values or links.
    Document,
}

/// Callback URIs (`subscriber`). Stratus POSTs to them as the job progresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscriber {
    /// Receives the results document when the job succeeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_uri: Option<String>,
    /// Receives the status document while the job runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_progress_uri: Option<String>,
    /// Receives the status document and exception when the job fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed_uri: Option<String>,
}

/// What the client asked to receive: the response mode and the selected outputs with their
/// transmission modes. Stored with the job so the results endpoint answers as the execute
/// request asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Delivery {
    /// Raw or document.
    pub response: ResponseMode,
    /// Selected outputs, in request order.
    pub outputs: IndexMap<String, TransmissionMode>,
}

/// Client preferences from the `Prefer` header (RFC 7240), already parsed by the transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Preferences {
    /// `respond-async` was asked.
    pub respond_async: bool,
    /// `wait=N` seconds.
    pub wait: Option<u64>,
    /// `return=representation` (true) or `return=minimal` (false).
    pub return_representation: Option<bool>,
}

/// The negotiated execution mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionMode {
    /// The response carries the results.
    Sync,
    /// The response carries a job to monitor.
    Async,
}

/// The execution mode per the 1.0 table: a process offering only one mode gets it; a process
/// offering both runs synchronously unless the client prefers `respond-async`.
pub fn negotiate_mode(process: &ProcessDescription, prefs: &Preferences) -> ExecutionMode {
    let sync = process.allows(JobControl::SyncExecute);
    let asynchronous = process.allows(JobControl::AsyncExecute);
    match (sync, asynchronous) {
        (true, true) if prefs.respond_async => ExecutionMode::Async,
        (true, _) => ExecutionMode::Sync,
        _ => ExecutionMode::Async,
    }
}

/// An execute request after parsing and validation: ready to become a job.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// Validated inputs.
    pub inputs: Inputs,
    /// What to deliver and how.
    pub delivery: Delivery,
    /// Callback URIs.
    pub subscriber: Option<Subscriber>,
}

/// Parses and validates an execute request body against a process description.
///
/// Errors name the offending input or field: unknown inputs and outputs, missing required
/// inputs, values that do not match the input's schema, wrong occurrence counts, unsupported
/// transmission modes, malformed callback URIs.
pub fn validate_request(
    process: &ProcessDescription,
    body: &Value,
    prefs: &Preferences,
) -> Result<Submission> {
    let obj = body
        .as_object()
        .ok_or_else(|| Error::invalid("the execute request must be a JSON object"))?;
    for key in obj.keys() {
        if !matches!(
            key.as_str(),
            "inputs" | "outputs" | "response" | "subscriber" | "process" | "mode"
        ) {
            return Err(Error::invalid(format!(
                "unknown member '{key}' in the execute request; expected inputs, outputs, response, subscriber"
            )));
        }
    }
    let inputs = match obj.get("inputs") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(Error::invalid("'inputs' must be an object")),
    };
    let inputs = validate_inputs(process, inputs)?;
    let delivery = parse_delivery(process, obj, prefs)?;
    let subscriber = match obj.get("subscriber") {
        None | Some(Value::Null) => None,
        Some(v) => Some(parse_subscriber(v)?),
    };
    Ok(Submission {
        inputs,
        delivery,
        subscriber,
    })
}

fn validate_inputs(process: &ProcessDescription, mut given: Map<String, Value>) -> Result<Inputs> {
    if let Some(unknown) = given.keys().find(|k| !process.inputs.contains_key(*k)) {
        let known: Vec<&str> = process.inputs.keys().map(String::as_str).collect();
        return Err(Error::invalid(format!(
            "unknown input '{unknown}'; process '{}' accepts: {}",
            process.id,
            known.join(", ")
        )));
    }
    let mut inputs = Inputs::new();
    for (id, desc) in &process.inputs {
        match given.remove(id) {
            Some(value) => {
                let value = validate_occurrences(id, desc, value)?;
                inputs.insert(id.clone(), value);
            }
            None => {
                if let Some(default) = desc.schema.get("default") {
                    inputs.insert(id.clone(), default.clone());
                } else if desc.min_occurs > 0 {
                    return Err(Error::invalid(format!("missing required input '{id}'")));
                }
            }
        }
    }
    Ok(inputs)
}

fn validate_occurrences(id: &str, desc: &InputDescription, value: Value) -> Result<Value> {
    let max = desc.max_occurs.limit();
    let schema_is_array = desc.schema.get("type").and_then(Value::as_str) == Some("array");
    if max > 1 && !schema_is_array {
        let values = match value {
            Value::Array(values) => values,
            single => vec![single],
        };
        let n = values.len() as u64;
        if n < u64::from(desc.min_occurs) || n > u64::from(max) {
            return Err(Error::invalid(format!(
                "input '{id}' has {n} values; it takes {} to {}",
                desc.min_occurs,
                if max == u32::MAX {
                    "unbounded".to_string()
                } else {
                    max.to_string()
                }
            )));
        }
        for v in &values {
            validate_value(id, &desc.schema, v)?;
        }
        Ok(Value::Array(values))
    } else {
        validate_value(id, &desc.schema, &value)?;
        Ok(value)
    }
}

/// Whether `v` is a link to the value (`{"href": ...}`) rather than the value itself.
pub fn is_reference(v: &Value) -> bool {
    v.as_object().is_some_and(|o| {
        o.get("href").is_some_and(Value::is_string)
            && o.keys()
                .all(|k| matches!(k.as_str(), "href" | "rel" | "type" | "hreflang" | "title"))
    })
}

/// Whether `v` is a qualified value (`{"value": ..., "mediaType": ...}`) for this schema.
pub fn is_qualified(v: &Value, schema: &Value) -> bool {
    let Some(o) = v.as_object() else { return false };
    let schema_has_value_property = schema
        .get("properties")
        .and_then(|p| p.get("value"))
        .is_some();
    o.contains_key("value")
        && !schema_has_value_property
        && o.keys().all(|k| {
            matches!(
                k.as_str(),
                "value" | "mediaType" | "encoding" | "schema" | "format"
            )
        })
}

/// Validates one value of input `id` against its schema (references are only checked for
/// their URL).
pub fn validate_value(id: &str, schema: &Value, value: &Value) -> Result<()> {
    if is_reference(value) {
        let href = value.get("href").and_then(Value::as_str).unwrap_or("");
        return check_url(&format!("input '{id}'"), href);
    }
    let inner = if is_qualified(value, schema) {
        &value["value"]
    } else {
        value
    };
    // Process schemas are OpenAPI 3.0 schema objects: JSON Schema draft 4 semantics
    // (boolean `exclusiveMinimum`/`exclusiveMaximum`).
    let validator = jsonschema::draft4::new(schema).map_err(|e| {
        Error::backend(format!("input '{id}' has an invalid schema"), e.to_string())
    })?;
    validator.validate(inner).map_err(|e| {
        let path = e.instance_path().to_string();
        let at = if path.is_empty() {
            String::new()
        } else {
            format!(" at {path}")
        };
        Error::invalid(format!("input '{id}' is invalid{at}: {e}"))
    })
}

fn parse_delivery(
    process: &ProcessDescription,
    obj: &Map<String, Value>,
    prefs: &Preferences,
) -> Result<Delivery> {
    let response = match obj.get("response") {
        None | Some(Value::Null) => match prefs.return_representation {
            Some(_) => ResponseMode::Document,
            None => ResponseMode::Raw,
        },
        Some(Value::String(s)) if s == "raw" => ResponseMode::Raw,
        Some(Value::String(s)) if s == "document" => ResponseMode::Document,
        Some(other) => {
            return Err(Error::invalid(format!(
                "'response' must be \"raw\" or \"document\", not {other}"
            )));
        }
    };
    let default_mode = if prefs.return_representation == Some(false)
        || !process
            .output_transmission
            .contains(&TransmissionMode::Value)
    {
        TransmissionMode::Reference
    } else {
        TransmissionMode::Value
    };
    let mut outputs = IndexMap::new();
    match obj.get("outputs") {
        None | Some(Value::Null) => {
            for id in process.outputs.keys() {
                outputs.insert(id.clone(), default_mode);
            }
        }
        Some(Value::Object(requested)) => {
            for (id, spec) in requested {
                if !process.outputs.contains_key(id) {
                    let known: Vec<&str> = process.outputs.keys().map(String::as_str).collect();
                    return Err(Error::invalid(format!(
                        "unknown output '{id}'; process '{}' has: {}",
                        process.id,
                        known.join(", ")
                    )));
                }
                let mode = match spec.get("transmissionMode") {
                    None | Some(Value::Null) => default_mode,
                    Some(v) => {
                        serde_json::from_value::<TransmissionMode>(v.clone()).map_err(|_| {
                            Error::invalid(format!(
                                "output '{id}': transmissionMode must be \"value\" or \"reference\""
                            ))
                        })?
                    }
                };
                if !process.output_transmission.contains(&mode) {
                    return Err(Error::invalid(format!(
                        "output '{id}': transmission mode '{}' is not offered by process '{}'",
                        serde_json::to_value(mode)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default(),
                        process.id
                    )));
                }
                outputs.insert(id.clone(), mode);
            }
        }
        Some(_) => return Err(Error::invalid("'outputs' must be an object")),
    }
    Ok(Delivery { response, outputs })
}

fn parse_subscriber(v: &Value) -> Result<Subscriber> {
    let sub: Subscriber = serde_json::from_value(v.clone()).map_err(|e| {
        Error::invalid(format!(
            "'subscriber' must be an object with successUri, inProgressUri, failedUri: {e}"
        ))
    })?;
    for (name, uri) in [
        ("successUri", &sub.success_uri),
        ("inProgressUri", &sub.in_progress_uri),
        ("failedUri", &sub.failed_uri),
    ] {
        if let Some(uri) = uri {
            check_url(&format!("subscriber.{name}"), uri)?;
        }
    }
    Ok(sub)
}

fn check_url(what: &str, s: &str) -> Result<()> {
    let lower = s.to_ascii_lowercase();
    let ok_scheme = ["http://", "https://", "s3://", "file://"]
        .iter()
        .any(|p| lower.starts_with(p));
    if !ok_scheme || s.len() > 4096 || s.chars().any(char::is_whitespace) {
        return Err(Error::invalid(format!(
            "{what}: '{}' is not an http(s), s3 or file URL",
            s.chars().take(200).collect::<String>()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::{InputDescription, MaxOccurs, OutputDescription, Unbounded};
    use serde_json::json;

    fn process() -> ProcessDescription {
        let mut inputs = IndexMap::new();
        inputs.insert(
            "s".to_string(),
            InputDescription::new("s", "a string", json!({"type": "string"})),
        );
        inputs.insert(
            "n".to_string(),
            InputDescription::new(
                "n",
                "a number",
                json!({"type": "integer", "minimum": 0, "maximum": 10, "default": 1}),
            ),
        );
        inputs.insert(
            "many".to_string(),
            InputDescription::new("many", "strings", json!({"type": "string"}))
                .optional()
                .max_occurs(MaxOccurs::Unbounded(Unbounded::Unbounded)),
        );
        let mut outputs = IndexMap::new();
        outputs.insert(
            "s".to_string(),
            OutputDescription::new("s", "echo", json!({"type": "string"})),
        );
        ProcessDescription {
            id: "t".into(),
            version: "1".into(),
            title: None,
            description: None,
            keywords: vec![],
            job_control_options: vec![JobControl::SyncExecute, JobControl::AsyncExecute],
            output_transmission: vec![TransmissionMode::Value],
            inputs,
            outputs,
            mutable: false,
        }
    }

    fn err(body: Value) -> String {
        validate_request(&process(), &body, &Preferences::default())
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn applies_defaults_and_keeps_order() {
        let sub = validate_request(
            &process(),
            &json!({"inputs": {"s": "x"}}),
            &Preferences::default(),
        )
        .unwrap();
        assert_eq!(sub.inputs["n"], json!(1));
        assert_eq!(sub.delivery.response, ResponseMode::Raw);
        assert_eq!(sub.delivery.outputs["s"], TransmissionMode::Value);
    }

    #[test]
    fn errors_name_the_input() {
        assert!(err(json!({"inputs": {}})).contains("missing required input 's'"));
        assert!(err(json!({"inputs": {"s": "x", "zz": 1}})).contains("unknown input 'zz'"));
        assert!(err(json!({"inputs": {"s": 3}})).contains("input 's' is invalid"));
        assert!(err(json!({"inputs": {"s": "x", "n": 11}})).contains("input 'n'"));
        assert!(err(json!({"inputs": {"s": "x"}, "outputs": {"q": {}}})).contains("output 'q'"));
        assert!(err(json!([1])).contains("JSON object"));
        assert!(
            err(json!({"inputs": {"s": "x"}, "subscriber": {"successUri": "ftp://x"}}))
                .contains("successUri")
        );
    }

    #[test]
    fn multi_occurrence_inputs_accept_one_or_many() {
        let p = process();
        let one = validate_request(
            &p,
            &json!({"inputs": {"s": "x", "many": "a"}}),
            &Preferences::default(),
        )
        .unwrap();
        assert_eq!(one.inputs["many"], json!(["a"]));
        assert!(err(json!({"inputs": {"s": "x", "many": ["a", 2]}})).contains("'many'"));
    }

    #[test]
    fn qualified_and_referenced_values() {
        let p = process();
        let sub = validate_request(
            &p,
            &json!({"inputs": {"s": {"value": "x", "mediaType": "text/plain"}}}),
            &Preferences::default(),
        )
        .unwrap();
        assert_eq!(sub.inputs["s"]["value"], json!("x"));
        assert!(
            validate_request(
                &p,
                &json!({"inputs": {"s": {"href": "https://example.com/a.txt"}}}),
                &Preferences::default()
            )
            .is_ok()
        );
    }

    #[test]
    fn mode_negotiation_follows_the_table() {
        let mut p = process();
        let async_pref = Preferences {
            respond_async: true,
            ..Default::default()
        };
        assert_eq!(
            negotiate_mode(&p, &Preferences::default()),
            ExecutionMode::Sync
        );
        assert_eq!(negotiate_mode(&p, &async_pref), ExecutionMode::Async);
        p.job_control_options = vec![JobControl::AsyncExecute];
        assert_eq!(
            negotiate_mode(&p, &Preferences::default()),
            ExecutionMode::Async
        );
        p.job_control_options = vec![JobControl::SyncExecute];
        assert_eq!(negotiate_mode(&p, &async_pref), ExecutionMode::Sync);
    }

    #[test]
    fn return_preference_selects_document() {
        let prefs = Preferences {
            respond_async: true,
            return_representation: Some(true),
            ..Default::default()
        };
        let sub = validate_request(&process(), &json!({"inputs": {"s": "x"}}), &prefs).unwrap();
        assert_eq!(sub.delivery.response, ResponseMode::Document);
    }
}
