//! YAML <-> JSON for CWL documents (yaml-rust2: pure Rust, YAML 1.2 core schema, key order
//! kept). CWL is JSON-compatible data, so a document converts to a [`serde_json::Value`] and
//! back without loss (comments and formatting aside).

use serde_json::{Map, Number, Value};
use yaml_rust2::{Yaml, YamlEmitter, YamlLoader};

/// Deepest nesting accepted, so a hostile document cannot exhaust the stack.
const MAX_DEPTH: usize = 128;

/// Parses one YAML document into JSON. The message of an error names the line and column.
pub fn to_json(text: &str) -> Result<Value, String> {
    let docs = YamlLoader::load_from_str(text).map_err(|e| format!("YAML syntax error: {e}"))?;
    let mut docs = docs.into_iter();
    let Some(doc) = docs.next() else {
        return Err("the YAML document is empty".into());
    };
    if docs.next().is_some() {
        return Err("the YAML text holds more than one document".into());
    }
    convert(doc, 0)
}

fn convert(y: Yaml, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "the YAML document nests deeper than {MAX_DEPTH} levels"
        ));
    }
    Ok(match y {
        Yaml::Null => Value::Null,
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Integer(i) => Value::from(i),
        Yaml::Real(s) => match s.parse::<f64>().ok().and_then(Number::from_f64) {
            Some(n) => Value::Number(n),
            None => Value::String(s),
        },
        Yaml::String(s) => Value::String(s),
        Yaml::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|i| convert(i, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Yaml::Hash(hash) => {
            let mut map = Map::new();
            for (k, v) in hash {
                let key = match k {
                    Yaml::String(s) | Yaml::Real(s) => s,
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Boolean(b) => b.to_string(),
                    Yaml::Null => "null".into(),
                    _ => return Err("a YAML mapping key is not a scalar".into()),
                };
                map.insert(key, convert(v, depth + 1)?);
            }
            Value::Object(map)
        }
        Yaml::Alias(_) => return Err("YAML aliases are not supported".into()),
        Yaml::BadValue => return Err("the YAML document holds an invalid value".into()),
    })
}

/// Writes JSON as a YAML document.
pub fn from_json(value: &Value) -> String {
    let mut out = String::new();
    let mut emitter = YamlEmitter::new(&mut out);
    emitter.multiline_strings(true);
    // Writing to a String cannot fail.
    let _ = emitter.dump(&to_yaml(value));
    out.push('\n');
    out
}

fn to_yaml(value: &Value) -> Yaml {
    match value {
        Value::Null => Yaml::Null,
        Value::Bool(b) => Yaml::Boolean(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Yaml::Integer(i),
            None => Yaml::Real(n.to_string()),
        },
        Value::String(s) => Yaml::String(s.clone()),
        Value::Array(items) => Yaml::Array(items.iter().map(to_yaml).collect()),
        Value::Object(map) => {
            let mut hash = yaml_rust2::yaml::Hash::new();
            for (k, v) in map {
                hash.insert(Yaml::String(k.clone()), to_yaml(v));
            }
            Yaml::Hash(hash)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn round_trips_keep_order_and_types() {
        let text = "cwlVersion: v1.2\nclass: CommandLineTool\nid: t\nz: 1\na: [1.5, true, null, \"EPSG:4326\", 'yes']\ndoc: |\n  two\n  lines\n";
        let v = to_json(text).unwrap();
        assert_eq!(
            v,
            json!({"cwlVersion": "v1.2", "class": "CommandLineTool", "id": "t", "z": 1,
                   "a": [1.5, true, null, "EPSG:4326", "yes"], "doc": "two\nlines\n"})
        );
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["cwlVersion", "class", "id", "z", "a", "doc"]);
        assert_eq!(to_json(&from_json(&v)).unwrap(), v);
    }

    #[test]
    fn errors_name_the_position() {
        let e = to_json("a: [1, 2\nb: c").unwrap_err();
        assert!(e.contains("line"), "{e}");
        assert!(to_json("").is_err());
        assert!(to_json("a: 1\n---\nb: 2\n").is_err());
    }
}
