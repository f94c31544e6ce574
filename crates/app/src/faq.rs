//! The bank's answers to customer-service questions (the 77 Banking77
//! intents), from a TOML file the bank edits: one table per intent with
//! `answer`, `answer_hi` and `handoff`.
//!
//! The project ships `data/faq/faq.toml`; a deployment points `faq` in its
//! configuration (or `ANUMATI_FAQ`) at its own copy.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The FAQ the project ships.
pub const BUILTIN: &str = include_str!("../../../data/faq/faq.toml");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub answer: String,
    #[serde(default)]
    pub answer_hi: Option<String>,
    /// After answering, pass the conversation to a person.
    #[serde(default)]
    pub handoff: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Faq {
    answers: BTreeMap<String, Answer>,
}

#[derive(Debug, thiserror::Error)]
#[error("{source_name}: {message}")]
pub struct FaqError {
    pub source_name: String,
    pub message: String,
}

impl Faq {
    /// Parses a FAQ file; `source_name` names it in errors.
    pub fn parse(text: &str, source_name: &str) -> Result<Faq, FaqError> {
        let answers: BTreeMap<String, Answer> = toml::from_str(text).map_err(|e| FaqError {
            source_name: source_name.to_owned(),
            message: e.to_string(),
        })?;
        if let Some((intent, _)) = answers.iter().find(|(_, a)| a.answer.trim().is_empty()) {
            return Err(FaqError {
                source_name: source_name.to_owned(),
                message: format!("[{intent}] has an empty answer"),
            });
        }
        Ok(Faq { answers })
    }

    /// The FAQ the project ships.
    pub fn builtin() -> Faq {
        Faq::parse(BUILTIN, "data/faq/faq.toml").expect("the shipped FAQ parses (tested)")
    }

    pub fn get(&self, intent: &str) -> Option<&Answer> {
        self.answers.get(intent)
    }

    pub fn intents(&self) -> impl Iterator<Item = &str> {
        self.answers.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_faq_answers_every_banking77_intent_in_both_languages() {
        let faq = Faq::builtin();
        let intents: Vec<String> =
            serde_json::from_str(include_str!("../../../data/banking77/categories.json")).unwrap();
        assert_eq!(intents.len(), 77);
        for intent in &intents {
            let a = faq
                .get(intent)
                .unwrap_or_else(|| panic!("no answer for {intent}"));
            assert!(
                a.answer_hi.as_deref().is_some_and(|h| !h.trim().is_empty()),
                "{intent}"
            );
        }
        assert_eq!(faq.intents().count(), 77);
    }

    #[test]
    fn a_bad_file_is_refused_with_its_name() {
        let e = Faq::parse("[card_arrival]\nanswer = \"\"\n", "bank-faq.toml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "bank-faq.toml: [card_arrival] has an empty answer"
        );
        let e = Faq::parse("[card_arrival]\nanswr = \"x\"\n", "bank-faq.toml").unwrap_err();
        assert!(e.to_string().starts_with("bank-faq.toml: "), "{e}");
    }
}
