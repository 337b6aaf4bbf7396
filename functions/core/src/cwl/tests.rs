use serde_json::json;

use super::*;

const WATER_BODIES: &str = include_str!("../../../../tests/cwl/water-bodies.cwl");

fn err(text: &str, w: Option<&str>) -> String {
    match CwlPackage::from_text(text.as_bytes(), w) {
        Ok(p) => panic!("accepted: {:?}", p.workflow),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_water_bodies_package_describes_its_main_workflow() {
    let p = CwlPackage::from_text(WATER_BODIES.as_bytes(), None).unwrap();
    assert_eq!(p.workflow, "water-bodies");
    let d = p.describe("water-bodies");
    assert_eq!(d.version, "1.0.0");
    assert_eq!(d.title.as_deref(), Some("Water bodies detection"));
    assert!(d.description.unwrap().contains("NDWI"));
    assert_eq!(d.keywords, ["water", "ndwi", "otsu", "sentinel-2"]);
    assert!(d.mutable);
    let ids: Vec<&str> = d.inputs.keys().map(String::as_str).collect();
    assert_eq!(ids, ["aoi", "epsg", "stac_items", "bands"]);
    assert_eq!(d.inputs["aoi"].schema, json!({"type": "string"}));
    assert_eq!(d.inputs["aoi"].min_occurs, 1);
    assert_eq!(d.inputs["aoi"].title.as_deref(), Some("Area of interest"));
    assert_eq!(
        d.inputs["epsg"].schema,
        json!({"type": "string", "default": "EPSG:4326"})
    );
    assert_eq!(d.inputs["epsg"].min_occurs, 0);
    assert_eq!(
        d.inputs["stac_items"].schema,
        json!({"type": "array", "items": {"type": "string"}})
    );
    assert_eq!(
        d.inputs["bands"].schema,
        json!({"type": "array", "items": {"type": "string"}, "default": ["green", "nir"]})
    );
    assert_eq!(d.outputs.len(), 1);
    assert_eq!(d.outputs["stac_catalog"].schema, directory_schema());
    assert_eq!(p.step_count(), 5);
}

#[test]
fn w_selects_a_workflow() {
    let p = CwlPackage::from_text(WATER_BODIES.as_bytes(), Some("detect_water_body")).unwrap();
    assert_eq!(p.workflow, "detect_water_body");
    let d = p.describe("detect");
    assert_eq!(d.outputs["detected_water_body"].schema, file_schema());
    for (w, needle) in [
        ("crop", "not a Workflow"),
        ("nope", "has no Workflow 'nope'"),
    ] {
        match CwlPackage::from_text(WATER_BODIES.as_bytes(), Some(w)) {
            Err(Error::WorkflowNotFound(m)) => assert!(m.contains(needle), "{m}"),
            other => panic!("{w}: {other:?}"),
        }
    }
}

#[test]
fn a_lone_command_line_tool_and_json_syntax() {
    let tool = json!({"cwlVersion": "v1.2", "class": "CommandLineTool", "id": "#hello",
        "label": "Hello", "baseCommand": ["echo"],
        "inputs": [{"id": "who", "type": "string?", "inputBinding": {"position": 1}},
                   {"id": "files", "type": "File[]"}],
        "outputs": [{"id": "out", "type": "stdout"}], "stdout": "out.txt"});
    let p = CwlPackage::from_text(tool.to_string().as_bytes(), None).unwrap();
    assert_eq!(p.workflow, "hello");
    let d = p.describe("hello");
    assert_eq!(d.inputs["who"].min_occurs, 0);
    assert_eq!(
        d.inputs["files"].max_occurs,
        MaxOccurs::Unbounded(Unbounded::Unbounded)
    );
    assert_eq!(d.inputs["files"].schema, file_schema());
    assert_eq!(d.outputs["out"].schema, file_schema());
    assert_eq!(d.version, "0.0.0");
}

#[test]
fn bad_packages_are_refused_with_the_reason() {
    assert!(err("cwlVersion: v1.2\n$graph: [\n  - class", None).contains("YAML syntax error"));
    assert!(err("cwlVersion: draft-3\nclass: Workflow\nid: x\n", None).contains("draft-3"));
    assert!(err("class: Workflow\nid: x\n", None).contains("no cwlVersion"));
    let tools_only = WATER_BODIES.replace("class: Workflow", "class: CommandLineTool");
    assert!(err(&tools_only, None).contains("no Workflow"));
    let dangling = WATER_BODIES.replace("source: node_crop/cropped", "source: node_crop/nothing");
    let e = err(&dangling, None);
    assert!(
        e.contains("node_crop/nothing") && e.contains("names no input"),
        "{e}"
    );
    let dangling_input = WATER_BODIES.replace("item: stac_items", "item: stac_itemz");
    assert!(err(&dangling_input, None).contains("stac_itemz"));
    let missing_run = WATER_BODIES.replace("run: \"#otsu\"", "run: \"#otsu2\"");
    assert!(err(&missing_run, None).contains("'#otsu2', which is not in the package"));
    let external = WATER_BODIES.replace("run: \"#otsu\"", "run: otsu.cwl");
    assert!(err(&external, None).contains("self-contained"));
    let unsupported = WATER_BODIES.replace(
        "      - class: SubworkflowFeatureRequirement\n",
        "      - class: SubworkflowFeatureRequirement\n      - class: MPIRequirement\n",
    );
    let e = err(&unsupported, None);
    assert!(
        e.contains("unsupported requirement 'MPIRequirement'"),
        "{e}"
    );
    let no_scatter = WATER_BODIES.replace("      - class: ScatterFeatureRequirement\n", "");
    assert!(err(&no_scatter, None).contains("ScatterFeatureRequirement"));
    let import = WATER_BODIES.replace(
        "      aoi:\n        label: Area",
        "      aoi:\n        $import: https://example.com/aoi.yaml\n        label: Area",
    );
    assert!(err(&import, None).contains("self-contained"));
    assert!(
        err(
            "cwlVersion: v1.2\nclass: CommandLineTool\ninputs: []\noutputs: []\n",
            None
        )
        .contains("no id")
    );
    assert!(err("[1, 2]", None).contains("mapping"));
}
