"""llama.cpp (through llama-cpp-python) as the reference for a GGUF file: the token ids of each
text, and the logits of every position of one token sequence.

usage: python3 llama-cpp-reference.py <file.gguf> <request.json> <out_dir>
request.json: {"texts": [str, ...], "tokens": [int, ...], "threads": int}
writes <out_dir>/tokens.json ([[int, ...], ...], the texts tokenised as llama.cpp does with BOS)
and <out_dir>/logits.f32 (len(tokens) × vocab float32, row-major).
"""
import json
import os
import sys

import numpy as np
from llama_cpp import Llama

path, request_path, out_dir = sys.argv[1], sys.argv[2], sys.argv[3]
with open(request_path, encoding="utf-8") as f:
    request = json.load(f)
os.makedirs(out_dir, exist_ok=True)
tokens = request.get("tokens", [])
llm = Llama(
    model_path=path,
    n_ctx=max(512, len(tokens) + 8),
    n_batch=512,
    n_threads=request.get("threads", 2),
    logits_all=True,
    verbose=False,
)
ids = [llm.tokenize(text.encode("utf-8"), add_bos=True, special=False) for text in request.get("texts", [])]
with open(os.path.join(out_dir, "tokens.json"), "w", encoding="utf-8") as f:
    json.dump(ids, f)
if tokens:
    llm.eval(tokens)
    np.asarray(llm.scores[: len(tokens)], dtype="<f4").tofile(os.path.join(out_dir, "logits.f32"))
