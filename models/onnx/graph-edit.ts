/**
 * An editable view of an ONNX model's main graph: its nodes (op type, inputs, outputs,
 * attributes) and float constants, with everything else kept as the original protobuf bytes.
 * Field numbers are those of onnx.proto (ModelProto.graph = 7, GraphProto.node = 1, …).
 */
import {
  bytesField,
  type Field,
  float32Field,
  readFields,
  stringField,
  stringValue,
  varintField,
  varintValue,
  varintValues,
  Wire,
  writeFields,
} from './protobuf.ts';

const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const NODE_INPUT = 1;
const NODE_OUTPUT = 2;
const NODE_OP_TYPE = 4;
const NODE_ATTRIBUTE = 5;
const ATTR_NAME = 1;
const ATTR_F = 2;
const ATTR_I = 3;
const ATTR_S = 4;
const ATTR_T = 5;
const ATTR_INTS = 8;
const ATTR_TYPE = 20;
const ATTR_TYPE_FLOAT = 1;
const TENSOR_DIMS = 1;
const TENSOR_DATA_TYPE = 2;
const TENSOR_FLOAT_DATA = 4;
const TENSOR_NAME = 8;
const TENSOR_RAW_DATA = 9;
const TENSOR_DATA_LOCATION = 14;
const DATA_TYPE_FLOAT = 1n;

export interface FloatTensor {
  dims: number[];
  data: Float32Array;
}

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  /** Attributes, each as its AttributeProto fields. */
  attributes: Field[][];
  /** Other NodeProto fields (name, domain, doc string), kept as they were. */
  rest: Field[];
  /** The original encoding, reused while the node is unchanged; set to null after editing. */
  raw: Uint8Array | null;
}

export interface OnnxModel {
  nodes: OnnxNode[];
  /** Names the graph hands back to the caller: never renamed or folded away. */
  graphOutputs: Set<string>;
  /** Names the caller may feed (older models also list initializers here). */
  graphInputs: Set<string>;
  /** Float tensors known at load time, by value name: Constant nodes' values and initializers. */
  constants: Map<string, FloatTensor>;
  /** Initializers as TensorProto bytes with their names (originals first, then added ones). */
  initializers: { name: string; bytes: Uint8Array }[];
  modelFields: Field[];
  graphFields: Field[];
}

function decodeFloatTensor(bytes: Uint8Array): FloatTensor | null {
  const fields = readFields(bytes);
  const type = fields.find((f) => f.no === TENSOR_DATA_TYPE);
  if (!type || varintValue(type) !== DATA_TYPE_FLOAT) return null;
  const location = fields.find((f) => f.no === TENSOR_DATA_LOCATION);
  if (location && varintValue(location) !== 0n) return null; // external data: not in this file
  const dims = varintValues(fields, TENSOR_DIMS).map(Number);
  const count = dims.reduce((n, d) => n * d, 1);
  const raw = fields.find((f) => f.no === TENSOR_RAW_DATA);
  let data: Float32Array;
  if (raw) {
    // Copy: the payload is a view at an arbitrary byte offset.
    data = new Float32Array(raw.data.slice().buffer);
  } else {
    const values: number[] = [];
    for (const field of fields) {
      if (field.no !== TENSOR_FLOAT_DATA) continue;
      const view = new DataView(field.data.buffer, field.data.byteOffset, field.data.byteLength);
      for (let pos = 0; pos + 4 <= field.data.length; pos += 4) values.push(view.getFloat32(pos, true));
    }
    data = Float32Array.from(values);
  }
  return data.length === count ? { dims, data } : null;
}

export function encodeFloatTensor(name: string, tensor: FloatTensor): Uint8Array {
  const raw = new Uint8Array(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength).slice();
  return writeFields([
    ...tensor.dims.map((d) => varintField(TENSOR_DIMS, d)),
    varintField(TENSOR_DATA_TYPE, DATA_TYPE_FLOAT),
    stringField(TENSOR_NAME, name),
    bytesField(TENSOR_RAW_DATA, raw),
  ]);
}

export function attributeName(attribute: Field[]): string {
  const name = attribute.find((f) => f.no === ATTR_NAME);
  return name ? stringValue(name) : '';
}

function attribute(node: OnnxNode, name: string): Field[] | undefined {
  return node.attributes.find((a) => attributeName(a) === name);
}

export function floatAttribute(node: OnnxNode, name: string): number | undefined {
  const f = attribute(node, name)?.find((field) => field.no === ATTR_F);
  return f ? new DataView(f.data.buffer, f.data.byteOffset, 4).getFloat32(0, true) : undefined;
}

export function intAttribute(node: OnnxNode, name: string): number | undefined {
  const f = attribute(node, name)?.find((field) => field.no === ATTR_I);
  return f ? Number(varintValue(f)) : undefined;
}

export function intsAttribute(node: OnnxNode, name: string): number[] | undefined {
  const a = attribute(node, name);
  return a ? varintValues(a, ATTR_INTS).map(Number) : undefined;
}

export function stringAttribute(node: OnnxNode, name: string): string | undefined {
  const f = attribute(node, name)?.find((field) => field.no === ATTR_S);
  return f ? stringValue(f) : undefined;
}

export function floatAttributeField(name: string, value: number): Field[] {
  return [stringField(ATTR_NAME, name), float32Field(ATTR_F, value), varintField(ATTR_TYPE, ATTR_TYPE_FLOAT)];
}

function decodeNode(bytes: Uint8Array): OnnxNode {
  const node: OnnxNode = { opType: '', inputs: [], outputs: [], attributes: [], rest: [], raw: bytes };
  for (const field of readFields(bytes)) {
    if (field.no === NODE_INPUT) node.inputs.push(stringValue(field));
    else if (field.no === NODE_OUTPUT) node.outputs.push(stringValue(field));
    else if (field.no === NODE_OP_TYPE) node.opType = stringValue(field);
    else if (field.no === NODE_ATTRIBUTE) node.attributes.push(readFields(field.data));
    else node.rest.push(field);
  }
  return node;
}

function encodeNode(node: OnnxNode): Uint8Array {
  if (node.raw) return node.raw;
  return writeFields([
    ...node.inputs.map((name) => stringField(NODE_INPUT, name)),
    ...node.outputs.map((name) => stringField(NODE_OUTPUT, name)),
    stringField(NODE_OP_TYPE, node.opType),
    ...node.attributes.map((a) => bytesField(NODE_ATTRIBUTE, writeFields(a))),
    ...node.rest,
  ]);
}

export function decodeModel(bytes: Uint8Array): OnnxModel {
  const modelFields = readFields(bytes);
  const graphField = modelFields.find((f) => f.no === MODEL_GRAPH && f.wire === Wire.Bytes);
  if (!graphField) throw new Error('Not an ONNX model: no graph');
  const graphFields = readFields(graphField.data);
  const model: OnnxModel = {
    nodes: [],
    graphOutputs: new Set(),
    graphInputs: new Set(),
    constants: new Map(),
    initializers: [],
    modelFields,
    graphFields,
  };
  for (const field of graphFields) {
    if (field.no === GRAPH_NODE) {
      const node = decodeNode(field.data);
      model.nodes.push(node);
      const value = node.opType === 'Constant' ? attribute(node, 'value')?.find((f) => f.no === ATTR_T) : undefined;
      const tensor = value ? decodeFloatTensor(value.data) : null;
      if (tensor && node.outputs[0]) model.constants.set(node.outputs[0], tensor);
    } else if (field.no === GRAPH_INITIALIZER) {
      const nameField = readFields(field.data).find((f) => f.no === TENSOR_NAME);
      const name = nameField ? stringValue(nameField) : '';
      model.initializers.push({ name, bytes: field.data });
      const tensor = decodeFloatTensor(field.data);
      if (tensor) model.constants.set(name, tensor);
    } else if (field.no === GRAPH_OUTPUT || field.no === GRAPH_INPUT) {
      // ValueInfoProto.name is field 1.
      const nameField = readFields(field.data).find((f) => f.no === 1);
      if (nameField) (field.no === GRAPH_OUTPUT ? model.graphOutputs : model.graphInputs).add(stringValue(nameField));
    }
  }
  return model;
}

/** Adds a float initializer under a fresh name derived from `base`; returns the name. */
export function addInitializer(model: OnnxModel, base: string, tensor: FloatTensor): string {
  let name = base;
  for (let k = 1; model.constants.has(name); k++) name = `${base}_${k}`;
  model.constants.set(name, tensor);
  model.initializers.push({ name, bytes: encodeFloatTensor(name, tensor) });
  return name;
}

/** Drops Constant nodes and initializers nothing reads any more. */
export function removeUnused(model: OnnxModel): void {
  const used = new Set<string>(model.graphOutputs);
  for (const node of model.nodes) for (const input of node.inputs) used.add(input);
  model.nodes = model.nodes.filter((node) => node.opType !== 'Constant' || node.outputs.some((o) => used.has(o)));
  model.initializers = model.initializers.filter((init) => used.has(init.name) || model.graphInputs.has(init.name));
}

export function encodeModel(model: OnnxModel): Uint8Array {
  // Keep the original field order: nodes where the first node was, initializers likewise.
  const nodes = model.nodes.map((node) => bytesField(GRAPH_NODE, encodeNode(node)));
  const initializers = model.initializers.map((init) => bytesField(GRAPH_INITIALIZER, init.bytes));
  const fields: Field[] = [];
  let nodesDone = false;
  let initializersDone = false;
  for (const field of model.graphFields) {
    if (field.no === GRAPH_NODE) {
      if (!nodesDone) fields.push(...nodes);
      nodesDone = true;
    } else if (field.no === GRAPH_INITIALIZER) {
      if (!initializersDone) fields.push(...initializers);
      initializersDone = true;
    } else {
      fields.push(field);
    }
  }
  if (!nodesDone) fields.unshift(...nodes);
  if (!initializersDone) fields.push(...initializers);
  const graph = writeFields(fields);
  return writeFields(model.modelFields.map((f) => (f.no === MODEL_GRAPH ? bytesField(MODEL_GRAPH, graph) : f)));
}
