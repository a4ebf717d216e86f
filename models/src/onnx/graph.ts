import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

/** ONNX element types this project writes. */
export const ElementType = {
  float: onnx.TensorProto.DataType.FLOAT,
  int64: onnx.TensorProto.DataType.INT64,
} as const;
export type ElementType = (typeof ElementType)[keyof typeof ElementType];

/** A dimension is a fixed size or a symbolic name (`batch`, `sequence`) that ORT resolves per run. */
export type Dim = number | string;

export type Attribute = number | number[] | string;

export interface GraphNode {
  op: string;
  inputs: string[];
  outputs: string[];
  attributes?: Record<string, Attribute>;
}

export interface Initializer {
  name: string;
  dims: number[];
  /** float32 data; int64 initializers are small (shapes, axes) and given as plain numbers. */
  data: Float32Array | bigint[];
}

export interface GraphIo {
  name: string;
  type: ElementType;
  shape: Dim[];
}

export interface GraphSpec {
  name: string;
  inputs: GraphIo[];
  outputs: GraphIo[];
  nodes: GraphNode[];
  initializers: Initializer[];
  /** Free-form key/values stored in the model (labels, provenance); ORT exposes them as custom metadata. */
  metadata?: Record<string, string>;
  docString?: string;
}

/**
 * Opset 13 is old enough for every onnxruntime in use (and for Transformers.js's bundled runtime) and new
 * enough for axes-as-input ReduceSum and Softmax over an arbitrary axis.
 */
export const OPSET = 13;
const IR_VERSION = 7;

function attributeProto(name: string, value: Attribute): onnxProto.onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if (typeof value === "string") {
    return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  }
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if (Number.isInteger(value)) return { name, type: AttributeType.INT, i: value };
  return { name, type: AttributeType.FLOAT, f: value };
}

function valueInfo(io: GraphIo): onnxProto.onnx.IValueInfoProto {
  return {
    name: io.name,
    type: {
      tensorType: {
        elemType: io.type,
        shape: { dim: io.shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function tensorProto(init: Initializer): onnxProto.onnx.ITensorProto {
  if (init.data instanceof Float32Array) {
    // Little-endian raw bytes: the compact form every ONNX reader accepts, and fast to write for 40 MB.
    const raw = new Uint8Array(init.data.buffer, init.data.byteOffset, init.data.byteLength);
    return { name: init.name, dims: init.dims, dataType: ElementType.float, rawData: raw };
  }
  const raw = new Uint8Array(new BigInt64Array(init.data).buffer);
  return { name: init.name, dims: init.dims, dataType: ElementType.int64, rawData: raw };
}

/** Serialises a graph to the bytes of an `.onnx` file. Deterministic: same spec, same bytes. */
export function encodeModel(spec: GraphSpec): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: "", version: OPSET }],
    producerName: "inkwell-models",
    producerVersion: "1",
    docString: spec.docString ?? "",
    metadataProps: Object.entries(spec.metadata ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => ({ key, value })),
    graph: {
      name: spec.name,
      node: spec.nodes.map((node, index) => ({
        name: `${node.op.toLowerCase()}_${index}`,
        opType: node.op,
        input: node.inputs,
        output: node.outputs,
        attribute: Object.entries(node.attributes ?? {}).map(([k, v]) => attributeProto(k, v)),
      })),
      initializer: spec.initializers.map(tensorProto),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Reads the float initializers of an `.onnx` file back, e.g. to reuse a built embedding table in a head. */
export function readFloatInitializers(
  bytes: Uint8Array,
): Map<string, { dims: number[]; data: Float32Array }> {
  const model = onnx.ModelProto.decode(bytes);
  const out = new Map<string, { dims: number[]; data: Float32Array }>();
  for (const tensor of model.graph?.initializer ?? []) {
    if (tensor.dataType !== ElementType.float || !tensor.name) continue;
    const dims = (tensor.dims ?? []).map((d) => Number(d));
    let data: Float32Array;
    if (tensor.rawData && tensor.rawData.length > 0) {
      // Copy into an aligned buffer: rawData is a view into the file and may start at an odd offset.
      data = new Float32Array(tensor.rawData.length / 4);
      new Uint8Array(data.buffer).set(tensor.rawData);
    } else {
      data = Float32Array.from(tensor.floatData ?? []);
    }
    out.set(tensor.name, { dims, data });
  }
  return out;
}

/** Reads the metadata key/values of an `.onnx` file. */
export function readModelMetadata(bytes: Uint8Array): Record<string, string> {
  const model = onnx.ModelProto.decode(bytes);
  const out: Record<string, string> = {};
  for (const prop of model.metadataProps ?? []) {
    if (prop.key) out[prop.key] = prop.value ?? "";
  }
  return out;
}

/**
 * A one-node model (y = x) used to find out whether an execution provider loads at all, without touching a
 * real model file.
 */
export function probeModelBytes(): Uint8Array {
  return encodeModel({
    name: "provider-probe",
    inputs: [{ name: "x", type: ElementType.float, shape: [1] }],
    outputs: [{ name: "y", type: ElementType.float, shape: [1] }],
    nodes: [{ op: "Identity", inputs: ["x"], outputs: ["y"] }],
    initializers: [],
  });
}
