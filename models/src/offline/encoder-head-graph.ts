import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

export interface LinearSoftmaxHead {
  /** Output name of the encoder's [batch, dims] sentence embedding. */
  embeddingOutput: string;
  labels: readonly string[];
  /** Row-major [dims, labels]. */
  weights: Float32Array;
  bias: Float32Array;
  /** Added to the encoder's metadata (labels, training figures). */
  metadata: Record<string, string>;
  docString: string;
}

export const HEAD_OUTPUT = "probabilities";

function floatTensor(name: string, dims: number[], data: Float32Array): onnxProto.onnx.ITensorProto {
  return {
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

/**
 * A whole classifier in one file: the encoder's graph unchanged, then MatMul → Add → Softmax on its
 * sentence embedding, with `probabilities` [batch, labels] as the only output. The node loads it like any
 * transformer classifier export (same inputs, same tokenizer), so no new runtime path is needed. Built
 * from the encoder's bytes, so equal inputs give equal bytes.
 */
export function appendSoftmaxHead(encoderBytes: Uint8Array, head: LinearSoftmaxHead): Uint8Array {
  const model = onnx.ModelProto.decode(encoderBytes);
  const graph = model.graph;
  if (!graph) throw new Error("the encoder model has no graph");
  const embedding = graph.output?.find((output) => output.name === head.embeddingOutput);
  if (!embedding) throw new Error(`the encoder has no output ${head.embeddingOutput}`);
  const dims = head.weights.length / head.labels.length;
  const names = {
    weights: "inkwell_head_weights",
    bias: "inkwell_head_bias",
    scaled: "inkwell_head_scaled",
    logits: "inkwell_head_logits",
  };
  const taken = new Set([
    ...(graph.node ?? []).flatMap((node) => node.output ?? []),
    ...(graph.initializer ?? []).map((tensor) => tensor.name ?? ""),
  ]);
  for (const name of [...Object.values(names), HEAD_OUTPUT]) {
    if (taken.has(name)) throw new Error(`the encoder already has a tensor called ${name}`);
  }
  graph.initializer = [
    ...(graph.initializer ?? []),
    floatTensor(names.weights, [dims, head.labels.length], head.weights),
    floatTensor(names.bias, [head.labels.length], head.bias),
  ];
  graph.node = [
    ...(graph.node ?? []),
    {
      name: "inkwell_head_matmul",
      opType: "MatMul",
      input: [head.embeddingOutput, names.weights],
      output: [names.scaled],
    },
    { name: "inkwell_head_add", opType: "Add", input: [names.scaled, names.bias], output: [names.logits] },
    {
      name: "inkwell_head_softmax",
      opType: "Softmax",
      input: [names.logits],
      output: [HEAD_OUTPUT],
      attribute: [{ name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
    },
  ];
  const batchDim = embedding.type?.tensorType?.shape?.dim?.[0] ?? { dimParam: "batch" };
  graph.output = [
    {
      name: HEAD_OUTPUT,
      type: {
        tensorType: {
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: { dim: [batchDim, { dimValue: head.labels.length }] },
        },
      },
    },
  ];
  const metadata = new Map((model.metadataProps ?? []).map((prop) => [prop.key ?? "", prop.value ?? ""]));
  for (const [key, value] of Object.entries(head.metadata)) metadata.set(key, value);
  metadata.set("labels", head.labels.join(","));
  model.metadataProps = [...metadata.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => ({ key, value }));
  model.docString = head.docString;
  return onnx.ModelProto.encode(model).finish();
}
