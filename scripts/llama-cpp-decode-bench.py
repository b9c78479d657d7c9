"""llama.cpp (through llama-cpp-python) dense decode speed on a GGUF file, for bench/fidelity.ts.

usage: python3 llama-cpp-decode-bench.py <file.gguf> <request.json>
request.json: {"context": [int, ...], "decode": [int, ...], "threads": int}
Evaluates the context (prefill), then feeds the decode ids one at a time; prints
{"prefill_ms": float, "decode_ms_per_token": float} (the first decode step is a warm-up, not timed).
"""
import json
import sys
import time

from llama_cpp import Llama

path, request_path = sys.argv[1], sys.argv[2]
with open(request_path, encoding="utf-8") as f:
    request = json.load(f)
context, decode = request["context"], request["decode"]
threads = request.get("threads", 2)
llm = Llama(
    model_path=path,
    n_ctx=len(context) + len(decode) + 8,
    n_batch=512,
    n_threads=threads,
    n_threads_batch=threads,
    logits_all=False,
    verbose=False,
)
t0 = time.perf_counter()
llm.eval(context)
prefill_ms = (time.perf_counter() - t0) * 1000
llm.eval(decode[:1])
t0 = time.perf_counter()
for token in decode[1:]:
    llm.eval([token])
decode_ms = (time.perf_counter() - t0) * 1000 / max(1, len(decode) - 1)
print(json.dumps({"prefill_ms": prefill_ms, "decode_ms_per_token": decode_ms}))
