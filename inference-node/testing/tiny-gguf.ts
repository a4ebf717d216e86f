import { writeFileSync } from "node:fs";
import { seededRandom } from "@inkwell/models/seeded-random";

/**
 * Writes a tiny random-weight Llama model in GGUF v3, enough for llama.cpp to load, tokenize, stream and stop:
 * no LLM weights exist offline, and the backend must be tested against the real runtime, not a mock.
 * Spec: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
 */

const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const GGUF_VERSION = 3;
const ALIGNMENT = 32;

// Metadata value types of the spec.
const T_UINT32 = 4;
const T_INT32 = 5;
const T_FLOAT32 = 6;
const T_BOOL = 7;
const T_STRING = 8;
const T_ARRAY = 9;

// ggml tensor types.
const GGML_F32 = 0;
const GGML_F16 = 1;

type MetaValue =
  | { type: "u32"; value: number }
  | { type: "f32"; value: number }
  | { type: "bool"; value: boolean }
  | { type: "string"; value: string }
  | { type: "string[]"; value: string[] }
  | { type: "f32[]"; value: number[] }
  | { type: "i32[]"; value: number[] };

class ByteWriter {
  private chunks: Buffer[] = [];
  length = 0;

  private push(buffer: Buffer): void {
    this.chunks.push(buffer);
    this.length += buffer.length;
  }

  u32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value);
    this.push(b);
  }

  i32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32LE(value);
    this.push(b);
  }

  u64(value: number): void {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(value));
    this.push(b);
  }

  f32(value: number): void {
    const b = Buffer.alloc(4);
    b.writeFloatLE(value);
    this.push(b);
  }

  u8(value: number): void {
    this.push(Buffer.from([value]));
  }

  string(value: string): void {
    const bytes = Buffer.from(value, "utf8");
    this.u64(bytes.length);
    this.push(bytes);
  }

  bytes(buffer: Buffer): void {
    this.push(buffer);
  }

  padTo(alignment: number): void {
    const pad = (alignment - (this.length % alignment)) % alignment;
    if (pad) this.push(Buffer.alloc(pad));
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

function writeMeta(w: ByteWriter, key: string, meta: MetaValue): void {
  w.string(key);
  switch (meta.type) {
    case "u32":
      w.u32(T_UINT32);
      w.u32(meta.value);
      return;
    case "f32":
      w.u32(T_FLOAT32);
      w.f32(meta.value);
      return;
    case "bool":
      w.u32(T_BOOL);
      w.u8(meta.value ? 1 : 0);
      return;
    case "string":
      w.u32(T_STRING);
      w.string(meta.value);
      return;
    case "string[]":
      w.u32(T_ARRAY);
      w.u32(T_STRING);
      w.u64(meta.value.length);
      for (const s of meta.value) w.string(s);
      return;
    case "f32[]":
      w.u32(T_ARRAY);
      w.u32(T_FLOAT32);
      w.u64(meta.value.length);
      for (const v of meta.value) w.f32(v);
      return;
    case "i32[]":
      w.u32(T_ARRAY);
      w.u32(T_INT32);
      w.u64(meta.value.length);
      for (const v of meta.value) w.i32(v);
      return;
  }
}

/** IEEE 754 half precision from a double, round-to-nearest; enough for small random weights. */
export function toFloat16Bits(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = bits & 0x7fffff;
  if (exponent <= 0) return sign; // too small for a half: flush to zero
  if (exponent >= 31) return sign | 0x7c00; // too large: infinity
  return sign | (exponent << 10) | Math.round(mantissa / 0x2000);
}

interface Tensor {
  name: string;
  /** ggml order: the fastest-varying dimension first. */
  dims: number[];
  data: Float32Array;
  type: "f32" | "f16";
}

function tensorBytes(tensor: Tensor): Buffer {
  if (tensor.type === "f32")
    return Buffer.from(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
  const half = new Uint16Array(tensor.data.length);
  for (let i = 0; i < tensor.data.length; i++) half[i] = toFloat16Bits(tensor.data[i] as number);
  return Buffer.from(half.buffer);
}

export interface TinyModelOptions {
  embedding?: number;
  layers?: number;
  heads?: number;
  feedForward?: number;
  contextLength?: number;
  seed?: number;
  /** Matrices in F16 (norms stay F32, as llama.cpp expects); F32 otherwise. */
  matrixType?: "f32" | "f16";
}

export interface TinyModelInfo {
  path: string;
  bytes: number;
  vocabulary: string[];
  parameters: number;
}

// Words whose SentencePiece pieces ("▁word") make common English tokenise into whole words.
const WORDS =
  "the a an and or but to of in on at for with is are was were be been it i you he she we they me my your this that what how why when today day feel felt good bad tired happy sad walk work write journal friend family sleep night morning talk think know want need help time week long short again more less very much".split(
    " ",
  );

/** An SPM vocabulary: unknown, BOS, EOS, all 256 byte fallbacks, printable characters, then whole words. */
function buildVocabulary(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens: string[] = ["<unk>", "<s>", "</s>"];
  const types: number[] = [2, 3, 3]; // UNKNOWN, CONTROL, CONTROL
  for (let byte = 0; byte < 256; byte++) {
    tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`);
    types.push(6); // BYTE
  }
  const pieces = new Set<string>(["▁"]);
  for (let code = 33; code < 127; code++) pieces.add(String.fromCharCode(code));
  for (const word of WORDS) pieces.add(`▁${word}`);
  for (const piece of pieces) {
    tokens.push(piece);
    types.push(1); // NORMAL
  }
  // SPM merges prefer higher scores; longer pieces first so words win over letters.
  const scores = tokens.map((token, i) => (types[i] === 1 ? token.length * 10 - i / 1000 : 0));
  return { tokens, scores, types };
}

/**
 * Writes the model and returns its shape. Dimension 0 of every token embedding is a large constant and the
 * other weights are small, so the final hidden state points along dimension 0 whatever the input; the output
 * row of every control token is strongly negative there. The model therefore never emits EOS: generation
 * runs until maxTokens or an abort, which is exactly what the tests need to observe.
 */
export function writeTinyLlamaGguf(path: string, options: TinyModelOptions = {}): TinyModelInfo {
  const nEmbd = options.embedding ?? 32;
  const nLayer = options.layers ?? 2;
  const nHead = options.heads ?? 4;
  const nFf = options.feedForward ?? 64;
  const nCtx = options.contextLength ?? 512;
  const matrixType = options.matrixType ?? "f32";
  const random = seededRandom(options.seed ?? 42);
  const gaussian = (std: number) => {
    // Box-Muller; deterministic through the seeded generator.
    const u = Math.max(random(), 1e-12);
    const v = random();
    return std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const { tokens, scores, types } = buildVocabulary();
  const nVocab = tokens.length;

  const matrix = (name: string, cols: number, rows: number, std = 0.02): Tensor => {
    const data = new Float32Array(cols * rows);
    for (let i = 0; i < data.length; i++) data[i] = gaussian(std);
    return { name, dims: [cols, rows], data, type: matrixType };
  };
  const ones = (name: string, size: number): Tensor => ({
    name,
    dims: [size],
    data: new Float32Array(size).fill(1),
    type: "f32",
  });

  const tokenEmbedding = matrix("token_embd.weight", nEmbd, nVocab, 0.1);
  for (let t = 0; t < nVocab; t++) tokenEmbedding.data[t * nEmbd] = 8;
  const output = matrix("output.weight", nEmbd, nVocab, 0.5);
  for (let t = 0; t < nVocab; t++) {
    // Row t holds token t's weights; its first entry meets the dominant hidden dimension.
    output.data[t * nEmbd] = types[t] === 1 ? 1 + random() : -20;
  }

  const tensors: Tensor[] = [tokenEmbedding, ones("output_norm.weight", nEmbd), output];
  for (let layer = 0; layer < nLayer; layer++) {
    const p = `blk.${layer}`;
    tensors.push(
      ones(`${p}.attn_norm.weight`, nEmbd),
      matrix(`${p}.attn_q.weight`, nEmbd, nEmbd),
      matrix(`${p}.attn_k.weight`, nEmbd, nEmbd),
      matrix(`${p}.attn_v.weight`, nEmbd, nEmbd),
      matrix(`${p}.attn_output.weight`, nEmbd, nEmbd),
      ones(`${p}.ffn_norm.weight`, nEmbd),
      matrix(`${p}.ffn_gate.weight`, nEmbd, nFf),
      matrix(`${p}.ffn_up.weight`, nEmbd, nFf),
      matrix(`${p}.ffn_down.weight`, nFf, nEmbd),
    );
  }

  const metadata: [string, MetaValue][] = [
    ["general.architecture", { type: "string", value: "llama" }],
    ["general.name", { type: "string", value: "inkwell-tiny-random" }],
    ["general.alignment", { type: "u32", value: ALIGNMENT }],
    ["llama.context_length", { type: "u32", value: nCtx }],
    ["llama.embedding_length", { type: "u32", value: nEmbd }],
    ["llama.block_count", { type: "u32", value: nLayer }],
    ["llama.feed_forward_length", { type: "u32", value: nFf }],
    ["llama.attention.head_count", { type: "u32", value: nHead }],
    ["llama.attention.head_count_kv", { type: "u32", value: nHead }],
    ["llama.attention.layer_norm_rms_epsilon", { type: "f32", value: 1e-5 }],
    ["llama.rope.dimension_count", { type: "u32", value: nEmbd / nHead }],
    ["llama.rope.freq_base", { type: "f32", value: 10000 }],
    ["llama.vocab_size", { type: "u32", value: nVocab }],
    ["tokenizer.ggml.model", { type: "string", value: "llama" }],
    ["tokenizer.ggml.tokens", { type: "string[]", value: tokens }],
    ["tokenizer.ggml.scores", { type: "f32[]", value: scores }],
    ["tokenizer.ggml.token_type", { type: "i32[]", value: types }],
    ["tokenizer.ggml.unknown_token_id", { type: "u32", value: 0 }],
    ["tokenizer.ggml.bos_token_id", { type: "u32", value: 1 }],
    ["tokenizer.ggml.eos_token_id", { type: "u32", value: 2 }],
    ["tokenizer.ggml.add_bos_token", { type: "bool", value: true }],
    ["tokenizer.ggml.add_eos_token", { type: "bool", value: false }],
  ];

  const w = new ByteWriter();
  w.u32(GGUF_MAGIC);
  w.u32(GGUF_VERSION);
  w.u64(tensors.length);
  w.u64(metadata.length);
  for (const [key, value] of metadata) writeMeta(w, key, value);

  let offset = 0;
  const blobs: Buffer[] = [];
  for (const tensor of tensors) {
    w.string(tensor.name);
    w.u32(tensor.dims.length);
    for (const dim of tensor.dims) w.u64(dim);
    w.u32(tensor.type === "f32" ? GGML_F32 : GGML_F16);
    w.u64(offset);
    const blob = tensorBytes(tensor);
    blobs.push(blob);
    offset += blob.length;
    offset += (ALIGNMENT - (offset % ALIGNMENT)) % ALIGNMENT;
  }
  w.padTo(ALIGNMENT);
  for (const blob of blobs) {
    w.bytes(blob);
    w.padTo(ALIGNMENT);
  }

  const file = w.toBuffer();
  writeFileSync(path, file);
  return {
    path,
    bytes: file.length,
    vocabulary: tokens,
    parameters: tensors.reduce((sum, t) => sum + t.data.length, 0),
  };
}
