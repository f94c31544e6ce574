//! Understanding a message: which intent, how sure, which entities.
//!
//! This is the walking skeleton's matcher: weighted keywords in English, Hindi
//! (Devanagari) and romanised Hinglish. The trained classifier of the
//! assistant issue replaces it behind the same [`Understanding`] shape.

use serde::Serialize;

use crate::confidence::Confidence;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Understanding {
    pub intent: &'static str,
    pub confidence: Confidence,
    pub entities: serde_json::Map<String, serde_json::Value>,
}

struct Rule {
    intent: &'static str,
    /// Any of these (lower-cased substrings) votes for the intent.
    cues: &'static [&'static str],
}

const RULES: &[Rule] = &[
    Rule {
        intent: "delete_data",
        cues: &[
            "delete my data",
            "erase my data",
            "forget me",
            "remove my data",
            "delete everything",
            "मिटा",
            "डेटा हटा",
            "data delete",
            "data mita",
        ],
    },
    Rule {
        intent: "export_data",
        cues: &[
            "export",
            "download my data",
            "copy of my data",
            "डाउनलोड",
            "निर्यात",
            "data download",
        ],
    },
    Rule {
        intent: "access_log",
        cues: &[
            "who accessed",
            "who saw",
            "who has seen",
            "who looked",
            "access log",
            "accessed my data",
            "किसने",
            "kisne dekha",
            "kisne access",
        ],
    },
    Rule {
        intent: "consent_status",
        cues: &[
            "who has my data",
            "who can see my data",
            "what is shared",
            "what do you share",
            "consent status",
            "my consents",
            "किसके पास",
            "kiske paas",
            "kis ke paas",
        ],
    },
    Rule {
        intent: "consent_resume",
        cues: &["resume", "unpause", "फिर से शुरू", "phir se shuru"],
    },
    Rule {
        intent: "consent_pause",
        cues: &["pause", "रोक", "rok do"],
    },
    Rule {
        intent: "consent_revoke",
        cues: &[
            "revoke",
            "unlink",
            "stop sharing",
            "disconnect my bank",
            "रद्द",
            "वापस ले",
            "access hatao",
        ],
    },
    Rule {
        intent: "link_bank",
        cues: &[
            "link my bank",
            "link bank",
            "connect my bank",
            "connect bank",
            "link account",
            "बैंक जोड़",
            "bank jod",
            "bank link",
        ],
    },
    Rule {
        intent: "balance",
        cues: &[
            "balance",
            "how much money",
            "how much do i have",
            "बैलेंस",
            "शेष",
            "kitna paisa",
            "kitne paise",
            "paisa kitna",
            "khate mein",
        ],
    },
    Rule {
        intent: "transactions",
        cues: &[
            "transaction",
            "last payments",
            "recent payments",
            "spent",
            "statement",
            "history",
            "लेन-देन",
            "लेनदेन",
            "खर्च",
            "kharch",
            "len den",
            "lenden",
        ],
    },
    Rule {
        intent: "help",
        cues: &["help", "what can you do", "मदद", "madad", "sahayata"],
    },
    Rule {
        intent: "thanks",
        cues: &[
            "thank",
            "thanks",
            "धन्यवाद",
            "शुक्रिया",
            "shukriya",
            "dhanyavad",
        ],
    },
    Rule {
        intent: "greeting",
        cues: &[
            "hello",
            "hi",
            "hey",
            "good morning",
            "good evening",
            "namaste",
            "नमस्ते",
            "हेलो",
        ],
    },
];

/// Most transactions a customer can ask to see in one reply.
pub const TRANSACTIONS_SHOWN_MAX: u32 = 50;
const TRANSACTIONS_SHOWN_DEFAULT: u32 = 5;

fn devanagari_to_ascii_digits(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '०'..='९' => char::from_digit(c as u32 - '०' as u32, 10).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Whole-word match for short ASCII cues ("hi" must not match "this").
fn has_cue(text: &str, cue: &str) -> bool {
    if !cue.is_ascii() || cue.contains(' ') || cue.len() > 4 {
        return text.contains(cue);
    }
    text.split(|c: char| !c.is_alphanumeric()).any(|w| w == cue)
}

pub fn understand(message: &str) -> Understanding {
    let text = devanagari_to_ascii_digits(&message.to_lowercase());
    let mut entities = serde_json::Map::new();
    let best = RULES
        .iter()
        .map(|rule| {
            (
                rule,
                rule.cues.iter().filter(|cue| has_cue(&text, cue)).count(),
            )
        })
        .filter(|(_, hits)| *hits > 0)
        .max_by_key(|(rule, hits)| {
            (
                *hits,
                std::cmp::Reverse(RULES.iter().position(|r| r.intent == rule.intent)),
            )
        });
    let Some((rule, hits)) = best else {
        return Understanding {
            intent: "fallback",
            confidence: Confidence::NONE,
            entities,
        };
    };
    if rule.intent == "transactions" {
        let count = text
            .split(|c: char| !c.is_ascii_digit())
            .find_map(|w| w.parse::<u32>().ok())
            .unwrap_or(TRANSACTIONS_SHOWN_DEFAULT)
            .clamp(1, TRANSACTIONS_SHOWN_MAX);
        entities.insert("count".into(), count.into());
    }
    if rule.intent == "access_log" {
        let days = if ["today", "आज", "aaj"].iter().any(|c| text.contains(c)) {
            1
        } else if ["month", "महीने", "mahine"].iter().any(|c| text.contains(c)) {
            30
        } else if ["year", "साल", "saal"].iter().any(|c| text.contains(c)) {
            365
        } else {
            7
        };
        entities.insert("days".into(), days.into());
    }
    let confidence = Confidence::from_milli(if hits > 1 { 950 } else { 800 });
    Understanding {
        intent: rule.intent,
        confidence,
        entities,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_skeleton_intents_in_three_languages() {
        for (text, intent) in [
            ("what's my balance?", "balance"),
            ("मेरा बैलेंस क्या है", "balance"),
            ("mere khate mein kitna paisa hai", "balance"),
            ("show my last 5 transactions", "transactions"),
            ("पिछले लेन-देन दिखाओ", "transactions"),
            ("hi", "greeting"),
            ("thanks!", "thanks"),
            ("link my bank", "link_bank"),
            ("revoke the chat app's access", "consent_revoke"),
            ("ऐक्सेस रद्द करो", "consent_revoke"),
            ("who has my data?", "consent_status"),
            ("मेरा डेटा किसके पास है", "consent_status"),
            ("who accessed my data this week?", "access_log"),
            ("इस हफ्ते किसने मेरा डेटा देखा", "access_log"),
            ("pause sharing", "consent_pause"),
            ("साझा करना रोक दो", "consent_pause"),
            ("resume sharing", "consent_resume"),
            ("export my data", "export_data"),
            ("मेरा डेटा डाउनलोड करो", "export_data"),
            ("delete my data", "delete_data"),
            ("मेरा डेटा मिटा दो", "delete_data"),
            ("what is the meaning of life", "fallback"),
            ("this is odd", "fallback"),
        ] {
            assert_eq!(understand(text).intent, intent, "{text}");
        }
    }

    #[test]
    fn reads_the_access_log_period() {
        assert_eq!(
            understand("who accessed my data this week?").entities["days"],
            7
        );
        assert_eq!(understand("who accessed my data today").entities["days"], 1);
        assert_eq!(
            understand("who saw my data this month").entities["days"],
            30
        );
    }

    #[test]
    fn reads_how_many_transactions() {
        assert_eq!(
            understand("show my last 5 transactions").entities["count"],
            5
        );
        assert_eq!(understand("last ७ transactions").entities["count"], 7);
        assert_eq!(understand("last 5000 transactions").entities["count"], 50);
        assert_eq!(understand("recent transactions").entities["count"], 5);
    }
}
