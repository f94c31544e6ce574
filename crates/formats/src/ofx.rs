//! OFX 1.x (SGML), OFX 2.x (XML) and QFX (OFX with Intuit's `INTU.*` tags).
//!
//! One tokenizer reads both dialects: the OFX 1.x header (`OFXHEADER:100`,
//! `CHARSET:…`, …) and the OFX 2.x processing instructions (`<?xml …?>`,
//! `<?OFX …?>`) are skipped, as are comments and `<!…>` declarations.
//!
//! # Elements
//!
//! SGML leaves need no end tag, so whether `<X>` opens an aggregate or is a
//! leaf is decided as follows: the aggregates this parser reads
//! (`STMTRS`, `STMTTRN`, `LEDGERBAL`, …) always open one; the leaves it reads
//! (`TRNAMT`, `MEMO`, …) are always leaves, with the text up to the next tag
//! as their value (empty if a tag follows, as in an empty unclosed `<MEMO>`);
//! `<X/>` is an empty leaf; any other tag is a leaf when text follows it and
//! an aggregate when its own `</X>` comes before the end of the element
//! around it, otherwise an empty leaf. An end tag closes the innermost open
//! aggregate of that name (and anything left open inside it); an end tag of a
//! leaf, or of nothing open, is ignored. Unknown elements are skipped with
//! everything inside them.
//!
//! # Text
//!
//! Each text run is decoded on its own with [`crate::decode_line`]: UTF-8
//! first, then Windows-1252, then ISO-8859-1, whatever the `CHARSET` or
//! `ENCODING` header claims (headers lie). Entities `&amp;` `&lt;` `&gt;`
//! `&quot;` `&apos;` `&nbsp;` and numeric references are decoded; an `&`
//! that starts none of them is kept as it is (`AT&T` in SGML files).
//! `<![CDATA[…]]>` is literal text.
//!
//! # Statements
//!
//! Each `STMTRS` (bank) and `CCSTMTRS` (credit card) is one [`Statement`]:
//! the account is `ACCTID` (from `BANKACCTFROM` or `CCACCTFROM`; `BANKID`,
//! `BRANCHID` and `ACCTTYPE` are not part of it), the currency `CURDEF`
//! (falling back to [`Options::currency`], as the account falls back to
//! [`Options::account`]), the reference the enclosing `TRNUID`, the
//! information `MKTGINFO`.
//!
//! OFX gives a closing balance (`LEDGERBAL`, with `AVAILBAL` as the available
//! balance) but no opening balance, so an OFX statement has
//! `opening_balance: None` and the balance check (opening plus entries equals
//! closing) does not apply: there is nothing to check the entries against.
//!
//! Per `STMTTRN`: `TRNAMT` is the signed amount (its sign is authoritative,
//! whatever `TRNTYPE` says; a decimal comma is accepted); `DTPOSTED` the
//! booking date and `DTAVAIL` (if given, else `DTPOSTED`) the value date;
//! `TRNTYPE` the transaction code; `FITID` the bank reference; `REFNUM`, or
//! else `CHECKNUM`, the reference; `NAME` (or `PAYEE/NAME`) the counterparty;
//! `MEMO` the description, or `NAME` when there is no memo;
//! `BANKACCTTO`/`CCACCTTO` `ACCTID` the counterparty account. Kept in
//! [`Entry::details`]: `DTUSER` (as `YYYY-MM-DD`), `CHECKNUM`, `SIC`,
//! `PAYEEID`, `SRVRTID`, `CORRECTFITID`, `CORRECTACTION`, `EXTDNAME`, and
//! the currency details below.
//!
//! With `ORIGCURRENCY` the amount is already in `CURDEF`; the original
//! currency and rate go to the details (`ORIGCURRENCY`, `CURRATE`). With
//! `CURRENCY` (and a `CURSYM` other than `CURDEF`) the amount is in `CURSYM`
//! and is converted to `CURDEF` by multiplying with `CURRATE` (the ratio of
//! `CURDEF` to `CURSYM`), rounded half away from zero to the account
//! currency's minor unit; the original amount goes to the details
//! (`ORIGAMT` as `12.34 EUR`, `CURRATE`).
//!
//! # Dates
//!
//! `YYYYMMDD[HHMM[SS[.XXX]]][[±H[.MM]][:TZ]]`, see [`parse_datetime`]. An
//! entry's dates are the calendar dates as written: a date-only value is that
//! calendar date (not midnight UTC), and a date-time is taken in the zone the
//! file gives it in, never shifted to UTC or to the reader's zone.
//!
//! # Memory
//!
//! [`OfxReader`] streams: one buffer (64 KiB, grown only for a longer
//! single token), the statement being read, and the tokens read ahead to
//! tell an unknown SGML tag's kind — as far as the first end tag of it or
//! of an aggregate open around it (for a malformed file, such as an
//! unclosed unknown tag with no end tag after it, that can be the rest of
//! the file). Positions in errors are `line:column` of the offending value
//! (or tag), counted as the input is read, and the field is the tag name,
//! such as `TRNAMT`. A tokenizing error is reported where it is met, after
//! any statement before it.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::io::Read;

use anumati_domain::{Currency, Money};
use jiff::civil::{Date, Time};
use jiff::tz::Offset;
use jiff::Timestamp;

use crate::{decode_line, Balance, Entry, Options, ParseError, Parsed, Statement};

/// Parses a whole OFX/QFX input (streamed: see [`OfxReader`]).
pub fn parse<R: Read>(input: R, options: Options) -> Result<Parsed, ParseError> {
    let mut statements = Vec::new();
    for s in OfxReader::new(input, options) {
        statements.push(s?);
    }
    Ok(Parsed {
        statements,
        warnings: Vec::new(),
    })
}

/// Parses OFX/QFX bytes.
pub fn parse_bytes(bytes: &[u8], options: Options) -> Result<Parsed, ParseError> {
    parse(bytes, options)
}

/// An OFX date and time as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfxDateTime {
    /// The calendar date as written (in the file's zone).
    pub date: Date,
    /// `None` for a date-only value.
    pub time: Option<Time>,
    /// The offset in brackets, if any (`[+5.50:IST]` is +05:30).
    pub offset: Option<Offset>,
    /// The zone name after the colon, if any (`IST`).
    pub zone: Option<String>,
}

impl OfxDateTime {
    /// The instant, for a value with a time (without an offset OFX means
    /// GMT). A date-only value is a calendar date, not an instant: `None`.
    pub fn timestamp(&self) -> Option<Timestamp> {
        let time = self.time?;
        self.offset
            .unwrap_or(Offset::UTC)
            .to_timestamp(self.date.to_datetime(time))
            .ok()
    }
}

/// Parses an OFX date-time: `YYYYMMDD`, optionally `HHMM`, `HHMMSS` and
/// `.XXX` (fractional seconds), optionally a zone in brackets: `[-5:EST]`,
/// `[0:GMT]`, `[+5.50:IST]`, `[-3]`. The part after the dot of the offset is
/// a fraction of an hour when that gives whole quarter hours (`5.50` and
/// `5.5` are 5 h 30 min, `5.75` is 5 h 45 min) and minutes otherwise (`5.30`
/// is 5 h 30 min, `5.45` is 5 h 45 min), as files use both.
pub fn parse_datetime(s: &str) -> Result<OfxDateTime, String> {
    let t = s.trim();
    let bad = |why: &str| format!("invalid date {t:?}: {why}");
    let b = t.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits < 8 {
        return Err(bad("expected YYYYMMDD"));
    }
    let num = |r: std::ops::Range<usize>| -> i32 {
        b[r].iter().fold(0i32, |n, &c| n * 10 + i32::from(c - b'0'))
    };
    let date = Date::new(num(0..4) as i16, num(4..6) as i8, num(6..8) as i8)
        .map_err(|_| bad("no such day"))?;
    let (hour, minute, second) = match digits {
        8 => (None, 0, 0),
        12 => (Some(num(8..10)), num(10..12), 0),
        14 => (Some(num(8..10)), num(10..12), num(12..14)),
        _ => return Err(bad("expected YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS")),
    };
    let mut i = digits;
    let mut nanos = 0i32;
    if b.get(i) == Some(&b'.') {
        if hour.is_none() {
            return Err(bad("fractional seconds without a time"));
        }
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let frac = &b[start..i];
        if frac.is_empty() || frac.len() > 9 {
            return Err(bad("expected 1 to 9 digits after the dot"));
        }
        nanos = frac
            .iter()
            .chain(std::iter::repeat(&b'0'))
            .take(9)
            .fold(0i32, |n, &c| n * 10 + i32::from(c - b'0'));
    }
    let time = match hour {
        None => None,
        Some(h) => Some(
            Time::new(h as i8, minute as i8, second as i8, nanos)
                .map_err(|_| bad("no such time of day"))?,
        ),
    };
    let mut offset = None;
    let mut zone = None;
    if b.get(i) == Some(&b'[') {
        let close = t[i..]
            .find(']')
            .map(|p| p + i)
            .ok_or_else(|| bad("unclosed '['"))?;
        let inner = &t[i + 1..close];
        let (off, name) = match inner.split_once(':') {
            Some((o, n)) => (o.trim(), Some(n.trim())),
            None => (inner.trim(), None),
        };
        if !off.is_empty() {
            offset = Some(parse_offset(off).ok_or_else(|| bad("invalid zone offset"))?);
        }
        zone = name.filter(|n| !n.is_empty()).map(str::to_owned);
        i = close + 1;
    }
    if i != b.len() {
        return Err(bad("unexpected text after the date"));
    }
    Ok(OfxDateTime {
        date,
        time,
        offset,
        zone,
    })
}

/// `+5.50`, `-5`, `0`, `5.30`, `+05:30` is not accepted (the colon starts
/// the zone name).
fn parse_offset(s: &str) -> Option<Offset> {
    let (negative, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (h, frac) = match rest.split_once('.') {
        Some((h, f)) => (h, Some(f)),
        None => (rest, None),
    };
    if h.is_empty() || h.len() > 2 || !h.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let hours: i32 = h.parse().ok()?;
    let minutes = match frac {
        None => 0,
        Some(f) if f.is_empty() || f.len() > 2 || !f.bytes().all(|c| c.is_ascii_digit()) => {
            return None
        }
        Some(f) => {
            // As a fraction of an hour: `5` → 0.5 h, `50` → 0.50 h.
            let hundredths: i32 = if f.len() == 1 {
                f.parse::<i32>().ok()? * 10
            } else {
                f.parse().ok()?
            };
            let as_fraction = hundredths * 60;
            if as_fraction % 100 == 0 && (as_fraction / 100) % 15 == 0 {
                as_fraction / 100
            } else if hundredths < 60 && f.len() == 2 {
                hundredths
            } else {
                return None;
            }
        }
    };
    if hours > 14 {
        return None;
    }
    let seconds = (hours * 60 + minutes) * 60;
    Offset::from_seconds(if negative { -seconds } else { seconds }).ok()
}

// ---------------------------------------------------------------------------
// Tokens

/// A 1-based line and column (in characters of the decoded line).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Pos {
    line: usize,
    column: usize,
}

/// A tag name, upper-cased; the names this parser reads are not allocated.
type Name = Cow<'static, str>;

enum Tok {
    /// `<NAME …>` (name upper-cased); `empty` for `<NAME/>`.
    Start {
        name: Name,
        at: Pos,
        empty: bool,
    },
    End {
        name: Name,
    },
    /// Decoded text; `at` is its first character that is not white space.
    Text {
        text: String,
        at: Pos,
    },
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Reads tokens from any [`Read`] through one buffer of its own, keeping
/// only the unread input and the tokens read ahead (see
/// [`Lexer::closes_first`]); positions are counted as it goes.
struct Lexer<R> {
    input: R,
    buf: Vec<u8>,
    /// Start of the unread bytes.
    pos: usize,
    /// End of the bytes read into `buf`.
    len: usize,
    eof: bool,
    started: bool,
    /// Where `pos` is: lines before it, and on its line the characters (if
    /// the line so far is valid UTF-8) and bytes before it.
    line: usize,
    line_chars: usize,
    line_bytes: usize,
    line_utf8: bool,
    /// Tokens read ahead, with their sequence numbers.
    ahead: VecDeque<(u64, Tok)>,
    /// The next token's sequence number.
    seq: u64,
    /// The sequence numbers of the end tags in `ahead`, by name, kept only
    /// while `indexed` (from the first [`Lexer::closes_first`] until `ahead`
    /// is empty again).
    ends: HashMap<Name, VecDeque<u64>>,
    indexed: bool,
}

const CHUNK: usize = 64 * 1024;

impl<R: Read> Lexer<R> {
    fn new(input: R) -> Self {
        Lexer {
            input,
            buf: vec![0; CHUNK],
            pos: 0,
            len: 0,
            eof: false,
            started: false,
            line: 0,
            line_chars: 0,
            line_bytes: 0,
            line_utf8: true,
            ahead: VecDeque::new(),
            seq: 0,
            ends: HashMap::new(),
            indexed: false,
        }
    }

    fn here(&self) -> Pos {
        Pos {
            line: self.line + 1,
            column: 1 + if self.line_utf8 {
                self.line_chars
            } else {
                self.line_bytes
            },
        }
    }

    /// Counts `buf[a..b]` into the position and consumes it.
    fn advance(&mut self, a: usize, b: usize) {
        let s = &self.buf[a..b];
        let mut part = s;
        // Ranges are a tag or a value, with a line break or none: found
        // eight bytes at a time.
        let mut lines = 0;
        let mut from = 0;
        while let Some(i) = crate::xml::find(&s[from..], b'\n') {
            lines += 1;
            from += i + 1;
        }
        if lines > 0 {
            let nl = from - 1;
            self.line += lines;
            self.line_chars = 0;
            self.line_bytes = 0;
            self.line_utf8 = true;
            part = &s[nl + 1..];
        }
        self.line_bytes += part.len();
        if self.line_utf8 {
            if part.is_ascii() {
                self.line_chars += part.len();
            } else {
                match std::str::from_utf8(part) {
                    Ok(t) => self.line_chars += t.chars().count(),
                    Err(_) => self.line_utf8 = false,
                }
            }
        }
        self.pos = b;
    }

    fn read_error(&self, e: std::io::Error) -> ParseError {
        let p = self.here();
        ParseError::at(p.line, p.column, "-", format!("read error: {e}"))
    }

    /// Reads more input, keeping the unread bytes; false at the end.
    fn fill(&mut self) -> Result<bool, ParseError> {
        match crate::xml::refill(
            &mut self.input,
            &mut self.buf,
            &mut self.pos,
            &mut self.len,
            &mut self.eof,
        ) {
            Ok(more) => Ok(more),
            Err(e) => Err(self.read_error(e)),
        }
    }

    /// Skips a UTF-8 BOM (or decodes UTF-16 with its BOM, reading it all)
    /// and the OFX 1.x header (`KEY:VALUE` lines), which ends at the first tag.
    fn start(&mut self) -> Result<(), ParseError> {
        self.started = true;
        while self.len < 3 && self.fill()? {}
        if self.buf[..self.len].starts_with(b"\xEF\xBB\xBF") {
            self.pos = 3;
        } else if self.buf[..self.len].starts_with(b"\xFF\xFE")
            || self.buf[..self.len].starts_with(b"\xFE\xFF")
        {
            let mut all = self.buf[..self.len].to_vec();
            self.input
                .read_to_end(&mut all)
                .map_err(|e| self.read_error(e))?;
            self.buf = crate::unbom(&all).into_owned();
            self.len = self.buf.len();
            self.eof = true;
        }
        loop {
            let p = self.pos;
            match self.buf[p..self.len].iter().position(|&c| c == b'<') {
                Some(i) => {
                    self.advance(p, p + i);
                    return Ok(());
                }
                None => {
                    self.advance(p, self.len);
                    if !self.fill()? {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// The next token from the input (not from `ahead`).
    fn lex(&mut self) -> Result<Option<Tok>, ParseError> {
        if !self.started {
            self.start()?;
        }
        loop {
            if self.pos == self.len && !self.fill()? {
                return Ok(None);
            }
            let p = self.pos;
            if self.buf[p] != b'<' {
                let end = match crate::xml::find(&self.buf[p..self.len], b'<') {
                    Some(i) => p + i,
                    None if self.eof => self.len,
                    None => {
                        self.fill()?;
                        continue;
                    }
                };
                let raw = &self.buf[p..end];
                let Some(lead) = raw.iter().position(|c| !c.is_ascii_whitespace()) else {
                    self.advance(p, end);
                    continue;
                };
                let mut decoded = String::with_capacity(raw.len());
                decode_line(raw, &mut decoded);
                let text = unescape(decoded);
                if lead > 0 {
                    self.advance(p, p + lead);
                }
                let at = self.here();
                self.advance(p + lead, end);
                return Ok(Some(Tok::Text { text, at }));
            }
            let rest = &self.buf[p..self.len];
            if rest.len() < 9 && !self.eof {
                self.fill()?;
                continue;
            }
            let at = self.here();
            let unterminated = |what: &str| ParseError::at(at.line, at.column, "-", what);
            // (offset of the terminator after `p`, its length)
            let (skip, term): (usize, &[u8]) = if rest.starts_with(b"<!--") {
                (4, b"-->")
            } else if rest.starts_with(b"<![CDATA[") {
                (9, b"]]>")
            } else if rest.starts_with(b"<?") {
                (2, b"?>")
            } else if rest.starts_with(b"<!") {
                (2, b">")
            } else {
                (0, b"")
            };
            if skip > 0 {
                let Some(e) = find(&rest[skip..], term).map(|e| p + skip + e) else {
                    if self.fill()? {
                        continue;
                    }
                    return Err(unterminated(match skip {
                        4 => "unterminated comment",
                        9 => "unterminated CDATA section",
                        _ if term == b"?>" => "unterminated processing instruction",
                        _ => "unterminated declaration",
                    }));
                };
                if skip == 9 {
                    let mut text = String::new();
                    decode_line(&self.buf[p + 9..e], &mut text);
                    self.advance(p, p + 9);
                    let at = self.here();
                    self.advance(p + 9, e + 3);
                    return Ok(Some(Tok::Text { text, at }));
                }
                self.advance(p, e + term.len());
                continue;
            }
            let end = match rest[1..].iter().position(|&c| c == b'>' || c == b'<') {
                Some(i) if rest[1 + i] == b'>' => p + 1 + i,
                Some(_) => return Err(unterminated("unterminated tag: expected '>'")),
                None => {
                    if self.fill()? {
                        continue;
                    }
                    return Err(unterminated("unterminated tag: expected '>'"));
                }
            };
            let mut inner = &self.buf[p + 1..end];
            let closing = inner.first() == Some(&b'/');
            if closing {
                inner = &inner[1..];
            }
            let empty = !closing && inner.last() == Some(&b'/');
            if empty {
                inner = &inner[..inner.len() - 1];
            }
            // The name runs to the first white space; one pass finds its
            // end and checks its characters.
            let mut name_len = inner.len();
            let mut valid = true;
            for (i, &c) in inner.iter().enumerate() {
                if c.is_ascii_whitespace() {
                    name_len = i;
                    break;
                }
                valid &= c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b':');
            }
            let name = &inner[..name_len];
            if name.is_empty() || !valid {
                return Err(ParseError::at(
                    at.line,
                    at.column,
                    "-",
                    format!(
                        "invalid tag <{}>",
                        String::from_utf8_lossy(&self.buf[p + 1..end])
                    ),
                ));
            }
            // Namespace prefixes are ignored; OFX tag names are upper case.
            let local = match name.iter().rposition(|&c| c == b':') {
                Some(i) => &name[i + 1..],
                None => name,
            };
            let name = intern(local);
            if name_len == inner.len() {
                // `<`, `/`, the name's characters and `>`: ASCII, on one line.
                let n = end + 1 - p;
                self.line_bytes += n;
                if self.line_utf8 {
                    self.line_chars += n;
                }
                self.pos = end + 1;
            } else {
                self.advance(p, end + 1);
            }
            return Ok(Some(if closing {
                Tok::End { name }
            } else {
                Tok::Start { name, at, empty }
            }));
        }
    }

    /// Reads one more token into `ahead`; false at the end of input.
    fn read_ahead(&mut self) -> Result<bool, ParseError> {
        let Some(t) = self.lex()? else {
            return Ok(false);
        };
        let seq = self.seq;
        self.seq += 1;
        if let (true, Tok::End { name }) = (self.indexed, &t) {
            self.ends.entry(name.clone()).or_default().push_back(seq);
        }
        self.ahead.push_back((seq, t));
        Ok(true)
    }

    fn next(&mut self) -> Result<Option<Tok>, ParseError> {
        match self.ahead.pop_front() {
            Some((seq, t)) => {
                if self.indexed {
                    if let Tok::End { name } = &t {
                        if let Some(q) = self.ends.get_mut(name) {
                            if q.front() == Some(&seq) {
                                q.pop_front();
                            }
                            if q.is_empty() {
                                self.ends.remove(name);
                            }
                        }
                    }
                    if self.ahead.is_empty() {
                        self.ends.clear();
                        self.indexed = false;
                    }
                }
                Ok(Some(t))
            }
            None => {
                self.seq += 1;
                self.lex()
            }
        }
    }

    /// The next token without consuming it.
    fn peek(&mut self) -> Result<Option<&Tok>, ParseError> {
        if self.ahead.is_empty() && !self.read_ahead()? {
            return Ok(None);
        }
        Ok(self.ahead.front().map(|(_, t)| t))
    }

    /// Whether `</name>` comes before the end tag of any of `open` (the
    /// aggregates open around it): true if it does, false if one of those
    /// comes first (or both at once) or neither comes at all. Reads ahead
    /// as far as needed, no further.
    fn closes_first<'a>(
        &mut self,
        name: &str,
        open: impl Iterator<Item = &'a str> + Clone,
    ) -> Result<bool, ParseError> {
        if !self.indexed {
            self.indexed = true;
            for (seq, t) in &self.ahead {
                if let Tok::End { name } = t {
                    self.ends.entry(name.clone()).or_default().push_back(*seq);
                }
            }
        }
        loop {
            let own = self.ends.get(name).and_then(|q| q.front().copied());
            let outer = open
                .clone()
                .filter_map(|s| self.ends.get(s).and_then(|q| q.front().copied()))
                .min();
            match (own, outer) {
                (Some(o), Some(e)) => return Ok(o < e),
                (Some(_), None) => return Ok(true),
                (None, Some(_)) => return Ok(false),
                (None, None) => {
                    if !self.read_ahead()? {
                        return Ok(false);
                    }
                }
            }
        }
    }
}

/// `t` trimmed in its own allocation (a leaf's text in SGML ends with the
/// line break before the next tag: trimming by copying was an allocation
/// per value).
fn trim_owned(mut t: String) -> String {
    // The ASCII characters `char::is_whitespace` knows (with VT, which
    // `u8::is_ascii_whitespace` leaves out).
    let space = |c: &&u8| matches!(c, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r');
    let b = t.as_bytes();
    let end = b.len() - b.iter().rev().take_while(space).count();
    let start = b[..end].iter().take_while(space).count();
    // Past the ASCII white space, a non-ASCII end may be white space too
    // (U+00A0, as cp1252's 0xA0 decodes): `str::trim` decides then.
    if b.get(start).is_some_and(|c| !c.is_ascii()) || (end > 0 && !b[end - 1].is_ascii()) {
        let v = t.trim();
        if v.len() == t.len() {
            return t;
        }
        return v.to_owned();
    }
    t.truncate(end);
    if start > 0 {
        t.drain(..start);
    }
    t
}

/// An ASCII tag name, upper-cased: a static string for the names
/// [`is_aggregate`] or [`leaf_name`] know, or else a new one.
fn intern(name: &[u8]) -> Name {
    // Names as OFX writes them (upper case) are looked up as they are.
    if let Some(k) = leaf_name(name).or_else(|| aggregate_name(name)) {
        return Cow::Borrowed(k);
    }
    let mut upper = [0u8; 24];
    if let Some(u) = upper.get_mut(..name.len()) {
        for (u, &c) in u.iter_mut().zip(name) {
            *u = c.to_ascii_uppercase();
        }
        if let Some(k) = leaf_name(u).or_else(|| aggregate_name(u)) {
            return Cow::Borrowed(k);
        }
        if let Ok(n) = std::str::from_utf8(u) {
            return Cow::Owned(n.to_owned());
        }
    }
    Cow::Owned(String::from_utf8_lossy(name).to_ascii_uppercase())
}

/// Decodes entities; an `&` that starts no known entity stays as it is.
fn unescape(s: String) -> String {
    if crate::xml::find(s.as_bytes(), b'&').is_none() {
        return s;
    }

    let mut out = String::with_capacity(s.len());
    let mut rest = s.as_str();
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let entity = rest[1..]
            .find(';')
            .filter(|&n| n <= 10)
            .map(|n| &rest[1..n + 1]);
        let decoded = entity.and_then(|e| match e {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ => {
                let n = if let Some(h) = e.strip_prefix("#x").or_else(|| e.strip_prefix("#X")) {
                    u32::from_str_radix(h, 16).ok()
                } else if let Some(d) = e.strip_prefix('#') {
                    d.parse().ok()
                } else {
                    None
                };
                n.and_then(char::from_u32)
            }
        });
        match (entity, decoded) {
            (Some(e), Some(c)) => {
                out.push(c);
                rest = &rest[e.len() + 2..];
            }
            _ => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

// ---------------------------------------------------------------------------
// Elements

/// Streams the statements of an OFX/QFX input, one `STMTRS`/`CCSTMTRS` at
/// a time. After the last statement it yields an error if the input had no
/// `<OFX>` element or no statement at all.
pub struct OfxReader<R> {
    lexer: Lexer<R>,
    p: Parser,
    /// Statements finished and not yet returned.
    ready: VecDeque<Statement>,
    /// Statements returned (or ready).
    count: usize,
    done: bool,
}

impl<R: Read> OfxReader<R> {
    pub fn new(input: R, options: Options) -> Self {
        OfxReader {
            lexer: Lexer::new(input),
            p: Parser {
                options,
                stack: Vec::new(),
                trnuid: None,
                stmt: None,
                tx: None,
                seen_ofx: false,
                status: None,
            },
            ready: VecDeque::new(),
            count: 0,
            done: false,
        }
    }

    /// Handles tokens until a statement is finished or the input ends.
    fn step(&mut self) -> Result<bool, ParseError> {
        let Some(tok) = self.lexer.next()? else {
            self.finish_input()?;
            return Ok(false);
        };
        let p = &mut self.p;
        match tok {
            Tok::Text { .. } => {} // Stray text between elements.
            Tok::End { name } => {
                if let Some(i) = p.stack.iter().rposition(|(s, _)| *s == name) {
                    while p.stack.len() > i {
                        let Some((s, _)) = p.stack.pop() else { break };
                        if let Some(st) = p.close(&s)? {
                            self.ready.push_back(st);
                        }
                    }
                }
            }
            Tok::Start { name, at, empty } => {
                let mut text: Option<(String, Pos)> = None;
                while let Some(Tok::Text { .. }) = self.lexer.peek()? {
                    let Some(Tok::Text { text: t, at: tat }) = self.lexer.next()? else {
                        break;
                    };
                    match text.as_mut() {
                        Some((s, _)) => s.push_str(&t),
                        None => text = Some((t, tat)),
                    }
                }
                // Trimmed once, for the test below and as the value.
                let text = text.map(|(t, tat)| (trim_owned(t), tat));
                let p = &mut self.p;
                let has_text = text.as_ref().is_some_and(|(t, _)| !t.is_empty());
                let aggregate = !empty
                    && (is_aggregate(&name)
                        || (!has_text
                            && leaf_name(name.as_bytes()).is_none()
                            && self
                                .lexer
                                .closes_first(&name, p.stack.iter().map(|(s, _)| s.as_ref()))?));
                if aggregate {
                    if p.stack.len() >= MAX_DEPTH {
                        return Err(p.err(at, &name, "elements nested too deeply"));
                    }
                    p.open(&name, at)?;
                    p.stack.push((name, at));
                } else {
                    let value = match text {
                        Some((t, tat)) if !empty => Val { text: t, at: tat },
                        _ => Val {
                            text: String::new(),
                            at,
                        },
                    };
                    p.leaf(&name, value);
                }
            }
        }
        Ok(true)
    }

    /// The end of input: what is still open.
    fn finish_input(&mut self) -> Result<(), ParseError> {
        let p = &mut self.p;
        if let Some((name, at)) = p.stack.iter().find(|(s, _)| {
            matches!(
                s.as_ref(),
                "STMTRS" | "CCSTMTRS" | "STMTTRN" | "BANKTRANLIST"
            )
        }) {
            return Err(p.err(
                *at,
                name,
                format!("the file ends inside <{name}>: it is truncated or </{name}> is missing"),
            ));
        }
        // Close what is left open (an SGML file without `</OFX>`).
        while let Some((s, _)) = p.stack.pop() {
            if let Some(st) = p.close(&s)? {
                self.ready.push_back(st);
            }
        }
        if !p.seen_ofx {
            return Err(ParseError::at(
                1,
                1,
                "OFX",
                "no <OFX> element: not an OFX or QFX file",
            ));
        }
        if self.count + self.ready.len() == 0 {
            let why = match &p.status {
                Some(s) => format!(" (the server's status says: {s})"),
                None => String::new(),
            };
            return Err(ParseError::at(
                1,
                1,
                "STMTRS",
                format!("no bank (STMTRS) or credit-card (CCSTMTRS) statement in the file{why}"),
            ));
        }
        Ok(())
    }
}

impl<R: Read> Iterator for OfxReader<R> {
    type Item = Result<Statement, ParseError>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(s) = self.ready.pop_front() {
                self.count += 1;
                return Some(Ok(s));
            }
            if self.done {
                return None;
            }
            match self.step() {
                Ok(true) => {}
                Ok(false) => self.done = true,
                Err(e) => {
                    self.done = true;
                    self.ready.clear();
                    return Some(Err(e));
                }
            }
        }
    }
}

/// Aggregates read here: always opened, whatever follows them.
fn is_aggregate(name: &str) -> bool {
    aggregate_name(name.as_bytes()).is_some()
}

/// [`is_aggregate`]'s names as `&'static str`.
fn aggregate_name(name: &[u8]) -> Option<&'static str> {
    Some(match name {
        b"OFX" => "OFX",
        b"SIGNONMSGSRSV1" => "SIGNONMSGSRSV1",
        b"SONRS" => "SONRS",
        b"STATUS" => "STATUS",
        b"FI" => "FI",
        b"BANKMSGSRSV1" => "BANKMSGSRSV1",
        b"CREDITCARDMSGSRSV1" => "CREDITCARDMSGSRSV1",
        b"STMTTRNRS" => "STMTTRNRS",
        b"CCSTMTTRNRS" => "CCSTMTTRNRS",
        b"STMTRS" => "STMTRS",
        b"CCSTMTRS" => "CCSTMTRS",
        b"BANKACCTFROM" => "BANKACCTFROM",
        b"CCACCTFROM" => "CCACCTFROM",
        b"BANKACCTTO" => "BANKACCTTO",
        b"CCACCTTO" => "CCACCTTO",
        b"BANKTRANLIST" => "BANKTRANLIST",
        b"STMTTRN" => "STMTTRN",
        b"PAYEE" => "PAYEE",
        b"CURRENCY" => "CURRENCY",
        b"ORIGCURRENCY" => "ORIGCURRENCY",
        b"LEDGERBAL" => "LEDGERBAL",
        b"AVAILBAL" => "AVAILBAL",
        b"BALLIST" => "BALLIST",
        b"BAL" => "BAL",
        _ => return None,
    })
}

/// Leaves read here: always leaves, even when empty and unclosed. The
/// name as a `&'static str`, or `None` for any other name.
fn leaf_name(name: &[u8]) -> Option<&'static str> {
    Some(match name {
        b"TRNUID" => "TRNUID",
        b"CODE" => "CODE",
        b"SEVERITY" => "SEVERITY",
        b"MESSAGE" => "MESSAGE",
        b"CURDEF" => "CURDEF",
        b"BANKID" => "BANKID",
        b"BRANCHID" => "BRANCHID",
        b"ACCTID" => "ACCTID",
        b"ACCTTYPE" => "ACCTTYPE",
        b"ACCTKEY" => "ACCTKEY",
        b"DTSTART" => "DTSTART",
        b"DTEND" => "DTEND",
        b"TRNTYPE" => "TRNTYPE",
        b"DTPOSTED" => "DTPOSTED",
        b"DTUSER" => "DTUSER",
        b"DTAVAIL" => "DTAVAIL",
        b"TRNAMT" => "TRNAMT",
        b"FITID" => "FITID",
        b"CORRECTFITID" => "CORRECTFITID",
        b"CORRECTACTION" => "CORRECTACTION",
        b"SRVRTID" => "SRVRTID",
        b"CHECKNUM" => "CHECKNUM",
        b"REFNUM" => "REFNUM",
        b"SIC" => "SIC",
        b"PAYEEID" => "PAYEEID",
        b"NAME" => "NAME",
        b"EXTDNAME" => "EXTDNAME",
        b"MEMO" => "MEMO",
        b"CURSYM" => "CURSYM",
        b"CURRATE" => "CURRATE",
        b"BALAMT" => "BALAMT",
        b"DTASOF" => "DTASOF",
        b"MKTGINFO" => "MKTGINFO",
        b"DTSERVER" => "DTSERVER",
        b"LANGUAGE" => "LANGUAGE",
        b"ORG" => "ORG",
        b"FID" => "FID",
        _ => return None,
    })
}

/// A leaf's value and where it is.
#[derive(Clone, Default)]
struct Val {
    text: String,
    at: Pos,
}

#[derive(Default)]
struct Tx {
    at: Pos,
    fields: Vec<(&'static str, Val)>,
    payee_name: Option<Val>,
    acct_to: Option<Val>,
    /// (`CURRENCY` rather than `ORIGCURRENCY`, `CURSYM`, `CURRATE`).
    currency: Option<(bool, Option<Val>, Option<Val>)>,
}

impl Tx {
    fn get(&self, name: &str) -> Option<&Val> {
        self.fields
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }
    fn text(&self, name: &str) -> Option<&str> {
        self.get(name)
            .map(|v| v.text.as_str())
            .filter(|t| !t.is_empty())
    }
    /// [`Tx::text`], moved out.
    fn take(&mut self, name: &str) -> Option<String> {
        let (_, v) = self.fields.iter_mut().rev().find(|(n, _)| *n == name)?;
        Some(std::mem::take(&mut v.text)).filter(|t| !t.is_empty())
    }
}

#[derive(Default)]
struct Bal {
    amount: Option<Val>,
    date: Option<Val>,
    at: Pos,
}

struct Stmt {
    at: Pos,
    tag: &'static str,
    reference: Option<String>,
    currency: Option<Val>,
    account: Option<Val>,
    ledger: Option<Bal>,
    available: Option<Bal>,
    information: Option<String>,
    txs: Vec<Tx>,
}

struct Parser {
    options: Options,
    /// Open aggregates: name and where their start tag is.
    stack: Vec<(Name, Pos)>,
    trnuid: Option<String>,
    stmt: Option<Stmt>,
    tx: Option<Tx>,
    seen_ofx: bool,
    /// The last non-zero `STATUS` (code and message).
    status: Option<String>,
}

const MAX_DEPTH: usize = 64;

impl Parser {
    fn err(&self, at: Pos, field: &str, message: impl Into<String>) -> ParseError {
        ParseError::at(at.line, at.column, field, message)
    }

    /// The innermost open aggregate, when it is one the leaves are read in.
    fn parent(&self) -> &'static str {
        let Some((s, _)) = self.stack.last() else {
            return "";
        };
        match s.as_ref() {
            "STMTTRNRS" => "STMTTRNRS",
            "CCSTMTTRNRS" => "CCSTMTTRNRS",
            "STATUS" => "STATUS",
            "STMTTRN" => "STMTTRN",
            "PAYEE" => "PAYEE",
            "BANKACCTTO" => "BANKACCTTO",
            "CCACCTTO" => "CCACCTTO",
            "CURRENCY" => "CURRENCY",
            "ORIGCURRENCY" => "ORIGCURRENCY",
            "STMTRS" => "STMTRS",
            "CCSTMTRS" => "CCSTMTRS",
            "BANKACCTFROM" => "BANKACCTFROM",
            "CCACCTFROM" => "CCACCTFROM",
            "LEDGERBAL" => "LEDGERBAL",
            "AVAILBAL" => "AVAILBAL",
            _ => "",
        }
    }

    fn open(&mut self, name: &str, at: Pos) -> Result<(), ParseError> {
        match name {
            "OFX" => self.seen_ofx = true,
            "STMTTRNRS" | "CCSTMTTRNRS" => self.trnuid = None,
            "STMTRS" | "CCSTMTRS" => {
                if let Some(s) = &self.stmt {
                    return Err(self.err(
                        at,
                        name,
                        format!("a statement inside a statement: </{}> is missing", s.tag),
                    ));
                }
                self.stmt = Some(Stmt {
                    at,
                    tag: if name == "STMTRS" {
                        "STMTRS"
                    } else {
                        "CCSTMTRS"
                    },
                    reference: self.trnuid.clone(),
                    currency: None,
                    account: None,
                    ledger: None,
                    available: None,
                    information: None,
                    txs: Vec::new(),
                });
            }
            "STMTTRN" if self.stmt.is_some() => {
                if self.tx.is_some() {
                    return Err(self.err(
                        at,
                        name,
                        "a transaction inside a transaction: </STMTTRN> is missing",
                    ));
                }
                self.tx = Some(Tx {
                    at,
                    // A transaction has eight leaves or so: no regrowth.
                    fields: Vec::with_capacity(12),
                    ..Tx::default()
                });
            }
            "LEDGERBAL" | "AVAILBAL" => {
                if let Some(s) = self.stmt.as_mut() {
                    let b = Some(Bal {
                        at,
                        ..Bal::default()
                    });
                    if name == "LEDGERBAL" {
                        s.ledger = b;
                    } else {
                        s.available = b;
                    }
                }
            }
            "CURRENCY" | "ORIGCURRENCY" => {
                if let Some(t) = self.tx.as_mut() {
                    t.currency = Some((name == "CURRENCY", None, None));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn leaf(&mut self, name: &str, v: Val) {
        let parent = self.parent();
        match (parent, name) {
            ("STMTTRNRS" | "CCSTMTTRNRS", "TRNUID") => {
                self.trnuid = Some(v.text.clone()).filter(|t| !t.is_empty())
            }
            ("STATUS", "CODE") if v.text != "0" => {
                self.status = Some(format!("code {}", v.text));
            }
            ("STATUS", "MESSAGE") => {
                if let Some(s) = self.status.as_mut() {
                    s.push_str(": ");
                    s.push_str(&v.text);
                }
            }
            _ => {}
        }
        if let Some(tx) = self.tx.as_mut() {
            match (parent, name) {
                ("STMTTRN", _) => {
                    if let Some(n) = leaf_name(name.as_bytes()) {
                        tx.fields.push((n, v));
                    }
                }
                ("PAYEE", "NAME") => tx.payee_name = Some(v),
                ("BANKACCTTO" | "CCACCTTO", "ACCTID") => tx.acct_to = Some(v),
                ("CURRENCY" | "ORIGCURRENCY", "CURSYM") => {
                    if let Some(c) = tx.currency.as_mut() {
                        c.1 = Some(v);
                    }
                }
                ("CURRENCY" | "ORIGCURRENCY", "CURRATE") => {
                    if let Some(c) = tx.currency.as_mut() {
                        c.2 = Some(v);
                    }
                }
                _ => {}
            }
            return;
        }
        let Some(s) = self.stmt.as_mut() else {
            return;
        };
        match (parent, name) {
            ("STMTRS" | "CCSTMTRS", "CURDEF") => s.currency = Some(v),
            ("STMTRS" | "CCSTMTRS", "MKTGINFO") => {
                s.information = Some(v.text).filter(|t| !t.is_empty())
            }
            ("BANKACCTFROM" | "CCACCTFROM", "ACCTID") => s.account = Some(v),
            ("LEDGERBAL" | "AVAILBAL", "BALAMT" | "DTASOF") => {
                let b = if parent == "LEDGERBAL" {
                    s.ledger.as_mut()
                } else {
                    s.available.as_mut()
                };
                if let Some(b) = b {
                    if name == "BALAMT" {
                        b.amount = Some(v);
                    } else {
                        b.date = Some(v);
                    }
                }
            }
            _ => {}
        }
    }

    /// Closes the aggregate `name`; a finished statement is returned.
    fn close(&mut self, name: &str) -> Result<Option<Statement>, ParseError> {
        match name {
            "STMTTRN" => {
                if let (Some(tx), Some(s)) = (self.tx.take(), self.stmt.as_mut()) {
                    s.txs.push(tx);
                }
            }
            "STMTRS" | "CCSTMTRS" => {
                if let Some(s) = self.stmt.take() {
                    return self.finish(s).map(Some);
                }
            }
            _ => {}
        }
        Ok(None)
    }

    fn finish(&self, s: Stmt) -> Result<Statement, ParseError> {
        let currency = match &s.currency {
            Some(v) => Currency::new(&v.text).map_err(|_| {
                self.err(
                    v.at,
                    "CURDEF",
                    format!(
                        "invalid currency {:?}: expected three capital letters",
                        v.text
                    ),
                )
            })?,
            None => self.options.currency.ok_or_else(|| {
                self.err(
                    s.at,
                    "CURDEF",
                    format!(
                        "<{}> has no CURDEF and no default currency was given (Options::currency, `--currency`)",
                        s.tag
                    ),
                )
            })?,
        };
        let account = match s.account.as_ref().filter(|v| !v.text.is_empty()) {
            Some(v) => v.text.clone(),
            None => self.options.account.clone().ok_or_else(|| {
                self.err(
                    s.at,
                    "ACCTID",
                    format!(
                        "<{}> has no account (BANKACCTFROM or CCACCTFROM with ACCTID) and no default account was given (Options::account, `--account`)",
                        s.tag
                    ),
                )
            })?,
        };
        let mut transactions = Vec::with_capacity(s.txs.len());
        for tx in s.txs {
            transactions.push(self.entry(tx, currency)?);
        }
        let closing_balance = s
            .ledger
            .as_ref()
            .map(|b| self.balance(b, "LEDGERBAL", currency))
            .transpose()?;
        let available_balance = s
            .available
            .as_ref()
            .map(|b| self.balance(b, "AVAILBAL", currency))
            .transpose()?;
        Ok(Statement {
            account,
            currency,
            reference: s.reference,
            sequence: None,
            // OFX has no opening balance: the balance check cannot apply.
            opening_balance: None,
            closing_balance,
            available_balance,
            forward_balances: Vec::new(),
            information: s.information,
            transactions,
        })
    }

    fn balance(&self, b: &Bal, tag: &str, currency: Currency) -> Result<Balance, ParseError> {
        let amount = b
            .amount
            .as_ref()
            .ok_or_else(|| self.err(b.at, "BALAMT", format!("<{tag}> without BALAMT")))?;
        let date = b
            .date
            .as_ref()
            .ok_or_else(|| self.err(b.at, "DTASOF", format!("<{tag}> without DTASOF")))?;
        Ok(Balance {
            amount: signed_amount(&amount.text, currency)
                .map_err(|m| self.err(amount.at, "BALAMT", m))?,
            date: self.date(date, "DTASOF")?,
        })
    }

    fn date(&self, v: &Val, field: &str) -> Result<Date, ParseError> {
        parse_datetime(&v.text)
            .map(|d| d.date)
            .map_err(|m| self.err(v.at, field, m))
    }

    fn entry(&self, mut tx: Tx, currency: Currency) -> Result<Entry, ParseError> {
        let posted = tx
            .get("DTPOSTED")
            .ok_or_else(|| self.err(tx.at, "DTPOSTED", "<STMTTRN> without DTPOSTED"))?;
        let booking_date = self.date(posted, "DTPOSTED")?;
        let value_date = match tx.get("DTAVAIL").filter(|v| !v.text.is_empty()) {
            Some(v) => self.date(v, "DTAVAIL")?,
            None => booking_date,
        };
        let trnamt = tx
            .get("TRNAMT")
            .ok_or_else(|| self.err(tx.at, "TRNAMT", "<STMTTRN> without TRNAMT"))?;
        let mut details: Vec<(String, String)> = Vec::new();
        if let Some(v) = tx.get("DTUSER").filter(|v| !v.text.is_empty()) {
            details.push(("DTUSER".to_owned(), self.date(v, "DTUSER")?.to_string()));
        }
        let amount = match &tx.currency {
            Some((true, Some(sym), rate)) if sym.text != currency.code() => {
                let foreign = Currency::new(&sym.text).map_err(|_| {
                    self.err(sym.at, "CURSYM", format!("invalid currency {:?}", sym.text))
                })?;
                let rate = rate
                    .as_ref()
                    .ok_or_else(|| self.err(tx.at, "CURRATE", "<CURRENCY> without CURRATE"))?;
                let original = signed_amount(&trnamt.text, foreign)
                    .map_err(|m| self.err(trnamt.at, "TRNAMT", m))?;
                let converted = convert(original, &rate.text, currency)
                    .map_err(|m| self.err(rate.at, "CURRATE", m))?;
                details.push((
                    "ORIGAMT".to_owned(),
                    format!("{} {foreign}", original.to_decimal_string()),
                ));
                details.push(("CURRATE".to_owned(), rate.text.clone()));
                converted
            }
            other => {
                if let Some((false, sym, rate)) = other {
                    if let Some(sym) = sym {
                        details.push(("ORIGCURRENCY".to_owned(), sym.text.clone()));
                    }
                    if let Some(rate) = rate {
                        details.push(("CURRATE".to_owned(), rate.text.clone()));
                    }
                }
                signed_amount(&trnamt.text, currency)
                    .map_err(|m| self.err(trnamt.at, "TRNAMT", m))?
            }
        };
        for key in [
            "CHECKNUM",
            "SIC",
            "PAYEEID",
            "SRVRTID",
            "CORRECTFITID",
            "CORRECTACTION",
            "EXTDNAME",
        ] {
            if let Some(t) = tx.text(key) {
                details.push((key.to_owned(), t.to_owned()));
            }
        }
        // The strings are moved out of `tx` (it is not used again).
        let name = match tx.payee_name.take().filter(|v| !v.text.is_empty()) {
            Some(v) => Some(v.text),
            None => tx.take("NAME"),
        };
        let description = tx.take("MEMO").or_else(|| name.clone()).unwrap_or_default();
        let reference = match tx.take("REFNUM") {
            Some(r) => Some(r),
            None => tx.take("CHECKNUM"),
        };
        Ok(Entry {
            booking_date,
            value_date,
            amount,
            reversal: false,
            reference,
            bank_reference: tx.take("FITID"),
            transaction_code: tx.take("TRNTYPE"),
            description,
            counterparty: name,
            counterparty_account: tx.acct_to.take().map(|v| v.text).filter(|t| !t.is_empty()),
            supplementary: None,
            details,
        })
    }
}

/// `-12.34`, `+12.34`, `12,34`, `-.5`: a signed amount, exact.
fn signed_amount(s: &str, currency: Currency) -> Result<Money, String> {
    let t = s.trim();
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() {
        return Err("empty amount".to_owned());
    }
    let padded;
    let digits = if digits.starts_with(['.', ',']) {
        padded = format!("0{digits}");
        padded.as_str()
    } else {
        digits
    };
    let m = crate::parse_amount(digits.as_bytes(), currency).map_err(|e| {
        e.replace("a decimal comma", "a decimal point")
            .replace("the decimal comma", "the decimal point")
    })?;
    Ok(if negative {
        Money::from_minor(-m.minor(), currency)
    } else {
        m
    })
}

/// `amount` (in its own currency) times `rate` in `to`, rounded half away
/// from zero to `to`'s minor unit. No floats.
fn convert(amount: Money, rate: &str, to: Currency) -> Result<Money, String> {
    let r = rate.trim();
    let (int, frac) = r.split_once(['.', ',']).unwrap_or((r, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
        || int.len() + frac.len() > 12
    {
        return Err(format!(
            "invalid rate {r:?}: expected up to 12 digits and a decimal point"
        ));
    }
    let rate_units: i128 = format!("{int}{frac}")
        .parse()
        .map_err(|_| format!("invalid rate {r:?}"))?;
    // amount.minor / 10^e_from * rate_units / 10^frac * 10^e_to; at most
    // 2^63 * 10^12 * 10^3, far inside i128.
    let num = i128::from(amount.minor()) * rate_units * 10i128.pow(u32::from(to.exponent()));
    let den = 10i128.pow(u32::from(amount.currency().exponent()) + frac.len() as u32);
    let q = num / den;
    let r = num % den;
    let q = if 2 * r.abs() >= den {
        q + num.signum()
    } else {
        q
    };
    i64::try_from(q)
        .map(|m| Money::from_minor(m, to))
        .map_err(|_| "converted amount is too large".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Trimming in place is `str::trim`, white space of any kind
        /// (VT, NBSP, U+3000) at either end included.
        #[test]
        fn trim_owned_is_str_trim(
            s in "[ \t\r\n\u{b}\u{c}\u{a0}\u{3000}]{0,3}[a-z\u{e9}\u{a0} ]{0,6}[ \t\r\n\u{b}\u{c}\u{a0}\u{85}]{0,3}"
        ) {
            prop_assert_eq!(trim_owned(s.clone()), s.trim());
        }

        /// A tag name is found in the tables in any case, and an unknown
        /// one is upper-cased.
        #[test]
        fn intern_ignores_case(name in "[A-Za-z0-9._-]{1,30}") {
            let upper = name.to_ascii_uppercase();
            let got = intern(name.as_bytes());
            prop_assert_eq!(got.as_ref(), upper.as_str());
            let known = leaf_name(upper.as_bytes()).or_else(|| aggregate_name(upper.as_bytes()));
            prop_assert_eq!(matches!(got, Cow::Borrowed(_)), known.is_some());
        }
    }

    #[test]
    fn known_names_in_lower_case_are_the_static_ones() {
        for name in ["stmttrn", "Trnamt", "memo", "BANKTRANLIST", "ledgerbal"] {
            assert!(
                matches!(intern(name.as_bytes()), Cow::Borrowed(_)),
                "{name}"
            );
        }
    }

    #[test]
    fn entities_and_bare_ampersands() {
        assert_eq!(
            unescape("AT&T &amp; B&lt;C&gt; &#233;&#xE9; &quot;x&quot;".to_owned()),
            "AT&T & B<C> éé \"x\""
        );
        assert_eq!(unescape("a & b &bogus; &".to_owned()), "a & b &bogus; &");
    }

    #[test]
    fn conversion_rounds_half_away_from_zero() {
        let eur = Money::from_minor(-1001, Currency::EUR);
        assert_eq!(convert(eur, "1.085", Currency::USD).unwrap().minor(), -1086);
        let usd = Money::from_minor(1000, Currency::USD);
        assert_eq!(
            convert(usd, "83.125", Currency::INR).unwrap().minor(),
            83125
        );
        assert!(convert(usd, "x", Currency::INR).is_err());
    }

    #[test]
    fn signed_amounts() {
        let usd = Currency::USD;
        assert_eq!(signed_amount("-.5", usd).unwrap().minor(), -50);
        assert_eq!(signed_amount("+12,34", usd).unwrap().minor(), 1234);
        assert!(signed_amount("-", usd).is_err());
        assert!(signed_amount("1.234", usd).is_err());
    }
}
