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
//! `test=CSV` instead trains on the whole training split and tests on that
//! file (`data/banking77/test.csv`, the official test split). `c=`, `ww=`,
//! `cw=`, `cmin=`, `cmax=`, `wn=`, `mindf=` set the SVMs' cost and the
//! n-gram features ([`TrainConfig`]'s fields). An embeddings file name with
//! `{}` is read per held-out fold (`{}` the fold). `dump=PATH` writes each
//! test text's fold, label index, SVM scores, fine-tuned and encoder-head
//! log-probabilities (and `PATH.texts`: label and text); `drop=FILE` leaves
//! the training examples it lists (`label<TAB>text` lines) out. `enc=W`
//! sets the sentence encoder's block weight (0: none); `encfile=PATH` reads
//! another encoder file (`{}`: one per held-out fold, made by
//! `tools/distill/encoder.py --hold-out-fold K`); `hepochs=`, `hlr=` the
//! encoder head's passes and learning rate.
//!
//! ```sh
//! cargo run --release -p anumati-nlu --example embed_eval -- \
//!     none 0 data/nlu/static-embeddings.bin 1 1.5 2 untuned 1.5
//! cargo run --release -p anumati-nlu --example embed_eval -- \
//!     folds=10 c=1 data/nlu/static-embeddings.bin 1.5
//! ```

use std::sync::Arc;

use anumati_nlu::classifier::embed::StaticEmbeddings;
use anumati_nlu::classifier::encoder::{self, Encoder};
use anumati_nlu::classifier::teacher::Targets;
use anumati_nlu::classifier::{tuned, Classifier, TrainConfig};
use anumati_nlu::corpus;
use anumati_nlu::eval::{evaluate, stratified_split};

fn main() {
    let all = corpus::banking77();
    let (mut folds, mut file, mut embeddings, mut fine_tune) = (0, String::new(), None, true);
    let mut seed = None;
    // targets=PATTERN: teacher targets per evaluation fold ("{}" is the
    // fold held out: the teacher must not have seen it); alpha=, ttemp=:
    // their weight and temperature; dump=PATH: every test text's scores.
    let (mut targets, mut tune) = (None::<String>, tuned::DEFAULT_PARAMS);
    let mut dump = None::<String>;
    let mut test_file = None::<Vec<anumati_nlu::csv::Example>>;
    let mut drop = std::collections::HashSet::<(String, String)>::new();
    let mut folds_list = None::<Vec<usize>>;
    let mut encoder_file = None::<String>;
    // augsvm: the teacher file's variants join the training set with their
    // source's label (for every model, not only the fine-tuned one).
    let mut aug_svm = false;
    // c=, ww=, cw=, cmin=, cmax=, wn=, mindf=: the SVMs' cost and the
    // n-gram features (TrainConfig's fields of those names).
    let mut base = TrainConfig::default();
    for arg in std::env::args().skip(1) {
        if let Some((key, value)) = arg
            .split_once('=')
            .filter(|(k, _)| ["c", "ww", "cw", "cmin", "cmax", "wn", "mindf"].contains(k))
        {
            match key {
                "c" => base.svm_c = value.parse().expect("KEY=NUMBER"),
                "ww" => base.word_weight = value.parse().expect("KEY=NUMBER"),
                "cw" => base.char_weight = value.parse().expect("KEY=NUMBER"),
                "cmin" => base.char_min_n = value.parse().expect("KEY=NUMBER"),
                "cmax" => base.char_max_n = value.parse().expect("KEY=NUMBER"),
                "wn" => base.word_max_n = value.parse().expect("KEY=NUMBER"),
                _ => base.min_df = value.parse().expect("KEY=NUMBER"),
            }
        } else if let Some(w) = arg.strip_prefix("enc=") {
            // The sentence encoder's block weight (0: no encoder).
            let w: f32 = w.parse().expect("enc=WEIGHT");
            base.encoder = (w != 0.0).then(|| (encoder::builtin(), w));
        } else if let Some(v) = arg.strip_prefix("hepochs=") {
            // The encoder head's training passes and rate.
            let mut h = base.encoder_head.unwrap_or(encoder::DEFAULT_HEAD);
            h.epochs = v.parse().expect("hepochs=N");
            base.encoder_head = Some(h);
        } else if let Some(v) = arg.strip_prefix("hlr=") {
            let mut h = base.encoder_head.unwrap_or(encoder::DEFAULT_HEAD);
            h.lr = v.parse().expect("hlr=X");
            base.encoder_head = Some(h);
        } else if let Some(p) = arg.strip_prefix("encfile=") {
            // Another encoder file ("{}": one per held-out fold).
            encoder_file = Some(p.to_string());
        } else if let Some(p) = arg.strip_prefix("targets=") {
            targets = (p != "none").then(|| p.to_string());
        } else if let Some(a) = arg.strip_prefix("alpha=") {
            tune.teacher_weight = a.parse().expect("alpha=W");
        } else if let Some(a) = arg.strip_prefix("ttemp=") {
            tune.teacher_temperature = a.parse().expect("ttemp=T");
        } else if let Some(a) = arg.strip_prefix("epochs=") {
            tune.epochs = a.parse().expect("epochs=N");
        } else if arg == "augsvm" {
            aug_svm = true;
        } else if arg == "variants" || arg == "novariants" {
            tune.variants = arg == "variants";
        } else if let Some(a) = arg.strip_prefix("lr=") {
            tune.lr = a.parse().expect("lr=X");
        } else if let Some(a) = arg.strip_prefix("test=") {
            // Train on all of Banking77's training split, test on this CSV
            // (the official test split).
            let text = std::fs::read_to_string(a).expect("reading the test file");
            test_file = Some(anumati_nlu::csv::read_csv(&text, a).expect("a test CSV"));
        } else if let Some(a) = arg.strip_prefix("drop=") {
            // Lines "label\ttext": training examples to leave out (never
            // test ones).
            let text = std::fs::read_to_string(a).expect("reading the drop file");
            drop = text
                .lines()
                .filter_map(|l| l.split_once('\t'))
                .map(|(l, t)| (l.to_string(), t.to_string()))
                .collect();
        } else if let Some(a) = arg.strip_prefix("dump=") {
            dump = Some(a.to_string());
        } else if let Some(a) = arg.strip_prefix("only=") {
            folds_list = Some(a.split(',').map(|k| k.parse().expect("only=K,K")).collect());
        } else if let Some(k) = arg.strip_prefix("folds=") {
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
                // (a file name with "{}" is loaded per fold, below)
                tuned: fine_tune.then_some(tune),
                teacher: None,
                ..base.clone()
            };
            let ks: Vec<usize> = match (&folds_list, folds) {
                (Some(l), _) => l.clone(),
                (None, k) => (0..k).collect(),
            };
            let splits: Vec<(usize, _)> = match (&test_file, ks.is_empty(), seed) {
                (Some(test), _, _) => vec![(9, (all.clone(), test.clone()))],
                (None, true, Some(s)) => vec![(9, stratified_split(&all, 0.1, Some(s)))],
                (None, true, None) => vec![(9, corpus::held_out(all.clone()))],
                (None, false, _) => ks.iter().map(|&k| (k, corpus::fold(&all, 10, k))).collect(),
            };
            let (mut right, mut total, mut fitted) = (0, 0, Vec::new());
            let (mut dumped, mut texts) = (String::new(), String::new());
            for (k, (train, test)) in &splits {
                let start = std::time::Instant::now();
                let config = TrainConfig {
                    teacher: targets.as_ref().map(|p| {
                        let path = p.replace("{}", &k.to_string());
                        let bytes = std::fs::read(&path).expect("reading a targets file");
                        Arc::new(Targets::from_bytes(&bytes).expect("a targets file"))
                    }),
                    encoder: match (&encoder_file, &config.encoder) {
                        (Some(p), Some((_, w))) => {
                            let path = p.replace("{}", &k.to_string());
                            let bytes = std::fs::read(&path).expect("reading an encoder file");
                            Some((
                                Arc::new(Encoder::from_bytes(&bytes).expect("an encoder file")),
                                *w,
                            ))
                        }
                        _ => config.encoder.clone(),
                    },
                    embeddings: match file.contains("{}") {
                        true => Some((load(&file.replace("{}", &k.to_string())), weight)),
                        false => config.embeddings.clone(),
                    },
                    ..config.clone()
                };
                let mut train = train.clone();
                train.retain(|e| !drop.contains(&(e.label.clone(), e.text.clone())));
                if let (true, Some(t)) = (aug_svm, &config.teacher) {
                    let mut labels: Vec<String> = train.iter().map(|e| e.label.clone()).collect();
                    labels.sort();
                    labels.dedup();
                    let extra: Vec<_> = train
                        .iter()
                        .flat_map(|e| {
                            t.variants(&e.label, &e.text, &labels, 1.0)
                                .into_iter()
                                .map(|(v, _)| anumati_nlu::csv::Example {
                                    text: v.to_string(),
                                    label: e.label.clone(),
                                })
                        })
                        .collect();
                    train.extend(extra);
                }
                let model = Classifier::train(&train, &config);
                if dump.is_some() {
                    for e in test {
                        // The fold, the label, the SVM scores, then the
                        // fine-tuned model's log-probabilities (if any).
                        let (s, lp) = model.logit_parts(&e.text);
                        let i = model.labels().binary_search(&e.label).unwrap_or(0);
                        dumped += &format!("{k}\t{i}");
                        let head = model.head_log_probs(&e.text);
                        for v in s
                            .iter()
                            .chain(lp.iter().flatten())
                            .chain(head.iter().flatten())
                        {
                            dumped += &format!("\t{v:.4}");
                        }
                        dumped += "\n";
                        texts += &format!("{}\t{}\n", e.label, e.text.replace(['\t', '\n'], " "));
                    }
                }
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
                    "T {:.2} tuned {:?} head {:?}",
                    model.temperature(),
                    model.tuned_weight(),
                    model.head_weight()
                ));
                right += test
                    .iter()
                    .filter(|e| model.predict(&e.text).label == e.label)
                    .count();
                total += test.len();
            }
            if let Some(path) = &dump {
                std::fs::write(path, &dumped).expect("writing the dump");
                std::fs::write(format!("{path}.texts"), &texts).expect("writing the dump");
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
            // "{}" in the name: one file per held-out fold (loaded there).
            embeddings = (arg != "none").then(|| load(&arg.replace("{}", "9")));
            file = arg;
        }
    }
}

fn load(path: &str) -> Arc<StaticEmbeddings> {
    let bytes = std::fs::read(path).expect("reading the embeddings file");
    Arc::new(StaticEmbeddings::from_bytes(&bytes).expect("an embeddings file"))
}
