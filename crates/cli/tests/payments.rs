//! `anumati bank verify`, `anumati bank outbox` and `anumati bench payments`
//! as scripts use them.

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

#[tokio::test]
async fn verify_passes_after_payments_and_fails_on_a_broken_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let data = data.to_str().unwrap();
    ok(&[
        "simulate",
        "--customers",
        "6",
        "--months",
        "1",
        "--seed",
        "9",
        "--end",
        "2026-10-31",
        "--data",
        data,
    ]);
    let report: Value =
        serde_json::from_str(&ok(&["bank", "verify", "--data", data, "--json"])).unwrap();
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["payments"], 0);

    // Payments through the payment API, each approved with the code from the SMS.
    let bench: Value = serde_json::from_str(&ok(&[
        "bench",
        "payments",
        "--data",
        data,
        "--payments",
        "6",
        "--concurrency",
        "2",
    ]))
    .unwrap();
    assert_eq!(bench["payments"], 6, "{bench}");
    assert_eq!(bench["errors"], 0);
    assert_eq!(bench["ledger_ok"], true);
    let report: Value =
        serde_json::from_str(&ok(&["bank", "verify", "--data", data, "--json"])).unwrap();
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["payments"], 6);

    // The payers' phones got the codes.
    let customers: Value =
        serde_json::from_str(&ok(&["customers", "--data", data, "--json"])).unwrap();
    let mut codes = 0;
    for c in customers.as_array().unwrap() {
        let login = c["login"].as_str().unwrap();
        let messages: Value = serde_json::from_str(&ok(&[
            "bank", "outbox", "--data", data, "--as", login, "--json",
        ]))
        .unwrap();
        codes += messages
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["body"].as_str().unwrap().contains("is your code to pay"))
            .count();
    }
    assert_eq!(codes, 6);
    let out = anumati(&["bank", "outbox", "--data", data, "--as", "nobody.at.all"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown login"));

    // A posting changed behind the bank's back: verify says so and exits non-zero.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{data}/bank/bank.db"))
        .await
        .unwrap();
    sqlx::query("UPDATE postings SET amount_minor = amount_minor - 1 WHERE id = (SELECT MAX(id) FROM postings)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let out = anumati(&["bank", "verify", "--data", data]);
    assert!(!out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("VIOLATION"), "{stdout}");
}
