//! Deployment bodies of OGC API - Processes Part 2 (`POST /processes`, `PUT /processes/{id}`):
//! a CWL document (`application/cwl`, `application/cwl+yaml`, `application/cwl+json`) or an
//! OGC application package (`application/ogcapppkg+json`: `{processDescription?,
//! executionUnit}` with the CWL inline or by `href`), parsed into a [`Deployment`].

use bytes::Bytes;
use serde_json::Value;

use crate::cwl::{CwlPackage, yaml};
use crate::error::{Error, Result};
use crate::ports::Fetcher;
use crate::process::{JobControl, ProcessDescription};

/// Media types a deployment body may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PackageFormat {
    /// `application/cwl` (YAML or JSON text).
    Cwl,
    /// `application/cwl+yaml`.
    CwlYaml,
    /// `application/cwl+json`.
    CwlJson,
    /// `application/ogcapppkg+json`.
    AppPackage,
}

impl PackageFormat {
    /// Every format, in the order a server lists them.
    pub const ALL: [PackageFormat; 4] = [
        PackageFormat::CwlYaml,
        PackageFormat::CwlJson,
        PackageFormat::Cwl,
        PackageFormat::AppPackage,
    ];

    /// The media type.
    pub fn media_type(self) -> &'static str {
        match self {
            PackageFormat::Cwl => "application/cwl",
            PackageFormat::CwlYaml => "application/cwl+yaml",
            PackageFormat::CwlJson => "application/cwl+json",
            PackageFormat::AppPackage => "application/ogcapppkg+json",
        }
    }

    /// The format of a media type (parameters and case ignored).
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        let essence = media_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        Self::ALL.into_iter().find(|f| f.media_type() == essence)
    }
}

/// A deployment body as received: kept byte for byte for `GET /processes/{id}/package`.
#[derive(Debug, Clone, PartialEq)]
pub struct PackageBody {
    /// Its media type.
    pub format: PackageFormat,
    /// Its bytes.
    pub bytes: Bytes,
}

/// A validated deployment: what the registry stores.
#[derive(Debug, Clone, PartialEq)]
pub struct Deployment {
    /// The description derived from the package (`mutable: true`).
    pub description: ProcessDescription,
    /// The CWL, validated, with the selected workflow.
    pub cwl: CwlPackage,
    /// The body as received.
    pub body: PackageBody,
}

/// Longest process id.
pub const MAX_ID_LEN: usize = 128;

/// Checks that a process id can be a path segment and an object-store key segment.
pub fn check_process_id(id: &str) -> Result<()> {
    let ok = !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && !id.starts_with('.')
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidPackage(format!(
            "process id '{}' must be 1 to {MAX_ID_LEN} letters, digits, '-', '_' or '.'",
            id.chars().take(MAX_ID_LEN).collect::<String>()
        )))
    }
}

/// Parses and validates a deployment body. `workflow` is the `w` parameter; `id` the process
/// id of a replacement (its path), which the process keeps whatever its Workflow is called; a
/// package given by `href` is fetched through `fetcher`.
pub async fn parse(
    body: PackageBody,
    workflow: Option<&str>,
    id: Option<&str>,
    fetcher: &dyn Fetcher,
) -> Result<Deployment> {
    let (cwl, overrides) = match body.format {
        PackageFormat::AppPackage => {
            let doc: Value = serde_json::from_slice(&body.bytes).map_err(|e| {
                Error::InvalidPackage(format!("the application package is not valid JSON: {e}"))
            })?;
            let unit = execution_unit(&doc)?;
            let cwl = match unit {
                Unit::Href(href) => {
                    let fetched = fetcher.fetch(&href).await.map_err(|e| {
                        Error::InvalidPackage(format!(
                            "the execution unit at {href} could not be fetched: {}",
                            e.message
                        ))
                    })?;
                    CwlPackage::from_text(&fetched.body, workflow)?
                }
                Unit::Document(v) => CwlPackage::from_document(v, workflow)?,
                Unit::Text(t) => CwlPackage::from_text(t.as_bytes(), workflow)?,
            };
            (cwl, process_overrides(&doc))
        }
        PackageFormat::CwlJson => {
            let doc: Value = serde_json::from_slice(&body.bytes).map_err(|e| {
                Error::InvalidPackage(format!("the CWL document is not valid JSON: {e}"))
            })?;
            (CwlPackage::from_document(doc, workflow)?, None)
        }
        PackageFormat::Cwl | PackageFormat::CwlYaml => {
            (CwlPackage::from_text(&body.bytes, workflow)?, None)
        }
    };
    let given_id = overrides
        .as_ref()
        .and_then(|o| o.get("id"))
        .and_then(Value::as_str);
    let process_id = id.or(given_id).unwrap_or(&cwl.workflow).to_string();
    check_process_id(&process_id)?;
    let mut description = cwl.describe(&process_id);
    if let Some(o) = overrides {
        apply_overrides(&mut description, &o);
    }
    Ok(Deployment {
        description,
        cwl,
        body,
    })
}

enum Unit {
    Href(String),
    Document(Value),
    Text(String),
}

/// The CWL execution unit of an application package: `{href}`, `{value, mediaType}` (or the
/// bare CWL object); the first CWL unit of a list.
fn execution_unit(doc: &Value) -> Result<Unit> {
    let unit = match doc.get("executionUnit") {
        Some(Value::Array(units)) => units.first(),
        other => other,
    }
    .ok_or_else(|| Error::InvalidPackage("the application package has no executionUnit".into()))?;
    let Some(obj) = unit.as_object() else {
        return Err(Error::InvalidPackage(
            "executionUnit must be an object: {href}, {value, mediaType} or a CWL document".into(),
        ));
    };
    if obj.contains_key("cwlVersion") {
        return Ok(Unit::Document(unit.clone()));
    }
    if let Some(href) = obj.get("href").and_then(Value::as_str) {
        return Ok(Unit::Href(href.to_string()));
    }
    let unit = obj.get("unit").unwrap_or(unit);
    match unit.get("value") {
        Some(Value::String(text)) => Ok(Unit::Text(text.clone())),
        Some(v @ Value::Object(_)) => Ok(Unit::Document(v.clone())),
        _ => match unit.get("type").and_then(Value::as_str) {
            Some(t) if !t.contains("cwl") => Err(Error::InvalidPackage(format!(
                "execution units of type '{t}' are not supported: give a CWL document (inline or by href)"
            ))),
            _ => Err(Error::InvalidPackage(
                "executionUnit holds no CWL: give {href} or {value, mediaType}".into(),
            )),
        },
    }
}

/// The process part of `processDescription` (`{process: {...}}`, or the legacy flat form).
fn process_overrides(doc: &Value) -> Option<Value> {
    let pd = doc.get("processDescription")?;
    let p = pd.get("process").unwrap_or(pd);
    p.is_object().then(|| p.clone())
}

fn apply_overrides(d: &mut ProcessDescription, o: &Value) {
    if let Some(t) = o.get("title").and_then(Value::as_str) {
        d.title = Some(t.to_string());
    }
    if let Some(t) = o.get("description").and_then(Value::as_str) {
        d.description = Some(t.to_string());
    }
    if let Some(v) = o.get("version").and_then(Value::as_str) {
        d.version = v.to_string();
    }
    if let Some(k) = o.get("keywords").and_then(Value::as_array) {
        d.keywords = k
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
    }
    if let Some(jc) = o.get("jobControlOptions").cloned()
        && let Ok(mut jc) = serde_json::from_value::<Vec<JobControl>>(jc)
    {
        // A deployed package always runs as a job.
        jc.retain(|c| *c != JobControl::SyncExecute);
        if jc.contains(&JobControl::AsyncExecute) {
            d.job_control_options = jc;
        }
    }
}

/// The CWL of a deployment in another syntax: `json` true for JSON, false for YAML.
pub fn convert(cwl: &CwlPackage, json: bool) -> Bytes {
    if json {
        Bytes::from(serde_json::to_vec_pretty(&cwl.document).unwrap_or_default())
    } else {
        Bytes::from(yaml::from_json(&cwl.document))
    }
}

#[cfg(test)]
mod tests {
    use async_trait::async_trait;
    use serde_json::json;

    use super::*;
    use crate::ports::Fetched;
    use crate::process::ProcessError;

    /// Serves one CWL document at any URL.
    struct OneDocument(&'static str);

    #[async_trait]
    impl Fetcher for OneDocument {
        async fn fetch(&self, url: &str) -> Result<Fetched, ProcessError> {
            if url.contains("missing") {
                return Err(ProcessError::upstream(format!("{url}: HTTP 404")));
            }
            Ok(Fetched {
                body: Bytes::from_static(self.0.as_bytes()),
                media_type: Some("application/cwl".into()),
            })
        }
    }

    const TOOL: &str = "cwlVersion: v1.2\nclass: CommandLineTool\nid: tool\nlabel: A tool\n\
                        baseCommand: echo\ninputs: {x: string}\noutputs: {}\n";

    fn body(format: PackageFormat, text: String) -> PackageBody {
        PackageBody {
            format,
            bytes: Bytes::from(text),
        }
    }

    #[tokio::test]
    async fn app_packages_inline_by_href_and_with_overrides() {
        let fetcher = OneDocument(TOOL);
        let by_href =
            json!({"executionUnit": {"href": "https://x/app.cwl", "type": "application/cwl"}});
        let d = parse(
            body(PackageFormat::AppPackage, by_href.to_string()),
            None,
            None,
            &fetcher,
        )
        .await
        .unwrap();
        assert_eq!(d.description.id, "tool");
        assert_eq!(d.description.title.as_deref(), Some("A tool"));

        let cwl = crate::cwl::yaml::to_json(TOOL).unwrap();
        let inline = json!({
            "processDescription": {"process": {"id": "renamed", "title": "T", "version": "2.0.0",
                                               "jobControlOptions": ["sync-execute", "async-execute"]}},
            "executionUnit": [{"value": cwl, "mediaType": "application/cwl+json"}]
        });
        let d = parse(
            body(PackageFormat::AppPackage, inline.to_string()),
            None,
            None,
            &fetcher,
        )
        .await
        .unwrap();
        assert_eq!(
            (d.description.id.as_str(), d.description.version.as_str()),
            ("renamed", "2.0.0")
        );
        assert_eq!(d.description.title.as_deref(), Some("T"));
        assert_eq!(
            d.description.job_control_options,
            [JobControl::AsyncExecute],
            "a deployed package always runs as a job"
        );
        let text_unit =
            json!({"executionUnit": {"value": TOOL, "mediaType": "application/cwl+yaml"}});
        let d = parse(
            body(PackageFormat::AppPackage, text_unit.to_string()),
            None,
            Some("kept-id"),
            &fetcher,
        )
        .await
        .unwrap();
        assert_eq!(d.description.id, "kept-id", "a replacement keeps its id");
    }

    #[tokio::test]
    async fn bad_bodies_name_the_problem() {
        let fetcher = OneDocument(TOOL);
        for (format, text, needle) in [
            (PackageFormat::AppPackage, "{", "not valid JSON"),
            (PackageFormat::AppPackage, "{}", "no executionUnit"),
            (
                PackageFormat::AppPackage,
                r#"{"executionUnit": {"type": "docker", "image": "x"}}"#,
                "type 'docker' are not supported",
            ),
            (
                PackageFormat::AppPackage,
                r#"{"executionUnit": {"href": "https://x/missing.cwl"}}"#,
                "could not be fetched",
            ),
            (PackageFormat::CwlJson, "cwlVersion: v1.2", "not valid JSON"),
            (
                PackageFormat::CwlYaml,
                &TOOL.replace("id: tool", "id: \"bad id\""),
                "process id 'bad id'",
            ),
        ] {
            let e = parse(body(format, text.to_string()), None, None, &fetcher)
                .await
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }

    #[test]
    fn media_types() {
        assert_eq!(
            PackageFormat::from_media_type("Application/CWL+YAML; charset=utf-8"),
            Some(PackageFormat::CwlYaml)
        );
        assert_eq!(PackageFormat::from_media_type("text/plain"), None);
        for f in PackageFormat::ALL {
            assert_eq!(PackageFormat::from_media_type(f.media_type()), Some(f));
        }
    }
}
