"""Baseline for bench/tables.ts: pdfplumber's tables on the given pages, as raw grids.

Usage: python3 tables_pdfplumber.py file.pdf PAGE [PAGE ...]
Prints one JSON object: {"PAGE": [grid, ...]} where a grid is a list of rows of cell strings
(None for an empty cell), exactly as pdfplumber returns them. The text strategy is used because
statement tables in filings are mostly ruled only under totals, so the lines strategy finds few.
Turning grids into (label, period, value) triples happens in the benchmark, so that number and
label parsing is the same code for every tool.
"""

import json
import sys

import pdfplumber

SETTINGS = {"vertical_strategy": "text", "horizontal_strategy": "text"}


def main() -> None:
    path, pages = sys.argv[1], [int(p) for p in sys.argv[2:]]
    out = {}
    with pdfplumber.open(path) as pdf:
        for number in pages:
            out[str(number)] = pdf.pages[number - 1].extract_tables(SETTINGS)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
