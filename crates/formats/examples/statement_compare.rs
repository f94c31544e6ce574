//! The Rust side of `benches/compare/run.sh` (anumati against the Python
//! statement parsers): writes the input files and times parsing them.
//!
//! ```text
//! cargo run --release -p anumati-formats --example statement_compare -- gen FORMAT N FILE [PER_STATEMENT]
//! cargo run --release -p anumati-formats --example statement_compare -- parse FORMAT FILE
//! ```
//!
//! FORMAT is `mt940`, `camt053` or `ofx` (OFX 1.02 SGML, as banks serve
//! it). `gen` writes N entries in statements of 1,000 (or PER_STATEMENT),
//! the same pseudo-random amounts for every format (about 1 in 97 MT940
//! entries is a reversal, `RC`/`RD`). `parse` reads the whole file and parses it with
//! [`anumati_formats::parse_bytes`] (what `anumati statement parse` calls),
//! timing read plus parse, then prints one JSON line: entries, the sum of
//! the signed amounts, the amounts of the first, middle and last entry, and
//! the seconds; the Python side (`benches/compare/parse.py`) prints the same.

use std::io::{BufWriter, Write};
use std::time::Instant;

use anumati_domain::{Currency, Money};
use anumati_formats::{Balance, Entry, Format, Options, Statement};
use jiff::civil::Date;

const IBAN: &str = "DE89370400440532013000";
const COUNTERPARTY: &str = "Stadtwerke Musterstadt GmbH";
const COUNTERPARTY_IBAN: &str = "DE02120300000000202051";
const OPENING: i64 = 1_000_000;

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// One generated entry: the signed amount in cents and the random word the
/// references and texts are made from.
struct Gen {
    minor: i64,
    r: u64,
}

/// The statements of `n` entries, `per` each, identical for every format.
fn statements(n: usize, per: usize) -> impl Iterator<Item = (usize, Vec<Gen>)> {
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut written = 0;
    let mut seq = 0;
    std::iter::from_fn(move || {
        if written >= n {
            return None;
        }
        let count = per.min(n - written);
        written += count;
        seq += 1;
        let entries = (0..count)
            .map(|_| {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                Gen {
                    minor: (rng % 500_000) as i64 - 250_000,
                    r: rng,
                }
            })
            .collect();
        Some((seq, entries))
    })
}

fn money(minor: i64) -> String {
    format!("{}.{:02}", minor.abs() / 100, minor.abs() % 100)
}

fn gen_mt940(out: &mut impl Write, n: usize, per: usize) -> Result<()> {
    let date = Date::constant(2024, 3, 15);
    let eur = |minor| Money::from_minor(minor, Currency::EUR);
    for (seq, entries) in statements(n, per) {
        let mut balance = OPENING;
        let transactions = entries
            .iter()
            .enumerate()
            .map(|(i, &Gen { minor, r })| {
                balance += minor;
                Entry {
                    booking_date: date,
                    value_date: date,
                    amount: eur(minor),
                    reversal: r % 97 == 0,
                    reference: Some(format!("E2E-{seq}-{i}")),
                    bank_reference: Some(format!("B{r:x}").chars().take(16).collect()),
                    transaction_code: Some("NTRF".to_owned()),
                    description: format!("Rechnung {r} Kundennummer {} Danke", r % 10_000),
                    counterparty: Some(COUNTERPARTY.to_owned()),
                    counterparty_account: Some(COUNTERPARTY_IBAN.to_owned()),
                    supplementary: None,
                    details: Vec::new(),
                }
            })
            .collect();
        let statement = Statement {
            account: IBAN.to_owned(),
            currency: Currency::EUR,
            reference: Some(format!("STMT{seq}")),
            sequence: Some(format!("{seq}/1")),
            opening_balance: Some(Balance {
                amount: eur(OPENING),
                date,
            }),
            closing_balance: Some(Balance {
                amount: eur(balance),
                date,
            }),
            available_balance: None,
            forward_balances: Vec::new(),
            information: None,
            transactions,
        };
        anumati_formats::mt940::write(out, std::slice::from_ref(&statement))?;
    }
    Ok(())
}

fn camt_balance(out: &mut impl Write, code: &str, minor: i64) -> Result<()> {
    writeln!(
        out,
        "<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{}</Amt><CdtDbtInd>{}</CdtDbtInd><Dt><Dt>2024-03-15</Dt></Dt></Bal>",
        money(minor),
        if minor < 0 { "DBIT" } else { "CRDT" }
    )?;
    Ok(())
}

/// The same entries as `camt_throughput` writes: one `TxDtls` each.
fn gen_camt053(out: &mut impl Write, n: usize, per: usize) -> Result<()> {
    writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.053.001.08\"><BkToCstmrStmt><GrpHdr><MsgId>BENCH</MsgId><CreDtTm>2024-03-15T00:00:00Z</CreDtTm></GrpHdr>")?;
    for (seq, entries) in statements(n, per) {
        let closing = OPENING + entries.iter().map(|e| e.minor).sum::<i64>();
        writeln!(out, "<Stmt><Id>STMT{seq}</Id><ElctrncSeqNb>{seq}</ElctrncSeqNb><Acct><Id><IBAN>{IBAN}</IBAN></Id><Ccy>EUR</Ccy></Acct>")?;
        camt_balance(out, "OPBD", OPENING)?;
        camt_balance(out, "CLBD", closing)?;
        for (i, &Gen { minor, r }) in entries.iter().enumerate() {
            let ind = if minor < 0 { "DBIT" } else { "CRDT" };
            let (party, acct) = if minor < 0 {
                ("Cdtr", "CdtrAcct")
            } else {
                ("Dbtr", "DbtrAcct")
            };
            write!(
                out,
                "<Ntry><Amt Ccy=\"EUR\">{amt}</Amt><CdtDbtInd>{ind}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2024-03-15</Dt></BookgDt><ValDt><Dt>2024-03-15</Dt></ValDt><AcctSvcrRef>B{r:x}</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>\n<NtryDtls><TxDtls><Refs><EndToEndId>E2E-{seq}-{i}</EndToEndId></Refs><Amt Ccy=\"EUR\">{amt}</Amt><CdtDbtInd>{ind}</CdtDbtInd><RltdPties><{party}><Pty><Nm>{COUNTERPARTY}</Nm></Pty></{party}><{acct}><Id><IBAN>{COUNTERPARTY_IBAN}</IBAN></Id></{acct}></RltdPties><RmtInf><Ustrd>Rechnung {r} Kundennummer {k} Danke</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n",
                amt = money(minor),
                k = r % 10_000
            )?;
        }
        writeln!(out, "</Stmt>")?;
    }
    writeln!(out, "</BkToCstmrStmt></Document>")?;
    Ok(())
}

/// OFX 1.02 (SGML: leaves without end tags), one `STMTTRNRS` per statement.
fn gen_ofx(out: &mut impl Write, n: usize, per: usize) -> Result<()> {
    write!(
        out,
        "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\nCHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n"
    )?;
    write!(
        out,
        "<OFX>\r\n<SIGNONMSGSRSV1>\r\n<SONRS>\r\n<STATUS>\r\n<CODE>0\r\n<SEVERITY>INFO\r\n</STATUS>\r\n<DTSERVER>20240315120000\r\n<LANGUAGE>ENG\r\n</SONRS>\r\n</SIGNONMSGSRSV1>\r\n<BANKMSGSRSV1>\r\n"
    )?;
    for (seq, entries) in statements(n, per) {
        let closing = OPENING + entries.iter().map(|e| e.minor).sum::<i64>();
        write!(
            out,
            "<STMTTRNRS>\r\n<TRNUID>{seq}\r\n<STATUS>\r\n<CODE>0\r\n<SEVERITY>INFO\r\n</STATUS>\r\n<STMTRS>\r\n<CURDEF>EUR\r\n<BANKACCTFROM>\r\n<BANKID>37040044\r\n<ACCTID>{IBAN}\r\n<ACCTTYPE>CHECKING\r\n</BANKACCTFROM>\r\n<BANKTRANLIST>\r\n<DTSTART>20240301\r\n<DTEND>20240315\r\n"
        )?;
        for (i, &Gen { minor, r }) in entries.iter().enumerate() {
            let (kind, sign) = if minor < 0 {
                ("DEBIT", "-")
            } else {
                ("CREDIT", "")
            };
            write!(
                out,
                "<STMTTRN>\r\n<TRNTYPE>{kind}\r\n<DTPOSTED>20240315120000\r\n<TRNAMT>{sign}{amt}\r\n<FITID>B{r:x}\r\n<REFNUM>E2E-{seq}-{i}\r\n<NAME>{COUNTERPARTY}\r\n<MEMO>Rechnung {r} Kundennummer {k} Danke\r\n</STMTTRN>\r\n",
                amt = money(minor),
                k = r % 10_000
            )?;
        }
        write!(
            out,
            "</BANKTRANLIST>\r\n<LEDGERBAL>\r\n<BALAMT>{}{}\r\n<DTASOF>20240315120000\r\n</LEDGERBAL>\r\n</STMTRS>\r\n</STMTTRNRS>\r\n",
            if closing < 0 { "-" } else { "" },
            money(closing)
        )?;
    }
    write!(out, "</BANKMSGSRSV1>\r\n</OFX>\r\n")?;
    Ok(())
}

fn format(name: &str) -> Result<Format> {
    Ok(match name {
        "mt940" => Format::Mt940,
        "camt053" => Format::Camt053,
        "ofx" => Format::Ofx,
        _ => return Err(format!("unknown format {name}: mt940, camt053 or ofx").into()),
    })
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["gen", name, n, file, ref per @ ..] if per.len() <= 1 => {
            let n: usize = n.parse()?;
            let per: usize = per.first().map_or(Ok(1_000), |p| p.parse())?;
            if per == 0 {
                return Err("PER_STATEMENT must be at least 1".into());
            }
            let mut out = BufWriter::new(std::fs::File::create(file)?);
            match format(name)? {
                Format::Mt940 => gen_mt940(&mut out, n, per)?,
                Format::Camt053 => gen_camt053(&mut out, n, per)?,
                _ => gen_ofx(&mut out, n, per)?,
            }
            out.flush()?;
        }
        ["parse", name, file] => {
            let format = format(name)?;
            let started = Instant::now();
            let bytes = std::fs::read(file)?;
            let parsed = anumati_formats::parse_bytes(&bytes, Some(format), Options::default())?;
            let seconds = started.elapsed().as_secs_f64();
            let amounts: Vec<Money> = parsed
                .statements
                .iter()
                .flat_map(|s| s.transactions.iter().map(|t| t.amount))
                .collect();
            let n = amounts.len();
            let sum: i64 = amounts.iter().map(Money::minor).sum();
            let spot: Vec<String> = [0, n / 2, n.saturating_sub(1)]
                .iter()
                .filter_map(|&i| amounts.get(i))
                .map(|a| format!("\"{}\"", a.to_decimal_string()))
                .collect();
            println!(
                "{{\"entries\": {n}, \"sum\": \"{}\", \"spot\": [{}], \"seconds\": {seconds:.6}}}",
                Money::from_minor(sum, Currency::EUR).to_decimal_string(),
                spot.join(", ")
            );
        }
        _ => {
            return Err("usage: statement_compare gen mt940|camt053|ofx N FILE [PER_STATEMENT] | parse mt940|camt053|ofx FILE".into())
        }
    }
    Ok(())
}
