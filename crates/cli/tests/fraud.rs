//! `anumati simulate --profile`, `anumati fraud eval` and `anumati fraud score`
//! as scripts use them.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

fn anumati(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_anumati"))
        .args(args)
        .env_remove("ANUMATI_DATA")
        .env_remove("ANUMATI_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn ok(args: &[&str], stdin: Option<&str>) -> String {
    let out = anumati(args, stdin);
    assert!(
        out.status.success(),
        "anumati {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn simulate_evaluate_and_score() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fraud");
    let data = data.to_str().unwrap();
    let out = ok(
        &[
            "simulate",
            "--profile",
            "everyday",
            "--seed",
            "2",
            "--customers",
            "1500",
            "--months",
            "1",
            "--end",
            "2026-01-31",
            "--data",
            data,
            "--json",
        ],
        None,
    );
    let meta: Value = serde_json::from_str(&out).unwrap();
    let events = meta["meta"]["events"].as_u64().unwrap();
    let frauds = meta["meta"]["frauds"].as_u64().unwrap();
    assert!(events > 10_000 && frauds > 50, "{meta}");
    assert_eq!(meta["meta"]["first_day"], "2026-01-02");
    let tsv = std::fs::read_to_string(dir.path().join("fraud/events.tsv")).unwrap();
    assert!(tsv.starts_with("# anumati fraud events v1\n"));
    assert_eq!(tsv.lines().count() as u64, events + 2);
    let labels = std::fs::read_to_string(dir.path().join("fraud/labels.tsv")).unwrap();
    assert_eq!(labels.lines().count() as u64, frauds + 2);

    let model = dir.path().join("model.json");
    let out = ok(
        &[
            "fraud",
            "eval",
            "--data",
            data,
            "--json",
            "--save-model",
            model.to_str().unwrap(),
        ],
        None,
    );
    let report: Value = serde_json::from_str(&out).unwrap();
    for key in ["auc_roc", "average_precision", "card_precision_at_100"] {
        let v = report[key].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&v), "{key} {v}");
    }
    assert!(report["auc_roc"].as_f64().unwrap() > 0.8, "{report}");
    assert_eq!(
        report["card_precision_at_100_per_day"]
            .as_array()
            .unwrap()
            .len(),
        7
    );
    assert!(model.exists());

    // The trained model scores a stream: a payment in Mumbai, the same card
    // in person in Delhi 30 minutes later, and a line that is not an event.
    let mumbai = r#"{"v":1,"id":"a","card":"card-x","customer":"cust-x","amount":{"amount":"450.00","currency":"INR"},"merchant":"m-1","mcc":"5411","terminal":"t-1","card_present":true,"country":"IN","city":"Mumbai","lat":19.076,"lon":72.8777,"at":"2026-02-01T10:00:00+05:30"}"#;
    let delhi = r#"{"v":1,"id":"b","card":"card-x","customer":"cust-x","amount":{"amount":"9999.00","currency":"INR"},"merchant":"m-2","mcc":"5732","terminal":"t-2","card_present":true,"country":"IN","city":"Delhi","lat":28.6139,"lon":77.209,"at":"2026-02-01T10:30:00+05:30"}"#;
    let stdin = format!("{mumbai}\n{delhi}\nnot json\n");
    let out = ok(
        &["fraud", "score", "--model", model.to_str().unwrap()],
        Some(&stdin),
    );
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[1]["id"], "b");
    assert_eq!(lines[1]["alert"], true, "{out}");
    assert_eq!(lines[1]["reasons"][0]["code"], "impossible_travel");
    assert!(lines[2]["error"].is_string());
}

#[test]
fn profile_needs_a_data_directory() {
    let out = anumati(&["simulate", "--profile", "handbook"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--data"));
}
