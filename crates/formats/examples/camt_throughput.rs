//! Generates a camt.053.001.08 file with N entries (default 1,000,000, each
//! with one `TxDtls`, in statements of 1,000) and measures parsing
//! throughput and peak memory.
//!
//! `cargo run --release -p anumati-formats --example camt_throughput [N] [FILE] [--parse-only] [--no-recycle]`

use std::io::{BufReader, BufWriter, Write};
use std::time::Instant;

use anumati_formats::camt::CamtReader;
use anumati_formats::Options;

/// User plus system CPU time of this process so far, from /proc (Linux,
/// in clock ticks of 1/100 s): on a loaded machine this, not the wall
/// clock, is the time the parser had the core for.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the command name (which is in parentheses).
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn money(minor: i64) -> String {
    format!("{}.{:02}", minor.abs() / 100, minor.abs() % 100)
}

fn balance(out: &mut impl Write, code: &str, minor: i64) -> std::io::Result<()> {
    writeln!(
        out,
        "<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{}</Amt><CdtDbtInd>{}</CdtDbtInd><Dt><Dt>2024-03-15</Dt></Dt></Bal>",
        money(minor),
        if minor < 0 { "DBIT" } else { "CRDT" }
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let path = args.next().unwrap_or_else(|| {
        std::env::temp_dir()
            .join("anumati-1m.camt053.xml")
            .display()
            .to_string()
    });
    let flags: Vec<String> = args.collect();
    let parse_only = flags.iter().any(|f| f == "--parse-only");
    // Each statement is dropped once counted; by default it is handed back
    // to the reader (`recycle`) to hold the next ones, as a streaming
    // consumer would, `--no-recycle` drops it instead.
    let recycle = !flags.iter().any(|f| f == "--no-recycle");
    let per_statement = 1_000;
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
    let started = Instant::now();
    if !parse_only {
        let mut out = BufWriter::new(std::fs::File::create(&path)?);
        writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt><GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2024-03-15T00:00:00Z</CreDtTm></GrpHdr>")?;
        let mut written = 0;
        let mut seq = 0;
        while written < n {
            let count = per_statement.min(n - written);
            seq += 1;
            let mut entries = Vec::with_capacity(count);
            let opening = 1_000_000i64;
            let mut closing = opening;
            for _ in 0..count {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let minor = (rng % 500_000) as i64 - 250_000;
                closing += minor;
                entries.push((minor, rng));
            }
            writeln!(out, "<Stmt><Id>STMT{seq}</Id><ElctrncSeqNb>{seq}</ElctrncSeqNb><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>")?;
            balance(&mut out, "OPBD", opening)?;
            balance(&mut out, "CLBD", closing)?;
            for (i, (minor, r)) in entries.into_iter().enumerate() {
                let ind = if minor < 0 { "DBIT" } else { "CRDT" };
                let (party, acct) = if minor < 0 {
                    ("Cdtr", "CdtrAcct")
                } else {
                    ("Dbtr", "DbtrAcct")
                };
                write!(
                    out,
                    "<Ntry><Amt Ccy=\"EUR\">{amt}</Amt><CdtDbtInd>{ind}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2024-03-15</Dt></BookgDt><ValDt><Dt>2024-03-15</Dt></ValDt><AcctSvcrRef>B{r:x}</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>\n<NtryDtls><TxDtls><Refs><EndToEndId>E2E-{seq}-{i}</EndToEndId></Refs><Amt Ccy=\"EUR\">{amt}</Amt><CdtDbtInd>{ind}</CdtDbtInd><RltdPties><{party}><Pty><Nm>Stadtwerke Musterstadt GmbH</Nm></Pty></{party}><{acct}><Id><IBAN>DE02120300000000202051</IBAN></Id></{acct}></RltdPties><RmtInf><Ustrd>Rechnung {r} Kundennummer {k} Danke</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n",
                    amt = money(minor),
                    k = r % 10_000
                )?;
            }
            writeln!(out, "</Stmt>")?;
            written += count;
        }
        writeln!(out, "</BkToCstmrStmt></Document>")?;
    }
    let size = std::fs::metadata(&path)?.len();
    println!(
        "file with {n} entries, {:.1} MiB, ready in {:.2?}: {path}",
        size as f64 / 1_048_576.0,
        started.elapsed()
    );
    let rss_before = peak_rss_kib();
    let cpu_before = cpu_seconds();
    let started = Instant::now();
    let mut reader = CamtReader::new(
        BufReader::with_capacity(1 << 16, std::fs::File::open(&path)?),
        Options::default(),
    );
    let (mut statements, mut transactions) = (0usize, 0usize);
    while let Some(s) = reader.next() {
        let s = s?;
        statements += 1;
        transactions += s.transactions.len();
        if recycle {
            reader.recycle(s);
        }
    }
    let elapsed = started.elapsed();
    println!(
        "parsed {statements} statements, {transactions} transactions in {elapsed:.2?}: {:.0} transactions/s, {:.0} MiB/s",
        transactions as f64 / elapsed.as_secs_f64(),
        size as f64 / 1_048_576.0 / elapsed.as_secs_f64()
    );
    if let (Some(before), Some(after)) = (cpu_before, cpu_seconds()) {
        let cpu = after - before;
        println!(
            "CPU time (user + system) {cpu:.2} s: {:.0} transactions per CPU second",
            transactions as f64 / cpu
        );
    }
    if let (Some(before), Some(after)) = (rss_before, peak_rss_kib()) {
        println!("peak RSS: {before} KiB before parsing, {after} KiB after parsing");
    }
    Ok(())
}
