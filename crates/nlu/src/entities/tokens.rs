//! Tokens over normalised text, and the sentence the extractors consume.
//!
//! Unlike [`crate::text::words`], numbers keep their grouping commas and
//! decimal point ("2,50,000", "20.50"), a number glued to letters is split
//! ("5k" is `5` then `k`, "rs500" is `rs` then `500`), and every other
//! non-space character (₹, $, -, /, %) is a token of its own. Each token
//! records whether it was glued to the previous one (no space between).

/// What a token is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Letters and combining marks.
    Word,
    /// ASCII digits, possibly with `,` or `.` between digits.
    Num,
    /// Any other single character.
    Sym,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Tok<'t> {
    pub text: &'t str,
    pub kind: Kind,
    /// No whitespace between this token and the previous one.
    pub glued: bool,
}

/// Splits normalised text into tokens.
pub(crate) fn tokenize(s: &str) -> Vec<Tok<'_>> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut chars = s.char_indices().peekable();
    let mut glued = false;
    while let Some(&(start, c)) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            glued = false;
            continue;
        }
        let kind;
        let mut end = start;
        if c.is_ascii_digit() {
            kind = Kind::Num;
            loop {
                while end < bytes.len() && bytes[end].is_ascii_digit() {
                    end += 1;
                }
                if end + 1 < bytes.len()
                    && (bytes[end] == b',' || bytes[end] == b'.')
                    && bytes[end + 1].is_ascii_digit()
                {
                    end += 1;
                    continue;
                }
                break;
            }
            while chars.next_if(|&(i, _)| i < end).is_some() {}
        } else if is_word_char(c) {
            kind = Kind::Word;
            while let Some((i, c)) = chars.next_if(|&(_, c)| is_word_char(c)) {
                end = i + c.len_utf8();
            }
        } else {
            kind = Kind::Sym;
            chars.next();
            end = start + c.len_utf8();
        }
        out.push(Tok {
            text: &s[start..end],
            kind,
            glued,
        });
        glued = true;
    }
    out
}

fn is_word_char(c: char) -> bool {
    !c.is_ascii_digit() && (c.is_alphanumeric() || is_mark(c))
}

/// Devanagari combining signs (vowel signs, virama, anusvara).
pub(crate) fn is_mark(c: char) -> bool {
    matches!(c, '\u{0900}'..='\u{0903}' | '\u{093A}'..='\u{094F}' | '\u{0951}'..='\u{0957}' | '\u{0962}' | '\u{0963}')
}

/// The tokens of one message and which of them an extractor has consumed.
///
/// Extractors run in a fixed order (follow-up phrases, dates, counts,
/// amounts, names, categories); a consumed token is invisible to the later
/// ones, so "पिछले 3 महीने" is a period and its 3 is neither a count nor an
/// amount.
pub(crate) struct Sent<'t> {
    pub toks: Vec<Tok<'t>>,
    pub used: Vec<bool>,
}

impl<'t> Sent<'t> {
    pub fn new(text: &'t str) -> Self {
        let toks = tokenize(text);
        let used = vec![false; toks.len()];
        Sent { toks, used }
    }

    pub fn len(&self) -> usize {
        self.toks.len()
    }

    /// The token at `i` if it exists and is not consumed.
    pub fn at(&self, i: usize) -> Option<Tok<'t>> {
        if *self.used.get(i)? {
            None
        } else {
            self.toks.get(i).copied()
        }
    }

    /// The text of the free token at `i`.
    pub fn text(&self, i: usize) -> Option<&'t str> {
        self.at(i).map(|t| t.text)
    }

    /// The free token at `i` is a word (or symbol) in `list`.
    pub fn any(&self, i: usize, list: &[&str]) -> bool {
        self.text(i).is_some_and(|t| list.contains(&t))
    }

    /// The free tokens from `i` spell `words` in order; returns the end.
    pub fn seq(&self, i: usize, words: &[&str]) -> Option<usize> {
        for (k, w) in words.iter().enumerate() {
            if self.text(i + k)? != *w {
                return None;
            }
        }
        Some(i + words.len())
    }

    /// The longest of several phrases (each a list of words) starting at `i`.
    pub fn phrase(&self, i: usize, phrases: &[&[&str]]) -> Option<usize> {
        phrases.iter().filter_map(|p| self.seq(i, p)).max()
    }

    /// The phrase from `phrases` that ends just before `end`, if any; returns its start.
    pub fn phrase_before(&self, end: usize, phrases: &[&[&str]]) -> Option<usize> {
        phrases
            .iter()
            .filter(|p| p.len() <= end)
            .filter_map(|p| {
                let start = end - p.len();
                self.seq(start, p).map(|_| start)
            })
            .min()
    }

    /// A plain integer (digits only, no separators) at `i`.
    pub fn int(&self, i: usize) -> Option<u64> {
        let t = self.at(i)?;
        if t.kind != Kind::Num || t.text.len() > 12 || !t.text.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.text.parse().ok()
    }

    /// Marks `start..end` consumed.
    pub fn take(&mut self, start: usize, end: usize) {
        let end = end.min(self.used.len());
        for u in &mut self.used[start.min(end)..end] {
            *u = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<&str> {
        tokenize(s).iter().map(|t| t.text).collect()
    }

    #[test]
    fn numbers_keep_separators_and_split_from_letters() {
        assert_eq!(texts("rs. 2,50,000"), ["rs", ".", "2,50,000"]);
        assert_eq!(texts("₹5k"), ["₹", "5", "k"]);
        assert_eq!(texts("rs500."), ["rs", "500", "."]);
        assert_eq!(texts("usd 20.50, ok"), ["usd", "20.50", ",", "ok"]);
        assert_eq!(texts("लेन-देन"), ["लेन", "-", "देन"]);
        let t = tokenize("5k 6");
        assert!(!t[0].glued && t[1].glued && !t[2].glued);
    }
}
