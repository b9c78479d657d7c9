/**
 * One buffer holding a JSON header and typed arrays, 4-byte aligned: how retrieval indexes are
 * stored as blobs. Reading copies the body once into an aligned buffer and views it.
 */

export type StoredArray = Uint32Array | Uint16Array | Float32Array | Int32Array;

const KINDS = { Uint32Array, Uint16Array, Float32Array, Int32Array } as const;
type KindName = keyof typeof KINDS;

function kindOf(array: StoredArray): KindName {
  return array.constructor.name as KindName;
}

const align = (n: number) => Math.ceil(n / 4) * 4;

export function packArrays(format: string, header: object, arrays: Record<string, StoredArray>): Buffer {
  const names = Object.keys(arrays);
  const meta = names.map((name) => ({ name, kind: kindOf(arrays[name]), length: arrays[name].length }));
  const head = Buffer.from(JSON.stringify({ format, header, arrays: meta }));
  const headSize = align(4 + head.length);
  const bodySize = names.reduce((n, name) => n + align(arrays[name].byteLength), 0);
  const out = Buffer.alloc(headSize + bodySize);
  out.writeUInt32LE(head.length, 0);
  head.copy(out, 4);
  let at = headSize;
  for (const name of names) {
    const a = arrays[name];
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(out, at);
    at += align(a.byteLength);
  }
  return out;
}

export function unpackArrays<H>(format: string, buffer: Buffer): { header: H; arrays: Record<string, StoredArray> } {
  const headLength = buffer.readUInt32LE(0);
  const head = JSON.parse(buffer.subarray(4, 4 + headLength).toString('utf8')) as {
    format: string;
    header: H;
    arrays: { name: string; kind: KindName; length: number }[];
  };
  if (head.format !== format) throw new Error(`expected an index in format ${format}, found ${head.format}`);
  const body = new Uint8Array(buffer.subarray(align(4 + headLength)));
  const arrays: Record<string, StoredArray> = {};
  let at = 0;
  for (const { name, kind, length } of head.arrays) {
    const Kind = KINDS[kind];
    arrays[name] = new Kind(body.buffer, at, length);
    at += align(length * Kind.BYTES_PER_ELEMENT);
  }
  return { header: head.header, arrays };
}
