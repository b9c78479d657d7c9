"""Dequantises every tensor of a GGUF file with the `gguf` package (llama.cpp's own Python
reader) and writes each as raw little-endian float32 to <out_dir>/<index>.f32, so Folio's
dequantisation can be compared with it value for value.

usage: python3 gguf-dequantize-reference.py <file.gguf> <out_dir>
"""
import os
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

path, out_dir = sys.argv[1], sys.argv[2]
os.makedirs(out_dir, exist_ok=True)
for index, tensor in enumerate(GGUFReader(path).tensors):
    values = dequantize(tensor.data, tensor.tensor_type).astype("<f4").ravel()
    values.tofile(os.path.join(out_dir, f"{index}.f32"))
    print(tensor.name, tensor.tensor_type.name, values.size)
