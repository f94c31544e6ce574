//! BERT's uncased tokenizer: the basic tokenizer (drop control characters,
//! lower-case, strip accents, split on whitespace and punctuation, CJK
//! ideographs one a word) and greedy longest-match-first WordPiece.
//!
//! It matches `BertTokenizer(do_lower_case=True)` on Latin text. Accent
//! stripping (NFD, then dropping non-spacing marks) is done without a
//! Unicode normalisation table: Latin-1 and Latin Extended-A letters are
//! folded to their base letter, combining marks (U+0300–U+036F) and
//! Devanagari non-spacing signs are dropped. Punctuation outside ASCII is
//! the common blocks (Latin-1, General Punctuation, CJK, Devanagari danda)
//! rather than all of Unicode's category P.

use std::collections::HashMap;

/// Words longer than this (in characters) become `[UNK]`, as in BERT.
const MAX_WORD_CHARS: usize = 100;

/// A WordPiece vocabulary: token ids of word-initial pieces and of
/// continuation pieces (`##x`, stored without the `##`).
#[derive(Clone, Default)]
pub struct WordPiece {
    start: HashMap<Box<str>, u32>,
    cont: HashMap<Box<str>, u32>,
    unk: Option<u32>,
}

impl WordPiece {
    /// A tokenizer for `tokens` (token id = position).
    pub fn new<'a>(tokens: impl IntoIterator<Item = &'a str>) -> WordPiece {
        let mut wp = WordPiece::default();
        for (i, t) in tokens.into_iter().enumerate() {
            let i = i as u32;
            if t == "[UNK]" {
                wp.unk = Some(i);
            }
            match t.strip_prefix("##") {
                Some(rest) if !rest.is_empty() => {
                    wp.cont.entry(rest.into()).or_insert(i);
                }
                _ => {
                    wp.start.entry(t.into()).or_insert(i);
                }
            }
        }
        wp
    }

    /// The token ids of `text` (no `[CLS]`/`[SEP]`), appended to `out`.
    pub fn encode(&self, text: &str, out: &mut Vec<u32>) {
        let mut word = String::new();
        for_each_word(text, &mut word, |w| self.word(w, out));
    }

    /// The token ids of `text` as strings.
    #[cfg(test)]
    pub fn tokens(&self, text: &str, vocab: &[&str]) -> Vec<String> {
        let mut ids = Vec::new();
        self.encode(text, &mut ids);
        ids.iter().map(|&i| vocab[i as usize].to_string()).collect()
    }

    fn word(&self, word: &str, out: &mut Vec<u32>) {
        let from = out.len();
        if word.chars().count() > MAX_WORD_CHARS {
            out.extend(self.unk);
            return;
        }
        let mut start = 0;
        while start < word.len() {
            let map = if start == 0 { &self.start } else { &self.cont };
            let rest = &word[start..];
            // Longest prefix of `rest` in the map, trying char boundaries
            // from the longest down.
            let found = rest
                .char_indices()
                .map(|(i, c)| i + c.len_utf8())
                .rev()
                .find_map(|end| map.get(&rest[..end]).map(|&id| (end, id)));
            match found {
                Some((end, id)) => {
                    out.push(id);
                    start += end;
                }
                None => {
                    out.truncate(from);
                    out.extend(self.unk);
                    return;
                }
            }
        }
    }
}

/// Calls `f` with each basic-tokenizer word of `text`.
fn for_each_word(text: &str, word: &mut String, mut f: impl FnMut(&str)) {
    word.clear();
    for c in text.chars() {
        let cp = c as u32;
        if cp == 0 || cp == 0xFFFD || (is_control(c) && !matches!(c, '\t' | '\n' | '\r')) {
            continue;
        }
        if c.is_whitespace() {
            if !word.is_empty() {
                f(word);
                word.clear();
            }
            continue;
        }
        for l in c.to_lowercase() {
            let Some(l) = strip_accent(l) else { continue };
            if is_punctuation(l) || is_cjk(l) {
                if !word.is_empty() {
                    f(word);
                    word.clear();
                }
                let mut buf = [0u8; 4];
                f(l.encode_utf8(&mut buf));
            } else {
                word.push(l);
            }
        }
    }
    if !word.is_empty() {
        f(word);
        word.clear();
    }
}

fn is_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}')
}

fn is_punctuation(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_punctuation();
    }
    matches!(c,
        '\u{00A1}' | '\u{00A7}' | '\u{00AB}' | '\u{00B6}' | '\u{00B7}' | '\u{00BB}' | '\u{00BF}'
        | '\u{037E}' | '\u{0387}'
        | '\u{0964}' | '\u{0965}' | '\u{0970}'
        | '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{2043}' | '\u{2045}'..='\u{2051}' | '\u{2053}'..='\u{205E}'
        | '\u{3001}'..='\u{3003}' | '\u{3008}'..='\u{3011}' | '\u{3014}'..='\u{301F}'
        | '\u{FF01}'..='\u{FF03}' | '\u{FF05}'..='\u{FF0A}' | '\u{FF0C}'..='\u{FF0F}' | '\u{FF1A}' | '\u{FF1B}' | '\u{FF1F}' | '\u{FF20}')
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2B73F
        | 0x2B740..=0x2B81F | 0x2B820..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

/// The character without its accent (NFD, marks dropped), or `None` for a
/// mark on its own.
fn strip_accent(c: char) -> Option<char> {
    if c.is_ascii() {
        return Some(c);
    }
    Some(match c {
        '\u{0300}'..='\u{036F}' => return None,
        // Devanagari non-spacing signs (category Mn), which BERT drops.
        '\u{0900}'..='\u{0902}'
        | '\u{093A}'
        | '\u{093C}'
        | '\u{0941}'..='\u{0948}'
        | '\u{094D}'
        | '\u{0951}'..='\u{0957}'
        | '\u{0962}'
        | '\u{0963}' => return None,
        'à'..='å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
        'ď' => 'd',
        'è'..='ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
        'ĥ' => 'h',
        'ì'..='ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' => 'i',
        'ĵ' => 'j',
        'ķ' => 'k',
        'ĺ' | 'ļ' | 'ľ' => 'l',
        'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
        'ò'..='ö' | 'ō' | 'ŏ' | 'ő' => 'o',
        'ŕ' | 'ŗ' | 'ř' => 'r',
        'ś' | 'ŝ' | 'ş' | 'š' => 's',
        'ţ' | 'ť' => 't',
        'ù'..='ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
        'ŵ' => 'w',
        'ý' | 'ÿ' | 'ŷ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        _ => c,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const VOCAB: &[&str] = &[
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "i", "want", "to", "top", "up", "my", "card", "'", "s",
        "?", "!", "cafe", "un", "##want", "##ed", "##able", ",", "€", "5", "##0",
    ];

    #[test]
    fn splits_punctuation_and_pieces() {
        let wp = WordPiece::new(VOCAB.iter().copied());
        assert_eq!(
            wp.tokens("I want to TOP-UP my card's!?", VOCAB),
            ["i", "want", "to", "top", "[UNK]", "up", "my", "card", "'", "s", "!", "?"]
        );
        assert_eq!(
            wp.tokens("unwanted, unwantable", VOCAB),
            ["un", "##want", "##ed", ",", "un", "##want", "##able"]
        );
    }

    #[test]
    fn accents_unknowns_and_controls() {
        let wp = WordPiece::new(VOCAB.iter().copied());
        assert_eq!(
            wp.tokens("Café\u{0000} CAFE\u{0301}", VOCAB),
            ["cafe", "cafe"]
        );
        assert_eq!(
            wp.tokens("unwantedx € 50", VOCAB),
            ["[UNK]", "€", "5", "##0"]
        );
        assert!(wp.tokens("", VOCAB).is_empty());
        let long = "a".repeat(101);
        assert_eq!(wp.tokens(&long, VOCAB), ["[UNK]"]);
    }
}
