/**
 * A small GGUF v3 writer for tests: metadata of every value type and tensors whose bytes the test
 * supplies (already in the tensor's ggml block format), laid out with the file's alignment.
 */
import { GGUF_MAGIC, GGUF_VALUE_TYPES } from '../../models/llm/gguf.ts';

type ValueTypeName = keyof typeof GGUF_VALUE_TYPES;

export interface GgufEntry {
  key: string;
  type: ValueTypeName;
  /** For ARRAY: the item type and the items. */
  itemType?: ValueTypeName;
  value: unknown;
}

export interface GgufTensorSpec {
  name: string;
  /** Fastest-varying first, as ggml stores them. */
  dims: number[];
  type: number;
  data: Uint8Array;
}

class Bytes {
  private chunks: Uint8Array[] = [];
  length = 0;
  push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.length += bytes.length;
  }
  private scalar(width: number, write: (v: DataView) => void): void {
    const b = new Uint8Array(width);
    write(new DataView(b.buffer));
    this.push(b);
  }
  u8 = (v: number) => this.scalar(1, (d) => d.setUint8(0, v));
  i8 = (v: number) => this.scalar(1, (d) => d.setInt8(0, v));
  u16 = (v: number) => this.scalar(2, (d) => d.setUint16(0, v, true));
  i16 = (v: number) => this.scalar(2, (d) => d.setInt16(0, v, true));
  u32 = (v: number) => this.scalar(4, (d) => d.setUint32(0, v, true));
  i32 = (v: number) => this.scalar(4, (d) => d.setInt32(0, v, true));
  f32 = (v: number) => this.scalar(4, (d) => d.setFloat32(0, v, true));
  f64 = (v: number) => this.scalar(8, (d) => d.setFloat64(0, v, true));
  u64 = (v: number | bigint) => this.scalar(8, (d) => d.setBigUint64(0, BigInt(v), true));
  i64 = (v: number | bigint) => this.scalar(8, (d) => d.setBigInt64(0, BigInt(v), true));
  string(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u64(b.length);
    this.push(b);
  }
  pad(alignment: number): void {
    const rest = this.length % alignment;
    if (rest !== 0) this.push(new Uint8Array(alignment - rest));
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

function writeValue(out: Bytes, type: ValueTypeName, value: unknown, itemType?: ValueTypeName): void {
  switch (type) {
    case 'UINT8':
      out.u8(value as number);
      return;
    case 'INT8':
      out.i8(value as number);
      return;
    case 'UINT16':
      out.u16(value as number);
      return;
    case 'INT16':
      out.i16(value as number);
      return;
    case 'UINT32':
      out.u32(value as number);
      return;
    case 'INT32':
      out.i32(value as number);
      return;
    case 'FLOAT32':
      out.f32(value as number);
      return;
    case 'FLOAT64':
      out.f64(value as number);
      return;
    case 'UINT64':
      out.u64(value as number | bigint);
      return;
    case 'INT64':
      out.i64(value as number | bigint);
      return;
    case 'BOOL':
      out.u8(value ? 1 : 0);
      return;
    case 'STRING':
      out.string(value as string);
      return;
    case 'ARRAY': {
      if (!itemType) throw new Error('ARRAY entries need an itemType');
      const items = Array.from(value as ArrayLike<unknown>);
      out.u32(GGUF_VALUE_TYPES[itemType]);
      out.u64(items.length);
      for (const item of items) writeValue(out, itemType, item);
      return;
    }
  }
}

export function writeGguf(metadata: GgufEntry[], tensors: GgufTensorSpec[], alignment = 32): Uint8Array {
  const out = new Bytes();
  out.u32(GGUF_MAGIC);
  out.u32(3);
  out.u64(tensors.length);
  out.u64(metadata.length);
  for (const entry of metadata) {
    out.string(entry.key);
    out.u32(GGUF_VALUE_TYPES[entry.type]);
    writeValue(out, entry.type, entry.value, entry.itemType);
  }
  let offset = 0;
  const offsets: number[] = [];
  for (const t of tensors) {
    offsets.push(offset);
    offset += Math.ceil(t.data.length / alignment) * alignment;
  }
  tensors.forEach((t, i) => {
    out.string(t.name);
    out.u32(t.dims.length);
    for (const d of t.dims) out.u64(d);
    out.u32(t.type);
    out.u64(offsets[i]);
  });
  out.pad(alignment);
  for (const t of tensors) {
    out.push(t.data);
    out.pad(alignment);
  }
  return out.concat();
}
