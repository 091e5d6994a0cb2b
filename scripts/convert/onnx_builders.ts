/**
 * Small builders of ONNX protobuf pieces (attributes, tensors, value infos) for the CenterNet
 * converter.
 *
 * @module
 */
import pkg from "onnx-proto";

const { onnx } = pkg;
const encoder = new TextEncoder();

/** An INTS attribute. */
export function intsAttr(name: string, ints: number[]): pkg.onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints };
}

/** An INT attribute. */
export function intAttr(name: string, i: number): pkg.onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}

/** A STRING attribute. */
export function stringAttr(name: string, s: string): pkg.onnx.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.STRING, s: encoder.encode(s) };
}

/** A FLOAT tensor with raw data. */
export function floatTensor(
  name: string,
  dims: number[],
  data: Float32Array,
): pkg.onnx.ITensorProto {
  const raw = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw };
}

/** A one-dimensional INT64 tensor. */
export function int64Tensor(name: string, values: number[]): pkg.onnx.ITensorProto {
  const data = new BigInt64Array(values.map(BigInt));
  return {
    name,
    dims: [values.length],
    dataType: onnx.TensorProto.DataType.INT64,
    rawData: new Uint8Array(data.buffer),
  };
}

/** A FLOAT tensor value info; a string dim is symbolic (dynamic). */
export function tensorValue(name: string, dims: (number | string)[]): pkg.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => typeof d === "number" ? { dimValue: d } : { dimParam: d }) },
      },
    },
  };
}

/** A one-dimensional FLOAT tensor. */
export function floatsTensor(name: string, values: number[]): pkg.onnx.ITensorProto {
  return floatTensor(name, [values.length], new Float32Array(values));
}
