/**
 * A GGUF file on disk: its header read in growing prefixes (a 262,144-token vocabulary puts
 * megabytes of metadata before the first tensor), and tensors read by byte range and dequantised
 * to float32, so the file never has to sit in memory whole.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { dequantizeGguf, type GgufHeader, GgufNeedMoreBytes, type GgufTensorInfo, parseGgufHeader } from '../../models/llm/gguf.ts';
import { readExactly } from './checkpoint.ts';

export interface GgufFile {
  path: string;
  size: number;
  header: GgufHeader;
  tensors: Map<string, GgufTensorInfo>;
}

export async function readGgufHeader(path: string): Promise<GgufFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    throw new Error(`cannot open ${path}`, { cause });
  }
  try {
    const { size } = await handle.stat();
    let length = Math.min(size, 16 << 20);
    for (;;) {
      const prefix = await readExactly(handle, length, 0, path);
      try {
        const header = parseGgufHeader(prefix);
        const tensors = new Map(header.tensors.map((t) => [t.name, t]));
        for (const t of header.tensors) {
          if (header.dataOffset + t.offset + t.byteLength > size) throw new Error(`tensor ${t.name} ends past the end of the file (${size} bytes): truncated download?`);
        }
        return { path, size, header, tensors };
      } catch (error) {
        if (!(error instanceof GgufNeedMoreBytes)) throw error;
        if (length >= size) throw new Error('the file ends inside its header: truncated download?', { cause: error });
        length = Math.min(size, Math.max(length * 2, error.needed));
      }
    }
  } catch (cause) {
    throw new Error(`${path} is not a readable GGUF file: ${(cause as Error).message}`, { cause });
  } finally {
    await handle.close();
  }
}

/** The named tensors as float32, each in the file's element order, with the bytes they were read from. */
export async function readGgufTensors(file: GgufFile, names: Iterable<string>): Promise<Map<string, { info: GgufTensorInfo; data: Float32Array; bytes: Uint8Array }>> {
  const handle = await open(file.path, 'r');
  const out = new Map<string, { info: GgufTensorInfo; data: Float32Array; bytes: Uint8Array }>();
  try {
    for (const name of names) {
      const info = file.tensors.get(name);
      if (!info) throw new Error(`${file.path} has no tensor ${name}`);
      const bytes = await readExactly(handle, info.byteLength, file.header.dataOffset + info.offset, file.path);
      const elements = info.dims.reduce((a, b) => a * b, 1);
      out.set(name, { info, data: dequantizeGguf(info.type, bytes, elements, name), bytes });
    }
  } finally {
    await handle.close();
  }
  return out;
}
