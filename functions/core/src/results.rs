//! Job outputs as stored after a successful run.

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The value of one output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum OutputValue {
    /// The value itself. `media_type` tells how a raw response carries it; with
    /// `encoding: base64` the value is a base64 string of binary content.
    Inline {
        /// The JSON value.
        value: Value,
        /// Media type, when not plain JSON.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        media_type: Option<String>,
        /// Content encoding of a string value (`base64`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        encoding: Option<String>,
    },
    /// A stored object; the API links to it.
    Stored {
        /// Object key.
        key: String,
        /// Media type of the object.
        media_type: String,
    },
}

impl OutputValue {
    /// A JSON value with no particular media type.
    pub fn json(value: Value) -> Self {
        OutputValue::Inline {
            value,
            media_type: None,
            encoding: None,
        }
    }
}

/// Outputs of a job, by output id, in the process's order.
pub type Outputs = IndexMap<String, OutputValue>;
