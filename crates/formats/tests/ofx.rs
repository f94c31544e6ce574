use anumati_domain::{Currency, Money};
use anumati_formats::ofx::{parse_bytes, parse_datetime};
use anumati_formats::{Format, Options, ParseError, Position};
use jiff::civil::{date, time};
use jiff::tz::Offset;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn usd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::USD)
}

fn eur(minor: i64) -> Money {
    Money::from_minor(minor, Currency::EUR)
}

fn detail<'a>(details: &'a [(String, String)], key: &str) -> Option<&'a str> {
    details
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn line_col(e: &ParseError) -> (usize, usize) {
    match e.position {
        Position::LineColumn { line, column } => (line, column),
        Position::XmlPath(_) => panic!("expected line:column: {e}"),
    }
}

fn parse(name: &str) -> anumati_formats::Parsed {
    let bytes = fixture(name);
    assert_eq!(Format::detect(&bytes), Some(Format::Ofx), "{name}");
    anumati_formats::parse_bytes(&bytes, None, Options::default())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn ofx1_sgml_realistic_checking_statement() {
    let parsed = parse("ofx1_sgml_checking.ofx");
    assert!(parsed.warnings.is_empty());
    assert_eq!(parsed.statements.len(), 1);
    let s = &parsed.statements[0];
    assert_eq!(s.account, "4417001234");
    assert_eq!(s.currency, Currency::USD);
    assert_eq!(s.reference.as_deref(), Some("1001"));
    // OFX has no opening balance: no balance check, no invented opening.
    assert_eq!(s.opening_balance, None);
    let close = s.closing_balance.unwrap();
    assert_eq!(close.amount, usd(473_119));
    assert_eq!(close.date, date(2024, 1, 31));
    assert_eq!(s.available_balance.unwrap().amount, usd(468_119));
    let amounts: Vec<i64> = s.transactions.iter().map(|t| t.amount.minor()).collect();
    assert_eq!(amounts, [325_000, -120_000, -5_423, -1_200, 42]);

    let t = &s.transactions[0];
    assert_eq!(t.transaction_code.as_deref(), Some("DIRECTDEP"));
    assert_eq!(t.booking_date, date(2024, 1, 2));
    assert_eq!(t.value_date, date(2024, 1, 2));
    assert_eq!(t.bank_reference.as_deref(), Some("202401020001"));
    assert_eq!(t.counterparty.as_deref(), Some("ACME CORP PAYROLL"));
    assert_eq!(t.description, "DIRECT DEP PPD ID: 9876543210");
    assert_eq!(detail(&t.details, "DTUSER"), Some("2024-01-02"));

    let t = &s.transactions[1];
    assert_eq!(t.reference.as_deref(), Some("1042"));
    assert_eq!(detail(&t.details, "CHECKNUM"), Some("1042"));
    assert_eq!(
        t.description, "CHECK 1042",
        "no MEMO: the NAME describes it"
    );

    let t = &s.transactions[2];
    assert_eq!(t.booking_date, date(2024, 1, 8));
    assert_eq!(detail(&t.details, "DTUSER"), Some("2024-01-06"));
    assert_eq!(t.description, "POS PURCHASE CARD 1234");

    assert_eq!(
        s.transactions[4].reference.as_deref(),
        Some("INT-2024-01"),
        "REFNUM"
    );
}

#[test]
fn sgml_quirks_closed_and_unclosed_leaves_empty_memos_entities_unknown_tags() {
    let parsed = parse("ofx1_sgml_quirks.ofx");
    let s = &parsed.statements[0];
    assert_eq!(s.account, "000123456789");
    assert_eq!(s.currency, Currency::USD);
    assert_eq!(s.closing_balance.unwrap().amount, usd(109_376));
    assert_eq!(s.closing_balance.unwrap().date, date(2024, 2, 29));
    assert_eq!(s.transactions.len(), 4);

    // Closed leaves; an empty unclosed <MEMO> and <CHECKNUM> before </STMTTRN>;
    // a bare `&` kept.
    let t = &s.transactions[0];
    assert_eq!(t.amount, usd(-8_999));
    assert_eq!(t.booking_date, date(2024, 2, 2));
    assert_eq!(t.counterparty.as_deref(), Some("AT&T MOBILITY"));
    assert_eq!(t.description, "AT&T MOBILITY");
    assert_eq!(t.reference, None, "empty CHECKNUM is no reference");
    assert_eq!(detail(&t.details, "CHECKNUM"), None);

    // <MEMO/>; an unknown aggregate with a NAME and MEMO of its own is skipped
    // whole; an unknown Intuit leaf is skipped.
    let t = &s.transactions[1];
    assert_eq!(t.amount, usd(-1_550));
    assert_eq!(t.counterparty.as_deref(), Some("Ben & Jerry's"));
    assert_eq!(t.description, "Ben & Jerry's");
    assert_eq!(t.bank_reference.as_deref(), Some("Q-2"));

    // <MEMO></MEMO>; a `+` sign.
    let t = &s.transactions[2];
    assert_eq!(t.amount, usd(20_000));
    assert_eq!(t.description, "Transfer");

    // Entities, numeric references, an unknown entity kept; `-.75`.
    let t = &s.transactions[3];
    assert_eq!(t.amount, usd(-75));
    assert_eq!(t.counterparty.as_deref(), Some("Café <Le Petit>"));
    assert_eq!(t.description, "\"coffee\" \u{2615} &unknown; A & B");
}

#[test]
fn ofx2_xml_several_statements_currency_payee_and_card() {
    let parsed = parse("ofx2_multi.ofx");
    assert_eq!(parsed.statements.len(), 3);

    let s = &parsed.statements[0];
    assert_eq!(s.account, "DE89370400440532013000");
    assert_eq!(s.currency, Currency::EUR);
    assert_eq!(s.reference.as_deref(), Some("A-1"));
    assert_eq!(s.closing_balance.unwrap().amount, eur(238_410));
    let t = &s.transactions[0];
    assert_eq!(t.amount, eur(-50_000));
    assert_eq!(t.booking_date, date(2024, 3, 4));
    assert_eq!(t.value_date, date(2024, 3, 5), "DTAVAIL is the value date");
    assert_eq!(t.transaction_code.as_deref(), Some("XFER"));
    assert_eq!(
        t.counterparty.as_deref(),
        Some("Hausverwaltung Schmidt GmbH")
    );
    assert_eq!(
        t.counterparty_account.as_deref(),
        Some("DE02120300000000202051")
    );
    assert_eq!(t.description, "Miete März");

    // CURRENCY: the amount is in GBP and is converted at CURRATE.
    let t = &s.transactions[1];
    assert_eq!(t.amount, eur(-2_340));
    assert_eq!(detail(&t.details, "ORIGAMT"), Some("-20.00 GBP"));
    assert_eq!(detail(&t.details, "CURRATE"), Some("1.1700"));
    assert_eq!(t.description, "BOOKSHOP LONDON");

    // ORIGCURRENCY: the amount is already in EUR.
    let t = &s.transactions[2];
    assert_eq!(t.amount, eur(-9_250));
    assert_eq!(detail(&t.details, "ORIGCURRENCY"), Some("CHF"));
    assert_eq!(t.counterparty.as_deref(), Some("Hotel <Zürich> & Spa"));

    let s = &parsed.statements[1];
    assert_eq!(s.account, "DE44370400440532013001");
    assert!(s.transactions.is_empty());
    assert_eq!(s.closing_balance.unwrap().amount, eur(1_000_000));

    let s = &parsed.statements[2];
    assert_eq!(s.account, "4111111111111111");
    assert_eq!(s.reference.as_deref(), Some("A-3"));
    assert_eq!(s.closing_balance.unwrap().amount, eur(-41_235));
    assert_eq!(s.available_balance.unwrap().amount, eur(458_765));
    assert_eq!(s.transactions[0].amount, eur(-4_590));
    assert_eq!(s.transactions[0].description, "Gepäck");
    assert_eq!(
        detail(&s.transactions[0].details, "DTUSER"),
        Some("2024-03-08")
    );
    assert_eq!(s.transactions[1].amount, eur(30_000));
}

#[test]
fn qfx_credit_card_with_intuit_tags() {
    let parsed = parse("qfx_card.qfx");
    let s = &parsed.statements[0];
    assert_eq!(s.account, "4266841234567890");
    assert_eq!(s.currency, Currency::USD);
    assert_eq!(s.closing_balance.unwrap().amount, usd(-82_245));
    assert_eq!(s.closing_balance.unwrap().date, date(2024, 2, 19));
    let amounts: Vec<i64> = s.transactions.iter().map(|t| t.amount.minor()).collect();
    assert_eq!(amounts, [-2_345, -129_900, 50_000]);
    let t = &s.transactions[0];
    assert_eq!(t.counterparty.as_deref(), Some("SQ *BLUE BOTTLE COFFEE"));
    assert_eq!(t.description, "SAN FRANCISCO CA");
    assert_eq!(detail(&t.details, "SIC"), Some("5814"));
    assert_eq!(t.booking_date, date(2024, 1, 22));
}

#[test]
fn dates_are_the_calendar_dates_as_written_in_their_zone() {
    let parsed = parse("ofx_dates_zones.ofx");
    let s = &parsed.statements[0];
    assert_eq!(s.currency, Currency::INR);
    let dates: Vec<_> = s.transactions.iter().map(|t| t.booking_date).collect();
    assert_eq!(
        dates,
        [
            date(2024, 1, 5),
            // 01:30 IST is still the 4th in UTC: the date as written counts.
            date(2024, 1, 5),
            date(2024, 1, 6),
            // 22:00 EST is already the 8th in UTC.
            date(2024, 1, 7),
            date(2024, 1, 8),
            date(2024, 1, 9),
            date(2024, 1, 10),
        ]
    );
    assert_eq!(s.transactions[5].value_date, date(2024, 1, 10));
    assert_eq!(
        detail(&s.transactions[1].details, "DTUSER"),
        Some("2024-01-05")
    );
    assert_eq!(s.closing_balance.unwrap().date, date(2024, 1, 31));
}

#[test]
fn datetime_grammar_zones_and_instants() {
    let d = parse_datetime("20240105").unwrap();
    assert_eq!(d.date, date(2024, 1, 5));
    assert_eq!(d.time, None);
    assert_eq!(d.timestamp(), None, "a date-only value is no instant");

    let d = parse_datetime("20240105013000.000[+5.50:IST]").unwrap();
    assert_eq!(d.time, Some(time(1, 30, 0, 0)));
    assert_eq!(d.offset, Some(Offset::from_seconds(19_800).unwrap()));
    assert_eq!(d.zone.as_deref(), Some("IST"));
    assert_eq!(
        d.timestamp().unwrap().to_string(),
        "2024-01-04T20:00:00Z",
        "+5.50 is 5 h 30 min"
    );
    // Minutes spelt out (5.30) and the one-digit fraction (5.5) mean the same.
    for s in ["20240105013000[+5.30:IST]", "20240105013000[+5.5]"] {
        assert_eq!(parse_datetime(s).unwrap().offset, d.offset, "{s}");
    }
    let nepal = parse_datetime("20240105013000[+5.75:NPT]").unwrap();
    assert_eq!(nepal.offset, Some(Offset::from_seconds(20_700).unwrap()));
    assert_eq!(
        parse_datetime("20240105013000[+5.45:NPT]").unwrap().offset,
        nepal.offset
    );

    let d = parse_datetime("20240106[0:GMT]").unwrap();
    assert_eq!(d.offset, Some(Offset::UTC));
    assert_eq!(d.zone.as_deref(), Some("GMT"));
    assert_eq!(d.timestamp(), None);

    let d = parse_datetime("20240107220000[-5:EST]").unwrap();
    assert_eq!(d.timestamp().unwrap().to_string(), "2024-01-08T03:00:00Z");
    let d = parse_datetime("20240110235959.999[-3.30:NST]").unwrap();
    assert_eq!(d.offset, Some(Offset::from_seconds(-12_600).unwrap()));
    assert_eq!(d.time, Some(time(23, 59, 59, 999_000_000)));
    // Without a zone, OFX means GMT.
    let d = parse_datetime("20240105120000").unwrap();
    assert_eq!(d.timestamp().unwrap().to_string(), "2024-01-05T12:00:00Z");

    for bad in [
        "2024010",
        "20241301",
        "20240230",
        "2024010512",
        "20240105250000",
        "20240105.5",
        "20240105120000[+5.3:X]",
        "20240105120000[+99]",
        "20240105120000[+5",
        "20240105120000 junk",
        "",
    ] {
        assert!(parse_datetime(bad).is_err(), "{bad:?} must be rejected");
    }
}

#[test]
fn charset_header_that_lies_utf8_body_and_cp1252_body() {
    let want_name = "Café Müller";
    let want_memo = "Kaffee für 2 € – „danke“";
    for name in ["ofx_charset_lies_utf8.ofx", "ofx_charset_lies_cp1252.ofx"] {
        let parsed = parse(name);
        let t = &parsed.statements[0].transactions[0];
        assert_eq!(t.counterparty.as_deref(), Some(want_name), "{name}");
        assert_eq!(t.description, want_memo, "{name}");
        assert_eq!(t.amount, eur(-450));
    }
}

#[test]
fn utf8_bom_and_crlf() {
    let parsed = parse("ofx2_bom_crlf.ofx");
    let s = &parsed.statements[0];
    assert_eq!(s.account, "55779911");
    assert_eq!(s.currency, Currency::GBP);
    assert_eq!(s.transactions[0].description, "Spotify £");
    assert_eq!(s.transactions[0].amount.minor(), -999);
}

#[test]
fn utf16_with_bom_is_read_too() {
    let text = String::from_utf8(fixture("ofx1_sgml_quirks.ofx")).unwrap();
    let mut bytes = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        bytes.extend_from_slice(&u.to_le_bytes());
    }
    let parsed = parse_bytes(&bytes, Options::default()).unwrap();
    assert_eq!(parsed.statements[0].transactions.len(), 4);
}

const HEAD: &str = "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\n\n<OFX>\n<BANKMSGSRSV1>\n<STMTTRNRS>\n<TRNUID>1\n<STMTRS>\n";

fn sgml(stmt_body: &str) -> String {
    format!("{HEAD}{stmt_body}</STMTRS>\n</STMTTRNRS>\n</BANKMSGSRSV1>\n</OFX>\n")
}

fn err(text: &str, options: Options) -> ParseError {
    parse_bytes(text.as_bytes(), options).expect_err("must fail")
}

const ACCT: &str = "<CURDEF>EUR\n<BANKACCTFROM>\n<ACCTID>A1\n</BANKACCTFROM>\n";

#[test]
fn bad_amount_names_line_column_and_field() {
    // Line 17 is the TRNAMT line; the value starts in column 9.
    let text = sgml(&format!(
        "{ACCT}<BANKTRANLIST>\n<STMTTRN>\n<DTPOSTED>20240101\n<TRNAMT>12.345\n<FITID>1\n</STMTTRN>\n</BANKTRANLIST>\n"
    ));
    let e = err(&text, Options::default());
    assert_eq!(line_col(&e), (17, 9), "{e}");
    assert_eq!(e.field, "TRNAMT");
    assert!(e.message.contains("decimal places"), "{e}");

    let text = sgml(&format!(
        "{ACCT}<BANKTRANLIST>\n<STMTTRN>\n<DTPOSTED>20240101\n<TRNAMT>abc\n</STMTTRN>\n</BANKTRANLIST>\n"
    ));
    let e = err(&text, Options::default());
    assert_eq!((line_col(&e), e.field.as_str()), ((17, 9), "TRNAMT"));
}

#[test]
fn bad_and_missing_dates() {
    let text = sgml(&format!(
        "{ACCT}<BANKTRANLIST>\n<STMTTRN>\n<DTPOSTED>20241301\n<TRNAMT>1.00\n</STMTTRN>\n</BANKTRANLIST>\n"
    ));
    let e = err(&text, Options::default());
    assert_eq!((line_col(&e), e.field.as_str()), ((16, 11), "DTPOSTED"));

    let text = sgml(&format!(
        "{ACCT}<BANKTRANLIST>\n<STMTTRN>\n<TRNAMT>1.00\n</STMTTRN>\n</BANKTRANLIST>\n"
    ));
    let e = err(&text, Options::default());
    assert_eq!((line_col(&e), e.field.as_str()), ((15, 1), "DTPOSTED"));
    assert!(e.message.contains("without DTPOSTED"), "{e}");

    let text = sgml(&format!(
        "{ACCT}<LEDGERBAL>\n<BALAMT>1.00\n<DTASOF>yesterday\n</LEDGERBAL>\n"
    ));
    let e = err(&text, Options::default());
    assert_eq!((line_col(&e), e.field.as_str()), ((16, 9), "DTASOF"));
}

#[test]
fn currency_and_account_come_from_options_when_missing() {
    let text = sgml("<BANKTRANLIST>\n<STMTTRN>\n<DTPOSTED>20240101\n<TRNAMT>-1.5\n</STMTTRN>\n</BANKTRANLIST>\n");
    let e = err(&text, Options::default());
    assert_eq!((line_col(&e), e.field.as_str()), ((9, 1), "CURDEF"));
    let e = err(
        &text,
        Options {
            currency: Some(Currency::INR),
            ..Options::default()
        },
    );
    assert_eq!(e.field, "ACCTID");
    let parsed = parse_bytes(
        text.as_bytes(),
        Options {
            currency: Some(Currency::INR),
            account: Some("MY-ACCOUNT".to_owned()),
            ..Options::default()
        },
    )
    .unwrap();
    let s = &parsed.statements[0];
    assert_eq!(
        (s.account.as_str(), s.currency),
        ("MY-ACCOUNT", Currency::INR)
    );
    assert_eq!(s.transactions[0].amount.minor(), -150);
    // The file's own CURDEF wins over the option.
    let text = sgml(ACCT);
    let parsed = parse_bytes(
        text.as_bytes(),
        Options {
            currency: Some(Currency::INR),
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(parsed.statements[0].currency, Currency::EUR);
}

#[test]
fn structural_errors() {
    // Truncated inside a statement.
    let text = format!("{HEAD}{ACCT}<BANKTRANLIST>\n<STMTTRN>\n<TRNAMT>1\n");
    let e = err(&text, Options::default());
    assert_eq!(e.field, "STMTRS");
    assert!(e.message.contains("truncated"), "{e}");
    // A missing </STMTTRN> before the next transaction.
    let text = sgml(&format!(
        "{ACCT}<BANKTRANLIST>\n<STMTTRN>\n<DTPOSTED>20240101\n<TRNAMT>1\n<STMTTRN>\n<DTPOSTED>20240101\n<TRNAMT>1\n</STMTTRN>\n</BANKTRANLIST>\n"
    ));
    let e = err(&text, Options::default());
    assert_eq!((line_col(&e), e.field.as_str()), ((18, 1), "STMTTRN"));
    // Unterminated tag, with its position.
    let e = err("<OFX>\n<STMTRS\n", Options::default());
    assert_eq!((line_col(&e), e.field.as_str()), ((2, 1), "-"));
    let e = err("<OFX><!-- open", Options::default());
    assert!(e.message.contains("comment"), "{e}");
    // Not OFX at all, or no statement.
    let e = err("OFXHEADER:100\n\n<FOO>bar</FOO>", Options::default());
    assert_eq!(e.field, "OFX");
    let e = err(
        "<OFX><BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>2000<SEVERITY>ERROR<MESSAGE>General error</STATUS></STMTTRNRS></BANKMSGSRSV1></OFX>",
        Options::default(),
    );
    assert_eq!(e.field, "STMTRS");
    assert!(e.message.contains("code 2000: General error"), "{e}");
    // Invalid currency, balance without an amount.
    let e = err(
        &sgml("<CURDEF>eur\n<BANKACCTFROM>\n<ACCTID>A\n</BANKACCTFROM>\n"),
        Options::default(),
    );
    assert_eq!((line_col(&e), e.field.as_str()), ((10, 9), "CURDEF"));
    let e = err(
        &sgml(&format!(
            "{ACCT}<LEDGERBAL>\n<DTASOF>20240101\n</LEDGERBAL>\n"
        )),
        Options::default(),
    );
    assert_eq!(e.field, "BALAMT");
}

#[test]
fn currency_conversion_needs_a_valid_rate() {
    let text = sgml(&format!(
        "{ACCT}<BANKTRANLIST>\n<STMTTRN>\n<DTPOSTED>20240101\n<TRNAMT>10.00\n<CURRENCY>\n<CURSYM>USD\n</CURRENCY>\n</STMTTRN>\n</BANKTRANLIST>\n"
    ));
    let e = err(&text, Options::default());
    assert_eq!(e.field, "CURRATE");
    let text = sgml(&format!(
        "{ACCT}<BANKTRANLIST>\n<STMTTRN>\n<DTPOSTED>20240101\n<TRNAMT>10.00\n<CURRENCY>\n<CURRATE>0,9\n<CURSYM>USD\n</CURRENCY>\n</STMTTRN>\n</BANKTRANLIST>\n"
    ));
    let parsed = parse_bytes(text.as_bytes(), Options::default()).unwrap();
    assert_eq!(parsed.statements[0].transactions[0].amount, eur(900));
}

#[test]
fn lower_case_tags_and_namespaces_are_tolerated() {
    let text = "<ofx><bankmsgsrsv1><stmttrnrs><stmtrs><curdef>EUR</curdef><bankacctfrom><acctid>A</acctid></bankacctfrom></stmtrs></stmttrnrs></bankmsgsrsv1></ofx>";
    let parsed = parse_bytes(text.as_bytes(), Options::default()).unwrap();
    assert_eq!(parsed.statements[0].account, "A");
}

/// Serves its bytes a few at a time, then (if `fail`) a read error.
struct Trickle<'a> {
    bytes: &'a [u8],
    step: usize,
    fail: bool,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.bytes.is_empty() && self.fail {
            return Err(std::io::Error::other("disk on fire"));
        }
        let n = self.step.min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

#[test]
fn reading_in_small_pieces_gives_the_same_statements() {
    for name in [
        "ofx1_sgml_checking.ofx",
        "ofx1_sgml_quirks.ofx",
        "ofx2_bom_crlf.ofx",
        "ofx2_multi.ofx",
        "ofx_charset_lies_cp1252.ofx",
        "ofx_dates_zones.ofx",
        "qfx_card.qfx",
    ] {
        let bytes = fixture(name);
        let want = parse_bytes(&bytes, Options::default()).unwrap();
        for step in [1, 2, 7, 4096] {
            let got = anumati_formats::ofx::parse(
                Trickle {
                    bytes: &bytes,
                    step,
                    fail: false,
                },
                Options::default(),
            )
            .unwrap();
            assert_eq!(got, want, "{name} in pieces of {step}");
        }
    }
}

#[test]
fn statements_stream_before_the_rest_of_the_file_is_read() {
    let bytes = fixture("ofx2_multi.ofx");
    let text = String::from_utf8_lossy(&bytes);
    // Everything up to the end of the first statement, then a read error.
    let cut = text.find("</STMTRS>").unwrap() + "</STMTRS>".len();
    let mut reader = anumati_formats::ofx::OfxReader::new(
        Trickle {
            bytes: &bytes[..cut],
            step: 64,
            fail: true,
        },
        Options::default(),
    );
    let first = reader.next().unwrap().unwrap();
    let want = parse_bytes(&bytes, Options::default()).unwrap();
    assert_eq!(first, want.statements[0]);
    let e = reader.next().unwrap().unwrap_err();
    assert!(e.message.contains("disk on fire"), "{e}");
    assert!(reader.next().is_none());
}
