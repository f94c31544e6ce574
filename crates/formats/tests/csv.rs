use anumati_domain::{Currency, Money};
use anumati_formats::csv::{parse_bytes, PROFILES};
use anumati_formats::{Format, Options, ParseError, Parsed, Position};
use jiff::civil::date;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn inr(minor: i64) -> Money {
    Money::from_minor(minor, Currency::INR)
}

fn eur(minor: i64) -> Money {
    Money::from_minor(minor, Currency::EUR)
}

fn usd(minor: i64) -> Money {
    Money::from_minor(minor, Currency::USD)
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

fn with(account: Option<&str>, currency: Option<Currency>) -> Options {
    Options {
        account: account.map(str::to_owned),
        currency,
        ..Options::default()
    }
}

/// Detects the fixture as CSV and parses it through the crate's entry point.
fn parse(name: &str, options: Options) -> Parsed {
    let bytes = fixture(name);
    assert_eq!(Format::detect(&bytes), Some(Format::Csv), "{name}");
    anumati_formats::parse_bytes(&bytes, None, options).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn amounts(p: &Parsed) -> Vec<i64> {
    p.statements[0]
        .transactions
        .iter()
        .map(|t| t.amount.minor())
        .collect()
}

#[test]
fn hdfc_metadata_separators_lakh_grouping_and_footer() {
    let p = parse("csv_hdfc.csv", Options::default());
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    assert_eq!(p.statements.len(), 1);
    let s = &p.statements[0];
    // From the metadata lines before the header.
    assert_eq!(s.account, "50100012345678");
    assert_eq!(s.currency, Currency::INR);
    assert_eq!(
        amounts(&p),
        [-45_000, 18_500_000, -1_250_000, -1_000_000, 123_450]
    );
    let open = s.opening_balance.unwrap();
    assert_eq!(open.amount, inr(25_000_000));
    assert_eq!(open.date, date(2024, 4, 1));
    let close = s.closing_balance.unwrap();
    assert_eq!(close.amount, inr(41_328_450));
    assert_eq!(close.date, date(2024, 4, 30));
    let t = &s.transactions[1];
    assert_eq!(t.booking_date, date(2024, 4, 2));
    assert_eq!(t.value_date, date(2024, 4, 2));
    assert_eq!(
        t.description,
        "NEFT CR-CITI0100000-ACME INDIA PVT LTD-SALARY APR 2024"
    );
    assert_eq!(t.reference.as_deref(), Some("CITIN24040212345"));
}

#[test]
fn icici_currency_in_header_quoted_commas_and_zero_columns() {
    let p = parse("csv_icici.csv", Options::default());
    let s = &p.statements[0];
    assert_eq!(s.account, "000401234567");
    assert_eq!(s.currency, Currency::INR);
    assert_eq!(amounts(&p), [12_500_000, -52_300, -3_500_000, -215_050]);
    assert_eq!(s.opening_balance.unwrap().amount, inr(25_000_000));
    assert_eq!(s.closing_balance.unwrap().amount, inr(33_732_650));
    let t = &s.transactions[0];
    assert_eq!(
        t.description,
        "NEFT-HDFCN52024030112345-ACME, INC-SALARY MAR"
    );
    assert_eq!(t.reference, None, "`-` is no cheque number");
    assert!(t.details.is_empty(), "S No. is dropped: {:?}", t.details);
    let t = &s.transactions[1];
    assert_eq!(t.booking_date, date(2024, 3, 2));
    assert_eq!(t.value_date, date(2024, 3, 3));
    let t = &s.transactions[2];
    assert_eq!(t.description, "CHQ PAID-MICR CTS-MU-RENT \"MARCH\"");
    assert_eq!(t.reference.as_deref(), Some("000123"));
}

#[test]
fn sbi_tabs_month_name_dates_and_blank_debit_credit() {
    let p = parse("csv_sbi.csv", Options::default());
    let s = &p.statements[0];
    assert_eq!(s.account, "00000031234567890");
    assert_eq!(s.currency, Currency::INR, "the profile's default");
    assert_eq!(amounts(&p), [7_500_000, -234_500, -500_000]);
    assert_eq!(s.opening_balance.unwrap().amount, inr(5_000_000));
    assert_eq!(s.closing_balance.unwrap().amount, inr(11_765_500));
    assert_eq!(s.transactions[2].booking_date, date(2024, 4, 12));
    assert_eq!(s.transactions[2].reference, None);
    assert_eq!(
        s.transactions[1].reference.as_deref(),
        Some("TRANSFER TO 4897691234")
    );
}

#[test]
fn chase_us_dates_newest_first_signed_amounts_trailing_comma() {
    let p = parse("csv_chase.csv", with(Some("CHASE-1234"), None));
    let s = &p.statements[0];
    assert_eq!(s.account, "CHASE-1234");
    assert_eq!(s.currency, Currency::USD);
    // Returned oldest first; the balances added up in reverse file order.
    assert_eq!(amounts(&p), [-150_000, -70_000, 250_000, -3_499]);
    assert_eq!(s.transactions[0].booking_date, date(2024, 1, 5));
    assert_eq!(s.transactions[3].booking_date, date(2024, 1, 30));
    assert_eq!(s.opening_balance.unwrap().amount, usd(150_000));
    assert_eq!(s.opening_balance.unwrap().date, date(2024, 1, 5));
    assert_eq!(s.closing_balance.unwrap().amount, usd(176_501));
    let check = &s.transactions[1];
    assert_eq!(check.reference.as_deref(), Some("1001"));
    assert_eq!(check.transaction_code.as_deref(), Some("CHECK_PAID"));
    assert_eq!(detail(&check.details, "Details"), Some("CHECK"));
}

#[test]
fn german_sparkasse_cp1252_semicolons_decimal_comma_account_column() {
    let p = parse("csv_german_sparkasse.csv", Options::default());
    let s = &p.statements[0];
    assert_eq!(s.account, "DE89370400440532013000");
    assert_eq!(s.currency, Currency::EUR);
    assert_eq!(s.opening_balance, None, "no balance column");
    // Oldest first.
    assert_eq!(amounts(&p), [-4_210, 25_000, -123_456]);
    let t = &s.transactions[2];
    assert_eq!(t.booking_date, date(2024, 3, 28));
    assert_eq!(t.description, "Strom März 2024 Kd-Nr. 4711");
    assert_eq!(t.counterparty.as_deref(), Some("Stadtwerke München GmbH"));
    assert_eq!(
        t.counterparty_account.as_deref(),
        Some("DE02120300000000202051")
    );
    assert_eq!(t.reference.as_deref(), Some("E2E-2024-03-28"));
    assert_eq!(t.transaction_code.as_deref(), Some("FOLGELASTSCHRIFT"));
    assert_eq!(detail(&t.details, "Mandatsreferenz"), Some("MANDAT-99"));
    assert_eq!(detail(&t.details, "BIC (SWIFT-Code)"), Some("BYLADEM1001"));
    let t = &s.transactions[1];
    assert_eq!(t.description, "Rückzahlung „Reise“ €");
    assert_eq!(t.counterparty.as_deref(), Some("Müller, Jürgen"));
    assert_eq!(t.reference, None, "NOTPROVIDED");
    assert_eq!(s.transactions[0].description, "REWE Markt GmbH;Berlin");
}

#[test]
fn german_dkb_bom_metadata_thousands_and_currency_in_header() {
    let p = parse("csv_german_dkb.csv", Options::default());
    let s = &p.statements[0];
    assert_eq!(s.account, "DE12120300001234567890");
    assert_eq!(s.currency, Currency::EUR);
    assert_eq!(amounts(&p), [-1_299, 345_678, -110_000]);
    let t = &s.transactions[1];
    assert_eq!(t.booking_date, date(2024, 3, 4));
    assert_eq!(t.value_date, date(2024, 3, 5));
    assert_eq!(t.counterparty.as_deref(), Some("Arbeitgeber AG"));
    assert_eq!(t.reference.as_deref(), Some("GEHALT-03"));
    assert_eq!(detail(&t.details, "BLZ"), Some("BYLADEM1001"));
    assert_eq!(
        detail(&s.transactions[0].details, "Gläubiger-ID"),
        Some("NL12ZZZ123456780000")
    );
}

#[test]
fn separate_money_in_and_out_columns_with_bom_and_symbols() {
    let p = parse(
        "csv_debit_credit.csv",
        with(Some("20-00-00 12345678"), Some(Currency::GBP)),
    );
    assert!(p.warnings.is_empty(), "15/01 settles day-first");
    let s = &p.statements[0];
    assert_eq!(s.account, "20-00-00 12345678");
    assert_eq!(s.currency, Currency::GBP);
    assert_eq!(amounts(&p), [-4_520, 210_000, -15_000, 1_999]);
    assert_eq!(s.transactions[0].booking_date, date(2024, 1, 3));
    assert_eq!(s.transactions[2].description, "COUNCIL TAX, JAN");
    assert_eq!(s.transactions[2].transaction_code.as_deref(), Some("DD"));
    assert_eq!(s.opening_balance.unwrap().amount.minor(), 100_000);
    assert_eq!(s.closing_balance.unwrap().amount.minor(), 292_479);
}

#[test]
fn dbit_crdt_indicator_with_quoted_multiline_field() {
    let p = parse(
        "csv_indicator.csv",
        with(Some("DE89370400440532013000"), None),
    );
    let s = &p.statements[0];
    assert_eq!(s.currency, Currency::EUR, "from the currency column");
    assert_eq!(amounts(&p), [125_000, -8_990, -100_000]);
    let t = &s.transactions[0];
    assert_eq!(t.description, "Rechnung 2024-17; Danke");
    assert_eq!(t.reference.as_deref(), Some("E2E-17"));
    assert_eq!(t.counterparty.as_deref(), Some("Kunde GmbH"));
    let t = &s.transactions[1];
    assert_eq!(t.description, "Mobilfunk \"Februar\" Kundennr. 123");
    assert_eq!(t.value_date, date(2024, 2, 3));
    assert_eq!(t.reference, None);
}

#[test]
fn generic_profile_takes_account_and_currency_from_options() {
    let bytes = fixture("csv_generic.csv");
    let e = parse_bytes(&bytes, Options::default()).unwrap_err();
    assert_eq!(e.field, "account");
    let e = parse_bytes(&bytes, with(Some("ACC-1"), None)).unwrap_err();
    assert_eq!(e.field, "currency");
    assert_eq!(line_col(&e), (1, 1));
    let p = parse("csv_generic.csv", with(Some("ACC-1"), Some(Currency::INR)));
    let s = &p.statements[0];
    assert_eq!((s.account.as_str(), s.currency), ("ACC-1", Currency::INR));
    assert_eq!(amounts(&p), [100_000, -8_245, -320, 1_200]);
    assert_eq!(s.opening_balance.unwrap().amount, inr(0));
    assert_eq!(s.closing_balance.unwrap().amount, inr(92_635));
}

#[test]
fn profile_inference_picks_the_bank_profile() {
    let cases = [
        ("csv_hdfc.csv", "hdfc"),
        ("csv_icici.csv", "icici"),
        ("csv_sbi.csv", "sbi"),
        ("csv_chase.csv", "chase"),
        ("csv_german_sparkasse.csv", "german"),
        ("csv_german_dkb.csv", "german"),
        ("csv_debit_credit.csv", "debit-credit"),
        ("csv_indicator.csv", "indicator"),
        ("csv_generic.csv", "generic"),
    ];
    let options = with(Some("A"), Some(Currency::EUR));
    for (file, profile) in cases {
        let bytes = fixture(file);
        let inferred = parse_bytes(&bytes, options.clone()).unwrap();
        // Forcing the profile gives the same result; another profile fails.
        let forced = parse_bytes(
            &bytes,
            Options {
                csv_profile: Some(profile.to_owned()),
                ..options.clone()
            },
        )
        .unwrap_or_else(|e| panic!("{file} as {profile}: {e}"));
        assert_eq!(inferred, forced, "{file}");
        let other = if profile == "sbi" { "chase" } else { "sbi" };
        let e = parse_bytes(
            &bytes,
            Options {
                csv_profile: Some(other.to_owned()),
                ..options.clone()
            },
        )
        .unwrap_err();
        assert_eq!(e.field, "header", "{file} as {other}");
    }
    let e = parse_bytes(
        b"Date,Amount\n2024-01-01,1\n",
        Options {
            csv_profile: Some("nosuchbank".to_owned()),
            ..Options::default()
        },
    )
    .unwrap_err();
    assert_eq!(e.field, "profile");
    assert!(e.message.contains("hdfc"), "{e}");
    assert!(PROFILES.len() >= 8);
}

fn csv(text: &str) -> Result<Parsed, ParseError> {
    parse_bytes(text.as_bytes(), with(Some("A"), Some(Currency::EUR)))
}

#[test]
fn ambiguous_dates_warn_and_mixed_orders_fail() {
    let p = csv("Date,Description,Amount\n01/02/2024,x,1.00\n03/04/2024,y,2.00\n").unwrap();
    assert_eq!(
        p.statements[0].transactions[0].booking_date,
        date(2024, 2, 1)
    );
    assert_eq!(p.warnings.len(), 1);
    assert_eq!(p.warnings[0].field, "Date");
    let p = csv("Date,Description,Amount\n01/02/2024,x,1.00\n03/14/2024,y,2.00\n").unwrap();
    assert!(p.warnings.is_empty());
    assert_eq!(
        p.statements[0].transactions[0].booking_date,
        date(2024, 1, 2)
    );
    let e = csv("Date,Description,Amount\n13/02/2024,x,1.00\n03/14/2024,y,2.00\n").unwrap_err();
    assert_eq!((line_col(&e), e.field.as_str()), ((3, 1), "Date"));
}

#[test]
fn bad_cells_name_line_column_and_header() {
    let e = csv("Date,Description,Amount\n2024-01-01,ok,1.00\n2024-01-02,\"two, three\",1.2.3\n")
        .unwrap_err();
    assert_eq!((line_col(&e), e.field.as_str()), ((3, 25), "Amount"));
    // A decimal-comma profile does not read 12.50 as 1,250.
    let e = csv("Buchungstag;Verwendungszweck;Betrag\n01.02.2024;x;12.50\n").unwrap_err();
    assert_eq!((line_col(&e), e.field.as_str()), ((2, 14), "Betrag"));
    assert!(e.message.contains("grouping"), "{e}");
    let e = csv("Date,Description,Amount\n2024-02-30,x,1.00\n").unwrap_err();
    assert_eq!((line_col(&e), e.field.as_str()), ((2, 1), "Date"));
    let e = csv("Date,Description,Amount\n2024-02-03,x,\n").unwrap_err();
    assert_eq!((line_col(&e), e.field.as_str()), ((2, 14), "Amount"));
    assert!(e.message.contains("empty amount"), "{e}");
    let e = csv("Date,Description,Amount\n2024-02-03,x,1.005\n").unwrap_err();
    assert!(e.message.contains("decimal places"), "{e}");
    let e = csv("Date,Description,Amount,Currency\n2024-02-03,x,1.00,EUR\n2024-02-04,x,1.00,USD\n")
        .unwrap_err();
    assert_eq!((line_col(&e), e.field.as_str()), ((3, 19), "Currency"));
    let e = csv("Date,Description,Debit,Credit\n2024-02-03,x,1.00,2.00\n").unwrap_err();
    assert_eq!(e.field, "Credit");
    let e = csv("Date,Description,Debit,Credit\n2024-02-03,x,,\n").unwrap_err();
    assert_eq!(e.field, "Debit");
    let e = csv("Date,Amount,DC\n2024-02-03,1.00,X\n").unwrap_err();
    assert_eq!((line_col(&e), e.field.as_str()), ((2, 17), "DC"));
    // The position of a field after a multi-line quoted one.
    let e = csv("Date,Description,Amount\n2024-01-02,\"a\nb\",x\n").unwrap_err();
    assert_eq!((line_col(&e), e.field.as_str()), ((3, 4), "Amount"));
    let e = csv("Date,Description,Amount\n2024-01-02,\"never closed,1.00\n").unwrap_err();
    assert_eq!(line_col(&e), (2, 12));
    assert!(e.message.contains("unterminated"), "{e}");
    let e = csv("hello\nworld\n").unwrap_err();
    assert_eq!((line_col(&e), e.field.as_str()), ((1, 1), "header"));
}

#[test]
fn running_balance_mismatch_is_an_error_or_a_warning() {
    let text =
        "Date,Description,Amount,Balance\n2024-01-01,a,10.00,110.00\n2024-01-02,b,-5.00,104.00\n";
    let e = csv(text).unwrap_err();
    assert_eq!((line_col(&e), e.field.as_str()), ((3, 20), "Balance"));
    assert!(
        e.message.contains("105.00") && e.message.contains("104.00"),
        "{e}"
    );
    let p = parse_bytes(
        text.as_bytes(),
        Options {
            warn_on_unbalanced: true,
            ..with(Some("A"), Some(Currency::EUR))
        },
    )
    .unwrap();
    assert_eq!(p.warnings.len(), 1);
    assert_eq!(p.warnings[0], e);
    let s = &p.statements[0];
    assert_eq!(s.opening_balance.unwrap().amount, eur(10_000));
    assert_eq!(s.closing_balance.unwrap().amount, eur(10_400));
}

#[test]
fn signs_indicators_and_continuation_rows() {
    let p = csv(concat!(
        "Date,Description,Amount,DC\n",
        "2024-01-01,a,\"1,000.00\",Dr\n",
        "2024-01-02,b,5.00,C\n",
        ",continued on the next row,,\n",
        "2024-01-03,c,2.00,S\n",
        "2024-01-04,d,2.00,h\n",
    ))
    .unwrap();
    assert_eq!(amounts(&p), [-100_000, 500, -200, 200]);
    assert_eq!(
        p.statements[0].transactions[1].description,
        "b continued on the next row"
    );
    let p = csv("Date,Description,Amount\n2024-01-01,a,(12.50)\n2024-01-02,b,12.50 Dr\n").unwrap();
    assert_eq!(amounts(&p), [-1_250, -1_250]);
    let p = csv("Buchungstag;Verwendungszweck;Betrag\n01.02.2024;x;1.234,50-\n").unwrap();
    assert_eq!(amounts(&p), [-123_450]);
}

#[test]
fn several_accounts_give_several_statements() {
    let p = csv("Account,Date,Description,Amount\nA1,2024-01-01,x,1.00\nA2,2024-01-01,y,2.00\nA1,2024-01-02,z,3.00\n").unwrap();
    assert_eq!(p.statements.len(), 2);
    assert_eq!(p.statements[0].account, "A1");
    assert_eq!(p.statements[0].transactions.len(), 2);
    assert_eq!(p.statements[1].account, "A2");
}

#[test]
fn detection_does_not_take_times_for_mt940_tags() {
    let text = b"Date,Description,Amount\n2024-01-01 10:20:30,x,1.00\n";
    assert_eq!(Format::detect(text), Some(Format::Csv));
    assert_eq!(Format::detect(b"a,b\nc,d\n"), None);
}

/// Serves its bytes a few at a time.
struct Trickle<'a>(&'a [u8], usize);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(buf.len()).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn reading_line_by_line_in_small_pieces_gives_the_same_statements() {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if !path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("csv_")
        {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let want = anumati_formats::csv::parse_bytes(&bytes, Options::default());
        for step in [1, 3, 4096] {
            let got = anumati_formats::csv::parse(Trickle(&bytes, step), Options::default());
            assert_eq!(got, want, "{} in pieces of {step}", path.display());
        }
        seen += 1;
    }
    assert!(seen >= 9);
}
