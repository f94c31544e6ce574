use anumati_formats::mt940::parse_bytes;
use anumati_formats::{Format, Options};
use proptest::prelude::*;

/// Lines that look like MT940 so that the fuzzing reaches the field parsers.
fn mt940_line() -> impl Strategy<Value = Vec<u8>> {
    let tag = prop::sample::select(vec![
        ":20:",
        ":25:",
        ":28C:",
        ":60F:",
        ":60M:",
        ":61:",
        ":86:",
        ":62F:",
        ":62M:",
        ":64:",
        ":65:",
        ":34F:",
        "{1:F01X}{4:",
        "-}",
        "-",
        "",
        "?20",
        "/REMI/",
        "/NAME/",
    ]);
    let body = prop::collection::vec(
        prop::sample::select(vec![
            b'0', b'1', b'2', b'3', b'9', b'C', b'D', b'R', b'N', b'T', b'F', b'E', b'U', b',',
            b'/', b'?', b'+', b'{', b'}', b':', b' ', b'\r', 0xFC, 0x80, 0xC3,
        ]),
        0..40,
    );
    (tag, body, prop::bool::ANY).prop_map(|(t, b, real)| {
        let mut out = t.as_bytes().to_vec();
        if real {
            out.extend_from_slice(b"240101C1,00NTRFNONREF//B");
        }
        out.extend(b);
        out.push(b'\n');
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_bytes(&bytes, Options::default());
        let _ = parse_bytes(&bytes, Options { warn_on_unbalanced: true, ..Options::default() });
        let _ = Format::detect(&bytes);
    }

    #[test]
    fn mt940_shaped_input_never_panics(lines in prop::collection::vec(mt940_line(), 0..30)) {
        let bytes: Vec<u8> = lines.concat();
        let _ = parse_bytes(&bytes, Options::default());
        let _ = parse_bytes(&bytes, Options { warn_on_unbalanced: true, ..Options::default() });
    }
}

mod round_trip {
    use anumati_domain::{Currency, Money};
    use anumati_formats::mt940::{parse_bytes, write};
    use anumati_formats::{Balance, Entry, Options, Statement};
    use jiff::civil::Date;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        "[A-Za-z0-9][A-Za-z0-9 .,-]{0,80}[A-Za-z0-9]".prop_map(|s| s)
    }

    fn entry() -> impl Strategy<Value = Entry> {
        (
            -99_999_999i64..99_999_999,
            0i64..400,
            0i64..3,
            any::<bool>(),
            proptest::option::of("[A-Z0-9-]{1,16}"),
            text(),
            proptest::option::of("[A-Z][A-Za-z ]{0,25}[a-z]"),
            proptest::option::of("DE[0-9]{20}"),
        )
            .prop_map(
                |(minor, day, lag, reversal, reference, description, name, iban)| {
                    let value_date = Date::constant(2023, 12, 1)
                        .checked_add(jiff::Span::new().days(day))
                        .unwrap();
                    let booking_date = value_date.checked_add(jiff::Span::new().days(lag)).unwrap();
                    Entry {
                        booking_date,
                        value_date,
                        amount: Money::from_minor(minor, Currency::EUR),
                        reversal,
                        reference,
                        bank_reference: None,
                        transaction_code: Some("NTRF".to_owned()),
                        description,
                        counterparty: name.map(|n| n.trim().to_owned()),
                        counterparty_account: iban,
                        supplementary: None,
                        details: Vec::new(),
                    }
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn write_then_parse_is_identity(
            opening in -1_000_000_000i64..1_000_000_000,
            entries in prop::collection::vec(entry(), 0..20),
        ) {
            let date = Date::constant(2024, 1, 31);
            let total: i64 = opening + entries.iter().map(|e| e.amount.minor()).sum::<i64>();
            let statement = Statement {
                account: "DE89370400440532013000".to_owned(),
                currency: Currency::EUR,
                reference: Some("RT".to_owned()),
                sequence: Some("1/1".to_owned()),
                opening_balance: Some(Balance { amount: Money::from_minor(opening, Currency::EUR), date }),
                closing_balance: Some(Balance { amount: Money::from_minor(total, Currency::EUR), date }),
                available_balance: None,
                forward_balances: vec![],
                information: Some("end".to_owned()),
                transactions: entries,
            };
            let mut out = Vec::new();
            write(&mut out, std::slice::from_ref(&statement)).unwrap();
            let parsed = parse_bytes(&out, Options::default()).unwrap();
            prop_assert_eq!(parsed.statements.len(), 1);
            let got = &parsed.statements[0];
            prop_assert_eq!(got.opening_balance, statement.opening_balance);
            prop_assert_eq!(got.closing_balance, statement.closing_balance);
            prop_assert_eq!(got.information.as_deref(), Some("end"));
            prop_assert_eq!(got.transactions.len(), statement.transactions.len());
            for (g, w) in got.transactions.iter().zip(&statement.transactions) {
                prop_assert_eq!(g.amount, w.amount);
                prop_assert_eq!(g.reversal, w.reversal);
                prop_assert_eq!(g.value_date, w.value_date);
                prop_assert_eq!(g.booking_date, w.booking_date);
                prop_assert_eq!(&g.reference, &w.reference);
                prop_assert_eq!(&g.description, &w.description);
                prop_assert_eq!(&g.counterparty, &w.counterparty);
                prop_assert_eq!(&g.counterparty_account, &w.counterparty_account);
            }
        }
    }
}

mod camt_fuzz {
    use anumati_formats::camt::parse_bytes;
    use anumati_formats::Options;
    use proptest::prelude::*;

    fn fragment() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "<Document>",
            "</Document>",
            "<BkToCstmrStmt>",
            "</BkToCstmrStmt>",
            "<Stmt>",
            "</Stmt>",
            "<Ntry>",
            "</Ntry>",
            "<NtryDtls>",
            "</NtryDtls>",
            "<TxDtls>",
            "</TxDtls>",
            "<Amt Ccy=\"EUR\">",
            "<Amt Ccy=\"eu\">",
            "<Amt>",
            "</Amt>",
            "1.00",
            "1.005",
            "-3",
            "<CdtDbtInd>",
            "</CdtDbtInd>",
            "CRDT",
            "DBIT",
            "<Bal>",
            "</Bal>",
            "<Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp>",
            "<Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>",
            "<Dt>",
            "</Dt>",
            "2024-01-01",
            "<BookgDt>",
            "</BookgDt>",
            "<Acct><Id><IBAN>X</IBAN></Id></Acct>",
            "&amp;",
            "&#xZZ;",
            "<![CDATA[x]]>",
            "\u{fc}",
            "<AmtDtls><TxAmt>",
            "</TxAmt></AmtDtls>",
        ])
        .prop_map(str::to_owned)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arbitrary_bytes_never_panic_camt(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_bytes(&bytes, Options::default());
            let _ = anumati_formats::parse_bytes(&bytes, None, Options::default());
        }

        #[test]
        fn camt_shaped_input_never_panics(parts in prop::collection::vec(fragment(), 0..60)) {
            let xml = parts.concat();
            let _ = parse_bytes(xml.as_bytes(), Options::default());
            let _ = parse_bytes(xml.as_bytes(), Options { warn_on_unbalanced: true, ..Options::default() });
        }
    }
}

mod ofx_fuzz {
    use anumati_domain::Currency;
    use anumati_formats::ofx::{parse_bytes, parse_datetime};
    use anumati_formats::{Format, Options};
    use proptest::prelude::*;

    fn fragment() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "OFXHEADER:100\nDATA:OFXSGML\nCHARSET:1252\n\n",
            "<?xml version=\"1.0\"?><?OFX OFXHEADER=\"200\"?>",
            "<OFX>",
            "</OFX>",
            "<BANKMSGSRSV1>",
            "<STMTTRNRS>",
            "</STMTTRNRS>",
            "<TRNUID>1",
            "<STMTRS>",
            "</STMTRS>",
            "<CCSTMTRS>",
            "</CCSTMTRS>",
            "<CURDEF>EUR",
            "<CURDEF>eur",
            "<BANKACCTFROM><ACCTID>A1</BANKACCTFROM>",
            "<CCACCTFROM>",
            "<ACCTID>",
            "<BANKTRANLIST>",
            "</BANKTRANLIST>",
            "<STMTTRN>",
            "</STMTTRN>",
            "<TRNTYPE>DEBIT",
            "<DTPOSTED>",
            "<DTUSER>",
            "<DTAVAIL>",
            "20240105",
            "20240105013000.000[+5.50:IST]",
            "20240105[0:GMT]",
            "2024013",
            "[-5:EST]",
            "<TRNAMT>",
            "-12.34",
            ".5",
            "1.2.3",
            "99999999999999999999",
            "<FITID>F",
            "<NAME>AT&T",
            "<MEMO>",
            "<MEMO/>",
            "</MEMO>",
            "&amp;",
            "&#xZZ;",
            "&#99999999;",
            "<CURRENCY><CURRATE>1.5<CURSYM>USD</CURRENCY>",
            "<ORIGCURRENCY><CURRATE>x<CURSYM>U</ORIGCURRENCY>",
            "<CURRATE>99999999999",
            "<LEDGERBAL><BALAMT>1.00<DTASOF>20240101</LEDGERBAL>",
            "<AVAILBAL>",
            "</AVAILBAL>",
            "<BALAMT>",
            "<X.UNKNOWN>",
            "</X.UNKNOWN>",
            "<![CDATA[x]]>",
            "<!-- c -->",
            "<",
            ">",
            "</",
            "\n",
            "\u{fc}",
        ])
        .prop_map(str::to_owned)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arbitrary_bytes_never_panic_ofx(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_bytes(&bytes, Options::default());
            let _ = anumati_formats::parse_bytes(&bytes, Some(Format::Ofx), Options::default());
            if let Ok(s) = std::str::from_utf8(&bytes) {
                let _ = parse_datetime(s);
            }
        }

        #[test]
        fn ofx_shaped_input_never_panics(parts in prop::collection::vec(fragment(), 0..80)) {
            let text = parts.concat();
            let _ = parse_bytes(text.as_bytes(), Options::default());
            let _ = parse_bytes(text.as_bytes(), Options {
                currency: Some(Currency::INR),
                account: Some("A".to_owned()),
                ..Options::default()
            });
            let _ = Format::detect(text.as_bytes());
        }

        #[test]
        fn ofx_dates_never_panic(s in "[0-9]{0,16}(\\.[0-9]{0,10})?(\\[[-+]?[0-9.]{0,5}(:[A-Z]{0,4})?\\]?)?") {
            let _ = parse_datetime(&s).map(|d| d.timestamp());
        }
    }
}

mod csv_fuzz {
    use anumati_domain::Currency;
    use anumati_formats::csv::{parse_bytes, parse_date, parse_money, DateOrder, PROFILES};
    use anumati_formats::{Format, Options};
    use proptest::prelude::*;

    fn cell() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "Date",
            "Description",
            "Amount",
            "Balance",
            "Debit",
            "Credit",
            "Narration",
            "Withdrawal Amt.",
            "Deposit Amt.",
            "Closing Balance",
            "Txn Date",
            "Posting Date",
            "Buchungstag",
            "Betrag (EUR)",
            "Waehrung",
            "Auftragskonto",
            "DC",
            "Currency",
            "Account",
            "Value Date",
            "Account Number :",
            "2024-01-31",
            "31/01/2024",
            "01/31/2024",
            "31.01.24",
            "1 Apr 2024",
            "Apr 1, 2024",
            "13/13/2024",
            "99/99/99",
            "1,000.00",
            "2,50,000.00",
            "1.234,56",
            "-5",
            "(7.50)",
            "12.50 Dr",
            "Cr",
            "DBIT",
            "CRDT",
            "S",
            "£3.00",
            "₹ 10",
            "EUR",
            "usd",
            "\"quoted, cell\"",
            "\"a \"\"b\"\"\"",
            "\"open",
            "*****",
            "",
            " ",
            "-",
            "\u{fc}",
            "99999999999999999999",
        ])
        .prop_map(str::to_owned)
    }

    fn line() -> impl Strategy<Value = String> {
        (
            prop::collection::vec(cell(), 0..8),
            prop::sample::select(vec![",", ";", "\t"]),
            prop::sample::select(vec!["\n", "\r\n"]),
        )
            .prop_map(|(cells, d, end)| cells.join(d) + end)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arbitrary_bytes_never_panic_csv(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse_bytes(&bytes, Options::default());
            let _ = anumati_formats::parse_bytes(&bytes, Some(Format::Csv), Options {
                currency: Some(Currency::EUR),
                account: Some("A".to_owned()),
                ..Options::default()
            });
        }

        #[test]
        fn csv_shaped_input_never_panics(
            lines in prop::collection::vec(line(), 0..20),
            profile in proptest::option::of(0..PROFILES.len()),
            bom in any::<bool>(),
            warn in any::<bool>(),
        ) {
            let mut bytes = if bom { b"\xEF\xBB\xBF".to_vec() } else { Vec::new() };
            bytes.extend(lines.concat().into_bytes());
            let options = Options {
                warn_on_unbalanced: warn,
                currency: Some(Currency::INR),
                account: Some("A".to_owned()),
                csv_profile: profile.map(|p| PROFILES[p].name.to_owned()),
            };
            let _ = parse_bytes(&bytes, options);
            let _ = Format::detect(&bytes);
        }

        #[test]
        fn csv_cells_never_panic(s in "\\PC{0,24}", comma in any::<bool>()) {
            let _ = parse_money(&s, comma, Currency::INR);
            let _ = parse_money(&s, comma, Currency::new("JPY").unwrap());
            let _ = parse_date(&s, DateOrder::DayMonthYear);
            let _ = parse_date(&s, DateOrder::MonthDayYear);
        }
    }
}

mod reader {
    use anumati_formats::{parse_bytes, parse_reader, Options};

    /// Every fixture parses the same from a reader, format detected or given.
    #[test]
    fn parse_reader_agrees_with_parse_bytes_on_every_fixture() {
        let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let want = parse_bytes(&bytes, None, Options::default());
            let file = std::fs::File::open(&path).unwrap();
            let got = parse_reader(std::io::BufReader::new(file), None, Options::default());
            assert_eq!(got, want, "{}", path.display());
            let format = anumati_formats::Format::detect(&bytes);
            let got = parse_reader(&bytes[..], format, Options::default());
            assert_eq!(got, want, "{}", path.display());
            n += 1;
        }
        assert!(n > 20);
    }
}

mod recycle {
    use anumati_formats::camt::CamtReader;
    use anumati_formats::mt940::Mt940Reader;
    use anumati_formats::{Options, Statement};
    use proptest::prelude::*;

    /// Every statement of every MT940 and camt fixture (unbalanced ones
    /// too): strings of all kinds and lengths to hand to a reader.
    fn fixture_statements() -> Vec<Statement> {
        let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
        let options = Options {
            warn_on_unbalanced: true,
            ..Options::default()
        };
        let mut all = Vec::new();
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            if let Ok(p) = anumati_formats::parse_bytes(&bytes, None, options.clone()) {
                all.extend(p.statements);
            }
        }
        assert!(all
            .iter()
            .any(|s| s.transactions.iter().any(|e| !e.details.is_empty())));
        all
    }

    /// What a reader yields when each statement is recycled once read
    /// (after `seed` was), as `(statements, the error that ended it)`.
    fn read_recycling<I>(
        mut reader: I,
        recycle: impl Fn(&mut I, Statement),
        seed: &[Statement],
    ) -> (Vec<Statement>, Option<anumati_formats::ParseError>)
    where
        I: Iterator<Item = Result<Statement, anumati_formats::ParseError>>,
    {
        for s in seed {
            recycle(&mut reader, s.clone());
        }
        let mut out = Vec::new();
        while let Some(s) = reader.next() {
            match s {
                Ok(s) => {
                    out.push(s.clone());
                    recycle(&mut reader, s);
                }
                Err(e) => return (out, Some(e)),
            }
        }
        (out, None)
    }

    fn read_plain<I>(reader: I) -> (Vec<Statement>, Option<anumati_formats::ParseError>)
    where
        I: Iterator<Item = Result<Statement, anumati_formats::ParseError>>,
    {
        read_recycling(reader, |_, _| {}, &[])
    }

    fn mt940<'a>(bytes: &'a [u8], options: &Options) -> Mt940Reader<&'a [u8]> {
        Mt940Reader::new(bytes, options.clone())
    }

    fn camt<'a>(bytes: &'a [u8], options: &Options) -> CamtReader<&'a [u8]> {
        CamtReader::new(bytes, options.clone())
    }

    /// A reader given back statements (its own and others') yields the
    /// same statements and errors as one that is not.
    #[test]
    fn recycled_readers_read_every_fixture_the_same() {
        let seed = fixture_statements();
        let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let bytes = std::fs::read(&path).unwrap();
            for options in [
                Options::default(),
                Options {
                    warn_on_unbalanced: true,
                    ..Options::default()
                },
            ] {
                if name.starts_with("mt94") {
                    let want = read_plain(mt940(&bytes, &options));
                    let got = read_recycling(mt940(&bytes, &options), |r, s| r.recycle(s), &seed);
                    assert_eq!(got, want, "{name}");
                    n += 1;
                } else if name.starts_with("camt") {
                    let want = read_plain(camt(&bytes, &options));
                    let got = read_recycling(camt(&bytes, &options), |r, s| r.recycle(s), &seed);
                    assert_eq!(got, want, "{name}");
                    n += 1;
                }
            }
        }
        assert!(n >= 20);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Fixtures cut and spliced at random places, read with and without
        /// recycling.
        #[test]
        fn recycling_never_changes_what_is_read(
            cuts in prop::collection::vec((0usize..28, any::<prop::sample::Index>(), any::<prop::sample::Index>()), 1..4),
        ) {
            let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
            let mut files: Vec<_> = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| {
                    let n = p.file_name().unwrap().to_string_lossy();
                    n.starts_with("mt94") || n.starts_with("camt")
                })
                .collect();
            files.sort();
            let seed = fixture_statements();
            let mut bytes = Vec::new();
            for (file, from, to) in &cuts {
                let b = std::fs::read(&files[file % files.len()]).unwrap();
                let (a, z) = (from.index(b.len() + 1), to.index(b.len() + 1));
                // Whole files too, so that statements get through.
                bytes.extend_from_slice(&b);
                bytes.extend_from_slice(&b[a.min(z)..a.max(z)]);
            }
            let options = Options { warn_on_unbalanced: true, ..Options::default() };
            let want = read_plain(mt940(&bytes, &options));
            let got = read_recycling(mt940(&bytes, &options), |r, s| r.recycle(s), &seed);
            prop_assert_eq!(got, want);
            let want = read_plain(camt(&bytes, &options));
            let got = read_recycling(camt(&bytes, &options), |r, s| r.recycle(s), &seed);
            prop_assert_eq!(got, want);
        }
    }
}
