//! `anumati nlu`: train, evaluate and try the intent classifier, and make a
//! development split.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anumati_nlu::classifier::{Classifier, TrainConfig};
use anumati_nlu::csv::{read_csv, write_csv, Example};
use anumati_nlu::eval::{evaluate, stratified_split, Report};
use anyhow::{bail, Context};
use clap::Subcommand;

#[derive(Subcommand)]
pub enum NluCommand {
    /// Train an intent classifier on a CSV (header `text,category`) and write the model.
    Train {
        /// Labelled examples.
        #[arg(long)]
        data: PathBuf,
        /// Where to write the model.
        #[arg(long)]
        out: PathBuf,
        /// Seed of the training order (the model is deterministic for a seed).
        #[arg(long)]
        seed: Option<u64>,
        /// Word and character n-grams alone, without the compiled-in static
        /// sentence embeddings.
        #[arg(long)]
        no_embeddings: bool,
        /// The SVMs alone, without the fine-tuned static-vector model
        /// beside them (implied by --no-embeddings).
        #[arg(long)]
        no_tuned: bool,
        /// Without the compiled-in sentence encoder and the softmax layer
        /// trained on its vectors.
        #[arg(long)]
        no_encoder: bool,
    },
    /// Evaluate a model on a labelled CSV: accuracy, macro-F1, latency per
    /// query (one at a time, one thread), per-intent precision and recall,
    /// the most confused pairs.
    Eval {
        #[arg(long)]
        model: PathBuf,
        /// Labelled test examples (header `text,category`).
        #[arg(long)]
        test: PathBuf,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Split a labelled CSV into train and development parts, stratified by
    /// label and deterministic (without a seed: every 1/FRACTION-th example
    /// of each label, in file order).
    Split {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        train_out: PathBuf,
        #[arg(long)]
        dev_out: PathBuf,
        /// Share of each label held out for development.
        #[arg(long, default_value_t = 0.1)]
        fraction: f64,
        /// Shuffle each label's examples with this seed before holding out.
        #[arg(long)]
        seed: Option<u64>,
    },
    /// Classify texts (the arguments, or one a line from standard input).
    Predict {
        #[arg(long)]
        model: PathBuf,
        /// One JSON object a text.
        #[arg(long)]
        json: bool,
        texts: Vec<String>,
    },
    /// The product's own corpus, held out: accuracy per source (Banking77's
    /// development part; the project's English, Hindi and Hinglish
    /// utterances by cross-validation), training as the product does.
    Report {
        /// One JSON object.
        #[arg(long)]
        json: bool,
        /// Folds of the cross-validation over the project's own utterances.
        #[arg(long, default_value_t = 5)]
        folds: usize,
        /// Times each own utterance counts in training.
        #[arg(long, default_value_t = anumati_nlu::corpus::OWN_REPEAT)]
        repeat: usize,
    },
}

pub fn run(command: NluCommand) -> anyhow::Result<()> {
    match command {
        NluCommand::Train {
            data,
            out,
            seed,
            no_embeddings,
            no_tuned,
            no_encoder,
        } => train(&data, &out, seed, no_embeddings, no_tuned, no_encoder),
        NluCommand::Eval { model, test, json } => eval(&model, &test, json),
        NluCommand::Split {
            data,
            train_out,
            dev_out,
            fraction,
            seed,
        } => split(&data, &train_out, &dev_out, fraction, seed),
        NluCommand::Predict { model, json, texts } => predict(&model, json, texts),
        NluCommand::Report {
            json,
            folds,
            repeat,
        } => report(json, folds, repeat),
    }
}

fn read_examples(path: &Path) -> anyhow::Result<Vec<Example>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(read_csv(&text, &path.display().to_string())?)
}

fn load_model(path: &Path) -> anyhow::Result<Classifier> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    Classifier::from_bytes(&bytes).with_context(|| format!("loading model {}", path.display()))
}

fn train(
    data: &Path,
    out: &Path,
    seed: Option<u64>,
    no_embeddings: bool,
    no_tuned: bool,
    no_encoder: bool,
) -> anyhow::Result<()> {
    let examples = read_examples(data)?;
    if examples.is_empty() {
        bail!("{}: no examples to train on", data.display());
    }
    let mut config = TrainConfig::default();
    if let Some(seed) = seed {
        config.seed = seed;
    }
    if no_embeddings {
        config.embeddings = None;
    }
    if no_embeddings || no_tuned {
        config.tuned = None;
    }
    if no_encoder {
        config.encoder = None;
        config.encoder_head = None;
    }
    let start = Instant::now();
    let model = Classifier::train(&examples, &config);
    let seconds = start.elapsed().as_secs_f64();
    let bytes = model.to_bytes();
    std::fs::write(out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    println!(
        "trained on {} examples, {} intents, {} features in {seconds:.2} s (temperature {:.2}, fine-tuned model {}, encoder head {}); wrote {} ({:.1} MB)",
        examples.len(),
        model.labels().len(),
        model.feature_count(),
        model.temperature(),
        model
            .tuned_weight()
            .map_or("none".to_string(), |w| format!("at weight {w}")),
        model
            .head_weight()
            .map_or("none".to_string(), |w| format!("at weight {w}")),
        out.display(),
        bytes.len() as f64 / 1e6,
    );
    Ok(())
}

fn eval(model_path: &Path, test: &Path, json: bool) -> anyhow::Result<()> {
    let model = load_model(model_path)?;
    let examples = read_examples(test)?;
    let unknown: std::collections::BTreeSet<&str> = examples
        .iter()
        .map(|e| e.label.as_str())
        .filter(|l| {
            model
                .labels()
                .binary_search_by(|m| m.as_str().cmp(l))
                .is_err()
        })
        .collect();
    if !unknown.is_empty() {
        eprintln!(
            "warning: {} test intent(s) unknown to the model, always wrong: {}",
            unknown.len(),
            unknown.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    let report = evaluate(&model, &examples);
    let mut out = std::io::stdout().lock();
    if json {
        // Written as a string, so a closed pipe is an io::Error (quiet in main).
        writeln!(out, "{}", serde_json::to_string(&report)?)?;
    } else {
        print_report(&mut out, &report)?;
    }
    Ok(())
}

fn print_report(out: &mut impl Write, r: &Report) -> std::io::Result<()> {
    writeln!(out, "examples   {}", r.examples)?;
    writeln!(out, "accuracy   {:.2}%", 100.0 * r.accuracy)?;
    writeln!(out, "macro-F1   {:.2}%", 100.0 * r.macro_f1)?;
    writeln!(
        out,
        "latency    p50 {:.1} µs, p99 {:.1} µs, mean {:.1} µs (one query at a time, one thread)",
        r.p50_us, r.p99_us, r.mean_us
    )?;
    writeln!(out)?;
    let width = r
        .per_intent
        .iter()
        .map(|s| s.intent.chars().count())
        .max()
        .unwrap_or(6)
        .max(6);
    writeln!(out, "{:width$}  precision  recall  support", "intent")?;
    for s in &r.per_intent {
        writeln!(
            out,
            "{:width$}  {:>8.1}%  {:>5.1}%  {:>7}",
            s.intent,
            100.0 * s.precision,
            100.0 * s.recall,
            s.support
        )?;
    }
    if !r.confused.is_empty() {
        writeln!(out)?;
        writeln!(out, "most confused (expected -> predicted):")?;
        for c in &r.confused {
            writeln!(out, "{:>5}  {} -> {}", c.count, c.expected, c.predicted)?;
        }
    }
    Ok(())
}

fn split(
    data: &Path,
    train_out: &Path,
    dev_out: &Path,
    fraction: f64,
    seed: Option<u64>,
) -> anyhow::Result<()> {
    if !(fraction > 0.0 && fraction < 1.0) {
        bail!("--fraction must be between 0 and 1 (exclusive), not {fraction}");
    }
    let examples = read_examples(data)?;
    let (train, dev) = stratified_split(&examples, fraction, seed);
    for (path, part) in [(train_out, &train), (dev_out, &dev)] {
        std::fs::write(path, write_csv(part))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    println!(
        "{} examples: {} to {}, {} to {}",
        examples.len(),
        train.len(),
        train_out.display(),
        dev.len(),
        dev_out.display()
    );
    Ok(())
}

fn predict(model_path: &Path, json: bool, texts: Vec<String>) -> anyhow::Result<()> {
    let model = load_model(model_path)?;
    let mut out = std::io::stdout().lock();
    let mut one = |text: &str| -> anyhow::Result<()> {
        let p = model.predict(text);
        if json {
            let line = serde_json::json!({ "text": text, "prediction": p });
            writeln!(out, "{line}")?;
        } else {
            let top: Vec<String> = p.top.iter().map(|(l, p)| format!("{l} {p:.3}")).collect();
            writeln!(out, "{}\t{}", text, top.join("  "))?;
        }
        Ok(())
    };
    if texts.is_empty() {
        for line in std::io::stdin().lock().lines() {
            one(&line?)?;
        }
    } else {
        for t in &texts {
            one(t)?;
        }
    }
    Ok(())
}

fn report(json: bool, folds: usize, repeat: usize) -> anyhow::Result<()> {
    use anumati_nlu::corpus;
    if folds < 2 {
        bail!("--folds must be at least 2");
    }
    let (b77_train, b77_dev) = corpus::held_out(corpus::banking77());
    let own: Vec<(String, Vec<Example>)> = corpus::LANGUAGES
        .iter()
        .map(|(l, _)| (l.to_string(), corpus::utterances(l)))
        .collect();
    // Per source: (expected, predicted) pairs over all folds, and latencies.
    let mut pairs: Vec<(String, Vec<(String, String)>)> = std::iter::once("banking77".to_owned())
        .chain(own.iter().map(|(l, _)| l.clone()))
        .map(|name| (name, Vec::new()))
        .collect();
    let mut seconds = Vec::new();
    for k in 0..folds {
        let mut train_own = Vec::new();
        let mut tests = Vec::new();
        for (_, examples) in &own {
            let (rest, held) = corpus::fold(examples, folds, k);
            train_own.extend(rest);
            tests.push(held);
        }
        let start = Instant::now();
        let model = Classifier::train(
            &corpus::weighted(b77_train.clone(), &train_own, repeat),
            &TrainConfig::default(),
        );
        seconds.push(start.elapsed().as_secs_f64());
        // Banking77's development part is the same in every fold: once.
        if k == 0 {
            for e in &b77_dev {
                pairs[0]
                    .1
                    .push((e.label.clone(), model.predict(&e.text).label));
            }
        }
        for (i, test) in tests.iter().enumerate() {
            for e in test {
                pairs[i + 1]
                    .1
                    .push((e.label.clone(), model.predict(&e.text).label));
            }
        }
    }
    let mut reports = serde_json::Map::new();
    let mut out = std::io::stdout().lock();
    if !json {
        writeln!(
            out,
            "Banking77: trained without its every-10th example of each intent, tested on those.\n\
             Own utterances: {folds}-fold cross-validation, each example tested once (own data \
             repeated {repeat}x in training). Training took {:.1} s a fold.",
            seconds.iter().sum::<f64>() / seconds.len() as f64
        )?;
        writeln!(
            out,
            "{:10} {:>8} {:>9} {:>9}",
            "source", "examples", "accuracy", "macro-F1"
        )?;
    }
    for (name, list) in &pairs {
        let r = anumati_nlu::eval::score(list.iter().map(|(e, p)| (e.as_str(), p.as_str())));
        if !json {
            writeln!(
                out,
                "{name:10} {:>8} {:>8.2}% {:>8.2}%",
                r.examples,
                100.0 * r.accuracy,
                100.0 * r.macro_f1
            )?;
            for c in r.confused.iter().take(5) {
                writeln!(out, "{:>14} {} -> {}", c.count, c.expected, c.predicted)?;
            }
        }
        reports.insert(name.clone(), serde_json::to_value(&r)?);
    }
    if json {
        writeln!(out, "{}", serde_json::Value::Object(reports))?;
    }
    Ok(())
}
