"""The rapid-layout package's own PicoDet post-processing, as the reference for Folio's decode.

Reads JSON from stdin: {"package": folder holding rapid_layout, "labels": [...], "outputs":
[{"dims": [...], "data": [...]}, ...]} (the model's eight outputs in graph order), and prints
the package's regions as JSON [{"label", "score", "box"}] in model-input pixels. Only the
post-processing module is loaded (by file), so OpenCV and the package's other dependencies are
not needed; numpy comes from PYTHONPATH.
"""
import importlib.util
import json
import os
import sys

import numpy as np

request = json.load(sys.stdin)
path = os.path.join(request["package"], "rapid_layout", "model_handler", "pp", "post_process.py")
spec = importlib.util.spec_from_file_location("pp_post_process", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)

# The package's defaults for this model: score 0.5, IoU 0.5.
post = module.PPPostProcess(request["labels"], 0.5, 0.5)
preds = [np.array(o["data"], dtype=np.float32).reshape(o["dims"]) for o in request["outputs"]]
# The input image only gives its shape; the original is taken to be the input size, so the
# boxes come back in model-input pixels.
image = np.zeros((1, 3, 800, 608), dtype=np.float32)
boxes, scores, names = post((800, 608), image, preds)
print(json.dumps([{"label": n, "score": s, "box": b} for n, s, b in zip(names, scores, boxes)]))
