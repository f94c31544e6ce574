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
//! The whole input is read (OFX files are small); positions in errors are
//! `line:column` of the offending value (or tag) and the field is the tag
//! name, such as `TRNAMT`.

use std::collections::HashMap;
use std::io::Read;

use anumati_domain::{Currency, Money};
use jiff::civil::{Date, Time};
use jiff::tz::Offset;
use jiff::Timestamp;

use crate::{decode_line, line_col, Balance, Entry, Options, ParseError, Parsed, Statement};

/// Parses a whole OFX/QFX input.
pub fn parse<R: Read>(mut input: R, options: Options) -> Result<Parsed, ParseError> {
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| ParseError::at(1, 1, "-", format!("read error: {e}")))?;
    parse_bytes(&bytes, options)
}

/// Parses OFX/QFX bytes.
pub fn parse_bytes(bytes: &[u8], options: Options) -> Result<Parsed, ParseError> {
    let bytes = crate::unbom(bytes);
    let bytes = &bytes[..];
    let tokens = tokenize(bytes)?;
    let mut p = Parser {
        bytes,
        options,
        statements: Vec::new(),
        warnings: Vec::new(),
        stack: Vec::new(),
        trnuid: None,
        stmt: None,
        tx: None,
        seen_ofx: false,
        status: None,
    };
    p.run(&tokens)?;
    if !p.seen_ofx {
        return Err(ParseError::at(
            1,
            1,
            "OFX",
            "no <OFX> element: not an OFX or QFX file",
        ));
    }
    if p.statements.is_empty() {
        let why = match p.status {
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
    Ok(Parsed {
        statements: p.statements,
        warnings: p.warnings,
    })
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

enum Tok {
    /// `<NAME …>` (name upper-cased); `empty` for `<NAME/>`.
    Start {
        name: String,
        at: usize,
        empty: bool,
    },
    End {
        name: String,
    },
    /// Decoded text; `at` is its first byte.
    Text {
        text: String,
        at: usize,
    },
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn tag_err(bytes: &[u8], at: usize, field: &str, message: impl Into<String>) -> ParseError {
    let (line, column) = line_col(bytes, at);
    ParseError::at(line, column, field, message)
}

fn tokenize(b: &[u8]) -> Result<Vec<Tok>, ParseError> {
    let mut out = Vec::new();
    // The OFX 1.x header (`KEY:VALUE` lines) ends at the first tag.
    let mut i = b.iter().position(|&c| c == b'<').unwrap_or(b.len());
    while i < b.len() {
        if b[i] != b'<' {
            let end = b[i..]
                .iter()
                .position(|&c| c == b'<')
                .map_or(b.len(), |p| p + i);
            let raw = &b[i..end];
            if !raw.iter().all(u8::is_ascii_whitespace) {
                let mut decoded = String::new();
                decode_line(raw, &mut decoded);
                out.push(Tok::Text {
                    text: unescape(&decoded),
                    at: i,
                });
            }
            i = end;
            continue;
        }
        let rest = &b[i..];
        if rest.starts_with(b"<!--") {
            let end =
                find(b, i + 4, b"-->").ok_or_else(|| tag_err(b, i, "-", "unterminated comment"))?;
            i = end + 3;
        } else if rest.starts_with(b"<![CDATA[") {
            let end = find(b, i + 9, b"]]>")
                .ok_or_else(|| tag_err(b, i, "-", "unterminated CDATA section"))?;
            let mut text = String::new();
            decode_line(&b[i + 9..end], &mut text);
            out.push(Tok::Text { text, at: i + 9 });
            i = end + 3;
        } else if rest.starts_with(b"<?") {
            let end = find(b, i + 2, b"?>")
                .ok_or_else(|| tag_err(b, i, "-", "unterminated processing instruction"))?;
            i = end + 2;
        } else if rest.starts_with(b"<!") {
            let end = find(b, i + 2, b">")
                .ok_or_else(|| tag_err(b, i, "-", "unterminated declaration"))?;
            i = end + 1;
        } else {
            let end = b[i + 1..]
                .iter()
                .position(|&c| c == b'>' || c == b'<')
                .map(|p| p + i + 1)
                .filter(|&p| b[p] == b'>')
                .ok_or_else(|| tag_err(b, i, "-", "unterminated tag: expected '>'"))?;
            let mut inner = &b[i + 1..end];
            let closing = inner.first() == Some(&b'/');
            if closing {
                inner = &inner[1..];
            }
            let empty = !closing && inner.last() == Some(&b'/');
            if empty {
                inner = &inner[..inner.len() - 1];
            }
            let name_len = inner
                .iter()
                .position(|c| c.is_ascii_whitespace())
                .unwrap_or(inner.len());
            let name = &inner[..name_len];
            if name.is_empty()
                || !name
                    .iter()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-' | b':'))
            {
                return Err(tag_err(
                    b,
                    i,
                    "-",
                    format!("invalid tag <{}>", String::from_utf8_lossy(&b[i + 1..end])),
                ));
            }
            // Namespace prefixes are ignored; OFX tag names are upper case.
            let local = match name.iter().rposition(|&c| c == b':') {
                Some(p) => &name[p + 1..],
                None => name,
            };
            let name = String::from_utf8_lossy(local).to_ascii_uppercase();
            out.push(if closing {
                Tok::End { name }
            } else {
                Tok::Start { name, at: i, empty }
            });
            i = end + 1;
        }
    }
    Ok(out)
}

/// Decodes entities; an `&` that starts no known entity stays as it is.
fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
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

/// Aggregates read here: always opened, whatever follows them.
const AGGREGATES: &[&str] = &[
    "OFX",
    "SIGNONMSGSRSV1",
    "SONRS",
    "STATUS",
    "FI",
    "BANKMSGSRSV1",
    "CREDITCARDMSGSRSV1",
    "STMTTRNRS",
    "CCSTMTTRNRS",
    "STMTRS",
    "CCSTMTRS",
    "BANKACCTFROM",
    "CCACCTFROM",
    "BANKACCTTO",
    "CCACCTTO",
    "BANKTRANLIST",
    "STMTTRN",
    "PAYEE",
    "CURRENCY",
    "ORIGCURRENCY",
    "LEDGERBAL",
    "AVAILBAL",
    "BALLIST",
    "BAL",
];

/// Leaves read here: always leaves, even when empty and unclosed.
const LEAVES: &[&str] = &[
    "TRNUID",
    "CODE",
    "SEVERITY",
    "MESSAGE",
    "CURDEF",
    "BANKID",
    "BRANCHID",
    "ACCTID",
    "ACCTTYPE",
    "ACCTKEY",
    "DTSTART",
    "DTEND",
    "TRNTYPE",
    "DTPOSTED",
    "DTUSER",
    "DTAVAIL",
    "TRNAMT",
    "FITID",
    "CORRECTFITID",
    "CORRECTACTION",
    "SRVRTID",
    "CHECKNUM",
    "REFNUM",
    "SIC",
    "PAYEEID",
    "NAME",
    "EXTDNAME",
    "MEMO",
    "CURSYM",
    "CURRATE",
    "BALAMT",
    "DTASOF",
    "MKTGINFO",
    "DTSERVER",
    "LANGUAGE",
    "ORG",
    "FID",
];

/// A leaf's value and where it is.
#[derive(Clone, Default)]
struct Val {
    text: String,
    at: usize,
}

#[derive(Default)]
struct Tx {
    at: usize,
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
}

#[derive(Default)]
struct Bal {
    amount: Option<Val>,
    date: Option<Val>,
    at: usize,
}

struct Stmt {
    at: usize,
    tag: &'static str,
    reference: Option<String>,
    currency: Option<Val>,
    account: Option<Val>,
    ledger: Option<Bal>,
    available: Option<Bal>,
    information: Option<String>,
    txs: Vec<Tx>,
}

struct Parser<'a> {
    bytes: &'a [u8],
    options: Options,
    statements: Vec<Statement>,
    warnings: Vec<ParseError>,
    /// Open aggregates: name and where their start tag is.
    stack: Vec<(String, usize)>,
    trnuid: Option<String>,
    stmt: Option<Stmt>,
    tx: Option<Tx>,
    seen_ofx: bool,
    /// The last non-zero `STATUS` (code and message).
    status: Option<String>,
}

const MAX_DEPTH: usize = 64;

impl Parser<'_> {
    fn err(&self, at: usize, field: &str, message: impl Into<String>) -> ParseError {
        tag_err(self.bytes, at, field, message)
    }

    fn run(&mut self, tokens: &[Tok]) -> Result<(), ParseError> {
        // Token indexes of each name's end tags, for the aggregate-or-leaf question.
        let mut ends: HashMap<&str, Vec<usize>> = HashMap::new();
        for (n, t) in tokens.iter().enumerate() {
            if let Tok::End { name, .. } = t {
                ends.entry(name.as_str()).or_default().push(n);
            }
        }
        let next_end = |name: &str, after: usize| -> Option<usize> {
            let v = ends.get(name)?;
            v.get(v.partition_point(|&n| n <= after)).copied()
        };
        let mut n = 0;
        while n < tokens.len() {
            match &tokens[n] {
                Tok::Text { .. } => {} // Stray text between elements.
                Tok::End { name, .. } => {
                    if let Some(p) = self.stack.iter().rposition(|(s, _)| s == name) {
                        while self.stack.len() > p {
                            let (s, at) = self.stack.pop().unwrap_or_default();
                            self.close(&s, at)?;
                        }
                    }
                }
                Tok::Start { name, at, empty } => {
                    let at = *at;
                    let mut text: Option<(String, usize)> = None;
                    let mut m = n + 1;
                    while let Some(Tok::Text { text: t, at: tat }) = tokens.get(m) {
                        match text.as_mut() {
                            Some((s, _)) => s.push_str(t),
                            None => text = Some((t.clone(), *tat)),
                        }
                        m += 1;
                    }
                    let has_text = text.as_ref().is_some_and(|(t, _)| !t.trim().is_empty());
                    let known_aggregate = AGGREGATES.contains(&name.as_str());
                    let aggregate = !*empty
                        && (known_aggregate
                            || (!has_text && !LEAVES.contains(&name.as_str()) && {
                                let own = next_end(name, n);
                                let outer =
                                    self.stack.iter().filter_map(|(s, _)| next_end(s, n)).min();
                                match (own, outer) {
                                    (Some(o), Some(e)) => o < e,
                                    (Some(_), None) => true,
                                    (None, _) => false,
                                }
                            }));
                    if aggregate {
                        if self.stack.len() >= MAX_DEPTH {
                            return Err(self.err(at, name, "elements nested too deeply"));
                        }
                        self.stack.push((name.clone(), at));
                        self.open(name, at)?;
                    } else {
                        let (value, vat) = match text {
                            Some((t, tat)) if !*empty => {
                                let lead = t.len() - t.trim_start().len();
                                (t.trim().to_owned(), tat + lead)
                            }
                            _ => (String::new(), at),
                        };
                        self.leaf(
                            name,
                            Val {
                                text: value,
                                at: vat,
                            },
                        );
                    }
                    // Text after an aggregate's start tag is stray; skip it too.
                    n = m;
                    continue;
                }
            }
            n += 1;
        }
        if let Some((name, at)) = self.stack.iter().find(|(s, _)| {
            matches!(
                s.as_str(),
                "STMTRS" | "CCSTMTRS" | "STMTTRN" | "BANKTRANLIST"
            )
        }) {
            return Err(self.err(
                *at,
                name,
                format!("the file ends inside <{name}>: it is truncated or </{name}> is missing"),
            ));
        }
        // Close what is left open (an SGML file without `</OFX>`).
        while let Some((s, at)) = self.stack.pop() {
            self.close(&s, at)?;
        }
        Ok(())
    }

    fn parent(&self) -> &str {
        self.stack.last().map_or("", |(s, _)| s.as_str())
    }

    fn open(&mut self, name: &str, at: usize) -> Result<(), ParseError> {
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
        let parent = self.parent().to_owned();
        match (parent.as_str(), name) {
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
            match (parent.as_str(), name) {
                ("STMTTRN", _) => {
                    if let Some(&n) = LEAVES.iter().find(|&&l| l == name) {
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
        match (parent.as_str(), name) {
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

    fn close(&mut self, name: &str, _at: usize) -> Result<(), ParseError> {
        match name {
            "STMTTRN" => {
                if let (Some(tx), Some(s)) = (self.tx.take(), self.stmt.as_mut()) {
                    s.txs.push(tx);
                }
            }
            "STMTRS" | "CCSTMTRS" => {
                if let Some(s) = self.stmt.take() {
                    let statement = self.finish(s)?;
                    self.statements.push(statement);
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn finish(&mut self, s: Stmt) -> Result<Statement, ParseError> {
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
        for tx in &s.txs {
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

    fn entry(&self, tx: &Tx, currency: Currency) -> Result<Entry, ParseError> {
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
        let name = tx
            .payee_name
            .as_ref()
            .map(|v| v.text.as_str())
            .filter(|t| !t.is_empty())
            .or_else(|| tx.text("NAME"));
        let description = tx.text("MEMO").or(name).unwrap_or("").to_owned();
        Ok(Entry {
            booking_date,
            value_date,
            amount,
            reversal: false,
            reference: tx
                .text("REFNUM")
                .or_else(|| tx.text("CHECKNUM"))
                .map(str::to_owned),
            bank_reference: tx.text("FITID").map(str::to_owned),
            transaction_code: tx.text("TRNTYPE").map(str::to_owned),
            description,
            counterparty: name.map(str::to_owned),
            counterparty_account: tx
                .acct_to
                .as_ref()
                .map(|v| v.text.clone())
                .filter(|t| !t.is_empty()),
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

    #[test]
    fn entities_and_bare_ampersands() {
        assert_eq!(
            unescape("AT&T &amp; B&lt;C&gt; &#233;&#xE9; &quot;x&quot;"),
            "AT&T & B<C> éé \"x\""
        );
        assert_eq!(unescape("a & b &bogus; &"), "a & b &bogus; &");
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
