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

/// `statement parse --json` prints statement by statement as it reads;
/// the text is what printing the whole parsed file at once gives.
#[test]
fn statement_parse_streams_what_the_parser_reads() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../formats/tests/fixtures");
    let mut checked = 0;
    for entry in std::fs::read_dir(&fixtures).unwrap() {
        let path = entry.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        let Ok(parsed) =
            anumati_formats::parse_bytes(&bytes, None, anumati_formats::Options::default())
        else {
            continue;
        };
        let balance = |b: &Option<anumati_formats::Balance>| {
            b.as_ref().map(
                |b| serde_json::json!({"amount": b.amount.to_decimal_string(), "date": b.date}),
            )
        };
        let expected: Vec<Value> = parsed
            .statements
            .iter()
            .map(|s| {
                let transactions: Vec<Value> = s
                    .transactions
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "booking_date": t.booking_date, "value_date": t.value_date,
                            "amount": t.amount.to_decimal_string(), "currency": t.amount.currency(),
                            "reference": t.reference, "description": t.description,
                            "counterparty": t.counterparty,
                        })
                    })
                    .collect();
                serde_json::json!({
                    "account": s.account, "currency": s.currency,
                    "opening_balance": balance(&s.opening_balance),
                    "closing_balance": balance(&s.closing_balance),
                    "transactions": transactions,
                })
            })
            .collect();
        let printed = ok(&["statement", "parse", path.to_str().unwrap(), "--json"]);
        assert_eq!(
            printed,
            format!("{}\n", serde_json::to_string_pretty(&expected).unwrap()),
            "{}",
            path.display()
        );
        checked += 1;
    }
    assert!(checked >= 20, "{checked} fixtures");
}

/// A file whose first statement is good and whose second is malformed:
/// the first was already streamed into the import when the second failed,
/// and none of it lands.
#[test]
fn import_rolls_back_statements_read_before_a_fault_later_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let login = simulate(&data);
    let data = data.to_str().unwrap();
    let file = dir.path().join("two.sta");
    std::fs::write(
        &file,
        ":20:FIRST\n:25:DE02120300000000202051\n:28C:1/1\n:60F:C240101EUR100,00\n\
         :61:240102C10,00NTRFNONREF\n:86:good\n:62F:C240102EUR110,00\n-\n\
         :20:SECOND\n:25:DE02120300000000202051\n:28C:2/1\n:60F:C240102EUR110,00\n\
         :61:240103C1x,00NTRFNONREF\n:86:bad amount\n:62F:C240103EUR120,00\n-\n",
    )
    .unwrap();
    let accounts = |data: &str| -> Value {
        serde_json::from_str(&ok(&[
            "bank", "balances", "--data", data, "--as", &login, "--json",
        ]))
        .unwrap()
    };
    let before = accounts(data);
    let out = anumati(&[
        "import",
        file.to_str().unwrap(),
        "--data",
        data,
        "--customer",
        &login,
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("two.sta:13:"), "{stderr}");
    assert!(stderr.contains("field 61"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).is_empty());
    assert_eq!(
        accounts(data),
        before,
        "the first statement's account was not opened"
    );
    // The first statement alone is then new, entry and all.
    let text = std::fs::read_to_string(&file).unwrap();
    let first = dir.path().join("first.sta");
    std::fs::write(&first, &text[..text.find(":20:SECOND").unwrap()]).unwrap();
    let out = ok(&[
        "import",
        first.to_str().unwrap(),
        "--data",
        data,
        "--customer",
        &login,
    ]);
    assert!(
        out.contains("1 statements, 1 entries imported, 0 already there, 1 accounts opened"),
        "{out}"
    );
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
