"""
Cross-check of Folio's LLM checkpoint side against Hugging Face transformers (not part of the
test suite: it needs torch and transformers, which Folio does not install).

For each case directory written by scripts/compare-reference-with-transformers.ts it loads the
checkpoint with AutoModelForCausalLM (float32, eager attention) and AutoTokenizer, and writes:
  hf-logits.f32      logits of case.json's ids, float32 little-endian [n x vocab]
  hf-tokens.json     the ids of case.json's text and of its chat messages (apply_chat_template)

usage: python scripts/transformers-logits.py <cases dir>
"""
import json
import sys
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer


def main(root: Path) -> None:
    torch.set_num_threads(1)
    for case in sorted(p for p in root.iterdir() if (p / "case.json").exists()):
        spec = json.loads((case / "case.json").read_text())
        model = AutoModelForCausalLM.from_pretrained(case, dtype=torch.float32, attn_implementation="eager")
        model.eval()
        ids = torch.tensor([spec["ids"]], dtype=torch.long)
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0].to(torch.float32).contiguous()
        (case / "hf-logits.f32").write_bytes(logits.numpy().astype("<f4").tobytes())
        tokenizer = AutoTokenizer.from_pretrained(case)
        tokens = {
            "text": tokenizer(spec["text"], add_special_tokens=False)["input_ids"],
            "textWithSpecials": tokenizer(spec["text"])["input_ids"],
            "chat": tokenizer.apply_chat_template(spec["messages"], add_generation_prompt=True, tokenize=False),
            "decoded": tokenizer.decode(tokenizer(spec["text"], add_special_tokens=False)["input_ids"]),
        }
        (case / "hf-tokens.json").write_text(json.dumps(tokens, ensure_ascii=False))
        print(f"{case.name}: logits {tuple(logits.shape)}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
