//! Process descriptions in the OGC API - Processes 1.0 JSON shape
//! (`processSummary.yaml`, `process.yaml`, `inputDescription.yaml`, `outputDescription.yaml`).

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How a process can be executed (`jobControlOptions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobControl {
    /// The client may wait for the result in the execute response.
    SyncExecute,
    /// The execute response returns a job to monitor.
    AsyncExecute,
    /// Running jobs can be dismissed.
    Dismiss,
}

/// How an output travels to the client (`transmissionMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TransmissionMode {
    /// In the response body.
    #[default]
    Value,
    /// As a link to a stored object.
    Reference,
}

/// `maxOccurs`: a count or `"unbounded"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MaxOccurs {
    /// At most this many values.
    Count(u32),
    /// Any number of values.
    Unbounded(Unbounded),
}

/// The literal `"unbounded"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unbounded {
    /// `"unbounded"`.
    Unbounded,
}

impl MaxOccurs {
    /// The largest allowed count.
    pub fn limit(self) -> u32 {
        match self {
            MaxOccurs::Count(n) => n,
            MaxOccurs::Unbounded(_) => u32::MAX,
        }
    }
}

impl Default for MaxOccurs {
    fn default() -> Self {
        MaxOccurs::Count(1)
    }
}

fn one() -> u32 {
    1
}

fn is_one(n: &u32) -> bool {
    *n == 1
}

fn is_default_max(m: &MaxOccurs) -> bool {
    *m == MaxOccurs::Count(1)
}

/// One process input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InputDescription {
    /// Short title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the input means.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Minimum number of values (0 = optional).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub min_occurs: u32,
    /// Maximum number of values.
    #[serde(default, skip_serializing_if = "is_default_max")]
    pub max_occurs: MaxOccurs,
    /// JSON schema of one value; its `default` applies when the input is omitted.
    pub schema: Value,
}

impl InputDescription {
    /// A required input with this schema.
    pub fn new(title: &str, description: &str, schema: Value) -> Self {
        InputDescription {
            title: Some(title.into()),
            description: Some(description.into()),
            keywords: Vec::new(),
            min_occurs: 1,
            max_occurs: MaxOccurs::Count(1),
            schema,
        }
    }

    /// Makes the input optional.
    pub fn optional(mut self) -> Self {
        self.min_occurs = 0;
        self
    }

    /// Sets `maxOccurs`.
    pub fn max_occurs(mut self, max: MaxOccurs) -> Self {
        self.max_occurs = max;
        self
    }
}

/// One process output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputDescription {
    /// Short title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the output holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// JSON schema of the output value.
    pub schema: Value,
}

impl OutputDescription {
    /// An output with this schema.
    pub fn new(title: &str, description: &str, schema: Value) -> Self {
        OutputDescription {
            title: Some(title.into()),
            description: Some(description.into()),
            schema,
        }
    }

    /// The media type the output's schema declares (`contentMediaType`), if any.
    pub fn media_type(&self) -> Option<&str> {
        self.schema.get("contentMediaType").and_then(Value::as_str)
    }
}

/// A full process description (summary fields plus inputs and outputs). The API adds links.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessDescription {
    /// Identifier, used in paths.
    pub id: String,
    /// Version of the process.
    pub version: String,
    /// Short title.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// What the process does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Execution modes offered.
    pub job_control_options: Vec<JobControl>,
    /// Transmission modes offered for outputs.
    pub output_transmission: Vec<TransmissionMode>,
    /// Inputs, in the order clients see them.
    pub inputs: IndexMap<String, InputDescription>,
    /// Outputs, in the order clients see them.
    pub outputs: IndexMap<String, OutputDescription>,
    /// Whether the process can be replaced or undeployed (OGC API - Processes Part 2).
    pub mutable: bool,
}

impl ProcessDescription {
    /// Whether `control` is among the process's job control options.
    pub fn allows(&self, control: JobControl) -> bool {
        self.job_control_options.contains(&control)
    }

    /// The summary view (`processSummary.yaml`): everything but inputs and outputs.
    pub fn summary(&self) -> serde_json::Map<String, Value> {
        let mut map = match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        map.remove("inputs");
        map.remove("outputs");
        map
    }
}
