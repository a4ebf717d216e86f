import {
  ElementType,
  type GraphIo,
  type GraphNode,
  type GraphSpec,
  type Initializer,
} from "../onnx/graph.ts";

/** Names of the tensors the static embedding graph reads and writes; heads appended to it use these. */
export const STATIC_EMBEDDING = {
  inputIds: "input_ids",
  attentionMask: "attention_mask",
  sentenceEmbedding: "sentence_embedding",
  tokenEmbeddings: "token_embeddings",
  table: "embeddings",
  commonComponent: "common_component",
} as const;

export interface StaticEmbeddingParams {
  /** Row-major [vocabulary, dims], each row already multiplied by its word's SIF weight. */
  table: Float32Array;
  vocabularySize: number;
  dims: number;
  /** Unit vector [dims]: the common component removed from every sentence vector. */
  commonComponent: Float32Array;
}

const int64 = (name: string, values: number[]): Initializer => ({
  name,
  dims: [values.length],
  data: values.map((v) => BigInt(v)),
});

/**
 * input_ids, attention_mask [batch, sequence] →
 *   sentence_embedding [batch, dims]: Gather → SIF-weighted masked mean → minus its projection on the
 *     common component → L2-normalised;
 *   token_embeddings [batch, sequence, dims]: the weighted token vectors with the common component
 *     removed, whose masked mean is the sentence vector before normalisation (the layout
 *     sentence-transformers ONNX exports have, so generic mean-pooling tools reproduce the same vectors).
 */
export function staticEmbeddingGraph(params: StaticEmbeddingParams): {
  inputs: GraphIo[];
  outputs: GraphIo[];
  nodes: GraphNode[];
  initializers: Initializer[];
} {
  const { dims } = params;
  const n = STATIC_EMBEDDING;
  const initializers: Initializer[] = [
    { name: n.table, dims: [params.vocabularySize, dims], data: params.table },
    { name: n.commonComponent, dims: [dims, 1], data: params.commonComponent },
    { name: "common_component_row", dims: [1, dims], data: params.commonComponent },
    { name: "one", dims: [], data: new Float32Array([1]) },
    { name: "epsilon", dims: [], data: new Float32Array([1e-12]) },
    int64("axis_1", [1]),
  ];
  const nodes: GraphNode[] = [
    { op: "Gather", inputs: [n.table, n.inputIds], outputs: ["weighted_tokens"], attributes: { axis: 0 } },
    { op: "Cast", inputs: [n.attentionMask], outputs: ["mask"], attributes: { to: ElementType.float } },
    // [batch, 1, sequence] x [batch, sequence, dims]: the masked sum as one batched MatMul.
    { op: "Unsqueeze", inputs: ["mask", "axis_1"], outputs: ["mask_row"] },
    { op: "MatMul", inputs: ["mask_row", "weighted_tokens"], outputs: ["summed_3d"] },
    { op: "Squeeze", inputs: ["summed_3d", "axis_1"], outputs: ["summed"] },
    { op: "ReduceSum", inputs: ["mask", "axis_1"], outputs: ["count"], attributes: { keepdims: 1 } },
    { op: "Max", inputs: ["count", "one"], outputs: ["count_safe"] },
    { op: "Div", inputs: ["summed", "count_safe"], outputs: ["mean"] },
    { op: "MatMul", inputs: ["mean", n.commonComponent], outputs: ["projection"] },
    { op: "MatMul", inputs: ["projection", "common_component_row"], outputs: ["projection_vector"] },
    { op: "Sub", inputs: ["mean", "projection_vector"], outputs: ["centred"] },
    { op: "Mul", inputs: ["centred", "centred"], outputs: ["squared"] },
    {
      op: "ReduceSum",
      inputs: ["squared", "axis_1"],
      outputs: ["squared_norm"],
      attributes: { keepdims: 1 },
    },
    { op: "Sqrt", inputs: ["squared_norm"], outputs: ["norm"] },
    { op: "Max", inputs: ["norm", "epsilon"], outputs: ["norm_safe"] },
    { op: "Div", inputs: ["centred", "norm_safe"], outputs: [n.sentenceEmbedding] },
    { op: "MatMul", inputs: ["weighted_tokens", n.commonComponent], outputs: ["token_projection"] },
    {
      op: "MatMul",
      inputs: ["token_projection", "common_component_row"],
      outputs: ["token_projection_vector"],
    },
    { op: "Sub", inputs: ["weighted_tokens", "token_projection_vector"], outputs: [n.tokenEmbeddings] },
  ];
  return {
    inputs: [
      { name: n.inputIds, type: ElementType.int64, shape: ["batch", "sequence"] },
      { name: n.attentionMask, type: ElementType.int64, shape: ["batch", "sequence"] },
    ],
    outputs: [
      { name: n.sentenceEmbedding, type: ElementType.float, shape: ["batch", dims] },
      { name: n.tokenEmbeddings, type: ElementType.float, shape: ["batch", "sequence", dims] },
    ],
    nodes,
    initializers,
  };
}

/**
 * The embedding graph followed by a head on `sentence_embedding` whose last output is `probabilities`
 * [batch, labels]: what the sentiment and emotion models are, so each is a self-contained text classifier.
 */
export function staticClassifierGraph(
  name: string,
  params: StaticEmbeddingParams,
  head: { nodes: GraphNode[]; initializers: Initializer[]; labels: readonly string[] },
  metadata: Record<string, string>,
): GraphSpec {
  const base = staticEmbeddingGraph(params);
  // Only the pooled branch: a classifier has no use for per-token vectors.
  const nodes = base.nodes.filter(
    (node) => !node.outputs.some((o) => o.startsWith("token_") || o === STATIC_EMBEDDING.tokenEmbeddings),
  );
  return {
    name,
    inputs: base.inputs,
    outputs: [{ name: "probabilities", type: ElementType.float, shape: ["batch", head.labels.length] }],
    nodes: [...nodes, ...head.nodes],
    initializers: [...base.initializers, ...head.initializers],
    metadata: { ...metadata, labels: JSON.stringify(head.labels) },
  };
}

/** The same computation in plain TypeScript, for building (common component, training) before any ONNX exists. */
export function meanWeightedVector(table: Float32Array, dims: number, ids: readonly number[]): Float32Array {
  const out = new Float32Array(dims);
  for (const id of ids) {
    const offset = id * dims;
    for (let d = 0; d < dims; d++) out[d] = (out[d] as number) + (table[offset + d] as number);
  }
  const count = Math.max(1, ids.length);
  for (let d = 0; d < dims; d++) out[d] = (out[d] as number) / count;
  return out;
}
