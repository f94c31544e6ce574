//! Bank statement files, parsed into exact, checked statements.
//!
//! # Formats
//!
//! - **SWIFT MT940** (customer statement) and **MT942** (interim report), see
//!   [`mt940`];
//! - **ISO 20022 camt.053** (statement), **camt.052** (report) and
//!   **camt.054** (notification), versions 02–13, see [`camt`];
//! - **OFX** 1.x (SGML), 2.x (XML) and **QFX** (OFX with Intuit tags), bank
//!   (`STMTRS`) and credit-card (`CCSTMTRS`) statements, see [`ofx`];
//! - **CSV** exports with named bank profiles, inferred from the header row,
//!   see [`csv`].
//!
//! [`Format::detect`] tells the formats apart from the first bytes;
//! [`parse_bytes`] dispatches.
//!
//! # camt quirks handled
//!
//! Local names only (any namespace, any version); several `Ntry` per
//! `Stmt`/`Rpt`/`Ntfctn`; batch entries (`NtryDtls` with several `TxDtls`)
//! split into one entry each, with unique bank references; `CdtDbtInd`,
//! `RvslInd`; `BookgDt`/`ValDt` as `Dt` or `DtTm`; `Bal` with
//! `OPBD`/`PRCD` (opening), `CLBD` (closing), `CLAV`, `FWAV`; `Ustrd` and
//! `Strd/CdtrRefInf/Ref`; `BkTxCd` (`Domn/Fmly/SubFmlyCd` or `Prtry`);
//! charges (`Chrgs`, kept as `CHRG` details); the amount in the account
//! currency, never `InstdAmt` in a foreign one; statements without entries.
//!
//! # MT940 quirks handled
//!
//! - CRLF or LF line ends, a UTF-8 BOM, blank lines, the SWIFT block wrappers
//!   `{1:…}{2:…}{3:…}{4:` … `-}` (and a trailing `{5:…}`), several
//!   statements per file, a lone `-` as message end;
//! - `:60F:`/`:60M:` and `:62F:`/`:62M:` (intermediate) balances, `:64:`,
//!   `:65:` (several), MT942's `:34F:`, `:13D:`, `:90D:`/`:90C:`;
//! - `:61:` with an optional entry date (`MMDD`, year rolled over against the
//!   value date across New Year), marks `C`, `D`, `RC` (reversal of credit, a
//!   debit) and `RD` (reversal of debit, a credit), an optional third
//!   currency letter (funds code) after the mark — a funds code `D` after `C`
//!   is *not* a debit —, a minus sign after a debit mark (`D-104,12` is a
//!   debit of 104,12, as is `RC-104,12` a reversal of credit; after `C` or
//!   `RD` the sign contradicts the mark and is an error), decimal-comma
//!   amounts (`104,12`, `104,`), the
//!   transaction type code, customer reference `//` bank reference and the
//!   supplementary details on the next line;
//! - `:86:` over several lines, in three dialects: German structured
//!   (`166?00…?20…?63`, with the SEPA keywords `EREF+`, `KREF+`, `MREF+`,
//!   `CRED+`, `DEBT+`, `SVWZ+`, `ABWA+`, `ABWE+`, `IBAN+`, `BIC+` found even
//!   when a value — or the keyword itself — is split across sub-fields),
//!   Dutch (`/TRTP/…/IBAN/…/NAME/…/REMI/…`, including `/REMI/USTD//text` and
//!   `/REMI/STRD/CUR/ref`) and free text;
//! - an `:86:` that does not directly follow an `:61:` (for example after
//!   `:62F:` or `:65:`) is the statement's information, never glued to the
//!   last transaction.
//!
//! # OFX / QFX quirks handled
//!
//! See [`ofx`]: SGML leaves closed or not, empty `<MEMO>` (unclosed),
//! `<MEMO/>` and `<MEMO></MEMO>`; entities and numeric references (a bare
//! `&` kept); unknown tags and aggregates skipped (QFX's `INTU.*`);
//! comments, CDATA, processing instructions; dates
//! `YYYYMMDD[HHMM[SS[.XXX]]][±H[.MM]:TZ]` including `[+5.50:IST]`,
//! `[0:GMT]`, `[-5:EST]`, kept as the calendar date written (a date-only
//! value is a date, not UTC midnight); `CHARSET`/`ENCODING` headers that
//! lie; a BOM; several statements (bank and credit card) per file;
//! `CURRENCY`/`ORIGCURRENCY`. OFX has no opening balance, so its statements
//! are not balance-checked.
//!
//! # CSV
//!
//! See [`csv`]: named bank profiles (`hdfc`, `icici`, `sbi`, `chase`,
//! `german`, `debit-credit`, `indicator`, `generic`) chosen by
//! [`Options::csv_profile`] or inferred from the header row; metadata lines
//! before the header (read for the account number and currency); `,` `;`
//! tab `|`; quoted fields (with the delimiter, `""` and line breaks);
//! decimal commas; Indian `2,50,000.00` and German `1.234,56` grouping;
//! separate debit/credit columns; `DBIT`/`CRDT` indicators; `dd/mm/yyyy`,
//! `mm/dd/yyyy`, `dd.mm.yyyy`, ISO and month-name dates. The account and
//! currency come from [`Options`] when the file has none. With a running
//! balance column every row is checked and the statement gets opening and
//! closing balances.
//!
//! # Encodings
//!
//! Each MT940 line (each camt or OFX text node, each CSV line) is decoded on
//! its own: UTF-8 first (valid UTF-8 is never read
//! as a code page), then Windows-1252, and for the five bytes cp1252 leaves
//! undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) ISO-8859-1, whatever a header
//! claims. See [`decode_line`]. OFX and CSV also accept UTF-16 with a BOM.
//!
//! # Positions in errors
//!
//! A [`ParseError`] names where the problem is and which field: for MT940,
//! `line:column` (1-based; the column counts characters of the decoded line,
//! SWIFT block wrappers included) and the tag, such as `61` or `60F`; for
//! camt, the element path with 1-based indexes on the repeated containers
//! (`/Document/BkToCstmrStmt/Stmt[1]/Ntry[2]/Amt`) and the element name; for
//! OFX, `line:column` of the value and the tag (`TRNAMT`); for CSV,
//! `line:column` of the cell and its column's header text (`Withdrawal
//! Amt.`), or `header`, `account`, `currency`, `profile` for problems of the
//! whole file.
//!
//! # Amounts
//!
//! Amounts are exact [`Money`] in minor units, never floats. A value with more
//! decimals than its currency has (`1,234` in EUR) is an error, not rounded;
//! trailing zeros (`1,230`) are accepted. Entry amounts are signed: credits
//! positive, debits negative. Each statement is checked: opening balance plus
//! entries must equal the closing balance, or parsing fails (or, with
//! [`Options::warn_on_unbalanced`], records a warning). A statement with only
//! a closing balance (OFX's `LEDGERBAL`) or none (MT942, CSV without a
//! balance column) has nothing to check.
//!
//! # Memory
//!
//! [`mt940::Mt940Reader`], [`camt::CamtReader`] and [`ofx::OfxReader`]
//! stream over a reader (camt with a pull tokenizer of its own, no DOM; OFX
//! with a lexer that reads ahead only as far as an SGML tag's kind needs)
//! and hold one statement at a time, so memory is flat in the file's size
//! (it grows with the largest single statement). [`csv::parse`] reads line
//! by line but keeps every row until the end: the date order, the decimal
//! separator and the running-balance check need them all, and a CSV is one
//! statement per account anyway. [`StatementStream`] dispatches over a
//! reader as [`parse_bytes`] does over bytes, one statement at a time
//! ([`parse_reader`] collects them). A caller that is done with a
//! statement before it reads the next can hand it back (`recycle`): the
//! MT940 and camt readers' next statements then reuse its strings instead
//! of allocating, which is most of the allocator's work per entry.

use std::fmt;

use anumati_domain::{Currency, Money};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

pub mod camt;
pub mod csv;
pub mod mt940;
pub mod ofx;
mod xml;

/// Statements and non-fatal warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub statements: Vec<Statement>,
    pub warnings: Vec<ParseError>,
}

/// Parses `bytes` in `format`, or in the format [`Format::detect`] finds.
pub fn parse_bytes(
    bytes: &[u8],
    format: Option<Format>,
    options: Options,
) -> Result<Parsed, ParseError> {
    match format.or_else(|| Format::detect(bytes)) {
        Some(Format::Mt940 | Format::Mt942) => mt940::parse_bytes(bytes, options),
        Some(Format::Camt052 | Format::Camt053 | Format::Camt054) => {
            camt::parse_bytes(bytes, options)
        }
        Some(Format::Ofx) => ofx::parse_bytes(bytes, options),
        Some(Format::Csv) => csv::parse_bytes(bytes, options),
        None => Err(unknown_format()),
    }
}

fn unknown_format() -> ParseError {
    ParseError::at(
        1,
        1,
        "-",
        "unknown format: neither MT940/MT942, camt.052/053/054, OFX/QFX nor a CSV with a recognised header row",
    )
}

/// Parses what `input` yields, streaming, in `format` or in the format
/// [`Format::detect`] finds in the bytes `input` has buffered at first
/// (a `BufReader` over a file holds its first 8 KiB), and collects every
/// statement. To take one statement at a time, with memory flat in the
/// input's size, use [`StatementStream`].
pub fn parse_reader<R: std::io::BufRead>(
    input: R,
    format: Option<Format>,
    options: Options,
) -> Result<Parsed, ParseError> {
    let mut stream = StatementStream::new(input, format, options);
    let mut statements = Vec::new();
    for s in stream.by_ref() {
        statements.push(s?);
    }
    Ok(Parsed {
        statements,
        warnings: stream.take_warnings(),
    })
}

/// The statements of an input in any format, one at a time: the format's
/// own streaming reader behind one type, for a caller that handles each
/// statement before it reads the next (`anumati statement parse`,
/// `anumati import`). The first item is an error when the format is
/// unknown or the input cannot be read; the stream ends after an error.
///
/// Memory stays flat in the input's size for MT940, camt and OFX; a CSV
/// (one statement per account, whose rows the date order, the decimal
/// separator and the balance check all need) is parsed whole at the first
/// [`Iterator::next`]. A caller done with a statement hands it back with
/// [`StatementStream::recycle`], so the next ones reuse its allocations.
pub struct StatementStream<R> {
    inner: Inner<R>,
    format: Option<Format>,
}

/// (The readers are boxed: they differ in size by kilobytes.)
enum Inner<R> {
    Mt940(Box<mt940::Mt940Reader<R>>),
    Camt(Box<camt::CamtReader<R>>),
    Ofx(Box<ofx::OfxReader<R>>),
    /// Not parsed yet (`Some`), or parsed and being handed out.
    Csv {
        input: Option<(R, Options)>,
        statements: std::vec::IntoIter<Statement>,
        warnings: Vec<ParseError>,
    },
    /// The error to yield first (unknown format, unreadable input).
    Failed(Option<ParseError>),
}

impl<R: std::io::BufRead> StatementStream<R> {
    /// A stream over `input` in `format`, or in the format
    /// [`Format::detect`] finds in the bytes `input` has buffered at first.
    pub fn new(mut input: R, format: Option<Format>, options: Options) -> Self {
        let format = match format {
            Some(f) => Ok(Some(f)),
            None => input
                .fill_buf()
                .map(Format::detect)
                .map_err(|e| ParseError::at(1, 1, "-", format!("read error: {e}"))),
        };
        let (inner, format) = match format {
            Err(e) => (Inner::Failed(Some(e)), None),
            Ok(None) => (Inner::Failed(Some(unknown_format())), None),
            Ok(Some(f)) => (
                match f {
                    Format::Mt940 | Format::Mt942 => {
                        Inner::Mt940(Box::new(mt940::Mt940Reader::new(input, options)))
                    }
                    Format::Camt052 | Format::Camt053 | Format::Camt054 => {
                        Inner::Camt(Box::new(camt::CamtReader::new(input, options)))
                    }
                    Format::Ofx => Inner::Ofx(Box::new(ofx::OfxReader::new(input, options))),
                    Format::Csv => Inner::Csv {
                        input: Some((input, options)),
                        statements: Vec::new().into_iter(),
                        warnings: Vec::new(),
                    },
                },
                Some(f),
            ),
        };
        StatementStream { inner, format }
    }

    /// The format read (given or detected); `None` when it is unknown.
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// The non-fatal problems met since the last call (statements that do
    /// not balance, with [`Options::warn_on_unbalanced`]).
    pub fn take_warnings(&mut self) -> Vec<ParseError> {
        match &mut self.inner {
            Inner::Mt940(r) => std::mem::take(&mut r.warnings),
            Inner::Camt(r) => std::mem::take(&mut r.warnings),
            Inner::Csv { warnings, .. } => std::mem::take(warnings),
            Inner::Ofx(_) | Inner::Failed(_) => Vec::new(),
        }
    }

    /// Gives back a statement the caller is done with, for the next ones'
    /// fields (MT940 and camt; the other formats drop it).
    pub fn recycle(&mut self, statement: Statement) {
        match &mut self.inner {
            Inner::Mt940(r) => r.recycle(statement),
            Inner::Camt(r) => r.recycle(statement),
            _ => {}
        }
    }
}

impl<R: std::io::BufRead> Iterator for StatementStream<R> {
    type Item = Result<Statement, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            Inner::Mt940(r) => r.next(),
            Inner::Camt(r) => r.next(),
            Inner::Ofx(r) => r.next(),
            Inner::Failed(e) => e.take().map(Err),
            Inner::Csv {
                input,
                statements,
                warnings,
            } => {
                if let Some((input, options)) = input.take() {
                    match csv::parse(input, options) {
                        Ok(parsed) => {
                            *statements = parsed.statements.into_iter();
                            *warnings = parsed.warnings;
                        }
                        Err(e) => return Some(Err(e)),
                    }
                }
                statements.next().map(Ok)
            }
        }
    }
}

/// A dated balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    /// Signed: a debit balance is negative.
    pub amount: Money,
    pub date: Date,
}

/// One statement (or interim report) of one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// The account as the file names it (IBAN, or bank code/account number).
    pub account: String,
    pub currency: Currency,
    /// The statement's own reference (MT940 `:20:`).
    pub reference: Option<String>,
    /// Statement number / sequence (MT940 `:28C:`).
    pub sequence: Option<String>,
    /// `None` only for interim reports (MT942), which carry no balances.
    pub opening_balance: Option<Balance>,
    pub closing_balance: Option<Balance>,
    /// Closing available balance (MT940 `:64:`).
    pub available_balance: Option<Balance>,
    /// Forward available balances (MT940 `:65:`).
    pub forward_balances: Vec<Balance>,
    /// Statement-level information (an `:86:` not attached to an entry).
    pub information: Option<String>,
    pub transactions: Vec<Entry>,
}

/// One booked entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub booking_date: Date,
    pub value_date: Date,
    /// Signed: credits positive, debits negative (reversals already applied).
    pub amount: Money,
    /// True for `RC`/`RD` (MT940) entries.
    pub reversal: bool,
    /// End-to-end reference if the bank gave one (`EREF+`, `/EREF/`),
    /// otherwise the customer reference unless it is `NONREF`.
    pub reference: Option<String>,
    /// The bank's reference (after `//` in MT940 `:61:`).
    pub bank_reference: Option<String>,
    /// Transaction type code (MT940 `:61:` such as `NTRF`, or `:86:` GVC).
    pub transaction_code: Option<String>,
    /// Remittance information (SEPA `SVWZ+`, Dutch `/REMI/`, or the free text).
    pub description: String,
    /// Counterparty name.
    pub counterparty: Option<String>,
    /// Counterparty account (IBAN or account number).
    pub counterparty_account: Option<String>,
    /// MT940 supplementary details (second line of `:61:`).
    pub supplementary: Option<String>,
    /// The structured key/value pairs not carried by a field above, in
    /// order: German sub-fields by number (`"00"` posting text, `"30"` bank
    /// code, …), SEPA keywords (`"KREF"`, `"MREF"`, `"CRED"`, `"ABWA"`, and
    /// `"EREF"` when it is `NOTPROVIDED`), Dutch keys (`"TRTP"`, `"BIC"`,
    /// `"MARF"`, …; `"REMI"` raw, as it tells `USTD` from `STRD`).
    pub details: Vec<(String, String)>,
}

/// Allocations handed back with a reader's `recycle` (see
/// [`mt940::Mt940Reader::recycle`], [`camt::CamtReader::recycle`]): the
/// strings of a statement the caller is done with, kept to hold the next
/// statements' fields, and its emptied entry vector. A reader whose caller
/// never recycles allocates every field afresh, as before; the statements
/// are the same either way.
#[derive(Default)]
pub(crate) struct Pool {
    /// Emptied strings, each with some capacity.
    strings: Vec<String>,
    /// An emptied `transactions` vector.
    entries: Vec<Entry>,
}

impl Pool {
    /// At most this many strings are kept (about one large statement's).
    const MAX_STRINGS: usize = 1 << 16;

    /// Takes `statement`'s allocations for reuse.
    pub(crate) fn recycle(&mut self, statement: Statement) {
        let Statement {
            account,
            reference,
            sequence,
            information,
            mut transactions,
            ..
        } = statement;
        self.put(account);
        self.put_opt(reference);
        self.put_opt(sequence);
        self.put_opt(information);
        for e in transactions.drain(..) {
            let Entry {
                reference,
                bank_reference,
                transaction_code,
                description,
                counterparty,
                counterparty_account,
                supplementary,
                details,
                ..
            } = e;
            self.put_opt(reference);
            self.put_opt(bank_reference);
            self.put_opt(transaction_code);
            self.put(description);
            self.put_opt(counterparty);
            self.put_opt(counterparty_account);
            self.put_opt(supplementary);
            for (k, v) in details {
                self.put(k);
                self.put(v);
            }
        }
        if transactions.capacity() > self.entries.capacity() {
            self.entries = transactions;
        }
    }

    /// Keeps `s` for reuse.
    #[inline]
    pub(crate) fn put(&mut self, mut s: String) {
        if s.capacity() > 0 && self.strings.len() < Self::MAX_STRINGS {
            s.clear();
            self.strings.push(s);
        }
    }

    #[inline]
    pub(crate) fn put_opt(&mut self, s: Option<String>) {
        if let Some(s) = s {
            self.put(s);
        }
    }

    /// An empty string with some capacity, if one is kept.
    #[inline]
    pub(crate) fn pop(&mut self) -> Option<String> {
        self.strings.pop()
    }

    /// An empty string, recycled if one is kept.
    #[inline]
    pub(crate) fn empty(&mut self) -> String {
        self.strings.pop().unwrap_or_default()
    }

    /// `v` in a recycled string (allocated for `v` exactly when none is kept).
    #[inline]
    pub(crate) fn string(&mut self, v: &str) -> String {
        if v.is_empty() {
            return String::new();
        }
        match self.strings.pop() {
            Some(mut s) => {
                s.push_str(v);
                s
            }
            None => v.to_owned(),
        }
    }

    /// Sets `slot` to `v`, in the string it holds if it holds one.
    #[inline]
    pub(crate) fn set(&mut self, slot: &mut Option<String>, v: &str) {
        match slot {
            Some(s) => {
                s.clear();
                s.push_str(v);
            }
            None => *slot = Some(self.string(v)),
        }
    }

    /// Sets `dst` to `v`, in a recycled string if `dst` has no capacity.
    #[inline]
    pub(crate) fn fill(&mut self, dst: &mut String, v: &str) {
        if dst.capacity() == 0 {
            *dst = self.string(v);
        } else {
            dst.clear();
            dst.push_str(v);
        }
    }

    /// A vector for a statement's entries: the recycled one if it holds
    /// `capacity`, otherwise a new one of that capacity.
    pub(crate) fn entries(&mut self, capacity: usize) -> Vec<Entry> {
        if self.entries.capacity() >= capacity && self.entries.capacity() > 0 {
            std::mem::take(&mut self.entries)
        } else {
            Vec::with_capacity(capacity)
        }
    }
}

/// Where in the file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Position {
    /// 1-based line and column.
    LineColumn { line: usize, column: usize },
    /// An XML element path such as `/Document/BkToCstmrStmt/Stmt[1]/Ntry[2]/Amt`.
    XmlPath(String),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::LineColumn { line, column } => write!(f, "{line}:{column}"),
            Position::XmlPath(p) => f.write_str(p),
        }
    }
}

/// A malformed file: where, which field, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{position}: field {field}: {message}")]
pub struct ParseError {
    pub position: Position,
    /// The tag (MT940, such as `61`) or element name (camt).
    pub field: String,
    pub message: String,
}

impl ParseError {
    pub fn at(line: usize, column: usize, field: &str, message: impl Into<String>) -> Self {
        ParseError {
            position: Position::LineColumn { line, column },
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// Parser options.
///
/// `currency` and `account` only fill gaps: what the file itself says (an
/// OFX `CURDEF`/`ACCTID`, a CSV currency or account column, a CSV metadata
/// line such as `Account Number : …`) wins.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Record a statement whose opening balance plus entries differs from its
    /// closing balance as a warning instead of failing.
    pub warn_on_unbalanced: bool,
    /// The statement currency for files that name none (most CSV exports,
    /// an OFX without `CURDEF`).
    pub currency: Option<Currency>,
    /// The account for files that name none (most CSV exports).
    pub account: Option<String>,
    /// A CSV bank profile by name (see [`csv::PROFILES`]); `None` infers it
    /// from the header row.
    pub csv_profile: Option<String>,
}

/// Statement file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    Mt940,
    Mt942,
    Camt052,
    Camt053,
    Camt054,
    /// OFX 1.x (SGML), OFX 2.x (XML) and QFX.
    Ofx,
    /// CSV (or `;`/tab separated) with a header row a [`csv::Profile`] knows.
    Csv,
}

impl Format {
    /// Detects the format from the first bytes of a file (a few kilobytes are
    /// plenty; the whole file works too).
    pub fn detect(head: &[u8]) -> Option<Format> {
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
        let head = &head[start..];
        let window = &head[..head.len().min(4096)];
        if window.starts_with(b"OFXHEADER")
            || contains(window, b"<OFX>")
            || contains(window, b"<?OFX")
            || (head.first() != Some(&b'<') && contains(window, b"OFXHEADER:"))
        {
            return Some(Format::Ofx);
        }
        if head.first() == Some(&b'<') {
            if contains(window, b"BkToCstmrStmt") || contains(window, b"camt.053") {
                return Some(Format::Camt053);
            }
            if contains(window, b"BkToCstmrAcctRpt") || contains(window, b"camt.052") {
                return Some(Format::Camt052);
            }
            if contains(window, b"BkToCstmrDbtCdtNtfctn") || contains(window, b"camt.054") {
                return Some(Format::Camt054);
            }
            return None;
        }
        if contains(window, b"{2:O942") || contains(window, b"{2:I942") {
            return Some(Format::Mt942);
        }
        if contains(window, b"{2:O940") || contains(window, b"{2:I940") {
            return Some(Format::Mt940);
        }
        if starts_line(window, b":20:") {
            if contains(window, b":34F:")
                && !contains(window, b":60F:")
                && !contains(window, b":60M:")
            {
                return Some(Format::Mt942);
            }
            return Some(Format::Mt940);
        }
        if csv::sniff(window) {
            return Some(Format::Csv);
        }
        None
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// `needle` at the start of `hay` or of one of its lines (after blanks or a
/// SWIFT `{4:`), so that a time such as `10:20:30` in a CSV is no MT940 tag.
fn starts_line(hay: &[u8], needle: &[u8]) -> bool {
    hay.split(|&b| b == b'\n').any(|line| {
        let line = line.trim_ascii_start();
        line.starts_with(needle)
            || (line.starts_with(b"{") && contains(line, &[b"{4:", needle].concat()))
    })
}

/// Strips a UTF-8 byte-order mark, or decodes UTF-16 (with its BOM) to UTF-8.
/// Unpaired UTF-16 surrogates become U+FFFD.
pub(crate) fn unbom(bytes: &[u8]) -> std::borrow::Cow<'_, [u8]> {
    use std::borrow::Cow;
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return Cow::Borrowed(rest);
    }
    let little = match bytes {
        [0xFF, 0xFE, ..] => true,
        [0xFE, 0xFF, ..] => false,
        _ => return Cow::Borrowed(bytes),
    };
    let units = bytes[2..].chunks_exact(2).map(|c| {
        if little {
            u16::from_le_bytes([c[0], c[1]])
        } else {
            u16::from_be_bytes([c[0], c[1]])
        }
    });
    let text: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    Cow::Owned(text.into_bytes())
}

/// The message for a statement whose opening balance plus entries is not its
/// closing balance, or `None` when it balances. `closing_name` names the
/// closing balance in the file's own terms.
pub(crate) fn unbalanced(
    opening: Money,
    entries: &[Entry],
    closing: Money,
    closing_name: &str,
) -> Option<String> {
    let mut sum = i128::from(opening.minor());
    for e in entries {
        sum += i128::from(e.amount.minor());
    }
    if sum == i128::from(closing.minor()) {
        return None;
    }
    let computed = i64::try_from(sum)
        .map(|m| Money::from_minor(m, closing.currency()).to_decimal_string())
        .unwrap_or_else(|_| "(overflow)".to_owned());
    Some(format!(
        "statement does not balance: opening {} plus {} entries gives {computed}, but the closing balance{closing_name} is {}",
        opening.to_decimal_string(),
        entries.len(),
        closing.to_decimal_string()
    ))
}

/// Windows-1252 for 0x80..=0x9F; `None` marks the five bytes it leaves
/// undefined, which are then read as ISO-8859-1 (the C1 control of the same value).
const CP1252_HIGH: [Option<char>; 32] = [
    Some('€'),
    None,
    Some('‚'),
    Some('ƒ'),
    Some('„'),
    Some('…'),
    Some('†'),
    Some('‡'),
    Some('ˆ'),
    Some('‰'),
    Some('Š'),
    Some('‹'),
    Some('Œ'),
    None,
    Some('Ž'),
    None,
    None,
    Some('\u{2018}'),
    Some('\u{2019}'),
    Some('\u{201C}'),
    Some('\u{201D}'),
    Some('•'),
    Some('–'),
    Some('—'),
    Some('˜'),
    Some('™'),
    Some('š'),
    Some('›'),
    Some('œ'),
    None,
    Some('ž'),
    Some('Ÿ'),
];

/// Decodes one line: UTF-8 if it is valid UTF-8, otherwise Windows-1252,
/// falling back to ISO-8859-1 for the bytes cp1252 does not define.
/// Appends to `out`.
pub fn decode_line(bytes: &[u8], out: &mut String) {
    match std::str::from_utf8(bytes) {
        Ok(s) => out.push_str(s),
        Err(_) => {
            out.reserve(bytes.len());
            for &b in bytes {
                let c = match b {
                    0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)].unwrap_or(char::from(b)),
                    _ => char::from(b),
                };
                out.push(c);
            }
        }
    }
}

/// Parses a decimal-comma (or decimal-point) amount such as `104,12` exactly,
/// unsigned. `Err` carries a message; the caller adds the position.
pub(crate) fn parse_amount(s: &[u8], currency: Currency) -> Result<Money, String> {
    let exp = usize::from(currency.exponent());
    let mut minor: i64 = 0;
    let mut frac_digits: Option<usize> = None;
    let mut int_digits = 0usize;
    let overflow = || format!("amount {:?} is too large", String::from_utf8_lossy(s));
    for &b in s {
        match b {
            b'0'..=b'9' => {
                let d = i64::from(b - b'0');
                match frac_digits.as_mut() {
                    None => {
                        int_digits += 1;
                        minor = minor
                            .checked_mul(10)
                            .and_then(|m| m.checked_add(d))
                            .ok_or_else(overflow)?;
                    }
                    Some(n) => {
                        *n += 1;
                        if *n > exp {
                            if d != 0 {
                                return Err(format!(
                                    "amount {:?} has more than {exp} decimal places for {currency}",
                                    String::from_utf8_lossy(s)
                                ));
                            }
                            continue;
                        }
                        minor = minor
                            .checked_mul(10)
                            .and_then(|m| m.checked_add(d))
                            .ok_or_else(overflow)?;
                    }
                }
            }
            b',' | b'.' if frac_digits.is_none() => frac_digits = Some(0),
            _ => {
                return Err(format!(
                    "invalid amount {:?}: expected digits and a decimal comma",
                    String::from_utf8_lossy(s)
                ))
            }
        }
    }
    if int_digits == 0 {
        return Err(format!(
            "invalid amount {:?}: no digits before the decimal comma",
            String::from_utf8_lossy(s)
        ));
    }
    let given = frac_digits.unwrap_or(0).min(exp);
    for _ in given..exp {
        minor = minor.checked_mul(10).ok_or_else(overflow)?;
    }
    Ok(Money::from_minor(minor, currency))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_and_never_rounded() {
        let eur = Currency::EUR;
        assert_eq!(parse_amount(b"104,12", eur).unwrap().minor(), 10412);
        assert_eq!(parse_amount(b"104,", eur).unwrap().minor(), 10400);
        assert_eq!(parse_amount(b"104,1", eur).unwrap().minor(), 10410);
        assert_eq!(parse_amount(b"104,120", eur).unwrap().minor(), 10412);
        assert_eq!(parse_amount(b"0,01", eur).unwrap().minor(), 1);
        assert!(parse_amount(b"104,123", eur).is_err());
        assert!(parse_amount(b",5", eur).is_err());
        assert!(parse_amount(b"1,2,3", eur).is_err());
        assert!(parse_amount(b"99999999999999999999", eur).is_err());
        let jpy = Currency::new("JPY").unwrap();
        assert_eq!(parse_amount(b"1500,", jpy).unwrap().minor(), 1500);
        assert!(parse_amount(b"1500,5", jpy).is_err());
    }

    #[test]
    fn decoding_prefers_utf8_then_cp1252_then_latin1() {
        let mut s = String::new();
        decode_line("Müller €".as_bytes(), &mut s);
        assert_eq!(s, "Müller €");
        s.clear();
        decode_line(b"M\xFCller \x80 \x93x\x94", &mut s);
        assert_eq!(s, "Müller € \u{201C}x\u{201D}");
        s.clear();
        decode_line(b"a\x81b", &mut s);
        assert_eq!(s, "a\u{81}b");
    }

    #[test]
    fn detects_formats_from_first_bytes() {
        assert_eq!(
            Format::detect(b"\xEF\xBB\xBF:20:X\r\n:25:Y"),
            Some(Format::Mt940)
        );
        assert_eq!(
            Format::detect(b"{1:F01BANKDEFFXXXX0000000000}{2:O9401200BANK}{4:\r\n:20:X"),
            Some(Format::Mt940)
        );
        assert_eq!(
            Format::detect(b"{1:F01X}{2:O9421200BANK}{4:\n:20:X"),
            Some(Format::Mt942)
        );
        assert_eq!(
            Format::detect(b":20:X\n:25:A\n:34F:EUR0,\n"),
            Some(Format::Mt942)
        );
        assert_eq!(
            Format::detect(b"<?xml version=\"1.0\"?><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt>"),
            Some(Format::Camt053)
        );
        assert_eq!(
            Format::detect(b"<Document><BkToCstmrAcctRpt>"),
            Some(Format::Camt052)
        );
        assert_eq!(
            Format::detect(b"<Document><BkToCstmrDbtCdtNtfctn>"),
            Some(Format::Camt054)
        );
        assert_eq!(
            Format::detect(b"OFXHEADER:100\r\nDATA:OFXSGML\r\n\r\n<OFX>"),
            Some(Format::Ofx)
        );
        assert_eq!(
            Format::detect(b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<?OFX OFXHEADER=\"200\"?><OFX>"),
            Some(Format::Ofx)
        );
        assert_eq!(
            Format::detect(b"\n<OFX>\n<SIGNONMSGSRSV1>"),
            Some(Format::Ofx)
        );
        assert_eq!(
            Format::detect(b"Date,Description,Amount\n2024-01-01,x,1.00\n"),
            Some(Format::Csv)
        );
        assert_eq!(
            Format::detect(b"Konto;X\n\nBuchungstag;Verwendungszweck;Betrag\n"),
            Some(Format::Csv)
        );
        assert_eq!(Format::detect(b"hello"), None);
        assert_eq!(Format::detect(b""), None);
    }
}
