//! How static-embeddings files and the fine-tuned model compare on
//! Banking77 (the figures in `tools/distill/README.md` and BENCHMARKS.md):
//! for each file and block weight, a model trained as `anumati nlu train`
//! does on all of Banking77 but the development split (every 10th example
//! of each intent), and its accuracy on that split. `folds=K` instead
//! cross-validates on the first K of the ten folds (the development split
//! is the tenth); `split=S` instead holds out a tenth of each intent
//! shuffled with seed S (as `anumati nlu split --seed S` does); `none` is
//! n-grams alone; `untuned` leaves out the
//! fine-tuned model for the weights after it, `tuned` puts it back.
//!
//! ```sh
//! cargo run --release -p anumati-nlu --example embed_eval -- \
//!     none 0 data/nlu/static-embeddings.bin 1 1.5 2 untuned 1.5
//! ```

use std::sync::Arc;

use anumati_nlu::classifier::embed::StaticEmbeddings;
use anumati_nlu::classifier::{tuned, Classifier, TrainConfig};
use anumati_nlu::corpus;
use anumati_nlu::eval::{evaluate, stratified_split};

fn main() {
    let all = corpus::banking77();
    let (mut folds, mut file, mut embeddings, mut fine_tune) = (0, String::new(), None, true);
    let mut seed = None;
    for arg in std::env::args().skip(1) {
        if let Some(k) = arg.strip_prefix("folds=") {
            folds = k.parse().expect("folds=K");
        } else if let Some(s) = arg.strip_prefix("split=") {
            seed = Some(s.parse().expect("split=SEED"));
        } else if arg == "untuned" || arg == "tuned" {
            fine_tune = arg == "tuned";
        } else if let Ok(weight) = arg.parse::<f32>() {
            // Calibrated as the product is: the fitted weight of the
            // fine-tuned model changes the best label.
            let config = TrainConfig {
                embeddings: embeddings.clone().map(|e| (e, weight)),
                tuned: fine_tune.then_some(tuned::DEFAULT_PARAMS),
                ..TrainConfig::default()
            };
            let splits = match (folds, seed) {
                (0, Some(s)) => vec![stratified_split(&all, 0.1, Some(s))],
                (0, None) => vec![corpus::held_out(all.clone())],
                (k, _) => (0..k).map(|k| corpus::fold(&all, 10, k)).collect(),
            };
            let (mut right, mut total, mut fitted) = (0, 0, Vec::new());
            for (train, test) in &splits {
                let start = std::time::Instant::now();
                let model = Classifier::train(train, &config);
                let seconds = start.elapsed().as_secs_f64();
                if splits.len() == 1 {
                    // What `anumati nlu eval` prints, on the same functions.
                    let r = evaluate(&model, test);
                    println!(
                        "  macro-F1 {:.2}%, p50 {:.1} us, p99 {:.1} us, training {seconds:.2} s, model {:.1} MB",
                        100.0 * r.macro_f1,
                        r.p50_us,
                        r.p99_us,
                        model.to_bytes().len() as f64 / 1e6
                    );
                }
                fitted.push(format!(
                    "T {:.2} tuned {:?}",
                    model.temperature(),
                    model.tuned_weight()
                ));
                right += test
                    .iter()
                    .filter(|e| model.predict(&e.text).label == e.label)
                    .count();
                total += test.len();
            }
            let accuracy = 100.0 * right as f64 / total as f64;
            let mode = if fine_tune && embeddings.is_some() {
                "+ tuned"
            } else {
                ""
            };
            println!(
                "{file} weight {weight} {mode}: {accuracy:.2}% ({right}/{total}) [{}]",
                fitted.join("; ")
            );
        } else {
            embeddings = (arg != "none").then(|| {
                let bytes = std::fs::read(&arg).expect("reading the embeddings file");
                Arc::new(StaticEmbeddings::from_bytes(&bytes).expect("an embeddings file"))
            });
            file = arg;
        }
    }
}
