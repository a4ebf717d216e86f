import { floatTensor, type OnnxAttr, OnnxGraphBuilder } from "./onnx-graph.ts";
import type { TfAttrValue, TfGraphModel, TfNode, TfWeight } from "./source.ts";

/** Names of the dense, transformer-style signature the converted model exposes. */
export const USE_LITE_INPUT_IDS = "input_ids";
export const USE_LITE_ATTENTION_MASK = "attention_mask";
export const USE_LITE_OUTPUT = "sentence_embedding";

const INT64_MAX = 9223372036854775807n;

// TensorFlow DataType enum values that occur in the graph. Every TF integer tensor (int32 or int64)
// becomes int64 in ONNX: Reshape, Slice, Range, ScatterND and friends want int64 there anyway, so one
// integer type avoids a Cast in front of every shape computation.
const TF_DTYPE_TO_ONNX: Readonly<Record<string, "float" | "int64" | "bool">> = {
  "1": "float",
  "3": "int64",
  "9": "int64",
  "10": "bool",
  DT_FLOAT: "float",
  DT_INT32: "int64",
  DT_INT64: "int64",
  DT_BOOL: "bool",
};
const ONNX_CAST_TO = { float: 1, int64: 7, bool: 9 } as const;

interface TensorRef {
  readonly node: string;
  readonly index: number;
}

function parseRef(input: string): TensorRef {
  if (input.startsWith("^")) throw new Error(`control dependency ${input} is not supported`);
  const m = /^(.*):(\d+)$/.exec(input);
  return m ? { node: m[1] ?? "", index: Number(m[2]) } : { node: input, index: 0 };
}

function onnxName(ref: TensorRef): string {
  return ref.index === 0 ? ref.node : `${ref.node}:${ref.index}`;
}

function attrInt(node: TfNode, key: string, fallback?: number): number {
  const v = node.attr?.[key]?.i;
  if (v === undefined) {
    if (fallback === undefined) throw new Error(`${node.name}: missing int attribute ${key}`);
    return fallback;
  }
  return Number(v);
}

function attrBool(node: TfNode, key: string, fallback: boolean): boolean {
  return node.attr?.[key]?.b ?? fallback;
}

function attrString(node: TfNode, key: string): string | undefined {
  const s = node.attr?.[key]?.s;
  if (s === undefined) return undefined;
  // The TF.js JSON stores byte strings either as base64 or as a byte array.
  return Array.isArray(s) ? String.fromCharCode(...s) : Buffer.from(s, "base64").toString("latin1");
}

function attrInts(node: TfNode, key: string): number[] {
  return (node.attr?.[key]?.list?.i ?? []).map(Number);
}

function attrType(node: TfNode, key: string): "float" | "int64" | "bool" {
  const v: TfAttrValue | undefined = node.attr?.[key];
  const t = TF_DTYPE_TO_ONNX[String(v?.type)];
  if (!t) throw new Error(`${node.name}: unsupported dtype ${String(v?.type)} in ${key}`);
  return t;
}

export interface ConvertedGraph {
  readonly builder: OnnxGraphBuilder;
  /** Tokens past this position are dropped by the original graph (ClipToMaxLength). */
  readonly maxSequenceLength: number;
  readonly embeddingDim: number;
  readonly vocabRows: number;
}

/**
 * Translates the USE-lite TF.js graph op by op into ONNX, and swaps its sparse input for a dense one.
 *
 * The original takes a SparseTensor of token ids (`indices` [N,2] = (sentence, position), `values` [N]).
 * The converted graph takes `input_ids`/`attention_mask` [batch, seq] and rebuilds exactly that sparse
 * form in-graph: NonZero(attention_mask) gives the (row, col) pairs in the same row-major order the
 * package produces, and GatherND picks their ids. Only SparseToDense is replaced: the original sizes
 * it from the largest index, the dense input already has the right layout (`ids` where the mask is
 * set, the graph's default -1 elsewhere). Extra padded columns are -1, which the graph's own mask
 * (`ids > -1`) already treats as padding, so padding a batch leaves each sentence's embedding unchanged.
 */
export function convertUseLiteGraph(model: TfGraphModel): ConvertedGraph {
  const byName = new Map(model.nodes.map((n) => [n.name, n]));
  const b = new OnnxGraphBuilder();

  const nodeOf = (name: string): TfNode => {
    const n = byName.get(name);
    if (!n) throw new Error(`unknown TF node ${name}`);
    return n;
  };
  const constWeight = (input: string): TfWeight => {
    const ref = parseRef(input);
    const n = nodeOf(ref.node);
    if (n.op !== "Const") throw new Error(`${ref.node} is ${n.op}, expected a Const`);
    const w = model.weights.get(ref.node);
    if (!w) throw new Error(`no weight data for const ${ref.node}`);
    return w;
  };
  const constInts = (input: string): number[] => {
    const w = constWeight(input);
    if (w.dtype !== "int32") throw new Error(`const ${input} is ${w.dtype}, expected int32`);
    return Array.from(w.data);
  };

  // Find the pieces of the original input pipeline that the dense prelude replaces.
  const sparseToDense = model.nodes.find((n) => n.op === "SparseToDense");
  const clipLess = model.nodes.find((n) => n.op === "Less" && n.name.endsWith("ClipToMaxLength/Less"));
  const embeddingLookup = model.nodes.find((n) => n.name.endsWith("Encode/embedding_lookup"));
  if (!sparseToDense || !clipLess || !embeddingLookup) {
    throw new Error(
      "graph does not look like USE-lite (no SparseToDense / ClipToMaxLength / embedding_lookup)",
    );
  }
  const [maxLen] = constInts(clipLess.input?.[1] ?? "");
  const [padId] = constInts(sparseToDense.input?.[3] ?? "");
  if (maxLen === undefined || padId === undefined) throw new Error("unreadable clip length or pad value");
  const table = constWeight(embeddingLookup.input?.[0] ?? "");
  const outputBias = [...model.weights].find(([name]) => name.endsWith("tanh_layer_0/bias"))?.[1];

  const consumed = new Set(model.nodes.flatMap((n) => (n.input ?? []).map((i) => parseRef(i).node)));
  const sinks = model.nodes.filter((n) => n.op !== "Const" && !consumed.has(n.name));
  const [sink] = sinks;
  if (sinks.length !== 1 || !sink) throw new Error(`expected one graph output, found ${sinks.length}`);

  // Dense prelude: the graph's Placeholders `indices` and `values` become computed tensors.
  const inIds = USE_LITE_INPUT_IDS;
  const inMask = USE_LITE_ATTENTION_MASK;
  const zero = b.int64("prelude/zero", [0], []);
  const maskBool = b.op("Greater", [inMask, zero], "prelude/mask");
  const nonZero = b.op("NonZero", [maskBool], "prelude/nonzero");
  const placeholders = new Map<string, string>();
  placeholders.set("indices", b.op("Transpose", [nonZero], "indices", { perm: { ints: [1, 0] } }));
  placeholders.set("values", b.op("GatherND", [inIds, "indices"], "values"));
  const pad = b.int64("prelude/pad_id", [padId], []);
  const denseFull = b.op("Where", [maskBool, inIds, pad], "prelude/dense_ids");

  const emitted = new Set<string>();
  const initializerOf = new Map<string, string>();

  const emitConst = (name: string): string => {
    const cached = initializerOf.get(name);
    if (cached) return cached;
    const w = model.weights.get(name);
    if (!w) throw new Error(`no weight data for const ${name}`);
    if (w.dtype === "float32") b.addInitializer(floatTensor(name, w.data, w.shape));
    else if (w.dtype === "int32") b.int64(name, Array.from(w.data), w.shape);
    else throw new Error(`bool const ${name} is not supported`);
    initializerOf.set(name, name);
    return name;
  };

  // Returns the ONNX name of a TF tensor, emitting its producer (depth-first) if needed. Post-order
  // emission from the single output both prunes dead nodes and gives a deterministic topological order.
  const tensor = (input: string): string => {
    const ref = parseRef(input);
    const placeholder = placeholders.get(ref.node);
    if (placeholder) return placeholder;
    const n = nodeOf(ref.node);
    if (n.op === "Const") return emitConst(n.name);
    if (!emitted.has(n.name)) {
      emitted.add(n.name);
      emitNode(n);
    }
    return onnxName(ref);
  };

  const rankOf = (input: string): number => {
    const n = nodeOf(parseRef(input).node);
    if (n.op === "Transpose") return constInts(n.input?.[1] ?? "").length;
    throw new Error(`cannot infer the rank of ${input} (${n.op})`);
  };

  const reduce = (n: TfNode, onnxOp: string, axesAsInput: boolean) => {
    const ins = n.input ?? [];
    const x = tensor(ins[0] ?? "");
    const axes = constInts(ins[1] ?? "");
    const keepdims: OnnxAttr = { int: attrBool(n, "keep_dims", false) ? 1 : 0 };
    if (axesAsInput) {
      const axesName = b.int64(`${n.name}/__axes`, axes);
      b.op(onnxOp, [x, axesName], n.name, { keepdims });
    } else {
      b.op(onnxOp, [x], n.name, { axes: { ints: axes }, keepdims });
    }
  };

  const emitNode = (n: TfNode): void => {
    const ins = n.input ?? [];
    const inp = (i: number) => tensor(ins[i] ?? "");
    const out = n.name;
    const unary: Readonly<Record<string, string>> = {
      Relu: "Relu",
      Tanh: "Tanh",
      Sin: "Sin",
      Cos: "Cos",
      LogicalNot: "Not",
    };
    const binary: Readonly<Record<string, string>> = {
      Add: "Add",
      BiasAdd: "Add",
      Sub: "Sub",
      Mul: "Mul",
      RealDiv: "Div",
      Maximum: "Max",
      Less: "Less",
      Greater: "Greater",
    };
    const unaryOp = unary[n.op];
    const binaryOp = binary[n.op];
    if (unaryOp) {
      b.op(unaryOp, [inp(0)], out);
      return;
    }
    if (binaryOp) {
      if (n.op === "BiasAdd" && (attrString(n, "data_format") ?? "NHWC") !== "NHWC") {
        throw new Error(`${n.name}: only NHWC BiasAdd is supported`);
      }
      b.op(binaryOp, [inp(0), inp(1)], out);
      return;
    }
    switch (n.op) {
      case "SparseToDense": {
        // See the function comment: the dense prelude already holds this tensor, clipped the same way.
        const starts = b.int64(`${out}/__starts`, [0]);
        const ends = b.int64(`${out}/__ends`, [maxLen]);
        const axes = b.int64(`${out}/__axes`, [1]);
        b.op("Slice", [denseFull, starts, ends, axes], out);
        return;
      }
      case "Square": {
        const x = inp(0);
        b.op("Mul", [x, x], out);
        return;
      }
      case "Rsqrt": {
        const s = b.op("Sqrt", [inp(0)], `${out}/__sqrt`);
        b.op("Reciprocal", [s], out);
        return;
      }
      case "Softmax":
        b.op("Softmax", [inp(0)], out, { axis: { int: -1 } });
        return;
      case "Shape":
        b.op("Shape", [inp(0)], out);
        return;
      case "Cast":
        b.op("Cast", [inp(0)], out, { to: { int: ONNX_CAST_TO[attrType(n, "DstT")] } });
        return;
      case "Where": {
        if (ins.length !== 1)
          throw new Error(`${n.name}: only the one-input Where (find indices) is supported`);
        const nz = b.op("NonZero", [inp(0)], `${out}/__nonzero`);
        b.op("Transpose", [nz], out, { perm: { ints: [1, 0] } });
        return;
      }
      case "Reshape":
        // allowzero: TF reads a 0 in the target shape as a zero-sized dimension (a batch with no tokens),
        // ONNX by default as "copy the input dimension".
        b.op("Reshape", [inp(0), inp(1)], out, { allowzero: { int: 1 } });
        return;
      case "GatherV2": {
        const [axis] = constInts(ins[2] ?? "");
        b.op("Gather", [inp(0), inp(1)], out, { axis: { int: axis ?? 0 } });
        return;
      }
      case "GatherNd":
        b.op("GatherND", [inp(0), inp(1)], out);
        return;
      case "ScatterNd": {
        if (attrType(n, "T") !== "float") throw new Error(`${n.name}: only float ScatterNd is supported`);
        const zeroValue = floatTensor(`${out}/__zero`, new Float32Array([0]), [1]);
        const base = b.op("ConstantOfShape", [inp(2)], `${out}/__base`, { value: { tensor: zeroValue } });
        b.op("ScatterND", [base, inp(0), inp(1)], out);
        return;
      }
      case "Max":
        reduce(n, "ReduceMax", false);
        return;
      case "Mean":
        reduce(n, "ReduceMean", false);
        return;
      case "Prod":
        reduce(n, "ReduceProd", false);
        return;
      case "Sum":
        reduce(n, "ReduceSum", true);
        return;
      case "ConcatV2": {
        const count = ins.length - 1;
        const [axis] = constInts(ins[count] ?? "");
        b.op(
          "Concat",
          ins.slice(0, count).map((i) => tensor(i)),
          out,
          { axis: { int: axis ?? 0 } },
        );
        return;
      }
      case "ExpandDims": {
        const axes = b.int64(`${out}/__axes`, constInts(ins[1] ?? ""));
        b.op("Unsqueeze", [inp(0), axes], out);
        return;
      }
      case "Squeeze": {
        const dims = attrInts(n, "squeeze_dims");
        if (dims.length === 0) throw new Error(`${n.name}: Squeeze without explicit dims is not supported`);
        const axes = b.int64(`${out}/__axes`, dims);
        b.op("Squeeze", [inp(0), axes], out);
        return;
      }
      case "Pack": {
        const axis = attrInt(n, "axis", 0);
        const axes = b.int64(`${out}/__axes`, [axis]);
        const parts = ins.map((i, k) => b.op("Unsqueeze", [tensor(i), axes], `${out}/__part${k}`));
        b.op("Concat", parts, out, { axis: { int: axis } });
        return;
      }
      case "Transpose":
        b.op("Transpose", [inp(0)], out, { perm: { ints: constInts(ins[1] ?? "") } });
        return;
      case "StridedSlice": {
        if (attrInt(n, "ellipsis_mask", 0) !== 0 || attrInt(n, "new_axis_mask", 0) !== 0) {
          throw new Error(`${n.name}: ellipsis/new-axis StridedSlice is not supported`);
        }
        const begin = constInts(ins[1] ?? "");
        const end = constInts(ins[2] ?? "");
        const strides = constInts(ins[3] ?? "");
        const beginMask = attrInt(n, "begin_mask", 0);
        const endMask = attrInt(n, "end_mask", 0);
        const shrinkMask = attrInt(n, "shrink_axis_mask", 0);
        const starts: bigint[] = [];
        const ends: bigint[] = [];
        const shrinkAxes: number[] = [];
        begin.forEach((bg, i) => {
          const stride = strides[i] ?? 1;
          if (stride !== 1) throw new Error(`${n.name}: only stride 1 is supported`);
          if (shrinkMask & (1 << i)) {
            starts.push(BigInt(bg));
            ends.push(bg === -1 ? INT64_MAX : BigInt(bg + 1));
            shrinkAxes.push(i);
            return;
          }
          starts.push(beginMask & (1 << i) ? 0n : BigInt(bg));
          ends.push(endMask & (1 << i) ? INT64_MAX : BigInt(end[i] ?? 0));
        });
        const axes = begin.map((_, i) => i);
        const sliced = b.op(
          "Slice",
          [
            inp(0),
            b.int64(`${out}/__starts`, starts),
            b.int64(`${out}/__ends`, ends),
            b.int64(`${out}/__axes`, axes),
          ],
          shrinkAxes.length > 0 ? `${out}/__slice` : out,
        );
        if (shrinkAxes.length > 0) b.op("Squeeze", [sliced, b.int64(`${out}/__squeeze`, shrinkAxes)], out);
        return;
      }
      case "Slice": {
        const begin = constInts(ins[1] ?? "");
        const size = constInts(ins[2] ?? "");
        const ends = begin.map((bg, i) => ((size[i] ?? -1) === -1 ? INT64_MAX : BigInt(bg + (size[i] ?? 0))));
        b.op(
          "Slice",
          [
            inp(0),
            b.int64(`${out}/__starts`, begin),
            b.int64(`${out}/__ends`, ends),
            b.int64(
              `${out}/__axes`,
              begin.map((_, i) => i),
            ),
          ],
          out,
        );
        return;
      }
      case "SplitV": {
        const sizes = constInts(ins[1] ?? "");
        const [axis] = constInts(ins[2] ?? "");
        if (sizes.some((s) => s < 0))
          throw new Error(`${n.name}: SplitV with an inferred size is not supported`);
        const outputs = sizes.map((_, k) => onnxName({ node: out, index: k }));
        b.node("Split", [inp(0), b.int64(`${out}/__split`, sizes)], outputs, { axis: { int: axis ?? 0 } });
        return;
      }
      case "MatMul": {
        let a = inp(0);
        let c = inp(1);
        if (attrBool(n, "transpose_a", false)) a = b.op("Transpose", [a], `${out}/__ta`);
        if (attrBool(n, "transpose_b", false)) c = b.op("Transpose", [c], `${out}/__tb`);
        b.op("MatMul", [a, c], out);
        return;
      }
      case "BatchMatMul":
      case "BatchMatMulV2": {
        const swapLast = (input: string, suffix: string) => {
          const rank = rankOf(input);
          const perm = Array.from({ length: rank }, (_, i) => i);
          perm[rank - 1] = rank - 2;
          perm[rank - 2] = rank - 1;
          return b.op("Transpose", [tensor(input)], `${out}/${suffix}`, { perm: { ints: perm } });
        };
        const x = attrBool(n, "adj_x", false) ? swapLast(ins[0] ?? "", "__adj_x") : inp(0);
        const y = attrBool(n, "adj_y", false) ? swapLast(ins[1] ?? "", "__adj_y") : inp(1);
        b.op("MatMul", [x, y], out);
        return;
      }
      case "Conv2D": {
        // USE-lite's Conv2Ds are 1x1, stride 1 projections over [batch, len, 1, channels]: exactly a MatMul
        // with the [in, out] kernel, which runs faster than an NHWC convolution wrapped in transposes.
        const kernelName = parseRef(ins[1] ?? "").node;
        const k = constWeight(ins[1] ?? "");
        const ok =
          k.dtype === "float32" &&
          k.shape.length === 4 &&
          k.shape[0] === 1 &&
          k.shape[1] === 1 &&
          attrInts(n, "strides").every((s) => s === 1) &&
          attrInts(n, "dilations").every((s) => s === 1) &&
          (attrString(n, "data_format") ?? "NHWC") === "NHWC";
        if (!ok || k.dtype !== "float32")
          throw new Error(`${n.name}: only 1x1 NHWC stride-1 Conv2D is supported`);
        const matrix = `${kernelName}/__matrix`;
        if (!b.has(matrix)) b.addInitializer(floatTensor(matrix, k.data, [k.shape[2] ?? 0, k.shape[3] ?? 0]));
        b.op("MatMul", [inp(0), matrix], out);
        return;
      }
      case "Range":
        b.op("Range", [inp(0), inp(1), inp(2)], out);
        return;
      default:
        throw new Error(`${n.name}: TF op ${n.op} has no ONNX translation here`);
    }
  };

  const final = tensor(sink.name);
  b.op("Identity", [final], USE_LITE_OUTPUT);

  return {
    builder: b,
    maxSequenceLength: maxLen,
    embeddingDim: outputBias?.shape[0] ?? 0,
    vocabRows: table.shape[0] ?? 0,
  };
}
