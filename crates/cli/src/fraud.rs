//! `anumati simulate --profile handbook|everyday` (card authorisations with
//! labelled fraud, written to files) and `anumati fraud eval`.
//!
//! A data directory holds three files: `events.tsv` (every authorisation in
//! time order), `labels.tsv` (the fraudulent ones only, apart from the
//! events) and `meta.json` (profile, seed, period and counts). The formats
//! are documented in `anumati_fraud::tsv`.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anumati_fraud::eval::{Evaluation, Protocol, Report};
use anumati_fraud::event::{civil_from_days, days_from_civil};
use anumati_fraud::model::TrainOptions;
use anumati_fraud::sim::{Profile, SimConfig, Simulator};
use anumati_fraud::{tsv, CardAuthorisation, Detector, DetectorConfig, Feedback, Model};
use anyhow::{bail, Context};
use clap::{Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};

/// `--profile` of `anumati simulate`.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum SimProfile {
    /// The Fraud Detection Handbook's setting: 5,000 customers, 10,000
    /// terminals, 183 days from 2018-04-01 (ignores --customers, --months,
    /// --end).
    Handbook,
    /// An everyday Indian bank: cities, merchant categories, online and
    /// foreign payments, card testing, impossible travel (--customers,
    /// --months, --end).
    Everyday,
}

#[derive(Subcommand)]
pub enum FraudCommand {
    /// Run the detector over a simulated period (`anumati simulate --profile
    /// … --data DIR`) with the handbook protocol: train on one week, wait a
    /// week for labels, test the week after. Prints AUC ROC, average
    /// precision and Card Precision@100 per day.
    Eval {
        /// The directory `anumati simulate --profile` wrote.
        #[arg(long)]
        data: PathBuf,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// First training day (YYYY-MM-DD); default 2018-07-25 for the
        /// handbook profile, else 21 days before the end.
        #[arg(long)]
        train_start: Option<jiff::civil::Date>,
        /// Add boosted trees to the logistic model.
        #[arg(long)]
        trees: bool,
        /// Detector configuration (JSON, any subset of the fields).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Write the trained model (JSON) here, for `anumati fraud score`.
        #[arg(long)]
        save_model: Option<PathBuf>,
    },
    /// Score card authorisations read from standard input, one JSON event
    /// (version 1) per line, in time order; print one JSON verdict per line:
    /// `{"id","score","alert","reasons":[{"code","text"}]}`. A line that is a
    /// feedback object (`{"id","card","customer","terminal","at","fraud"}`)
    /// updates the detector instead. Bad lines print `{"error"}` and are
    /// skipped.
    Score {
        /// A model written by `anumati fraud eval --save-model`; default the
        /// hand-set prior.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Detector configuration (JSON, any subset of the fields).
        #[arg(long)]
        config: Option<PathBuf>,
        /// Print only alerts.
        #[arg(long)]
        alerts_only: bool,
    },
}

/// `meta.json`.
#[derive(Serialize, Deserialize)]
struct Meta {
    format: u32,
    profile: Profile,
    seed: u64,
    first_day: String,
    last_day: String,
    events: u64,
    frauds: u64,
    frauds_by_scenario: HashMap<String, u64>,
    config: SimConfig,
}

fn date(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

fn days_of(date: jiff::civil::Date) -> i64 {
    days_from_civil(
        i64::from(date.year()),
        date.month() as u32,
        date.day() as u32,
    )
}

/// Writes a simulation into `dir`, streaming day by day.
pub fn simulate(
    profile: SimProfile,
    seed: u64,
    customers: u32,
    months: u32,
    end: Option<jiff::civil::Date>,
    dir: &Path,
    json: bool,
) -> anyhow::Result<()> {
    let cfg = match profile {
        SimProfile::Handbook => SimConfig::handbook(seed),
        SimProfile::Everyday => {
            let days = months.max(1) * 30;
            let end = end.unwrap_or_else(|| {
                jiff::Zoned::now()
                    .with_time_zone(jiff::tz::TimeZone::UTC)
                    .date()
            });
            let start = days_of(end) - i64::from(days) + 1;
            SimConfig::everyday(seed, customers.max(1), days, start)
        }
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let started = Instant::now();
    let open = |name: &str| -> anyhow::Result<BufWriter<File>> {
        let path = dir.join(name);
        Ok(BufWriter::with_capacity(
            1 << 20,
            File::create(&path).with_context(|| format!("creating {}", path.display()))?,
        ))
    };
    let mut events_out = open("events.tsv")?;
    let mut labels_out = open("labels.tsv")?;
    tsv::write_events_header(&mut events_out)?;
    tsv::write_labels_header(&mut labels_out)?;
    let mut sim = Simulator::new(cfg.clone());
    let (mut events, mut frauds) = (0u64, 0u64);
    let mut by_scenario: HashMap<String, u64> = HashMap::new();
    while let Some(day) = sim.next_day() {
        for e in &day.events {
            tsv::write_event(&mut events_out, e)?;
        }
        for l in &day.labels {
            tsv::write_label(&mut labels_out, l)?;
            *by_scenario
                .entry(
                    serde_json::to_value(l.scenario)?
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                )
                .or_default() += 1;
        }
        events += day.events.len() as u64;
        frauds += day.labels.len() as u64;
    }
    events_out.flush()?;
    labels_out.flush()?;
    let meta = Meta {
        format: 1,
        profile: cfg.profile,
        seed,
        first_day: date(cfg.start_day),
        last_day: date(cfg.start_day + i64::from(cfg.days) - 1),
        events,
        frauds,
        frauds_by_scenario: by_scenario,
        config: cfg,
    };
    std::fs::write(dir.join("meta.json"), serde_json::to_string_pretty(&meta)?)?;
    let seconds = started.elapsed().as_secs_f64();
    if json {
        println!(
            "{}",
            serde_json::json!({ "meta": meta, "seconds": seconds, "data": dir })
        );
    } else {
        println!(
            "simulated {} ({} to {}): {events} authorisations, {frauds} fraudulent ({:.2}%), in {seconds:.1} s → {}",
            meta.profile.name(),
            meta.first_day,
            meta.last_day,
            100.0 * frauds as f64 / events.max(1) as f64,
            dir.display()
        );
    }
    Ok(())
}

pub fn run(command: FraudCommand) -> anyhow::Result<()> {
    match command {
        FraudCommand::Eval {
            data,
            json,
            train_start,
            trees,
            config,
            save_model,
        } => eval(
            &data,
            json,
            train_start,
            trees,
            config.as_deref(),
            save_model.as_deref(),
        ),
        FraudCommand::Score {
            model,
            config,
            alerts_only,
        } => score(model.as_deref(), config.as_deref(), alerts_only),
    }
}

fn read_config(config: Option<&Path>) -> anyhow::Result<DetectorConfig> {
    Ok(match config {
        Some(path) => serde_json::from_str(
            &std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?,
        )
        .with_context(|| format!("{}", path.display()))?,
        None => DetectorConfig::default(),
    })
}

fn score(model: Option<&Path>, config: Option<&Path>, alerts_only: bool) -> anyhow::Result<()> {
    let model = match model {
        Some(path) => serde_json::from_str(
            &std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?,
        )
        .with_context(|| format!("{}", path.display()))?,
        None => Model::prior(),
    };
    let mut detector = Detector::new(read_config(config)?, model)?;
    let stdin = std::io::stdin();
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for line in stdin.lock().lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        match CardAuthorisation::from_json(&line) {
            Ok(event) => {
                let a = detector.assess(&event);
                if a.alert || !alerts_only {
                    let verdict = serde_json::json!({
                        "id": event.id,
                        "score": a.score,
                        "alert": a.alert,
                        "reasons": a.reasons,
                    });
                    writeln!(out, "{verdict}")?;
                }
            }
            Err(event_error) => match serde_json::from_str::<Feedback>(&line) {
                Ok(feedback) => detector.feedback(&feedback),
                Err(_) => {
                    writeln!(
                        out,
                        "{}",
                        serde_json::json!({ "error": event_error.to_string() })
                    )?;
                }
            },
        }
    }
    out.flush()?;
    Ok(())
}

fn eval(
    dir: &Path,
    json: bool,
    train_start: Option<jiff::civil::Date>,
    trees: bool,
    config: Option<&Path>,
    save_model: Option<&Path>,
) -> anyhow::Result<()> {
    let meta: Meta = serde_json::from_str(
        &std::fs::read_to_string(dir.join("meta.json")).with_context(|| {
            format!(
                "reading {}/meta.json (made by anumati simulate --profile)",
                dir.display()
            )
        })?,
    )
    .context("meta.json")?;
    let cfg = read_config(config)?;
    let protocol = match (train_start, meta.profile) {
        (Some(d), _) => Protocol::starting(days_of(d)),
        (None, Profile::Handbook) => Protocol::handbook(),
        (None, Profile::Everyday) => {
            Protocol::ending(meta.config.start_day + i64::from(meta.config.days) - 1)
        }
    };
    let started = Instant::now();
    let mut labels = HashMap::new();
    let path = dir.join("labels.tsv");
    let reader =
        BufReader::new(File::open(&path).with_context(|| format!("opening {}", path.display()))?);
    for (i, line) in reader.lines().enumerate() {
        if let Some(l) = tsv::parse_label_line(i as u64 + 1, &line?)? {
            labels.insert(l.id, l.scenario);
        }
    }
    let training = if trees {
        TrainOptions {
            boost: Some(Default::default()),
            ..TrainOptions::default()
        }
    } else {
        TrainOptions::default()
    };
    let mut evaluation = Evaluation::new(cfg, protocol, labels)?.with_training(training);
    let path = dir.join("events.tsv");
    let mut reader = BufReader::with_capacity(
        1 << 20,
        File::open(&path).with_context(|| format!("opening {}", path.display()))?,
    );
    let mut line = String::new();
    let mut line_no = 0u64;
    let mut last = i64::MIN;
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        line_no += 1;
        if let Some(event) = tsv::parse_event_line(line_no, &line)? {
            if event.at.unix < last {
                bail!("{}: line {line_no} is out of time order", path.display());
            }
            last = event.at.unix;
            evaluation.push(&event);
        }
    }
    let report = evaluation.finish()?;
    if let (Some(path), Some(model)) = (save_model, &report.model) {
        std::fs::write(path, serde_json::to_string_pretty(model)?)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let seconds = started.elapsed().as_secs_f64();
    if json {
        println!(
            "{}",
            serde_json::to_string(&JsonReport {
                report: &report,
                seconds
            })?
        );
    } else {
        print_report(&report, seconds);
    }
    Ok(())
}

#[derive(Serialize)]
struct JsonReport<'a> {
    #[serde(flatten)]
    report: &'a Report,
    seconds: f64,
}

fn print_report(r: &Report, seconds: f64) {
    let p = &r.protocol;
    println!(
        "train {} to {} ({} payments, {} fraudulent); labels {} days late; test {} to {} ({} payments, {} fraudulent)",
        date(p.train_start_day),
        date(p.train_start_day + p.train_days - 1),
        r.train_events,
        r.train_frauds,
        p.delay_days,
        date(p.train_start_day + p.train_days + p.delay_days),
        date(p.train_start_day + p.train_days + p.delay_days + p.test_days - 1),
        r.test_events,
        r.test_frauds
    );
    println!("AUC ROC             {:.3}", r.auc_roc);
    println!("average precision   {:.3}", r.average_precision);
    println!("Card Precision@100  {:.3}", r.card_precision_at_100);
    for (i, v) in r.card_precision_at_100_per_day.iter().enumerate() {
        println!(
            "  {}  {:.2}",
            date(p.train_start_day + p.train_days + p.delay_days + i as i64),
            v
        );
    }
    for s in &r.by_scenario {
        println!(
            "  scenario {:?}: {} test frauds, AUC ROC {:.3}",
            s.scenario, s.frauds, s.auc_roc
        );
    }
    println!("({} authorisations read in {seconds:.1} s)", r.events);
}
