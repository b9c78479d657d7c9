/** Building blocks for the ONNX graphs the tests write (tiny embedder, tiny ViT) with onnx-proto. */
import onnxProto from 'onnx-proto';
import type { onnx as Onnx } from 'onnx-proto';

// onnx-proto is CommonJS: its namespace is a property of the default export at run time.
export const { onnx } = onnxProto;

export const { FLOAT, INT64 } = onnx.TensorProto.DataType;

export function floatTensor(name: string, dims: number[], data: Float32Array): Onnx.ITensorProto {
  return { name, dims, dataType: FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

export function int64Tensor(name: string, dims: number[], values: number[]): Onnx.ITensorProto {
  const data = BigInt64Array.from(values.map(BigInt));
  return { name, dims, dataType: INT64, rawData: new Uint8Array(data.buffer) };
}

export function node(opType: string, input: string[], output: string[], attribute: Onnx.IAttributeProto[] = []): Onnx.INodeProto {
  return { opType, input, output, attribute, name: output[0] };
}

export const intAttr = (name: string, i: number): Onnx.IAttributeProto => ({ name, i, type: onnx.AttributeProto.AttributeType.INT });
export const intsAttr = (name: string, ints: number[]): Onnx.IAttributeProto => ({ name, ints, type: onnx.AttributeProto.AttributeType.INTS });
export const floatAttr = (name: string, f: number): Onnx.IAttributeProto => ({ name, f, type: onnx.AttributeProto.AttributeType.FLOAT });

export function valueInfo(name: string, elemType: number, dims: Array<string | number>): Onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  };
}

/** A ModelProto (IR 8, default opset 17) around `graph`, encoded. */
export function encodeModel(producerName: string, graph: Onnx.IGraphProto): Uint8Array {
  return onnx.ModelProto.encode(onnx.ModelProto.create({ irVersion: 8, producerName, opsetImport: [{ domain: '', version: 17 }], graph })).finish();
}
