import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import os from "node:os";
import { probeModelBytes } from "@inkwell/models/onnx/graph";
import type { Hardware } from "@inkwell/shared";
import type { InferenceDevice } from "./config.ts";
import { type OnnxCudaProbe, probeOnnxCuda } from "./runtime/execution-providers.ts";

type CudaInfo = Hardware["cuda"];
type GpuInfo = CudaInfo["gpus"][number];

export type NodeTier = "cpu-small" | "cpu" | "gpu";

/** Where to look for the NVIDIA driver; tests point these at fake scripts and files. */
export interface CudaProbeOptions {
  nvidiaSmiPath?: string;
  procDriverVersionPath?: string;
  timeoutMs?: number;
}

/** Just what hardware detection needs to say why it fell back; a pino or Fastify logger fits. */
export interface HardwareLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface DetectHardwareOptions extends CudaProbeOptions {
  log?: HardwareLogger;
  /** Whether onnxruntime's CUDA provider loads; replaced in tests that fake a GPU. */
  onnxCudaProbe?: () => Promise<OnnxCudaProbe>;
}

/** The real probe: a session on a one-node model with only the CUDA provider. */
export function defaultOnnxCudaProbe(): Promise<OnnxCudaProbe> {
  return probeOnnxCuda(probeModelBytes());
}

const NVIDIA_SMI_ARGS = ["--query-gpu=name,memory.total,driver_version", "--format=csv,noheader,nounits"];
const DEFAULT_TIMEOUT_MS = 5000;
const MIB = 1024 * 1024;

export class NvidiaSmiParseError extends Error {
  override name = "NvidiaSmiParseError";
}

/** Parses `nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader,nounits`. */
export function parseNvidiaSmiCsv(stdout: string): GpuInfo[] {
  const lines = stdout
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  return lines.map((line, index) => {
    // Split the numeric fields off the right, so a GPU name that contains a comma still parses.
    const fields = line.split(",").map((field) => field.trim());
    if (fields.length < 3) {
      throw new NvidiaSmiParseError(`line ${index + 1}: expected 3 comma-separated fields, got "${line}"`);
    }
    const driverVersion = fields.pop() ?? "";
    const memory = fields.pop() ?? "";
    const name = fields.join(", ");
    const memoryMiB = Number(memory);
    if (name === "" || !/^\d+$/.test(memory) || !Number.isSafeInteger(memoryMiB)) {
      throw new NvidiaSmiParseError(`line ${index + 1}: expected "name, memory MiB, driver", got "${line}"`);
    }
    return driverVersion === "" || driverVersion === "[N/A]"
      ? { name, memoryMiB }
      : { name, memoryMiB, driverVersion };
  });
}

/** Reads the kernel module version from `/proc/driver/nvidia/version`, present whenever the driver is loaded. */
async function readKernelDriverVersion(path: string): Promise<string | undefined> {
  try {
    const text = await readFile(path, "utf8");
    return /Kernel Module\s+(?:for\s+\S+\s+)?(\d+(?:\.\d+)+)/.exec(text)?.[1] ?? "unknown";
  } catch {
    return undefined;
  }
}

interface ExecFailure {
  code?: string | number | null;
  killed?: boolean;
  signal?: NodeJS.Signals | null;
  stderr?: string;
}

function runNvidiaSmi(path: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      path,
      NVIDIA_SMI_ARGS,
      { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: MIB, windowsHide: true },
      (error, stdout, stderr) => {
        if (error) reject(Object.assign(error, { stderr }));
        else resolve(stdout);
      },
    );
  });
}

function describeFailure(error: ExecFailure, path: string, timeoutMs: number, kernelDriver?: string): string {
  if (error.code === "ENOENT") {
    return kernelDriver === undefined
      ? "nvidia-smi not found: no NVIDIA driver on this machine"
      : `nvidia-smi not found, although NVIDIA kernel driver ${kernelDriver} is loaded (in a container, run it with --gpus all)`;
  }
  if (error.code === "EACCES") return `nvidia-smi at ${path} is not executable`;
  if (error.killed || error.signal) return `nvidia-smi did not answer within ${timeoutMs} ms`;
  const firstLine = error.stderr?.trim().split("\n")[0]?.trim();
  const exit = typeof error.code === "number" ? `exit code ${error.code}` : String(error.code ?? "error");
  return `nvidia-smi failed (${exit})${firstLine ? `: ${firstLine}` : ""}`;
}

/** Finds NVIDIA GPUs through the driver's own tool; never throws, it says why CUDA is unusable instead. */
export async function probeCuda(options: CudaProbeOptions = {}): Promise<CudaInfo> {
  const path = options.nvidiaSmiPath ?? "nvidia-smi";
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const kernelDriver = await readKernelDriverVersion(
    options.procDriverVersionPath ?? "/proc/driver/nvidia/version",
  );

  let stdout: string;
  try {
    stdout = await runNvidiaSmi(path, timeoutMs);
  } catch (error) {
    return {
      available: false,
      reason: describeFailure(error as ExecFailure, path, timeoutMs, kernelDriver),
      ...(kernelDriver === undefined ? {} : { driverVersion: kernelDriver }),
      gpus: [],
    };
  }

  let gpus: GpuInfo[];
  try {
    gpus = parseNvidiaSmiCsv(stdout);
  } catch (error) {
    return {
      available: false,
      reason: `nvidia-smi output could not be parsed: ${(error as Error).message}`,
      gpus: [],
    };
  }
  const driverVersion = gpus[0]?.driverVersion ?? kernelDriver;
  if (gpus.length === 0) {
    return {
      available: false,
      reason: "nvidia-smi lists no GPUs",
      ...(driverVersion === undefined ? {} : { driverVersion }),
      gpus,
    };
  }
  return { available: true, ...(driverVersion === undefined ? {} : { driverVersion }), gpus };
}

export function readMemory(): Hardware["memory"] {
  // In a container os.totalmem() is the host's memory; the cgroup limit is what this node can really use.
  const limit = process.constrainedMemory();
  const totalBytes = limit > 0 && limit < os.totalmem() ? limit : os.totalmem();
  return {
    totalMiB: Math.floor(totalBytes / MIB),
    freeMiB: Math.floor(Math.min(os.freemem(), totalBytes) / MIB),
  };
}

/** Describes this machine and picks the device models will run on, honouring INFERENCE_DEVICE. */
export async function detectHardware(
  requested: InferenceDevice,
  options: DetectHardwareOptions = {},
): Promise<Hardware> {
  const cpus = os.cpus();
  const cpu = {
    model: cpus[0]?.model.trim() || "unknown",
    // Honours CPU affinity (taskset, docker --cpuset-cpus), unlike os.cpus().length.
    cores: Math.max(1, os.availableParallelism()),
    arch: os.arch(),
  };
  const memory = readMemory();

  if (requested === "cpu") {
    return {
      cpu,
      memory,
      cuda: { available: false, reason: "CPU forced by INFERENCE_DEVICE", gpus: [] },
      device: "cpu",
    };
  }

  const cuda = await probeCuda(options);
  if (!cuda.available) {
    if (requested === "cuda") {
      options.log?.warn(
        { reason: cuda.reason },
        "INFERENCE_DEVICE=cuda but CUDA is not available; falling back to CPU",
      );
    } else {
      options.log?.info({ reason: cuda.reason }, "CUDA not available; using CPU");
    }
    return { cpu, memory, cuda, device: "cpu" };
  }
  // The driver sees a GPU; the models still need onnxruntime's CUDA provider (and CUDA/cuDNN) to load.
  const onnx = await (options.onnxCudaProbe ?? defaultOnnxCudaProbe)();
  if (!onnx.available) {
    const reason = `NVIDIA GPU found, but ${onnx.reason ?? "onnxruntime's CUDA provider did not load"}`;
    options.log?.warn({ reason }, "CUDA not usable by onnxruntime; using CPU");
    return { cpu, memory, cuda: { ...cuda, available: false, reason, onnxRuntime: onnx }, device: "cpu" };
  }
  return { cpu, memory, cuda: { ...cuda, onnxRuntime: { available: true } }, device: "cuda" };
}

/** Coarse size class the edge uses to pick which models to route to this node. */
export function nodeTier(hardware: Hardware): NodeTier {
  if (hardware.device === "cuda") return "gpu";
  if (hardware.cpu.cores < 4 || hardware.memory.totalMiB < 8 * 1024) return "cpu-small";
  return "cpu";
}
