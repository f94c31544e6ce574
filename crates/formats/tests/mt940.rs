use anumati_domain::{Currency, Money};
use anumati_formats::mt940::{parse_bytes, Mt940Reader};
use anumati_formats::{Format, Options, ParseError, Position};
use jiff::civil::date;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
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

fn expect_err(text: &str) -> ParseError {
    parse_bytes(text.as_bytes(), Options::default()).expect_err("must fail")
}

fn line_col(e: &ParseError) -> (usize, usize) {
    match e.position {
        Position::LineColumn { line, column } => (line, column),
        Position::XmlPath(_) => panic!("expected line:column"),
    }
}

#[test]
fn german_swift_wrapped_crlf_two_statements() {
    let bytes = fixture("mt940_german_swift_crlf.sta");
    assert_eq!(Format::detect(&bytes), Some(Format::Mt940));
    let parsed = parse_bytes(&bytes, Options::default()).unwrap();
    assert!(parsed.warnings.is_empty());
    assert_eq!(parsed.statements.len(), 2);
    let s = &parsed.statements[0];
    assert_eq!(s.account, "10020030/1234567890");
    assert_eq!(s.currency, Currency::EUR);
    assert_eq!(s.reference.as_deref(), Some("STARTUMS"));
    assert_eq!(s.sequence.as_deref(), Some("00001/001"));
    let open = s.opening_balance.unwrap();
    assert_eq!(open.amount, eur(100_000));
    assert_eq!(open.date, date(2023, 12, 28));
    let close = s.closing_balance.unwrap();
    assert_eq!(close.amount, eur(115_538));
    assert_eq!(close.date, date(2024, 1, 2));
    assert_eq!(s.available_balance.unwrap().amount, eur(115_538));
    assert_eq!(s.forward_balances.len(), 2);
    assert_eq!(s.forward_balances[1].date, date(2024, 1, 4));
    // The :86: after :65: is the statement's, not the last entry's.
    assert_eq!(s.information.as_deref(), Some("Kontoauszug Nr. 1 Ende"));
    assert_eq!(s.transactions.len(), 4);

    let t = &s.transactions[0];
    assert_eq!(t.amount, eur(-10_412));
    assert_eq!(t.value_date, date(2023, 12, 28));
    assert_eq!(t.booking_date, date(2023, 12, 28));
    assert!(!t.reversal);
    assert_eq!(t.bank_reference.as_deref(), Some("BANKREF1"));
    assert_eq!(t.supplementary.as_deref(), Some("SEPA LASTSCHRIFT"));
    assert_eq!(t.transaction_code.as_deref(), Some("NDDT"));
    // SEPA keywords split across sub-fields (and KREF split across lines).
    assert_eq!(t.reference.as_deref(), Some("E2E-2023-12-28-0001"));
    assert_eq!(t.description, "Strom Dezember 2023 Kundennr 4711");
    assert_eq!(detail(&t.details, "KREF"), Some("K-77"));
    assert_eq!(detail(&t.details, "MREF"), Some("MANDAT-99"));
    assert_eq!(detail(&t.details, "CRED"), Some("DE98ZZZ09999999999"));
    assert_eq!(detail(&t.details, "ABWA"), Some("Stadtwerke Musterstadt"));
    assert_eq!(detail(&t.details, "00"), Some("SEPA-BASISLASTSCHRIFT"));
    assert_eq!(detail(&t.details, "30"), Some("DEUTDEFFXXX"));
    assert_eq!(
        t.counterparty.as_deref(),
        Some("STADTWERKE MUSTERSTADT GMBH")
    );
    assert_eq!(
        t.counterparty_account.as_deref(),
        Some("DE02120300000000202051")
    );

    // Entry date 0102 after value date 2023-12-30 rolls into 2024; the funds
    // code D after the mark C is not a debit.
    let t = &s.transactions[1];
    assert_eq!(t.amount, eur(25_000));
    assert_eq!(t.value_date, date(2023, 12, 30));
    assert_eq!(t.booking_date, date(2024, 1, 2));
    // EREF+NOTPROVIDED is no reference: the :61: customer reference stays.
    assert_eq!(t.reference.as_deref(), Some("KREF-8812"));
    assert_eq!(detail(&t.details, "EREF"), Some("NOTPROVIDED"));
    assert_eq!(t.description, "Rechnung 2023-99");
    assert_eq!(t.counterparty.as_deref(), Some("Max Mustermann"));
    assert_eq!(t.transaction_code.as_deref(), Some("NTRF"));

    // RC: reversal of a credit is a debit.
    let t = &s.transactions[2];
    assert_eq!(t.amount, eur(-1_050));
    assert!(t.reversal);
    assert_eq!(t.reference, None);
    assert_eq!(t.description, "Storno Gutschrift");
    // RD: reversal of a debit is a credit.
    let t = &s.transactions[3];
    assert_eq!(t.amount, eur(2_000));
    assert!(t.reversal);
    assert_eq!(t.description, "Ruecklastschrift wegen Widerspruch");

    let s = &parsed.statements[1];
    assert_eq!(s.sequence.as_deref(), Some("00002/001"));
    assert_eq!(s.opening_balance.unwrap().amount, eur(-5_000));
    assert_eq!(s.closing_balance.unwrap().amount, eur(2_525));
    assert_eq!(s.transactions.len(), 1);
    assert_eq!(s.transactions[0].amount, eur(7_525));
    assert_eq!(s.transactions[0].description, "Einzahlung");
    assert_eq!(s.information, None);
}

#[test]
fn dutch_structured_86() {
    let bytes = fixture("mt940_dutch_lf.sta");
    let parsed = parse_bytes(&bytes, Options::default()).unwrap();
    assert_eq!(parsed.statements.len(), 1);
    let s = &parsed.statements[0];
    assert_eq!(s.account, "NL69INGB0123456789EUR");
    assert_eq!(s.closing_balance.unwrap().amount, eur(182_228));
    assert_eq!(s.information.as_deref(), Some("/SUM/2/1/89,95/1250,00/"));
    let t = &s.transactions[0];
    assert_eq!(t.amount, eur(125_000));
    assert_eq!(t.counterparty.as_deref(), Some("J. Janssen"));
    assert_eq!(
        t.counterparty_account.as_deref(),
        Some("NL32INGB0000012345")
    );
    assert_eq!(t.description, "Factuur 2024-001 huur");
    assert_eq!(t.reference.as_deref(), Some("E2E-NL-1"));
    assert_eq!(detail(&t.details, "TRTP"), Some("SEPA OVERBOEKING"));
    assert_eq!(detail(&t.details, "BIC"), Some("INGBNL2A"));
    let t = &s.transactions[1];
    assert_eq!(t.amount, eur(-8_995));
    assert_eq!(t.booking_date, date(2024, 2, 16));
    assert_eq!(t.counterparty.as_deref(), Some("Energie BV"));
    assert_eq!(t.description, "RF18539007547034");
    assert_eq!(
        t.counterparty_account.as_deref(),
        Some("NL91ABNA0417164300")
    );
    assert_eq!(t.reference.as_deref(), Some("INC-7"));
    assert_eq!(detail(&t.details, "MARF"), Some("M-55"));
    assert_eq!(detail(&t.details, "CSID"), Some("NL12ZZZ123456780000"));
}

#[test]
fn cp1252_and_utf8_with_bom_decode_to_the_same_text() {
    let a = parse_bytes(&fixture("mt940_cp1252.sta"), Options::default()).unwrap();
    let b = parse_bytes(&fixture("mt940_utf8_bom.sta"), Options::default()).unwrap();
    let want = "Zahlung an Müller € 50 „Straße“";
    assert_eq!(a.statements[0].transactions[0].description, want);
    assert_eq!(b.statements[0].transactions[0].description, want);
    assert_eq!(b.statements[0].reference.as_deref(), Some("UTF8"));
    assert_eq!(a.statements[0].transactions[0].amount, eur(-5_000));
}

#[test]
fn mt942_interim_report_without_balances() {
    let bytes = fixture("mt942_interim.sta");
    assert_eq!(Format::detect(&bytes), Some(Format::Mt942));
    let parsed = parse_bytes(&bytes, Options::default()).unwrap();
    let s = &parsed.statements[0];
    assert_eq!(s.currency, Currency::EUR);
    assert_eq!(s.opening_balance, None);
    assert_eq!(s.closing_balance, None);
    assert_eq!(s.transactions.len(), 1);
    assert_eq!(s.transactions[0].amount, eur(-1_234));
    assert_eq!(s.transactions[0].description, "Kaffee");
}

#[test]
fn unbalanced_statement_is_an_error_or_a_warning() {
    let bytes = fixture("mt940_unbalanced.sta");
    let e = parse_bytes(&bytes, Options::default()).unwrap_err();
    assert_eq!(line_col(&e), (6, 6));
    assert_eq!(e.field, "62F");
    assert!(e.message.contains("110.00"), "{e}");
    assert!(e.message.contains("120.00"), "{e}");
    let parsed = parse_bytes(
        &bytes,
        Options {
            warn_on_unbalanced: true,
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(parsed.statements.len(), 1);
    assert_eq!(parsed.warnings.len(), 1);
    assert_eq!(parsed.warnings[0].to_string(), e.to_string());
}

const HEAD: &str = ":20:X\n:25:ACC\n:28C:1\n:60F:C240101EUR100,00\n";

#[test]
fn too_many_decimals_names_line_column_and_field() {
    let e = expect_err(&format!(
        "{HEAD}:61:240102C10,123NTRFNONREF\n:62F:C240102EUR110,12\n"
    ));
    assert_eq!(line_col(&e), (5, 12));
    assert_eq!(e.field, "61");
    assert!(e.message.contains("decimal places"), "{e}");
    assert_eq!(
        e.to_string().split(':').take(2).collect::<Vec<_>>(),
        ["5", "12"]
    );
}

#[test]
fn bad_value_date_names_position() {
    let e = expect_err(&format!("{HEAD}:61:241302C10,00NTRFNONREF\n"));
    assert_eq!(line_col(&e), (5, 5));
    assert_eq!(e.field, "61");
}

#[test]
fn bad_mark_and_missing_type_code() {
    let e = expect_err(&format!("{HEAD}:61:240102X10,00NTRFNONREF\n"));
    assert_eq!((line_col(&e), e.field.as_str()), ((5, 11), "61"));
    let e = expect_err(&format!("{HEAD}:61:240102C10,00\n"));
    assert_eq!((line_col(&e), e.field.as_str()), ((5, 17), "61"));
}

#[test]
fn bad_balance_fields() {
    let e = expect_err(":20:X\n:25:ACC\n:60F:C240101EU100,00\n");
    assert_eq!((line_col(&e), e.field.as_str()), ((3, 13), "60F"));
    let e = expect_err(":20:X\n:25:ACC\n:60F:C240101EUR100,00\n:62F:C240101USD100,00\n");
    assert_eq!((line_col(&e), e.field.as_str()), ((4, 13), "62F"));
    let e = expect_err(":20:X\n:25:ACC\n:60F:C240101EUR1x0,00\n");
    assert_eq!((line_col(&e), e.field.as_str()), ((3, 16), "60F"));
    // Column counts the SWIFT wrapper on the same line.
    let e = expect_err("{1:F01X}{4::20:X\n:25:A\n:60F:Z240101EUR1,00\n");
    assert_eq!((line_col(&e), e.field.as_str()), ((3, 6), "60F"));
}

#[test]
fn structural_errors() {
    let e = expect_err(":20:X\n:25:ACC\n:61:240102C10,00NTRFNONREF\n");
    assert_eq!((line_col(&e), e.field.as_str()), ((3, 5), "61"));
    let e = expect_err("hello\n:20:X\n");
    assert_eq!((line_col(&e), e.field.as_str()), ((1, 1), "-"));
    let e = expect_err(":20:X\n:60F:C240101EUR1,00\n:62F:C240101EUR1,00\n");
    assert_eq!(e.field, "25");
    let e = expect_err(":20:X\n:25:A\n:60F:C240101EUR1,00\n-\n");
    assert_eq!(e.field, "62F");
}

#[test]
fn reader_streams_one_statement_at_a_time_and_stops_after_an_error() {
    let bytes = fixture("mt940_german_swift_crlf.sta");
    let mut r = Mt940Reader::new(&bytes[..], Options::default());
    assert_eq!(r.next().unwrap().unwrap().transactions.len(), 4);
    assert_eq!(r.next().unwrap().unwrap().transactions.len(), 1);
    assert!(r.next().is_none());

    let bad = format!("{HEAD}:61:241302C10,00NTRFNONREF\n-\n{HEAD}:62F:C240101EUR100,00\n");
    let mut r = Mt940Reader::new(bad.as_bytes(), Options::default());
    assert!(r.next().unwrap().is_err());
    assert!(r.next().is_none());
}

#[test]
fn statement_serialises_with_signed_decimal_amounts() {
    let parsed = parse_bytes(
        &fixture("mt940_unbalanced.sta"),
        Options {
            warn_on_unbalanced: true,
            ..Options::default()
        },
    )
    .unwrap();
    let json = serde_json::to_value(&parsed.statements[0]).unwrap();
    assert_eq!(json["account"], "DE89370400440532013000");
    assert_eq!(json["opening_balance"]["date"], "2024-01-01");
    assert_eq!(json["transactions"][0]["amount"]["amount"], "10.00");
    assert_eq!(json["transactions"][0]["amount"]["currency"], "EUR");
    assert_eq!(json["opening_balance"]["amount"]["amount"], "100.00");
}

#[test]
fn entry_date_rolls_back_over_new_year_and_funds_code_after_debit() {
    let text = ":20:X\n:25:ACC\n:28C:1\n:60F:C231230EUR100,00\n:61:2401021230DR1,00NTRFNONREF\n:61:240102C1,NTRFNONREF\n:62F:C240102EUR100,00\n";
    let parsed = parse_bytes(text.as_bytes(), Options::default()).unwrap();
    let t = &parsed.statements[0].transactions;
    assert_eq!(t[0].value_date, date(2024, 1, 2));
    assert_eq!(t[0].booking_date, date(2023, 12, 30));
    assert_eq!(t[0].amount, eur(-100));
    assert!(!t[0].reversal, "D then funds code R is a plain debit");
    assert_eq!(t[1].amount, eur(100));
}

#[test]
fn minus_after_a_debit_mark_restates_the_debit() {
    let parsed = parse_bytes(&fixture("mt940_minus_after_mark.sta"), Options::default()).unwrap();
    let s = &parsed.statements[0];
    let got: Vec<(i64, bool)> = s
        .transactions
        .iter()
        .map(|t| (t.amount.minor(), t.reversal))
        .collect();
    // `D-104,12` and `RC-5,00` are debits of 104,12 and 5,00; `CR50,00`
    // is a credit with funds code R; `DR-1,00` a debit with funds code R.
    assert_eq!(
        got,
        [
            (-10_412, false),
            (-500, true),
            (5_000, false),
            (-100, false)
        ]
    );
    assert_eq!(s.transactions[0].description, "Stromrechnung Maerz");
    assert_eq!(s.closing_balance.unwrap().amount, eur(93_988));
}

#[test]
fn minus_after_a_credit_mark_is_an_error() {
    let e = expect_err(&format!("{HEAD}:61:240102C-10,00NTRFNONREF\n"));
    assert_eq!((line_col(&e), e.field.as_str()), ((5, 12), "61"));
    assert!(e.message.contains("credit mark C"), "{e}");
    let e = expect_err(&format!("{HEAD}:61:240102RD-10,00NTRFNONREF\n"));
    assert_eq!((line_col(&e), e.field.as_str()), ((5, 13), "61"));
    assert!(e.message.contains("credit mark RD"), "{e}");
}
