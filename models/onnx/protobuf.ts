/**
 * Just enough of the protobuf wire format to edit ONNX models: split a message into its fields
 * and join fields back into bytes. Field payloads stay as the original bytes, so everything the
 * graph rewrite does not touch round-trips exactly; values are decoded only when asked for.
 * (Pulling in a protobuf library plus the ONNX schema for this would be a dependency for ~100 lines.)
 */

export const Wire = { Varint: 0, Fixed64: 1, Bytes: 2, Fixed32: 5 } as const;
export type Wire = (typeof Wire)[keyof typeof Wire];

/** One field occurrence. `data` is the varint's bytes, the 4 or 8 fixed bytes, or the payload. */
export interface Field {
  no: number;
  wire: Wire;
  data: Uint8Array;
}

function readVarint(buf: Uint8Array, pos: number): { value: bigint; end: number } {
  let value = 0n;
  let shift = 0n;
  for (let i = pos; i < buf.length && i < pos + 10; i++) {
    value |= BigInt(buf[i] & 0x7f) << shift;
    if ((buf[i] & 0x80) === 0) return { value, end: i + 1 };
    shift += 7n;
  }
  throw new Error(`Malformed protobuf varint at byte ${pos}`);
}

function writeVarint(value: bigint, out: number[]): void {
  let v = BigInt.asUintN(64, value);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

/** Splits an encoded message into its fields, in order. Payloads are views into `buf`. */
export function readFields(buf: Uint8Array): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const tag = readVarint(buf, pos);
    pos = tag.end;
    const no = Number(tag.value >> 3n);
    const wire = Number(tag.value & 7n) as Wire;
    let start = pos;
    let end: number;
    if (wire === Wire.Varint) {
      end = readVarint(buf, pos).end;
    } else if (wire === Wire.Fixed64) {
      end = pos + 8;
    } else if (wire === Wire.Fixed32) {
      end = pos + 4;
    } else if (wire === Wire.Bytes) {
      const length = readVarint(buf, pos);
      start = length.end;
      end = start + Number(length.value);
    } else {
      throw new Error(`Unsupported protobuf wire type ${wire} for field ${no} at byte ${pos}`);
    }
    if (end > buf.length) throw new Error(`Protobuf field ${no} runs past the end of its message`);
    fields.push({ no, wire, data: buf.subarray(start, end) });
    pos = end;
  }
  return fields;
}

/** Encodes fields back into a message. */
export function writeFields(fields: readonly Field[]): Uint8Array {
  const heads: number[][] = [];
  let size = 0;
  for (const field of fields) {
    const head: number[] = [];
    writeVarint(BigInt((field.no << 3) | field.wire), head);
    if (field.wire === Wire.Bytes) writeVarint(BigInt(field.data.length), head);
    heads.push(head);
    size += head.length + field.data.length;
  }
  const out = new Uint8Array(size);
  let pos = 0;
  fields.forEach((field, i) => {
    out.set(heads[i], pos);
    pos += heads[i].length;
    out.set(field.data, pos);
    pos += field.data.length;
  });
  return out;
}

/** A varint field's value as a signed 64-bit integer (ONNX ints are int64). */
export function varintValue(field: Field): bigint {
  return BigInt.asIntN(64, readVarint(field.data, 0).value);
}

/** All values of a repeated varint field, packed or not. */
export function varintValues(fields: readonly Field[], no: number): bigint[] {
  const out: bigint[] = [];
  for (const field of fields) {
    if (field.no !== no) continue;
    if (field.wire === Wire.Varint) {
      out.push(varintValue(field));
    } else if (field.wire === Wire.Bytes) {
      for (let pos = 0; pos < field.data.length; ) {
        const v = readVarint(field.data, pos);
        out.push(BigInt.asIntN(64, v.value));
        pos = v.end;
      }
    }
  }
  return out;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

export function stringValue(field: Field): string {
  return decoder.decode(field.data);
}

export function varintField(no: number, value: bigint | number): Field {
  const bytes: number[] = [];
  writeVarint(BigInt(value), bytes);
  return { no, wire: Wire.Varint, data: Uint8Array.from(bytes) };
}

export function stringField(no: number, value: string): Field {
  return { no, wire: Wire.Bytes, data: encoder.encode(value) };
}

export function bytesField(no: number, data: Uint8Array): Field {
  return { no, wire: Wire.Bytes, data };
}

export function float32Field(no: number, value: number): Field {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setFloat32(0, value, true);
  return { no, wire: Wire.Fixed32, data };
}
