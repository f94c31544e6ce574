//! Statement lines in the ledger: the simulator and the statement importer
//! post their lines as summary `statement` journal entries (one per customer
//! and month; one per imported statement), every line names its entry, the
//! entry's kind tells statement lines from payment lines, a line written
//! without an entry still gets one from the trigger, and `verify_ledger`
//! finds a line moved to another entry.

use anumati_bank::sim::{self, SimParams};
use anumati_bank::BankStore;
use anumati_domain::CustomerId;

struct Dir(std::path::PathBuf);
impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const PARAMS: SimParams = SimParams {
    customers: 5,
    months: 3,
    seed: 5,
    end: jiff::civil::date(2026, 10, 31),
};

async fn bank() -> (Dir, BankStore) {
    let dir = Dir(std::env::temp_dir().join(format!(
        "anumati-ledger-statements-{}",
        anumati_wire::html::random_token()
    )));
    let pool = anumati_store::open_sqlite(&dir.0.join("bank.db"), &anumati_bank::store::MIGRATOR)
        .await
        .unwrap();
    sim::populate(&pool, &PARAMS, "x", &|_| {}).await.unwrap();
    (dir, BankStore::new(pool))
}

async fn scalar(store: &BankStore, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

fn problems(report: &anumati_bank::ledger::LedgerReport) -> String {
    report.problems.join("\n")
}

#[tokio::test]
async fn simulated_lines_are_posted_per_customer_and_month() {
    let (_dir, store) = bank().await;
    let report = store.verify_ledger().await.unwrap();
    assert!(report.ok(), "{}", problems(&report));

    // Every line names a statement entry of its customer and month.
    assert_eq!(
        scalar(
            &store,
            "SELECT COUNT(*) FROM transactions WHERE entry_id IS NULL"
        )
        .await,
        0
    );
    assert_eq!(
        scalar(
            &store,
            "SELECT COUNT(*) FROM transactions t JOIN accounts a ON a.id = t.account_id
             WHERE t.entry_id IS NOT ('je_' || a.customer_id || '_' || substr(t.value_date, 1, 7))"
        )
        .await,
        0
    );
    let months = scalar(
        &store,
        "SELECT COUNT(*) FROM (SELECT DISTINCT a.customer_id, substr(t.value_date, 1, 7)
         FROM transactions t JOIN accounts a ON a.id = t.account_id)",
    )
    .await;
    assert!(months >= i64::from(PARAMS.customers) * 3, "{months}");
    assert_eq!(
        scalar(
            &store,
            "SELECT COUNT(*) FROM journal_entries WHERE kind = 'statement'"
        )
        .await,
        months
    );
    // Far fewer postings than lines; each entry sums to zero; an entry's
    // time is its last line's.
    let lines = scalar(&store, "SELECT COUNT(*) FROM transactions").await;
    assert!(
        report.postings * 4 < lines,
        "{} postings, {lines} lines",
        report.postings
    );
    assert_eq!(
        scalar(
            &store,
            "SELECT COUNT(*) FROM journal_entries e WHERE e.kind = 'statement'
             AND e.at <> (SELECT MAX(booked_at) FROM transactions t WHERE t.entry_id = e.id)"
        )
        .await,
        0
    );
    // Card payments are balanced against card settlement, the rest against clearing.
    for (kind, internal) in [
        ("t.kind = 'card_payment'", "int_card_settlement_"),
        ("t.kind <> 'card_payment'", "int_clearing_"),
    ] {
        let lines: i64 = scalar(
            &store,
            &format!("SELECT COALESCE(SUM(t.amount_minor), 0) FROM transactions t WHERE {kind}"),
        )
        .await;
        let postings: i64 = scalar(
            &store,
            &format!(
                "SELECT COALESCE(SUM(amount_minor), 0) FROM postings WHERE account_id LIKE '{internal}%'"
            ),
        )
        .await;
        assert_eq!(postings, -lines, "{internal}");
    }
    for (_, total) in store.ledger_totals().await.unwrap() {
        assert_eq!(total, 0);
    }
}

#[tokio::test]
async fn verify_finds_a_line_moved_to_another_entry() {
    let (_dir, store) = bank().await;
    // A line moved to another customer's entry: every account's total is
    // still right for the owner's account, but not entry by entry.
    sqlx::query(
        "UPDATE transactions SET entry_id = (SELECT MAX(id) FROM journal_entries WHERE kind = 'statement')
         WHERE id = (SELECT MIN(id) FROM transactions)",
    )
    .execute(store.pool())
    .await
    .unwrap();
    let report = store.verify_ledger().await.unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.starts_with("statement lines differ from their journal entry's postings")),
        "{}",
        problems(&report)
    );
}

#[tokio::test]
async fn a_line_written_without_an_entry_is_balanced_by_the_trigger() {
    let (_dir, store) = bank().await;
    let (account, currency): (String, String) =
        sqlx::query_as("SELECT id, currency FROM accounts ORDER BY id LIMIT 1")
            .fetch_one(store.pool())
            .await
            .unwrap();
    sqlx::query(
        "INSERT INTO transactions (id, account_id, booked_at, value_date, amount_minor, currency, kind, channel, description, category)
         VALUES ('txn_other_writer', ?, 1790000000, '2026-09-21', 1234, ?, 'transfer_in', 'transfer', 'from elsewhere', 'transfers')",
    )
    .bind(&account)
    .bind(&currency)
    .execute(store.pool())
    .await
    .unwrap();
    let kind: String =
        sqlx::query_scalar("SELECT kind FROM journal_entries WHERE id = 'txn_other_writer'")
            .fetch_one(store.pool())
            .await
            .unwrap();
    assert_eq!(kind, "statement");
    let report = store.verify_ledger().await.unwrap();
    assert!(report.ok(), "{}", problems(&report));
}

#[tokio::test]
async fn an_imported_statement_is_one_entry_against_clearing() {
    let (_dir, store) = bank().await;
    let file = include_bytes!("../../formats/tests/fixtures/camt053_v02_batch.xml");
    let parsed =
        anumati_formats::parse_bytes(file, None, anumati_formats::Options::default()).unwrap();
    let statements = parsed.statements;
    assert!(!statements.is_empty());
    let entries_before = scalar(&store, "SELECT COUNT(*) FROM journal_entries").await;
    let customer = CustomerId::new("cus_000001");
    let now = "2026-11-01T12:00:00Z".parse().unwrap();
    let report = store
        .import_statements(&customer, &statements, "camt053_v02_batch.xml", now)
        .await
        .unwrap();
    assert!(report.imported > 0);
    let with_lines = statements
        .iter()
        .filter(|s| !s.transactions.is_empty())
        .count() as i64;
    // One statement entry per statement with lines, plus the opening
    // balance of each account opened.
    let opened_with_balance = statements
        .iter()
        .filter(|s| s.opening_balance.is_some_and(|b| b.amount.minor() != 0))
        .count() as i64;
    let imported_entries = scalar(
        &store,
        "SELECT COUNT(*) FROM journal_entries WHERE id IN (
             SELECT entry_id FROM transactions WHERE id LIKE 'imp\\_%' ESCAPE '\\')",
    )
    .await;
    assert_eq!(imported_entries, with_lines);
    assert_eq!(
        scalar(&store, "SELECT COUNT(*) FROM journal_entries").await,
        entries_before + with_lines + opened_with_balance
    );
    assert_eq!(
        scalar(
            &store,
            "SELECT COUNT(*) FROM journal_entries e
             WHERE e.id IN (SELECT entry_id FROM transactions WHERE id LIKE 'imp\\_%' ESCAPE '\\')
               AND (e.kind <> 'statement' OR e.at <> 1793534400)"
        )
        .await,
        0
    );
    let report_ok = store.verify_ledger().await.unwrap();
    assert!(report_ok.ok(), "{}", problems(&report_ok));

    // Importing it again adds no entry.
    let entries = scalar(&store, "SELECT COUNT(*) FROM journal_entries").await;
    let again = store
        .import_statements(&customer, &statements, "camt053_v02_batch.xml", now)
        .await
        .unwrap();
    assert_eq!(again.imported, 0);
    assert_eq!(
        scalar(&store, "SELECT COUNT(*) FROM journal_entries").await,
        entries
    );
}

#[tokio::test]
async fn an_import_dropped_before_its_commit_leaves_nothing() {
    let (_dir, store) = bank().await;
    let file = include_bytes!("../../formats/tests/fixtures/camt053_v02_batch.xml");
    let parsed =
        anumati_formats::parse_bytes(file, None, anumati_formats::Options::default()).unwrap();
    let count = |sql: &'static str| scalar(&store, sql);
    let before = (
        count("SELECT COUNT(*) FROM accounts").await,
        count("SELECT COUNT(*) FROM transactions").await,
        count("SELECT COUNT(*) FROM journal_entries").await,
        count("SELECT COUNT(*) FROM imported_entries").await,
    );
    let customer = CustomerId::new("cus_000001");
    let now = "2026-11-01T12:00:00Z".parse().unwrap();
    {
        // Statements streamed into an import that then fails (here: is
        // dropped, as the CLI drops it on a parse error further on).
        let mut import = store.begin_import(&customer, "x.xml", now).await.unwrap();
        for s in &parsed.statements {
            import.add(s).await.unwrap();
        }
        assert!(import.report().imported > 0);
    }
    let after = (
        count("SELECT COUNT(*) FROM accounts").await,
        count("SELECT COUNT(*) FROM transactions").await,
        count("SELECT COUNT(*) FROM journal_entries").await,
        count("SELECT COUNT(*) FROM imported_entries").await,
    );
    assert_eq!(after, before);
    // The same statements committed land, and count as in one call.
    let mut import = store.begin_import(&customer, "x.xml", now).await.unwrap();
    for s in &parsed.statements {
        import.add(s).await.unwrap();
    }
    let streamed = import.commit().await.unwrap();
    assert!(streamed.imported > 0);
    assert_eq!(streamed.statements, parsed.statements.len() as u64);
    assert_eq!(
        count("SELECT COUNT(*) FROM imported_entries").await,
        before.3 + streamed.imported as i64
    );
}

/// A deferred foreign key lets a child row be written before its parent
/// (an import writes `imported_entries` first: that insert tells a fresh
/// entry from a known one); each parent insert then searches the child
/// table for the rows it satisfies. Without an index on the child column
/// that search is a scan per row, and an import quadratic in its lines.
#[tokio::test]
async fn every_deferred_foreign_key_has_its_child_column_indexed() {
    let (_dir, store) = bank().await;
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql LIKE '%DEFERRABLE%'",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    assert!(!tables.is_empty());
    for (table, _) in tables {
        let keys: Vec<(String,)> =
            sqlx::query_as("SELECT \"from\" FROM pragma_foreign_key_list(?)")
                .bind(&table)
                .fetch_all(store.pool())
                .await
                .unwrap();
        for (column,) in keys {
            let indexed: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pragma_index_list(?1) l
                 WHERE (SELECT name FROM pragma_index_info(l.name) WHERE seqno = 0) = ?2",
            )
            .bind(&table)
            .bind(&column)
            .fetch_one(store.pool())
            .await
            .unwrap();
            assert!(indexed > 0, "{table}.{column} has no index");
        }
    }
}

/// Identical lines in one file are each imported once (the second is not
/// taken for the first); a later file that repeats some lines and adds
/// others imports only the new ones, the repeated identical pair included.
#[tokio::test]
async fn identical_lines_count_once_each_and_overlapping_files_add_only_new_lines() {
    let (_dir, store) = bank().await;
    let statement = |lines: &[&str], closing: &str| {
        let mut text = String::from(
            ":20:OVERLAP\n:25:DE44500105175407324931\n:28C:1/1\n:60F:C240101EUR100,00\n",
        );
        for line in lines {
            text.push_str(line);
        }
        text.push_str(&format!(":62F:C240105EUR{closing}\n-\n"));
        anumati_formats::parse_bytes(text.as_bytes(), None, anumati_formats::Options::default())
            .unwrap()
            .statements
    };
    let coffee = ":61:240102D3,50NMSCNONREF\n:86:Coffee\n";
    let rent = ":61:240103D40,00NTRFNONREF\n:86:Rent\n";
    let salary = ":61:240104C200,00NTRFNONREF\n:86:Salary\n";
    let customer = CustomerId::new("cus_000001");
    let now = "2026-11-01T12:00:00Z".parse().unwrap();
    let first = store
        .import_statements(
            &customer,
            &statement(&[coffee, coffee], "93,00"),
            "a.sta",
            now,
        )
        .await
        .unwrap();
    assert_eq!((first.imported, first.skipped), (2, 0));
    let second = store
        .import_statements(
            &customer,
            &statement(&[coffee, coffee, rent, coffee, salary], "249,50"),
            "b.sta",
            now,
        )
        .await
        .unwrap();
    assert_eq!((second.imported, second.skipped), (3, 2));
    let (lines, sum): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), SUM(amount_minor) FROM transactions t
         JOIN accounts a ON a.id = t.account_id WHERE a.number = 'DE44500105175407324931'",
    )
    .fetch_one(store.pool())
    .await
    .unwrap();
    assert_eq!((lines, sum), (5, -350 * 3 - 4_000 + 20_000));
    let report = store.verify_ledger().await.unwrap();
    assert!(report.ok(), "{}", problems(&report));
}
