//! The binary as scripts use it.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn anumati(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_anumati"))
        .args(args)
        .env_remove("ANUMATI_DATA")
        .env_remove("ANUMATI_CONFIG")
        .output()
        .unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = anumati(args);
    assert!(
        out.status.success(),
        "anumati {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn simulate(dir: &Path) -> String {
    let data = dir.to_str().unwrap();
    ok(&[
        "simulate",
        "--customers",
        "8",
        "--months",
        "2",
        "--seed",
        "5",
        "--end",
        "2026-10-31",
        "--data",
        data,
    ]);
    let customers: Value =
        serde_json::from_str(&ok(&["customers", "--data", data, "--json"])).unwrap();
    assert_eq!(customers.as_array().unwrap().len(), 8);
    customers[0]["login"].as_str().unwrap().to_owned()
}

#[test]
fn terminal_chat_obeys_consent() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let login = simulate(&data);
    let data = data.to_str().unwrap();

    let before: Value = serde_json::from_str(&ok(&[
        "chat",
        "--data",
        data,
        "--as",
        &login,
        "--json",
        "what's my balance?",
    ]))
    .unwrap();
    assert_eq!(before["intent"], "balance");
    assert_eq!(before["data"], serde_json::json!({}));
    assert!(before["confidence"].as_f64().unwrap() > 0.0);
    assert!(before["reply"]
        .as_str()
        .unwrap()
        .to_lowercase()
        .contains("link"));

    let granted = ok(&["consent", "grant", "--data", data, "--as", &login]);
    assert!(granted.contains("status ACTIVE"), "{granted}");

    let after: Value = serde_json::from_str(&ok(&[
        "chat",
        "--data",
        data,
        "--as",
        &login,
        "--json",
        "what's my balance?",
    ]))
    .unwrap();
    let ledger: Value = serde_json::from_str(&ok(&[
        "bank", "balances", "--data", data, "--as", &login, "--json",
    ]))
    .unwrap();
    let shown: Vec<&Value> = after["data"]["balances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| &b["booked"])
        .collect();
    let booked: Vec<&Value> = ledger["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["booked"])
        .collect();
    assert_eq!(shown, booked);
    assert!(!shown.is_empty());

    let tx: Value = serde_json::from_str(&ok(&[
        "chat",
        "--data",
        data,
        "--as",
        &login,
        "--json",
        "show my last 3 transactions",
    ]))
    .unwrap();
    assert_eq!(tx["intent"], "transactions");
    assert_eq!(tx["data"]["transactions"].as_array().unwrap().len(), 3);
}

#[test]
fn clear_errors_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    simulate(&data);
    let data = data.to_str().unwrap();

    let out = anumati(&["chat", "--data", data, "--as", "no.such.person", "hello"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown login \"no.such.person\""));

    let out = anumati(&["consent", "grant", "--data", data, "--as", "no.such.person"]);
    assert!(!out.status.success());

    // A folder that is not anumati's is refused and left as it was.
    let foreign = dir.path().join("thesis");
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("chapter1.tex"), "precious").unwrap();
    for args in [
        vec!["demo", "--data", foreign.to_str().unwrap(), "--port", "0"],
        vec![
            "simulate",
            "--customers",
            "2",
            "--data",
            foreign.to_str().unwrap(),
        ],
        vec![
            "chat",
            "--data",
            foreign.to_str().unwrap(),
            "--as",
            "x",
            "hi",
        ],
    ] {
        let out = anumati(&args);
        assert!(!out.status.success(), "{args:?} must fail");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("not an anumati data directory"),
            "{args:?}"
        );
    }
    let entries: Vec<_> = std::fs::read_dir(&foreign).unwrap().collect();
    assert_eq!(entries.len(), 1);

    // A missing folder is not created by commands that read.
    let missing = dir.path().join("nowhere");
    let out = anumati(&["customers", "--data", missing.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(!missing.exists());

    // Simulating into a full bank is refused.
    let out = anumati(&["simulate", "--customers", "2", "--data", data]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already has 8 customers"));
}

#[test]
fn same_seed_same_bank() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let login_a = simulate(&a);
    let login_b = simulate(&b);
    assert_eq!(login_a, login_b);
    let balances = |d: &Path| {
        ok(&[
            "bank",
            "balances",
            "--data",
            d.to_str().unwrap(),
            "--as",
            &login_a,
            "--json",
        ])
    };
    assert_eq!(balances(&a), balances(&b));
}

#[test]
fn the_prompt_answers_line_by_line_until_exit() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let login = simulate(&data);
    ok(&[
        "consent",
        "grant",
        "--data",
        data.to_str().unwrap(),
        "--as",
        &login,
    ]);
    let mut child = Command::new(env!("CARGO_BIN_EXE_anumati"))
        .args([
            "chat",
            "--data",
            data.to_str().unwrap(),
            "--as",
            &login,
            "--json",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all("hello\n\nwhat's my balance?\nमेरा बैलेंस क्या है\nexit\nthanks\n".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let replies: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let intents: Vec<&str> = replies
        .iter()
        .map(|r| r["intent"].as_str().unwrap())
        .collect();
    assert_eq!(
        intents,
        vec!["greeting", "balance", "balance"],
        "blank lines are skipped and exit ends the session"
    );
    assert_eq!(
        replies[1]["data"]["balances"],
        replies[2]["data"]["balances"]
    );
}

#[test]
fn statement_parse_prints_exact_json_and_names_the_problem() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../formats/tests/fixtures");
    let file = fixtures.join("mt940_german_swift_crlf.sta");
    let list: Value = serde_json::from_str(&ok(&[
        "statement",
        "parse",
        file.to_str().unwrap(),
        "--json",
    ]))
    .unwrap();
    let first = &list[0];
    assert_eq!(first["currency"], "EUR");
    assert_eq!(first["opening_balance"]["amount"], "1000.00");
    assert_eq!(first["closing_balance"]["amount"], "1155.38");
    assert_eq!(first["transactions"][0]["amount"], "-104.12");
    assert_eq!(first["transactions"].as_array().unwrap().len(), 4);

    let bad = fixtures.join("mt940_unbalanced.sta");
    let out = anumati(&["statement", "parse", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mt940_unbalanced.sta:6:6: field 62F"), "{err}");
    let out = anumati(&[
        "statement",
        "parse",
        bad.to_str().unwrap(),
        "--warn-unbalanced",
        "--json",
    ]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning:"));
}

#[test]
fn import_is_all_or_nothing_per_file_and_never_twice() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let login = simulate(&data);
    let data = data.to_str().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../formats/tests/fixtures");
    let good = fixtures.join("camt053_v02_batch.xml");
    let bad = fixtures.join("mt940_unbalanced.sta");
    let accounts = |data: &str| -> Vec<Value> {
        let v: Value = serde_json::from_str(&ok(&[
            "bank", "balances", "--data", data, "--as", &login, "--json",
        ]))
        .unwrap();
        v["accounts"].as_array().unwrap().clone()
    };
    let before = accounts(data);

    // One good file and one malformed file: the good one lands, the bad one not at all.
    let out = anumati(&[
        "import",
        good.to_str().unwrap(),
        bad.to_str().unwrap(),
        "--data",
        data,
        "--customer",
        &login,
    ]);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("entries imported, 0 already there, 1 accounts opened"),
        "{stdout}"
    );
    assert!(
        stderr.contains("mt940_unbalanced.sta:6:6: field 62F"),
        "{stderr}"
    );
    let after = accounts(data);
    assert_eq!(
        after.len(),
        before.len() + 1,
        "only the good file's account was opened"
    );
    let imported = after.iter().find(|a| !before.contains(a)).unwrap();
    // Opening balance plus the imported entries is the statement's closing balance.
    assert_eq!(
        imported["booked"],
        serde_json::json!({"amount": "878.50", "currency": "EUR"})
    );

    // Again: everything is skipped, nothing changes.
    let again = ok(&[
        "import",
        good.to_str().unwrap(),
        "--data",
        data,
        "--customer",
        &login,
    ]);
    assert!(again.contains(" 0 entries imported,"), "{again}");
    assert_eq!(accounts(data), after);
    // The imported lines are in the ledger: it still verifies.
    let report: Value =
        serde_json::from_str(&ok(&["bank", "verify", "--data", data, "--json"])).unwrap();
    assert_eq!(report["ok"], true, "{report}");

    // Someone else's account number is refused.
    let other: Value = serde_json::from_str(&ok(&["customers", "--data", data, "--json"])).unwrap();
    let other = other[1]["login"].as_str().unwrap();
    let out = anumati(&[
        "import",
        good.to_str().unwrap(),
        "--data",
        data,
        "--customer",
        other,
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("belongs to another customer"));
}
