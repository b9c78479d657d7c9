/**
 * Writes ONNX models from code: a small graph builder over the protobuf field writer that the OCR
 * graph rewrite already uses (models/onnx/protobuf.ts). The LLM graphs carry hundreds of MB of
 * weights as raw initializer bytes, which this path copies once; a generic protobuf library would
 * add a runtime dependency and a second copy for nothing. Field numbers are onnx.proto's.
 */
import { encodeFloatTensor } from './graph-edit.ts';
import { bytesField, type Field, float32Field, stringField, varintField, writeFields } from './protobuf.ts';

const ELEM_FLOAT = 1;
const ELEM_UINT8 = 2;
const ELEM_BOOL = 9;
const ELEM_INT64 = 7;
const ELEM_INT32 = 6;
export type ElemType = 'float' | 'int64' | 'int32' | 'bool';
const ELEM: Record<ElemType, number> = { float: ELEM_FLOAT, int64: ELEM_INT64, int32: ELEM_INT32, bool: ELEM_BOOL };

/** Attribute values: numbers are ints unless wrapped with `f()`. */
export type AttributeValue = number | { float: number } | number[] | string;

export const f = (value: number): { float: number } => ({ float: value });

function attributeBytes(name: string, value: AttributeValue): Uint8Array {
  const fields: Field[] = [stringField(1, name)];
  if (typeof value === 'number') fields.push(varintField(3, value), varintField(20, 2));
  else if (typeof value === 'string') fields.push(stringField(4, value), varintField(20, 3));
  else if (Array.isArray(value)) fields.push(...value.map((v) => varintField(8, v)), varintField(20, 7));
  else fields.push(float32Field(2, value.float), varintField(20, 1));
  return writeFields(fields);
}

function valueInfo(name: string, type: ElemType, dims: (number | string)[]): Uint8Array {
  const dimFields = dims.map((d) => bytesField(1, writeFields([typeof d === 'number' ? varintField(1, d) : stringField(2, d)])));
  const tensorType = writeFields([varintField(1, ELEM[type]), bytesField(2, writeFields(dimFields))]);
  return writeFields([stringField(1, name), bytesField(2, writeFields([bytesField(1, tensorType)]))]);
}

function int64Tensor(name: string, values: number[], dims: number[]): Uint8Array {
  const raw = new BigInt64Array(values.map((v) => BigInt(v)));
  return writeFields([
    ...dims.map((d) => varintField(1, d)),
    varintField(2, ELEM_INT64),
    stringField(8, name),
    bytesField(9, new Uint8Array(raw.buffer)),
  ]);
}

export class GraphBuilder {
  private readonly nodes: Uint8Array[] = [];
  private readonly initializers: Uint8Array[] = [];
  private readonly inputs: Uint8Array[] = [];
  private readonly outputs: Uint8Array[] = [];
  private readonly names = new Set<string>();
  private readonly domains = new Set<string>();
  private counter = 0;

  constructor(private readonly name: string) {}

  private fresh(base: string): string {
    let name = base;
    while (this.names.has(name)) name = `${base}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  input(name: string, type: ElemType, dims: (number | string)[]): string {
    this.names.add(name);
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: ElemType, dims: (number | string)[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** A float initializer; returns its name. */
  weight(base: string, dims: number[], data: Float32Array): string {
    const name = this.fresh(base);
    this.initializers.push(encodeFloatTensor(name, { dims, data }));
    return name;
  }

  /** A uint8 initializer (quantised weight codes); returns its name. */
  bytes(base: string, dims: number[], data: Uint8Array): string {
    const name = this.fresh(base);
    this.initializers.push(writeFields([...dims.map((d) => varintField(1, d)), varintField(2, ELEM_UINT8), stringField(8, name), bytesField(9, data)]));
    return name;
  }

  ints(base: string, values: number[]): string {
    const name = this.fresh(base);
    this.initializers.push(int64Tensor(name, values, [values.length]));
    return name;
  }

  scalar(base: string, value: number): string {
    return this.weight(base, [], Float32Array.of(value));
  }

  /**
   * Adds a node; returns its output names (`outputs` of them, named after `out`). `domain` names a
   * contrib operator set (e.g. com.microsoft), imported at version 1.
   */
  nodeN(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, out = opType, outputs: number | readonly boolean[] = 1, domain = ''): string[] {
    // A boolean list names only the outputs marked true; the others stay '' (an omitted optional output).
    const wanted = typeof outputs === 'number' ? Array.from({ length: outputs }, () => true) : outputs;
    const outs = wanted.map((use, i) => (use ? this.fresh(wanted.length === 1 ? out : `${out}_${i}`) : ''));
    const fields: Field[] = [
      ...inputs.map((i) => stringField(1, i)),
      ...outs.map((o) => stringField(2, o)),
      stringField(4, opType),
      ...Object.entries(attributes).map(([k, v]) => bytesField(5, attributeBytes(k, v))),
    ];
    if (domain) {
      fields.push(stringField(7, domain));
      this.domains.add(domain);
    }
    this.nodes.push(writeFields(fields));
    return outs;
  }

  node(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, out = opType): string {
    return this.nodeN(opType, inputs, attributes, out)[0];
  }

  /** Renames a value to a graph output name with an Identity node. */
  expose(value: string, name: string, type: ElemType, dims: (number | string)[]): void {
    this.names.add(name);
    this.nodes.push(writeFields([stringField(1, value), stringField(2, name), stringField(4, 'Identity')]));
    this.output(name, type, dims);
  }

  /** The ModelProto bytes (IR 8, default opset 17). */
  encode(): Uint8Array {
    const graph = writeFields([
      ...this.nodes.map((n) => bytesField(1, n)),
      stringField(2, this.name),
      ...this.initializers.map((t) => bytesField(5, t)),
      ...this.inputs.map((i) => bytesField(11, i)),
      ...this.outputs.map((o) => bytesField(12, o)),
    ]);
    const opsets = [writeFields([stringField(1, ''), varintField(2, 17)]), ...[...this.domains].map((domain) => writeFields([stringField(1, domain), varintField(2, 1)]))];
    return writeFields([varintField(1, 8), stringField(2, 'folio'), bytesField(7, graph), ...opsets.map((o) => bytesField(8, o))]);
  }
}

