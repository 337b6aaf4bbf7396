//! `stratus run` and `stratus jobs` against a local server: plain progress lines when piped, a
//! progress bar on a terminal (a pseudo-terminal from `script`), results printed or saved.

use std::process::Command;

use stratus_tests::{Stratus, stratus_bin};

fn stratus(args: &[&str]) -> std::process::Output {
    Command::new(stratus_bin())
        .args(args)
        .env_remove("STRATUS_SERVER")
        .output()
        .expect("run stratus")
}

#[tokio::test]
async fn run_prints_progress_lines_and_results_when_piped() {
    let s = Stratus::local(Vec::new()).await;
    let out = stratus(&[
        "run",
        "echo",
        "--input",
        "stringInput=hello",
        "--input",
        "pause=1",
        "--server",
        &s.url,
    ]);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("job: http://"), "{stderr}");
    assert!(stderr.contains("status: running"), "{stderr}");
    assert!(
        stderr.contains("status: successful 100% items 1/1"),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\r') && !stderr.contains('\u{1b}'),
        "no bar: {stderr:?}"
    );
    let results: serde_json::Value = serde_json::from_str(&stdout).expect("results JSON");
    assert_eq!(results["stringInput"]["value"], "hello");

    let table = stratus(&["jobs", "--server", &s.url, "--process", "echo"]);
    let table = String::from_utf8_lossy(&table.stdout);
    let mut lines = table.lines();
    assert!(lines.next().is_some_and(|h| h.starts_with("JOB ")));
    assert!(
        lines
            .next()
            .is_some_and(|l| l.contains("echo") && l.contains("successful"))
    );
}

#[tokio::test]
async fn run_draws_a_progress_bar_on_a_terminal() {
    let s = Stratus::local(Vec::new()).await;
    let cmd = format!(
        "{} run echo --input stringInput=hi --input pause=2 --server {}",
        stratus_bin().display(),
        s.url
    );
    let out = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .expect("script (util-linux)");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert!(
        screen.contains("\r\u{1b}[2K"),
        "the bar redraws in place: {screen:?}"
    );
    assert!(
        screen.contains("items (") && screen.contains("/1"),
        "{screen:?}"
    );
    assert!(
        !screen.contains("status: running"),
        "no plain lines on a terminal"
    );
}

#[tokio::test]
async fn run_saves_results_and_fails_with_the_job_message() {
    let s = Stratus::local(Vec::new()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let out_dir = dir.path().join("out");
    let out = stratus(&[
        "run",
        "echo",
        "--input",
        "stringInput=saved",
        "--server",
        &s.url,
        "--out",
        out_dir.to_str().expect("utf-8 path"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = std::fs::read_to_string(out_dir.join("results.json")).expect("results.json");
    assert!(doc.contains("saved"));

    let failed = stratus(&[
        "run",
        "echo",
        "--input",
        r#"stringInput:={"href": "http://127.0.0.1:9/nothing"}"#,
        "--server",
        &s.url,
    ]);
    assert!(!failed.status.success());
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("the job ended failed"), "{stderr}");
    let unknown = stratus(&["run", "echo", "--input", "nope=1", "--server", &s.url]);
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no input 'nope'"));
}
