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
