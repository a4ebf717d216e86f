import * as ort from "onnxruntime-node";

export interface ProviderLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface SessionChoice {
  session: ort.InferenceSession;
  provider: "cuda" | "cpu";
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  // ORT messages can run to pages of library paths; the first line says what went wrong.
  return message.split("\n")[0]?.slice(0, 300) ?? "unknown error";
}

/** Options every session gets: threads from the cores this node may use, no busy-waiting between batches. */
export function sessionOptions(
  provider: "cuda" | "cpu",
  threads: number,
): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: "all",
    intraOpNumThreads: Math.max(1, threads),
    interOpNumThreads: 1,
    // Quiet ORT's own stderr; failures surface as exceptions, which are logged with context.
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: "0" } } },
  };
}

/**
 * Creates a session on the best provider that loads: CUDA first when the hardware decision says CUDA, then
 * CPU, logging each fallback with its reason. Throws only when the CPU fails too (then the file is bad).
 */
export async function createSessionWithFallback(
  file: string,
  device: "cuda" | "cpu",
  threads: number,
  log: ProviderLogger,
  modelId: string,
): Promise<SessionChoice> {
  const providers: ("cuda" | "cpu")[] = device === "cuda" ? ["cuda", "cpu"] : ["cpu"];
  let lastError: unknown;
  for (const provider of providers) {
    try {
      const session = await ort.InferenceSession.create(file, sessionOptions(provider, threads));
      return { session, provider };
    } catch (error) {
      lastError = error;
      if (provider !== "cpu") {
        log.warn(
          { model: modelId, provider, reason: reasonOf(error) },
          "execution provider failed; falling back to CPU",
        );
      }
    }
  }
  throw lastError;
}

export interface OnnxCudaProbe {
  available: boolean;
  reason?: string;
}

/**
 * Whether onnxruntime's CUDA provider actually loads here (its shared libraries, CUDA and cuDNN), by
 * creating a session on a one-node model. nvidia-smi seeing a GPU is not enough: the npm package ships
 * without the CUDA provider unless it was installed with it.
 */
export async function probeOnnxCuda(model: Uint8Array): Promise<OnnxCudaProbe> {
  try {
    const session = await ort.InferenceSession.create(model, {
      executionProviders: ["cuda"],
      logSeverityLevel: 4,
    });
    await session.release();
    return { available: true };
  } catch (error) {
    return { available: false, reason: `onnxruntime CUDA provider did not load: ${reasonOf(error)}` };
  }
}
