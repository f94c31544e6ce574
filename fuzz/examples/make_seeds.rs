//! Writes the seeds that cannot simply be copied from fixtures:
//!
//! - `corpus/nlu_model/`: small models trained on `data/utterances`
//!   (written by `Classifier::to_bytes`, so the fuzzer starts from valid
//!   files), plus a wrapped body for the body-only mode;
//! - `corpus/entities/`: each utterance text on its own, and a few
//!   hand-written messages with amounts, dates, names.
//!
//! Run by `seed.sh` (`cargo run --release --example make_seeds -- DIR`).

use std::path::{Path, PathBuf};

use anumati_nlu::classifier::{Classifier, TrainConfig};
use anumati_nlu::csv::{read_csv, Example};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out: PathBuf = std::env::args_os().nth(1).map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus"),
        PathBuf::from,
    );

    let mut all: Vec<Example> = Vec::new();
    for lang in ["en", "hi", "hinglish"] {
        let path = root.join(format!("data/utterances/{lang}.csv"));
        let text = std::fs::read_to_string(&path).expect("read utterances");
        all.extend(read_csv(&text, &path.display().to_string()).expect("parse utterances"));
    }

    let entities = out.join("entities");
    std::fs::create_dir_all(&entities).expect("create corpus/entities");
    let extra = [
        "pichle mahine swigy pe 500 se zyada wale",
        "send ₹2,50,000.50 to Priya on 5/3",
        "between 1k and 5k at zomato last 3 months",
        "पिछले 3 महीने में मुंबई में डेढ़ लाख से कम",
        "top 5 transactions in NYC since 1 May 2025",
        "usse pehle wala mahina",
        "kal rahul ko 2 se 5 lakh tak bhej dena",
        "$99999999999999999999.99 over 12/31/2024",
        "spent 1.5 crore on 29 feb",
        "the month before",
    ];
    for (i, text) in all.iter().map(|e| e.text.as_str()).chain(extra).enumerate() {
        std::fs::write(entities.join(format!("u{i:04}")), text).expect("write seed");
    }

    let models = out.join("nlu_model");
    std::fs::create_dir_all(&models).expect("create corpus/nlu_model");
    // Small on purpose: libFuzzer mutates small inputs far better.
    let configs = [
        (
            "tiny",
            2usize,
            TrainConfig {
                min_df: 1,
                word_max_n: 1,
                char_min_n: 3,
                char_max_n: 3,
                calibrate: false,
                threads: 1,
                ..TrainConfig::default()
            },
        ),
        (
            "small",
            12,
            TrainConfig {
                min_df: 1,
                word_max_n: 2,
                char_min_n: 2,
                char_max_n: 3,
                calibrate: false,
                threads: 1,
                ..TrainConfig::default()
            },
        ),
    ];
    for (name, per_label, config) in configs {
        let mut picked: Vec<Example> = Vec::new();
        let mut labels: Vec<&str> = all.iter().map(|e| e.label.as_str()).collect();
        labels.sort_unstable();
        labels.dedup();
        for label in labels.iter().take(4) {
            picked.extend(
                all.iter()
                    .filter(|e| e.label == *label)
                    .take(per_label)
                    .cloned(),
            );
        }
        let model = Classifier::train(&picked, &config);
        let bytes = model.to_bytes();
        // The body alone, for the target's wrapped mode.
        std::fs::write(
            models.join(format!("{name}.body")),
            &bytes[20..bytes.len() - 8],
        )
        .expect("write seed");
        std::fs::write(models.join(format!("{name}.model")), bytes).expect("write seed");
    }
    println!("seeds written under {}", out.display());
}
