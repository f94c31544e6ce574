//! Normalisation shared by the classifier and the entity extractor.
//!
//! Lower case; Devanagari digits to ASCII; the nukta folded away (ज़ and ज,
//! precomposed U+095B and decomposed ज + U+093C, are one letter to us: NFC
//! does not unify them, and customers type both); chandrabindu folded into
//! anusvara; curly quotes and dashes made plain; whitespace collapsed.

/// The nukta sign.
const NUKTA: char = '\u{093C}';

/// Normalises `text` as described in the module documentation.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.chars() {
        let c = fold(c);
        let Some(c) = c else { continue };
        if c.is_whitespace() {
            if !space {
                out.push(' ');
                space = true;
            }
            continue;
        }
        space = false;
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            out.extend(c.to_lowercase());
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// One character's fold, or `None` to drop it.
fn fold(c: char) -> Option<char> {
    Some(match c {
        NUKTA => return None,
        // क़ ख़ ग़ ज़ ड़ ढ़ फ़ य़ (precomposed) to their base letters.
        '\u{0958}' => 'क',
        '\u{0959}' => 'ख',
        '\u{095A}' => 'ग',
        '\u{095B}' => 'ज',
        '\u{095C}' => 'ड',
        '\u{095D}' => 'ढ',
        '\u{095E}' => 'फ',
        '\u{095F}' => 'य',
        '\u{0901}' => '\u{0902}',
        '०'..='९' => char::from_digit(c as u32 - '०' as u32, 10).unwrap_or(c),
        '\u{2018}' | '\u{2019}' | '\u{02BC}' => '\'',
        '\u{201C}' | '\u{201D}' => '"',
        '\u{2013}' | '\u{2014}' | '\u{2212}' => '-',
        '\u{00A0}' | '\u{200B}' | '\u{200C}' | '\u{200D}' => ' ',
        _ => c,
    })
}

/// Whether the text has any Devanagari letter.
pub fn has_devanagari(text: &str) -> bool {
    text.chars().any(|c| ('\u{0900}'..='\u{097F}').contains(&c))
}

/// Splits normalised text into word tokens: runs of letters, marks and
/// digits (Devanagari vowel signs are marks and stay inside their word).
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || is_mark(c)))
        .filter(|w| !w.is_empty())
}

/// Devanagari combining signs (vowel signs, virama, anusvara), which Rust's
/// `is_alphanumeric` does not count as letters.
fn is_mark(c: char) -> bool {
    matches!(c, '\u{0900}'..='\u{0903}' | '\u{093A}'..='\u{094F}' | '\u{0951}'..='\u{0957}' | '\u{0962}' | '\u{0963}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nukta_spellings_are_one() {
        // precomposed ज़ (U+095B), decomposed ज + nukta, and plain ज
        assert_eq!(normalise("\u{095B}ार"), normalise("ज\u{093C}ार"));
        assert_eq!(normalise("हज़ार"), "हजार");
        assert_eq!(normalise("ख़र्च"), normalise("खर्च"));
    }

    #[test]
    fn digits_case_and_space() {
        assert_eq!(normalise("  Rs ५००  to\tPriya "), "rs 500 to priya");
        assert_eq!(normalise("What’s  my BALANCE"), "what's my balance");
    }

    #[test]
    fn words_keep_vowel_signs() {
        let t = normalise("पिछले हफ्ते, मैंने कितना खर्च किया?");
        assert_eq!(
            words(&t).collect::<Vec<_>>(),
            ["पिछले", "हफ्ते", "मैंने", "कितना", "खर्च", "किया"]
        );
    }
}
