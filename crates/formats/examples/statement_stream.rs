//! Parses a statement file of any format (detected) streaming from the
//! file, one statement at a time through the format's reader (a CSV
//! through `csv::parse`, which keeps its rows), dropping each statement
//! once counted, and prints the entry count, the time, the CPU time and the
//! peak memory: what streaming keeps flat.
//!
//! `cargo run --release -p anumati-formats --example statement_stream -- FILE`

use std::time::Instant;

use anumati_formats::camt::CamtReader;
use anumati_formats::csv;
use anumati_formats::mt940::Mt940Reader;
use anumati_formats::ofx::OfxReader;
use anumati_formats::{Format, Options, ParseError, Statement};

fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// User plus system CPU time so far, from /proc (clock ticks of 1/100 s).
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let f: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: statement_stream FILE")?;
    let size = std::fs::metadata(&path)?.len();
    let (rss, cpu) = (peak_rss_kib(), cpu_seconds());
    let started = Instant::now();
    let mut file = std::io::BufReader::with_capacity(1 << 16, std::fs::File::open(&path)?);
    let format = Format::detect(std::io::BufRead::fill_buf(&mut file)?).ok_or("unknown format")?;
    let options = Options::default();
    let (mut statements, mut entries) = (0usize, 0usize);
    let mut count = |s: Result<Statement, ParseError>| -> Result<(), ParseError> {
        statements += 1;
        entries += s?.transactions.len();
        Ok(())
    };
    match format {
        Format::Mt940 | Format::Mt942 => {
            Mt940Reader::new(file, options).try_for_each(&mut count)?
        }
        Format::Camt052 | Format::Camt053 | Format::Camt054 => {
            CamtReader::new(file, options).try_for_each(&mut count)?
        }
        Format::Ofx => OfxReader::new(file, options).try_for_each(&mut count)?,
        Format::Csv => csv::parse(file, options)?
            .statements
            .into_iter()
            .try_for_each(|s| count(Ok(s)))?,
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{path}: {format:?}, {:.1} MiB, {statements} statements, {entries} entries in {seconds:.3} s ({:.0} entries/s)",
        size as f64 / 1_048_576.0,
        entries as f64 / seconds
    );
    if let (Some(before), Some(after)) = (cpu, cpu_seconds()) {
        println!("CPU time (user + system) {:.2} s", after - before);
    }
    if let (Some(before), Some(after)) = (rss, peak_rss_kib()) {
        println!("peak RSS: {before} KiB before, {after} KiB after");
    }
    Ok(())
}
