"""Dequantises every tensor of a GGUF file with the `gguf` package (llama.cpp's own Python
reader) and writes each as raw little-endian float32 to <out_dir>/<index>.f32, so Folio's
dequantisation can be compared with it value for value.

usage: python3 gguf-dequantize-reference.py <file.gguf> <out_dir> [tensor names…]
(only the named tensors when names are given; the index is still the tensor's place in the file)
"""
import os
import sys

import numpy as np
from gguf import GGUFReader
from gguf.quants import dequantize

path, out_dir, wanted = sys.argv[1], sys.argv[2], set(sys.argv[3:])
os.makedirs(out_dir, exist_ok=True)
for index, tensor in enumerate(GGUFReader(path).tensors):
    if wanted and tensor.name not in wanted:
        continue
    values = dequantize(tensor.data, tensor.tensor_type).astype("<f4").ravel()
    values.tofile(os.path.join(out_dir, f"{index}.f32"))
    print(tensor.name, tensor.tensor_type.name, values.size)
