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
//!
//! A `Stmt`/`Rpt`/`Ntfctn` is read at any depth from the third level down;
//! `Ntry` and `Bal` anywhere inside it (not inside each other), `TxDtls`
//! anywhere inside an `Ntry`. Only the text of the elements read is decoded
//! (UTF-8 or cp1252, entities expanded), so a bad character reference
//! elsewhere is not an error; end tags are checked against their start
//! tags everywhere.

use std::io::BufRead;

use crate::xml::{attribute, find, is_space, key_bytes, name_stops, Scanner, Tok, KEY_MASK, LONG};
use crate::{
    decode_line, parse_amount, Balance, Entry, Options, ParseError, Pool, Position, Statement,
};
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

/// The keys ([`crate::xml::key`]) of the element names read.
#[allow(non_upper_case_globals)]
mod k {
    use crate::xml::key;
    pub const Acct: u128 = key(b"Acct");
    pub const AcctSvcrRef: u128 = key(b"AcctSvcrRef");
    pub const AddtlNtfctnInf: u128 = key(b"AddtlNtfctnInf");
    pub const AddtlNtryInf: u128 = key(b"AddtlNtryInf");
    pub const AddtlRptInf: u128 = key(b"AddtlRptInf");
    pub const AddtlStmtInf: u128 = key(b"AddtlStmtInf");
    pub const AddtlTxInf: u128 = key(b"AddtlTxInf");
    pub const Amt: u128 = key(b"Amt");
    pub const AmtDtls: u128 = key(b"AmtDtls");
    pub const Bal: u128 = key(b"Bal");
    pub const BkTxCd: u128 = key(b"BkTxCd");
    pub const BookgDt: u128 = key(b"BookgDt");
    pub const Ccy: u128 = key(b"Ccy");
    pub const Cd: u128 = key(b"Cd");
    pub const CdOrPrtry: u128 = key(b"CdOrPrtry");
    pub const CdtDbtInd: u128 = key(b"CdtDbtInd");
    pub const Cdtr: u128 = key(b"Cdtr");
    pub const CdtrAcct: u128 = key(b"CdtrAcct");
    pub const CdtrRefInf: u128 = key(b"CdtrRefInf");
    pub const Chrgs: u128 = key(b"Chrgs");
    pub const Dbtr: u128 = key(b"Dbtr");
    pub const DbtrAcct: u128 = key(b"DbtrAcct");
    pub const Domn: u128 = key(b"Domn");
    pub const Dt: u128 = key(b"Dt");
    pub const DtTm: u128 = key(b"DtTm");
    pub const ElctrncSeqNb: u128 = key(b"ElctrncSeqNb");
    pub const EndToEndId: u128 = key(b"EndToEndId");
    pub const Fmly: u128 = key(b"Fmly");
    pub const IBAN: u128 = key(b"IBAN");
    pub const Id: u128 = key(b"Id");
    pub const LglSeqNb: u128 = key(b"LglSeqNb");
    pub const Nm: u128 = key(b"Nm");
    pub const Ntfctn: u128 = key(b"Ntfctn");
    pub const Ntry: u128 = key(b"Ntry");
    pub const NtryRef: u128 = key(b"NtryRef");
    pub const Othr: u128 = key(b"Othr");
    pub const Prtry: u128 = key(b"Prtry");
    pub const Pty: u128 = key(b"Pty");
    pub const Rcrd: u128 = key(b"Rcrd");
    pub const Ref: u128 = key(b"Ref");
    pub const Refs: u128 = key(b"Refs");
    pub const RltdPties: u128 = key(b"RltdPties");
    pub const RmtInf: u128 = key(b"RmtInf");
    pub const Rpt: u128 = key(b"Rpt");
    pub const RvslInd: u128 = key(b"RvslInd");
    pub const Stmt: u128 = key(b"Stmt");
    pub const Strd: u128 = key(b"Strd");
    pub const SubFmlyCd: u128 = key(b"SubFmlyCd");
    pub const Tp: u128 = key(b"Tp");
    pub const TxAmt: u128 = key(b"TxAmt");
    pub const TxDtls: u128 = key(b"TxDtls");
    pub const TxId: u128 = key(b"TxId");
    pub const Ustrd: u128 = key(b"Ustrd");
    pub const ValDt: u128 = key(b"ValDt");
}

/// Where an open element is, relative to the innermost container
/// (`Stmt`/`Rpt`/`Ntfctn`, `Bal`, `Ntry`, `TxDtls`) around it: the fields
/// read are leaves (`N_AMT` is `Ntry/Amt`), everything else in a container
/// is that container's `*_OTHER`. One byte per open element, computed from
/// the parent's state and the element's local name when it opens.
mod st {
    use super::k;

    pub const OUT: u8 = 0;
    // Statement (`Stmt`, `Rpt`, `Ntfctn`).
    pub const S: u8 = 1;
    pub const S_ID: u8 = 2;
    pub const S_SEQ: u8 = 3;
    pub const S_ACCT: u8 = 4;
    pub const S_ACCT_ID: u8 = 5;
    pub const S_IBAN: u8 = 6;
    pub const S_OTHR: u8 = 7;
    pub const S_OTHR_ID: u8 = 8;
    pub const S_CCY: u8 = 9;
    pub const S_INFO: u8 = 10;
    pub const S_OTHER: u8 = 11;
    // Balance.
    pub const B: u8 = 20;
    pub const B_TP: u8 = 21;
    pub const B_CDORPRTRY: u8 = 22;
    pub const B_CODE: u8 = 23;
    pub const B_AMT: u8 = 24;
    pub const B_CDI: u8 = 25;
    pub const B_DT: u8 = 26;
    pub const B_DATE: u8 = 27;
    pub const B_OTHER: u8 = 28;
    // Entry.
    pub const N: u8 = 40;
    pub const N_AMT: u8 = 41;
    pub const N_CDI: u8 = 42;
    pub const N_RVSL: u8 = 43;
    pub const N_BOOKG: u8 = 44;
    pub const N_BOOKG_DT: u8 = 45;
    pub const N_VAL: u8 = 46;
    pub const N_VAL_DT: u8 = 47;
    pub const N_NTRYREF: u8 = 48;
    pub const N_ACCTSVCRREF: u8 = 49;
    pub const N_BKTXCD: u8 = 50;
    pub const N_DOMN: u8 = 51;
    pub const N_DOMN_CD: u8 = 52;
    pub const N_FMLY: u8 = 53;
    pub const N_FMLY_CD: u8 = 54;
    pub const N_SUBFMLY: u8 = 55;
    pub const N_PRTRY: u8 = 56;
    pub const N_PRTRY_CD: u8 = 57;
    pub const N_ADDTL: u8 = 58;
    pub const N_CHRGS: u8 = 59;
    pub const N_CHRGS_RCRD: u8 = 60;
    pub const N_CHRGS_AMT: u8 = 61;
    pub const N_OTHER: u8 = 62;
    // Transaction details.
    pub const T: u8 = 80;
    pub const T_AMT: u8 = 81;
    pub const T_AMTDTLS: u8 = 82;
    pub const T_TXAMT: u8 = 83;
    pub const T_TXAMT_AMT: u8 = 84;
    pub const T_CDI: u8 = 85;
    pub const T_REFS: u8 = 86;
    pub const T_E2E: u8 = 87;
    pub const T_ACCTSVCRREF: u8 = 88;
    pub const T_TXID: u8 = 89;
    pub const T_RMTINF: u8 = 90;
    pub const T_USTRD: u8 = 91;
    pub const T_STRD: u8 = 92;
    pub const T_CDTRREFINF: u8 = 93;
    pub const T_STRD_REF: u8 = 94;
    pub const T_RLTD: u8 = 95;
    pub const T_CDTR: u8 = 96;
    pub const T_CDTR_PTY: u8 = 97;
    pub const T_CDTR_NM: u8 = 98;
    pub const T_DBTR: u8 = 99;
    pub const T_DBTR_PTY: u8 = 100;
    pub const T_DBTR_NM: u8 = 101;
    pub const T_CDTRACCT: u8 = 102;
    pub const T_CDTRACCT_ID: u8 = 103;
    pub const T_CDTRACCT_OTHR: u8 = 104;
    pub const T_CDTR_IBAN: u8 = 105;
    pub const T_DBTRACCT: u8 = 106;
    pub const T_DBTRACCT_ID: u8 = 107;
    pub const T_DBTRACCT_OTHR: u8 = 108;
    pub const T_DBTR_IBAN: u8 = 109;
    pub const T_ADDTL: u8 = 110;
    pub const T_OTHER: u8 = 111;

    /// The containers, whose end finishes something.
    pub const fn container(s: u8) -> bool {
        matches!(s, S | B | N | T)
    }

    /// What a state's element is: a container, a field or neither.
    pub const OTHER: u8 = 0;
    pub const CONTAINER: u8 = 1;
    pub const FIELD: u8 = 2;

    /// [`container`] and [`field`] in one table (index `state & 127`).
    pub static KIND: [u8; 128] = {
        let mut t = [OTHER; 128];
        let mut s = 0;
        while s < 128 {
            if container(s as u8) {
                t[s] = CONTAINER;
            } else if field(s as u8) {
                t[s] = FIELD;
            }
            s += 1;
        }
        t
    };

    /// Leaves whose text is read.
    pub const fn field(s: u8) -> bool {
        matches!(
            s,
            S_ID | S_SEQ
                | S_IBAN
                | S_OTHR_ID
                | S_CCY
                | S_INFO
                | B_CODE
                | B_AMT
                | B_CDI
                | B_DATE
                | N_AMT
                | N_CDI
                | N_RVSL
                | N_BOOKG_DT
                | N_VAL_DT
                | N_NTRYREF
                | N_ACCTSVCRREF
                | N_DOMN_CD
                | N_FMLY_CD
                | N_SUBFMLY
                | N_PRTRY_CD
                | N_ADDTL
                | N_CHRGS_AMT
                | T_AMT
                | T_TXAMT_AMT
                | T_CDI
                | T_E2E
                | T_ACCTSVCRREF
                | T_TXID
                | T_USTRD
                | T_STRD_REF
                | T_CDTR_NM
                | T_DBTR_NM
                | T_CDTR_IBAN
                | T_DBTR_IBAN
                | T_ADDTL
        )
    }

    /// The state of an element whose local name has the key `name` in an
    /// element in state `parent` (a statement only `depth` >= 3).
    const fn spec(parent: u8, name: u128) -> u8 {
        match parent {
            OUT => match name {
                k::Stmt | k::Rpt | k::Ntfctn => S,
                _ => OUT,
            },
            S..=S_OTHER => match (parent, name) {
                (_, k::Ntry) => N,
                (_, k::Bal) => B,
                (S, k::Id) => S_ID,
                (S, k::ElctrncSeqNb | k::LglSeqNb) => S_SEQ,
                (S, k::Acct) => S_ACCT,
                (S, k::AddtlStmtInf | k::AddtlRptInf | k::AddtlNtfctnInf) => S_INFO,
                (S_ACCT, k::Id) => S_ACCT_ID,
                (S_ACCT, k::Ccy) => S_CCY,
                (S_ACCT_ID, k::IBAN) => S_IBAN,
                (S_ACCT_ID, k::Othr) => S_OTHR,
                (S_OTHR, k::Id) => S_OTHR_ID,
                _ => S_OTHER,
            },
            B..=B_OTHER => match (parent, name) {
                (B, k::Tp) => B_TP,
                (B, k::Amt) => B_AMT,
                (B, k::CdtDbtInd) => B_CDI,
                (B, k::Dt) => B_DT,
                (B_TP, k::CdOrPrtry) => B_CDORPRTRY,
                (B_CDORPRTRY, k::Cd) => B_CODE,
                (B_DT, k::Dt | k::DtTm) => B_DATE,
                _ => B_OTHER,
            },
            N..=N_OTHER => match (parent, name) {
                (_, k::TxDtls) => T,
                (N, k::Amt) => N_AMT,
                (N, k::CdtDbtInd) => N_CDI,
                (N, k::RvslInd) => N_RVSL,
                (N, k::BookgDt) => N_BOOKG,
                (N, k::ValDt) => N_VAL,
                (N, k::NtryRef) => N_NTRYREF,
                (N, k::AcctSvcrRef) => N_ACCTSVCRREF,
                (N, k::BkTxCd) => N_BKTXCD,
                (N, k::AddtlNtryInf) => N_ADDTL,
                (N, k::Chrgs) => N_CHRGS,
                (N_BOOKG, k::Dt | k::DtTm) => N_BOOKG_DT,
                (N_VAL, k::Dt | k::DtTm) => N_VAL_DT,
                (N_BKTXCD, k::Domn) => N_DOMN,
                (N_BKTXCD, k::Prtry) => N_PRTRY,
                (N_DOMN, k::Cd) => N_DOMN_CD,
                (N_DOMN, k::Fmly) => N_FMLY,
                (N_FMLY, k::Cd) => N_FMLY_CD,
                (N_FMLY, k::SubFmlyCd) => N_SUBFMLY,
                (N_PRTRY, k::Cd) => N_PRTRY_CD,
                // camt v02–v03 list charges directly; v04+ inside Rcrd.
                (N_CHRGS, k::Amt) => N_CHRGS_AMT,
                (N_CHRGS, k::Rcrd) => N_CHRGS_RCRD,
                (N_CHRGS_RCRD, k::Amt) => N_CHRGS_AMT,
                _ => N_OTHER,
            },
            T..=T_OTHER => match (parent, name) {
                (T, k::Amt) => T_AMT,
                (T, k::AmtDtls) => T_AMTDTLS,
                (T, k::CdtDbtInd) => T_CDI,
                (T, k::Refs) => T_REFS,
                (T, k::RmtInf) => T_RMTINF,
                (T, k::RltdPties) => T_RLTD,
                (T, k::AddtlTxInf) => T_ADDTL,
                (T_AMTDTLS, k::TxAmt) => T_TXAMT,
                (T_TXAMT, k::Amt) => T_TXAMT_AMT,
                (T_REFS, k::EndToEndId) => T_E2E,
                (T_REFS, k::AcctSvcrRef) => T_ACCTSVCRREF,
                (T_REFS, k::TxId) => T_TXID,
                (T_RMTINF, k::Ustrd) => T_USTRD,
                (T_RMTINF, k::Strd) => T_STRD,
                (T_STRD, k::CdtrRefInf) => T_CDTRREFINF,
                (T_CDTRREFINF, k::Ref) => T_STRD_REF,
                (T_RLTD, k::Cdtr) => T_CDTR,
                (T_RLTD, k::Dbtr) => T_DBTR,
                (T_RLTD, k::CdtrAcct) => T_CDTRACCT,
                (T_RLTD, k::DbtrAcct) => T_DBTRACCT,
                (T_CDTR, k::Nm) | (T_CDTR_PTY, k::Nm) => T_CDTR_NM,
                (T_CDTR, k::Pty) => T_CDTR_PTY,
                (T_DBTR, k::Nm) | (T_DBTR_PTY, k::Nm) => T_DBTR_NM,
                (T_DBTR, k::Pty) => T_DBTR_PTY,
                (T_CDTRACCT, k::Id) => T_CDTRACCT_ID,
                (T_CDTRACCT_ID, k::IBAN) => T_CDTR_IBAN,
                (T_CDTRACCT_ID, k::Othr) => T_CDTRACCT_OTHR,
                (T_CDTRACCT_OTHR, k::Id) => T_CDTR_IBAN,
                (T_DBTRACCT, k::Id) => T_DBTRACCT_ID,
                (T_DBTRACCT_ID, k::IBAN) => T_DBTR_IBAN,
                (T_DBTRACCT_ID, k::Othr) => T_DBTRACCT_OTHR,
                (T_DBTRACCT_OTHR, k::Id) => T_DBTR_IBAN,
                _ => T_OTHER,
            },
            _ => OUT,
        }
    }
    /// The names [`spec`] reads, by id (0: any other name).
    const NAMES: [u128; 55] = [
        crate::xml::LONG,
        k::Acct,
        k::AcctSvcrRef,
        k::AddtlNtfctnInf,
        k::AddtlNtryInf,
        k::AddtlRptInf,
        k::AddtlStmtInf,
        k::AddtlTxInf,
        k::Amt,
        k::AmtDtls,
        k::Bal,
        k::BkTxCd,
        k::BookgDt,
        k::Ccy,
        k::Cd,
        k::CdOrPrtry,
        k::CdtDbtInd,
        k::Cdtr,
        k::CdtrAcct,
        k::CdtrRefInf,
        k::Chrgs,
        k::Dbtr,
        k::DbtrAcct,
        k::Domn,
        k::Dt,
        k::DtTm,
        k::ElctrncSeqNb,
        k::EndToEndId,
        k::Fmly,
        k::IBAN,
        k::Id,
        k::LglSeqNb,
        k::Nm,
        k::Ntfctn,
        k::Ntry,
        k::NtryRef,
        k::Othr,
        k::Prtry,
        k::Pty,
        k::Rcrd,
        k::Ref,
        k::Refs,
        k::RltdPties,
        k::RmtInf,
        k::Rpt,
        k::RvslInd,
        k::Stmt,
        k::Strd,
        k::SubFmlyCd,
        k::Tp,
        k::TxAmt,
        k::TxDtls,
        k::TxId,
        k::Ustrd,
        k::ValDt,
    ];

    /// The multiplier of [`slot`], found by trying: it gives each of
    /// [`NAMES`] a slot of its own (the table below fails to compile
    /// otherwise).
    const MULTIPLIER: u64 = 0x37e3_6ab0_6601_b8d9;

    /// A hash of a key, one of 128 slots.
    #[inline(always)]
    const fn slot(key: u128) -> usize {
        (((key as u64) ^ ((key >> 64) as u64)).wrapping_mul(MULTIPLIER) >> 57) as usize
    }

    /// By slot: the key there and its name id (0: none).
    static SLOTS: [(u128, u8); 128] = {
        let mut t = [(crate::xml::LONG, 0u8); 128];
        let mut id = 1;
        while id < NAMES.len() {
            let s = slot(NAMES[id]);
            assert!(t[s].1 == 0, "two names in one slot: change MULTIPLIER");
            t[s] = (NAMES[id], id as u8);
            id += 1;
        }
        t
    };

    /// The id of a name in [`NAMES`], 0 for any other.
    #[inline(always)]
    fn name_id(key: u128) -> usize {
        let (k, id) = SLOTS[slot(key)];
        if k == key {
            usize::from(id)
        } else {
            0
        }
    }

    /// [`spec`] as a table: parent state × name id.
    static TABLE: [[u8; NAMES.len()]; 128] = {
        let mut t = [[OUT; NAMES.len()]; 128];
        let mut parent = 0;
        while parent < 128 {
            let mut id = 0;
            while id < NAMES.len() {
                // Id 0 stands for a name none of the rules mention.
                let name = if id == 0 { crate::xml::LONG } else { NAMES[id] };
                t[parent][id] = spec(parent as u8, name);
                id += 1;
            }
            parent += 1;
        }
        t
    };

    /// The state of an element whose local name has the key `name` in an
    /// element in state `parent`, `depth` elements deep (itself counted).
    #[inline]
    pub fn child(parent: u8, name: u128, depth: usize) -> u8 {
        let s = TABLE[usize::from(parent & 127)][name_id(name)];
        if s == S && parent == OUT && depth < 3 {
            OUT
        } else {
            s
        }
    }
}

/// Streams statements (camt.053 `Stmt`, camt.052 `Rpt`, camt.054 `Ntfctn`).
pub struct CamtReader<R> {
    xml: Scanner<R>,
    options: Options,
    /// The open elements: their local names' keys ([`crate::xml::key`]) and states
    /// ([`st`]). The path string of an error is built from these only when
    /// one occurs.
    keys: Vec<u128>,
    states: Vec<u8>,
    /// The local names longer than a key holds, back to back, and where
    /// each starts (one per [`LONG`] key in `keys`).
    long_names: Vec<u8>,
    long_offsets: Vec<usize>,
    stmt_index: usize,
    ntry_index: usize,
    tx_index: usize,
    bal_index: usize,
    /// `Ccy` attribute of the innermost element, if it is an `Amt` with one.
    ccy: Option<Currency>,
    /// The last amount currency and its exponent.
    exponent: std::cell::Cell<Option<(Currency, u8)>>,
    /// The last `Ccy` value read and its currency (most files use one).
    last_ccy: Option<([u8; 3], Currency)>,
    /// The text of the innermost field (see [`st::field`]): nothing yet,
    /// one raw text run in `raw` or, for a leaf read in one token, in the
    /// tokenizer's buffer at `span` (the common cases, decoded only if it
    /// is kept), or decoded text in `text`.
    mode: Text,
    raw: Vec<u8>,
    span: std::ops::Range<usize>,
    text: String,
    stmt: Stmt,
    ntry: Ntry,
    tx: Tx,
    bal: Bal,
    /// Domain, family and sub-family codes of the current entry (buffers
    /// reused from entry to entry).
    bank_code: [Vec<u8>; 3],
    /// The key of a field read by [`CamtReader::leaf_field`], which is not
    /// pushed on `keys` ([`LONG`] when there is none): the innermost
    /// element of an error's path.
    leaf: u128,
    /// Open elements whose local names hold a `:` (`<a:b:Name>`).
    colons: usize,
    /// The namespace prefix with its `:` that the fast path reads (the
    /// first one it met), and its length (0: none yet).
    prefix: u128,
    prefix_len: usize,
    /// The segments read ([`Segment`]), the last one matched or
    /// recorded, and the one being recorded.
    segments: Vec<Segment>,
    /// The segments by [`segment_bucket`] (64 buckets).
    buckets: Vec<Vec<u32>>,
    seg_ops: Vec<Op>,
    /// Searches among all segments, and segments replayed.
    seg_scans: u64,
    seg_replayed: u64,
    cur: u32,
    /// The open elements are as segment `cur` left them (nothing else
    /// read since, but its tail leaf).
    fresh: bool,
    rec: Option<Recording>,
    /// Start tags read, by [`tag_slot`] (two per set of two slots): most
    /// files repeat a few dozen.
    tags: Box<[TagEntry; 256]>,
    /// The next statement's `transactions`, allocated for as many entries
    /// as the last one had.
    next_transactions: Vec<Entry>,
    /// An emptied `Ntry::txs`, kept for its allocation.
    spare_txs: Vec<Tx>,
    /// Allocations given back with [`CamtReader::recycle`].
    pool: Pool,
    /// A statement `close` finished.
    finished: Option<Statement>,
    done: bool,
    pub warnings: Vec<ParseError>,
}

/// The sixteen bytes of `b` from `i` (little-endian), if it has them.
#[inline(always)]
fn load16(b: &[u8], i: usize) -> Option<u128> {
    let w = b.get(i..i + 16)?;
    let mut a = [0u8; 16];
    a.copy_from_slice(w);
    Some(u128::from_le_bytes(a))
}

/// An amount written as camt files write them, 1 to 15 digits and then
/// exactly as many decimals as the currency has after a `.` (`1234.50`),
/// without the general parser; `None` for anything else.
#[inline]
fn exact_amount(b: &[u8], ccy: Currency, exp: u8) -> Option<Money> {
    let exp = usize::from(exp);
    let int_len = if exp == 0 {
        b.len()
    } else {
        let dot = b.len().checked_sub(exp + 1)?;
        if b[dot] != b'.' {
            return None;
        }
        dot
    };
    if int_len == 0 || int_len > 15 {
        return None;
    }
    let mut minor = 0i64;
    for &c in b[..int_len].iter().chain(&b[b.len() - exp..]) {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        minor = minor * 10 + i64::from(d);
    }
    Some(Money::from_minor(minor, ccy))
}

/// What a segment does after its bytes matched (see [`Segment`]).
#[derive(Clone, Copy, PartialEq)]
enum Op {
    /// A start tag opens an element, which gets `ccy` (of its `Ccy`);
    /// `container` if its state is one.
    Start {
        key: u128,
        state: u8,
        ccy: Option<Currency>,
        container: bool,
    },
    /// An end tag closes the innermost element, which is neither a
    /// container nor a field.
    Pop,
    /// An end tag closes the innermost element, a container or a field.
    End,
}

/// The leaf whose start tag ends a segment.
#[derive(Clone, Copy, PartialEq)]
struct Tail {
    key: u128,
    state: u8,
    /// The amount currency its `Ccy` attribute gives.
    ccy: Option<Currency>,
    /// The length of its start tag.
    len: usize,
}

/// A run of markup between two leaves' texts as the fast path read it:
/// from the end tag of one leaf (whose text came before) to the start tag
/// of the next. Most files repeat a few dozen, entry after entry, and one
/// read before is read again by comparing its bytes and doing its `ops`,
/// when the open elements it closes or opens in are the same
/// ([`CamtReader::match_segment`]). The same bytes in the same open
/// elements are the same tokens, so this reads what the fast path would.
#[derive(PartialEq)]
struct Segment {
    bytes: Vec<u8>,
    /// Its operations in [`CamtReader::seg_ops`].
    ops: std::ops::Range<usize>,
    /// The number of open elements where it starts.
    depth: usize,
    /// The open elements it closes, innermost first, and then the one
    /// under them (where it opens elements and its leaf): keys and states.
    expect: Vec<(u128, u8)>,
    tail: Tail,
    /// The lowest open element it checks (`depth - expect.len()`).
    low: usize,
    /// Segments read after this one (a hint: any may be tried), and
    /// whether this one's checks imply theirs: they check no open element
    /// below this one's `low` (which this one checked or opened itself),
    /// and they were read right after it.
    next: Vec<(u32, bool)>,
}

/// A segment being recorded from `start` in the tokenizer's buffer.
struct Recording {
    start: usize,
    ops: Vec<Op>,
    depth: usize,
    /// The fewest open elements so far, and those closed below `depth`.
    min_depth: usize,
    expect: Vec<(u128, u8)>,
    /// The segment before, or [`NO_SEGMENT`], and whether the open
    /// elements were as it left them ([`CamtReader::fresh`]).
    prev: u32,
    prev_fresh: bool,
}

const NO_SEGMENT: u32 = u32::MAX;

/// The bucket of [`CamtReader::buckets`] for segments that start with
/// `b[at..at + 7]` (the leaf's end tag and what follows, at least `</X><Y>`)
/// where `depth` elements are open.
fn segment_bucket(b: &[u8], at: usize, depth: usize) -> Option<usize> {
    let head = b.get(at..at + 7)?;
    let mut a = [0u8; 8];
    a[..7].copy_from_slice(head);
    let x = (u64::from_le_bytes(a) ^ ((depth as u64) << 56)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    Some((x >> 58) as usize)
}

/// `b[at..at + s.len()] == s`, sixteen bytes at a time.
#[inline]
fn same_bytes(b: &[u8], at: usize, s: &[u8]) -> bool {
    let n = s.len();
    let Some(w) = b.get(at..at + n) else {
        return false;
    };
    if n < 16 {
        return w == s;
    }
    let load = |x: &[u8], i: usize| {
        let mut a = [0u8; 16];
        a.copy_from_slice(&x[i..i + 16]);
        u128::from_le_bytes(a)
    };
    let mut i = 0;
    while i + 16 < n {
        if load(w, i) != load(s, i) {
            return false;
        }
        i += 16;
    }
    // The last sixteen (overlapping the ones before).
    load(w, n - 16) == load(s, n - 16)
}
/// At most this many segments are kept (memory stays flat), of at most
/// [`MAX_SEGMENT_BYTES`] each.
const MAX_SEGMENTS: usize = 128;
const MAX_SEGMENT_BYTES: usize = 4096;
const MAX_SEGMENT_OPS: usize = 256;

/// A start tag the fast path has read, `<Name>` or `<Name Ccy="XYZ">`, and
/// what it means in the parent state it was read in.
#[derive(Clone, Copy, Default)]
struct TagEntry {
    /// The tag's bytes, `<` to `>`, little-endian.
    bytes: u128,
    key: u128,
    /// The tag's length, 0 for an empty slot.
    len: usize,
    /// The name's length, with its prefix.
    n: u8,
    state: u8,
    parent: u8,
}

/// The low `n` bytes of a u128, for `n` up to 16.
static TAG_MASK: [u128; 17] = {
    let mut t = [u128::MAX; 17];
    let mut n = 0;
    while n < 16 {
        t[n] = (1u128 << (8 * n)) - 1;
        n += 1;
    }
    t
};

/// The slot of [`CamtReader::tags`] for a tag starting with `t` in an
/// element in state `parent`: a hash of the parent and the tag's first
/// eight bytes up to its `>` (not the text after a short tag).
#[inline(always)]
fn tag_slot(t: u128, parent: u8) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let w = t as u64;
    let gt = w ^ (LO * u64::from(b'>'));
    // The high bit of the first `>` is the lowest set (exact for it).
    let z = gt.wrapping_sub(LO) & !gt & HI;
    let x = if z == 0 { w } else { w & (z ^ (z - 1)) };
    let x = (x ^ (x >> 29) ^ u64::from(parent)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x >> 56) as usize
}

/// Whether the name of a key (not [`LONG`]) holds a `:`.
#[inline]
fn has_colon(key: u128) -> bool {
    let n = ((key >> 120) as usize).min(15);
    key != LONG && key.to_le_bytes()[..n].contains(&b':')
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Text {
    None,
    Raw,
    /// Raw, in the tokenizer's buffer at [`CamtReader::span`].
    Buf,
    Decoded,
}

/// Printable ASCII without `&`: raw text that reads the same decoded.
#[inline]
fn plain(b: &[u8]) -> bool {
    plain_in(b, 0..b.len())
}

/// The high bit of each byte of `w` that is not plain (below 0x20, above
/// 0x7E or `&`), exact for the lowest such byte (borrows and carries only
/// run upwards, from bytes that are not plain themselves).
#[inline(always)]
fn not_plain(w: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let below = w.wrapping_sub(LO * 0x20) & !w;
    let above = w.wrapping_add(LO) | w;
    let amp = w ^ (LO * u64::from(b'&'));
    (below | above | (amp.wrapping_sub(LO) & !amp)) & HI
}

/// The first `<` in `b` from `from`, and whether the bytes before it are
/// [`plain`] (in one pass, eight bytes at a time); `None` if `b` has none.
#[inline(always)]
fn text_end(b: &[u8], from: usize) -> Option<(usize, bool)> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut bad = 0u64;
    let mut i = from;
    while let Some(c) = b.get(i..i + 8) {
        let mut a = [0u8; 8];
        a.copy_from_slice(c);
        let w = u64::from_le_bytes(a);
        let x = w ^ (LO * u64::from(b'<'));
        let lt = x.wrapping_sub(LO) & !x & HI;
        if lt != 0 {
            // Only the bytes below the first `<`.
            bad |= not_plain(w) & ((lt & lt.wrapping_neg()) - 1);
            return Some((i + (lt.trailing_zeros() / 8) as usize, bad == 0));
        }
        bad |= not_plain(w);
        i += 8;
    }
    let lt = i + b.get(i..)?.iter().position(|&c| c == b'<')?;
    Some((lt, bad == 0 && plain(&b[i..lt])))
}

/// [`plain`] for `buf[r]`, eight bytes at a time (the last eight read
/// from `buf` before `r.end` where it has them).
#[inline(always)]
fn plain_in(buf: &[u8], r: std::ops::Range<usize>) -> bool {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const SPACES: u64 = LO * 0x20;
    // Any byte below 0x20, above 0x7E or `&` (each test exact for the
    // word as a whole, if not per byte).
    let bad = |w: u64| {
        let below = w.wrapping_sub(SPACES) & !w;
        let above = w.wrapping_add(LO) | w;
        let amp = w ^ (LO * u64::from(b'&'));
        (below | above | (amp.wrapping_sub(LO) & !amp)) & HI != 0
    };
    let load = |i: usize| {
        let mut a = [0u8; 8];
        a.copy_from_slice(&buf[i..i + 8]);
        u64::from_le_bytes(a)
    };
    let mut i = r.start;
    while i + 8 <= r.end {
        if bad(load(i)) {
            return false;
        }
        i += 8;
    }
    let n = r.end - i;
    if n == 0 {
        true
    } else if r.end >= 8 {
        // The last `n` bytes down to the low end, spaces above them.
        let w = (load(r.end - 8) >> (8 * (8 - n))) | (SPACES << (8 * n));
        !bad(w)
    } else {
        buf[i..r.end]
            .iter()
            .all(|&c| (0x20..0x7F).contains(&c) && c != b'&')
    }
}

impl<R: BufRead> CamtReader<R> {
    /// Gives a statement the caller is done with back to the reader, whose
    /// next statements then reuse its strings and entry vector instead of
    /// allocating their own: a caller that streams statements and drops
    /// each one before the next saves most of the allocator's work. The
    /// statements read are the same with or without it.
    pub fn recycle(&mut self, statement: Statement) {
        self.pool.recycle(statement);
    }

    pub fn new(input: R, options: Options) -> Self {
        CamtReader {
            xml: Scanner::new(input),
            options,
            keys: Vec::with_capacity(32),
            states: Vec::with_capacity(32),
            long_names: Vec::new(),
            long_offsets: Vec::new(),
            stmt_index: 0,
            ntry_index: 0,
            tx_index: 0,
            bal_index: 0,
            ccy: None,
            last_ccy: None,
            exponent: std::cell::Cell::new(None),
            mode: Text::None,
            raw: Vec::with_capacity(256),
            span: 0..0,
            text: String::new(),
            stmt: Stmt::default(),
            ntry: Ntry::default(),
            tx: Tx::default(),
            bal: Bal::default(),
            bank_code: Default::default(),
            leaf: LONG,
            colons: 0,
            prefix: 0,
            prefix_len: 0,
            segments: Vec::new(),
            buckets: vec![Vec::new(); 64],
            seg_ops: Vec::new(),
            seg_scans: 0,
            seg_replayed: 0,
            fresh: false,
            cur: NO_SEGMENT,
            rec: None,
            tags: Box::new([TagEntry::default(); 256]),
            next_transactions: Vec::new(),
            spare_txs: Vec::new(),
            pool: Pool::default(),
            finished: None,
            done: false,
            warnings: Vec::new(),
        }
    }

    /// The local names of the open elements, outermost first.
    fn names(&self) -> Vec<Vec<u8>> {
        let mut long = self.long_offsets.iter().enumerate();
        let leaf = (self.leaf != LONG).then_some(self.leaf);
        self.keys
            .iter()
            .chain(leaf.iter())
            .map(|&k| {
                if k != LONG {
                    return key_bytes(k);
                }
                match long.next() {
                    Some((n, &start)) => {
                        let end = self
                            .long_offsets
                            .get(n + 1)
                            .copied()
                            .unwrap_or(self.long_names.len());
                        self.long_names[start..end].to_vec()
                    }
                    None => Vec::new(),
                }
            })
            .collect()
    }

    /// The current element path with indexes on repeated containers.
    fn xml_path(&self) -> String {
        let mut out = String::new();
        for (n, name) in self.names().iter().enumerate() {
            out.push('/');
            out.push_str(&String::from_utf8_lossy(name));
            let index = match self.states.get(n).copied().unwrap_or(st::OUT) {
                st::S => Some(self.stmt_index),
                st::N => Some(self.ntry_index),
                st::T => Some(self.tx_index),
                st::B => Some(self.bal_index),
                _ => None,
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

    #[cold]
    fn err(&self, message: impl Into<String>) -> ParseError {
        let field = self
            .names()
            .last()
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default();
        ParseError {
            position: Position::XmlPath(self.xml_path()),
            field,
            message: message.into(),
        }
    }

    fn next_statement(&mut self) -> Result<Option<Statement>, ParseError> {
        loop {
            if self.xml.started {
                self.fast()?;
                if let Some(s) = self.finished.take() {
                    return Ok(Some(s));
                }
            }
            let tok = match self.xml.next() {
                Ok(t) => t,
                Err(e) => return Err(self.err(format!("malformed XML: {e}"))),
            };
            match tok {
                Tok::Start { empty: true, .. } => {}
                Tok::Start {
                    name, local, attrs, ..
                } => {
                    let local = local..name.end;
                    let key = self.xml.key(local.clone());
                    if key == LONG {
                        self.long_offsets.push(self.long_names.len());
                        let name = self.xml.bytes(local);
                        self.long_names.extend_from_slice(name);
                    }
                    let parent = self.states.last().copied().unwrap_or(st::OUT);
                    let state = st::child(parent, key, self.keys.len() + 1);
                    if has_colon(key) {
                        self.colons += 1;
                    }
                    self.start(key, state, attrs)?;
                }
                Tok::Text(r) => {
                    if self.states.last().is_some_and(|&s| st::field(s)) {
                        if self.mode == Text::None {
                            self.raw.clear();
                            self.raw.extend_from_slice(self.xml.bytes(r));
                            self.mode = Text::Raw;
                        } else {
                            self.decoded()?;
                            let raw = std::mem::take(&mut self.raw);
                            self.raw.extend_from_slice(self.xml.bytes(r));
                            let r = self.push_text();
                            self.raw = raw;
                            r?;
                        }
                    }
                }
                Tok::CData(r) => {
                    if self.states.last().is_some_and(|&s| st::field(s)) {
                        self.decoded()?;
                        decode_line(self.xml.bytes(r), &mut self.text);
                    }
                }
                Tok::End { name, local } => {
                    let local = local..name.end;
                    let key = self.xml.key(local.clone());
                    let open = self.keys.last().copied();
                    let matches = open == Some(key)
                        && (key != LONG
                            || self.long_offsets.last().map(|&s| &self.long_names[s..])
                                == Some(self.xml.bytes(local.clone())));
                    if !matches {
                        let name = self.xml.bytes(local);
                        let m = match self.names().last() {
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
                    if has_colon(key) {
                        self.colons -= 1;
                    }
                    self.end()?;
                    if let Some(s) = self.finished.take() {
                        return Ok(Some(s));
                    }
                }
                Tok::Eof => {
                    if !self.keys.is_empty() {
                        return Err(self.err("unexpected end of file: element not closed"));
                    }
                    return Ok(None);
                }
            }
        }
    }

    /// Reads the commonest tokens straight from the tokenizer's buffer,
    /// as [`Scanner::next`] would give them: `<Name>` and
    /// `<Name Ccy="XYZ">` (no prefix, names of up to 15 bytes), `</Name>`
    /// closing the innermost element by its key, `<Name/>`, whitespace
    /// between tags, and a leaf `<Name>text</Name>` in one step. Returns at
    /// anything else (text beside child elements, prefixes, comments, long
    /// names, a token the buffer cuts, malformed markup), which the
    /// tokenizer then reads, or when a statement is finished.
    fn fast(&mut self) -> Result<(), ParseError> {
        let r = self.fast_loop();
        // What the tokenizer reads next is not recorded.
        self.rec = None;
        self.fresh = false;
        r
    }

    fn fast_loop(&mut self) -> Result<(), ParseError> {
        loop {
            let b = &self.xml.buf[..self.xml.len];
            let mut p = self.xml.pos;
            // Whitespace-only text is no token.
            while p < b.len() && is_space(b[p]) {
                p += 1;
            }
            self.xml.pos = p;
            if b.get(p) != Some(&b'<') {
                return Ok(());
            }
            let Some(&c) = b.get(p + 1) else {
                return Ok(());
            };
            if c == b'/' {
                // The end tag of the innermost element, without a prefix
                // or with the one the fast path knows.
                let top = match self.keys.last() {
                    Some(&k) if k != LONG => k,
                    _ => return Ok(()),
                };
                let n = (top >> 120) as usize;
                let Some(mut w) = load16(b, p + 2) else {
                    return Ok(());
                };
                let mut p = p;
                if self.prefix_len != 0 && (w ^ self.prefix) & KEY_MASK[self.prefix_len] == 0 {
                    p += self.prefix_len;
                    let Some(x) = load16(b, p + 2) else {
                        return Ok(());
                    };
                    w = x;
                }
                // A local name with a `:` (`<a:b:Name>`) would match the
                // whole end tag's name instead of its local part: with one
                // open, end tags go the general way.
                if w & KEY_MASK[n] != top & KEY_MASK[n]
                    || b.get(p + 2 + n) != Some(&b'>')
                    || self.colons != 0
                {
                    return Ok(());
                }
                self.xml.pos = p + 3 + n;
                let state = self.states.last().copied().unwrap_or(st::OUT);
                let other = st::KIND[usize::from(state & 127)] == st::OTHER;
                self.fresh = false;
                if let Some(r) = self.rec.as_mut() {
                    let d = self.keys.len();
                    if d <= r.min_depth {
                        r.expect.push((top, state));
                        r.min_depth = d - 1;
                    }
                    r.ops.push(if other { Op::Pop } else { Op::End });
                    if r.ops.len() > MAX_SEGMENT_OPS {
                        self.rec = None;
                    }
                }
                if other {
                    self.keys.pop();
                    self.states.pop();
                    self.mode = Text::None;
                    continue;
                }
                self.end()?;
                if self.finished.is_some() {
                    return Ok(());
                }
                continue;
            }
            if !c.is_ascii_alphabetic() {
                return Ok(());
            }
            let parent = self.states.last().copied().unwrap_or(st::OUT);
            let Some(t) = load16(b, p) else {
                return Ok(());
            };
            // A start tag read before in the same parent state: its bytes,
            // from `<` to `>` (at most 16), say all the rest.
            let set = tag_slot(t, parent) & !1;
            let hit = |e: &TagEntry| {
                e.len != 0 && e.parent == parent && (t ^ e.bytes) & TAG_MASK[e.len] == 0
            };
            let e = if hit(&self.tags[set]) {
                Some(self.tags[set])
            } else if hit(&self.tags[set + 1]) {
                Some(self.tags[set + 1])
            } else {
                None
            };
            let (n, key, state, attrs, after) = if let Some(e) = e {
                let n = usize::from(e.n);
                let after = p + e.len;
                let i = p + 1 + n;
                (n, e.key, e.state, i..after - 1, after)
            } else {
                // The name: up to the first byte that may end it,
                // within 16 bytes, after the prefix the fast path knows
                // (any other `:` ends the fast path, and the first prefix
                // seen becomes the one it knows).
                let mut from = p + 1;
                if self.prefix_len != 0 && (t >> 8 ^ self.prefix) & KEY_MASK[self.prefix_len] == 0 {
                    from += self.prefix_len;
                }
                let Some(w) = load16(b, from) else {
                    return Ok(());
                };
                let stops = name_stops(w as u64);
                let n = if stops != 0 {
                    (stops.trailing_zeros() / 8) as usize
                } else {
                    let stops = name_stops((w >> 64) as u64);
                    if stops == 0 {
                        return Ok(());
                    }
                    8 + (stops.trailing_zeros() / 8) as usize
                };
                if n > 15 {
                    return Ok(());
                }
                let i = from + n;
                if b[i] == b':' {
                    if self.prefix_len == 0 && from == p + 1 && n < 15 {
                        self.prefix_len = n + 1;
                        self.prefix = w & KEY_MASK[n + 1];
                    }
                    return Ok(());
                }
                let key = (w & KEY_MASK[n]) | ((n as u128) << 120);
                // From here on `n` counts the prefix too.
                let n = i - (p + 1);
                let (attrs, after) = match b[i] {
                    b'>' => (i..i, i + 1),
                    b'/' if b.get(i + 1) == Some(&b'>') => {
                        // An empty element reads as nothing.
                        self.xml.pos = i + 2;
                        continue;
                    }
                    b' ' => match b.get(i..i + 11) {
                        Some(a) if a.starts_with(b" Ccy=\"") && a[9] == b'"' && a[10] == b'>' => {
                            (i..i + 10, i + 11)
                        }
                        _ => return Ok(()),
                    },
                    _ => return Ok(()),
                };
                let state = st::child(parent, key, self.keys.len() + 1);
                // A statement's state depends on the depth too.
                if parent != st::OUT && after - p <= 16 {
                    // Two ways per set, the newer first.
                    self.tags[set + 1] = self.tags[set];
                    self.tags[set] = TagEntry {
                        bytes: t & TAG_MASK[after - p],
                        key,
                        len: after - p,
                        n: n as u8,
                        state,
                        parent,
                    };
                }
                (n, key, state, attrs, after)
            };
            // A leaf: text without markup, then its own end tag (the same
            // name, prefix and all).
            if let Some(lt) = find(&b[after..], b'<').map(|q| after + q) {
                let gt = lt + 2 + n;
                if n <= 15
                    && b.get(gt) == Some(&b'>')
                    && b[lt + 1] == b'/'
                    && load16(b, lt + 2).is_some_and(|e| (e ^ (t >> 8)) & KEY_MASK[n] == 0)
                {
                    let mut start = after;
                    let mut end = lt;
                    while start < end && is_space(b[start]) {
                        start += 1;
                    }
                    while end > start && is_space(b[end - 1]) {
                        end -= 1;
                    }
                    self.xml.pos = gt + 1;
                    let kind = st::KIND[usize::from(state & 127)];
                    if kind == st::FIELD && start < end {
                        self.leaf_field(key, state, attrs, start..end)?;
                    } else if kind != st::CONTAINER && key != k::Amt {
                        // Opens and closes with nothing read.
                        self.ccy = None;
                        self.mode = Text::None;
                    } else {
                        // Not in a segment.
                        self.rec = None;
                        self.fresh = false;
                        self.leaf(key, state, attrs, start..end)?;
                        if self.finished.is_some() {
                            return Ok(());
                        }
                        continue;
                    }
                    // The segment that ends with this leaf's start tag
                    // has been recorded; the one after its text may have
                    // been read before.
                    if let Some(r) = self.rec.take() {
                        let tail = Tail {
                            key,
                            state,
                            ccy: self.ccy,
                            len: after - p,
                        };
                        self.finish_segment(r, after, tail);
                    }
                    if !self.segments_pay() {
                        continue;
                    }
                    if let Some(id) = self.match_segment(lt) {
                        self.replay(id, lt)?;
                        continue;
                    }
                    self.rec = Some(Recording {
                        start: lt,
                        ops: Vec::new(),
                        depth: self.keys.len(),
                        min_depth: self.keys.len(),
                        expect: Vec::new(),
                        prev: self.cur,
                        prev_fresh: self.fresh,
                    });
                    continue;
                }
            }
            self.xml.pos = after;
            self.fresh = false;
            self.start(key, state, attrs)?;
            if let Some(r) = self.rec.as_mut() {
                r.ops.push(Op::Start {
                    key,
                    state,
                    ccy: self.ccy,
                    container: st::KIND[usize::from(state & 127)] == st::CONTAINER,
                });
                if r.ops.len() > MAX_SEGMENT_OPS {
                    self.rec = None;
                }
            }
        }
    }

    /// Keeps a recorded segment that ends with the start tag of a leaf
    /// (`tail`, ending at `end` in the buffer), or finds the same one kept
    /// before; it becomes the current one.
    #[cold]
    fn finish_segment(&mut self, r: Recording, end: usize, tail: Tail) {
        let mut expect = r.expect;
        if r.min_depth > 0 {
            let i = r.min_depth - 1;
            expect.push((self.keys[i], self.states[i]));
        }
        let bytes = &self.xml.buf[r.start..end];
        let Some(bucket) = segment_bucket(bytes, 0, r.depth) else {
            self.cur = NO_SEGMENT;
            self.fresh = false;
            return;
        };
        let found = self.buckets[bucket].iter().copied().find(|&i| {
            let s = &self.segments[i as usize];
            s.depth == r.depth
                && s.bytes == bytes
                && s.expect == expect
                && s.tail == tail
                && self.seg_ops[s.ops.clone()] == r.ops[..]
        });
        let id = match found {
            Some(i) => i,
            None if self.segments.len() < MAX_SEGMENTS && bytes.len() <= MAX_SEGMENT_BYTES => {
                self.buckets[bucket].push(self.segments.len() as u32);
                let start = self.seg_ops.len();
                self.seg_ops.extend_from_slice(&r.ops);
                self.segments.push(Segment {
                    bytes: bytes.to_vec(),
                    ops: start..self.seg_ops.len(),
                    depth: r.depth,
                    low: r.depth - expect.len(),
                    expect,
                    tail,
                    next: Vec::new(),
                });
                (self.segments.len() - 1) as u32
            }
            None => {
                self.cur = NO_SEGMENT;
                self.fresh = false;
                return;
            }
        };
        self.cur = r.prev;
        self.fresh = r.prev_fresh;
        self.link(id);
        self.cur = id;
        self.fresh = true;
    }

    /// A kept segment that starts at `at` in the buffer with the open
    /// elements it expects: first those read after the current one (any
    /// other found becomes one of them).
    #[inline(always)]
    fn match_segment(&mut self, at: usize) -> Option<u32> {
        if self.colons != 0 {
            return None;
        }
        if let Some(c) = self.segments.get(self.cur as usize) {
            for &(id, implied) in &c.next {
                let s = &self.segments[id as usize];
                let ok = if implied && self.fresh {
                    same_bytes(&self.xml.buf[..self.xml.len], at, &s.bytes)
                } else {
                    self.fits(s, at)
                };
                if ok {
                    return Some(id);
                }
            }
        }
        self.scan_segments(at)
    }

    /// Makes segment `id` one read after the current one.
    fn link(&mut self, id: u32) {
        let low = self.segments.get(id as usize).map_or(0, |s| s.low);
        let fresh = self.fresh;
        if let Some(c) = self.segments.get_mut(self.cur as usize) {
            if !c.next.iter().any(|&(n, _)| n == id) && c.next.len() < 4 {
                c.next.push((id, fresh && low >= c.low));
            }
        }
    }

    /// [`CamtReader::match_segment`] among all segments; one found becomes
    /// one read after the current one.
    #[cold]
    fn scan_segments(&mut self, at: usize) -> Option<u32> {
        let found =
            segment_bucket(&self.xml.buf[..self.xml.len], at, self.keys.len()).and_then(|k| {
                self.buckets[k]
                    .iter()
                    .copied()
                    .find(|&i| self.fits(&self.segments[i as usize], at))
            });
        self.seg_scans += 1;
        let id = found?;
        self.link(id);
        Some(id)
    }

    /// Whether looking for and recording segments still pays: in a file
    /// whose markup does not repeat (or not in the same order), segments
    /// are searched for more than replayed, and after a few hundred
    /// searches more than an eighth of the segments replayed the fast path
    /// reads on alone.
    #[inline]
    fn segments_pay(&self) -> bool {
        self.seg_scans <= 256 + self.seg_replayed / 8
    }

    /// Whether segment `s` starts at `at` with the open elements it expects.
    #[inline(always)]
    fn fits(&self, s: &Segment, at: usize) -> bool {
        let (keys, states) = (&self.keys[..], &self.states[..]);
        let d = keys.len();
        if s.depth != d || states.len() != d || s.expect.len() > d {
            return false;
        }
        if !same_bytes(&self.xml.buf[..self.xml.len], at, &s.bytes) {
            return false;
        }
        let mut i = d;
        for &(k, st) in &s.expect {
            i -= 1;
            if keys[i] != k || states[i] != st {
                return false;
            }
        }
        true
    }

    /// Reads segment `id`, matched at `at`, and those that follow, leaf by
    /// leaf, until one does not match; the leaf before it is then left to
    /// the fast path (which reads the same).
    fn replay(&mut self, mut id: u32, mut at: usize) -> Result<(), ParseError> {
        loop {
            let s = &self.segments[id as usize];
            let tail = s.tail;
            let after = at + s.bytes.len();
            for i in s.ops.clone() {
                match self.seg_ops[i] {
                    Op::Start {
                        key,
                        state,
                        ccy,
                        container,
                    } => {
                        self.keys.push(key);
                        self.states.push(state);
                        self.ccy = ccy;
                        self.mode = Text::None;
                        if container {
                            self.open(state);
                        }
                    }
                    Op::Pop => {
                        self.keys.pop();
                        self.states.pop();
                        self.mode = Text::None;
                    }
                    Op::End => self.end()?,
                }
            }
            self.cur = id;
            self.fresh = true;
            self.seg_replayed += 1;
            // The tail leaf's text, and the segment after it.
            let lt = text_end(&self.xml.buf[..self.xml.len], after);
            let Some(((lt, plain), n)) =
                lt.and_then(|lt| self.match_segment(lt.0).map(|n| (lt, n)))
            else {
                // The fast path reads the leaf.
                self.xml.pos = after - tail.len;
                return Ok(());
            };
            let b = &self.xml.buf[..self.xml.len];
            let mut start = after;
            let mut end = lt;
            while start < end && is_space(b[start]) {
                start += 1;
            }
            while end > start && is_space(b[end - 1]) {
                end -= 1;
            }
            self.xml.pos = lt;
            if st::KIND[usize::from(tail.state & 127)] == st::FIELD && start < end {
                self.leaf = tail.key;
                self.ccy = tail.ccy;
                // Whitespace around the text is not plain, inside it.
                let plain = plain || plain_in(&self.xml.buf, start..end);
                self.span = start..end;
                self.mode = Text::Buf;
                if !plain {
                    self.decoded()?;
                }
                self.close(tail.state)?;
                self.leaf = LONG;
            } else {
                self.ccy = tail.ccy;
            }
            self.mode = Text::None;
            id = n;
            at = lt;
        }
    }

    /// A start tag: the element with the local name's `key` (its bytes
    /// already in `long_names` if it is [`LONG`]) opens in `state`.
    #[inline(always)]
    fn start(
        &mut self,
        key: u128,
        state: u8,
        attrs: std::ops::Range<usize>,
    ) -> Result<(), ParseError> {
        self.keys.push(key);
        self.states.push(state);
        self.ccy = None;
        if key == k::Amt && !attrs.is_empty() {
            self.currency_attribute(attrs)?;
        }
        self.mode = Text::None;
        if st::container(state) {
            self.open(state);
        }
        Ok(())
    }

    /// A field without children, `<name attrs>text</name>` (`text` trimmed,
    /// not empty), read in one step: [`CamtReader::leaf`] for the common case.
    #[inline(always)]
    fn leaf_field(
        &mut self,
        key: u128,
        state: u8,
        attrs: std::ops::Range<usize>,
        text: std::ops::Range<usize>,
    ) -> Result<(), ParseError> {
        // Named last in the path of an error, as if pushed.
        self.leaf = key;
        self.ccy = None;
        if key == k::Amt && !attrs.is_empty() {
            self.currency_attribute(attrs)?;
        }
        let plain = plain_in(&self.xml.buf, text.clone());
        self.span = text;
        self.mode = Text::Buf;
        if !plain {
            self.decoded()?;
        }
        self.close(state)?;
        self.leaf = LONG;
        self.mode = Text::None;
        Ok(())
    }

    /// An element without children (`<name attrs>text</name>`, `text`
    /// trimmed and possibly empty) read in one step: what its start tag,
    /// text and end tag would do. Its name is no [`LONG`] one.
    #[inline]
    fn leaf(
        &mut self,
        key: u128,
        state: u8,
        attrs: std::ops::Range<usize>,
        text: std::ops::Range<usize>,
    ) -> Result<(), ParseError> {
        let field = st::field(state) && !text.is_empty();
        if !field && !st::container(state) && key != k::Amt {
            self.ccy = None;
            self.mode = Text::None;
            return Ok(());
        }
        self.start(key, state, attrs)?;
        if field {
            self.span = text;
            self.mode = Text::Buf;
        }
        self.end()
    }

    /// The innermost open element ends.
    #[inline]
    fn end(&mut self) -> Result<(), ParseError> {
        let state = self.states.last().copied().unwrap_or(st::OUT);
        if st::container(state) {
            self.close(state)?;
        } else if st::field(state) && self.has_text() {
            if matches!(self.mode, Text::Raw | Text::Buf) && !plain(self.raw()) {
                self.decoded()?;
            }
            self.close(state)?;
        }
        if self.keys.pop() == Some(LONG) {
            if let Some(start) = self.long_offsets.pop() {
                self.long_names.truncate(start);
            }
        }
        self.states.pop();
        self.mode = Text::None;
        Ok(())
    }

    fn has_text(&self) -> bool {
        match self.mode {
            Text::None => false,
            Text::Raw | Text::Buf => true,
            Text::Decoded => !self.text.is_empty(),
        }
    }

    /// Moves the text to `text`, decoded.
    fn decoded(&mut self) -> Result<(), ParseError> {
        match self.mode {
            Text::None => self.text.clear(),
            Text::Raw => {
                self.text.clear();
                self.push_text()?;
            }
            Text::Buf => {
                self.raw.clear();
                self.raw
                    .extend_from_slice(self.xml.bytes(self.span.clone()));
                self.text.clear();
                self.push_text()?;
            }
            Text::Decoded => {}
        }
        self.mode = Text::Decoded;
        Ok(())
    }

    /// The raw text (for [`Text::Raw`] and [`Text::Buf`]).
    #[inline]
    fn raw(&self) -> &[u8] {
        match self.mode {
            Text::Buf => self.xml.bytes(self.span.clone()),
            _ => &self.raw,
        }
    }

    /// The trimmed text of a field: raw only when [`plain`].
    fn value(&self) -> &str {
        match self.mode {
            Text::Raw | Text::Buf => std::str::from_utf8(self.raw()).unwrap_or(""),
            _ => self.text.trim(),
        }
    }

    /// [`CamtReader::value`] as bytes (no UTF-8 check for raw text).
    fn value_bytes(&self) -> &[u8] {
        match self.mode {
            Text::Raw | Text::Buf => self.raw(),
            _ => self.text.trim().as_bytes(),
        }
    }

    /// Reads the `Ccy` attribute of an `Amt` into `ccy`.
    #[inline(always)]
    fn currency_attribute(&mut self, attrs: std::ops::Range<usize>) -> Result<(), ParseError> {
        // ` Ccy="EUR"`, as nearly every file writes it, the same as last time.
        if let (Some((last, c)), [b' ', b'C', b'c', b'y', b'=', b'"', c0, c1, c2, b'"']) =
            (self.last_ccy, self.xml.bytes(attrs.clone()))
        {
            if last == [*c0, *c1, *c2] {
                self.ccy = Some(c);
                return Ok(());
            }
        }
        self.currency_attribute_slow(attrs)
    }

    #[cold]
    fn currency_attribute_slow(&mut self, attrs: std::ops::Range<usize>) -> Result<(), ParseError> {
        let a = self.xml.bytes(attrs);
        if let [b' ', b'C', b'c', b'y', b'=', b'"', c0, c1, c2, b'"'] = *a {
            let code = [c0, c1, c2];
            if let Ok(Ok(c)) = std::str::from_utf8(&code).map(Currency::new) {
                self.last_ccy = Some((code, c));
                self.ccy = Some(c);
                return Ok(());
            }
        }
        match attribute(a, b"Ccy") {
            Ok(None) => Ok(()),
            Ok(Some(v)) => {
                let v = std::str::from_utf8(v).unwrap_or("");
                match Currency::new(v) {
                    Ok(c) => {
                        self.ccy = Some(c);
                        Ok(())
                    }
                    Err(_) => Err(self.err(format!("invalid currency {v:?} in the Ccy attribute"))),
                }
            }
            Err(e) => Err(self.err(format!("malformed XML: {e}"))),
        }
    }

    /// Decodes `raw` onto `text`: UTF-8 or cp1252, entities expanded.
    fn push_text(&mut self) -> Result<(), ParseError> {
        if let Ok(s) = std::str::from_utf8(&self.raw) {
            if !s.contains('&') {
                self.text.push_str(s);
                return Ok(());
            }
        }
        let mut decoded = String::new();
        decode_line(&self.raw, &mut decoded);
        match quick_xml::escape::unescape(&decoded) {
            Ok(s) => self.text.push_str(&s),
            Err(e) => return Err(self.err(format!("bad character reference: {e}"))),
        }
        Ok(())
    }

    fn open(&mut self, state: u8) {
        match state {
            st::S => {
                self.stmt_index += 1;
                self.ntry_index = 0;
                self.bal_index = 0;
                self.stmt = Stmt {
                    transactions: std::mem::take(&mut self.next_transactions),
                    ..Stmt::default()
                };
            }
            st::N => {
                self.ntry_index += 1;
                self.tx_index = 0;
                self.ntry = Ntry {
                    txs: std::mem::take(&mut self.spare_txs),
                    ..Ntry::default()
                };
            }
            st::T => {
                self.tx_index += 1;
                self.tx = Tx::default();
            }
            st::B => {
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
        let exp = match self.exponent.get() {
            Some((c, e)) if c == ccy => e,
            _ => {
                let e = ccy.exponent();
                self.exponent.set(Some((ccy, e)));
                e
            }
        };
        let b = self.value_bytes();
        match exact_amount(b, ccy, exp) {
            Some(m) => Ok(m),
            None => parse_amount(b, ccy).map_err(|m| self.err(m)),
        }
    }

    fn date(&self) -> Result<Date, ParseError> {
        let b = self.value_bytes();
        // `YYYY-MM-DD`, the only form camt uses, without the general parser.
        if b.len() >= 10
            && b[4] == b'-'
            && b[7] == b'-'
            && [0, 1, 2, 3, 5, 6, 8, 9]
                .iter()
                .all(|&i| b[i].is_ascii_digit())
        {
            let n = |r: std::ops::Range<usize>| {
                b[r].iter().fold(0i16, |n, &c| n * 10 + i16::from(c - b'0'))
            };
            if let Ok(d) = Date::new(n(0..4), n(5..7) as i8, n(8..10) as i8) {
                return Ok(d);
            }
        }
        let t = self.value();
        t.get(..10)
            .and_then(|d| d.parse::<Date>().ok())
            .ok_or_else(|| self.err(format!("invalid date {t:?}")))
    }

    fn indicator(&self) -> Result<bool, ParseError> {
        match self.value_bytes() {
            b"DBIT" => Ok(true),
            b"CRDT" => Ok(false),
            _ => Err(self.err(format!("expected CRDT or DBIT, found {:?}", self.value()))),
        }
    }

    /// The field's text as a string of its own (recycled if the pool has
    /// one), `None` when empty.
    fn owned(&mut self) -> Option<String> {
        let Some(mut s) = self.pool.pop() else {
            let t = self.value();
            return (!t.is_empty()).then(|| t.to_owned());
        };
        s.push_str(self.value());
        if s.is_empty() {
            self.pool.put(s);
            None
        } else {
            Some(s)
        }
    }

    /// Handles the end of the innermost element, a container or a field
    /// with text. A finished statement goes to `self.finished` (returning
    /// it here would copy a large `Result` on every end tag).
    fn close(&mut self, state: u8) -> Result<(), ParseError> {
        use st::*;
        match state {
            T => {
                let tx = std::mem::take(&mut self.tx);
                self.ntry.txs.push(tx);
            }
            T_AMT => self.tx.amount = Some(self.amount()?),
            T_TXAMT_AMT => self.tx.tx_amount = Some(self.amount()?),
            T_CDI => self.tx.debit = Some(self.indicator()?),
            T_E2E => self.tx.end_to_end = self.owned(),
            T_ACCTSVCRREF => self.tx.acct_svcr_ref = self.owned(),
            T_TXID => self.tx.tx_id = self.owned(),
            T_USTRD => {
                if !self.tx.ustrd.is_empty() {
                    self.tx.ustrd.push(' ');
                }
                let mut u = std::mem::take(&mut self.tx.ustrd);
                if u.capacity() == 0 {
                    u = self.pool.empty();
                }
                u.push_str(self.value());
                self.tx.ustrd = u;
            }
            T_STRD_REF => self.tx.strd_ref = self.owned(),
            T_CDTR_NM => self.tx.creditor = self.owned(),
            T_DBTR_NM => self.tx.debtor = self.owned(),
            T_CDTR_IBAN => self.tx.creditor_account = self.owned(),
            T_DBTR_IBAN => self.tx.debtor_account = self.owned(),
            T_ADDTL => self.tx.additional = self.owned(),
            N => self.finish_entry()?,
            N_AMT => self.ntry.amount = Some(self.amount()?),
            N_CDI => self.ntry.debit = Some(self.indicator()?),
            N_RVSL => self.ntry.reversal = matches!(self.value(), "true" | "1"),
            N_BOOKG_DT => self.ntry.booking = Some(self.date()?),
            N_VAL_DT => self.ntry.value = Some(self.date()?),
            N_NTRYREF => self.ntry.entry_ref = self.owned(),
            N_ACCTSVCRREF => self.ntry.acct_svcr_ref = self.owned(),
            N_DOMN_CD => self.set_bank_code(0),
            N_FMLY_CD => self.set_bank_code(1),
            N_SUBFMLY => self.set_bank_code(2),
            N_PRTRY_CD => self.ntry.proprietary = self.owned(),
            N_ADDTL => self.ntry.additional = self.owned(),
            N_CHRGS_AMT => {
                let m = self.amount()?;
                self.ntry.charges.push(m);
            }
            B => self.finish_balance()?,
            B_CODE => self.bal.code = self.owned(),
            B_AMT => self.bal.amount = Some(self.amount()?),
            B_CDI => self.bal.debit = self.indicator()?,
            B_DATE => self.bal.date = Some(self.date()?),
            S => {
                let r = self.finish_statement();
                self.finished = Some(r?);
            }
            S_ID => self.stmt.id = self.owned(),
            S_SEQ if self.stmt.sequence.is_none() => {
                self.stmt.sequence = Some(self.value().to_owned());
            }
            S_IBAN => self.stmt.iban = self.owned(),
            S_OTHR_ID => self.stmt.other_id = self.owned(),
            S_CCY => {
                let c = Currency::new(self.value())
                    .map_err(|_| self.err("invalid account currency"))?;
                self.stmt.currency = Some(c);
            }
            S_INFO => self.stmt.information = self.owned(),
            _ => {}
        }
        Ok(())
    }

    fn set_bank_code(&mut self, part: usize) {
        let mut c = std::mem::take(&mut self.bank_code[part]);
        // The bytes of `value()` (raw text here is plain).
        let t = self.value_bytes();
        if !t.is_empty() {
            c.clear();
            c.extend_from_slice(t);
            self.ntry.bank_code[part] = true;
        }
        self.bank_code[part] = c;
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
            let len = d.len() + f.len() + s.len() + 2;
            let mut c = match self.pool.pop() {
                Some(c) => c.into_bytes(),
                None => Vec::with_capacity(len),
            };
            c.reserve(len);
            c.extend_from_slice(d);
            c.push(b'/');
            c.extend_from_slice(f);
            c.push(b'/');
            c.extend_from_slice(s);
            // Each part is text, so the whole is.
            String::from_utf8(c).ok()
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
        // Allocated now, not when the next statement starts: by then the
        // caller has most likely freed this one's strings, and a large
        // allocation would make the allocator sort them all first.
        self.next_transactions = self.pool.entries(s.transactions.len());
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
