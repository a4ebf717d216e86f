/// <reference types="node" />
import { endianness } from "node:os";
import type { onnx } from "onnx-proto";
import onnxProto from "onnx-proto";

const { AttributeProto, ModelProto, TensorProto } = onnxProto.onnx;

export const ElemType = {
  float: TensorProto.DataType.FLOAT,
  int64: TensorProto.DataType.INT64,
  bool: TensorProto.DataType.BOOL,
} as const;
export type ElemTypeName = keyof typeof ElemType;

/** Attribute values, tagged so an integer 1 and a float 1.0 cannot be confused. */
export type OnnxAttr =
  | { readonly int: number }
  | { readonly ints: readonly number[] }
  | { readonly float: number }
  | { readonly tensor: onnx.ITensorProto };

/** A dimension: a fixed size or a named symbolic one (`batch`, `sequence`). */
export type OnnxDim = number | string;

// Raw tensor bytes are written little-endian, as the ONNX format requires; the typed arrays below are
// only little-endian on little-endian hosts, which is every platform onnxruntime-node ships for.
function assertLittleEndian(): void {
  if (endianness() !== "LE") throw new Error("the ONNX writer needs a little-endian host");
}

export function int64Tensor(name: string, values: readonly (number | bigint)[], dims: readonly number[]) {
  assertLittleEndian();
  const data = new BigInt64Array(values.length);
  values.forEach((v, i) => {
    data[i] = typeof v === "bigint" ? v : BigInt(v);
  });
  return TensorProto.create({
    name,
    dataType: ElemType.int64,
    dims: [...dims],
    rawData: new Uint8Array(data.buffer),
  });
}

export function floatTensor(name: string, data: Float32Array, dims: readonly number[]) {
  assertLittleEndian();
  return TensorProto.create({
    name,
    dataType: ElemType.float,
    dims: [...dims],
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  });
}

function toAttribute(name: string, value: OnnxAttr): onnx.IAttributeProto {
  if ("int" in value)
    return AttributeProto.create({ name, type: AttributeProto.AttributeType.INT, i: value.int });
  if ("ints" in value) {
    return AttributeProto.create({ name, type: AttributeProto.AttributeType.INTS, ints: [...value.ints] });
  }
  if ("float" in value) {
    return AttributeProto.create({ name, type: AttributeProto.AttributeType.FLOAT, f: value.float });
  }
  return AttributeProto.create({ name, type: AttributeProto.AttributeType.TENSOR, t: value.tensor });
}

/**
 * Accumulates nodes and initializers in insertion order. Every name is checked for uniqueness so a
 * converter bug shows up at build time instead of as an onnxruntime load error.
 */
export class OnnxGraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private readonly produced = new Set<string>();

  private claim(name: string): void {
    if (this.produced.has(name)) throw new Error(`tensor name used twice: ${name}`);
    this.produced.add(name);
  }

  has(name: string): boolean {
    return this.produced.has(name);
  }

  /** Adds a node and returns its output names (the node is named after its first output). */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attrs: Readonly<Record<string, OnnxAttr>> = {},
  ): readonly string[] {
    for (const o of outputs) this.claim(o);
    this.nodes.push({
      name: outputs[0] ?? opType,
      opType,
      input: [...inputs],
      output: [...outputs],
      attribute: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
    });
    return outputs;
  }

  /** Single-output shorthand. */
  op(opType: string, inputs: readonly string[], output: string, attrs?: Readonly<Record<string, OnnxAttr>>) {
    this.node(opType, inputs, [output], attrs);
    return output;
  }

  addInitializer(tensor: onnx.ITensorProto): string {
    const name = tensor.name ?? "";
    this.claim(name);
    this.initializers.push(tensor);
    return name;
  }

  int64(name: string, values: readonly (number | bigint)[], dims: readonly number[] = [values.length]) {
    return this.addInitializer(int64Tensor(name, values, dims));
  }
}

export interface OnnxValueInfo {
  readonly name: string;
  readonly elemType: ElemTypeName;
  readonly dims: readonly OnnxDim[];
}

function valueInfo(v: OnnxValueInfo): onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ElemType[v.elemType],
        shape: { dim: v.dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export interface EncodeModelOptions {
  readonly graphName: string;
  readonly opset: number;
  readonly irVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
}

/** Serialises the graph. Nothing time- or host-dependent goes in, so equal inputs give equal bytes. */
export function encodeModel(builder: OnnxGraphBuilder, options: EncodeModelOptions): Uint8Array {
  const model = ModelProto.create({
    irVersion: options.irVersion,
    producerName: options.producerName,
    producerVersion: options.producerVersion,
    docString: options.docString,
    opsetImport: [{ domain: "", version: options.opset }],
    metadataProps: Object.entries(options.metadata)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, value]) => ({ key, value })),
    graph: {
      name: options.graphName,
      node: builder.nodes,
      initializer: builder.initializers,
      input: options.inputs.map(valueInfo),
      output: options.outputs.map(valueInfo),
    },
  });
  return ModelProto.encode(model).finish();
}
