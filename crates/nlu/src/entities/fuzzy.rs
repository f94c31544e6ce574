//! Fuzzy matching of the customer's words against names the caller knows:
//! merchants, places and payees.
//!
//! # Rules
//!
//! Text and names are compared as keys: the normalised words run together
//! without spaces or punctuation ("Big Bazaar" is `bigbazaar`, "D-Mart" is
//! `dmart`). Devanagari words are first put into Latin letters, through a
//! small table of common brand names (अमेज़न → `amazon`) and otherwise by
//! a simple letter-by-letter transliteration with the usual dropping of the
//! inherent vowel (प्रिया → `priya`, कमला → `kamla`). A second, *phonetic*
//! key folds spellings Indians use interchangeably (aa/a, ee/i, oo/u, w/v,
//! z/j, ph/f, aspirated consonants, doubled letters, a final y/i), so
//! "Pooja" meets पूजा and "swiggy" meets स्विगी.
//!
//! A window of one to four consecutive unconsumed words scores, against one
//! name:
//!
//! | how                                                  | score |
//! |------------------------------------------------------|-------|
//! | same key                                             | 100   |
//! | another name of the same city (Bombay for Mumbai)    | 95    |
//! | same phonetic key                                    | 90    |
//! | Damerau-Levenshtein distance *d* within threshold    | 88-4d |
//! | abbreviation of a one-word name ("amzn" for Amazon)  | 75    |
//! | one word equal to one word of a longer name ("Priya" for "Priya Sharma") | 60 |
//! | … phonetically equal                                 | 58    |
//! | … within the distance threshold                      | 54-4d |
//! | … an abbreviation of it                              | 45    |
//!
//! The distance threshold grows with the name's length: none up to three
//! letters, 1 up to seven, 2 up to eleven, 3 beyond; and a near miss must
//! start with the same letter. An abbreviation is a subsequence of the name
//! at least three letters and half the name long, sharing its first letter
//! and either its last letter or being a prefix of four letters or more.
//!
//! False positives are kept away by two word lists (see
//! [`super::lexicon`]): a function word ("on", "the", "me", "kal", "को")
//! never matches anything, not even a name spelt the same; and a word the
//! extractor already understands ("rent", "food", "big", "bill") matches a
//! name only exactly and in full — never as a near miss or a part.

use super::lexicon::{brand, is_common, is_stopword, PLACE_ALIASES};
use super::tokens::{tokenize, Kind, Sent};
use crate::text::normalise;

/// A name the caller knows, prepared for matching.
#[derive(Debug)]
pub(crate) struct Name {
    /// Normalised words run together, in their own script.
    raw: String,
    /// Latin key.
    key: String,
    /// Phonetic key.
    phon: String,
    /// Each word's (Latin, phonetic) key, for matching on one word of the name.
    parts: Vec<(String, String)>,
    /// Other names of the same place.
    aliases: Vec<String>,
}

impl Name {
    pub fn new(name: &str, with_aliases: bool) -> Name {
        let norm = normalise(name);
        let toks: Vec<_> = tokenize(&norm)
            .into_iter()
            .filter(|t| t.kind != Kind::Sym)
            .collect();
        let raw: String = toks.iter().map(|t| t.text).collect();
        let latin: Vec<String> = toks.iter().map(|t| latin(t.text)).collect();
        let key: String = latin.concat();
        let phon = phonetic(&key);
        let parts = latin.iter().map(|p| (p.clone(), phonetic(p))).collect();
        let aliases = if with_aliases {
            PLACE_ALIASES
                .iter()
                .find(|group| group.iter().any(|a| *a == raw || *a == key))
                .map(|group| group.iter().map(|a| (*a).to_owned()).collect())
                .unwrap_or_default()
        } else {
            Vec::new()
        };
        Name {
            raw,
            key,
            phon,
            parts,
            aliases,
        }
    }
}

/// A run of the customer's words.
pub(crate) struct Window {
    pub start: usize,
    pub end: usize,
    raw: String,
    latin: String,
    phon: String,
    words: usize,
    /// Starts or ends with a function word.
    stop_edge: bool,
    /// Every word is a function word.
    all_stop: bool,
    /// Every word is one the extractor understands itself.
    all_common: bool,
}

/// Symbols that may sit inside a name ("d-mart", "m&s", "7-eleven").
const INNER_SYMBOLS: &[&str] = &["-", "&", "'", "."];

/// The windows of up to four words over the unconsumed tokens.
pub(crate) fn windows(s: &Sent) -> Vec<Window> {
    let mut out = Vec::new();
    for start in 0..s.len() {
        let Some(first) = s.at(start) else { continue };
        if first.kind == Kind::Sym {
            continue;
        }
        let mut raw = String::new();
        let mut latin_key = String::new();
        let mut words = 0;
        let mut all_stop = true;
        let mut all_common = true;
        let mut first_stop = false;
        let mut end = start;
        while let Some(t) = s.at(end) {
            if t.kind == Kind::Sym {
                if !INNER_SYMBOLS.contains(&t.text) {
                    break;
                }
                end += 1;
                continue;
            }
            if words == 4 {
                break;
            }
            let stop = is_stopword(t.text);
            if words == 0 {
                first_stop = stop;
            }
            words += 1;
            all_stop &= stop;
            all_common &= is_common(t.text);
            raw.push_str(t.text);
            latin_key.push_str(&latin(t.text));
            end += 1;
            out.push(Window {
                start,
                end,
                raw: raw.clone(),
                phon: phonetic(&latin_key),
                latin: latin_key.clone(),
                words,
                stop_edge: first_stop || stop,
                all_stop,
                all_common,
            });
        }
    }
    out
}

/// How well `w` matches `n` (see the module documentation), if at all.
pub(crate) fn score(w: &Window, n: &Name) -> Option<u32> {
    if w.all_stop || n.key.is_empty() {
        return None;
    }
    if w.raw == n.raw || w.latin == n.key {
        return Some(100);
    }
    if n.aliases.iter().any(|a| *a == w.raw || *a == w.latin) {
        return Some(95);
    }
    if w.stop_edge || w.all_common || w.latin.chars().count() < 3 {
        return None;
    }
    if w.phon == n.phon {
        return Some(90);
    }
    if let Some(d) = near(&w.latin, &w.phon, &n.key, &n.phon) {
        return Some(88 - 4 * d);
    }
    if n.parts.len() == 1 && is_abbreviation(&w.latin, &n.key) {
        return Some(75);
    }
    if w.words != 1 || n.parts.len() < 2 {
        return None;
    }
    n.parts
        .iter()
        .filter(|(p, _)| p.chars().count() >= 3 && !is_common(p))
        .filter_map(|(p, pp)| {
            if w.latin == *p {
                Some(60)
            } else if w.phon == *pp {
                Some(58)
            } else if let Some(d) = near(&w.latin, &w.phon, p, pp) {
                Some(54 - 4 * d)
            } else if is_abbreviation(&w.latin, p) {
                Some(45)
            } else {
                None
            }
        })
        .max()
}

/// The edit distance between text and name when within the threshold for
/// the name's length and the first letters agree.
fn near(text: &str, text_phon: &str, name: &str, name_phon: &str) -> Option<u32> {
    let len = name.chars().count();
    let threshold = match len {
        0..=3 => 0,
        4..=7 => 1,
        8..=11 => 2,
        _ => 3,
    };
    if threshold == 0 {
        return None;
    }
    let first = |a: &str, b: &str| a.chars().next() == b.chars().next();
    if !(first(text, name) || first(text_phon, name_phon)) {
        return None;
    }
    let d = distance(text, name).min(distance(text_phon, name_phon));
    (d <= threshold).then_some(d as u32)
}

/// `short` abbreviates `long`: see the module documentation.
fn is_abbreviation(short: &str, long: &str) -> bool {
    let s: Vec<char> = short.chars().collect();
    let l: Vec<char> = long.chars().collect();
    if s.len() < 3 || s.len() >= l.len() || 2 * s.len() < l.len() || s[0] != l[0] {
        return false;
    }
    let prefix = l.starts_with(&s);
    if !(s.last() == l.last() || (prefix && s.len() >= 4)) {
        return false;
    }
    let mut it = l.iter();
    s.iter().all(|c| it.any(|x| x == c))
}

/// Damerau-Levenshtein distance (optimal string alignment: insertions,
/// deletions, substitutions and transpositions of neighbours).
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[n][m]
}

/// A word in Latin letters: itself if it has no Devanagari, a known brand's
/// spelling, or a transliteration.
pub(crate) fn latin(word: &str) -> String {
    if !crate::text::has_devanagari(word) {
        return word.to_owned();
    }
    if let Some(b) = brand(word) {
        return b.to_owned();
    }
    transliterate(word)
}

/// Devanagari to Latin letters, long vowels as short ones, dropping the
/// inherent vowel at the end of a word and between a vowel and a consonant
/// that carries its own vowel sign (कमला → kamla).
pub(crate) fn transliterate(word: &str) -> String {
    enum Seg {
        /// A consonant and its vowel: `None` for the inherent one.
        Cons(&'static str, Option<&'static str>),
        Other(String),
    }
    let mut segs: Vec<Seg> = Vec::new();
    for c in word.chars() {
        if let Some(base) = consonant(c) {
            segs.push(Seg::Cons(base, None));
            continue;
        }
        let sign = match c {
            '\u{094D}' => Some(""),
            'ा' => Some("a"),
            'ि' | 'ी' => Some("i"),
            'ु' | 'ू' => Some("u"),
            'ृ' => Some("ri"),
            'े' | 'ॅ' | 'ॆ' => Some("e"),
            'ै' => Some("ai"),
            'ो' | 'ॉ' | 'ॊ' => Some("o"),
            'ौ' => Some("au"),
            _ => None,
        };
        if let Some(v) = sign {
            if let Some(Seg::Cons(_, vowel @ None)) = segs.last_mut() {
                *vowel = Some(v);
            }
            continue;
        }
        let other = match c {
            'अ' | 'आ' => "a",
            'इ' | 'ई' => "i",
            'उ' | 'ऊ' => "u",
            'ऋ' => "ri",
            'ए' | 'ऍ' | 'ऎ' => "e",
            'ऐ' => "ai",
            'ओ' | 'ऑ' | 'ऒ' => "o",
            'औ' => "au",
            'ं' | 'ँ' => "n",
            'ः' => "h",
            c if ('\u{0900}'..='\u{097F}').contains(&c) => "",
            c => {
                segs.push(Seg::Other(c.to_string()));
                continue;
            }
        };
        segs.push(Seg::Other(other.to_owned()));
    }
    let mut out = String::new();
    for (i, seg) in segs.iter().enumerate() {
        match seg {
            Seg::Other(s) => out.push_str(s),
            Seg::Cons(base, Some(v)) => {
                out.push_str(base);
                out.push_str(v);
            }
            Seg::Cons(base, None) => {
                out.push_str(base);
                let last = i + 1 == segs.len();
                let after_vowel = i > 0 && out.len() > base.len() && {
                    let before = &out[..out.len() - base.len()];
                    before.ends_with(['a', 'e', 'i', 'o', 'u'])
                };
                let next_has_sign =
                    matches!(segs.get(i + 1), Some(Seg::Cons(_, Some(v))) if !v.is_empty());
                if !(last || (after_vowel && next_has_sign)) {
                    out.push('a');
                }
            }
        }
    }
    out
}

fn consonant(c: char) -> Option<&'static str> {
    Some(match c {
        'क' => "k",
        'ख' => "kh",
        'ग' => "g",
        'घ' => "gh",
        'ङ' | 'ञ' | 'ण' | 'न' => "n",
        'च' => "ch",
        'छ' => "chh",
        'ज' => "j",
        'झ' => "jh",
        'ट' | 'त' => "t",
        'ठ' | 'थ' => "th",
        'ड' | 'द' => "d",
        'ढ' | 'ध' => "dh",
        'प' => "p",
        'फ' => "f",
        'ब' => "b",
        'भ' => "bh",
        'म' => "m",
        'य' => "y",
        'र' => "r",
        'ल' | 'ळ' => "l",
        'व' => "v",
        'श' | 'ष' => "sh",
        'स' => "s",
        'ह' => "h",
        _ => return None,
    })
}

/// The phonetic key: see the module documentation.
pub(crate) fn phonetic(key: &str) -> String {
    let mut s = key
        .replace("ph", "f")
        .replace("ck", "k")
        .replace('w', "v")
        .replace('z', "j")
        .replace('q', "k")
        .replace("ee", "i")
        .replace("oo", "u");
    // Aspiration: bh dh gh jh kh th to b d g j k t (ch and sh stay).
    for (from, to) in [
        ("bh", "b"),
        ("dh", "d"),
        ("gh", "g"),
        ("jh", "j"),
        ("kh", "k"),
        ("th", "t"),
    ] {
        s = s.replace(from, to);
    }
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if out.ends_with(c) {
            continue;
        }
        out.push(c);
    }
    if out.len() > 2 && out.ends_with('y') {
        out.pop();
        out.push('i');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_transpositions_once() {
        assert_eq!(distance("swigy", "swiggy"), 1);
        assert_eq!(distance("amzaon", "amazon"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn transliterates_common_names() {
        assert_eq!(transliterate("प्रिया"), "priya");
        assert_eq!(transliterate("राहुल"), "rahul");
        assert_eq!(transliterate("कमला"), "kamla");
        assert_eq!(transliterate("अंकित"), "ankit");
        assert_eq!(transliterate("गौरव"), "gaurav");
        assert_eq!(transliterate("सचिन"), "sachin");
        assert_eq!(latin("अमेजन"), "amazon");
    }

    #[test]
    fn phonetic_keys_fold_spellings() {
        assert_eq!(phonetic("pooja"), phonetic("puja"));
        assert_eq!(phonetic("swiggy"), phonetic(&transliterate("स्विगी")));
        assert_eq!(phonetic("bazaar"), phonetic("bajar"));
    }

    #[test]
    fn abbreviations() {
        assert!(is_abbreviation("amzn", "amazon"));
        assert!(is_abbreviation("flipk", "flipkart"));
        assert!(!is_abbreviation("bar", "bigbazaar"));
        assert!(!is_abbreviation("amzn", "amazonpay"));
    }
}
