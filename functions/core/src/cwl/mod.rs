//! CWL application packages (OGC API - Processes Part 2, `cwl` conformance class; the EO
//! Application Package of OGC 20-089): parsing, the checks a deployment must pass, the choice
//! of the workflow that becomes the process, and the process description derived from it.
//!
//! Only what a deployment can get wrong without running anything is checked here: the syntax,
//! `cwlVersion`, a `Workflow` to deploy, step `run` and `source` references, requirements the
//! CWL engine does not support, and self-containment (no `$import`/`$include`). Running the
//! package is the CWL engine's job ([`crate::ports::CwlRunner`]).

mod schema;
pub mod yaml;

use indexmap::IndexMap;
use serde_json::{Map, Value};

pub use schema::{Kind, Param, directory_schema, file_schema};

use crate::error::{Error, Result};
use crate::process::{
    InputDescription, JobControl, MaxOccurs, OutputDescription, ProcessDescription,
    TransmissionMode, Unbounded,
};

/// CWL versions accepted.
pub const CWL_VERSIONS: &[&str] = &["v1.0", "v1.1", "v1.2"];

/// Requirement classes the CWL engine honours; any other class under `requirements` is
/// refused at deployment (unknown `hints` are ignored, as CWL allows).
pub const SUPPORTED_REQUIREMENTS: &[&str] = &[
    "InlineJavascriptRequirement",
    "SchemaDefRequirement",
    "DockerRequirement",
    "SoftwareRequirement",
    "InitialWorkDirRequirement",
    "EnvVarRequirement",
    "ShellCommandRequirement",
    "ResourceRequirement",
    "SubworkflowFeatureRequirement",
    "ScatterFeatureRequirement",
    "MultipleInputFeatureRequirement",
    "StepInputExpressionRequirement",
    "LoadListingRequirement",
    "WorkReuse",
    "NetworkAccess",
    "InplaceUpdateRequirement",
    "ToolTimeLimit",
];

/// Process classes a package may hold.
const CLASSES: &[&str] = &["Workflow", "CommandLineTool", "ExpressionTool"];

/// Deepest nesting scanned for external references.
const MAX_DEPTH: usize = 64;

/// A validated CWL document and the process a deployment takes from it.
#[derive(Debug, Clone, PartialEq)]
pub struct CwlPackage {
    /// The whole document, as JSON.
    pub document: Value,
    /// Id of the selected process (a `Workflow`, or a lone `CommandLineTool`), without `#`.
    pub workflow: String,
}

fn invalid(message: impl Into<String>) -> Error {
    Error::InvalidPackage(message.into())
}

/// An id without the `#` and the packed-document prefix (`#main/aoi` -> `aoi`).
fn short_id(id: &str) -> &str {
    let id = id.trim_start_matches('#');
    id.rsplit('/').next().unwrap_or(id)
}

/// The parameters (`inputs`, `outputs`, record `fields`, step `in`) of a CWL object, in order,
/// from the map form (`id: type` or `id: {...}`) or the list form (`[{id: ...}]`). A map value
/// that is not an object becomes `{type: value}`; for a step's `in` that value is the source.
pub fn params(v: Option<&Value>) -> Vec<(String, Value)> {
    match v {
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| {
                let spec = match v {
                    Value::Object(_) => v.clone(),
                    other => {
                        let mut m = Map::new();
                        m.insert("type".into(), other.clone());
                        Value::Object(m)
                    }
                };
                (short_id(k).to_string(), spec)
            })
            .collect(),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(|item| match item {
                Value::Object(o) => {
                    let id = o.get("id").or_else(|| o.get("name"))?.as_str()?;
                    Some((short_id(id).to_string(), item.clone()))
                }
                Value::String(s) => {
                    let mut m = Map::new();
                    m.insert("id".into(), Value::String(s.clone()));
                    Some((short_id(s).to_string(), Value::Object(m)))
                }
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// `label` / `doc` as text (`doc` may be a list of lines).
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Array(lines) => Some(
            lines
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// The requirement classes of `requirements` or `hints` (list or map form).
fn requirement_classes(v: Option<&Value>) -> Result<Vec<String>> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(map)) => Ok(map.keys().cloned().collect()),
        Some(Value::Array(list)) => list
            .iter()
            .map(|r| {
                r.get("class")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| invalid("a requirement or hint has no 'class'"))
            })
            .collect(),
        Some(_) => Err(invalid(
            "'requirements' and 'hints' must be a list or a map",
        )),
    }
}

impl CwlPackage {
    /// Parses CWL text, YAML or JSON (JSON is YAML), and validates it; `workflow` picks the
    /// process (the `w` query parameter of a deployment).
    pub fn from_text(text: &[u8], workflow: Option<&str>) -> Result<Self> {
        let text = std::str::from_utf8(text)
            .map_err(|e| invalid(format!("the CWL document is not UTF-8 text: {e}")))?;
        let document = match serde_json::from_str::<Value>(text) {
            Ok(v) => v,
            Err(_) => yaml::to_json(text).map_err(invalid)?,
        };
        Self::from_document(document, workflow)
    }

    /// Validates a CWL document given as JSON; `workflow` picks the process.
    pub fn from_document(document: Value, workflow: Option<&str>) -> Result<Self> {
        let Some(root) = document.as_object() else {
            return Err(invalid("the CWL document must be a mapping"));
        };
        match root.get("cwlVersion").and_then(Value::as_str) {
            Some(v) if CWL_VERSIONS.contains(&v) => {}
            Some(v) => {
                return Err(invalid(format!(
                    "cwlVersion '{v}' is not supported; use one of {}",
                    CWL_VERSIONS.join(", ")
                )));
            }
            None => return Err(invalid("the CWL document has no cwlVersion")),
        }
        no_external_references(&document, 0)?;
        let graph = Graph::of(&document)?;
        for (id, process) in &graph.processes {
            graph.check(id, process, 0)?;
        }
        let selected = graph.select(workflow)?;
        Ok(CwlPackage {
            workflow: selected,
            document,
        })
    }

    /// The selected process.
    pub fn process(&self) -> &Value {
        match self.document.get("$graph").and_then(Value::as_array) {
            Some(list) => list
                .iter()
                .find(|p| p.get("id").and_then(Value::as_str).map(short_id) == Some(&self.workflow))
                .unwrap_or(&Value::Null),
            None => &self.document,
        }
    }

    /// The inputs of the selected process with their types.
    pub fn inputs(&self) -> IndexMap<String, Param> {
        params(self.process().get("inputs"))
            .into_iter()
            .map(|(id, spec)| {
                let p = schema::param(spec.get("type").unwrap_or(&Value::Null));
                (id, p)
            })
            .collect()
    }

    /// The outputs of the selected process with their types.
    pub fn outputs(&self) -> IndexMap<String, Param> {
        params(self.process().get("outputs"))
            .into_iter()
            .map(|(id, spec)| {
                let p = schema::param(spec.get("type").unwrap_or(&Value::Null));
                (id, p)
            })
            .collect()
    }

    /// How many steps all workflows of the package have (for progress).
    pub fn step_count(&self) -> usize {
        let processes: Vec<&Value> = match self.document.get("$graph").and_then(Value::as_array) {
            Some(list) => list.iter().collect(),
            None => vec![&self.document],
        };
        processes.iter().map(|p| params(p.get("steps")).len()).sum()
    }

    /// A schema.org property of the document or the process (`s:softwareVersion`, with any
    /// prefix bound to schema.org, or the full URI).
    fn schema_org(&self, name: &str) -> Option<&Value> {
        let prefixes: Vec<String> = self
            .document
            .get("$namespaces")
            .and_then(Value::as_object)
            .map(|ns| {
                ns.iter()
                    .filter(|(_, uri)| uri.as_str().is_some_and(|u| u.contains("schema.org")))
                    .map(|(p, _)| p.clone())
                    .collect()
            })
            .unwrap_or_default();
        [self.process(), &self.document]
            .into_iter()
            .find_map(|obj| {
                let obj = obj.as_object()?;
                obj.iter().find_map(|(k, v)| {
                    let matches = prefixes.iter().any(|p| *k == format!("{p}:{name}"))
                        || k.ends_with(&format!("schema.org/{name}"));
                    matches.then_some(v)
                })
            })
    }

    /// The process description: `id` as given, title and description from `label` and `doc`,
    /// version from `s:softwareVersion` (else `0.0.0`), keywords from `s:keywords`, inputs and
    /// outputs with schemas from their CWL types; `mutable: true`, asynchronous execution.
    pub fn describe(&self, id: &str) -> ProcessDescription {
        let p = self.process();
        let mut inputs = IndexMap::new();
        for (input, spec) in params(p.get("inputs")) {
            let param = schema::param(spec.get("type").unwrap_or(&Value::Null));
            let mut schema = param.schema.clone();
            let default = spec.get("default").filter(|d| !d.is_null());
            if let (Some(d), schema::Kind::Literal) = (default, param.kind)
                && let Some(obj) = schema.as_object_mut()
            {
                obj.insert("default".into(), d.clone());
            }
            let min = u32::from(!(param.optional || default.is_some()));
            let max = if param.many {
                MaxOccurs::Unbounded(Unbounded::Unbounded)
            } else {
                MaxOccurs::Count(1)
            };
            inputs.insert(
                input,
                InputDescription {
                    title: text(spec.get("label")),
                    description: text(spec.get("doc")),
                    keywords: Vec::new(),
                    min_occurs: min,
                    max_occurs: max,
                    schema,
                },
            );
        }
        let mut outputs = IndexMap::new();
        for (output, spec) in params(p.get("outputs")) {
            let param = schema::param(spec.get("type").unwrap_or(&Value::Null));
            let schema = if param.many {
                serde_json::json!({"type": "array", "items": param.schema})
            } else {
                param.schema
            };
            outputs.insert(
                output,
                OutputDescription {
                    title: text(spec.get("label")),
                    description: text(spec.get("doc")),
                    schema,
                },
            );
        }
        let version = match self.schema_org("softwareVersion") {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => "0.0.0".into(),
        };
        let keywords = match self.schema_org("keywords") {
            Some(Value::String(s)) => s
                .split(',')
                .map(|k| k.trim().to_string())
                .filter(|k| !k.is_empty())
                .collect(),
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        };
        ProcessDescription {
            id: id.to_string(),
            version,
            title: text(p.get("label")),
            description: text(p.get("doc")),
            keywords,
            job_control_options: vec![JobControl::AsyncExecute, JobControl::Dismiss],
            output_transmission: vec![TransmissionMode::Value, TransmissionMode::Reference],
            inputs,
            outputs,
            mutable: true,
        }
    }
}

/// Refuses `$import`, `$include` and `$mixin`: a deployed package must be self-contained.
fn no_external_references(v: &Value, depth: usize) -> Result<()> {
    if depth > MAX_DEPTH {
        return Err(invalid(format!(
            "the CWL document nests deeper than {MAX_DEPTH} levels"
        )));
    }
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                if matches!(k.as_str(), "$import" | "$include" | "$mixin") {
                    return Err(invalid(format!(
                        "'{k}: {}' is not supported: a deployed package must be self-contained",
                        v.as_str().unwrap_or("...")
                    )));
                }
                no_external_references(v, depth + 1)?;
            }
            Ok(())
        }
        Value::Array(items) => items
            .iter()
            .try_for_each(|i| no_external_references(i, depth + 1)),
        _ => Ok(()),
    }
}

/// The processes of a document by id, in document order.
struct Graph<'a> {
    processes: Vec<(String, &'a Value)>,
    packed: bool,
}

impl<'a> Graph<'a> {
    fn of(document: &'a Value) -> Result<Self> {
        let mut processes = Vec::new();
        match document.get("$graph") {
            Some(Value::Array(list)) => {
                for (i, p) in list.iter().enumerate() {
                    let id = p
                        .get("id")
                        .and_then(Value::as_str)
                        .map(short_id)
                        .ok_or_else(|| invalid(format!("$graph entry {i} has no id")))?;
                    if processes.iter().any(|(seen, _)| seen == id) {
                        return Err(invalid(format!("$graph has two processes with id '{id}'")));
                    }
                    processes.push((id.to_string(), p));
                }
                if processes.is_empty() {
                    return Err(invalid("$graph is empty"));
                }
                Ok(Graph {
                    processes,
                    packed: true,
                })
            }
            Some(_) => Err(invalid("$graph must be a list of processes")),
            None => {
                let id = document
                    .get("id")
                    .and_then(Value::as_str)
                    .map(short_id)
                    .filter(|id| !id.is_empty())
                    .ok_or_else(|| {
                        invalid("the CWL process has no id: it becomes the process id")
                    })?;
                processes.push((id.to_string(), document));
                Ok(Graph {
                    processes,
                    packed: false,
                })
            }
        }
    }

    fn get(&self, id: &str) -> Option<&'a Value> {
        self.processes
            .iter()
            .find(|(pid, _)| pid == id)
            .map(|(_, p)| *p)
    }

    /// The process to deploy: `wanted` if given (a `Workflow`, or the lone process of a
    /// document without `$graph`); else the first `Workflow` no step runs, else the first
    /// `Workflow`; a single `CommandLineTool` document deploys that tool.
    fn select(&self, wanted: Option<&str>) -> Result<String> {
        fn class(p: &Value) -> &str {
            p.get("class").and_then(Value::as_str).unwrap_or("")
        }
        if let Some(w) = wanted {
            let w = w.trim_start_matches('#');
            return match self.get(w) {
                Some(p) if class(p) == "Workflow" || !self.packed => Ok(w.to_string()),
                Some(_) => Err(Error::WorkflowNotFound(format!(
                    "'{w}' is a {}, not a Workflow",
                    class(self.get(w).unwrap_or(&Value::Null))
                ))),
                None => Err(Error::WorkflowNotFound(format!(
                    "the package has no Workflow '{w}'; it has: {}",
                    self.workflows().join(", ")
                ))),
            };
        }
        if !self.packed {
            return Ok(self.processes[0].0.clone());
        }
        let workflows = self.workflows();
        if workflows.is_empty() {
            return Err(invalid(
                "the package has no Workflow: its $graph must hold the Workflow to deploy",
            ));
        }
        let run_by_steps: Vec<String> = self
            .processes
            .iter()
            .flat_map(|(_, p)| params(p.get("steps")))
            .filter_map(|(_, step)| step.get("run").and_then(Value::as_str).map(str::to_string))
            .map(|r| r.trim_start_matches('#').to_string())
            .collect();
        Ok(workflows
            .iter()
            .find(|w| !run_by_steps.iter().any(|r| r == *w))
            .or(workflows.first())
            .map(|w| w.to_string())
            .unwrap_or_default())
    }

    fn workflows(&self) -> Vec<&str> {
        self.processes
            .iter()
            .filter(|(_, p)| p.get("class").and_then(Value::as_str) == Some("Workflow"))
            .map(|(id, _)| id.as_str())
            .collect()
    }

    /// Checks one process (and the processes inlined in its steps).
    fn check(&self, id: &str, p: &Value, depth: usize) -> Result<()> {
        if depth > 8 {
            return Err(invalid("steps nest inline processes deeper than 8 levels"));
        }
        let class = p.get("class").and_then(Value::as_str).unwrap_or("");
        if !CLASSES.contains(&class) {
            return Err(invalid(format!(
                "process '{id}' has class '{class}'; a package holds {}",
                CLASSES.join(", ")
            )));
        }
        let requirements = requirement_classes(p.get("requirements"))?;
        requirement_classes(p.get("hints"))?;
        if let Some(bad) = requirements
            .iter()
            .find(|r| !SUPPORTED_REQUIREMENTS.contains(&r.as_str()))
        {
            return Err(invalid(format!(
                "process '{id}' has the unsupported requirement '{bad}'"
            )));
        }
        for key in ["inputs", "outputs"] {
            match p.get(key) {
                Some(Value::Object(_) | Value::Array(_)) => {}
                Some(_) => {
                    return Err(invalid(format!(
                        "'{key}' of process '{id}' must be a list or a map"
                    )));
                }
                None => return Err(invalid(format!("process '{id}' has no '{key}'"))),
            }
        }
        if class == "Workflow" {
            self.check_workflow(id, p, &requirements, depth)?;
        }
        Ok(())
    }

    fn check_workflow(
        &self,
        id: &str,
        wf: &Value,
        requirements: &[String],
        depth: usize,
    ) -> Result<()> {
        let inputs: Vec<String> = params(wf.get("inputs"))
            .into_iter()
            .map(|(i, _)| i)
            .collect();
        let steps = params(wf.get("steps"));
        if steps.is_empty() {
            return Err(invalid(format!("Workflow '{id}' has no steps")));
        }
        // Step outputs, by step id.
        let mut outs: IndexMap<String, Vec<String>> = IndexMap::new();
        for (step, spec) in &steps {
            let names = params(spec.get("out"))
                .into_iter()
                .map(|(o, _)| o)
                .collect();
            outs.insert(step.clone(), names);
        }
        let resolve = |what: &str, source: &str| -> Result<()> {
            // Packed ids carry the workflow's id: `#main/step/out`, `#main/input`.
            let s = source.trim_start_matches('#');
            let s = s.strip_prefix(&format!("{id}/")).unwrap_or(s);
            let ok = match s.split_once('/') {
                Some((step, out)) => outs.get(step).is_some_and(|o| o.iter().any(|x| x == out)),
                None => inputs.iter().any(|i| i == s),
            };
            if ok {
                Ok(())
            } else {
                Err(invalid(format!(
                    "{what}: source '{source}' names no input of Workflow '{id}' and no output of its steps"
                )))
            }
        };
        let has = |r: &str| requirements.iter().any(|x| x == r);
        for (step, spec) in &steps {
            let run_class = match spec.get("run") {
                Some(Value::String(r)) => {
                    let target = r.trim_start_matches('#');
                    if !r.starts_with('#') && (target.contains('/') || target.contains('.')) {
                        return Err(invalid(format!(
                            "step '{step}' of Workflow '{id}' runs '{r}': external files are not supported, the package must be self-contained"
                        )));
                    }
                    let run = self.get(target).ok_or_else(|| {
                        invalid(format!(
                            "step '{step}' of Workflow '{id}' runs '{r}', which is not in the package"
                        ))
                    })?;
                    run.get("class")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string()
                }
                Some(inline @ Value::Object(_)) => {
                    self.check(&format!("{id}/{step}"), inline, depth + 1)?;
                    inline
                        .get("class")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string()
                }
                _ => {
                    return Err(invalid(format!(
                        "step '{step}' of Workflow '{id}' has no 'run'"
                    )));
                }
            };
            if run_class == "Workflow" && !has("SubworkflowFeatureRequirement") {
                return Err(invalid(format!(
                    "step '{step}' of Workflow '{id}' runs a Workflow: declare SubworkflowFeatureRequirement"
                )));
            }
            let step_inputs = params(spec.get("in"));
            for (input, binding) in &step_inputs {
                let sources: Vec<String> =
                    match binding.get("source").or_else(|| binding.get("type")) {
                        Some(Value::String(s)) => vec![s.clone()],
                        Some(Value::Array(list)) => list
                            .iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect(),
                        _ => Vec::new(),
                    };
                for source in sources {
                    resolve(&format!("step '{step}' input '{input}'"), &source)?;
                }
            }
            if let Some(scatter) = spec.get("scatter") {
                if !has("ScatterFeatureRequirement") {
                    return Err(invalid(format!(
                        "step '{step}' of Workflow '{id}' scatters: declare ScatterFeatureRequirement"
                    )));
                }
                let names: Vec<&str> = match scatter {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(l) => l.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                for name in names {
                    let name = short_id(name);
                    if !step_inputs.iter().any(|(i, _)| i == name) {
                        return Err(invalid(format!(
                            "step '{step}' of Workflow '{id}' scatters over '{name}', which is not one of its inputs"
                        )));
                    }
                }
            }
        }
        for (output, spec) in params(wf.get("outputs")) {
            let sources: Vec<String> = match spec.get("outputSource") {
                Some(Value::String(s)) => vec![s.clone()],
                Some(Value::Array(list)) => list
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect(),
                _ => {
                    return Err(invalid(format!(
                        "output '{output}' of Workflow '{id}' has no outputSource"
                    )));
                }
            };
            for source in sources {
                resolve(&format!("output '{output}'"), &source)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
