#!/usr/bin/env python3
"""Verify finance-fresh.jsonl against the PDFs (adapted copy of corpus/finance/verify.py; adds check G).

Usage:  python3 verify_fresh.py [finance-fresh.jsonl] [pdf_dir]
Defaults: ../finance-fresh.jsonl beside this folder, PDFs in ../shared/corpus/finance/pdfs beside the repository.

Page text is taken from `pdftotext -layout -f N -l N <pdf> -` (1-based physical
pages) and whitespace-normalised (every run of whitespace -> one space).

Checks
  A  schema: ids unique, fields present, question_type valid, pages in range
  B  every ' ... '-separated fragment of evidence_text occurs on >= 1 evidence page
  C  extraction / notes_table: the answer figure occurs in evidence_text, and (C2) it is
     the number in the expected column (COLUMN) of the quoted row
  D  numerical: the expression after the last ' = ' in `formula` evaluates to
     the answer (rounded to the answer's decimals), and every operand of the
     expression occurs in evidence_text
  E  page coverage: every listed evidence page prints the answer figure
     (extraction / notes_table), the answer or all formula operands
     (numerical), or the answer key phrase (text)
  G  whole-document scan: no unlisted page prints the answer figure / all inputs /
     key phrase, unless it is listed in REVIEWED with the reason it is coincidental
  F  unanswerable: answer is null, no evidence pages, and an absence probe over
     the whole document finds nothing that would answer it
Exit status is 0 only if every check passes.
"""
import json, os, re, subprocess, sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
QFILE = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, '..', 'finance-fresh.jsonl')
PDFDIR = sys.argv[2] if len(sys.argv) > 2 else os.path.join(HERE, '..', '..', '..', '..', 'shared', 'corpus', 'finance', 'pdfs')
TYPES = {'extraction', 'numerical', 'text', 'notes_table', 'unanswerable'}
FIELDS = ['id', 'doc', 'question', 'answer', 'evidence_pages', 'evidence_text',
          'question_type', 'unit', 'formula']

# key phrase that each evidence page of a text question must contain
TEXT_KEYS = {
    'fresh_fin_004': 'Ernst & Young LLP', 'fresh_fin_008': '49,000', 'fresh_fin_016': '33 other countries',
    'fresh_fin_023': 'last Saturday in December', 'fresh_fin_031': '15,000 are covered',
}

def _nums(line):
    return re.findall(r'\d[\d,]*\.?\d*', line)

PROBES = {
    # (description, scope, predicate) -- scope 'line' tests each text line, 'page' the whole page
    'fresh_fin_024': ('no EyeQ unit count: no number followed by (million) units/SoCs/chips/shipments, no "EyeQ" line '
                      'with a million/thousand count (the filing gives only "volume grew approximately 12%")', 'line',
                      lambda l: re.search(r'\d[\d,.]*\s*(million\s+)?(EyeQ\S*\s+)?(units|SoCs|chips|shipments)\b', l, re.I)
                      or (re.search(r'EyeQ', l) and re.search(r'(?<![\w%])\d[\d,.]*\s*(million|thousand)\b', l, re.I))),
    'fresh_fin_032': ('no SAIDI/SAIFI or interruption-duration figure', 'line',
                      lambda l: re.search(r'SAIDI|SAIFI|CAIDI|interruption duration|interruption frequency|outage minutes', l, re.I)),
    'fresh_fin_036': ('no customer count: no number followed by (paying) customers / customer companies', 'line',
                      lambda l: re.search(r'\d[\d,.]*\s*(thousand\s+|million\s+)?(paying\s+)?(customers|customer companies|companies use)\b', l, re.I)),
}

# C2: column check for extraction / notes_table. Index (0-based) of the answer among the
# numbers of the first evidence_text fragment, i.e. which period column the answer is in.
# Catches an answer taken from the wrong year's column of the right row.
COLUMN = {
    'fresh_fin_001': 1, 'fresh_fin_003': 2, 'fresh_fin_005': 1, 'fresh_fin_007': 0, 'fresh_fin_009': 0,
    'fresh_fin_010': 1, 'fresh_fin_012': 1, 'fresh_fin_013': 0, 'fresh_fin_014': 1, 'fresh_fin_017': 1,
    'fresh_fin_018': 0, 'fresh_fin_020': 0, 'fresh_fin_021': 1, 'fresh_fin_025': 1, 'fresh_fin_026': 0,
    'fresh_fin_028': 0, 'fresh_fin_029': 1, 'fresh_fin_033': 2, 'fresh_fin_034': 0, 'fresh_fin_035': 1,
}

# pages outside evidence_pages that a whole-document scan flags (they print the answer figure,
# or all formula inputs, or the text key phrase) and that were read and judged NOT to state
# the asked fact; each with the reason. Any other flagged page makes the run fail.
REVIEWED = {
    'fresh_fin_011': {76: 'Average Monthly Rental Rate growth "3.9 %" (residential rents)',
                      145: 'straight-line rent adjustments of $3.9 million',
                      169: '$3.9 million of compensation expense', 170: '$3.9 million stock compensation',
                      188: 'exhibit number 3.9'},
    'fresh_fin_013': {61: 'balance sheet: Accounts receivable, net 696 at Dec 31, 2017'},
    'fresh_fin_021': {100: 'fair-value table: Level 2 total assets 16,213 at Dec 28, 2019'},
    'fresh_fin_029': {118: 'TOTAL LIABILITIES AND EQUITY 76,995 (equal by identity, a different line item)'},
}

_cache = {}
def page_text(doc, n):
    key = (doc, n)
    if key not in _cache:
        out = subprocess.run(['pdftotext', '-layout', '-f', str(n), '-l', str(n),
                              os.path.join(PDFDIR, doc), '-'],
                             capture_output=True, text=True, check=True).stdout
        _cache[key] = out
    return _cache[key]

def norm(s):
    return ' '.join(s.split())

def npages(doc):
    out = subprocess.run(['pdfinfo', os.path.join(PDFDIR, doc)], capture_output=True, text=True).stdout
    m = re.search(r'^Pages:\s+(\d+)', out, re.M)
    return int(m.group(1)) if m else 0

def num_tokens(s):
    """numbers in a string, commas removed (parentheses/dollar signs ignored)"""
    return {t.replace(',', '').rstrip('.') for t in re.findall(r'\d[\d,]*\.?\d*', s)}

def answer_number(ans):
    m = re.search(r'-?\d[\d,]*\.?\d*', ans)
    raw = m.group(0)
    dec = len(raw.split('.')[1]) if '.' in raw else 0
    return float(raw.replace(',', '')), dec, raw

def contains_figure(text, raw):
    """figure `raw` (e.g. '10,495', '6,497.5', '37.8') printed on the page"""
    return re.search(r'(?<![\d,.])' + re.escape(raw) + r'(?![\d]|[.,]\d)', text) is not None

def main():
    qs = [json.loads(l) for l in open(QFILE, encoding='utf-8') if l.strip()]
    fails = []
    def fail(qid, msg):
        fails.append(f'{qid}: {msg}')

    ids = [q.get('id') for q in qs]
    if len(ids) != len(set(ids)):
        fail('ALL', 'duplicate ids')
    pagecount = {}
    checked_frag = checked_num = checked_pages = 0
    scanned_pages = 0
    for q in qs:
        qid = q.get('id')
        missing = [f for f in FIELDS if f not in q]
        if missing:
            fail(qid, f'missing fields {missing}'); continue
        t = q['question_type']
        if t not in TYPES:
            fail(qid, f'bad question_type {t}')
        doc = q['doc']
        if not os.path.exists(os.path.join(PDFDIR, doc)):
            fail(qid, f'missing pdf {doc}'); continue
        if doc not in pagecount:
            pagecount[doc] = npages(doc)
        pages = q['evidence_pages']
        if any((not isinstance(p, int)) or p < 1 or p > pagecount[doc] for p in pages):
            fail(qid, f'page out of range {pages}')
            continue

        if t == 'unanswerable':
            if q['answer'] is not None or pages or q['evidence_text'] is not None:
                fail(qid, 'unanswerable must have answer null, no pages, no evidence_text')
            desc, scope, pred = PROBES[qid]
            hits = []
            for n in range(1, pagecount[doc] + 1):
                ptxt = page_text(doc, n)
                if scope == 'page':
                    if pred(ptxt):
                        hits.append(f'p{n}')
                    continue
                for line in ptxt.splitlines():
                    if pred(line):
                        hits.append(f'p{n}: {norm(line)[:100]}')
            if hits:
                fail(qid, f'absence probe hit ({desc}): {hits[:3]}')
            print(f'{qid} unanswerable  probe over {pagecount[doc]} pages: {desc} -> {"OK" if not hits else "HIT"}')
            continue

        if q['answer'] in (None, '') or not pages or not q['evidence_text']:
            fail(qid, 'answerable question needs answer, evidence_pages and evidence_text'); continue
        texts = {p: norm(page_text(doc, p)) for p in pages}
        ev = norm(q['evidence_text'])

        # B: fragments on pages
        for frag in [norm(x) for x in ev.split(' ... ')]:
            checked_frag += 1
            where = [p for p in pages if frag in texts[p]]
            if not where:
                fail(qid, f'fragment not on any evidence page: "{frag}"')

        # C / D
        ops = []
        if t in ('extraction', 'notes_table'):
            val, dec, raw = answer_number(q['answer'])
            checked_num += 1
            if raw.replace(',', '') not in num_tokens(ev):
                fail(qid, f'answer figure {raw} not in evidence_text')
            toks = [x.replace(',', '') for x in re.findall(r'\d[\d,]*\.?\d*', norm(ev.split(' ... ')[0]))]
            k = COLUMN.get(qid)
            if k is None:
                fail(qid, 'no COLUMN entry')
            elif k >= len(toks) or toks[k] != raw.replace(',', ''):
                fail(qid, f'answer {raw} is not number #{k} of the evidence row {toks}')
        if t == 'numerical':
            if not q['formula']:
                fail(qid, 'numerical question without formula'); continue
            expr = q['formula'].split(' = ')[-1]
            py = expr.replace('×', '*').replace('−', '-').replace('÷', '/')
            py = re.sub(r'(?<=\d),(?=\d{3})', '', py)
            if not re.fullmatch(r'[\d\s.+\-*/()]+', py):
                fail(qid, f'formula expression not numeric: {expr}'); continue
            got = eval(py)
            val, dec, raw = answer_number(q['answer'])
            checked_num += 1
            if round(got, dec) != round(val, dec):
                fail(qid, f'formula gives {got:.4f}, answer {q["answer"]}')
            ops = [o for o in re.findall(r'\d[\d,]*\.?\d*', expr)]
            ops = [o for o in ops if not (o == '100' and re.search(r'×\s*100\b', expr))]
            # a constant divisor of an average, '/ 2', is not an input either
            ops = [o for o in ops if not (o == '2' and re.search(r'/\s*2(?![\d,.])', expr))]
            for o in ops:
                if o.replace(',', '') not in num_tokens(ev):
                    fail(qid, f'operand {o} not in evidence_text')

        # E: every listed page supports the answer
        for p in pages:
            checked_pages += 1
            txt = texts[p]
            if t in ('extraction', 'notes_table'):
                ok = contains_figure(txt, raw)
            elif t == 'numerical':
                ok = contains_figure(txt, raw) or all(contains_figure(txt, o) for o in ops)
            else:
                ok = TEXT_KEYS[qid] in txt
            if not ok:
                fail(qid, f'evidence page {p} does not show the answer/inputs')
        # G: whole-document scan for pages that are not listed but print the same evidence
        def supports(txt):
            if t in ('extraction', 'notes_table'):
                return contains_figure(txt, raw)
            if t == 'numerical':
                return contains_figure(txt, raw) or all(contains_figure(txt, o) for o in ops)
            return TEXT_KEYS[qid] in txt
        flagged = [n for n in range(1, pagecount[doc] + 1)
                   if n not in pages and supports(norm(page_text(doc, n)))]
        scanned_pages += pagecount[doc]
        unreviewed = [n for n in flagged if n not in REVIEWED.get(qid, {})]
        if unreviewed:
            fail(qid, f'unlisted pages also print the answer/inputs/key: {unreviewed}')
        reviewed_note = f' (scan: {len(flagged)} other page(s) flagged, all reviewed as coincidental)' if flagged and not unreviewed else ''
        print(f'{qid} {t:<12} pages={pages} OK' + reviewed_note if not [f for f in fails if f.startswith(qid + ':')]
              else f'{qid} {t:<12} pages={pages} FAIL')

    print()
    print('questions:', len(qs))
    print('by type:', dict(sorted(Counter(q['question_type'] for q in qs).items())))
    print('by doc :', dict(sorted(Counter(q['doc'] for q in qs).items())))
    print(f'evidence fragments checked: {checked_frag}; figures/formulas checked: {checked_num}; '
          f'evidence pages checked: {checked_pages}; pages scanned for unlisted evidence: {scanned_pages}')
    if fails:
        print(f'FAILED: {len(fails)} problem(s)')
        for f in fails:
            print('  ' + f)
        sys.exit(1)
    print('ALL CHECKS PASSED')

if __name__ == '__main__':
    main()
