//! CWL types as the JSON schemas of a process description.
//!
//! | CWL | schema | occurrences |
//! |---|---|---|
//! | `string`, `int`/`long`, `float`/`double`, `boolean` | `string`, `integer`, `number`, `boolean` | 1 |
//! | `T?`, `["null", T]`, a `default` | as `T` (with `default`) | `minOccurs: 0` |
//! | `T[]`, `{type: array, items: T}` | `{type: array, items: T}` | 1 |
//! | `enum` | `{type: string, enum: [...]}` | 1 |
//! | `record` | `{type: object, properties, required}` | 1 |
//! | `File`, `stdout`, `stderr` | binary string (`contentEncoding: binary`) | 1; `File[]`: `maxOccurs: unbounded` |
//! | `Directory` | a STAC Catalog (`type: object`, `contentMediaType: application/json`), by reference | 1; `Directory[]`: unbounded |
//! | `Any`, named schema types | `{}` | 1 |

use serde_json::{Value, json};

/// How a parameter's values travel to the CWL engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A JSON value passed as it is.
    Literal,
    /// A file staged into the run's working directory.
    File,
    /// A directory (a STAC catalog) staged into the run's working directory.
    Directory,
}

/// A CWL parameter type seen from OGC API - Processes.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Schema of one value.
    pub schema: Value,
    /// The value may be omitted (`null` in the type union).
    pub optional: bool,
    /// Several values (`File[]`, `Directory[]`), each with `schema`.
    pub many: bool,
    /// How values are staged.
    pub kind: Kind,
}

/// Deepest type nesting followed.
const MAX_DEPTH: usize = 16;

/// The schema of a staged file.
pub fn file_schema() -> Value {
    json!({"type": "string", "contentEncoding": "binary",
           "contentMediaType": "application/octet-stream"})
}

/// The schema of a staged directory: a STAC Catalog given by reference.
pub fn directory_schema() -> Value {
    json!({"type": "object", "contentMediaType": "application/json",
           "description": "a STAC Catalog (catalog.json), by reference: its items and their relative assets are staged with it"})
}

/// The parameter of a CWL type.
pub fn param(t: &Value) -> Param {
    let (t, optional) = strip_null(t);
    if let Some(items) = file_like_items(&t) {
        let (schema, kind) = schema(&items, 0);
        return Param {
            schema,
            optional,
            many: true,
            kind,
        };
    }
    let (schema, kind) = schema(&t, 0);
    Param {
        schema,
        optional,
        many: false,
        kind,
    }
}

/// Removes `null` from a type: `T?` and `["null", T]` become `T`, marked optional.
fn strip_null(t: &Value) -> (Value, bool) {
    match t {
        Value::String(s) if s.ends_with('?') => (Value::String(s[..s.len() - 1].into()), true),
        Value::Array(union) => {
            let rest: Vec<Value> = union.iter().filter(|v| *v != "null").cloned().collect();
            let optional = rest.len() < union.len();
            match rest.as_slice() {
                [one] => {
                    let (inner, opt) = strip_null(one);
                    (inner, optional || opt)
                }
                _ => (Value::Array(rest), optional),
            }
        }
        other => (other.clone(), false),
    }
}

/// The item type of an array of files or directories, if `t` is one.
fn file_like_items(t: &Value) -> Option<Value> {
    let items = match t {
        Value::String(s) => Value::String(s.strip_suffix("[]")?.to_string()),
        Value::Object(o) if o.get("type").and_then(Value::as_str) == Some("array") => {
            o.get("items")?.clone()
        }
        _ => return None,
    };
    matches!(name(&items), Some("File" | "Directory")).then_some(items)
}

fn name(t: &Value) -> Option<&str> {
    t.as_str().map(|s| s.trim_start_matches('#'))
}

/// The schema of one value of type `t`, and how it is staged.
fn schema(t: &Value, depth: usize) -> (Value, Kind) {
    if depth > MAX_DEPTH {
        return (json!({}), Kind::Literal);
    }
    match t {
        Value::String(s) => {
            if let Some(inner) = s.strip_suffix('?') {
                return schema(&Value::String(inner.into()), depth + 1);
            }
            if let Some(inner) = s.strip_suffix("[]") {
                let (items, kind) = schema(&Value::String(inner.into()), depth + 1);
                return (json!({"type": "array", "items": items}), kind);
            }
            match s.as_str() {
                "string" => (json!({"type": "string"}), Kind::Literal),
                "int" | "long" => (json!({"type": "integer"}), Kind::Literal),
                "float" | "double" => (json!({"type": "number"}), Kind::Literal),
                "boolean" => (json!({"type": "boolean"}), Kind::Literal),
                "null" => (json!({"enum": [null]}), Kind::Literal),
                "File" | "stdout" | "stderr" => (file_schema(), Kind::File),
                "Directory" => (directory_schema(), Kind::Directory),
                _ => (json!({}), Kind::Literal),
            }
        }
        Value::Array(union) => {
            let (t, _) = strip_null(t);
            if !t.is_array() {
                return schema(&t, depth + 1);
            }
            let alternatives: Vec<Value> = union
                .iter()
                .filter(|v| *v != "null")
                .map(|v| schema(v, depth + 1).0)
                .collect();
            (json!({"oneOf": alternatives}), Kind::Literal)
        }
        Value::Object(o) => match o.get("type").and_then(Value::as_str) {
            Some("array") => {
                let (items, kind) = schema(o.get("items").unwrap_or(&Value::Null), depth + 1);
                (json!({"type": "array", "items": items}), kind)
            }
            Some("enum") => {
                let symbols: Vec<Value> = o
                    .get("symbols")
                    .and_then(Value::as_array)
                    .map(|s| {
                        s.iter()
                            .filter_map(Value::as_str)
                            .map(|s| Value::String(symbol(s).into()))
                            .collect()
                    })
                    .unwrap_or_default();
                (json!({"type": "string", "enum": symbols}), Kind::Literal)
            }
            Some("record") => {
                let mut properties = serde_json::Map::new();
                let mut required = Vec::new();
                for (id, field) in super::params(o.get("fields")) {
                    let t = field.get("type").cloned().unwrap_or(Value::Null);
                    let (inner, optional) = strip_null(&t);
                    properties.insert(id.clone(), schema(&inner, depth + 1).0);
                    if !optional {
                        required.push(Value::String(id));
                    }
                }
                let mut s = json!({"type": "object", "properties": properties});
                if !required.is_empty() {
                    s["required"] = Value::Array(required);
                }
                (s, Kind::Literal)
            }
            _ => (json!({}), Kind::Literal),
        },
        _ => (json!({}), Kind::Literal),
    }
}

/// An enum symbol without the packed-document prefix (`#main/epsg/EPSG:4326` -> `EPSG:4326`).
fn symbol(s: &str) -> &str {
    match s.strip_prefix('#') {
        Some(rest) => rest.rsplit('/').next().unwrap_or(rest),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_optional_array_enum_and_record_types() {
        assert_eq!(param(&json!("string")).schema, json!({"type": "string"}));
        let p = param(&json!("int?"));
        assert_eq!((p.schema, p.optional), (json!({"type": "integer"}), true));
        let p = param(&json!(["null", "float"]));
        assert_eq!((p.schema, p.optional), (json!({"type": "number"}), true));
        assert_eq!(
            param(&json!("string[]")).schema,
            json!({"type": "array", "items": {"type": "string"}})
        );
        assert_eq!(
            param(&json!({"type": "array", "items": "boolean"})).schema,
            json!({"type": "array", "items": {"type": "boolean"}})
        );
        assert_eq!(
            param(&json!({"type": "enum", "symbols": ["#m/e/a", "b"]})).schema,
            json!({"type": "string", "enum": ["a", "b"]})
        );
        assert_eq!(
            param(&json!({"type": "record", "fields": {"x": "int", "y": "string?"}})).schema,
            json!({"type": "object", "properties": {"x": {"type": "integer"}, "y": {"type": "string"}},
                   "required": ["x"]})
        );
        assert_eq!(
            param(&json!(["string", "int"])).schema,
            json!({"oneOf": [{"type": "string"}, {"type": "integer"}]})
        );
    }

    #[test]
    fn files_and_directories() {
        let p = param(&json!("File"));
        assert_eq!((p.kind, p.many), (Kind::File, false));
        assert_eq!(p.schema["contentEncoding"], "binary");
        let p = param(&json!("Directory[]?"));
        assert_eq!((p.kind, p.many, p.optional), (Kind::Directory, true, true));
        assert_eq!(p.schema, directory_schema());
        let p = param(&json!({"type": "array", "items": "File"}));
        assert!(p.many && p.kind == Kind::File);
    }
}
