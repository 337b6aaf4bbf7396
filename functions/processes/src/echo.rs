//! `echo`: returns its inputs as outputs of the same ids. Shaped for the OGC test suite
//! (ets-ogcapi-processes10): the first input is a plain string, every input kind of the 1.0
//! spec appears (object, array, bbox, binary, mixed `oneOf`), and `pause` makes a job run long
//! enough to watch or dismiss it.

use std::time::Duration;

use async_trait::async_trait;
use indexmap::IndexMap;
use serde_json::{Value, json};
use stratus_core::execute::{Inputs, is_qualified};
use stratus_core::process::{
    InputDescription, JobControl, OutputDescription, Process, ProcessDescription, ProcessError,
    RunContext, TransmissionMode, WorkItem,
};
use stratus_core::results::{OutputValue, Outputs};

/// Longest `pause` accepted, in seconds.
pub const MAX_PAUSE_SECS: u64 = 300;

/// The echo process.
pub struct Echo {
    description: ProcessDescription,
}

impl Default for Echo {
    fn default() -> Self {
        Self::new()
    }
}

fn bbox_schema() -> Value {
    json!({
        "type": "object",
        "required": ["bbox"],
        "properties": {
            "bbox": {
                "type": "array",
                "oneOf": [
                    {"minItems": 4, "maxItems": 4},
                    {"minItems": 6, "maxItems": 6}
                ],
                "items": {"type": "number"}
            },
            "crs": {
                "type": "string",
                "format": "uri",
                "default": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                "enum": [
                    "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
                    "http://www.opengis.net/def/crs/OGC/0/CRS84h"
                ]
            }
        }
    })
}

/// Input id, title, description, schema; every echoed input has an output of the same id.
fn echoed_inputs() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("stringInput", "A string", json!({"type": "string"})),
        (
            "measureInput",
            "A measurement with its unit",
            json!({
                "type": "object",
                "required": ["measurement", "uom"],
                "properties": {
                    "measurement": {"type": "number"},
                    "uom": {"type": "string"},
                    "reference": {"type": "string", "format": "uri"}
                }
            }),
        ),
        (
            "dateInput",
            "A date-time",
            json!({"type": "string", "format": "date-time"}),
        ),
        (
            "doubleInput",
            "A number from 0 to 10, exclusive of 10",
            json!({"type": "number", "format": "double", "minimum": 0, "maximum": 10, "exclusiveMaximum": true}),
        ),
        (
            "arrayInput",
            "Two to ten integers",
            json!({"type": "array", "minItems": 2, "maxItems": 10, "items": {"type": "integer"}}),
        ),
        (
            "complexObjectInput",
            "Any JSON object",
            json!({"type": "object", "properties": {"property1": {"type": "string"}}}),
        ),
        (
            "boundingBoxInput",
            "A bounding box",
            json!({"allOf": [{"format": "ogc-bbox"}, bbox_schema()]}),
        ),
        (
            "imagesInput",
            "A binary image, base64 encoded when inline",
            json!({
                "type": "string",
                "contentEncoding": "binary",
                "contentMediaType": "image/tiff; application=geotiff"
            }),
        ),
        (
            "featureCollectionInput",
            "A GeoJSON FeatureCollection or a GML document",
            json!({
                "oneOf": [
                    {"type": "string", "contentMediaType": "application/gml+xml; version=3.2"},
                    {"format": "geojson-feature-collection", "type": "object", "required": ["type", "features"]}
                ]
            }),
        ),
    ]
}

impl Echo {
    /// The process with its description.
    pub fn new() -> Self {
        let mut inputs = IndexMap::new();
        let mut outputs = IndexMap::new();
        for (i, (id, title, schema)) in echoed_inputs().into_iter().enumerate() {
            let mut input =
                InputDescription::new(title, &format!("Echoed to output '{id}'."), schema.clone());
            if i > 0 {
                input = input.optional();
            }
            inputs.insert(id.to_string(), input);
            outputs.insert(
                id.to_string(),
                OutputDescription::new(title, &format!("The value of input '{id}'."), schema),
            );
        }
        inputs.insert(
            "pause".into(),
            InputDescription::new(
                "Pause",
                "Seconds to wait before answering, to watch or dismiss a running job.",
                json!({"type": "integer", "minimum": 0, "maximum": MAX_PAUSE_SECS, "default": 0}),
            )
            .optional(),
        );
        Echo {
            description: ProcessDescription {
                id: "echo".into(),
                version: "1.0.0".into(),
                title: Some("Echo".into()),
                description: Some(
                    "Returns its inputs as outputs of the same ids, after an optional pause."
                        .into(),
                ),
                keywords: vec!["test".into(), "echo".into()],
                job_control_options: vec![
                    JobControl::SyncExecute,
                    JobControl::AsyncExecute,
                    JobControl::Dismiss,
                ],
                output_transmission: vec![TransmissionMode::Value, TransmissionMode::Reference],
                inputs,
                outputs,
                mutable: false,
            },
        }
    }
}

#[async_trait]
impl Process for Echo {
    fn description(&self) -> &ProcessDescription {
        &self.description
    }

    async fn run_item(
        &self,
        inputs: &Inputs,
        _item: &WorkItem,
        _ctx: &RunContext,
    ) -> Result<Value, ProcessError> {
        let pause = inputs.get("pause").and_then(Value::as_u64).unwrap_or(0);
        if pause > 0 {
            tokio::time::sleep(Duration::from_secs(pause.min(MAX_PAUSE_SECS))).await;
        }
        let echoed: serde_json::Map<String, Value> = inputs
            .iter()
            .filter(|(id, _)| self.description.outputs.contains_key(*id))
            .map(|(id, v)| (id.clone(), v.clone()))
            .collect();
        Ok(Value::Object(echoed))
    }

    async fn finalize(
        &self,
        _inputs: &Inputs,
        items: Vec<Value>,
        _ctx: &RunContext,
    ) -> Result<Outputs, ProcessError> {
        let echoed = items
            .into_iter()
            .next()
            .ok_or_else(|| ProcessError::internal("echo ran no item"))?;
        let mut outputs = Outputs::new();
        for (id, desc) in &self.description.outputs {
            let Some(value) = echoed.get(id) else {
                continue;
            };
            let out = if is_qualified(value, &desc.schema) {
                OutputValue::Inline {
                    value: value["value"].clone(),
                    media_type: value
                        .get("mediaType")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                    encoding: value
                        .get("encoding")
                        .and_then(Value::as_str)
                        .map(str::to_owned),
                }
            } else if value.is_string() && desc.schema.get("type") == Some(&json!("string")) {
                OutputValue::Inline {
                    value: value.clone(),
                    media_type: Some("text/plain".into()),
                    encoding: None,
                }
            } else {
                OutputValue::json(value.clone())
            };
            outputs.insert(id.clone(), out);
        }
        Ok(outputs)
    }
}
