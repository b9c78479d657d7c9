/**
 * The safetensors format: an 8-byte little-endian header length N, N bytes of JSON naming each
 * tensor's dtype, shape and [begin, end) byte range within the data that follows, then the data.
 * Parsing is split from reading so that a loader can fetch only the byte ranges it needs from a
 * multi-gigabyte file. Every tensor becomes float32: F32 is copied, F16 and BF16 are widened
 * (exactly: every half and bfloat16 value is a float32 value).
 */

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16';

const BYTES_PER_ELEMENT: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2 };

export interface SafetensorsEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte range relative to the start of the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Bytes before the data section: 8 + the JSON header's length. */
  dataOffset: number;
  tensors: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
}

/** Reads the header length from the first 8 bytes; a file needs 8 + this many bytes to parse its header. */
export function safetensorsHeaderLength(prefix: Uint8Array): number {
  if (prefix.length < 8) throw new Error(`safetensors file is shorter than its 8-byte header length (${prefix.length} bytes)`);
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  // The format caps headers at 100 MB; anything larger is not a safetensors file.
  if (length > 100_000_000n) throw new Error(`safetensors header length ${length} is implausible; not a safetensors file?`);
  return Number(length);
}

function checkedEntry(name: string, raw: unknown): SafetensorsEntry {
  const entry = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof entry !== 'object' || entry === null) throw new Error(`safetensors header: entry ${name} is not an object`);
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== 'string' || !(dtype in BYTES_PER_ELEMENT)) {
    throw new Error(`safetensors tensor ${name} has dtype ${JSON.stringify(dtype)}; supported: ${Object.keys(BYTES_PER_ELEMENT).join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`safetensors tensor ${name} has a malformed shape ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) {
    throw new Error(`safetensors tensor ${name} has malformed data_offsets ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  const elements = (shape as number[]).reduce((a, b) => a * b, 1);
  const expected = elements * BYTES_PER_ELEMENT[dtype as SafetensorsDtype];
  if (end - begin !== expected) throw new Error(`safetensors tensor ${name}: ${dtype} ${JSON.stringify(shape)} needs ${expected} bytes, data_offsets span ${end - begin}`);
  return { dtype: dtype as SafetensorsDtype, shape: shape as number[], begin, end };
}

/** Parses the header from the file's first 8 + N bytes (more bytes may follow and are ignored). */
export function parseSafetensorsHeader(bytes: Uint8Array): SafetensorsHeader {
  const length = safetensorsHeaderLength(bytes);
  if (bytes.length < 8 + length) throw new Error(`safetensors header needs ${8 + length} bytes, got ${bytes.length}`);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  } catch (cause) {
    throw new Error('safetensors header is not valid JSON', { cause });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new Error('safetensors header is not a JSON object');
  const tensors = new Map<string, SafetensorsEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(json)) {
    if (name === '__metadata__') metadata = raw as Record<string, string>;
    else tensors.set(name, checkedEntry(name, raw));
  }
  return { dataOffset: 8 + length, tensors, metadata };
}

/** IEEE half → float32 value. */
export function halfToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float → IEEE half bits, rounding to nearest even (as torch's .half()). */
export function floatToHalf(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  let mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the implicit-one mantissa down, round to nearest even.
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    const rounded = rest > midpoint || (rest === midpoint && half & 1) ? half + 1 : half;
    return sign | rounded;
  }
  const half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa correctly bumps the exponent (up to infinity).
  const rounded = rest > 0x1000 || (rest === 0x1000 && half & 1) ? half + 1 : half;
  return sign | rounded;
}

/** float → bfloat16 bits: the top half of the float32, rounded to nearest even. */
export function floatToBfloat16(value: number): number {
  f32[0] = value;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return (x >>> 16) | 0x40;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** Converts one tensor's raw little-endian bytes to float32. */
export function decodeTensorData(dtype: SafetensorsDtype, bytes: Uint8Array): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = bytes.byteLength / BYTES_PER_ELEMENT[dtype];
  const out = new Float32Array(count);
  if (dtype === 'F32') {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (dtype === 'F16') {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  } else {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true) << 16;
  }
  return out;
}

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/**
 * Serialises tensors in the given dtype, in the order given. The header is padded with spaces
 * to a multiple of 8 bytes, as the reference writer does, so the data section stays aligned.
 */
export function encodeSafetensors(tensors: NamedTensor[], dtype: SafetensorsDtype = 'F32', metadata: Record<string, string> = { format: 'pt' }): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const tensor of tensors) {
    const elements = tensor.shape.reduce((a, b) => a * b, 1);
    if (elements !== tensor.data.length) throw new Error(`tensor ${tensor.name}: shape ${JSON.stringify(tensor.shape)} holds ${elements} values, data has ${tensor.data.length}`);
    const size = elements * BYTES_PER_ELEMENT[dtype];
    header[tensor.name] = { dtype, shape: tensor.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (new TextEncoder().encode(json).length % 8)) % 8);
  const jsonBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + jsonBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(jsonBytes.length), true);
  out.set(jsonBytes, 8);
  let at = 8 + jsonBytes.length;
  for (const tensor of tensors) {
    const data = tensor.data;
    if (dtype === 'F32') {
      for (let i = 0; i < data.length; i++, at += 4) view.setFloat32(at, data[i], true);
    } else {
      const convert = dtype === 'F16' ? floatToHalf : floatToBfloat16;
      for (let i = 0; i < data.length; i++, at += 2) view.setUint16(at, convert(data[i]), true);
    }
  }
  return out;
}
