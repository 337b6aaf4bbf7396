//! Deployed CWL packages running on the local engine's CWL engine (cwltool, without
//! containers here), over real HTTP: CommandLineTools, a Workflow with `scatter` and a STAC
//! catalog output, File and Directory inputs staged by the server, a failing tool, and a
//! dismissed run whose cwltool and tool processes must be gone.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stratus_tests::{Stratus, workspace};

const YAML: &str = "application/cwl+yaml";
const JOB_WAIT: Duration = Duration::from_secs(120);

fn fixture(name: &str) -> String {
    std::fs::read_to_string(workspace().join("tests/cwl").join(name)).expect("fixture")
}

async fn deployed(s: &Stratus, name: &str) {
    let r = s.deploy(fixture(name), YAML, None).await;
    assert_eq!(
        r.status(),
        201,
        "deploy {name}: {}",
        r.text().await.unwrap_or_default()
    );
}

async fn run(s: &Stratus, process: &str, inputs: Value) -> (String, Value) {
    let job = s
        .submit(process, json!({"inputs": inputs, "response": "document"}))
        .await;
    let status = s.wait_for(&job, &["successful", "failed"], JOB_WAIT).await;
    (job, status)
}

async fn text(s: &Stratus, url: &str) -> String {
    let r = s.http.get(url).send().await.expect("GET");
    assert_eq!(r.status(), 200, "GET {url}");
    r.text().await.expect("text")
}

#[tokio::test]
async fn a_command_line_tool_runs_and_its_file_is_a_result() {
    let s = Stratus::local(Vec::new()).await;
    deployed(&s, "hello.cwl").await;
    let d = s.get_json("/processes/hello", 200).await;
    assert_eq!(
        d["inputs"]["times"]["schema"],
        json!({"type": "integer", "default": 1})
    );
    let started = Instant::now();
    let (job, status) = run(&s, "hello", json!({"who": "world", "times": 2})).await;
    assert_eq!(status["status"], "successful", "{status}");
    eprintln!(
        "hello.cwl: {:?} from submission to success",
        started.elapsed()
    );
    let results = s.get_json(&format!("/jobs/{job}/results"), 200).await;
    let greeting = &results["greeting"];
    assert_eq!(greeting["type"], "text/plain");
    let href = greeting["href"].as_str().unwrap();
    assert!(
        href.contains(&format!("/results/{job}/greeting/greeting.txt")),
        "{href}"
    );
    assert_eq!(text(&s, href).await, "Hello, world!\nHello, world!\n");
    let log = std::fs::read_to_string(s.data_dir().join(format!("objects/jobs/{job}/cwltool.log")))
        .expect("the cwltool log is kept");
    assert!(log.contains("Final process status is success"), "{log}");
    assert!(
        !s.data_dir().join("work").join(&job).exists(),
        "the working directory is removed"
    );
}

#[tokio::test]
async fn a_scattered_workflow_publishes_files_and_a_stac_catalog() {
    let s = Stratus::local(Vec::new()).await;
    deployed(&s, "shout.cwl").await;
    let d = s.get_json("/processes/shout", 200).await;
    assert_eq!(d["version"], "2.1.0");
    assert_eq!(d["inputs"]["suffix"]["minOccurs"], 0);
    let (job, status) = run(&s, "shout", json!({"words": ["alpha", "beta", "gamma"]})).await;
    assert_eq!(status["status"], "successful", "{status}");
    assert_eq!(status["progress"], 100);
    let results = s.get_json(&format!("/jobs/{job}/results"), 200).await;
    let shouted = results["shouted"]
        .as_array()
        .expect("one file per scattered run");
    assert_eq!(shouted.len(), 3);
    assert_eq!(
        text(&s, shouted[1]["href"].as_str().unwrap()).await,
        "BETA!\n"
    );

    let catalog_url = results["stac_catalog"]["href"]
        .as_str()
        .expect("catalog link");
    assert!(catalog_url.ends_with(&format!("/results/{job}/stac_catalog/catalog.json")));
    let catalog: Value = serde_json::from_str(&text(&s, catalog_url).await).unwrap();
    assert_eq!(catalog["type"], "Catalog");
    let items: Vec<&str> = catalog["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["rel"] == "item")
        .filter_map(|l| l["href"].as_str())
        .collect();
    assert_eq!(items.len(), 3);
    let base = catalog_url.trim_end_matches("catalog.json");
    let item: Value = serde_json::from_str(
        &text(&s, &format!("{base}{}", items[0].trim_start_matches("./"))).await,
    )
    .unwrap();
    assert_eq!(item["id"], "alpha");
    assert_eq!(
        text(&s, &format!("{base}alpha/word.txt")).await,
        "ALPHA!\n",
        "the catalog's assets are published with it"
    );

    // The catalog is the Directory input of another package: the server stages it in.
    deployed(&s, "inventory.cwl").await;
    let d = s.get_json("/processes/inventory", 200).await;
    assert_eq!(
        d["inputs"]["catalog"]["schema"]["contentMediaType"],
        "application/json"
    );
    assert_eq!(d["inputs"]["notes"]["schema"]["contentEncoding"], "binary");
    let (job2, status) = run(
        &s,
        "inventory",
        json!({"catalog": {"href": catalog_url}, "notes": "staged by stratus\n"}),
    )
    .await;
    assert_eq!(status["status"], "successful", "{status}");
    let results = s.get_json(&format!("/jobs/{job2}/results"), 200).await;
    let inventory = text(&s, results["inventory"]["href"].as_str().unwrap()).await;
    for path in [
        "catalog.json",
        "alpha/alpha.json",
        "alpha/word.txt",
        "gamma/word.txt",
    ] {
        assert!(inventory.contains(path), "{path} staged: {inventory}");
    }
    assert!(inventory.ends_with("staged by stratus\n"));
    assert_eq!(
        results["count"], 9,
        "7 staged files, the notes, and the empty last line"
    );
}

#[tokio::test]
async fn a_failing_tool_fails_the_job_with_the_engines_message() {
    let s = Stratus::local(Vec::new()).await;
    deployed(&s, "fail.cwl").await;
    let (job, status) = run(&s, "fail", json!({})).await;
    assert_eq!(status["status"], "failed", "{status}");
    let message = status["message"].as_str().unwrap();
    assert!(message.contains("cwltool failed"), "{message}");
    assert!(
        message.contains("boom: the tool failed on purpose"),
        "{message}"
    );
    assert!(message.contains("permanentFail"), "{message}");
    let r = s
        .http
        .get(s.at(&format!("/jobs/{job}/results")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
}

/// Pids of processes whose command line contains `needle`.
fn processes_with(needle: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline"))
            && String::from_utf8_lossy(&cmdline).contains(needle)
        {
            pids.push(pid);
        }
    }
    pids
}

#[tokio::test]
async fn dismissing_a_running_job_kills_the_engine_and_its_tools() {
    let s = Stratus::local(Vec::new()).await;
    deployed(&s, "nap.cwl").await;
    let tag = format!("stratus-nap-{}", std::process::id());
    let job = s
        .submit("nap", json!({"inputs": {"seconds": 300, "tag": tag}}))
        .await;
    // Wait for the tool itself (started by cwltool) to run.
    let deadline = Instant::now() + JOB_WAIT;
    while processes_with(&tag).is_empty() {
        assert!(Instant::now() < deadline, "the tool never started");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = s.get_json(&format!("/jobs/{job}"), 200).await;
    assert_eq!(status["status"], "running");
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("--no-container")
            || status["message"]
                .as_str()
                .unwrap()
                .contains("containers run with"),
        "{status}"
    );
    assert!(!processes_with(&job).is_empty(), "cwltool runs");

    let r = s
        .http
        .delete(s.at(&format!("/jobs/{job}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let left: Vec<u32> = processes_with(&tag)
            .into_iter()
            .chain(processes_with(&job))
            .collect();
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "still running after dismiss: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = s.get_json(&format!("/jobs/{job}"), 200).await;
    assert_eq!(status["status"], "dismissed");
    assert!(!s.data_dir().join("work").join(&job).exists());
}
