//! ISO 20022 camt.053 (statement), camt.052 (report) and camt.054
//! (notification), versions 02–13, streamed with a small pull tokenizer of
//! its own (tokens are byte ranges in one buffer; no event is built).
//!
//! Elements are matched on their local names; the namespace (and with it the
//! version) is ignored. Per entry (`Ntry`): without or with one `TxDtls` it
//! gives one [`Entry`] with the entry's own amount (the booked amount in the
//! account currency, charges included); with several `TxDtls` (a batch) one
//! [`Entry`] per `TxDtls`, each with its amount in the account currency
//! (`TxDtls/Amt`, or `AmtDtls/TxAmt/Amt` — never `InstdAmt` in another
//! currency) and a bank reference made unique by suffixing `/n`.
//! `CdtDbtInd` is the booked direction, also for reversals (`RvslInd`), as
//! ISO 20022 defines it.

use std::io::BufRead;

use crate::xml::{attribute, local_name, Scanner, Tok};
use crate::{decode_line, parse_amount, Balance, Entry, Options, ParseError, Position, Statement};
use anumati_domain::{Currency, Money};
use jiff::civil::Date;

/// Parses a whole camt input.
pub fn parse<R: BufRead>(input: R, options: Options) -> Result<crate::Parsed, ParseError> {
    let mut reader = CamtReader::new(input, options);
    let mut statements = Vec::new();
    for s in reader.by_ref() {
        statements.push(s?);
    }
    Ok(crate::Parsed {
        statements,
        warnings: reader.warnings,
    })
}

/// Parses bytes (convenience for [`parse`]).
pub fn parse_bytes(bytes: &[u8], options: Options) -> Result<crate::Parsed, ParseError> {
    parse(bytes, options)
}

#[derive(Default)]
struct Tx {
    amount: Option<Money>,
    tx_amount: Option<Money>,
    debit: Option<bool>,
    end_to_end: Option<String>,
    acct_svcr_ref: Option<String>,
    tx_id: Option<String>,
    ustrd: String,
    strd_ref: Option<String>,
    creditor: Option<String>,
    debtor: Option<String>,
    creditor_account: Option<String>,
    debtor_account: Option<String>,
    additional: Option<String>,
}

#[derive(Default)]
struct Ntry {
    amount: Option<Money>,
    debit: Option<bool>,
    reversal: bool,
    booking: Option<Date>,
    value: Option<Date>,
    entry_ref: Option<String>,
    acct_svcr_ref: Option<String>,
    /// Which of `BkTxCd/Domn/Cd`, `…/Fmly/Cd`, `…/Fmly/SubFmlyCd` were
    /// given (their text is in [`CamtReader::bank_code`]).
    bank_code: [bool; 3],
    proprietary: Option<String>,
    additional: Option<String>,
    charges: Vec<Money>,
    txs: Vec<Tx>,
}

#[derive(Default)]
struct Bal {
    code: Option<String>,
    amount: Option<Money>,
    debit: bool,
    date: Option<Date>,
}

#[derive(Default)]
struct Stmt {
    id: Option<String>,
    sequence: Option<String>,
    iban: Option<String>,
    other_id: Option<String>,
    currency: Option<Currency>,
    opening: Option<Balance>,
    closing: Option<Balance>,
    available: Option<Balance>,
    forward: Vec<Balance>,
    information: Option<String>,
    transactions: Vec<Entry>,
}

/// Streams statements (camt.053 `Stmt`, camt.052 `Rpt`, camt.054 `Ntfctn`).
pub struct CamtReader<R> {
    xml: Scanner<R>,
    options: Options,
    /// Local names of the open elements, `/`-joined (`/Document/BkToCstmrStmt/…`).
    path: Vec<u8>,
    /// Offset in `path` where each open element's `/name` starts.
    offsets: Vec<usize>,
    stmt_at: Option<usize>,
    ntry_at: Option<usize>,
    tx_at: Option<usize>,
    bal_at: Option<usize>,
    stmt_index: usize,
    ntry_index: usize,
    tx_index: usize,
    bal_index: usize,
    /// `Ccy` attribute of the innermost element that had one.
    ccy: Option<Currency>,
    text: String,
    raw: Vec<u8>,
    stmt: Stmt,
    ntry: Ntry,
    tx: Tx,
    bal: Bal,
    /// Domain, family and sub-family codes of the current entry (buffers
    /// reused from entry to entry).
    bank_code: [String; 3],
    /// An emptied `Ntry::txs`, kept for its allocation.
    spare_txs: Vec<Tx>,
    /// A statement `close` finished.
    finished: Option<Statement>,
    done: bool,
    pub warnings: Vec<ParseError>,
}

impl<R: BufRead> CamtReader<R> {
    pub fn new(input: R, options: Options) -> Self {
        CamtReader {
            xml: Scanner::new(input),
            options,
            path: Vec::with_capacity(256),
            offsets: Vec::with_capacity(16),
            stmt_at: None,
            ntry_at: None,
            tx_at: None,
            bal_at: None,
            stmt_index: 0,
            ntry_index: 0,
            tx_index: 0,
            bal_index: 0,
            ccy: None,
            text: String::new(),
            raw: Vec::new(),
            stmt: Stmt::default(),
            ntry: Ntry::default(),
            tx: Tx::default(),
            bal: Bal::default(),
            bank_code: Default::default(),
            spare_txs: Vec::new(),
            finished: None,
            done: false,
            warnings: Vec::new(),
        }
    }

    /// The current element path with indexes on repeated containers.
    fn xml_path(&self) -> String {
        let mut out = String::new();
        for (n, &start) in self.offsets.iter().enumerate() {
            let end = self.offsets.get(n + 1).copied().unwrap_or(self.path.len());
            let name = String::from_utf8_lossy(&self.path[start..end]);
            out.push_str(&name);
            let index = if Some(start) == self.stmt_at {
                Some(self.stmt_index)
            } else if Some(start) == self.ntry_at {
                Some(self.ntry_index)
            } else if Some(start) == self.tx_at {
                Some(self.tx_index)
            } else if Some(start) == self.bal_at {
                Some(self.bal_index)
            } else {
                None
            };
            if let Some(i) = index {
                out.push_str(&format!("[{i}]"));
            }
        }
        if out.is_empty() {
            out.push('/');
        }
        out
    }

    fn err(&self, message: impl Into<String>) -> ParseError {
        let field = self
            .offsets
            .last()
            .map(|&s| String::from_utf8_lossy(&self.path[s + 1..]).into_owned())
            .unwrap_or_default();
        ParseError {
            position: Position::XmlPath(self.xml_path()),
            field,
            message: message.into(),
        }
    }

    fn rel(&self, at: Option<usize>) -> &[u8] {
        match at {
            Some(a) => self.path.get(a..).unwrap_or(b""),
            None => b"",
        }
    }

    fn next_statement(&mut self) -> Result<Option<Statement>, ParseError> {
        loop {
            let tok = match self.xml.next() {
                Ok(t) => t,
                Err(e) => return Err(self.err(format!("malformed XML: {e}"))),
            };
            match tok {
                Tok::Start { empty: true, .. } => {}
                Tok::Start { name, attrs, .. } => {
                    let name = local_name(self.xml.bytes(name));
                    let start = self.path.len();
                    self.offsets.push(start);
                    self.path.push(b'/');
                    self.path.extend_from_slice(name);
                    self.ccy = None;
                    if name == b"Amt" {
                        match attribute(self.xml.bytes(attrs), b"Ccy") {
                            Ok(None) => {}
                            Ok(Some(v)) => {
                                let v = std::str::from_utf8(v).unwrap_or("");
                                match Currency::new(v) {
                                    Ok(c) => self.ccy = Some(c),
                                    Err(_) => {
                                        let m =
                                            format!("invalid currency {v:?} in the Ccy attribute");
                                        return Err(self.err(m));
                                    }
                                }
                            }
                            Err(e) => return Err(self.err(format!("malformed XML: {e}"))),
                        }
                    }
                    self.text.clear();
                    self.open(start);
                }
                Tok::Text(r) => match std::str::from_utf8(self.xml.bytes(r.clone())) {
                    Ok(s) if !s.contains('&') => self.text.push_str(s),
                    _ => {
                        self.raw.clear();
                        self.raw.extend_from_slice(self.xml.bytes(r));
                        self.push_text()?;
                    }
                },
                Tok::CData(r) => {
                    decode_line(self.xml.bytes(r), &mut self.text);
                }
                Tok::End { name } => {
                    let name = local_name(self.xml.bytes(name));
                    let open = self.offsets.last().map(|&s| &self.path[s + 1..]);
                    if open != Some(name) {
                        let m = match open {
                            Some(o) => format!(
                                "malformed XML: expected </{}>, found </{}>",
                                String::from_utf8_lossy(o),
                                String::from_utf8_lossy(name)
                            ),
                            None => format!(
                                "malformed XML: </{}> closes nothing",
                                String::from_utf8_lossy(name)
                            ),
                        };
                        return Err(self.err(m));
                    }
                    self.close()?;
                    if let Some(start) = self.offsets.pop() {
                        self.path.truncate(start);
                    }
                    self.text.clear();
                    if let Some(s) = self.finished.take() {
                        return Ok(Some(s));
                    }
                }
                Tok::Eof => {
                    if !self.offsets.is_empty() {
                        return Err(self.err("unexpected end of file: element not closed"));
                    }
                    return Ok(None);
                }
            }
        }
    }

    fn push_text(&mut self) -> Result<(), ParseError> {
        let mut decoded = String::new();
        decode_line(&self.raw, &mut decoded);
        match quick_xml::escape::unescape(&decoded) {
            Ok(s) => self.text.push_str(&s),
            Err(e) => return Err(self.err(format!("bad character reference: {e}"))),
        }
        Ok(())
    }

    fn open(&mut self, start: usize) {
        let name = &self.path[start + 1..];
        let depth = self.offsets.len();
        match name {
            b"Stmt" | b"Rpt" | b"Ntfctn" if self.stmt_at.is_none() && depth >= 3 => {
                self.stmt_at = Some(start);
                self.stmt_index += 1;
                self.ntry_index = 0;
                self.bal_index = 0;
                self.stmt = Stmt::default();
            }
            b"Ntry" if self.stmt_at.is_some() && self.ntry_at.is_none() => {
                self.ntry_at = Some(start);
                self.ntry_index += 1;
                self.tx_index = 0;
                self.ntry = Ntry {
                    txs: std::mem::take(&mut self.spare_txs),
                    ..Ntry::default()
                };
            }
            b"TxDtls" if self.ntry_at.is_some() && self.tx_at.is_none() => {
                self.tx_at = Some(start);
                self.tx_index += 1;
                self.tx = Tx::default();
            }
            b"Bal" if self.stmt_at.is_some() && self.ntry_at.is_none() => {
                self.bal_at = Some(start);
                self.bal_index += 1;
                self.bal = Bal::default();
            }
            _ => {}
        }
    }

    fn amount(&self) -> Result<Money, ParseError> {
        let ccy = self
            .ccy
            .ok_or_else(|| self.err("amount without a Ccy attribute"))?;
        parse_amount(self.text.trim().as_bytes(), ccy).map_err(|m| self.err(m))
    }

    fn date(&self) -> Result<Date, ParseError> {
        let t = self.text.trim();
        t.get(..10)
            .and_then(|d| d.parse::<Date>().ok())
            .ok_or_else(|| self.err(format!("invalid date {t:?}")))
    }

    fn indicator(&self) -> Result<bool, ParseError> {
        match self.text.trim() {
            "DBIT" => Ok(true),
            "CRDT" => Ok(false),
            t => Err(self.err(format!("expected CRDT or DBIT, found {t:?}"))),
        }
    }

    fn owned(&self) -> Option<String> {
        let t = self.text.trim();
        (!t.is_empty()).then(|| t.to_owned())
    }

    /// Handles the end of the innermost element; returns a finished statement.
    /// A finished statement goes to `self.finished` (returning it here
    /// would copy a large `Result` on every end tag).
    fn close(&mut self) -> Result<(), ParseError> {
        let top = self.offsets.last().copied();
        let container =
            top == self.tx_at || top == self.ntry_at || top == self.bal_at || top == self.stmt_at;
        if !container && self.text.is_empty() {
            // An element without text (a container such as `RltdPties`) carries nothing.
            return Ok(());
        }
        if self.tx_at.is_some() {
            if top == self.tx_at {
                self.tx_at = None;
                let tx = std::mem::take(&mut self.tx);
                self.ntry.txs.push(tx);
                return Ok(());
            }
            let rel = self.rel(self.tx_at);
            let rel = &rel[rel
                .iter()
                .skip(1)
                .position(|&c| c == b'/')
                .map_or(rel.len(), |p| p + 1)..];
            match rel {
                b"/Amt" => self.tx.amount = Some(self.amount()?),
                b"/AmtDtls/TxAmt/Amt" => self.tx.tx_amount = Some(self.amount()?),
                b"/CdtDbtInd" => self.tx.debit = Some(self.indicator()?),
                b"/Refs/EndToEndId" => self.tx.end_to_end = self.owned(),
                b"/Refs/AcctSvcrRef" => self.tx.acct_svcr_ref = self.owned(),
                b"/Refs/TxId" => self.tx.tx_id = self.owned(),
                b"/RmtInf/Ustrd" => {
                    if !self.tx.ustrd.is_empty() {
                        self.tx.ustrd.push(' ');
                    }
                    self.tx.ustrd.push_str(self.text.trim());
                }
                b"/RmtInf/Strd/CdtrRefInf/Ref" => self.tx.strd_ref = self.owned(),
                b"/RltdPties/Cdtr/Nm" | b"/RltdPties/Cdtr/Pty/Nm" => {
                    self.tx.creditor = self.owned()
                }
                b"/RltdPties/Dbtr/Nm" | b"/RltdPties/Dbtr/Pty/Nm" => self.tx.debtor = self.owned(),
                b"/RltdPties/CdtrAcct/Id/IBAN" | b"/RltdPties/CdtrAcct/Id/Othr/Id" => {
                    self.tx.creditor_account = self.owned()
                }
                b"/RltdPties/DbtrAcct/Id/IBAN" | b"/RltdPties/DbtrAcct/Id/Othr/Id" => {
                    self.tx.debtor_account = self.owned()
                }
                b"/AddtlTxInf" => self.tx.additional = self.owned(),
                _ => {}
            }
            return Ok(());
        }
        if self.ntry_at.is_some() {
            if top == self.ntry_at {
                let r = self.finish_entry();
                self.ntry_at = None;
                return r;
            }
            let rel = self.rel(self.ntry_at);
            let rel = &rel[rel
                .iter()
                .skip(1)
                .position(|&c| c == b'/')
                .map_or(rel.len(), |p| p + 1)..];
            match rel {
                b"/Amt" => self.ntry.amount = Some(self.amount()?),
                b"/CdtDbtInd" => self.ntry.debit = Some(self.indicator()?),
                b"/RvslInd" => self.ntry.reversal = matches!(self.text.trim(), "true" | "1"),
                b"/BookgDt/Dt" | b"/BookgDt/DtTm" => self.ntry.booking = Some(self.date()?),
                b"/ValDt/Dt" | b"/ValDt/DtTm" => self.ntry.value = Some(self.date()?),
                b"/NtryRef" => self.ntry.entry_ref = self.owned(),
                b"/AcctSvcrRef" => self.ntry.acct_svcr_ref = self.owned(),
                b"/BkTxCd/Domn/Cd" => self.set_bank_code(0),
                b"/BkTxCd/Domn/Fmly/Cd" => self.set_bank_code(1),
                b"/BkTxCd/Domn/Fmly/SubFmlyCd" => self.set_bank_code(2),
                b"/BkTxCd/Prtry/Cd" => self.ntry.proprietary = self.owned(),
                b"/AddtlNtryInf" => self.ntry.additional = self.owned(),
                // camt v02–v03 list charges directly; v04+ inside Rcrd.
                b"/Chrgs/Amt" | b"/Chrgs/Rcrd/Amt" => {
                    let m = self.amount()?;
                    self.ntry.charges.push(m);
                }
                _ => {}
            }
            return Ok(());
        }
        if self.bal_at.is_some() {
            if top == self.bal_at {
                let r = self.finish_balance();
                self.bal_at = None;
                return r;
            }
            let rel = self.rel(self.bal_at);
            let rel = &rel[rel
                .iter()
                .skip(1)
                .position(|&c| c == b'/')
                .map_or(rel.len(), |p| p + 1)..];
            match rel {
                b"/Tp/CdOrPrtry/Cd" => self.bal.code = self.owned(),
                b"/Amt" => self.bal.amount = Some(self.amount()?),
                b"/CdtDbtInd" => self.bal.debit = self.indicator()?,
                b"/Dt/Dt" | b"/Dt/DtTm" => self.bal.date = Some(self.date()?),
                _ => {}
            }
            return Ok(());
        }
        if self.stmt_at.is_some() {
            if top == self.stmt_at {
                let r = self.finish_statement();
                self.stmt_at = None;
                self.finished = Some(r?);
                return Ok(());
            }
            let rel = self.rel(self.stmt_at);
            let rel = &rel[rel
                .iter()
                .skip(1)
                .position(|&c| c == b'/')
                .map_or(rel.len(), |p| p + 1)..];
            match rel {
                b"/Id" => self.stmt.id = self.owned(),
                b"/ElctrncSeqNb" | b"/LglSeqNb" => {
                    self.stmt
                        .sequence
                        .get_or_insert(self.text.trim().to_owned());
                }
                b"/Acct/Id/IBAN" => self.stmt.iban = self.owned(),
                b"/Acct/Id/Othr/Id" => self.stmt.other_id = self.owned(),
                b"/Acct/Ccy" => {
                    let c = Currency::new(self.text.trim())
                        .map_err(|_| self.err("invalid account currency"))?;
                    self.stmt.currency = Some(c);
                }
                b"/AddtlStmtInf" | b"/AddtlRptInf" | b"/AddtlNtfctnInf" => {
                    self.stmt.information = self.owned()
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn set_bank_code(&mut self, part: usize) {
        let t = self.text.trim();
        if !t.is_empty() {
            self.bank_code[part].clear();
            self.bank_code[part].push_str(t);
            self.ntry.bank_code[part] = true;
        }
    }

    fn currency_for(&mut self, m: Money) -> Result<Currency, ParseError> {
        match self.stmt.currency {
            Some(c) => Ok(c),
            None => {
                self.stmt.currency = Some(m.currency());
                Ok(m.currency())
            }
        }
    }

    fn finish_balance(&mut self) -> Result<(), ParseError> {
        let bal = std::mem::take(&mut self.bal);
        let amount = bal.amount.ok_or_else(|| self.err("balance without Amt"))?;
        let currency = self.currency_for(amount)?;
        if amount.currency() != currency {
            return Err(self.err(format!(
                "balance in {} but the account is in {currency}",
                amount.currency()
            )));
        }
        let date = bal.date.ok_or_else(|| self.err("balance without Dt"))?;
        let amount = if bal.debit {
            Money::from_minor(-amount.minor(), currency)
        } else {
            amount
        };
        let b = Balance { amount, date };
        match bal.code.as_deref() {
            Some("OPBD" | "PRCD") => {
                self.stmt.opening.get_or_insert(b);
            }
            Some("CLBD") => self.stmt.closing = Some(b),
            Some("CLAV") => self.stmt.available = Some(b),
            Some("FWAV") => self.stmt.forward.push(b),
            _ => {}
        }
        Ok(())
    }

    fn finish_entry(&mut self) -> Result<(), ParseError> {
        let mut n = std::mem::take(&mut self.ntry);
        let amount = n.amount.ok_or_else(|| self.err("entry without Amt"))?;
        let currency = self.currency_for(amount)?;
        if amount.currency() != currency {
            return Err(self.err(format!(
                "entry amount in {} but the account is in {currency}",
                amount.currency()
            )));
        }
        let debit = n.debit.ok_or_else(|| self.err("entry without CdtDbtInd"))?;
        let value_date = n
            .value
            .or(n.booking)
            .ok_or_else(|| self.err("entry without BookgDt or ValDt"))?;
        let booking_date = n.booking.unwrap_or(value_date);
        let mut code = if n.bank_code == [true; 3] {
            let [d, f, s] = &self.bank_code;
            Some(format!("{d}/{f}/{s}"))
        } else {
            n.proprietary.take()
        };
        let signed = |m: Money, debit: bool| {
            if debit {
                Money::from_minor(-m.minor(), m.currency())
            } else {
                m
            }
        };
        let mut base_ref = n.acct_svcr_ref.take().or_else(|| n.entry_ref.take());
        let mut charges = Vec::new();
        for c in &n.charges {
            charges.push(("CHRG".to_owned(), c.to_decimal_string()));
        }
        let batch = n.txs.len() > 1;
        if n.txs.is_empty() {
            n.txs.push(Tx::default());
        }
        let count = n.txs.len();
        for (i, tx) in n.txs.drain(..).enumerate() {
            let last = i + 1 == count;
            let amount = if batch {
                let m = [tx.amount, tx.tx_amount]
                    .into_iter()
                    .flatten()
                    .find(|m| m.currency() == currency)
                    .ok_or_else(|| {
                        self.err(format!(
                            "batch entry's transaction {} has no amount in the account currency {currency}",
                            i + 1
                        ))
                    })?;
                signed(m, tx.debit.unwrap_or(debit))
            } else {
                signed(amount, debit)
            };
            let (counterparty, counterparty_account) = if amount.is_negative() {
                (tx.creditor, tx.creditor_account)
            } else {
                (tx.debtor, tx.debtor_account)
            };
            let reference = tx
                .end_to_end
                .filter(|r| r != "NOTPROVIDED")
                .or(tx.strd_ref.clone());
            let bank_reference = match tx.acct_svcr_ref {
                Some(r) => Some(r),
                None if count > 1 => base_ref.as_ref().map(|b| format!("{b}/{}", i + 1)),
                None => base_ref.take(),
            };
            let description = if !tx.ustrd.is_empty() {
                tx.ustrd
            } else if let Some(r) = &tx.strd_ref {
                r.clone()
            } else {
                tx.additional
                    .clone()
                    .or_else(|| n.additional.clone())
                    .unwrap_or_default()
            };
            let mut details = Vec::new();
            if let Some(t) = tx.tx_id {
                details.push(("TxId".to_owned(), t));
            }
            if let Some(r) = tx.strd_ref {
                details.push(("CdtrRefInf".to_owned(), r));
            }
            if i == 0 {
                details.extend(charges.iter().cloned());
            }
            self.stmt.transactions.push(Entry {
                booking_date,
                value_date,
                amount,
                reversal: n.reversal,
                reference,
                bank_reference,
                transaction_code: if last { code.take() } else { code.clone() },
                description,
                counterparty,
                counterparty_account,
                supplementary: n.additional.clone().filter(|_| batch),
                details,
            });
        }
        self.spare_txs = n.txs;
        Ok(())
    }

    fn finish_statement(&mut self) -> Result<Statement, ParseError> {
        let s = std::mem::take(&mut self.stmt);
        let account = s
            .iban
            .or(s.other_id)
            .ok_or_else(|| self.err("statement without Acct/Id"))?;
        let currency = s
            .currency
            .ok_or_else(|| self.err("statement without a currency (Acct/Ccy, Bal or Ntry)"))?;
        if let (Some(open), Some(close)) = (s.opening, s.closing) {
            if let Some(message) =
                crate::unbalanced(open.amount, &s.transactions, close.amount, " (CLBD)")
            {
                let err = self.err(message);
                if self.options.warn_on_unbalanced {
                    self.warnings.push(err);
                } else {
                    return Err(err);
                }
            }
        }
        Ok(Statement {
            account,
            currency,
            reference: s.id,
            sequence: s.sequence,
            opening_balance: s.opening,
            closing_balance: s.closing,
            available_balance: s.available,
            forward_balances: s.forward,
            information: s.information,
            transactions: s.transactions,
        })
    }
}

impl<R: BufRead> Iterator for CamtReader<R> {
    type Item = Result<Statement, ParseError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let r = self.next_statement().transpose();
        if !matches!(r, Some(Ok(_))) {
            self.done = true;
        }
        r
    }
}
