//! Understanding a message: which intent (the trained classifier of
//! `anumati-nlu`), how sure, which entities, and which language to answer in.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use anumati_nlu::classifier::Classifier;
use anumati_nlu::entities::{self, Context, Entities};

use crate::confidence::Confidence;
use crate::faq::Faq;

/// Most transactions a customer can ask to see in one reply.
pub const TRANSACTIONS_SHOWN_MAX: u32 = 50;

/// The language a reply is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    /// Hindi in Devanagari: for questions in Hindi and in Hinglish.
    Hi,
}

/// Romanised Hindi words that are not also English words: one of them makes
/// a message Hinglish.
const HINGLISH_WORDS: &[&str] = &[
    "hai",
    "hain",
    "kya",
    "kitna",
    "kitne",
    "kitni",
    "kitnaa",
    "mera",
    "meri",
    "mere",
    "mujhe",
    "mein",
    "maine",
    "pichle",
    "pichhle",
    "pichla",
    "kharch",
    "kharcha",
    "bhej",
    "bhejo",
    "bhejna",
    "nahi",
    "nahin",
    "haan",
    "batao",
    "bataiye",
    "dikhao",
    "dikhaiye",
    "karo",
    "kardo",
    "kar",
    "kiya",
    "kiye",
    "paisa",
    "paise",
    "khata",
    "khate",
    "mahine",
    "mahina",
    "hafte",
    "hafta",
    "saal",
    "aaj",
    "kal",
    "parso",
    "parson",
    "wala",
    "wali",
    "chahiye",
    "kaise",
    "kahan",
    "kab",
    "kaun",
    "kisne",
    "kiske",
    "dhanyavad",
    "shukriya",
    "namaste",
    "ji",
    "aur",
    "lekin",
    "hua",
    "hui",
    "rok",
    "hatao",
    "mita",
    "jod",
    "jodo",
    "ko",
    "ka",
    "ki",
    "ke",
    "se",
    "pe",
    "par",
    "tha",
    "thi",
    "diya",
    "dijiye",
    "bata",
    "rehne",
];

impl Lang {
    pub fn of(message: &str) -> Lang {
        let text = anumati_nlu::text::normalise(message);
        if anumati_nlu::text::has_devanagari(&text) {
            return Lang::Hi;
        }
        // Short function words ("ko", "ka", "se") count only beside another.
        let hits: Vec<&str> = anumati_nlu::text::words(&text)
            .filter(|w| HINGLISH_WORDS.contains(w))
            .collect();
        let strong = hits.iter().any(|w| w.len() > 3);
        if strong || hits.len() >= 2 {
            Lang::Hi
        } else {
            Lang::En
        }
    }

    /// Picks the text for this language.
    pub fn pick<'a>(self, en: &'a str, hi: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Hi => hi,
        }
    }
}

/// One message, understood on its own.
#[derive(Debug, Clone)]
pub struct Understanding {
    pub intent: String,
    pub confidence: Confidence,
    pub entities: Entities,
    pub lang: Lang,
    pub words: usize,
    /// Starts like a follow-up that narrows the last question ("only …",
    /// "what about …", "sirf …", "सिर्फ़ …"), whatever else it names.
    pub narrows: bool,
    /// Whom the message names as a payee, in the customer's words, when the
    /// entity extractor found no beneficiary: "send 500 to Priya", "priya
    /// ko 500 bhej do", "प्रिया को", or a bare name ("Priya Sharma").
    pub payee_text: Option<String>,
    /// What a payment is for: "for dinner", "dinner ke liye", "किराये के लिए".
    pub note: Option<String>,
    /// A six-digit one-time code, when the message is little else
    /// ("123456", "code is 123 456", "१२३४५६").
    pub code: Option<String>,
    /// The customer asks for the code again ("resend code", "code nahi aaya").
    pub resend: bool,
}

/// Words a message may hold besides a one-time code.
const CODE_WORDS: &[&str] = &[
    "code",
    "otp",
    "is",
    "my",
    "the",
    "it",
    "its",
    "it's",
    "here",
    "pin",
    "mera",
    "ye",
    "yeh",
    "hai",
    "कोड",
    "मेरा",
    "यह",
    "है",
    "ओटीपी",
];

/// See [`Understanding::code`].
fn one_time_code(normalised: &str) -> Option<String> {
    let mut digits = String::new();
    for word in anumati_nlu::text::words(normalised) {
        if word.chars().all(|c| c.is_ascii_digit()) {
            digits.push_str(word);
        } else if !CODE_WORDS.contains(&word) {
            return None;
        }
    }
    (digits.len() == 6).then_some(digits)
}

/// See [`Understanding::resend`].
fn asks_resend(normalised: &str) -> bool {
    const PHRASES: &[&str] = &[
        "resend",
        "send again",
        "code again",
        "new code",
        "another code",
        "didn't get",
        "did not get",
        "not received",
        "no code",
        "nahi aaya",
        "nahin aaya",
        "dobara",
        "naya code",
        "दोबारा",
        "नया कोड",
        "नहीं आया",
        "फिर से भेज",
    ];
    PHRASES.iter().any(|p| normalised.contains(p))
}

/// Words that end a payment's note.
const NOTE_STOP: &[&str] = &[
    "to", "ko", "को", "from", "se", "से", "please", "pls", "now", "today",
];

/// See [`Understanding::note`].
fn note_text(normalised: &str) -> Option<String> {
    let words: Vec<&str> = anumati_nlu::text::words(normalised).collect();
    let is_note_word = |w: &&str| -> bool {
        !NOTE_STOP.contains(w)
            && !w
                .chars()
                .any(|c| c.is_ascii_digit() || c == '₹' || c == '$')
            && !matches!(*w, "rs" | "inr" | "rupees" | "rupaye" | "रुपये" | "रुपए")
    };
    // "… for dinner (at home)"
    if let Some(i) = words.iter().position(|w| *w == "for") {
        let note: Vec<&str> = words[i + 1..]
            .iter()
            .copied()
            .take_while(is_note_word)
            .take(6)
            .collect();
        if !note.is_empty() {
            return Some(note.join(" "));
        }
    }
    // "dinner ke liye", "किराये के लिए"
    let liye = words.windows(2).position(|w| {
        matches!(
            w,
            ["ke", "liye"] | ["ke", "liya"] | ["के", "लिए"] | ["के", "लिये"]
        )
    })?;
    let start = words[..liye]
        .iter()
        .rposition(|w| !is_note_word(w))
        .map_or(0, |p| p + 1)
        .max(liye.saturating_sub(4));
    let note = words[start..liye].join(" ");
    (!note.is_empty()).then_some(note)
}

/// Words that end a payee's name in "to …".
const NOT_A_NAME: &[&str] = &[
    "for", "on", "today", "tomorrow", "now", "rs", "inr", "usd", "please", "via", "by", "from",
    "at", "in", "my", "the", "a", "account", "and", "with", "of", "it", "them", "him", "her",
    "send", "pay", "money", "transfer", "cash", "i", "want", "to", "need", "someone", "some",
    "yes", "no", "cancel", "stop", "ok", "okay", "sure", "hi", "hello", "thanks", "help",
    "balance", "card", "lock", "unlock", "what", "how", "who", "why", "show",
];

fn title(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// See [`Understanding::payee_text`].
fn payee_text(normalised: &str) -> Option<String> {
    let words: Vec<&str> = anumati_nlu::text::words(normalised).collect();
    let is_name = |w: &str| {
        w.chars()
            .all(|c| c.is_alphabetic() || ('\u{0900}'..='\u{097F}').contains(&c))
            && !NOT_A_NAME.contains(&w)
            && !HINGLISH_WORDS.contains(&w)
    };
    // "to Priya (Sharma)"
    if let Some(i) = words.iter().position(|w| *w == "to") {
        let name: Vec<String> = words[i + 1..]
            .iter()
            .take_while(|w| is_name(w))
            .take(3)
            .map(|w| title(w))
            .collect();
        if !name.is_empty() {
            return Some(name.join(" "));
        }
    }
    // "priya ko", "प्रिया को"
    if let Some(i) = words.iter().position(|w| *w == "ko" || *w == "को") {
        let start = words[..i]
            .iter()
            .rposition(|w| !is_name(w))
            .map_or(0, |p| p + 1);
        let name: Vec<String> = words[start..i]
            .iter()
            .rev()
            .take(3)
            .rev()
            .map(|w| title(w))
            .collect();
        if !name.is_empty() {
            return Some(name.join(" "));
        }
    }
    // a bare name, answering "whom should I pay?"
    if (1..=3).contains(&words.len()) && words.iter().all(|w| is_name(w)) {
        return Some(words.iter().map(|w| title(w)).collect::<Vec<_>>().join(" "));
    }
    None
}

/// Openings of a message that narrow or shift the last question.
const NARROWING: &[&str] = &[
    "only ",
    "just ",
    "what about ",
    "how about ",
    "and ",
    "sirf ",
    "keval ",
    "bas ",
    "aur ",
    "सिर्फ ",
    "केवल ",
    "बस ",
    "और ",
];

/// The trained model and the bank's FAQ, shared by every conversation.
#[derive(Clone)]
pub struct Language {
    classifier: Arc<Classifier>,
    faq: Arc<Faq>,
}

impl Language {
    pub fn new(classifier: Arc<Classifier>, faq: Faq) -> Self {
        Language {
            classifier,
            faq: Arc::new(faq),
        }
    }

    /// The shipped model, once per process: read from `cache` when it was
    /// trained on this very corpus by this model format, otherwise trained
    /// (about 11 s in release for the SVMs, a few more for the fine-tuned
    /// model beside them) and written there for the next process.
    pub fn cached(cache: &Path, faq: Faq) -> Self {
        static MODEL: OnceLock<Arc<Classifier>> = OnceLock::new();
        let model = MODEL.get_or_init(|| {
            let fingerprint = anumati_nlu::corpus::fingerprint().to_le_bytes();
            if let Ok(bytes) = std::fs::read(cache) {
                if bytes.len() > 8 && bytes[..8] == fingerprint {
                    match Classifier::from_bytes(&bytes[8..]) {
                        Ok(model) => return Arc::new(model),
                        Err(e) => tracing::warn!(path = %cache.display(), error = %e, "cached language model unreadable; training again"),
                    }
                }
            }
            let started = std::time::Instant::now();
            let model = anumati_nlu::corpus::shared();
            tracing::info!(seconds = started.elapsed().as_secs_f32(), "trained the language model");
            let mut bytes = fingerprint.to_vec();
            bytes.extend(model.to_bytes());
            let tmp = cache.with_extension("tmp");
            if let Err(e) = std::fs::write(&tmp, &bytes).and_then(|()| std::fs::rename(&tmp, cache)) {
                tracing::warn!(path = %cache.display(), error = %e, "could not cache the language model");
            }
            model
        });
        Language::new(model.clone(), faq)
    }

    pub fn faq(&self) -> &Faq {
        &self.faq
    }

    pub fn understand(&self, message: &str, context: &Context<'_>) -> Understanding {
        let prediction = self.classifier.predict(message);
        let normalised = anumati_nlu::text::normalise(message);
        Understanding {
            intent: prediction.label.clone(),
            confidence: Confidence::from_milli((prediction.probability * 1000.0).round() as u16),
            entities: entities::extract(message, context),
            lang: Lang::of(message),
            words: anumati_nlu::text::words(&normalised).count(),
            narrows: NARROWING.iter().any(|n| normalised.starts_with(n)),
            payee_text: payee_text(&normalised),
            note: note_text(&normalised),
            code: one_time_code(&normalised),
            resend: asks_resend(&normalised),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payees_in_the_customers_words() {
        for (text, payee) in [
            ("send 500 to priya", Some("Priya")),
            ("pay rs 2000 to Rahul Verma for rent", Some("Rahul Verma")),
            ("priya ko 500 bhej do", Some("Priya")),
            ("प्रिया को 500 भेजो", Some("प्रिया")),
            ("Priya Sharma", Some("Priya Sharma")),
            ("send 500", None),
            ("send money", None),
            ("yes", None),
            ("what's my balance?", None),
        ] {
            let n = anumati_nlu::text::normalise(text);
            assert_eq!(payee_text(&n).as_deref(), payee, "{text}");
        }
    }

    #[test]
    fn notes_codes_and_resends() {
        let n = anumati_nlu::text::normalise;
        for (text, note) in [
            ("pay rs 2000 to Rahul Verma for rent", Some("rent")),
            (
                "send 500 to priya for dinner last night",
                Some("dinner last night"),
            ),
            ("priya ko 500 dinner ke liye bhej do", Some("dinner")),
            ("प्रिया को किराये के लिए 5000 भेजो", Some("किराये")),
            ("send 500 to priya", None),
            ("pay for 500", None),
        ] {
            assert_eq!(note_text(&n(text)).as_deref(), note, "{text}");
        }
        for (text, code) in [
            ("123456", Some("123456")),
            ("my code is 123 456", Some("123456")),
            ("१२३४५६", Some("123456")),
            ("OTP: 004217", Some("004217")),
            ("12345", None),
            ("send 123456 to priya", None),
            ("1234567", None),
        ] {
            assert_eq!(one_time_code(&n(text)).as_deref(), code, "{text}");
        }
        assert!(asks_resend(&n("Resend code")));
        assert!(asks_resend(&n("code nahi aaya")));
        assert!(asks_resend(&n("कोड दोबारा भेजें")));
        assert!(!asks_resend(&n("send 500 to priya")));
    }

    #[test]
    fn hindi_for_devanagari_and_hinglish() {
        assert_eq!(Lang::of("मेरा बैलेंस क्या है"), Lang::Hi);
        assert_eq!(Lang::of("mera balance kitna hai"), Lang::Hi);
        assert_eq!(Lang::of("pichle mahine swiggy pe kharch"), Lang::Hi);
        assert_eq!(Lang::of("priya ko 500 bhej do"), Lang::Hi);
        assert_eq!(Lang::of("what's my balance?"), Lang::En);
        assert_eq!(Lang::of("send 500 to priya"), Lang::En);
        assert_eq!(Lang::of("show my last 5 transactions in pune"), Lang::En);
        assert_eq!(Lang::of("I paid par for the course"), Lang::En);
    }
}
