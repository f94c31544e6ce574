//! CSV statement exports, read through named bank [`Profile`]s.
//!
//! # Profiles and the header row
//!
//! A profile names the columns it knows (by role: booking date, amount,
//! debit, …, each with the header texts banks use for it), how amounts are
//! written (one signed column, separate debit and credit columns, or an
//! amount with a `DBIT`/`CRDT` indicator column), the date order, the decimal
//! separator and a default currency. See [`PROFILES`].
//!
//! The header row is found among the first [`HEADER_SEARCH`] records, with
//! each of `,` `;` tab `|` as delimiter: lines before it (a bank's metadata:
//! account holder, `Account Number : …`, period) are read for an account
//! number and a currency and otherwise skipped. Header texts are compared
//! case-insensitively on their letters and digits only (`Chq./Ref.No.` is
//! `chqrefno`; `ä` is `ae`, `ß` is `ss`); a currency in parentheses
//! (`Withdrawal Amount (INR )`, `Betrag (EUR)`) is the statement's currency.
//! Without [`Options::csv_profile`] every profile is tried and the one that
//! recognises the most columns of a header row wins (a bank's own profile
//! before the generic ones on a tie); with it, only that profile is tried.
//!
//! # Rows
//!
//! Fields may be quoted (`"…"`, with `""` for a quote), and quoted fields
//! may hold the delimiter and line breaks. A row whose date cell starts with
//! a digit (or is a date with a month name) is an entry and must parse; other
//! rows (separators such as `*****`, totals, a repeated header, footers) are
//! skipped, except that a row with only a description (no date, no amounts)
//! continues the previous entry's description. After the first entry, a
//! blank or skipped row starts the footer: from there on only rows whose
//! date cell is a real date are entries, so a summary row such as
//! `"2,50,000.00",3,2,…` is no error, and no entry after a page break is
//! lost. Columns a profile does not
//! map go to [`Entry::details`] under their header text.
//!
//! # Amounts and dates
//!
//! Exact, never floats. Decimal point or decimal comma as the profile says
//! (or, for the generic profiles, as the amounts show: `12,50` and `1.234,56`
//! have a decimal comma; without evidence a `;`-separated file has a decimal
//! comma and any other a decimal point). Grouping separators are checked:
//! `2,50,000.00` (Indian lakh grouping), `250,000.00` and `1.234,56` are
//! accepted, `12.50` with a decimal comma is an error, not 1,250. Signs:
//! `-12.50`, `+12.50`, `12,50-`, `(12.50)`, `12.50 Dr`/`Cr`; currency
//! symbols and the statement's own currency code are ignored.
//!
//! Dates: `dd/mm/yyyy` (Indian and most banks), `mm/dd/yyyy` (US),
//! `dd.mm.yyyy` (German), ISO `yyyy-mm-dd` (always recognised), with `/`,
//! `-`, `.` or blanks, two-digit years (00–79 are 20xx), month names
//! (`01-Apr-2024`, `1 Apr 2024`, `Apr 1, 2024`; English and German
//! abbreviations) and a time after the date (ignored). The generic profiles
//! infer day-first or month-first from the data (a first number above 12
//! means day-first); when every date is ambiguous they read day-first and
//! record a warning.
//!
//! # Statements and balances
//!
//! One statement per account (per value of an account column such as
//! Sparkasse's `Auftragskonto`, otherwise one for the file). The account is
//! the account column, else an `Account Number`/`IBAN`/`Kontonummer`
//! metadata line, else [`Options::account`]; the currency the currency
//! column, else a `(XXX)` in a header, else a `Currency` metadata line, else
//! [`Options::currency`], else the profile's default (INR for the Indian
//! profiles, USD for Chase, EUR for the German one). Entries are returned
//! oldest first (files written newest first are reversed).
//!
//! With a running balance column every row is checked (previous balance plus
//! this entry equals this balance; the file's order, newest first or oldest
//! first, is the one in which the balances add up), and the statement gets
//! an opening balance (first balance minus first entry) and a closing
//! balance (the last balance), so opening plus entries equals closing as for
//! the other formats. A row that does not add up fails parsing, or with
//! [`Options::warn_on_unbalanced`] is a warning. Without a balance column
//! there are no balances and nothing to check.

use std::io::Read;

use anumati_domain::{Currency, Money};
use jiff::civil::Date;

use crate::{decode_line, Balance, Entry, Options, ParseError, Parsed, Statement};

/// How many records from the top are searched for the header row.
pub const HEADER_SEARCH: usize = 50;

/// What a column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    BookingDate,
    ValueDate,
    Description,
    /// Signed amount (or unsigned with [`Role::Indicator`]).
    Amount,
    /// Withdrawals: money out.
    Debit,
    /// Deposits: money in.
    Credit,
    /// `DBIT`/`CRDT`, `D`/`C`, `Dr`/`Cr`, `Debit`/`Credit`, `S`/`H` (Soll/Haben).
    Indicator,
    /// Running balance after the row.
    Balance,
    Currency,
    Reference,
    BankReference,
    Counterparty,
    CounterpartyAccount,
    TransactionCode,
    /// The statement's own account (one statement per value).
    Account,
    /// A column to drop (a serial number).
    Ignore,
}

const ROLES: usize = 16;

/// How a row carries its amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// One signed [`Role::Amount`] column.
    Signed,
    /// [`Role::Debit`] and [`Role::Credit`] columns, one of them filled.
    DebitCredit,
    /// An unsigned [`Role::Amount`] and a [`Role::Indicator`].
    Indicator,
}

/// Date order of numeric dates that are not ISO `yyyy-mm-dd`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateOrder {
    DayMonthYear,
    MonthDayYear,
    /// Decided from the data (see the module docs).
    Auto,
}

/// Decimal separator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decimal {
    Point,
    Comma,
    /// Decided from the data (see the module docs).
    Auto,
}

/// A bank's CSV layout.
#[derive(Debug)]
pub struct Profile {
    /// The name [`Options::csv_profile`] takes.
    pub name: &'static str,
    pub description: &'static str,
    /// `None`: any of `,` `;` tab `|`.
    pub delimiter: Option<char>,
    pub decimal: Decimal,
    pub dates: DateOrder,
    /// Used when neither the file nor [`Options::currency`] gives one.
    pub currency: Option<Currency>,
    pub scheme: Scheme,
    /// Header texts per role, normalised (lower-case letters and digits).
    pub columns: &'static [(Role, &'static [&'static str])],
}

/// The built-in profiles, most specific first (the order breaks ties).
pub static PROFILES: &[Profile] = &[
    Profile {
        name: "hdfc",
        description: "HDFC Bank (India): Date, Narration, Chq./Ref.No., Value Dt, Withdrawal Amt., Deposit Amt., Closing Balance; dd/mm/yy",
        delimiter: None,
        decimal: Decimal::Point,
        dates: DateOrder::DayMonthYear,
        currency: Some(Currency::INR),
        scheme: Scheme::DebitCredit,
        columns: &[
            (Role::BookingDate, &["date"]),
            (Role::Description, &["narration"]),
            (Role::Reference, &["chqrefno", "chqrefnumber", "chequerefno"]),
            (Role::ValueDate, &["valuedt", "valuedate"]),
            (Role::Debit, &["withdrawalamt", "withdrawalamount"]),
            (Role::Credit, &["depositamt", "depositamount"]),
            (Role::Balance, &["closingbalance"]),
        ],
    },
    Profile {
        name: "icici",
        description: "ICICI Bank (India): S No., Value Date, Transaction Date, Cheque Number, Transaction Remarks, Withdrawal Amount (INR ), Deposit Amount (INR ), Balance (INR ); dd/mm/yyyy",
        delimiter: None,
        decimal: Decimal::Point,
        dates: DateOrder::DayMonthYear,
        currency: Some(Currency::INR),
        scheme: Scheme::DebitCredit,
        columns: &[
            (Role::Ignore, &["sno", "slno", "srno"]),
            (Role::BankReference, &["tranid", "transactionid"]),
            (Role::ValueDate, &["valuedate"]),
            (Role::BookingDate, &["transactiondate"]),
            (Role::Reference, &["chequenumber", "chequeno", "chequenorefno"]),
            (Role::Description, &["transactionremarks"]),
            (Role::Debit, &["withdrawalamount", "withdrawalamt"]),
            (Role::Credit, &["depositamount", "depositamt"]),
            (Role::Balance, &["balance"]),
        ],
    },
    Profile {
        name: "sbi",
        description: "State Bank of India: Txn Date, Value Date, Description, Ref No./Cheque No., Debit, Credit, Balance; dates such as 1 Apr 2024",
        delimiter: None,
        decimal: Decimal::Point,
        dates: DateOrder::DayMonthYear,
        currency: Some(Currency::INR),
        scheme: Scheme::DebitCredit,
        columns: &[
            (Role::BookingDate, &["txndate"]),
            (Role::ValueDate, &["valuedate"]),
            (Role::Description, &["description"]),
            (Role::Reference, &["refnochequeno", "refnochqno", "chequenorefno"]),
            (Role::Debit, &["debit"]),
            (Role::Credit, &["credit"]),
            (Role::Balance, &["balance"]),
        ],
    },
    Profile {
        name: "chase",
        description: "Chase (US) checking (Details, Posting Date, Description, Amount, Type, Balance, Check or Slip #) and card (Transaction Date, Post Date, Description, Category, Type, Amount, Memo); mm/dd/yyyy",
        delimiter: None,
        decimal: Decimal::Point,
        dates: DateOrder::MonthDayYear,
        currency: Some(Currency::USD),
        scheme: Scheme::Signed,
        columns: &[
            (Role::BookingDate, &["postingdate", "postdate"]),
            (Role::Description, &["description"]),
            (Role::Amount, &["amount"]),
            (Role::TransactionCode, &["type"]),
            (Role::Balance, &["balance"]),
            (Role::Reference, &["checkorslip"]),
        ],
    },
    Profile {
        name: "german",
        description: "German banks (Sparkasse, DKB, …): ';', decimal comma, dd.mm.yyyy; Buchungstag, Valutadatum/Wertstellung, Buchungstext, Verwendungszweck, Betrag, Waehrung",
        delimiter: Some(';'),
        decimal: Decimal::Comma,
        dates: DateOrder::DayMonthYear,
        currency: Some(Currency::EUR),
        scheme: Scheme::Signed,
        columns: &[
            (Role::Account, &["auftragskonto"]),
            (Role::BookingDate, &["buchungstag", "buchungsdatum"]),
            (Role::ValueDate, &["valutadatum", "wertstellung", "valuta"]),
            (Role::TransactionCode, &["buchungstext", "umsatzart"]),
            (Role::Description, &["verwendungszweck"]),
            (
                Role::Counterparty,
                &[
                    "beguenstigterzahlungspflichtiger",
                    "auftraggeberbeguenstigter",
                    "namezahlungsbeteiligter",
                    "zahlungsempfaenger",
                    "auftraggeber",
                ],
            ),
            (
                Role::CounterpartyAccount,
                &["kontonummeriban", "ibanzahlungsbeteiligter", "kontonummer", "iban"],
            ),
            (Role::Amount, &["betrag", "umsatz"]),
            (Role::Currency, &["waehrung"]),
            (Role::Reference, &["kundenreferenzendtoend", "kundenreferenz"]),
            (Role::Balance, &["saldonachbuchung", "kontostand"]),
        ],
    },
    Profile {
        name: "debit-credit",
        description: "Generic with separate money-out and money-in columns (Debit/Credit, Withdrawal/Deposit, Money Out/Money In, Paid out/Paid in)",
        delimiter: None,
        decimal: Decimal::Auto,
        dates: DateOrder::Auto,
        currency: None,
        scheme: Scheme::DebitCredit,
        columns: &[
            (Role::BookingDate, &["date", "transactiondate", "postingdate", "bookingdate"]),
            (Role::ValueDate, &["valuedate"]),
            (
                Role::Description,
                &["description", "details", "narrative", "memo", "particulars", "narration"],
            ),
            (
                Role::Debit,
                &[
                    "debit", "debitamount", "debits", "withdrawal", "withdrawals", "moneyout",
                    "paidout", "out",
                ],
            ),
            (
                Role::Credit,
                &[
                    "credit", "creditamount", "credits", "deposit", "deposits", "moneyin",
                    "paidin", "in",
                ],
            ),
            (Role::Balance, &["balance", "runningbalance"]),
            (Role::Reference, &["reference", "ref"]),
            (Role::Counterparty, &["payee", "counterparty", "name"]),
            (Role::Currency, &["currency"]),
            (Role::TransactionCode, &["type", "transactiontype"]),
            (Role::Account, &["account", "accountnumber"]),
        ],
    },
    Profile {
        name: "indicator",
        description: "Generic with an unsigned amount and a credit/debit indicator column (CRDT/DBIT, C/D, Cr/Dr, S/H)",
        delimiter: None,
        decimal: Decimal::Auto,
        dates: DateOrder::Auto,
        currency: None,
        scheme: Scheme::Indicator,
        columns: &[
            (Role::BookingDate, &["bookingdate", "date", "postingdate", "buchungstag"]),
            (Role::ValueDate, &["valuedate", "valuta"]),
            (Role::Amount, &["amount", "amt", "betrag"]),
            (
                Role::Indicator,
                &[
                    "creditdebitindicator", "debitcreditindicator", "cdtdbtind", "drcr", "crdr",
                    "dc", "cd", "indicator", "sollhaben",
                ],
            ),
            (Role::Currency, &["currency", "ccy", "waehrung"]),
            (
                Role::Description,
                &["remittanceinformation", "description", "details", "narrative", "ustrd"],
            ),
            (Role::Counterparty, &["counterpartyname", "counterparty", "name"]),
            (
                Role::CounterpartyAccount,
                &["counterpartyiban", "counterpartyaccount", "iban"],
            ),
            (Role::Reference, &["endtoendid", "endtoendreference", "reference"]),
            (Role::BankReference, &["acctsvcrref", "bankreference"]),
            (Role::Account, &["account", "accountiban", "ownaccount"]),
            (Role::Balance, &["balance"]),
        ],
    },
    Profile {
        name: "generic",
        description: "Generic: Date, Description, signed Amount (and optionally Balance, Currency, Reference, Payee, …)",
        delimiter: None,
        decimal: Decimal::Auto,
        dates: DateOrder::Auto,
        currency: None,
        scheme: Scheme::Signed,
        columns: &[
            (
                Role::BookingDate,
                &["date", "bookingdate", "postingdate", "transactiondate", "posteddate", "txndate"],
            ),
            (Role::ValueDate, &["valuedate"]),
            (
                Role::Description,
                &[
                    "description", "details", "narrative", "memo", "particulars", "narration",
                    "remarks", "text",
                ],
            ),
            (Role::Amount, &["amount", "amt", "value", "transactionamount"]),
            (Role::Balance, &["balance", "runningbalance", "closingbalance"]),
            (Role::Currency, &["currency", "ccy"]),
            (Role::Reference, &["reference", "ref", "referencenumber", "refno"]),
            (Role::BankReference, &["transactionid", "id", "fitid"]),
            (Role::Counterparty, &["payee", "counterparty", "name", "merchant"]),
            (Role::CounterpartyAccount, &["counterpartyaccount", "iban"]),
            (Role::TransactionCode, &["type", "transactiontype"]),
            (Role::Account, &["account", "accountnumber"]),
        ],
    },
];

/// A built-in profile by name.
pub fn profile(name: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.name.eq_ignore_ascii_case(name))
}

/// Parses a whole CSV input, read line by line: only the lines before the
/// header row and the rows read so far are held (a CSV is one statement
/// per account, whose entries are all needed to infer the date order and
/// the decimal separator and to check the running balances).
pub fn parse<R: std::io::Read>(input: R, options: Options) -> Result<Parsed, ParseError> {
    parse_lines(
        Lines::new(Box::new(std::io::BufReader::new(input))),
        options,
    )
}

/// Parses CSV bytes.
pub fn parse_bytes(bytes: &[u8], options: Options) -> Result<Parsed, ParseError> {
    parse_lines(Lines::new(Box::new(bytes)), options)
}

fn parse_lines(mut lines: Lines<'_>, options: Options) -> Result<Parsed, ParseError> {
    let forced = match options.csv_profile.as_deref() {
        Some(name) => Some(profile(name).ok_or_else(|| {
            ParseError::at(
                1,
                1,
                "profile",
                format!("unknown CSV profile {name:?}; known: {}", profile_names()),
            )
        })?),
        None => None,
    };
    let header = find_header(&mut lines, forced);
    lines.check()?;
    let header = header.ok_or_else(|| {
        let message = match forced {
            Some(p) => format!(
                "no header row for the CSV profile {:?} in the first {HEADER_SEARCH} lines ({})",
                p.name, p.description
            ),
            None => format!(
                "no header row recognised in the first {HEADER_SEARCH} lines; known CSV profiles: {}",
                profile_names()
            ),
        };
        ParseError::at(1, 1, "header", message)
    })?;
    Reader {
        header,
        options,
        warnings: Vec::new(),
    }
    .run(&mut lines)
}

fn profile_names() -> String {
    PROFILES
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `head` (the first bytes of a file) looks like a CSV a profile
/// knows (for [`crate::Format::detect`]).
pub(crate) fn sniff(head: &[u8]) -> bool {
    find_header(&mut Lines::new(Box::new(head)), None).is_some()
}

/// The input's lines (split at `\n`, a `\r` before it dropped, as
/// [`std::slice::split`] would: a final line break leaves an empty last
/// line), each decoded on its own with [`decode_line`] when first asked for
/// and dropped by [`Lines::release`]. A UTF-8 BOM is skipped; UTF-16 (with
/// its BOM) is read whole and decoded first.
struct Lines<'a> {
    input: Box<dyn std::io::BufRead + 'a>,
    lines: std::collections::VecDeque<String>,
    /// The index of `lines[0]`.
    base: usize,
    started: bool,
    done: bool,
    /// Whether the last line read ended with a line break (true at first,
    /// so that an empty input is one empty line).
    newline: bool,
    raw: Vec<u8>,
    error: Option<ParseError>,
}

impl<'a> Lines<'a> {
    fn new(input: Box<dyn std::io::BufRead + 'a>) -> Self {
        Lines {
            input,
            lines: std::collections::VecDeque::new(),
            base: 0,
            started: false,
            done: false,
            newline: true,
            raw: Vec::new(),
            error: None,
        }
    }

    fn fail(&mut self, e: std::io::Error) {
        self.done = true;
        self.error = Some(ParseError::at(
            self.base + self.lines.len() + 1,
            1,
            "-",
            format!("read error: {e}"),
        ));
    }

    fn start(&mut self) {
        self.started = true;
        // The first bytes, however few each read gives.
        let mut head = Vec::with_capacity(3);
        while head.len() < 3 {
            let mut b = [0u8; 3];
            match self.input.read(&mut b[..3 - head.len()]) {
                Ok(0) => break,
                Ok(n) => head.extend_from_slice(&b[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return self.fail(e),
            }
        }
        if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
            if let Err(e) = self.input.read_to_end(&mut head) {
                return self.fail(e);
            }
            let text = crate::unbom(&head).into_owned();
            self.input = Box::new(std::io::Cursor::new(text));
            return;
        }
        if head.starts_with(b"\xEF\xBB\xBF") {
            head.clear();
        }
        let rest = std::mem::replace(&mut self.input, Box::new(std::io::empty()));
        self.input = Box::new(std::io::Cursor::new(head).chain(rest));
    }

    fn read_one(&mut self) {
        if !self.started {
            self.start();
            if self.done {
                return;
            }
        }
        self.raw.clear();
        match self.input.read_until(b'\n', &mut self.raw) {
            Ok(0) => {
                self.done = true;
                if self.newline {
                    self.lines.push_back(String::new());
                }
            }
            Ok(_) => {
                self.newline = self.raw.last() == Some(&b'\n');
                let mut l = &self.raw[..];
                if self.newline {
                    l = &l[..l.len() - 1];
                }
                let l = l.strip_suffix(b"\r").unwrap_or(l);
                let mut text = String::new();
                decode_line(l, &mut text);
                self.lines.push_back(text);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => self.fail(e),
        }
    }

    /// Line `i` (0-based), or `None` past the end.
    fn get(&mut self, i: usize) -> Option<&str> {
        while !self.done && self.base + self.lines.len() <= i {
            self.read_one();
        }
        self.lines
            .get(i.checked_sub(self.base)?)
            .map(String::as_str)
    }

    /// Whether line `i` is the last one.
    fn is_last(&mut self, i: usize) -> bool {
        self.get(i).is_some() && self.get(i + 1).is_none()
    }

    /// Drops the lines before `i`: they are not read again.
    fn release(&mut self, i: usize) {
        while self.base < i && self.lines.pop_front().is_some() {
            self.base += 1;
        }
    }

    /// A read error, if one ended the input early.
    fn check(&mut self) -> Result<(), ParseError> {
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

// ---------------------------------------------------------------------------
// Records

#[derive(Debug, Clone)]
struct Cell {
    text: String,
    /// 1-based line and column (characters) where the field starts.
    line: usize,
    column: usize,
}

struct Record {
    /// 0-based index of the record's first line.
    first: usize,
    cells: Vec<Cell>,
}

impl Record {
    fn get(&self, col: Option<usize>) -> &str {
        col.and_then(|c| self.cells.get(c))
            .map_or("", |c| c.text.trim())
    }
    fn is_blank(&self) -> bool {
        self.cells.iter().all(|c| c.text.trim().is_empty())
    }
}

struct Records<'a, 'b> {
    lines: &'a mut Lines<'b>,
    next: usize,
    delimiter: char,
}

impl Records<'_, '_> {
    fn read(&mut self) -> Option<Result<Record, ParseError>> {
        // A final empty line (after the last line break) is no record.
        if self.lines.get(self.next)?.is_empty() && self.lines.is_last(self.next) {
            return None;
        }
        let first = self.next;
        let mut cells = Vec::new();
        let mut cur = String::new();
        let mut cell_at = (first, 1usize);
        let mut in_quotes = false;
        let mut quoted = false;
        let mut quote_at = (first, 1usize);
        let mut line = first;
        loop {
            let mut chars = self.lines.get(line).unwrap_or("").chars().peekable();
            let mut col = 0usize;
            while let Some(c) = chars.next() {
                col += 1;
                if in_quotes {
                    if c == '"' {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                            col += 1;
                            cur.push('"');
                        } else {
                            in_quotes = false;
                        }
                    } else {
                        cur.push(c);
                    }
                } else if c == self.delimiter {
                    cells.push(Cell {
                        text: std::mem::take(&mut cur),
                        line: cell_at.0 + 1,
                        column: cell_at.1,
                    });
                    cell_at = (line, col + 1);
                    quoted = false;
                } else if c == '"' && !quoted && cur.trim().is_empty() {
                    cur.clear();
                    in_quotes = true;
                    quoted = true;
                    quote_at = (line, col);
                } else {
                    cur.push(c);
                }
            }
            if !in_quotes {
                break;
            }
            line += 1;
            if self.lines.get(line).is_none() {
                self.next = line;
                return Some(Err(ParseError::at(
                    quote_at.0 + 1,
                    quote_at.1,
                    "-",
                    "unterminated quoted field: the file ends before its closing '\"'",
                )));
            }
            cur.push('\n');
        }
        cells.push(Cell {
            text: cur,
            line: cell_at.0 + 1,
            column: cell_at.1,
        });
        self.next = line + 1;
        Some(Ok(Record { first, cells }))
    }
}

// ---------------------------------------------------------------------------
// Header

struct Header {
    profile: &'static Profile,
    delimiter: char,
    /// The header record.
    record: Record,
    /// Column per role.
    roles: [Option<usize>; ROLES],
    /// Header texts as written, trimmed.
    names: Vec<String>,
    /// A currency named in a header, `(INR)`, and the cell it is in.
    currency: Option<Currency>,
}

impl Header {
    fn col(&self, role: Role) -> Option<usize> {
        self.roles[role as usize]
    }
    fn name(&self, col: Option<usize>) -> &str {
        col.and_then(|c| self.names.get(c))
            .map_or("-", String::as_str)
    }
}

/// Lower-case letters and digits only, umlauts folded; and a `(XXX)`
/// currency if the text has one.
fn normalize_header(text: &str) -> (String, Option<Currency>) {
    let mut currency = None;
    let mut rest = text.to_owned();
    if let (Some(open), Some(close)) = (text.find('('), text.rfind(')')) {
        if open < close {
            if let Ok(c) = Currency::new(text[open + 1..close].trim()) {
                currency = Some(c);
                rest = format!("{}{}", &text[..open], &text[close + 1..]);
            }
        }
    }
    let mut out = String::with_capacity(rest.len());
    for c in rest.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            c if c.is_ascii_alphanumeric() => out.push(c),
            _ => {}
        }
    }
    (out, currency)
}

fn match_header(profile: &'static Profile, record: &Record) -> Option<(usize, Header)> {
    let mut roles = [None; ROLES];
    let mut mapped = 0;
    let mut currency = None;
    for (i, cell) in record.cells.iter().enumerate() {
        let (norm, ccy) = normalize_header(&cell.text);
        if norm.is_empty() {
            continue;
        }
        for (role, aliases) in profile.columns {
            if roles[*role as usize].is_none() && aliases.contains(&norm.as_str()) {
                roles[*role as usize] = Some(i);
                mapped += 1;
                if ccy.is_some() && currency.is_none() {
                    currency = ccy;
                }
                break;
            }
        }
    }
    let has = |r: Role| roles[r as usize].is_some();
    let amounts = match profile.scheme {
        Scheme::Signed => has(Role::Amount),
        Scheme::DebitCredit => has(Role::Debit) && has(Role::Credit),
        Scheme::Indicator => has(Role::Amount) && has(Role::Indicator),
    };
    if !has(Role::BookingDate) || !amounts {
        return None;
    }
    Some((
        mapped,
        Header {
            profile,
            delimiter: ',',
            record: Record {
                first: record.first,
                cells: record.cells.clone(),
            },
            roles,
            names: record
                .cells
                .iter()
                .map(|c| c.text.trim().to_owned())
                .collect(),
            currency,
        },
    ))
}

fn find_header(lines: &mut Lines<'_>, forced: Option<&'static Profile>) -> Option<Header> {
    let profiles: Vec<&'static Profile> = match forced {
        Some(p) => vec![p],
        None => PROFILES.iter().collect(),
    };
    // (score, profile rank, line) — higher score, then lower rank, then earlier line.
    let mut best: Option<(usize, usize, usize, Header)> = None;
    for delimiter in [',', ';', '\t', '|'] {
        let mut records = Records {
            lines: &mut *lines,
            next: 0,
            delimiter,
        };
        for _ in 0..HEADER_SEARCH {
            let Some(Ok(record)) = records.read() else {
                break;
            };
            if record.cells.len() < 2 {
                continue;
            }
            for (rank, p) in profiles.iter().enumerate() {
                if p.delimiter.is_some_and(|d| d != delimiter) {
                    continue;
                }
                if let Some((score, mut h)) = match_header(p, &record) {
                    let better = match &best {
                        None => true,
                        Some((s, r, l, _)) => {
                            (score, usize::MAX - rank, usize::MAX - record.first)
                                > (*s, usize::MAX - *r, usize::MAX - *l)
                        }
                    };
                    if better {
                        h.delimiter = delimiter;
                        best = Some((score, rank, record.first, h));
                    }
                }
            }
        }
    }
    best.map(|b| b.3)
}

// ---------------------------------------------------------------------------
// Rows

/// A data row, before its amounts are read.
struct Row {
    record: Record,
    /// Continuation lines of the description.
    more: Vec<String>,
}

struct Group {
    account: String,
    currency: Currency,
    entries: Vec<(Entry, Option<Money>, Record)>,
}

struct Reader {
    header: Header,
    options: Options,
    warnings: Vec<ParseError>,
}

impl Reader {
    fn err(
        &self,
        cell: Option<&Cell>,
        record: &Record,
        col: Option<usize>,
        msg: impl Into<String>,
    ) -> ParseError {
        match cell {
            Some(c) => ParseError::at(c.line, c.column, self.header.name(col), msg),
            None => ParseError::at(record.first + 1, 1, self.header.name(col), msg),
        }
    }

    fn cell_err(&self, record: &Record, col: Option<usize>, msg: impl Into<String>) -> ParseError {
        let cell = col.and_then(|c| record.cells.get(c));
        self.err(cell, record, col, msg)
    }

    fn run(mut self, lines: &mut Lines<'_>) -> Result<Parsed, ParseError> {
        let (meta_account, meta_currency) = self.metadata(lines);
        let h = &self.header;
        let date_col = h.col(Role::BookingDate);
        let desc_col = h.col(Role::Description);
        let amount_cols: Vec<usize> = [Role::Amount, Role::Debit, Role::Credit, Role::Balance]
            .iter()
            .filter_map(|r| h.col(*r))
            .collect();
        // Pass 1: data rows.
        lines.release(h.record.first);
        let mut records = Records {
            lines,
            next: h.record.first,
            delimiter: h.delimiter,
        };
        records.read(); // The header itself.
        let mut rows: Vec<Row> = Vec::new();
        // After the data, a blank or non-entry row starts the footer (totals,
        // a summary with numbers in the date column): from there on only rows
        // with a real date are entries.
        let mut footer = false;
        while let Some(r) = records.read() {
            let record = r?;
            records.lines.release(records.next);
            if record.is_blank() {
                footer |= !rows.is_empty();
                continue;
            }
            let date = record.get(date_col);
            if date.is_empty() {
                // A description wrapped onto a row of its own.
                let desc = record.get(desc_col);
                let no_amounts = amount_cols.iter().all(|&c| record.get(Some(c)).is_empty());
                match rows.last_mut() {
                    Some(last) if !footer && !desc.is_empty() && no_amounts => {
                        last.more.push(desc.replace('\n', " "))
                    }
                    _ => footer |= !rows.is_empty(),
                }
                continue;
            }
            let is_date = parse_date(date, DateOrder::DayMonthYear).is_ok()
                || parse_date(date, DateOrder::MonthDayYear).is_ok();
            let date_like = is_date || date.starts_with(|c: char| c.is_ascii_digit());
            if !date_like || (footer && !is_date) {
                footer |= !rows.is_empty();
                continue;
            }
            rows.push(Row {
                record,
                more: Vec::new(),
            });
        }
        // Pass 2: date order and decimal separator.
        let (order, warning) = self.date_order(&rows)?;
        self.warnings.extend(warning);
        let h = &self.header;
        let comma = match h.profile.decimal {
            Decimal::Point => false,
            Decimal::Comma => true,
            Decimal::Auto => {
                let cells = rows
                    .iter()
                    .flat_map(|r| amount_cols.iter().map(move |&c| r.record.get(Some(c))));
                detect_decimal_comma(cells).unwrap_or(h.delimiter == ';')
            }
        };
        // Pass 3: entries, grouped by account.
        let default_currency = h
            .currency
            .or(meta_currency)
            .or(self.options.currency)
            .or(h.profile.currency);
        let default_account = meta_account.or_else(|| self.options.account.clone());
        let mut statements: Vec<Group> = Vec::new();
        for row in rows {
            let rec = &row.record;
            let account = match rec.get(h.col(Role::Account)) {
                "" => default_account.clone().ok_or_else(|| {
                    ParseError::at(
                        h.record.first + 1,
                        1,
                        "account",
                        "the CSV names no account (no account column or Account Number line): give one (Options::account, `--account`)",
                    )
                })?,
                a => a.to_owned(),
            };
            let row_currency = match rec.get(h.col(Role::Currency)) {
                "" => None,
                c => Some(Currency::new(&c.to_ascii_uppercase()).map_err(|_| {
                    self.cell_err(
                        rec,
                        h.col(Role::Currency),
                        format!("invalid currency {c:?}"),
                    )
                })?),
            };
            let group = match statements.iter().position(|s| s.account == account) {
                Some(g) => g,
                None => {
                    let currency = row_currency.or(default_currency).ok_or_else(|| {
                        ParseError::at(
                            h.record.first + 1,
                            1,
                            "currency",
                            "the CSV names no currency (no currency column, no (XXX) in a header, no Currency line) and the profile has none: give one (Options::currency, `--currency`)",
                        )
                    })?;
                    statements.push(Group {
                        account: account.clone(),
                        currency,
                        entries: Vec::new(),
                    });
                    statements.len() - 1
                }
            };
            let currency = statements[group].currency;
            if let Some(c) = row_currency {
                if c != currency {
                    return Err(self.cell_err(
                        rec,
                        h.col(Role::Currency),
                        format!("currency {c} differs from the statement's {currency}"),
                    ));
                }
            }
            let (entry, balance) = self.entry(&row, order, comma, currency)?;
            statements[group].entries.push((entry, balance, row.record));
        }
        let mut out = Vec::new();
        for s in statements {
            out.push(self.finish(s)?);
        }
        Ok(Parsed {
            statements: out,
            warnings: self.warnings,
        })
    }

    /// Account number and currency from the lines before the header.
    fn metadata(&self, lines: &mut Lines<'_>) -> (Option<String>, Option<Currency>) {
        let mut account = None;
        let mut currency = None;
        let mut records = Records {
            lines,
            next: 0,
            delimiter: self.header.delimiter,
        };
        while let Some(Ok(r)) = records.read() {
            if r.first >= self.header.record.first {
                break;
            }
            let cells: Vec<&str> = r
                .cells
                .iter()
                .map(|c| c.text.trim())
                .filter(|t| !t.is_empty())
                .collect();
            let Some(first) = cells.first() else {
                continue;
            };
            let (key, value) = match first.split_once(':') {
                Some((k, v)) if !v.trim().is_empty() => (k, v.trim()),
                Some((k, _)) => (k, cells.get(1).copied().unwrap_or("")),
                None => (*first, cells.get(1).copied().unwrap_or("")),
            };
            let value = value.trim_start_matches(':').trim();
            if value.is_empty() {
                continue;
            }
            let (key, _) = normalize_header(key);
            match key.as_str() {
                "accountnumber" | "accountno" | "acno" | "accountnum" | "account"
                | "kontonummer" | "konto" | "iban" | "accountiban" => {
                    account.get_or_insert_with(|| clean_account(value));
                }
                "currency" | "accountcurrency" | "waehrung" => {
                    if let Some(c) = value
                        .split(|c: char| !c.is_ascii_alphabetic())
                        .find_map(|w| Currency::new(w).ok())
                    {
                        currency.get_or_insert(c);
                    }
                }
                _ => {}
            }
        }
        (account.filter(|a| !a.is_empty()), currency)
    }

    /// The date order, and a warning when it is a guess.
    fn date_order(&self, rows: &[Row]) -> Result<(DateOrder, Option<ParseError>), ParseError> {
        let h = &self.header;
        if h.profile.dates != DateOrder::Auto {
            return Ok((h.profile.dates, None));
        }
        let cols = [h.col(Role::BookingDate), h.col(Role::ValueDate)];
        let mut day_first: Option<&Cell> = None;
        let mut month_first: Option<&Cell> = None;
        for row in rows {
            for col in cols.iter().flatten() {
                let Some(cell) = row.record.cells.get(*col) else {
                    continue;
                };
                let t = date_tokens(cell.text.trim());
                if t.len() == 3
                    && t.iter().all(|x| x.bytes().all(|c| c.is_ascii_digit()))
                    && t[0].len() <= 2
                {
                    let a: u32 = t[0].parse().unwrap_or(0);
                    let b: u32 = t[1].parse().unwrap_or(0);
                    if a > 12 {
                        day_first.get_or_insert(cell);
                    }
                    if b > 12 {
                        month_first.get_or_insert(cell);
                    }
                }
            }
        }
        match (day_first, month_first) {
            (Some(_), Some(m)) => Err(ParseError::at(
                m.line,
                m.column,
                h.name(h.col(Role::BookingDate)),
                format!(
                    "dates are day-first in some rows and month-first in others ({:?}); choose a profile",
                    m.text.trim()
                ),
            )),
            (Some(_), None) => Ok((DateOrder::DayMonthYear, None)),
            (None, Some(_)) => Ok((DateOrder::MonthDayYear, None)),
            (None, None) => {
                let ambiguous = rows.iter().any(|r| {
                    let t = date_tokens(r.record.get(h.col(Role::BookingDate)));
                    t.len() == 3
                        && t[0].len() <= 2
                        && t.iter().all(|x| x.bytes().all(|c| c.is_ascii_digit()))
                });
                let warning = ambiguous.then(|| {
                    ParseError::at(
                        h.record.first + 1,
                        1,
                        h.name(h.col(Role::BookingDate)),
                        "every date could be day-first or month-first; read as day/month/year (choose a profile to be sure)",
                    )
                });
                Ok((DateOrder::DayMonthYear, warning))
            }
        }
    }

    fn date(
        &self,
        rec: &Record,
        col: Option<usize>,
        order: DateOrder,
    ) -> Result<Option<Date>, ParseError> {
        let text = rec.get(col);
        if text.is_empty() {
            return Ok(None);
        }
        parse_date(text, order)
            .map(Some)
            .map_err(|m| self.cell_err(rec, col, m))
    }

    fn money(
        &self,
        rec: &Record,
        col: Option<usize>,
        comma: bool,
        currency: Currency,
    ) -> Result<Option<Money>, ParseError> {
        parse_money(rec.get(col), comma, currency).map_err(|m| self.cell_err(rec, col, m))
    }

    fn entry(
        &self,
        row: &Row,
        order: DateOrder,
        comma: bool,
        currency: Currency,
    ) -> Result<(Entry, Option<Money>), ParseError> {
        let h = &self.header;
        let rec = &row.record;
        let booking_col = h.col(Role::BookingDate);
        let booking_date = self
            .date(rec, booking_col, order)?
            .ok_or_else(|| self.cell_err(rec, booking_col, "empty date"))?;
        let value_date = self
            .date(rec, h.col(Role::ValueDate), order)?
            .unwrap_or(booking_date);
        let amount = match h.profile.scheme {
            Scheme::Signed => {
                let col = h.col(Role::Amount);
                self.money(rec, col, comma, currency)?
                    .ok_or_else(|| self.cell_err(rec, col, "empty amount"))?
            }
            Scheme::DebitCredit => {
                let (dcol, ccol) = (h.col(Role::Debit), h.col(Role::Credit));
                let debit = self
                    .money(rec, dcol, comma, currency)?
                    .filter(|m| !m.is_zero());
                let credit = self
                    .money(rec, ccol, comma, currency)?
                    .filter(|m| !m.is_zero());
                match (debit, credit) {
                    (Some(_), Some(_)) => {
                        return Err(self.cell_err(
                            rec,
                            ccol,
                            "both a debit and a credit amount in one row",
                        ))
                    }
                    // A money-out column sometimes shows its amounts negative.
                    (Some(d), None) => Money::from_minor(-d.minor().abs(), currency),
                    (None, Some(c)) if c.is_negative() => {
                        return Err(self.cell_err(
                            rec,
                            ccol,
                            "negative amount in the credit column",
                        ))
                    }
                    (None, Some(c)) => c,
                    (None, None) => {
                        let zero = |col| !rec.get(col).is_empty();
                        if zero(dcol) || zero(ccol) {
                            Money::zero(currency)
                        } else {
                            return Err(self.cell_err(
                                rec,
                                dcol,
                                "neither a debit nor a credit amount",
                            ));
                        }
                    }
                }
            }
            Scheme::Indicator => {
                let col = h.col(Role::Amount);
                let icol = h.col(Role::Indicator);
                let m = self
                    .money(rec, col, comma, currency)?
                    .ok_or_else(|| self.cell_err(rec, col, "empty amount"))?;
                let ind = rec.get(icol);
                let debit = match ind.trim_end_matches('.').to_ascii_uppercase().as_str() {
                    "DBIT" | "D" | "DR" | "DEBIT" | "S" | "SOLL" => true,
                    "CRDT" | "C" | "CR" | "CREDIT" | "H" | "HABEN" => false,
                    _ => {
                        return Err(self.cell_err(
                            rec,
                            icol,
                            format!("expected DBIT or CRDT (or D/C, Dr/Cr, S/H), found {ind:?}"),
                        ))
                    }
                };
                if m.is_negative() && !debit {
                    return Err(self.cell_err(rec, col, "negative amount with a credit indicator"));
                }
                Money::from_minor(if debit { -m.minor().abs() } else { m.minor() }, currency)
            }
        };
        let balance = self.money(rec, h.col(Role::Balance), comma, currency)?;
        let mut description = rec.get(h.col(Role::Description)).replace('\n', " ");
        for more in &row.more {
            if !description.is_empty() {
                description.push(' ');
            }
            description.push_str(more);
        }
        let text = |role: Role| {
            let t = rec.get(h.col(role));
            (!t.is_empty() && t != "-").then(|| t.replace('\n', " "))
        };
        let reference = text(Role::Reference).filter(|r| r != "NOTPROVIDED");
        let mapped: Vec<usize> = h.roles.iter().flatten().copied().collect();
        let details = rec
            .cells
            .iter()
            .enumerate()
            .filter(|(i, c)| !mapped.contains(i) && !c.text.trim().is_empty())
            .filter_map(|(i, c)| {
                let name = h.names.get(i).filter(|n| !n.is_empty())?;
                Some((name.clone(), c.text.trim().to_owned()))
            })
            .collect();
        Ok((
            Entry {
                booking_date,
                value_date,
                amount,
                reversal: false,
                reference,
                bank_reference: text(Role::BankReference),
                transaction_code: text(Role::TransactionCode),
                description,
                counterparty: text(Role::Counterparty),
                counterparty_account: text(Role::CounterpartyAccount),
                supplementary: None,
                details,
            },
            balance,
        ))
    }

    fn finish(&mut self, s: Group) -> Result<Statement, ParseError> {
        let mut rows = s.entries;
        let currency = s.currency;
        let add = |a: Money, b: Money| -> Option<Money> {
            a.minor()
                .checked_add(b.minor())
                .map(|m| Money::from_minor(m, currency))
        };
        // The first row whose balance does not follow from the one before
        // (and what it should be; `None` on overflow).
        let check = |rows: &[(Entry, Option<Money>, Record)]| -> Option<(usize, Option<Money>)> {
            let mut running: Option<Money> = None;
            for (i, (e, bal, _)) in rows.iter().enumerate() {
                let expected = match running {
                    Some(r) => match add(r, e.amount) {
                        Some(x) => Some(x),
                        None => return Some((i, None)),
                    },
                    None => None,
                };
                match (bal, expected) {
                    (Some(b), Some(x)) if *b != x => return Some((i, Some(x))),
                    (Some(b), _) => running = Some(*b),
                    (None, x) => running = x,
                }
            }
            None
        };
        let has_balances = rows.iter().any(|r| r.1.is_some());
        let ascending = match (rows.first(), rows.last()) {
            (Some(f), Some(l)) => f.0.booking_date <= l.0.booking_date,
            _ => true,
        };
        // Oldest first: the order in which the balances add up, else the
        // dates' order.
        let mut failure = None;
        if has_balances {
            let forward = check(&rows);
            rows.reverse();
            let backward = check(&rows);
            rows.reverse();
            let reverse = match (forward, backward) {
                (None, None) => !ascending,
                (None, Some(_)) => false,
                (Some(_), None) => true,
                (Some(f), Some(b)) => {
                    // Indexes count in the order each check read.
                    failure = Some(if ascending { f } else { b });
                    !ascending
                }
            };
            if reverse {
                rows.reverse();
            }
        } else if !ascending {
            rows.reverse();
        }
        if let Some((i, expected)) = failure {
            let (e, bal, rec) = &rows[i];
            let col = self.header.col(Role::Balance);
            let msg = match (expected, bal) {
                (Some(x), Some(b)) => format!(
                    "running balance does not add up: the previous balance plus {} gives {}, but the row says {}",
                    e.amount.to_decimal_string(),
                    x.to_decimal_string(),
                    b.to_decimal_string()
                ),
                _ => "running balance overflows".to_owned(),
            };
            let err = self.cell_err(rec, col, msg);
            if self.options.warn_on_unbalanced {
                self.warnings.push(err);
            } else {
                return Err(err);
            }
        }
        // Opening: the first known balance minus the entries up to it;
        // closing: the last known balance plus the entries after it.
        let mut opening = None;
        let mut closing = None;
        if let Some(k) = rows.iter().position(|r| r.1.is_some()) {
            let mut m = rows[k].1.map(|b| b.minor()).unwrap_or(0);
            for r in &rows[..=k] {
                m = m.checked_sub(r.0.amount.minor()).ok_or_else(|| {
                    self.cell_err(&r.2, self.header.col(Role::Balance), "balance overflows")
                })?;
            }
            opening = Some(Balance {
                amount: Money::from_minor(m, currency),
                date: rows[0].0.booking_date,
            });
        }
        if let Some(k) = rows.iter().rposition(|r| r.1.is_some()) {
            let mut m = rows[k].1.map(|b| b.minor()).unwrap_or(0);
            for r in &rows[k + 1..] {
                m = m.checked_add(r.0.amount.minor()).ok_or_else(|| {
                    self.cell_err(&r.2, self.header.col(Role::Balance), "balance overflows")
                })?;
            }
            closing = Some(Balance {
                amount: Money::from_minor(m, currency),
                date: rows[rows.len() - 1].0.booking_date,
            });
        }
        let transactions: Vec<Entry> = rows.into_iter().map(|r| r.0).collect();
        if let (Some(o), Some(c)) = (opening, closing) {
            if failure.is_none() {
                if let Some(msg) = crate::unbalanced(o.amount, &transactions, c.amount, "") {
                    let err = ParseError::at(
                        self.header.record.first + 1,
                        1,
                        self.header.name(self.header.col(Role::Balance)),
                        msg,
                    );
                    if self.options.warn_on_unbalanced {
                        self.warnings.push(err);
                    } else {
                        return Err(err);
                    }
                }
            }
        }
        Ok(Statement {
            account: s.account,
            currency,
            reference: None,
            sequence: None,
            opening_balance: opening,
            closing_balance: closing,
            available_balance: None,
            forward_balances: Vec::new(),
            information: None,
            transactions,
        })
    }
}

/// `DE12 3456 …` → `DE123456…`; `50100012345678 (Savings)` → `50100012345678`.
fn clean_account(value: &str) -> String {
    let mut v = value.trim();
    for cut in [" (", " /", " - ", "  "] {
        if let Some(p) = v.find(cut) {
            v = v[..p].trim();
        }
    }
    let b = v.as_bytes();
    let iban = b.len() >= 4
        && b[..2].iter().all(u8::is_ascii_uppercase)
        && b[2..4].iter().all(u8::is_ascii_digit)
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b' ');
    if iban {
        v.replace(' ', "")
    } else {
        v.to_owned()
    }
}

// ---------------------------------------------------------------------------
// Amounts

/// Votes on the decimal separator from amount cells: `Some(true)` for a comma.
fn detect_decimal_comma<'a>(cells: impl Iterator<Item = &'a str>) -> Option<bool> {
    let (mut comma, mut point) = (0usize, 0usize);
    for cell in cells {
        let core: Vec<char> = cell
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == ',' || *c == '.')
            .collect();
        let last = core.iter().rposition(|c| *c == ',' || *c == '.');
        let Some(p) = last else { continue };
        let sep = core[p];
        let other = if sep == ',' { '.' } else { ',' };
        let after = core.len() - p - 1;
        let vote_comma = if core[..p].contains(&other) {
            // `1.234,56`: the last separator is the decimal one.
            Some(sep == ',')
        } else if core[..p].contains(&sep) {
            // `2,50,000` or `1.234.567`: a repeated separator groups.
            Some(sep == '.')
        } else if after == 1 || after == 2 {
            Some(sep == ',')
        } else {
            None
        };
        match vote_comma {
            Some(true) => comma += 1,
            Some(false) => point += 1,
            None => {}
        }
    }
    match comma.cmp(&point) {
        std::cmp::Ordering::Greater => Some(true),
        std::cmp::Ordering::Less => Some(false),
        std::cmp::Ordering::Equal => None,
    }
}

const SYMBOLS: [&str; 8] = ["₹", "$", "€", "£", "Rs.", "Rs", "US$", "¥"];

/// An amount cell: `None` when empty (or `-`). Signed.
pub fn parse_money(
    cell: &str,
    decimal_comma: bool,
    currency: Currency,
) -> Result<Option<Money>, String> {
    let blank = |c: char| c.is_whitespace() || c == '\u{a0}' || c == '\u{202f}';
    let mut s = cell.trim_matches(blank);
    if s.is_empty() || s == "-" || s == "--" {
        return Ok(None);
    }
    let bad = |why: &str| format!("invalid amount {cell:?}: {why}");
    let mut negative = false;
    let mut signs = 0;
    // `12.50 Dr` / `12.50 Cr`.
    let lower = s.to_ascii_lowercase();
    for (suffix, neg) in [("dr.", true), ("cr.", false), ("dr", true), ("cr", false)] {
        if lower.ends_with(suffix) && s.is_char_boundary(s.len() - suffix.len()) {
            s = s[..s.len() - suffix.len()].trim_end_matches(blank);
            negative = neg;
            signs += 1;
            break;
        }
    }
    if let Some(inner) = s.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        s = inner.trim_matches(blank);
        negative = true;
        signs += 1;
    }
    // Signs, symbols and the currency code, before or after the number.
    loop {
        let before = s;
        if let Some(r) = s.strip_prefix('-') {
            negative = true;
            signs += 1;
            s = r;
        } else if let Some(r) = s.strip_prefix('+') {
            signs += 1;
            s = r;
        } else if let Some(r) = s.strip_suffix('-') {
            negative = true;
            signs += 1;
            s = r;
        } else if let Some(r) = s.strip_suffix('+') {
            signs += 1;
            s = r;
        }
        for sym in SYMBOLS {
            if let Some(r) = s.strip_prefix(sym) {
                s = r;
            } else if let Some(r) = s.strip_suffix(sym) {
                s = r;
            }
        }
        let b = s.as_bytes();
        if b.len() > 3 && b[..3].iter().all(u8::is_ascii_uppercase) && !b[3].is_ascii_alphabetic() {
            if &s[..3] != currency.code() {
                return Err(bad(&format!(
                    "in {} but the statement is in {currency}",
                    &s[..3]
                )));
            }
            s = &s[3..];
        } else if b.len() > 3
            && b[b.len() - 3..].iter().all(u8::is_ascii_uppercase)
            && !b[b.len() - 4].is_ascii_alphabetic()
        {
            let code = &s[s.len() - 3..];
            if code != currency.code() {
                return Err(bad(&format!(
                    "in {code} but the statement is in {currency}"
                )));
            }
            s = &s[..s.len() - 3];
        }
        s = s.trim_matches(blank);
        if s == before {
            break;
        }
    }
    if signs > 1 {
        return Err(bad("more than one sign"));
    }
    let (dec, groups): (char, &[char]) = if decimal_comma {
        (',', &['.', '\'', ' ', '\u{a0}', '\u{202f}'])
    } else {
        ('.', &[',', '\'', ' ', '\u{a0}', '\u{202f}'])
    };
    let (int, frac) = match s.split_once(dec) {
        Some((i, f)) => (i, Some(f)),
        None => (s, None),
    };
    let mut digits = String::with_capacity(s.len() + 1);
    let parts: Vec<&str> = int.split(|c| groups.contains(&c)).collect();
    for (n, part) in parts.iter().enumerate() {
        if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad(if decimal_comma {
                "expected digits, '.' grouping and a decimal comma"
            } else {
                "expected digits, ',' grouping and a decimal point"
            }));
        }
        let grouped = parts.len() > 1;
        let ok = match (grouped, n) {
            (false, _) => true,
            (true, 0) => part.len() <= 3,
            (true, n) if n + 1 == parts.len() => part.len() == 3,
            (true, _) => part.len() == 2 || part.len() == 3,
        };
        if !ok {
            return Err(bad(&format!(
                "misplaced grouping separator (is the decimal separator {}?)",
                if decimal_comma { "a point" } else { "a comma" }
            )));
        }
        digits.push_str(part);
    }
    if let Some(f) = frac {
        if f.is_empty() || !f.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad("expected digits after the decimal separator"));
        }
        digits.push('.');
        digits.push_str(f);
    }
    let m = crate::parse_amount(digits.as_bytes(), currency).map_err(|e| bad(&e))?;
    Ok(Some(if negative {
        Money::from_minor(-m.minor(), currency)
    } else {
        m
    }))
}

// ---------------------------------------------------------------------------
// Dates

/// The date's parts: up to three, before any time.
fn date_tokens(s: &str) -> Vec<&str> {
    let s = s.trim();
    // ISO date-time: cut at the `T`.
    let s = match s.as_bytes().get(10) {
        Some(b'T') if s.as_bytes()[4] == b'-' => &s[..10],
        _ => s,
    };
    let mut out = Vec::with_capacity(3);
    for t in s.split(|c: char| matches!(c, '/' | '-' | '.' | ',') || c.is_whitespace()) {
        if t.is_empty() {
            continue;
        }
        if t.contains(':') || out.len() == 3 {
            break;
        }
        out.push(t);
    }
    out
}

fn month_name(t: &str) -> Option<i8> {
    if t.len() < 3 || !t.chars().all(char::is_alphabetic) {
        return None;
    }
    let l = t.to_lowercase();
    let m = match l.chars().take(3).collect::<String>().as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" | "mär" | "mae" => 3,
        "apr" => 4,
        "may" | "mai" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" | "okt" => 10,
        "nov" => 11,
        "dec" | "dez" => 12,
        _ => return None,
    };
    Some(m)
}

/// Parses a CSV date (see the module docs).
pub fn parse_date(s: &str, order: DateOrder) -> Result<Date, String> {
    let bad = |why: &str| format!("invalid date {s:?}: {why}");
    let t = date_tokens(s);
    let num = |x: &str| -> Option<i32> {
        (!x.is_empty() && x.len() <= 4 && x.bytes().all(|c| c.is_ascii_digit()))
            .then(|| x.parse().ok())
            .flatten()
    };
    let year = |x: &str| -> Result<i16, String> {
        let y = num(x).ok_or_else(|| bad("expected a year"))?;
        match x.len() {
            4 => Ok(y as i16),
            2 => Ok(if y < 80 {
                2000 + y as i16
            } else {
                1900 + y as i16
            }),
            _ => Err(bad("expected a two- or four-digit year")),
        }
    };
    let small = |x: &str, what: &str| -> Result<i8, String> {
        match num(x) {
            Some(n) if x.len() <= 2 => Ok(n as i8),
            _ => Err(bad(&format!("expected the {what}"))),
        }
    };
    let (y, m, d) = match t.as_slice() {
        [one] if one.len() == 8 && one.bytes().all(|c| c.is_ascii_digit()) => {
            let n = |r: std::ops::Range<usize>| one[r].parse::<i32>().unwrap_or(0);
            (n(0..4) as i16, n(4..6) as i8, n(6..8) as i8)
        }
        [a, b, c] => {
            if let Some(m) = month_name(b) {
                (year(c)?, m, small(a, "day")?)
            } else if let Some(m) = month_name(a) {
                (year(c)?, m, small(b, "day")?)
            } else if a.len() == 4 {
                (year(a)?, small(b, "month")?, small(c, "day")?)
            } else {
                match order {
                    DateOrder::MonthDayYear => (year(c)?, small(a, "month")?, small(b, "day")?),
                    _ => (year(c)?, small(b, "month")?, small(a, "day")?),
                }
            }
        }
        _ => {
            return Err(bad(match order {
                DateOrder::MonthDayYear => "expected mm/dd/yyyy",
                _ => "expected dd/mm/yyyy",
            }))
        }
    };
    Date::new(y, m, d).map_err(|_| bad("no such day"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_normalised() {
        for p in PROFILES {
            for (_, aliases) in p.columns {
                for a in *aliases {
                    assert_eq!(normalize_header(a).0, *a, "{}: {a}", p.name);
                }
            }
        }
    }

    #[test]
    fn money_cells() {
        let inr = Currency::INR;
        let eur = Currency::EUR;
        let m = |s, comma, c| parse_money(s, comma, c).map(|m| m.map(|m| m.minor()));
        assert_eq!(m("2,50,000.00", false, inr), Ok(Some(25_000_000)));
        assert_eq!(m("250,000.00", false, inr), Ok(Some(25_000_000)));
        assert_eq!(m("1.234,56", true, eur), Ok(Some(123_456)));
        assert_eq!(m("-1.234,56", true, eur), Ok(Some(-123_456)));
        assert_eq!(m("1.234,56-", true, eur), Ok(Some(-123_456)));
        assert_eq!(m("(12.50)", false, inr), Ok(Some(-1_250)));
        assert_eq!(m("1,000.00 Dr", false, inr), Ok(Some(-100_000)));
        assert_eq!(m("1,000.00 Cr", false, inr), Ok(Some(100_000)));
        assert_eq!(m("₹ 1,000.00", false, inr), Ok(Some(100_000)));
        assert_eq!(m("-$12.00", false, Currency::USD), Ok(Some(-1_200)));
        assert_eq!(m("12,34 EUR", true, eur), Ok(Some(1_234)));
        assert_eq!(m("", false, inr), Ok(None));
        assert_eq!(m(" - ", false, inr), Ok(None));
        assert!(m("12.50", true, eur).is_err(), "12.50 with a decimal comma");
        assert!(m("1,5", false, inr).is_err());
        assert!(m("12,34 USD", true, eur).is_err());
        assert!(m("1.234", false, eur).is_err(), "three decimals in EUR");
        assert!(m("--5", false, eur).is_err());
        assert!(m("abc", false, eur).is_err());
    }

    #[test]
    fn decimal_votes() {
        assert_eq!(
            detect_decimal_comma(["12,50", "1.234,00"].into_iter()),
            Some(true)
        );
        assert_eq!(
            detect_decimal_comma(["12.50", "2,50,000.00"].into_iter()),
            Some(false)
        );
        assert_eq!(detect_decimal_comma(["2,50,000"].into_iter()), Some(false));
        assert_eq!(detect_decimal_comma(["1,234", "12"].into_iter()), None);
    }

    #[test]
    fn dates() {
        use jiff::civil::date;
        let dmy = DateOrder::DayMonthYear;
        let mdy = DateOrder::MonthDayYear;
        assert_eq!(parse_date("05/01/2024", dmy), Ok(date(2024, 1, 5)));
        assert_eq!(parse_date("05/01/2024", mdy), Ok(date(2024, 5, 1)));
        assert_eq!(parse_date("05.01.24", dmy), Ok(date(2024, 1, 5)));
        assert_eq!(parse_date("2024-01-05", mdy), Ok(date(2024, 1, 5)));
        assert_eq!(
            parse_date("2024-01-05T10:11:12Z", dmy),
            Ok(date(2024, 1, 5))
        );
        assert_eq!(parse_date("1 Apr 2024", dmy), Ok(date(2024, 4, 1)));
        assert_eq!(parse_date("01-APR-24", dmy), Ok(date(2024, 4, 1)));
        assert_eq!(parse_date("Apr 1, 2024", dmy), Ok(date(2024, 4, 1)));
        assert_eq!(parse_date("3. Mär 2024", dmy), Ok(date(2024, 3, 3)));
        assert_eq!(parse_date("05/01/2024 10:20:30", dmy), Ok(date(2024, 1, 5)));
        assert_eq!(parse_date("20240105", dmy), Ok(date(2024, 1, 5)));
        assert!(parse_date("31/02/2024", dmy).is_err());
        assert!(parse_date("13/13/2024", dmy).is_err());
        assert!(parse_date("hello", dmy).is_err());
        assert!(parse_date("1/2/202", dmy).is_err());
    }

    #[test]
    fn accounts_from_metadata_are_cleaned() {
        assert_eq!(
            clean_account("DE12 1203 0000 1234 5678 90 / Girokonto"),
            "DE12120300001234567890"
        );
        assert_eq!(clean_account("50100012345678 (Savings)"), "50100012345678");
    }
}
