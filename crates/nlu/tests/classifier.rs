//! The CSV reader, the intent classifier and its model file, and evaluation.

use anumati_nlu::classifier::{Classifier, ModelError, TrainConfig, FORMAT_VERSION};
use anumati_nlu::csv::{read_csv, write_csv, CsvErrorKind, Example};
use anumati_nlu::eval::{evaluate, score, stratified_split};
use proptest::prelude::*;

fn ex(text: &str, label: &str) -> Example {
    Example {
        text: text.into(),
        label: label.into(),
    }
}

// ---------------------------------------------------------------- CSV

#[test]
fn csv_quoted_multiline_escaped_crlf_and_bom() {
    let input = "\u{FEFF}text,category\r\n\
                 \"first line\r\nsecond, line\",multi\r\n\
                 \"she said \"\"hi\"\"\",quotes\r\n\
                 \r\n\
                 plain text , spaced_label \r\n\
                 \"\"\"\",only_quote";
    let got = read_csv(input, "edge.csv").unwrap();
    assert_eq!(
        got,
        [
            ex("first line\nsecond, line", "multi"),
            ex("she said \"hi\"", "quotes"),
            ex("plain text ", "spaced_label"),
            ex("\"", "only_quote"),
        ]
    );
}

#[test]
fn csv_banking77_shape() {
    let input = "text,category\n\
                 I am still waiting on my card?,card_arrival\n\
                 \"How do I know if I will get my card, or if it is lost?\",card_arrival\n";
    let got = read_csv(input, "b.csv").unwrap();
    assert_eq!(got.len(), 2);
    assert_eq!(
        got[1].text,
        "How do I know if I will get my card, or if it is lost?"
    );
}

#[test]
fn csv_unterminated_quote_names_line_and_field() {
    let input = "text,category\nok,a\n\"never closed,b\nmore\n";
    let e = read_csv(input, "bad.csv").unwrap_err();
    assert_eq!(e.line, 3);
    assert_eq!(e.field, "text");
    assert_eq!(e.kind, CsvErrorKind::UnterminatedQuote { opened: 3 });
    let shown = e.to_string();
    assert!(shown.contains("bad.csv"), "{shown}");
    assert!(shown.contains("line 3"), "{shown}");
    assert!(shown.contains("field text"), "{shown}");
    // In the header, before the names are known: the column's number.
    let e = read_csv("text,\"cat\negory", "h.csv").unwrap_err();
    assert_eq!((e.line, e.field.as_str()), (1, "column 2"));
    assert_eq!(e.kind, CsvErrorKind::UnterminatedQuote { opened: 1 });
    // Second column, on a later line of a multi-line record.
    let e = read_csv("category,text\nx,\"a\nb\nc", "m.csv").unwrap_err();
    assert_eq!((e.line, e.field.as_str()), (2, "text"));
}

#[test]
fn csv_missing_column_names_line_and_field() {
    let input = "text,category\nfine,a\n\"two\nlines\"\n";
    let e = read_csv(input, "m.csv").unwrap_err();
    assert_eq!(e.line, 3);
    assert_eq!(e.field, "category");
    assert!(matches!(
        e.kind,
        CsvErrorKind::MissingColumn {
            found: 1,
            expected: 2
        }
    ));
    assert!(
        e.to_string().contains("m.csv, line 3, field category"),
        "{e}"
    );
}

#[test]
fn csv_empty_label_and_text() {
    let e = read_csv("text,category\nhello,a\nworld,  \n", "l.csv").unwrap_err();
    assert_eq!(
        (e.line, e.field.as_str(), &e.kind),
        (3, "category", &CsvErrorKind::EmptyLabel)
    );
    let e = read_csv("text,category\n,a\n", "t.csv").unwrap_err();
    assert_eq!(
        (e.line, e.field.as_str(), &e.kind),
        (2, "text", &CsvErrorKind::EmptyText)
    );
}

#[test]
fn csv_other_malformations() {
    let e = read_csv("text,category\nab\"c,x\n", "q.csv").unwrap_err();
    assert_eq!(
        (e.line, e.kind.clone()),
        (2, CsvErrorKind::QuoteInUnquotedField)
    );
    let e = read_csv("text,category\n\"ab\"c,x\n", "q.csv").unwrap_err();
    assert_eq!(
        (e.line, e.kind.clone()),
        (2, CsvErrorKind::TextAfterQuote('c'))
    );
    let e = read_csv("text,category\na,b,c\n", "x.csv").unwrap_err();
    assert!(matches!(
        e.kind,
        CsvErrorKind::ExtraColumn {
            found: 3,
            expected: 2
        }
    ));
    let e = read_csv("text,label\na,b\n", "h.csv").unwrap_err();
    assert_eq!((e.line, e.field.as_str()), (1, "header"));
    assert_eq!(e.kind, CsvErrorKind::MissingHeaderColumn("category"));
    let e = read_csv("", "empty.csv").unwrap_err();
    assert_eq!(e.kind, CsvErrorKind::Empty);
    let e = read_csv("\u{FEFF}\r\n\n", "blank.csv").unwrap_err();
    assert_eq!(e.kind, CsvErrorKind::Empty);
    assert_eq!(read_csv("text,category\n", "h.csv").unwrap(), []);
}

proptest! {
    #[test]
    fn csv_never_panics_on_strings(s in ".{0,200}") {
        let _ = read_csv(&s, "p.csv");
        let _ = read_csv(&format!("text,category\n{s}"), "p.csv");
    }

    #[test]
    fn csv_never_panics_on_bytes(b in proptest::collection::vec(any::<u8>(), 0..300)) {
        let s = String::from_utf8_lossy(&b);
        let _ = read_csv(&s, "b.csv");
        let _ = read_csv(&format!("text,category\n{s}"), "b.csv");
    }

    #[test]
    fn csv_never_panics_on_csv_like_text(s in "[a-c,\"\r\n ]{0,60}") {
        let _ = read_csv(&format!("text,category\n{s}"), "c.csv");
    }

    #[test]
    fn csv_write_read_round_trip(
        rows in proptest::collection::vec(("[a-z ,\"\n\r\u{0900}-\u{097F}]{0,12}[a-z]", "[a-z_]{1,8}"), 0..8)
    ) {
        let examples: Vec<Example> = rows.into_iter().map(|(t, l)| ex(&t, &l)).collect();
        let back = read_csv(&write_csv(&examples), "w.csv").unwrap();
        // Line breaks inside a field come back as \n (CRLF and CR are line breaks).
        let expected: Vec<Example> = examples
            .iter()
            .map(|e| ex(&e.text.replace("\r\n", "\n").replace('\r', "\n"), &e.label))
            .collect();
        prop_assert_eq!(back, expected);
    }
}

// ---------------------------------------------------------------- classifier

fn tiny() -> Vec<Example> {
    let rows = [
        ("what is my balance", "balance"),
        ("how much money do I have", "balance"),
        ("show my account balance", "balance"),
        ("balance please", "balance"),
        ("how much is left in my account", "balance"),
        ("मेरा बैलेंस कितना है", "balance"),
        ("खाते में कितने पैसे हैं", "balance"),
        ("mera balance kitna hai", "balance"),
        ("my card was stolen", "lost_card"),
        ("I lost my card", "lost_card"),
        ("someone stole my debit card", "lost_card"),
        ("block my card it is lost", "lost_card"),
        ("cannot find my card anywhere", "lost_card"),
        ("मेरा कार्ड खो गया", "lost_card"),
        ("कार्ड चोरी हो गया", "lost_card"),
        ("mera card kho gaya", "lost_card"),
        ("send money to priya", "transfer"),
        ("transfer 500 rupees to my friend", "transfer"),
        ("pay rahul 200", "transfer"),
        ("make a transfer to my mother", "transfer"),
        ("send cash to my brother", "transfer"),
        ("प्रिया को पैसे भेजो", "transfer"),
        ("राहुल को 500 रुपये भेजो", "transfer"),
        ("priya ko paise bhejo", "transfer"),
    ];
    rows.iter().map(|(t, l)| ex(t, l)).collect()
}

fn quick() -> TrainConfig {
    TrainConfig {
        threads: 1,
        min_df: 1,
        ..TrainConfig::default()
    }
}

#[test]
fn tiny_model_separates_intents_in_three_languages() {
    let model = Classifier::train(&tiny(), &quick());
    assert_eq!(model.labels(), ["balance", "lost_card", "transfer"]);
    for (text, want) in [
        ("What's my BALANCE?", "balance"),
        ("how much money is in my account", "balance"),
        ("my card got stolen yesterday", "lost_card"),
        ("I can't find my card", "lost_card"),
        ("send 300 to priya", "transfer"),
        ("मेरा बैलेंस बताओ", "balance"),
        ("कार्ड खो गया है", "lost_card"),
        ("rahul ko paise bhejo", "transfer"),
    ] {
        let p = model.predict(text);
        assert_eq!(p.label, want, "{text}: {p:?}");
        assert_eq!(p.top.len(), 3);
        assert_eq!(p.top[0], (p.label.clone(), p.probability));
        assert!(p.top.windows(2).all(|w| w[0].1 >= w[1].1), "{p:?}");
        let sum: f32 = p.top.iter().map(|t| t.1).sum();
        assert!(
            (sum - 1.0).abs() < 1e-4,
            "three labels, probabilities sum to 1: {sum}"
        );
    }
    // Nothing known: still an answer, not a panic.
    let p = model.predict("");
    assert!(model.labels().contains(&p.label));
    let p = model.predict("zzzz qqqq");
    assert!(p.probability > 0.0 && p.probability <= 1.0);
}

#[test]
fn training_is_deterministic_and_thread_independent() {
    let a = Classifier::train(&tiny(), &quick());
    let b = Classifier::train(
        &tiny(),
        &TrainConfig {
            threads: 3,
            ..quick()
        },
    );
    assert_eq!(a.to_bytes(), b.to_bytes());
}

#[test]
fn model_round_trip_gives_identical_predictions() {
    let model = Classifier::train(&tiny(), &quick());
    let bytes = model.to_bytes();
    let back = Classifier::from_bytes(&bytes).unwrap();
    assert_eq!(back.to_bytes(), bytes);
    assert_eq!(back.labels(), model.labels());
    for e in tiny()
        .iter()
        .chain(&[ex("completely new words", "x"), ex("कार्ड", "x")])
    {
        assert_eq!(back.predict(&e.text), model.predict(&e.text));
        assert_eq!(back.logits(&e.text), model.logits(&e.text));
    }
}

#[test]
fn corrupt_models_are_errors() {
    let bytes = Classifier::train(&tiny(), &quick()).to_bytes();
    // Every truncation.
    for n in 0..bytes.len() {
        assert!(
            Classifier::from_bytes(&bytes[..n]).is_err(),
            "prefix of {n} bytes"
        );
    }
    // Trailing garbage.
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(
        Classifier::from_bytes(&long).err(),
        Some(ModelError::TrailingBytes(1))
    );
    // Magic, version, body.
    let mut b = bytes.clone();
    b[0] ^= 1;
    assert_eq!(Classifier::from_bytes(&b).err(), Some(ModelError::BadMagic));
    let mut b = bytes.clone();
    b[8] = b[8].wrapping_add(1);
    assert!(matches!(
        Classifier::from_bytes(&b),
        Err(ModelError::UnsupportedVersion { .. })
    ));
    for at in [20, 30, bytes.len() / 2, bytes.len() - 9] {
        let mut b = bytes.clone();
        b[at] ^= 0x40;
        assert_eq!(
            Classifier::from_bytes(&b).err(),
            Some(ModelError::Checksum),
            "byte {at}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn model_reader_never_panics(b in proptest::collection::vec(any::<u8>(), 0..400)) {
        prop_assert!(Classifier::from_bytes(&b).is_err());
        let mut framed = b"ANUMNLU\0\x01\0\0\0".to_vec();
        framed.extend((b.len() as u64).to_le_bytes());
        framed.extend(&b);
        framed.extend([0u8; 8]);
        let _ = Classifier::from_bytes(&framed);
    }

    #[test]
    fn predict_never_panics(s in "\\PC{0,80}") {
        let model = tiny_model();
        let p = model.predict(&s);
        prop_assert!(p.probability.is_finite());
    }
}

fn tiny_model() -> &'static Classifier {
    static M: std::sync::OnceLock<Classifier> = std::sync::OnceLock::new();
    M.get_or_init(|| Classifier::train(&tiny(), &quick()))
}

#[test]
fn empty_training_set_gives_a_model_that_answers() {
    let model = Classifier::train(&[], &quick());
    assert!(model.labels().is_empty());
    let p = model.predict("anything");
    assert_eq!(p.label, "");
    assert!(p.top.is_empty());
    let back = Classifier::from_bytes(&model.to_bytes()).unwrap();
    assert!(back.labels().is_empty());
}

/// The real data: a subset of Banking77 (12 intents), held out every fifth.
#[test]
fn banking77_subset_is_learnt() {
    let all = read_csv(
        include_str!("../../../data/banking77/train.csv"),
        "data/banking77/train.csv",
    )
    .unwrap();
    assert_eq!(all.len(), 10_003);
    let mut labels: Vec<&str> = all.iter().map(|e| e.label.as_str()).collect();
    labels.sort();
    labels.dedup();
    assert_eq!(labels.len(), 77);
    let keep: Vec<&str> = labels.iter().step_by(7).copied().collect();
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (i, e) in all
        .iter()
        .filter(|e| keep.contains(&e.label.as_str()))
        .enumerate()
    {
        if i % 5 == 0 {
            test.push(e.clone());
        } else {
            train.push(e.clone());
        }
    }
    let model = Classifier::train(&train, &TrainConfig::default());
    let report = evaluate(&model, &test);
    assert_eq!(report.examples, test.len());
    assert!(report.accuracy > 0.9, "accuracy {}", report.accuracy);
    assert!(report.macro_f1 > 0.9, "macro-F1 {}", report.macro_f1);
    assert!(model.temperature() > 0.5 && model.temperature() < 64.0);
    // Calibration kept the fine-tuned model beside the SVMs, at a weight
    // from its grid.
    let w = model.tuned_weight().expect("a fine-tuned model");
    assert!(w > 0.0 && w <= 0.4, "weight {w}");
}

/// The fine-tuned model reads Latin script only: its tokens come from an
/// English teacher's vocabulary, which has no Devanagari words. A Hindi
/// text is scored by the SVMs alone; an English one by both.
#[test]
fn fine_tuned_model_stays_out_of_devanagari() {
    let mut examples = Vec::new();
    for (en, hi, label) in [
        ("lock my card", "मेरा कार्ड लॉक करो", "card_lock"),
        ("freeze the debit card", "डेबिट कार्ड फ्रीज़ करो", "card_lock"),
        ("block my card now", "कार्ड ब्लॉक कर दो", "card_lock"),
        ("what is my balance", "मेरा बैलेंस क्या है", "balance"),
        ("how much money do i have", "खाते में कितने पैसे हैं", "balance"),
        ("show my account balance", "बैलेंस बताओ", "balance"),
    ] {
        for _ in 0..8 {
            examples.push(ex(en, label));
            examples.push(ex(hi, label));
        }
    }
    let config = TrainConfig {
        calibrate: false,
        ..TrainConfig::default()
    };
    let model = Classifier::train(&examples, &config);
    assert!(model.tuned_weight().is_some());
    // The sentence encoder's head (distilled from the same English model)
    // stays out of Devanagari too.
    assert!(model.head_weight().is_some());
    let (svm, tuned) = model.logit_parts("मेरा कार्ड लॉक करो");
    assert_eq!(tuned.as_deref(), Some(&[0.0, 0.0][..]));
    let head = model.head_log_probs("मेरा कार्ड लॉक करो");
    assert_eq!(head.as_deref(), Some(&[0.0, 0.0][..]));
    assert_eq!(model.logits("मेरा कार्ड लॉक करो"), svm);
    let (svm, tuned) = model.logit_parts("lock my card");
    let tuned = tuned.unwrap();
    assert!(tuned[0] != tuned[1], "{tuned:?}");
    let head = model.head_log_probs("lock my card").unwrap();
    // labels: balance, card_lock
    assert!(head[1] > head[0], "{head:?}");
    assert_ne!(model.logits("lock my card"), svm);
    assert_eq!(model.predict("कार्ड ब्लॉक कर दो").label, "card_lock");
}

/// Banking77's official test split (`data/banking77/test.csv`, kept for
/// the benchmark and never trained on): it reads whole, shares no text with
/// the training split, and the shipped configuration trained on the whole
/// training split reaches the target, 93.5% (2,880 of 3,080;
/// BENCHMARKS.md records 2,893, 93.93%), so a change that costs accuracy
/// below the target fails here as well as in the benchmark.
#[test]
fn banking77_official_test_split_accuracy() {
    let train = anumati_nlu::corpus::banking77();
    let test = read_csv(
        include_str!("../../../data/banking77/test.csv"),
        "data/banking77/test.csv",
    )
    .unwrap();
    assert_eq!(test.len(), 3_080);
    // Three of its texts hold a line break inside quotes.
    assert_eq!(test.iter().filter(|e| e.text.contains('\n')).count(), 3);
    let labels = |v: &[Example]| {
        let mut l: Vec<String> = v.iter().map(|e| e.label.clone()).collect();
        l.sort();
        l.dedup();
        l
    };
    assert_eq!(labels(&test), labels(&train));
    let seen: std::collections::HashSet<&str> = train.iter().map(|e| e.text.as_str()).collect();
    assert!(test.iter().all(|e| !seen.contains(e.text.as_str())));

    let model = Classifier::train(&train, &TrainConfig::default());
    let report = evaluate(&model, &test);
    let right = (report.accuracy * 3_080.0).round() as usize;
    assert!(right >= 2_880, "{right} of 3,080 right");
}

// ---------------------------------------------------------------- evaluation

#[test]
fn scores_a_hand_made_case() {
    // expected -> predicted
    let pairs = [
        ("a", "a"),
        ("a", "a"),
        ("a", "b"),
        ("b", "b"),
        ("b", "a"),
        ("c", "c"),
        ("c", "b"),
        ("c", "b"),
    ];
    let r = score(pairs);
    assert_eq!(r.examples, 8);
    assert!((r.accuracy - 4.0 / 8.0).abs() < 1e-12);
    // a: P 2/3, R 2/3, F1 2/3. b: P 1/4, R 1/2, F1 1/3. c: P 1, R 1/3, F1 1/2.
    let by: Vec<(&str, f64, f64, f64, usize)> = r
        .per_intent
        .iter()
        .map(|s| (s.intent.as_str(), s.precision, s.recall, s.f1, s.support))
        .collect();
    let close = |x: f64, y: f64| (x - y).abs() < 1e-12;
    assert_eq!(by.len(), 3);
    assert!(
        by[0].0 == "a" && close(by[0].1, 2.0 / 3.0) && close(by[0].2, 2.0 / 3.0) && by[0].4 == 3
    );
    assert!(
        by[1].0 == "b" && close(by[1].1, 0.25) && close(by[1].2, 0.5) && close(by[1].3, 1.0 / 3.0)
    );
    assert!(
        by[2].0 == "c" && close(by[2].1, 1.0) && close(by[2].2, 1.0 / 3.0) && close(by[2].3, 0.5)
    );
    assert!(close(r.macro_f1, (2.0 / 3.0 + 1.0 / 3.0 + 0.5) / 3.0));
    assert_eq!(r.confused[0].expected, "c");
    assert_eq!(r.confused[0].predicted, "b");
    assert_eq!(r.confused[0].count, 2);
    assert_eq!(r.confused.len(), 3);
}

#[test]
fn a_label_only_predicted_counts_in_macro_f1() {
    let r = score([("a", "a"), ("a", "z")]);
    assert!((r.accuracy - 0.5).abs() < 1e-12);
    // a: P 1, R 1/2, F1 2/3; z: F1 0.
    assert!((r.macro_f1 - (2.0 / 3.0) / 2.0).abs() < 1e-12);
    assert_eq!(r.per_intent[1].intent, "z");
    assert_eq!(r.per_intent[1].support, 0);
}

#[test]
fn evaluate_runs_the_model() {
    let model = tiny_model();
    let mut test = tiny();
    test.push(ex("what is my balance", "transfer")); // one deliberate mistake
    let r = evaluate(model, &test);
    assert_eq!(r.examples, 25);
    assert!((r.accuracy - 24.0 / 25.0).abs() < 1e-12, "{}", r.accuracy);
    assert_eq!(r.confused.len(), 1);
    assert_eq!(
        (
            r.confused[0].expected.as_str(),
            r.confused[0].predicted.as_str()
        ),
        ("transfer", "balance")
    );
    assert!(r.p50_us > 0.0 && r.p99_us >= r.p50_us);
    let json = serde_json::to_value(&r).unwrap();
    for key in [
        "accuracy",
        "macro_f1",
        "p50_us",
        "p99_us",
        "per_intent",
        "confused",
    ] {
        assert!(json.get(key).is_some(), "{key}");
    }
    let empty = evaluate(model, &[]);
    assert_eq!(
        (empty.examples, empty.accuracy, empty.p50_us),
        (0, 0.0, 0.0)
    );
}

#[test]
fn split_is_stratified_and_deterministic() {
    let mut data = Vec::new();
    for i in 0..40 {
        data.push(ex(&format!("a{i}"), "a"));
        if i < 25 {
            data.push(ex(&format!("b{i}"), "b"));
        }
        if i < 3 {
            data.push(ex(&format!("c{i}"), "c"));
        }
    }
    let (train, dev) = stratified_split(&data, 0.1, None);
    assert_eq!(train.len() + dev.len(), data.len());
    // Every tenth of each label, in file order.
    let texts: Vec<&str> = dev.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(texts, ["a9", "b9", "a19", "b19", "a29", "a39"]);
    let (train2, dev2) = stratified_split(&data, 0.1, Some(7));
    assert_eq!(dev2.len(), 6);
    assert_eq!(train2.len(), train.len());
    assert_eq!(
        stratified_split(&data, 0.1, Some(7)),
        (train2, dev2.clone())
    );
    assert_ne!(dev2, dev, "a seed shuffles within labels");
    assert_eq!(dev2.iter().filter(|e| e.label == "a").count(), 4);
    let (all, none) = stratified_split(&data, 0.0, None);
    assert_eq!((all.len(), none.len()), (data.len(), 0));
    let (none, all) = stratified_split(&data, 1.0, Some(1));
    assert_eq!((none.len(), all.len()), (0, data.len()));
}

/// A model written by format version 1 (before static embeddings), by
/// `anumati nlu train` on the `tiny()` examples, still loads and answers.
#[test]
fn version_1_model_file_still_loads() {
    let bytes = include_bytes!("fixtures/model-v1.bin");
    assert_eq!(bytes[8..12], 1u32.to_le_bytes());
    let model = Classifier::from_bytes(bytes).unwrap();
    assert_eq!(model.labels(), ["balance", "lost_card", "transfer"]);
    assert_eq!(model.temperature(), 5.0);
    assert_eq!(model.feature_count(), 379);
    for (text, want, p) in [
        ("what's my balance", "balance", 1.0),
        ("my card got stolen", "lost_card", 1.0),
        ("rahul ko paise bhejo", "transfer", 0.989),
    ] {
        let got = model.predict(text);
        assert_eq!(got.label, want, "{text}");
        assert!((got.probability - p).abs() < 0.001, "{text}: {got:?}");
    }
    // Written again, it is a file of the current version, of the same
    // model (no fine-tuned model: version 1 had none).
    assert_eq!(model.tuned_weight(), None);
    let again = model.to_bytes();
    assert_eq!(again[8..12], FORMAT_VERSION.to_le_bytes());
    let back = Classifier::from_bytes(&again).unwrap();
    assert_eq!(
        back.logits("balance please"),
        model.logits("balance please")
    );
}
