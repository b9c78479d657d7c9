import json, re, subprocess, sys, os
sys.path.insert(0, os.path.dirname(__file__))
from qa_fresh_source import Q
# Checks bench/questions/qa-fresh.jsonl's source (qa_fresh_source.py: questions with the evidence
# segments, answer keys and probe patterns they were verified with) against pdftotext pages;
# with an argument, writes the JSONL. PDFs: ../shared/corpus/qa/pdfs beside the repository.
PDF = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "corpus", "qa", "pdfs") + os.sep
cache = {}
def pages(doc):
    if doc not in cache:
        n = int(re.search(r"Pages:\s+(\d+)", subprocess.run(["pdfinfo", PDF+doc], capture_output=True, text=True).stdout).group(1))
        cache[doc] = [None] + [re.sub(r"\s+", " ", subprocess.run(["pdftotext", "-layout", "-f", str(i), "-l", str(i), PDF+doc, "-"], capture_output=True, text=True).stdout) for i in range(1, n+1)]
    return cache[doc]
col = lambda s: re.sub(r"\s+", " ", s).strip()
def ngram_overlap(q, e):
    w = lambda s: re.findall(r"[a-z0-9]+", s.lower())
    qa, ea = w(q), w(e)
    best = 0
    for i in range(len(qa)):
        for j in range(len(ea)):
            k = 0
            while i+k < len(qa) and j+k < len(ea) and qa[i+k] == ea[j+k]: k += 1
            best = max(best, k)
    return best
fails = 0; out = []
for n, q in enumerate(Q, 1):
    qid = f"fresh_qa_{n:03d}"
    P = pages(q["doc"])
    probs = []
    if q["kind"] == "unanswerable":
        hits = [(pat, i) for pat in q["absent"] for i in range(1, len(P)) if re.search(pat, P[i], re.I)]
        if hits: probs.append(f"absent-pattern hits {hits[:5]}")
    else:
        for seg in q["ev"]:
            on = [p for p in q["pages"] if col(seg) in P[p]]
            if not on: probs.append(f"segment not on any listed page: {seg!r}")
        for p in q["pages"]:
            if not any(col(s) in P[p] for s in q["ev"]): probs.append(f"page {p} has no evidence segment")
        for k in q["keys"]:
            if not any(k.lower() in P[p].lower() for p in q["pages"]): probs.append(f"key {k!r} not on listed pages")
        # scan whole document for other pages stating the same fact
        extra = sorted({i for pat in q["probes"] for i in range(1, len(P)) if re.search(pat, P[i]) and i not in q["pages"] and i not in q.get("reviewed", [])})
        if extra: probs.append(f"probe also matches unlisted pages {extra}")
        ov = ngram_overlap(q["question"], " ".join(q["ev"]))
        if ov >= 7: probs.append(f"question copies {ov}-word run of evidence")
    status = "OK" if not probs else "; ".join(probs)
    if probs: fails += 1
    print(qid, q["doc"], q["kind"], sorted(q["pages"]), status)
    out.append(dict(id=qid, doc=q["doc"], question=q["question"], answer=q["answer"],
                    evidence_pages=sorted(q["pages"]), evidence_text=" || ".join(col(s) for s in q["ev"]), kind=q["kind"]))
print("problems:", fails, "of", len(out))
if len(sys.argv) > 1 and __name__ == "__main__":
    with open(sys.argv[1], "w") as f:
        for d in out: f.write(json.dumps(d, ensure_ascii=False) + "\n")
