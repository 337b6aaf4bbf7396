//! The process list and the process page with its execute form.
//!
//! The form is rendered from the process description: one labelled control per input, chosen
//! from the input's schema (see [`Field`]). The script reads each control by its `data-kind`,
//! builds the execute request and submits it asynchronously.

use maud::{Markup, html};
use serde_json::Value;
use stratus_core::process::{InputDescription, JobControl, ProcessDescription};

use super::{Page, page, pretty};
use crate::links::Base;

/// The process list.
pub fn process_list_page(
    base: &Base,
    processes: &[&ProcessDescription],
    prev: Option<String>,
    next: Option<String>,
) -> Markup {
    Page {
        base,
        title: "Processes".into(),
        url: base.url("/processes"),
        trail: vec![("Home".into(), page(base, "/"))],
        map: false,
        kind: "processes",
        data: None,
        basemap: None,
    }
    .render(html! {
        table {
            thead {
                tr {
                    th scope="col" { "Process" }
                    th scope="col" { "Description" }
                    th scope="col" { "Version" }
                    th scope="col" { "Execution" }
                }
            }
            tbody {
                @for p in processes {
                    tr {
                        td {
                            a href=(page(base, &format!("/processes/{}", p.id))) {
                                (p.title.as_deref().unwrap_or(&p.id))
                            }
                            br;
                            code { (p.id) }
                        }
                        td { (p.description.as_deref().unwrap_or_default()) }
                        td { (p.version) }
                        td { (modes(p)) }
                    }
                }
            }
        }
        (pager(prev, next))
    })
}

fn modes(p: &ProcessDescription) -> String {
    let mut m = Vec::new();
    if p.allows(JobControl::SyncExecute) {
        m.push("sync");
    }
    if p.allows(JobControl::AsyncExecute) {
        m.push("async");
    }
    if p.allows(JobControl::Dismiss) {
        m.push("dismiss");
    }
    m.join(", ")
}

/// Previous/next page links.
pub fn pager(prev: Option<String>, next: Option<String>) -> Markup {
    html! {
        @if prev.is_some() || next.is_some() {
            nav.pager aria-label="Pages" {
                @if let Some(p) = prev { a rel="prev" href=(p) { "← Previous" } }
                @if let Some(n) = next { a rel="next" href=(n) { "Next →" } }
            }
        }
    }
}

/// The process page: description, execute form, inputs and outputs.
pub fn process_page(base: &Base, p: &ProcessDescription, basemap: Option<&str>) -> Markup {
    let fields: Vec<(&String, &InputDescription, Field)> = p
        .inputs
        .iter()
        .map(|(id, input)| (id, input, Field::of(input)))
        .collect();
    let map = fields.iter().any(|(_, _, f)| f.is_bbox());
    let url = base.url(&format!("/processes/{}", p.id));
    let can_execute = p.allows(JobControl::AsyncExecute) || p.allows(JobControl::SyncExecute);
    Page {
        base,
        title: p.title.clone().unwrap_or_else(|| p.id.clone()),
        url: url.clone(),
        trail: vec![
            ("Home".into(), page(base, "/")),
            ("Processes".into(), page(base, "/processes")),
        ],
        map,
        kind: "process",
        data: Some(serde_json::json!({
            "execute": format!("{url}/execution"),
            "jobs": base.url("/jobs"),
            "async": p.allows(JobControl::AsyncExecute),
        })),
        basemap,
    }
    .render(html! {
        @if let Some(d) = &p.description { p.lead { (d) } }
        dl.facts {
            dt { "Identifier" } dd { code { (p.id) } }
            dt { "Version" } dd { (p.version) }
            dt { "Execution" } dd { (modes(p)) }
            @if !p.keywords.is_empty() {
                dt { "Keywords" } dd { (p.keywords.join(", ")) }
            }
            dt { "Jobs" } dd { a href=(page(base, &format!("/jobs?processID={}", p.id))) { "jobs of this process" } }
        }
        @if can_execute {
            h2 #execute-heading { "Execute" }
            form #execute-form aria-labelledby="execute-heading" novalidate {
                @for (id, input, field) in &fields {
                    (field.render(id, input))
                }
                @if map {
                    section #map.map.small aria-label="Map: drag with the draw button on to set an area" {}
                }
                div.actions {
                    button type="submit" { "Execute" }
                    span #execute-status role="status" aria-live="polite" {}
                }
                noscript { p { "Executing from this page needs JavaScript; POST a JSON execute request to the execution URL otherwise." } }
            }
        }
        h2 { "Inputs" }
        table {
            thead { tr { th scope="col" { "Input" } th scope="col" { "Occurs" } th scope="col" { "Schema" } } }
            tbody {
                @for (id, input, _) in &fields {
                    tr {
                        td { code { (id) } br; (input.title.as_deref().unwrap_or_default()) }
                        td { (input.min_occurs) "…" (occurs_max(input)) }
                        td { pre.schema { (pretty(&input.schema)) } }
                    }
                }
            }
        }
        h2 { "Outputs" }
        table {
            thead { tr { th scope="col" { "Output" } th scope="col" { "Schema" } } }
            tbody {
                @for (id, output) in &p.outputs {
                    tr {
                        td { code { (id) } br; (output.title.as_deref().unwrap_or_default()) }
                        td { pre.schema { (pretty(&output.schema)) } }
                    }
                }
            }
        }
    })
}

fn occurs_max(input: &InputDescription) -> String {
    match input.max_occurs.limit() {
        u32::MAX => "∞".into(),
        n => n.to_string(),
    }
}

/// The form control of one input, from its schema.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// A string (`type` of the `<input>`: text, url, date...).
    Text(&'static str),
    /// A number or integer with optional bounds.
    Number {
        /// Integers only.
        integer: bool,
        /// `minimum`.
        min: Option<f64>,
        /// `maximum`.
        max: Option<f64>,
    },
    /// A boolean.
    Bool,
    /// One of a list of strings.
    Enum(Vec<String>),
    /// An array of strings or numbers, one per line.
    List {
        /// Items are numbers.
        numbers: bool,
    },
    /// An array of strings from a list.
    EnumList(Vec<String>),
    /// An OGC bounding box object (`{"bbox": [w, s, e, n], "crs"}`), drawn on the map.
    BboxObject,
    /// A `minx,miny,maxx,maxy` string, drawn on the map.
    BboxString,
    /// Anything else, as JSON text.
    Json,
}

fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array()?
        .iter()
        .map(|s| s.as_str().map(str::to_string))
        .collect()
}

impl Field {
    /// The control for `input`.
    pub fn of(input: &InputDescription) -> Self {
        let s = &input.schema;
        if s.get("oneOf").is_some() || s.get("anyOf").is_some() || s.get("allOf").is_some() {
            return Field::Json;
        }
        let single = Self::of_schema(s);
        if input.max_occurs.limit() > 1 {
            return match single {
                Field::Text(_) => Field::List { numbers: false },
                Field::Number { .. } => Field::List { numbers: true },
                Field::Enum(values) => Field::EnumList(values),
                _ => Field::Json,
            };
        }
        single
    }

    fn of_schema(s: &Value) -> Self {
        let typ = s.get("type").and_then(Value::as_str).unwrap_or("");
        let format = s.get("format").and_then(Value::as_str).unwrap_or("");
        match typ {
            "string" => {
                if let Some(values) = s.get("enum").and_then(strings) {
                    return Field::Enum(values);
                }
                let pattern = s.get("pattern").and_then(Value::as_str).unwrap_or("");
                if format == "ogc-bbox"
                    || (pattern.matches(',').count() == 3 && pattern.contains("[0-9"))
                {
                    return Field::BboxString;
                }
                Field::Text(match format {
                    "uri" | "url" => "url",
                    "date" => "date",
                    _ => "text",
                })
            }
            "number" | "integer" => Field::Number {
                integer: typ == "integer",
                min: s.get("minimum").and_then(Value::as_f64),
                max: s.get("maximum").and_then(Value::as_f64),
            },
            "boolean" => Field::Bool,
            "array" => {
                let items = s.get("items").unwrap_or(&Value::Null);
                match Self::of_schema(items) {
                    Field::Text(_) | Field::BboxString => Field::List { numbers: false },
                    Field::Number { .. } => Field::List { numbers: true },
                    Field::Enum(values) => Field::EnumList(values),
                    _ => Field::Json,
                }
            }
            "object" if format == "ogc-bbox" || s.pointer("/properties/bbox").is_some() => {
                Field::BboxObject
            }
            _ => Field::Json,
        }
    }

    /// Whether the field is set on the map.
    pub fn is_bbox(&self) -> bool {
        matches!(self, Field::BboxObject | Field::BboxString)
    }

    fn kind(&self) -> &'static str {
        match self {
            Field::Text(_) | Field::Enum(_) => "string",
            Field::Number { integer: true, .. } => "integer",
            Field::Number { .. } => "number",
            Field::Bool => "boolean",
            Field::List { numbers: false } | Field::EnumList(_) => "string-list",
            Field::List { numbers: true } => "number-list",
            Field::BboxObject => "bbox",
            Field::BboxString => "bbox-string",
            Field::Json => "json",
        }
    }

    /// The labelled control, with the input's description as its hint.
    fn render(&self, id: &str, input: &InputDescription) -> Markup {
        let control = format!("in-{id}");
        let hint = format!("hint-{id}");
        let required = input.min_occurs > 0;
        let default = input.schema.get("default");
        let text_default = default.map(|d| match d {
            Value::String(s) => s.clone(),
            Value::Array(a) => a
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join("\n"),
            Value::Null => String::new(),
            other => other.to_string(),
        });
        let label = html! {
            label for=(control) {
                (input.title.as_deref().unwrap_or(id)) " "
                code { (id) }
                @if required { span.req { " (required)" } } @else { span.opt { " (optional)" } }
            }
        };
        let described = input.description.as_ref().map(|_| hint.clone());
        html! {
            div.field data-input=(id) data-kind=(self.kind()) data-required=(required) {
                @match self {
                    Field::Bool => {
                        input #(control) type="checkbox" aria-describedby=[&described]
                            checked[default == Some(&Value::Bool(true))];
                        (label)
                    }
                    Field::BboxObject => {
                        fieldset {
                            legend {
                                (input.title.as_deref().unwrap_or(id)) " " code { (id) }
                                @if required { span.req { " (required)" } } @else { span.opt { " (optional)" } }
                            }
                            @for (i, name) in ["West", "South", "East", "North"].iter().enumerate() {
                                label.inline {
                                    (name) " "
                                    input type="number" step="any" data-bbox=(i)
                                        id=(if i == 0 { control.clone() } else { format!("{control}-{i}") });
                                }
                            }
                            button.draw type="button" data-draw=(id) { "Draw on map" }
                        }
                    }
                    _ => {
                        (label)
                        @match self {
                            Field::Text(kind) => {
                                input #(control) type=(kind) value=[&text_default]
                                    aria-describedby=[&described] required[required];
                            }
                            Field::BboxString => {
                                div.with-button {
                                    input #(control) type="text" value=[&text_default]
                                        placeholder="minx,miny,maxx,maxy"
                                        aria-describedby=[&described] required[required];
                                    button.draw type="button" data-draw=(id) { "Draw on map" }
                                }
                            }
                            Field::Number { integer, min, max } => {
                                input #(control) type="number" step=(if *integer { "1" } else { "any" })
                                    min=[min] max=[max] value=[&text_default]
                                    aria-describedby=[&described] required[required];
                            }
                            Field::Enum(values) => {
                                select #(control) aria-describedby=[&described] required[required] {
                                    @if !required { option value="" { "—" } }
                                    @for v in values {
                                        option value=(v) selected[text_default.as_deref() == Some(v.as_str())] { (v) }
                                    }
                                }
                            }
                            Field::EnumList(values) => {
                                select #(control) multiple aria-describedby=[&described] required[required] {
                                    @for v in values {
                                        option value=(v) { (v) }
                                    }
                                }
                            }
                            Field::List { .. } => {
                                textarea #(control) rows="3" aria-describedby=[&described]
                                    required[required] placeholder="one value per line" {
                                    (text_default.as_deref().unwrap_or_default())
                                }
                            }
                            _ => {
                                textarea #(control) rows="3" aria-describedby=[&described]
                                    required[required] placeholder="JSON" {
                                    (default.map(|d| d.to_string()).unwrap_or_default())
                                }
                            }
                        }
                    }
                }
                @if let Some(d) = &input.description {
                    p.hint #(hint) { (d) }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use stratus_core::process::{InputDescription, MaxOccurs};

    use super::Field;

    fn field(schema: serde_json::Value) -> Field {
        Field::of(&InputDescription::new("t", "d", schema))
    }

    #[test]
    fn fields_follow_the_schema() {
        assert_eq!(field(json!({"type": "string"})), Field::Text("text"));
        assert_eq!(
            field(json!({"type": "string", "format": "uri"})),
            Field::Text("url")
        );
        assert_eq!(
            field(json!({"type": "string", "enum": ["a", "b"]})),
            Field::Enum(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            field(json!({"type": "integer", "minimum": 0})),
            Field::Number {
                integer: true,
                min: Some(0.0),
                max: None
            }
        );
        assert_eq!(
            field(json!({"type": "array", "items": {"type": "string", "format": "uri"}})),
            Field::List { numbers: false }
        );
        assert_eq!(
            field(
                json!({"type": "string", "pattern": "^\\s*-?[0-9.]+\\s*,\\s*-?[0-9.]+\\s*,\\s*-?[0-9.]+\\s*,\\s*-?[0-9.]+\\s*$"})
            ),
            Field::BboxString
        );
        assert_eq!(
            field(json!({"type": "object", "properties": {"bbox": {"type": "array"}}})),
            Field::BboxObject
        );
        assert_eq!(field(json!({"oneOf": [{}, {}]})), Field::Json);
        let many = InputDescription::new("t", "d", json!({"type": "number"}))
            .max_occurs(MaxOccurs::Count(5));
        assert_eq!(Field::of(&many), Field::List { numbers: true });
    }

    #[test]
    fn input_text_is_escaped() {
        let input = InputDescription::new(
            "<b>title</b>",
            "\"><script>alert(1)</script>",
            json!({"type": "string", "default": "\"><img src=x>"}),
        );
        let html = Field::of(&input).render("x", &input).into_string();
        assert!(!html.contains("<script>") && !html.contains("<img") && !html.contains("<b>"));
        assert!(html.contains("&lt;b&gt;title&lt;/b&gt;"));
    }
}
