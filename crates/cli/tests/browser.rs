//! The web chat in a real browser: `anumati demo` on port 0, driven by
//! `tests/browser/chat.mjs` (playwright-core and the system's Chromium).
//! A customer logs in, links the bank through the consent manager's page and
//! gets the balances the bank's own ledger shows.
//!
//! Needs `node`, `/usr/bin/chromium` (or `$CHROMIUM`) and
//! `tests/browser/node_modules/playwright-core`; `.ci/run` installs them.
//! Without them the test is skipped, except under `CI`, where it fails.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

const PASSWORD: &str = "demo";
const DEMO_START_TIMEOUT: Duration = Duration::from_secs(60);
/// chat.mjs bounds itself at 60 s; this is the backstop.
const NODE_TIMEOUT: Duration = Duration::from_secs(90);

fn workspace_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

fn on_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

fn chromium() -> PathBuf {
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"))
}

/// What the browser test needs and is missing, if anything.
fn missing_tools(root: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    let node = Command::new("node")
        .arg("--version")
        .stdin(Stdio::null())
        .output();
    if !node.is_ok_and(|o| o.status.success()) {
        missing.push("node (Node.js 20 or later)".to_owned());
    }
    let chromium = chromium();
    if !chromium.is_file() {
        missing.push(format!("Chromium at {}", chromium.display()));
    }
    let playwright = root.join("tests/browser/node_modules/playwright-core");
    if !playwright.is_dir() {
        missing.push(format!(
            "{} (npm ci --prefix tests/browser)",
            playwright.display()
        ));
    }
    missing
}

/// `anumati ARGS`, run to completion in `cwd`; panics with its output unless it succeeds.
fn anumati(cwd: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_anumati"))
        .args(args)
        .current_dir(cwd)
        .env_remove("ANUMATI_CONFIG")
        .env_remove("ANUMATI_DATA")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run anumati {args:?}: {e}"));
    assert!(
        out.status.success(),
        "anumati {args:?} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Kills the child (the demo server, or node) however the test ends.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[test]
fn web_chat_links_the_bank_and_answers_the_balance() {
    let root = workspace_root();
    let missing = missing_tools(&root);
    if !missing.is_empty() {
        let list = missing.join(", ");
        if on_ci() {
            panic!("the browser test needs {list}; `.ci/run` installs them (apt-get install chromium, npm ci --prefix tests/browser)");
        }
        eprintln!("notice: skipping the browser test of the web chat: missing {list}; `.ci/run` installs them");
        return;
    }
    let started = Instant::now();

    let tmp = tempfile::tempdir().expect("temp dir");
    let data = tmp.path().join("data");
    let data_arg = data.to_str().expect("temp path is UTF-8");

    anumati(
        tmp.path(),
        &[
            "simulate",
            "--customers",
            "20",
            "--months",
            "2",
            "--seed",
            "7",
            "--data",
            data_arg,
        ],
    );

    let out = anumati(tmp.path(), &["customers", "--data", data_arg, "--json"]);
    let customers: Value =
        serde_json::from_slice(&out.stdout).expect("`customers --json` prints JSON");
    let login = customers
        .as_array()
        .and_then(|list| list.first())
        .and_then(|c| c["login"].as_str())
        .unwrap_or_else(|| panic!("`customers --json` lists no login: {customers}"))
        .to_owned();

    // The bank's own ledger, read without linking the web user.
    let out = anumati(
        tmp.path(),
        &[
            "bank", "balances", "--data", data_arg, "--as", &login, "--json",
        ],
    );
    let expected: Value =
        serde_json::from_slice(&out.stdout).expect("`bank balances --json` prints JSON");
    let balances = expected["balances"]
        .as_array()
        .unwrap_or_else(|| panic!("no \"balances\" array in {expected}"));
    assert!(!balances.is_empty(), "{login} has no accounts: {expected}");
    let expected_file = tmp.path().join("expected.json");
    std::fs::write(&expected_file, expected.to_string()).expect("write expected.json");

    // The demo server on a free port.
    let demo_log = tmp.path().join("demo.stderr");
    let mut child = Command::new(env!("CARGO_BIN_EXE_anumati"))
        .args(["demo", "--data", data_arg, "--port", "0"])
        .current_dir(tmp.path())
        .env_remove("ANUMATI_CONFIG")
        .env_remove("ANUMATI_DATA")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(File::create(&demo_log).expect("demo log file"))
        .spawn()
        .expect("start anumati demo");
    let stdout = child.stdout.take().expect("piped stdout");
    let demo = KillOnDrop(child);

    // Read stdout on a thread (and keep draining it, so the server never blocks on a full pipe).
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + DEMO_START_TIMEOUT;
    let mut seen = Vec::new();
    let url = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                if let Some(at) = line.find("web chat: http://127.0.0.1:") {
                    let url = line[at + "web chat: ".len()..].split_whitespace().next().unwrap_or_default().to_owned();
                    break url;
                }
                seen.push(line);
            }
            Err(e) => panic!(
                "anumati demo did not print `web chat: http://127.0.0.1:PORT` within {} s ({e}).\nstdout:\n{}\nstderr (last lines):\n{}",
                DEMO_START_TIMEOUT.as_secs(),
                seen.join("\n"),
                tail(&demo_log, 40)
            ),
        }
    };

    // The browser.
    let node_out = tmp.path().join("node.stdout");
    let node_err = tmp.path().join("node.stderr");
    let node = Command::new("node")
        .arg("tests/browser/chat.mjs")
        .arg(&url)
        .arg(&login)
        .arg(PASSWORD)
        .arg(&expected_file)
        .current_dir(&root)
        .stdin(Stdio::null())
        .stdout(File::create(&node_out).expect("node stdout file"))
        .stderr(File::create(&node_err).expect("node stderr file"))
        .spawn()
        .expect("start node");
    let mut node = KillOnDrop(node);
    let deadline = Instant::now() + NODE_TIMEOUT;
    let status = loop {
        if let Some(status) = node.0.try_wait().expect("wait for node") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    drop(node);
    drop(demo);

    let stdout = std::fs::read_to_string(&node_out).unwrap_or_default();
    let stderr = std::fs::read_to_string(&node_err).unwrap_or_default();
    let report = format!(
        "login {login}, web chat {url}, expected {expected}\nnode stdout:\n{stdout}\nnode stderr:\n{stderr}\nanumati demo stderr (last lines):\n{}",
        tail(&demo_log, 40)
    );
    match status {
        None => panic!(
            "the browser test did not finish within {} s\n{report}",
            NODE_TIMEOUT.as_secs()
        ),
        Some(status) => assert!(
            status.success(),
            "the browser test failed ({status})\n{report}"
        ),
    }
    assert!(
        stdout.contains("browser: ok"),
        "node exited 0 without `browser: ok`\n{report}"
    );
    eprintln!(
        "browser test of the web chat passed in {:.1} s ({login})",
        started.elapsed().as_secs_f64()
    );
}
