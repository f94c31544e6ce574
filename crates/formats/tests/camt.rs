use anumati_domain::{Currency, Money};
use anumati_formats::camt::parse_bytes;
use anumati_formats::{Format, Options, ParseError, Position};
use jiff::civil::date;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn eur(minor: i64) -> Money {
    Money::from_minor(minor, Currency::EUR)
}

fn path(e: &ParseError) -> &str {
    match &e.position {
        Position::XmlPath(p) => p,
        Position::LineColumn { .. } => panic!("expected an XML path: {e}"),
    }
}

#[test]
fn camt053_v02_single_batch_charges_reversal() {
    let bytes = fixture("camt053_v02_batch.xml");
    assert_eq!(Format::detect(&bytes), Some(Format::Camt053));
    let parsed = anumati_formats::parse_bytes(&bytes, None, Options::default()).unwrap();
    assert!(parsed.warnings.is_empty());
    assert_eq!(parsed.statements.len(), 1);
    let s = &parsed.statements[0];
    assert_eq!(s.account, "DE89370400440532013000");
    assert_eq!(s.currency, Currency::EUR);
    assert_eq!(s.reference.as_deref(), Some("STMT-2024-001"));
    assert_eq!(s.sequence.as_deref(), Some("1"));
    assert_eq!(s.opening_balance.unwrap().amount, eur(100_000));
    assert_eq!(s.opening_balance.unwrap().date, date(2024, 1, 1));
    assert_eq!(s.closing_balance.unwrap().amount, eur(87_850));
    assert_eq!(s.transactions.len(), 6);

    let t = &s.transactions[0];
    assert_eq!(t.amount, eur(25_000));
    assert_eq!(t.booking_date, date(2024, 1, 2));
    assert_eq!(t.value_date, date(2024, 1, 1));
    assert_eq!(t.reference.as_deref(), Some("E2E-RENT-01"));
    assert_eq!(t.bank_reference.as_deref(), Some("BANK-REF-1"));
    assert_eq!(t.transaction_code.as_deref(), Some("PMNT/RCDT/ESCT"));
    assert_eq!(t.description, "Miete Januar Wohnung 3");
    assert_eq!(t.counterparty.as_deref(), Some("Priya Sharma"));
    assert_eq!(
        t.counterparty_account.as_deref(),
        Some("DE02120300000000202051")
    );

    // Batch: one entry per TxDtls, unique bank references.
    let batch = &s.transactions[1..4];
    let amounts: Vec<i64> = batch.iter().map(|t| t.amount.minor()).collect();
    assert_eq!(amounts, [-10_000, -12_000, -8_000]);
    let refs: Vec<Option<&str>> = batch.iter().map(|t| t.bank_reference.as_deref()).collect();
    assert_eq!(
        refs,
        [Some("BATCH-7/1"), Some("BATCH-7/2"), Some("OWN-REF-3")]
    );
    assert_eq!(batch[0].reference.as_deref(), Some("SAL-1"));
    assert_eq!(batch[0].counterparty.as_deref(), Some("Anna"));
    assert_eq!(batch[0].transaction_code.as_deref(), Some("NTRF+191"));
    // NOTPROVIDED end-to-end id: the structured creditor reference instead.
    assert_eq!(batch[1].reference.as_deref(), Some("RF18539007547034"));
    assert_eq!(batch[1].description, "RF18539007547034");
    assert_eq!(batch[1].counterparty.as_deref(), Some("Ben & Co"));

    // Charges: the entry's booked amount (50.00 + 1.50), not TxAmt or InstdAmt.
    let t = &s.transactions[4];
    assert_eq!(t.amount, eur(-5_150));
    assert_eq!(t.description, "Invoice 4");
    assert!(t.details.contains(&("CHRG".to_owned(), "1.50".to_owned())));

    // Reversal: CdtDbtInd is the booked direction.
    let t = &s.transactions[5];
    assert!(t.reversal);
    assert_eq!(t.amount, eur(-2_000));
    assert_eq!(t.booking_date, date(2024, 1, 2));
    assert_eq!(t.description, "Rueckbuchung Gutschrift");
}

#[test]
fn camt053_v08_foreign_batch_and_empty_statement() {
    let parsed = parse_bytes(
        &fixture("camt053_v08_foreign_empty.xml"),
        Options::default(),
    )
    .unwrap();
    assert_eq!(parsed.statements.len(), 2);
    let s = &parsed.statements[0];
    assert_eq!(s.account, "0532013000");
    assert_eq!(s.currency, Currency::EUR);
    assert_eq!(s.opening_balance.unwrap().amount, eur(50_000));
    assert_eq!(s.available_balance.unwrap().amount, eur(34_800));
    let amounts: Vec<i64> = s.transactions.iter().map(|t| t.amount.minor()).collect();
    // The USD TxDtls/Amt is skipped for the EUR TxAmt.
    assert_eq!(amounts, [-10_000, -5_200]);
    assert_eq!(
        s.transactions[0].counterparty.as_deref(),
        Some("New York Vendor")
    );
    assert_eq!(s.transactions[0].bank_reference.as_deref(), Some("N-1/1"));
    assert_eq!(s.transactions[1].bank_reference.as_deref(), Some("N-1/2"));
    assert_eq!(s.transactions[1].description, "Rechnung 2 inkl. Gebuehr");
    assert!(!s.transactions[0].reversal);

    let s = &parsed.statements[1];
    assert_eq!(s.currency, Currency::GBP);
    assert!(s.transactions.is_empty());
    let gbp = |m| Money::from_minor(m, Currency::GBP);
    assert_eq!(s.opening_balance.unwrap().amount, gbp(-1_000));
    assert_eq!(s.opening_balance.unwrap().date, date(2024, 1, 31));
    assert_eq!(s.closing_balance.unwrap().amount, gbp(-1_000));
}

#[test]
fn camt052_report_entities_and_cdata() {
    let bytes = fixture("camt052_v06_report.xml");
    assert_eq!(Format::detect(&bytes), Some(Format::Camt052));
    let parsed = parse_bytes(&bytes, Options::default()).unwrap();
    let s = &parsed.statements[0];
    assert_eq!(s.reference.as_deref(), Some("RPT-1"));
    assert_eq!(s.opening_balance, None);
    let t = &s.transactions[0];
    assert_eq!(t.amount, eur(-1_234));
    assert_eq!(t.counterparty.as_deref(), Some("Café M&M"));
    assert_eq!(t.description, "Koffie <2x>");
}

#[test]
fn camt054_v13_notification() {
    let bytes = fixture("camt054_v13_notification.xml");
    assert_eq!(Format::detect(&bytes), Some(Format::Camt054));
    let parsed = parse_bytes(&bytes, Options::default()).unwrap();
    let s = &parsed.statements[0];
    assert_eq!(s.currency, Currency::EUR);
    let t = &s.transactions[0];
    assert_eq!(t.amount, eur(9_999));
    assert_eq!(t.value_date, date(2024, 4, 3));
    assert_eq!(t.counterparty.as_deref(), Some("Kunde GmbH"));
    assert_eq!(
        t.counterparty_account.as_deref(),
        Some("DE02100100100006820101")
    );
    assert_eq!(t.reference.as_deref(), Some("E-54"));
}

fn camt(ntry: &str, closing: &str) -> String {
    format!(
        r#"<Document><BkToCstmrStmt><Stmt><Acct><Id><IBAN>X</IBAN></Id></Acct>
<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-01-01</Dt></Dt></Bal>
<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{closing}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-01-01</Dt></Dt></Bal>
<Ntry><Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2024-01-01</Dt></BookgDt></Ntry>
{ntry}</Stmt></BkToCstmrStmt></Document>"#
    )
}

#[test]
fn malformed_camt_names_the_xml_path_and_field() {
    let ok = "<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2024-01-01</Dt></BookgDt></Ntry>";
    assert!(parse_bytes(camt(ok, "3.00").as_bytes(), Options::default()).is_ok());

    let e = parse_bytes(
        camt(&ok.replace("1.00", "1.005"), "3.00").as_bytes(),
        Options::default(),
    )
    .unwrap_err();
    assert_eq!(path(&e), "/Document/BkToCstmrStmt/Stmt[1]/Ntry[2]/Amt");
    assert_eq!(e.field, "Amt");
    assert!(e.message.contains("decimal places"), "{e}");

    let e = parse_bytes(
        camt(&ok.replace("CRDT", "CRED"), "3.00").as_bytes(),
        Options::default(),
    )
    .unwrap_err();
    assert_eq!(
        path(&e),
        "/Document/BkToCstmrStmt/Stmt[1]/Ntry[2]/CdtDbtInd"
    );
    assert_eq!(e.field, "CdtDbtInd");

    let e = parse_bytes(
        camt(&ok.replace("2024-01-01", "2024-13-01"), "3.00").as_bytes(),
        Options::default(),
    )
    .unwrap_err();
    assert_eq!(
        path(&e),
        "/Document/BkToCstmrStmt/Stmt[1]/Ntry[2]/BookgDt/Dt"
    );

    let e = parse_bytes(
        camt(&ok.replace("Ccy=\"EUR\"", "Ccy=\"USD\""), "3.00").as_bytes(),
        Options::default(),
    )
    .unwrap_err();
    assert_eq!(path(&e), "/Document/BkToCstmrStmt/Stmt[1]/Ntry[2]");
    assert_eq!(e.field, "Ntry");

    let e = parse_bytes(camt(ok, "4.00").as_bytes(), Options::default()).unwrap_err();
    assert_eq!(path(&e), "/Document/BkToCstmrStmt/Stmt[1]");
    assert!(e.message.contains("does not balance"), "{e}");
    let parsed = parse_bytes(
        camt(ok, "4.00").as_bytes(),
        Options {
            warn_on_unbalanced: true,
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(parsed.warnings.len(), 1);

    let e = parse_bytes(b"<Document><BkToCstmrStmt><Stmt>", Options::default()).unwrap_err();
    assert_eq!(path(&e), "/Document/BkToCstmrStmt/Stmt[1]");
    let e = parse_bytes(b"<Document><A></B></Document>", Options::default()).unwrap_err();
    assert!(e.message.contains("malformed XML"), "{e}");
}

#[test]
fn cp1252_text_in_camt_is_decoded() {
    let xml = b"<Document><BkToCstmrStmt><Stmt><Acct><Id><IBAN>X</IBAN></Id></Acct><Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2024-01-01</Dt></BookgDt><AddtlNtryInf>M\xfcller \x80</AddtlNtryInf></Ntry></Stmt></BkToCstmrStmt></Document>";
    let parsed = parse_bytes(xml, Options::default()).unwrap();
    assert_eq!(parsed.statements[0].transactions[0].description, "Müller €");
}

#[test]
fn camt_with_a_bom() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(fixture("camt054_v13_notification.xml"));
    assert_eq!(Format::detect(&bytes), Some(Format::Camt054));
    let parsed = parse_bytes(&bytes, Options::default()).unwrap();
    assert_eq!(parsed.statements[0].transactions[0].amount, eur(9_999));
}

/// Puts `prefix` before every element name (`<Amt>` → `<p:Amt>`).
fn prefixed(xml: &str, prefix: &str) -> String {
    let mut out = String::with_capacity(xml.len() * 2);
    let mut rest = xml;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..=i]);
        rest = &rest[i + 1..];
        if let Some(r) = rest.strip_prefix('/') {
            out.push('/');
            rest = r;
        }
        if rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            out.push_str(prefix);
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn namespace_prefixes_and_long_names_read_the_same() {
    let plain = String::from_utf8(fixture("camt053_v02_batch.xml")).unwrap();
    let want = parse_bytes(plain.as_bytes(), Options::default()).unwrap();
    for prefix in ["p:", "camt:", "averyveryverylongprefix:"] {
        let xml = prefixed(&plain, prefix);
        assert_eq!(
            parse_bytes(xml.as_bytes(), Options::default()).unwrap(),
            want,
            "{prefix}"
        );
    }
    // Element names longer than 15 bytes are matched byte by byte.
    let ok = "<SomeVeryLongElementName><X>1</X></SomeVeryLongElementName>";
    let long = plain.replace("<Stmt>", &format!("<Stmt>{ok}"));
    assert_eq!(
        parse_bytes(long.as_bytes(), Options::default()).unwrap(),
        want
    );
    let bad = plain.replace(
        "<Stmt>",
        "<Stmt><SomeVeryLongElementName>1</SomeVeryLongElementNamf>",
    );
    let e = parse_bytes(bad.as_bytes(), Options::default()).unwrap_err();
    assert!(
        e.message
            .contains("expected </SomeVeryLongElementName>, found </SomeVeryLongElementNamf>"),
        "{e}"
    );
    assert_eq!(
        path(&e),
        "/Document/BkToCstmrStmt/Stmt[1]/SomeVeryLongElementName"
    );
    let bad = prefixed(&plain, "p:").replacen("</p:Amt>", "</p:Amu>", 1);
    let e = parse_bytes(bad.as_bytes(), Options::default()).unwrap_err();
    assert!(e.message.contains("expected </Amt>, found </Amu>"), "{e}");
}

/// A reader that gives at most `k` bytes per read, so that the parser's
/// buffer ends anywhere in a tag or a text.
struct Trickle<'a> {
    data: &'a [u8],
    k: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.k.min(buf.len()).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// The reader's fast path (tokens read straight from its buffer) and its
/// general path (for tokens the buffer cuts) give the same statements and
/// the same errors, wherever the reads end.
#[test]
fn any_read_sizes_give_the_same_result() {
    let ok = "<Ntry><Amt Ccy=\"EUR\">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><BookgDt><Dt>2024-01-01</Dt></BookgDt></Ntry>";
    let mut inputs: Vec<Vec<u8>> = Vec::new();
    for f in [
        "camt052_v06_report.xml",
        "camt053_v02_batch.xml",
        "camt053_v08_foreign_empty.xml",
        "camt054_v13_notification.xml",
    ] {
        let b = fixture(f);
        inputs.push(prefixed(&String::from_utf8_lossy(&b), "p:").into_bytes());
        inputs.push(b);
    }
    for (ntry, closing) in [
        (ok.to_owned(), "3.00"),
        (ok.to_owned(), "4.00"),
        (ok.replace("1.00", "1.005"), "3.00"),
        (ok.replace("<Amt ", "<Amt  "), "3.00"),
        (ok.replace("CRDT", " CRDT &amp; "), "3.00"),
        (ok.replace("<BookgDt>", "<BookgDt><X/><Y></Y>"), "3.00"),
        (ok.replace("</Ntry>", "</p:Ntry>"), "3.00"),
        (ok.replace("<Ntry>", "<a:b:Ntry>"), "3.00"),
        (
            ok.replace("<Ntry>", "<a:b:Ntry>")
                .replace("</Ntry>", "</b:Ntry>"),
            "3.00",
        ),
        ("<Ntry></Ntry>".to_owned(), "3.00"),
        ("<Ntry><Amt Ccy=\"EUR\"></Amt></Ntry>".to_owned(), "3.00"),
        (ok.replace("2024-01-01", "2024-13-01"), "3.00"),
    ] {
        inputs.push(camt(&ntry, closing).into_bytes());
    }
    for input in &inputs {
        let want = format!("{:?}", parse_bytes(input, Options::default()));
        for k in [1, 2, 3, 7, 16, 100] {
            let got = anumati_formats::camt::parse(
                std::io::BufReader::with_capacity(1, Trickle { data: input, k }),
                Options::default(),
            );
            assert_eq!(format!("{got:?}"), want, "reads of {k} bytes");
        }
    }
}

/// A statement of `n` entries shaped alike (debits and credits taking
/// turns), as banks write them.
fn repetitive(n: usize) -> String {
    let mut entries = String::new();
    let mut closing = 100_000i64;
    for i in 0..n {
        let minor = if i % 3 == 0 {
            -(1_000 + i as i64)
        } else {
            2_000 + i as i64
        };
        closing += minor;
        let (ind, party, acct) = if minor < 0 {
            ("DBIT", "Cdtr", "CdtrAcct")
        } else {
            ("CRDT", "Dbtr", "DbtrAcct")
        };
        let amt = format!("{}.{:02}", minor.abs() / 100, minor.abs() % 100);
        entries.push_str(&format!(
            "<Ntry><Amt Ccy=\"EUR\">{amt}</Amt><CdtDbtInd>{ind}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2024-03-15</Dt></BookgDt><ValDt><Dt>2024-03-1{d}</Dt></ValDt><AcctSvcrRef>B{i}</AcctSvcrRef><BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>\n<NtryDtls><TxDtls><Refs><EndToEndId>E2E-{i}</EndToEndId></Refs><Amt Ccy=\"EUR\">{amt}</Amt><CdtDbtInd>{ind}</CdtDbtInd><RltdPties><{party}><Pty><Nm>Name {i}</Nm></Pty></{party}><{acct}><Id><IBAN>DE0212030000000020205{d}</IBAN></Id></{acct}></RltdPties><RmtInf><Ustrd>Invoice {i}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>\n",
            d = i % 10
        ));
    }
    format!(
        "<?xml version=\"1.0\"?>\n<Document><BkToCstmrStmt><Stmt><Id>S1</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id><Ccy>EUR</Ccy></Acct>\n<Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-15</Dt></Dt></Bal>\n<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{}.{:02}</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2024-03-15</Dt></Dt></Bal>\n{entries}</Stmt><Stmt><Id>S2</Id><Acct><Id><IBAN>DE89370400440532013000</IBAN></Id></Acct>\n{entries}</Stmt></BkToCstmrStmt></Document>\n",
        closing / 100,
        closing % 100
    )
}

/// Files whose entries repeat are read by replaying the markup between
/// texts ("segments"); a change anywhere in a later entry reads exactly as
/// it would the first time, statements and errors alike (reads of one
/// byte go through the general tokenizer).
#[test]
fn repeated_entries_read_the_same_as_token_by_token() {
    let doc = repetitive(40);
    let parsed = parse_bytes(doc.as_bytes(), Options::default()).unwrap();
    assert_eq!(parsed.statements.len(), 2);
    assert_eq!(parsed.statements[0].transactions.len(), 40);
    assert_eq!(
        parsed.statements[1].transactions[39].description,
        "Invoice 39"
    );
    changed_entries_read_the_same(&doc, "");
    changed_entries_read_the_same(&prefixed(&doc, "ns:"), "ns:");
}

/// Makes each change of [`repeated_entries_read_the_same_as_token_by_token`]
/// in the 31st entry of `doc` (whose names have `prefix`).
fn changed_entries_read_the_same(doc: &str, prefix: &str) {
    let at = doc
        .match_indices("Ntry>")
        .filter(|(i, _)| doc[..*i].ends_with('<') || doc[..*i].ends_with("ns:"))
        .nth(30)
        .unwrap()
        .0;
    let at = doc[..at].rfind('<').unwrap();
    let (head, tail) = doc.split_at(at);
    let changes: &[(&str, &str)] = &[
        ("</Nm>", "</Nn>"),
        ("</Pty>", "</Pty >"),
        ("<Amt Ccy=\"EUR\">", "<Amt Ccy=\"USD\">"),
        ("<Amt Ccy=\"EUR\">", "<Amt Ccy=\"EUR\" >"),
        ("<Cd>BOOK</Cd>", "<Cd>BOOK</Cd><Extra>x</Extra>"),
        ("</Sts>", "</Sts><!-- c -->"),
        ("<Dt>2024-03-15</Dt>", "<Dt>2024-13-15</Dt>"),
        ("<Ustrd>", "<Ustrd>&amp; "),
        ("<Nm>", "<Nm>\u{fc}"),
        ("<Nm>", "<p:Nm>"),
        ("</Refs>", "</Refs></TxDtls><TxDtls><Refs>"),
        ("</IBAN></Id>", "</IBAN></Id></Id>"),
        ("<EndToEndId>", "<EndToEndId><![CDATA[x]]>"),
        ("</Ntry>", ""),
        (
            "<RmtInf>",
            "<RmtInf><Strd><CdtrRefInf><Ref>R</Ref></CdtrRefInf></Strd>",
        ),
        (
            "2024-03-15</Dt></BookgDt>",
            "2024-03-15T10:00:00</Dt></BookgDt>",
        ),
    ];
    for (from, to) in changes {
        let (from, to) = (prefixed(from, prefix), prefixed(to, prefix));
        let changed = format!("{head}{}", tail.replacen(&from, &to, 1));
        let want = format!(
            "{:?}",
            anumati_formats::camt::parse(
                std::io::BufReader::with_capacity(
                    1,
                    Trickle {
                        data: changed.as_bytes(),
                        k: 1
                    }
                ),
                Options::default(),
            )
        );
        let got = format!("{:?}", parse_bytes(changed.as_bytes(), Options::default()));
        assert_eq!(got, want, "{from} -> {to}");
    }
}
