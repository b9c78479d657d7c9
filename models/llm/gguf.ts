/**
 * The GGUF file format (version 3, llama.cpp's): the magic "GGUF", a version, the tensor and
 * metadata counts, metadata key/value pairs (scalars, strings and typed arrays), one info record
 * per tensor (name, dimensions fastest-first, ggml type, offset into the data section), then the
 * data section at the next multiple of `general.alignment` (32 by default). All little-endian.
 *
 * Tensors are dequantised to float32 at load (the embedding lookup, the norms and the fp32, int8
 * and int4 weight paths run on the result); a quantised matrix is also kept as its own blocks,
 * repacked for MatMulNBits (gguf-repack.ts), which the default 'gguf' weight format multiplies by.
 * The block formats below are ggml's reference dequantisers (ggml-quants.c), one function per type.
 */

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32

/** ggml tensor types by their numeric id in the file. */
export const GGML_TYPES = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q5_0: 6,
  Q8_0: 8,
  Q4_K: 12,
  Q5_K: 13,
  Q6_K: 14,
  BF16: 30,
} as const;

export type GgmlTypeName = keyof typeof GGML_TYPES;

/** Values per block and bytes per block of each supported type. */
const BLOCKS: Record<GgmlTypeName, { size: number; bytes: number }> = {
  F32: { size: 1, bytes: 4 },
  F16: { size: 1, bytes: 2 },
  BF16: { size: 1, bytes: 2 },
  Q4_0: { size: 32, bytes: 18 },
  Q5_0: { size: 32, bytes: 22 },
  Q8_0: { size: 32, bytes: 34 },
  Q4_K: { size: 256, bytes: 144 },
  Q5_K: { size: 256, bytes: 176 },
  Q6_K: { size: 256, bytes: 210 },
};

const TYPE_NAMES = new Map<number, GgmlTypeName>(Object.entries(GGML_TYPES).map(([name, id]) => [id, name as GgmlTypeName]));

/** Type ids ggml defines that Folio does not dequantise, named for the error message. */
const UNSUPPORTED_NAMES: Record<number, string> = { 3: 'Q4_1', 7: 'Q5_1', 9: 'Q8_1', 10: 'Q2_K', 11: 'Q3_K', 15: 'Q8_K', 16: 'IQ2_XXS', 17: 'IQ2_XS', 18: 'IQ3_XXS', 19: 'IQ1_S', 20: 'IQ4_NL', 21: 'IQ3_S', 22: 'IQ2_S', 23: 'IQ4_XS', 29: 'IQ1_M', 34: 'TQ1_0', 35: 'TQ2_0' };

export function ggmlTypeName(id: number): string {
  return TYPE_NAMES.get(id) ?? UNSUPPORTED_NAMES[id] ?? `type ${id}`;
}

/** Metadata value types. */
export const GGUF_VALUE_TYPES = { UINT8: 0, INT8: 1, UINT16: 2, INT16: 3, UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9, UINT64: 10, INT64: 11, FLOAT64: 12 } as const;

/**
 * A metadata value: numbers (64-bit integers as number when exact, else bigint), booleans, strings,
 * and arrays — numeric arrays as typed arrays (a 262,144-entry score list stays compact), string
 * and nested arrays as plain arrays.
 */
export type GgufValue =
  | number
  | bigint
  | boolean
  | string
  | GgufValue[]
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigUint64Array
  | BigInt64Array;

export interface GgufTensorInfo {
  name: string;
  /** Dimensions as the file gives them, fastest-varying first (ggml's ne[]). */
  dims: number[];
  type: number;
  /** Byte offset within the data section. */
  offset: number;
  /** Bytes of data the tensor's type and dimensions imply. */
  byteLength: number;
}

export interface GgufHeader {
  version: number;
  metadata: Map<string, GgufValue>;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** Absolute file offset of the data section. */
  dataOffset: number;
}

/** Thrown when the header runs past the bytes given: read more of the file and parse again. */
export class GgufNeedMoreBytes extends Error {
  constructor(readonly needed: number) {
    super(`GGUF header continues past byte ${needed}`);
  }
}

class Cursor {
  private readonly view: DataView;
  at = 0;
  // A string may begin with U+FEFF and mean it (Gemma's vocabulary holds "\uFEFF#" beside "#");
  // the default decoder would drop it and make two tokens one.
  private readonly text = new TextDecoder('utf-8', { ignoreBOM: true });
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number): number {
    const at = this.at;
    if (at + n > this.bytes.length) throw new GgufNeedMoreBytes(at + n);
    this.at += n;
    return at;
  }
  u8 = () => this.view.getUint8(this.need(1));
  i8 = () => this.view.getInt8(this.need(1));
  u16 = () => this.view.getUint16(this.need(2), true);
  i16 = () => this.view.getInt16(this.need(2), true);
  u32 = () => this.view.getUint32(this.need(4), true);
  i32 = () => this.view.getInt32(this.need(4), true);
  f32 = () => this.view.getFloat32(this.need(4), true);
  f64 = () => this.view.getFloat64(this.need(8), true);
  u64 = (): bigint => this.view.getBigUint64(this.need(8), true);
  i64 = (): bigint => this.view.getBigInt64(this.need(8), true);
  /** A u64 that must fit a JavaScript number (counts, lengths, offsets). */
  size(what: string): number {
    const value = this.u64();
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`GGUF ${what} ${value} is implausibly large`);
    return Number(value);
  }
  string(): string {
    const length = this.size('string length');
    const at = this.need(length);
    return this.text.decode(this.bytes.subarray(at, at + length));
  }
  /** `count` fixed-size values copied out (the source may not be aligned for a typed-array view). */
  copy(count: number, width: number): ArrayBuffer {
    const at = this.need(count * width);
    return this.bytes.slice(at, at + count * width).buffer;
  }
}

const exact = (value: bigint): number | bigint => (value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value);

function readValue(c: Cursor, type: number, key: string): GgufValue {
  const T = GGUF_VALUE_TYPES;
  switch (type) {
    case T.UINT8:
      return c.u8();
    case T.INT8:
      return c.i8();
    case T.UINT16:
      return c.u16();
    case T.INT16:
      return c.i16();
    case T.UINT32:
      return c.u32();
    case T.INT32:
      return c.i32();
    case T.FLOAT32:
      return c.f32();
    case T.BOOL: {
      const b = c.u8();
      if (b > 1) throw new Error(`GGUF metadata ${key}: bool byte ${b} is neither 0 nor 1`);
      return b === 1;
    }
    case T.STRING:
      return c.string();
    case T.UINT64:
      return exact(c.u64());
    case T.INT64:
      return exact(c.i64());
    case T.FLOAT64:
      return c.f64();
    case T.ARRAY: {
      const itemType = c.u32();
      const count = c.size(`array length of ${key}`);
      switch (itemType) {
        case T.UINT8:
          return new Uint8Array(c.copy(count, 1));
        case T.INT8:
          return new Int8Array(c.copy(count, 1));
        case T.UINT16:
          return new Uint16Array(c.copy(count, 2));
        case T.INT16:
          return new Int16Array(c.copy(count, 2));
        case T.UINT32:
          return new Uint32Array(c.copy(count, 4));
        case T.INT32:
          return new Int32Array(c.copy(count, 4));
        case T.FLOAT32:
          return new Float32Array(c.copy(count, 4));
        case T.FLOAT64:
          return new Float64Array(c.copy(count, 8));
        case T.UINT64:
          return new BigUint64Array(c.copy(count, 8));
        case T.INT64:
          return new BigInt64Array(c.copy(count, 8));
        default: {
          const out: GgufValue[] = new Array(count);
          for (let i = 0; i < count; i++) out[i] = readValue(c, itemType, key);
          return out;
        }
      }
    }
    default:
      throw new Error(`GGUF metadata ${key} has unknown value type ${type}`);
  }
}

/** Bytes a tensor of `type` with `elements` values takes (throws for unsupported types and ragged blocks). */
export function ggmlByteLength(type: number, elements: number, name = 'tensor'): number {
  const typeName = TYPE_NAMES.get(type);
  if (!typeName) throw new Error(`GGUF tensor ${name} is ${ggmlTypeName(type)}, which Folio cannot dequantise (supported: ${Object.keys(GGML_TYPES).join(', ')})`);
  const { size, bytes } = BLOCKS[typeName];
  if (elements % size !== 0) throw new Error(`GGUF tensor ${name}: ${elements} values are not whole ${typeName} blocks of ${size}`);
  return (elements / size) * bytes;
}

/**
 * Parses the header from the file's first bytes. Throws GgufNeedMoreBytes when `bytes` ends inside
 * the header (the caller reads further and retries); any other error means the file is not a
 * readable GGUF v3 file, and says why.
 */
export function parseGgufHeader(bytes: Uint8Array): GgufHeader {
  const c = new Cursor(bytes);
  const magic = c.u32();
  if (magic !== GGUF_MAGIC) throw new Error('not a GGUF file (its first four bytes are not "GGUF")');
  const version = c.u32();
  if (version !== 3 && version !== 2) throw new Error(`GGUF version ${version} is not supported (Folio reads versions 2 and 3)`);
  const tensorCount = c.size('tensor count');
  const kvCount = c.size('metadata count');
  const metadata = new Map<string, GgufValue>();
  for (let i = 0; i < kvCount; i++) {
    const key = c.string();
    const type = c.u32();
    metadata.set(key, readValue(c, type, key));
  }
  const alignmentValue = metadata.get('general.alignment') ?? 32;
  if (typeof alignmentValue !== 'number' || !Number.isInteger(alignmentValue) || alignmentValue <= 0 || (alignmentValue & (alignmentValue - 1)) !== 0) {
    throw new Error(`GGUF general.alignment must be a power of two, got ${String(alignmentValue)}`);
  }
  const tensors: GgufTensorInfo[] = [];
  for (let i = 0; i < tensorCount; i++) {
    const name = c.string();
    const nDims = c.u32();
    if (nDims < 1 || nDims > 4) throw new Error(`GGUF tensor ${name} has ${nDims} dimensions (ggml allows 1 to 4)`);
    const dims: number[] = [];
    for (let d = 0; d < nDims; d++) dims.push(c.size(`dimension of ${name}`));
    const type = c.u32();
    const offset = c.size(`offset of ${name}`);
    if (offset % alignmentValue !== 0) throw new Error(`GGUF tensor ${name} starts at data offset ${offset}, not a multiple of the alignment ${alignmentValue}`);
    const elements = dims.reduce((a, b) => a * b, 1);
    tensors.push({ name, dims, type, offset, byteLength: ggmlByteLength(type, elements, name) });
  }
  const dataOffset = Math.ceil(c.at / alignmentValue) * alignmentValue;
  return { version, metadata, tensors, alignment: alignmentValue, dataOffset };
}

/** IEEE half-precision bit patterns as float32 values, by pattern. */
export const F16_TABLE = (() => {
  const table = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const mantissa = h & 0x3ff;
    if (exponent === 0) table[h] = sign * mantissa * 2 ** -24;
    else if (exponent === 31) table[h] = mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
    else table[h] = sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return table;
})();

/** Q4_K/Q5_K's 6-bit scale and min of sub-block j from the 12 packed scale bytes at `at`. */
function scaleMinK4(q: Uint8Array, at: number, j: number): [number, number] {
  if (j < 4) return [q[at + j] & 63, q[at + j + 4] & 63];
  return [(q[at + j + 4] & 0xf) | ((q[at + j - 4] >> 6) << 4), (q[at + j + 4] >> 4) | ((q[at + j] >> 6) << 4)];
}

/**
 * The tensor's values as float32, in the file's order (fastest dimension last in the returned
 * row-major array: a GGUF [in, out] matrix is an HF [out, in] one).
 */
export function dequantizeGguf(type: number, data: Uint8Array, elements: number, name = 'tensor'): Float32Array {
  const expected = ggmlByteLength(type, elements, name);
  if (data.length < expected) throw new Error(`GGUF tensor ${name} needs ${expected} bytes, got ${data.length}: truncated file?`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Float32Array(elements);
  const f16 = (at: number) => F16_TABLE[view.getUint16(at, true)];
  switch (TYPE_NAMES.get(type)) {
    case 'F32':
      for (let i = 0; i < elements; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    case 'F16':
      for (let i = 0; i < elements; i++) out[i] = f16(i * 2);
      return out;
    case 'BF16': {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < elements; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      return out;
    }
    case 'Q8_0':
      for (let b = 0, y = 0; y < elements; b += 34, y += 32) {
        const d = f16(b);
        for (let j = 0; j < 32; j++) out[y + j] = d * view.getInt8(b + 2 + j);
      }
      return out;
    case 'Q4_0':
      for (let b = 0, y = 0; y < elements; b += 18, y += 32) {
        const d = f16(b);
        for (let j = 0; j < 16; j++) {
          const q = data[b + 2 + j];
          out[y + j] = ((q & 0xf) - 8) * d;
          out[y + j + 16] = ((q >> 4) - 8) * d;
        }
      }
      return out;
    case 'Q5_0':
      for (let b = 0, y = 0; y < elements; b += 22, y += 32) {
        const d = f16(b);
        const qh = view.getUint32(b + 2, true);
        for (let j = 0; j < 16; j++) {
          const q = data[b + 6 + j];
          const h0 = ((qh >>> j) << 4) & 0x10;
          const h1 = (qh >>> (j + 12)) & 0x10;
          out[y + j] = (((q & 0xf) | h0) - 16) * d;
          out[y + j + 16] = (((q >> 4) | h1) - 16) * d;
        }
      }
      return out;
    case 'Q4_K':
      for (let b = 0, y = 0; y < elements; b += 144) {
        const d = f16(b);
        const dmin = f16(b + 2);
        let q = b + 16;
        for (let j = 0, is = 0; j < 256; j += 64, is += 2, q += 32) {
          const [sc1, m1] = scaleMinK4(data, b + 4, is);
          const [sc2, m2] = scaleMinK4(data, b + 4, is + 1);
          const d1 = d * sc1;
          const min1 = dmin * m1;
          const d2 = d * sc2;
          const min2 = dmin * m2;
          for (let l = 0; l < 32; l++) out[y++] = d1 * (data[q + l] & 0xf) - min1;
          for (let l = 0; l < 32; l++) out[y++] = d2 * (data[q + l] >> 4) - min2;
        }
      }
      return out;
    case 'Q5_K':
      for (let b = 0, y = 0; y < elements; b += 176) {
        const d = f16(b);
        const dmin = f16(b + 2);
        const qh = b + 16;
        let ql = b + 48;
        let u1 = 1;
        let u2 = 2;
        for (let j = 0, is = 0; j < 256; j += 64, is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
          const [sc1, m1] = scaleMinK4(data, b + 4, is);
          const [sc2, m2] = scaleMinK4(data, b + 4, is + 1);
          const d1 = d * sc1;
          const min1 = dmin * m1;
          const d2 = d * sc2;
          const min2 = dmin * m2;
          for (let l = 0; l < 32; l++) out[y++] = d1 * ((data[ql + l] & 0xf) + (data[qh + l] & u1 ? 16 : 0)) - min1;
          for (let l = 0; l < 32; l++) out[y++] = d2 * ((data[ql + l] >> 4) + (data[qh + l] & u2 ? 16 : 0)) - min2;
        }
      }
      return out;
    case 'Q6_K':
      for (let b = 0, y = 0; y < elements; b += 210) {
        const d = f16(b + 208);
        let ql = b;
        let qh = b + 128;
        let sc = b + 192;
        for (let n = 0; n < 256; n += 128, ql += 64, qh += 32, sc += 8, y += 128) {
          for (let l = 0; l < 32; l++) {
            const is = l >> 4;
            const h = data[qh + l];
            const q1 = ((data[ql + l] & 0xf) | ((h & 3) << 4)) - 32;
            const q2 = ((data[ql + l + 32] & 0xf) | (((h >> 2) & 3) << 4)) - 32;
            const q3 = ((data[ql + l] >> 4) | (((h >> 4) & 3) << 4)) - 32;
            const q4 = ((data[ql + l + 32] >> 4) | (((h >> 6) & 3) << 4)) - 32;
            out[y + l] = d * view.getInt8(sc + is) * q1;
            out[y + l + 32] = d * view.getInt8(sc + is + 2) * q2;
            out[y + l + 64] = d * view.getInt8(sc + is + 4) * q3;
            out[y + l + 96] = d * view.getInt8(sc + is + 6) * q4;
          }
        }
      }
      return out;
    default:
      throw new Error(`GGUF tensor ${name} is ${ggmlTypeName(type)}, which Folio cannot dequantise`);
  }
}
