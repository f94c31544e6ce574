"""The Python side of benches/compare/run.sh: parse one statement file with
the library people use for that format and print one JSON line like
`statement_compare parse` does (entries, sum of the signed amounts, the
amounts of the first, middle and last entry, seconds).

    python parse.py mt940|camt053|ofx|ofxparse FILE

Only reading and parsing the file is timed (the library's own entry point,
given the path); counting and summing the entries comes after.
"""

import json
import sys
import time
from decimal import Decimal


def parse_mt940(path):
    import mt940

    started = time.perf_counter()
    # One Transactions per :20: block (parse() would merge them); RC/RD
    # signed as anumati signs them (RC is money leaving the account).
    statements = mt940.parse_statements(path, options=mt940.Options(reversal_sign=True))
    seconds = time.perf_counter() - started
    amounts = [t.data["amount"].amount for s in statements for t in s]
    return amounts, seconds


def parse_camt053(path):
    from pycamt.parser import Camt053Parser

    started = time.perf_counter()
    parser = Camt053Parser.from_file(path)
    transactions = parser.get_transactions()
    seconds = time.perf_counter() - started
    # pycamt gives the amount unsigned and the indicator beside it.
    amounts = [
        -Decimal(t["Amount"]) if t["CreditDebitIndicator"] == "DBIT" else Decimal(t["Amount"])
        for t in transactions
    ]
    return amounts, seconds


def parse_ofx(path):
    from ofxtools.Parser import OFXTree

    started = time.perf_counter()
    tree = OFXTree()
    tree.parse(path)
    ofx = tree.convert()  # the typed model: Decimal amounts, datetimes
    seconds = time.perf_counter() - started
    amounts = [t.trnamt for s in ofx.statements for t in s.transactions]
    return amounts, seconds


def parse_ofxparse(path):
    from ofxparse import OfxParser

    started = time.perf_counter()
    with open(path, "rb") as f:
        ofx = OfxParser.parse(f)  # BeautifulSoup over the whole file
    seconds = time.perf_counter() - started
    amounts = [t.amount for a in ofx.accounts for t in a.statement.transactions]
    return amounts, seconds


def main():
    fmt, path = sys.argv[1], sys.argv[2]
    amounts, seconds = {
        "mt940": parse_mt940,
        "camt053": parse_camt053,
        "ofx": parse_ofx,
        "ofxparse": parse_ofxparse,
    }[fmt](path)
    n = len(amounts)
    spot = [amounts[i] for i in (0, n // 2, n - 1)] if n else []
    cents = Decimal("0.01")
    print(
        json.dumps(
            {
                "entries": n,
                "sum": str(sum(amounts, Decimal(0)).quantize(cents)),
                "spot": [str(Decimal(a).quantize(cents)) for a in spot],
                "seconds": round(seconds, 6),
            }
        )
    )


if __name__ == "__main__":
    main()
