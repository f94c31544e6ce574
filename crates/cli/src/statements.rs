//! `anumati statement parse` and `anumati import`: statement files read one
//! statement at a time ([`anumati_formats::StatementStream`]), so neither
//! command holds a whole file's statements. Each statement is handed back
//! to the reader once printed or imported (`recycle`), for the next ones'
//! fields.

use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};

use anumati::system::System;
use anumati_domain::{Currency, CustomerId};
use anumati_formats::{Balance, Format, Options, Statement, StatementStream};
use anyhow::{bail, Context};
use jiff::civil::Date;
use serde::Serialize;

/// The reading buffer: large enough that the parsers rarely wait on `read`.
const BUFFER: usize = 1 << 16;

pub(crate) fn format_named(name: &str) -> Format {
    match name {
        "mt940" => Format::Mt940,
        "mt942" => Format::Mt942,
        "camt052" => Format::Camt052,
        "camt053" => Format::Camt053,
        "ofx" => Format::Ofx,
        "csv" => Format::Csv,
        _ => Format::Camt054,
    }
}

/// One statement as `statement parse --json` prints it (keys in the order
/// they have always been printed: alphabetical).
#[derive(Serialize)]
struct StatementJson<'a> {
    account: &'a str,
    closing_balance: Option<BalanceJson>,
    currency: Currency,
    opening_balance: Option<BalanceJson>,
    transactions: Vec<EntryJson<'a>>,
}

#[derive(Serialize)]
struct BalanceJson {
    amount: String,
    date: Date,
}

#[derive(Serialize)]
struct EntryJson<'a> {
    amount: String,
    booking_date: Date,
    counterparty: Option<&'a str>,
    currency: Currency,
    description: &'a str,
    reference: Option<&'a str>,
    value_date: Date,
}

impl<'a> StatementJson<'a> {
    fn new(s: &'a Statement) -> Self {
        let balance = |b: &Option<Balance>| {
            b.as_ref().map(|b| BalanceJson {
                amount: b.amount.to_decimal_string(),
                date: b.date,
            })
        };
        StatementJson {
            account: &s.account,
            closing_balance: balance(&s.closing_balance),
            currency: s.currency,
            opening_balance: balance(&s.opening_balance),
            transactions: s
                .transactions
                .iter()
                .map(|t| EntryJson {
                    amount: t.amount.to_decimal_string(),
                    booking_date: t.booking_date,
                    counterparty: t.counterparty.as_deref(),
                    currency: t.amount.currency(),
                    description: &t.description,
                    reference: t.reference.as_deref(),
                    value_date: t.value_date,
                })
                .collect(),
        }
    }
}

/// Writes `statement` as one element of a pretty-printed JSON array (what
/// `serde_json::to_string_pretty` of the whole array would print).
fn write_json_element(
    out: &mut impl Write,
    statement: &Statement,
    first: bool,
) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(&StatementJson::new(statement))?;
    out.write_all(if first { b"[\n" } else { b",\n" })?;
    // JSON strings hold no raw line breaks, so indenting by line is safe.
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.write_all(b"\n")?;
        }
        out.write_all(b"  ")?;
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

fn write_text(out: &mut impl Write, s: &Statement) -> std::io::Result<()> {
    let shown = |b: &Option<Balance>| {
        b.as_ref()
            .map_or("-".to_owned(), |b| format!("{} on {}", b.amount, b.date))
    };
    writeln!(
        out,
        "{} {}: opening {}, closing {}, {} entries",
        s.account,
        s.currency,
        shown(&s.opening_balance),
        shown(&s.closing_balance),
        s.transactions.len()
    )?;
    for t in &s.transactions {
        writeln!(
            out,
            "  {} {:>14}  {}",
            t.booking_date,
            t.amount.to_decimal_string(),
            t.description
        )?;
    }
    Ok(())
}

/// `anumati statement parse`: prints each statement as it is read. On a
/// malformed file the statements before the fault have been printed (and
/// with `--json` the array is left open), the error goes to stderr and
/// the exit status is non-zero.
pub(crate) fn statement_parse(
    file: &Path,
    format: Option<Format>,
    json: bool,
    options: Options,
) -> anyhow::Result<()> {
    let input = std::fs::File::open(file).with_context(|| format!("{}", file.display()))?;
    let mut stream = StatementStream::new(BufReader::with_capacity(BUFFER, input), format, options);
    let mut out = std::io::BufWriter::with_capacity(BUFFER, std::io::stdout().lock());
    let mut first = true;
    loop {
        let item = stream.next();
        // Warnings as they are met (a statement's come with it).
        for warning in stream.take_warnings() {
            out.flush()?;
            eprintln!("warning: {}:{warning}", file.display());
        }
        let statement = match item {
            None => break,
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                out.flush()?;
                bail!("{}:{e}", file.display());
            }
        };
        if json {
            write_json_element(&mut out, &statement, first)?;
        } else {
            write_text(&mut out, &statement)?;
        }
        first = false;
        stream.recycle(statement);
    }
    if json {
        out.write_all(if first { b"[]\n" } else { b"\n]\n" })?;
    }
    out.flush()?;
    Ok(())
}

/// Counts the bytes read into the progress bar.
struct Counted<R> {
    inner: R,
    bar: indicatif::ProgressBar,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bar.inc(n as u64);
        Ok(n)
    }
}

/// `anumati import`: each file in one transaction, streamed statement by
/// statement into it; a file that fails to parse or to import leaves
/// nothing behind, and the others are still imported.
pub(crate) async fn import(
    system: &System,
    files: &[PathBuf],
    login: &str,
    options: Options,
) -> anyhow::Result<()> {
    let Some((customer, _)) = system.bank.store().customer_by_login(login).await? else {
        bail!("unknown customer {login:?} (list them with `anumati customers --data DIR`)");
    };
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .collect();
    let bar = indicatif::ProgressBar::new(sizes.iter().sum());
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} importing [{bar:30}] {bytes}/{total_bytes}, file {msg}",
        )
        .expect("template is valid"),
    );
    let mut failed = 0;
    for (i, (file, size)) in files.iter().zip(&sizes).enumerate() {
        bar.set_message(format!("{}/{}", i + 1, files.len()));
        let start = bar.position();
        let result = import_file(system, &customer.id, file, options.clone(), &bar).await;
        // A file that stopped early still counts as read.
        bar.set_position(start + size);
        match result {
            Ok(r) => bar.suspend(|| {
                println!(
                    "{}: {} statements, {} entries imported, {} already there, {} accounts opened",
                    file.display(),
                    r.statements,
                    r.imported,
                    r.skipped,
                    r.accounts_opened
                )
            }),
            Err(e) => {
                failed += 1;
                bar.suspend(|| eprintln!("error: {e:#}"));
            }
        }
    }
    bar.finish_and_clear();
    if failed > 0 {
        bail!("{failed} of {} files were not imported", files.len());
    }
    Ok(())
}

async fn import_file(
    system: &System,
    customer: &CustomerId,
    file: &Path,
    options: Options,
    bar: &indicatif::ProgressBar,
) -> anyhow::Result<anumati_bank::import::ImportReport> {
    let input = std::fs::File::open(file).with_context(|| format!("{}", file.display()))?;
    let input = Counted {
        inner: input,
        bar: bar.clone(),
    };
    let mut stream = StatementStream::new(BufReader::with_capacity(BUFFER, input), None, options);
    let mut import = system
        .bank
        .store()
        .begin_import(customer, &file.display().to_string(), system.clock.now())
        .await?;
    loop {
        let item = stream.next();
        for warning in stream.take_warnings() {
            bar.suspend(|| eprintln!("warning: {}:{warning}", file.display()));
        }
        let Some(statement) = item else { break };
        // Dropping `import` on an error rolls the file back.
        let statement = statement.map_err(|e| {
            anyhow::anyhow!("{}:{e} (nothing imported from this file)", file.display())
        })?;
        import
            .add(&statement)
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e} (nothing imported)", file.display()))?;
        stream.recycle(statement);
    }
    import
        .commit()
        .await
        .map_err(|e| anyhow::anyhow!("{}: {e} (nothing imported)", file.display()))
}
