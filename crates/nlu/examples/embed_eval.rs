//! How static-embeddings files compare on Banking77 (the figures in
//! `tools/distill/README.md`): for each file and block weight, a model
//! trained as `anumati nlu train` does on all of Banking77 but the
//! development split (every 10th example of each intent), and its accuracy
//! on that split. `folds=K` instead cross-validates on the first K of the
//! ten folds (the development split is the tenth); `none` is n-grams alone.
//!
//! ```sh
//! cargo run --release -p anumati-nlu --example embed_eval -- \
//!     none 0 data/nlu/static-embeddings.bin 1 1.5 2
//! ```

use std::sync::Arc;

use anumati_nlu::classifier::embed::StaticEmbeddings;
use anumati_nlu::classifier::{Classifier, TrainConfig};
use anumati_nlu::corpus;

fn main() {
    let all = corpus::banking77();
    let (mut folds, mut file, mut embeddings) = (0, String::new(), None);
    for arg in std::env::args().skip(1) {
        if let Some(k) = arg.strip_prefix("folds=") {
            folds = k.parse().expect("folds=K");
        } else if let Ok(weight) = arg.parse::<f32>() {
            let config = TrainConfig {
                calibrate: false, // the temperature does not change the best label
                embeddings: embeddings.clone().map(|e| (e, weight)),
                ..TrainConfig::default()
            };
            let splits = match folds {
                0 => vec![corpus::held_out(all.clone())],
                k => (0..k).map(|k| corpus::fold(&all, 10, k)).collect(),
            };
            let (mut right, mut total) = (0, 0);
            for (train, test) in &splits {
                let model = Classifier::train(train, &config);
                right += test
                    .iter()
                    .filter(|e| model.predict(&e.text).label == e.label)
                    .count();
                total += test.len();
            }
            let accuracy = 100.0 * right as f64 / total as f64;
            println!("{file} weight {weight}: {accuracy:.2}% ({right}/{total})");
        } else {
            embeddings = (arg != "none").then(|| {
                let bytes = std::fs::read(&arg).expect("reading the embeddings file");
                Arc::new(StaticEmbeddings::from_bytes(&bytes).expect("an embeddings file"))
            });
            file = arg;
        }
    }
}
