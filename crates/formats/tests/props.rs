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
        let _ = parse_bytes(&bytes, Options { warn_on_unbalanced: true });
        let _ = Format::detect(&bytes);
    }

    #[test]
    fn mt940_shaped_input_never_panics(lines in prop::collection::vec(mt940_line(), 0..30)) {
        let bytes: Vec<u8> = lines.concat();
        let _ = parse_bytes(&bytes, Options::default());
        let _ = parse_bytes(&bytes, Options { warn_on_unbalanced: true });
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
            let _ = parse_bytes(xml.as_bytes(), Options { warn_on_unbalanced: true });
        }
    }
}
