//! SWIFT MT940 / MT942, streamed line by line. See the crate docs for the
//! quirks handled.

use std::io::BufRead;

use anumati_domain::{Currency, Money};
use jiff::civil::Date;

use crate::{decode_line, parse_amount, Balance, Entry, Options, ParseError, Pool, Statement};

/// Parses a whole MT940/MT942 input; returns the statements and warnings.
pub fn parse<R: BufRead>(input: R, options: Options) -> Result<Parsed, ParseError> {
    let mut reader = Mt940Reader::new(input, options);
    let mut statements = Vec::new();
    for s in reader.by_ref() {
        statements.push(s?);
    }
    Ok(Parsed {
        statements,
        warnings: reader.warnings,
    })
}

/// Parses bytes (convenience for [`parse`]).
pub fn parse_bytes(bytes: &[u8], options: Options) -> Result<Parsed, ParseError> {
    parse(bytes, options)
}

pub use crate::Parsed;

#[derive(Clone, Copy, PartialEq, Eq)]
struct Tag {
    bytes: [u8; 3],
    len: u8,
}

impl Tag {
    const NONE: Tag = Tag {
        bytes: [0; 3],
        len: 0,
    };
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or("?")
    }
    fn is(&self, s: &str) -> bool {
        &self.bytes[..usize::from(self.len)] == s.as_bytes()
    }
}

/// One `:TAG:value` field, possibly over several lines (joined with `\n`).
struct Field {
    tag: Tag,
    line: usize,
    /// 1-based column of the value's first character.
    column: usize,
    text: String,
    /// Byte offset in `text` and line number of each continuation line.
    continuations: Vec<(usize, usize)>,
}

impl Field {
    /// Line and column of byte `offset` in `text`.
    fn pos(&self, offset: usize) -> (usize, usize) {
        let mut line = self.line;
        let mut start = 0;
        let mut first_col = self.column;
        for &(off, l) in &self.continuations {
            if off <= offset {
                line = l;
                start = off;
                first_col = 1;
            }
        }
        let offset = offset.min(self.text.len());
        let chars = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line, first_col + chars)
    }

    fn err(&self, offset: usize, message: impl Into<String>) -> ParseError {
        let (line, column) = self.pos(offset);
        ParseError::at(line, column, self.tag.as_str(), message)
    }

    fn first_line(&self) -> &str {
        match self.continuations.first() {
            // The line ends before the `\n` that precedes `off`.
            Some(&(off, _)) => &self.text[..off - 1],
            None => &self.text,
        }
    }

    /// The continuation lines, `\n`-joined as in `text`, if there are any.
    fn after_first_line(&self) -> Option<&str> {
        self.continuations
            .first()
            .map(|&(off, _)| &self.text[off..])
    }

    /// The lines of `text`, found from `continuations` (no search for `\n`).
    fn lines(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.continuations.iter().map(|&(off, _)| off));
        let ends = self
            .continuations
            .iter()
            .map(|&(off, _)| off - 1)
            .chain(std::iter::once(self.text.len()));
        starts.zip(ends).map(|(a, z)| &self.text[a..z])
    }
}

enum Item {
    Field(Field),
    /// `-` or `-}`: end of a SWIFT message.
    EndOfMessage,
}

/// Streams statements out of an MT940/MT942 input, one at a time.
pub struct Mt940Reader<R> {
    input: R,
    options: Options,
    bytes: Vec<u8>,
    line: String,
    line_no: usize,
    /// A field started but not yet known to be complete.
    current: Option<Field>,
    /// An item read ahead (the field or end that completed `current`).
    queued: Option<Item>,
    /// Finished fields kept for their allocations.
    spare: Vec<Field>,
    eof: bool,
    failed: bool,
    /// Allocations given back with [`Mt940Reader::recycle`].
    pool: Pool,
    /// The number of entries of the last statement (the next one's
    /// vector is allocated for as many).
    last_len: usize,
    /// Non-fatal problems (unbalanced statements with `warn_on_unbalanced`).
    pub warnings: Vec<ParseError>,
}

impl<R: BufRead> Mt940Reader<R> {
    pub fn new(input: R, options: Options) -> Self {
        Mt940Reader {
            input,
            options,
            bytes: Vec::with_capacity(128),
            line: String::with_capacity(128),
            line_no: 0,
            current: None,
            queued: None,
            spare: Vec::new(),
            eof: false,
            failed: false,
            pool: Pool::default(),
            last_len: 0,
            warnings: Vec::new(),
        }
    }

    /// Gives a statement the caller is done with back to the reader, whose
    /// next statements then reuse its strings and entry vector instead of
    /// allocating their own: a caller that streams statements and drops
    /// each one before the next saves most of the allocator's work. The
    /// statements read are the same with or without it.
    pub fn recycle(&mut self, statement: Statement) {
        self.pool.recycle(statement);
    }

    /// Reads and decodes the next line into `self.line`; false at end.
    fn read_line(&mut self) -> Result<bool, ParseError> {
        self.bytes.clear();
        self.line.clear();
        let n = self
            .input
            .read_until(b'\n', &mut self.bytes)
            .map_err(|e| ParseError::at(self.line_no + 1, 1, "-", format!("read error: {e}")))?;
        if n == 0 {
            return Ok(false);
        }
        self.line_no += 1;
        let mut b = &self.bytes[..];
        if let Some(rest) = b.strip_suffix(b"\n") {
            b = rest;
        }
        if let Some(rest) = b.strip_suffix(b"\r") {
            b = rest;
        }
        if self.line_no == 1 {
            b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
        }
        decode_line(b, &mut self.line);
        Ok(true)
    }

    /// The next field or message end.
    fn next_item(&mut self) -> Result<Option<Item>, ParseError> {
        if let Some(item) = self.queued.take() {
            return Ok(Some(item));
        }
        loop {
            if self.eof || !self.read_line()? {
                self.eof = true;
                return Ok(self.current.take().map(Item::Field));
            }
            // Strip SWIFT block wrappers at the start of the line.
            let mut start = 0;
            let s = self.line.as_str();
            let mut end_of_message = false;
            loop {
                let rest = &s[start..];
                if rest.starts_with("{4:") {
                    start += 3;
                    continue;
                }
                if rest.starts_with('{') {
                    match block_end(rest.as_bytes()) {
                        Some(n) => start += n,
                        None => start = s.len(),
                    }
                    continue;
                }
                if rest.starts_with("-}") || rest.trim_end() == "-" {
                    end_of_message = true;
                }
                break;
            }
            let rest = &s[start..];
            if end_of_message {
                let done = self.current.take();
                return Ok(Some(match done {
                    Some(f) => {
                        self.queued = Some(Item::EndOfMessage);
                        Item::Field(f)
                    }
                    None => Item::EndOfMessage,
                }));
            }
            if let Some((tag, value_at)) = tag_start(rest.as_bytes()) {
                let column = s[..start + value_at].chars().count() + 1;
                let mut field = self.spare.pop().unwrap_or_else(|| Field {
                    tag,
                    line: 0,
                    column: 0,
                    text: String::new(),
                    continuations: Vec::new(),
                });
                field.tag = tag;
                field.line = self.line_no;
                field.column = column;
                field.text.clear();
                field.text.push_str(&rest[value_at..]);
                field.continuations.clear();
                if let Some(done) = self.current.replace(field) {
                    return Ok(Some(Item::Field(done)));
                }
                continue;
            }
            if rest.trim().is_empty() {
                continue;
            }
            match self.current.as_mut() {
                Some(f) => {
                    f.text.push('\n');
                    f.continuations.push((f.text.len(), self.line_no));
                    f.text.push_str(rest);
                }
                None => {
                    let column = s[..start].chars().count() + 1;
                    return Err(ParseError::at(
                        self.line_no,
                        column,
                        "-",
                        "text outside any field: expected a tag such as :20:",
                    ));
                }
            }
        }
    }

    fn next_statement(&mut self) -> Result<Option<Statement>, ParseError> {
        let mut b: Option<Builder> = None;
        loop {
            let item = match self.next_item()? {
                Some(i) => i,
                None => return b.map(|b| b.finish(self)).transpose(),
            };
            let field = match item {
                Item::EndOfMessage => match b {
                    Some(b) => return b.finish(self).map(Some),
                    None => continue,
                },
                Item::Field(f) => f,
            };
            if field.tag.is("20") {
                if let Some(done) = b.take() {
                    self.queued = Some(Item::Field(field));
                    return done.finish(self).map(Some);
                }
            }
            let builder = match b.as_mut() {
                Some(b) => b,
                None => b.insert(Builder::new(field.line, self.pool.entries(self.last_len))),
            };
            builder.field(&field, &mut self.pool)?;
            if self.spare.len() < 4 {
                self.spare.push(field);
            }
        }
    }
}

impl<R: BufRead> Iterator for Mt940Reader<R> {
    type Item = Result<Statement, ParseError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed {
            return None;
        }
        let r = self.next_statement().transpose();
        if matches!(r, Some(Err(_))) {
            self.failed = true;
        }
        r
    }
}

/// Length of a balanced `{…}` block at the start of `s`.
fn block_end(s: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &c) in s.iter().enumerate() {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// `:NN:` or `:NNA:` at the start of a line: the tag and the value's offset.
fn tag_start(s: &[u8]) -> Option<(Tag, usize)> {
    if s.len() < 4 || s[0] != b':' || !s[1].is_ascii_digit() || !s[2].is_ascii_digit() {
        return None;
    }
    if s[3] == b':' {
        return Some((
            Tag {
                bytes: [s[1], s[2], 0],
                len: 2,
            },
            4,
        ));
    }
    if s.len() >= 5 && s[3].is_ascii_uppercase() && s[4] == b':' {
        return Some((
            Tag {
                bytes: [s[1], s[2], s[3]],
                len: 3,
            },
            5,
        ));
    }
    None
}

struct Builder {
    start_line: usize,
    reference: Option<String>,
    account: Option<String>,
    sequence: Option<String>,
    currency: Option<Currency>,
    opening: Option<Balance>,
    closing: Option<(Balance, usize, usize)>,
    available: Option<Balance>,
    forward: Vec<Balance>,
    information: Option<String>,
    transactions: Vec<Entry>,
    last_tag: Tag,
    scratch: Scratch,
}

/// Buffers reused across the entries of a statement.
#[derive(Default)]
struct Scratch {
    joined: String,
    purpose: String,
    name: String,
}

impl Builder {
    fn new(start_line: usize, transactions: Vec<Entry>) -> Self {
        Builder {
            start_line,
            reference: None,
            account: None,
            sequence: None,
            currency: None,
            opening: None,
            closing: None,
            available: None,
            forward: Vec::new(),
            information: None,
            transactions,
            last_tag: Tag::NONE,
            scratch: Scratch::default(),
        }
    }

    fn field(&mut self, f: &Field, pool: &mut Pool) -> Result<(), ParseError> {
        let tag = f.tag;
        match tag.as_str() {
            "20" => self.reference = Some(f.text.trim().to_owned()),
            "21" | "13D" | "90D" | "90C" => {}
            "25" => self.account = Some(f.text.trim().to_owned()),
            "28" | "28C" => self.sequence = Some(f.text.trim().to_owned()),
            "34F" => {
                let c = parse_currency(f, 0)?;
                self.currency.get_or_insert(c);
            }
            "60F" | "60M" => {
                let bal = self.balance(f)?;
                if self.opening.is_some() {
                    return Err(f.err(0, "a second opening balance in one statement"));
                }
                self.opening = Some(bal);
            }
            "62F" | "62M" => {
                let bal = self.balance(f)?;
                self.closing = Some((bal, f.line, f.column));
            }
            "64" => self.available = Some(self.balance(f)?),
            "65" => {
                let b = self.balance(f)?;
                self.forward.push(b);
            }
            "61" => {
                let currency = self.currency.ok_or_else(|| {
                    f.err(
                        0,
                        "no currency known: an :60F: or :34F: must come before :61:",
                    )
                })?;
                let e = parse_61(f, currency, pool)?;
                self.transactions.push(e);
            }
            "86" => {
                if self.last_tag.is("61") {
                    if let Some(e) = self.transactions.last_mut() {
                        apply_86(e, f, &mut self.scratch, pool);
                    }
                } else {
                    let text = join_lines(&f.text, " ");
                    match self.information.as_mut() {
                        Some(i) => {
                            i.push(' ');
                            i.push_str(&text);
                        }
                        None => self.information = Some(text),
                    }
                }
            }
            // Unknown tags are ignored, as banks add their own.
            _ => {}
        }
        self.last_tag = tag;
        Ok(())
    }

    /// `C230101EUR1234,56`
    fn balance(&mut self, f: &Field) -> Result<Balance, ParseError> {
        let s = f.first_line().trim_end().as_bytes();
        let negative = match s.first() {
            Some(b'C') => false,
            Some(b'D') => true,
            _ => return Err(f.err(0, "expected the mark C or D")),
        };
        let date = parse_yymmdd(s.get(1..7), f, 1)?;
        let currency = parse_currency(f, 7)?;
        match self.currency {
            None => self.currency = Some(currency),
            Some(c) if c != currency => {
                return Err(f.err(
                    7,
                    format!("currency {currency} differs from the statement's {c}"),
                ))
            }
            Some(_) => {}
        }
        let amount =
            parse_amount(s.get(10..).unwrap_or(b""), currency).map_err(|m| f.err(10, m))?;
        let amount = if negative {
            Money::from_minor(-amount.minor(), currency)
        } else {
            amount
        };
        Ok(Balance { amount, date })
    }

    fn finish<R>(self, reader: &mut Mt940Reader<R>) -> Result<Statement, ParseError> {
        reader.last_len = self.transactions.len();
        let account = self.account.ok_or_else(|| {
            ParseError::at(self.start_line, 1, "25", "statement has no account (:25:)")
        })?;
        let currency = self.currency.ok_or_else(|| {
            ParseError::at(
                self.start_line,
                1,
                "60F",
                "statement has no opening balance (:60F:) or floor limit (:34F:) giving its currency",
            )
        })?;
        let closing = self.closing.map(|c| c.0);
        match (self.opening, self.closing) {
            (Some(open), Some((close, line, column))) => {
                if let Some(message) =
                    crate::unbalanced(open.amount, &self.transactions, close.amount, "")
                {
                    let err = ParseError::at(line, column, "62F", message);
                    if reader.options.warn_on_unbalanced {
                        reader.warnings.push(err);
                    } else {
                        return Err(err);
                    }
                }
            }
            (Some(_), None) => {
                return Err(ParseError::at(
                    self.start_line,
                    1,
                    "62F",
                    "statement has an opening balance but no closing balance (:62F:)",
                ))
            }
            (None, Some((_, line, column))) => {
                return Err(ParseError::at(
                    line,
                    column,
                    "60F",
                    "statement has a closing balance but no opening balance (:60F:)",
                ))
            }
            (None, None) => {}
        }
        Ok(Statement {
            account,
            currency,
            reference: self.reference,
            sequence: self.sequence,
            opening_balance: self.opening,
            closing_balance: closing,
            available_balance: self.available,
            forward_balances: self.forward,
            information: self.information,
            transactions: self.transactions,
        })
    }
}

fn parse_currency(f: &Field, at: usize) -> Result<Currency, ParseError> {
    let s = f.first_line().as_bytes();
    match s.get(at..at + 3) {
        Some(c) if c.iter().all(u8::is_ascii_uppercase) => {
            // Three ASCII upper-case letters are always a valid code.
            Currency::new(std::str::from_utf8(c).unwrap_or("XXX"))
                .map_err(|e| f.err(at, e.to_string()))
        }
        _ => Err(f.err(at, "expected a three-letter currency code")),
    }
}

fn digits<const N: usize>(s: Option<&[u8]>) -> Option<[u8; N]> {
    let s = s?;
    if s.len() != N || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut out = [0u8; N];
    for (o, c) in out.iter_mut().zip(s) {
        *o = c - b'0';
    }
    Some(out)
}

fn parse_yymmdd(s: Option<&[u8]>, f: &Field, at: usize) -> Result<Date, ParseError> {
    let d = digits::<6>(s).ok_or_else(|| f.err(at, "expected a date YYMMDD"))?;
    // SWIFT two-digit years: 00-79 are 2000-2079, 80-99 are 1980-1999.
    let yy = i16::from(d[0] * 10 + d[1]);
    let year = if yy < 80 { 2000 + yy } else { 1900 + yy };
    let month = (d[2] * 10 + d[3]) as i8;
    let day = (d[4] * 10 + d[5]) as i8;
    Date::new(year, month, day).map_err(|_| f.err(at, "invalid date"))
}

/// `:61:` — value date, entry date, mark, funds code, amount, type, references,
/// supplementary details.
fn parse_61(f: &Field, currency: Currency, pool: &mut Pool) -> Result<Entry, ParseError> {
    let line = f.first_line();
    let s = line.as_bytes();
    let value_date = parse_yymmdd(s.get(0..6), f, 0)?;
    let mut i = 6;
    let mut booking_date = value_date;
    if let Some(md) = digits::<4>(s.get(6..10)) {
        let month = (md[0] * 10 + md[1]) as i8;
        let day = (md[2] * 10 + md[3]) as i8;
        let vm = value_date.month();
        let mut year = value_date.year();
        if vm == 12 && month == 1 {
            year += 1;
        } else if vm == 1 && month == 12 {
            year -= 1;
        }
        booking_date =
            Date::new(year, month, day).map_err(|_| f.err(6, "invalid entry date MMDD"))?;
        i = 10;
    }
    let (debit, reversal) = match (s.get(i), s.get(i + 1)) {
        (Some(b'R'), Some(b'C')) => (true, true),
        (Some(b'R'), Some(b'D')) => (false, true),
        (Some(b'C'), _) => (false, false),
        (Some(b'D'), _) => (true, false),
        _ => return Err(f.err(i, "expected the mark C, D, RC or RD")),
    };
    i += if reversal { 2 } else { 1 };
    // Optional funds code: the third letter of the currency. A `D` here is not a debit.
    if s.get(i).is_some_and(u8::is_ascii_alphabetic) {
        i += 1;
    }
    // A minus sign after the mark (`D-104,12`, sent by some banks) restates
    // a debit: the amount is still 104,12 debited. After a credit mark it
    // would contradict the mark, so it is an error rather than a guess.
    if s.get(i) == Some(&b'-') {
        if !debit {
            let mark = if reversal { "RD" } else { "C" };
            return Err(f.err(
                i,
                format!("a minus sign after the credit mark {mark} contradicts it"),
            ));
        }
        i += 1;
    }
    let amount_start = i;
    while s
        .get(i)
        .is_some_and(|c| c.is_ascii_digit() || *c == b',' || *c == b'.')
    {
        i += 1;
    }
    let amount = parse_amount(&s[amount_start..i], currency).map_err(|m| f.err(amount_start, m))?;
    let amount = if debit {
        Money::from_minor(-amount.minor(), currency)
    } else {
        amount
    };
    // Transaction type: N/F/S plus three characters.
    let code_start = i;
    let transaction_code = match s.get(i) {
        Some(b'N' | b'F' | b'S') => match line.get(i..i + 4) {
            Some(code) => {
                i += 4;
                Some(pool.string(code))
            }
            None => return Err(f.err(code_start, "transaction type code is too short")),
        },
        _ => {
            return Err(f.err(
                code_start,
                "expected the transaction type (N, F or S and three characters)",
            ))
        }
    };
    let rest = line.get(i..).unwrap_or("");
    let slashes = {
        let b = rest.as_bytes();
        let mut at = find_byte(b, 0, b'/');
        while at < b.len() && b.get(at + 1) != Some(&b'/') {
            at = find_byte(b, at + 1, b'/');
        }
        (at < b.len()).then_some(at)
    };
    let (customer_ref, bank_reference) = match slashes {
        Some(p) => (&rest[..p], Some(rest[p + 2..].trim())),
        None => (rest, None),
    };
    let customer_ref = customer_ref.trim();
    let reference =
        (!customer_ref.is_empty() && customer_ref != "NONREF").then(|| pool.string(customer_ref));
    let supplementary = f
        .after_first_line()
        .map(|r| join_lines(r, " "))
        .filter(|s| !s.is_empty());
    let bank_reference = bank_reference
        .filter(|s| !s.is_empty())
        .map(|s| pool.string(s));
    Ok(Entry {
        booking_date,
        value_date,
        amount,
        reversal,
        reference,
        bank_reference,
        transaction_code,
        description: String::new(),
        counterparty: None,
        counterparty_account: None,
        supplementary,
        details: Vec::new(),
    })
}

/// The index of the first `c` in `b` from `from` on, or `b.len()`; eight
/// bytes at a time.
fn find_byte(b: &[u8], from: usize, c: u8) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut i = from;
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])) ^ (ONES * u64::from(c));
        // A zero byte of `w` is a `c`; the lowest flagged byte is exact.
        let zero = w.wrapping_sub(ONES) & !w & HIGHS;
        if zero != 0 {
            return i + (zero.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() {
        if b[i] == c {
            return i;
        }
        i += 1;
    }
    b.len()
}

fn join_lines(s: &str, sep: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for (n, l) in s.split('\n').enumerate() {
        if n > 0 && !sep.is_empty() && !out.is_empty() {
            out.push_str(sep);
        }
        out.push_str(l.trim_end());
    }
    out.trim().to_owned()
}

/// Applies an entry's `:86:` information.
fn apply_86(e: &mut Entry, f: &Field, scratch: &mut Scratch, pool: &mut Pool) {
    let text = f.text.as_str();
    let mut joined_buf = std::mem::take(&mut scratch.joined);
    let joined: &str = if !f.continuations.is_empty() {
        joined_buf.clear();
        f.lines().for_each(|l| joined_buf.push_str(l));
        &joined_buf
    } else {
        text
    };
    let b = joined.as_bytes();
    let german = b.len() >= 6
        && b[..3].iter().all(u8::is_ascii_digit)
        && b[3].is_ascii_punctuation()
        && b[4..6].iter().all(u8::is_ascii_digit);
    if german {
        apply_german(e, joined, scratch, pool);
    } else if is_dutch(text) {
        apply_dutch(e, joined);
    } else {
        e.description = join_lines(text, " ");
    }
    scratch.joined = joined_buf;
}

/// German structured `:86:`: `GVC?00text?20purpose…?30BLZ?31account?32name…`.
/// Lines are wrapped at fixed width and joined without a separator; the
/// sub-field structure carries the meaning.
fn apply_german(e: &mut Entry, joined: &str, scratch: &mut Scratch, pool: &mut Pool) {
    let b = joined.as_bytes();
    let sep = b[3];
    if e.transaction_code.is_none() {
        e.transaction_code = Some(pool.string(&joined[..3]));
    }
    let purpose = &mut scratch.purpose;
    let name = &mut scratch.name;
    purpose.clear();
    name.clear();
    let mut i = 3;
    while i < b.len() {
        // b[i] == sep and b[i+1..i+3] are digits.
        let key = &joined[i + 1..i + 3];
        let start = i + 3;
        let mut end = find_byte(b, start, sep);
        while end < b.len()
            && !b
                .get(end + 1..end + 3)
                .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
        {
            end = find_byte(b, end + 1, sep);
        }
        let value = &joined[start..end];
        match key {
            "20" | "21" | "22" | "23" | "24" | "25" | "26" | "27" | "28" | "29" | "60" | "61"
            | "62" | "63" => purpose.push_str(value),
            "31" => {
                let v = value.trim();
                if v.is_empty() {
                    pool.put_opt(e.counterparty_account.take());
                } else {
                    pool.set(&mut e.counterparty_account, v);
                }
            }
            "32" | "33" => name.push_str(value),
            _ => e.details.push((pool.string(key), pool.string(value))),
        }
        i = end;
    }
    let name = name.trim();
    if !name.is_empty() {
        pool.set(&mut e.counterparty, name);
    }
    let sepa = split_sepa(purpose, |k, v| {
        let v = v.trim();
        match k {
            "SVWZ" => pool.fill(&mut e.description, v),
            "EREF" if v != "NOTPROVIDED" => pool.set(&mut e.reference, v),
            "IBAN" if e.counterparty_account.is_none() => {
                e.counterparty_account = Some(pool.string(v))
            }
            _ => e.details.push((pool.string(k), pool.string(v))),
        }
    });
    if !sepa {
        pool.fill(&mut e.description, purpose.trim());
    }
}

const SEPA_KEYS: [&str; 12] = [
    "EREF", "KREF", "MREF", "CRED", "DEBT", "SVWZ", "ABWA", "ABWE", "IBAN", "BIC", "COAM", "OAMT",
];

/// Splits a SEPA purpose (`EREF+…SVWZ+…`) at its keywords, calling `each`
/// per keyword; false if the purpose does not start with one.
fn split_sepa(purpose: &str, mut each: impl FnMut(&'static str, &str)) -> bool {
    let key_at = |at: usize| -> Option<&'static str> {
        let rest = purpose.get(at..)?;
        SEPA_KEYS
            .iter()
            .find(|k| rest.starts_with(*k) && rest.as_bytes().get(k.len()) == Some(&b'+'))
            .copied()
    };
    let Some(mut key) = key_at(0) else {
        return false;
    };
    let mut value_start = key.len() + 1;
    let b = purpose.as_bytes();
    // Every keyword is three or four capitals and a `+`: the first place
    // from `value_start` on where one starts is found from the `+` signs,
    // trying for each the start four bytes before it, then three.
    let mut plus = find_byte(b, value_start + 3, b'+');
    while plus < b.len() {
        let found = [plus - 4, plus - 3]
            .into_iter()
            .filter(|&i| i >= value_start)
            .find_map(|i| key_at(i).map(|k| (i, k)));
        match found {
            Some((i, k)) => {
                each(key, &purpose[value_start..i]);
                key = k;
                value_start = i + k.len() + 1;
                plus = find_byte(b, value_start + 3, b'+');
            }
            None => plus = find_byte(b, plus + 1, b'+'),
        }
    }
    each(key, purpose.get(value_start..).unwrap_or(""));
    true
}

const DUTCH_KEYS: [&str; 20] = [
    "TRTP", "IBAN", "BIC", "NAME", "REMI", "EREF", "MARF", "CSID", "ORDP", "BENM", "ID", "ADDR",
    "CNTP", "PURP", "ULTC", "ULTD", "SVCL", "RTRN", "ISDT", "FX",
];

fn is_dutch(text: &str) -> bool {
    let Some(rest) = text.strip_prefix('/') else {
        return false;
    };
    let key = rest.split('/').next().unwrap_or("");
    DUTCH_KEYS.contains(&key)
}

/// Dutch `:86:`: `/TRTP/…/IBAN/…/BIC/…/NAME/…/REMI/USTD//text/EREF/…`.
fn apply_dutch(e: &mut Entry, joined: &str) {
    let parts: Vec<&str> = joined.split('/').collect();
    // parts[0] is empty (leading slash).
    let mut i = 1;
    let mut pairs: Vec<(&str, String)> = Vec::new();
    while i < parts.len() {
        let key = parts[i];
        if !DUTCH_KEYS.contains(&key) {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        // REMI's value contains slashes (USTD//text, STRD/CUR/ref); it runs to the next key.
        while j < parts.len() && !DUTCH_KEYS.contains(&parts[j]) {
            j += 1;
            if key != "REMI" && key != "CNTP" && key != "ULTC" && key != "ULTD" {
                break;
            }
        }
        let value = parts[i + 1..j].join("/");
        pairs.push((key, value));
        i = j;
    }
    for (k, v) in pairs {
        let v = v.trim().to_owned();
        match k {
            "NAME" => e.counterparty = Some(v).filter(|s| !s.is_empty()),
            "IBAN" => e.counterparty_account = Some(v).filter(|s| !s.is_empty()),
            "EREF" if !v.is_empty() && v != "NOTPROVIDED" => e.reference = Some(v),
            "REMI" => {
                let r = v.trim_end_matches('/');
                e.description = if let Some(t) = r.strip_prefix("USTD/") {
                    t.trim_start_matches('/').trim().to_owned()
                } else if let Some(t) = r.strip_prefix("STRD/CUR/") {
                    t.trim().to_owned()
                } else if let Some(t) = r.strip_prefix("STRD/") {
                    t.trim().to_owned()
                } else {
                    r.trim().to_owned()
                };
                // Kept raw too: it says whether the remittance was structured.
                e.details.push((k.to_owned(), v));
            }
            _ => e.details.push((k.to_owned(), v)),
        }
    }
}

/// Writes statements as MT940 (LF line ends, no SWIFT wrappers). Entry
/// information goes into a German structured `:86:` (`999?20EREF+…SVWZ+…`,
/// 27 characters per sub-field, `?31` account, `?32` name), which
/// [`parse`] reads back. Used for round-trip tests and benchmark files.
pub fn write<W: std::io::Write>(w: &mut W, statements: &[Statement]) -> std::io::Result<()> {
    for s in statements {
        writeln!(w, ":20:{}", s.reference.as_deref().unwrap_or("NONREF"))?;
        writeln!(w, ":25:{}", s.account)?;
        writeln!(w, ":28C:{}", s.sequence.as_deref().unwrap_or("1"))?;
        if let Some(b) = s.opening_balance {
            write_balance(w, "60F", &b)?;
        }
        for e in &s.transactions {
            let v = e.value_date;
            write!(w, ":61:{:02}{:02}{:02}", v.year() % 100, v.month(), v.day())?;
            write!(
                w,
                "{:02}{:02}",
                e.booking_date.month(),
                e.booking_date.day()
            )?;
            let mark = match (e.amount.is_negative(), e.reversal) {
                (true, false) => "D",
                (false, false) => "C",
                (true, true) => "RC",
                (false, true) => "RD",
            };
            let code = e
                .transaction_code
                .as_deref()
                .filter(|c| c.len() == 4 && matches!(c.as_bytes()[0], b'N' | b'F' | b'S'))
                .unwrap_or("NMSC");
            write!(
                w,
                "{mark}{}{code}",
                comma_amount(e.amount.minor().unsigned_abs(), e.amount.currency())
            )?;
            write!(w, "{}", e.reference.as_deref().unwrap_or("NONREF"))?;
            if let Some(b) = &e.bank_reference {
                write!(w, "//{b}")?;
            }
            writeln!(w)?;
            if let Some(sup) = &e.supplementary {
                writeln!(w, "{sup}")?;
            }
            let mut purpose = String::new();
            if let Some(r) = &e.reference {
                purpose.push_str("EREF+");
                purpose.push_str(r);
            }
            if !e.description.is_empty() {
                purpose.push_str("SVWZ+");
                purpose.push_str(&e.description);
            }
            write!(w, ":86:999")?;
            let chars: Vec<char> = purpose.chars().collect();
            for (n, chunk) in chars.chunks(27).take(10).enumerate() {
                let chunk: String = chunk.iter().collect();
                write!(w, "?2{n}{chunk}")?;
            }
            if let Some(a) = &e.counterparty_account {
                write!(w, "\n?31{a}")?;
            }
            if let Some(name) = &e.counterparty {
                write!(w, "\n?32{name}")?;
            }
            writeln!(w)?;
        }
        if let Some(b) = s.closing_balance {
            write_balance(w, "62F", &b)?;
        }
        if let Some(b) = s.available_balance {
            write_balance(w, "64", &b)?;
        }
        for b in &s.forward_balances {
            write_balance(w, "65", b)?;
        }
        if let Some(i) = &s.information {
            writeln!(w, ":86:{i}")?;
        }
        writeln!(w, "-")?;
    }
    Ok(())
}

fn write_balance<W: std::io::Write>(w: &mut W, tag: &str, b: &Balance) -> std::io::Result<()> {
    let d = b.date;
    writeln!(
        w,
        ":{tag}:{}{:02}{:02}{:02}{}{}",
        if b.amount.is_negative() { 'D' } else { 'C' },
        d.year() % 100,
        d.month(),
        d.day(),
        b.amount.currency(),
        comma_amount(b.amount.minor().unsigned_abs(), b.amount.currency())
    )
}

fn comma_amount(abs: u64, currency: Currency) -> String {
    let exp = u32::from(currency.exponent());
    if exp == 0 {
        return format!("{abs},");
    }
    let scale = 10u64.pow(exp);
    format!(
        "{},{:0width$}",
        abs / scale,
        abs % scale,
        width = exp as usize
    )
}
