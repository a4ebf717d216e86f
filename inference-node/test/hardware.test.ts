import { existsSync } from "node:fs";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { hardwareSchema } from "@inkwell/shared";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { detectHardware, nodeTier, parseNvidiaSmiCsv, probeCuda } from "../src/hardware.ts";

const hasNvidiaDriver = existsSync("/proc/driver/nvidia/version");

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "inkwell-hw-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A stand-in nvidia-smi that insists on the exact query the node must send. */
async function fakeNvidiaSmi(name: string, body: string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(
    file,
    [
      "#!/bin/sh",
      'if [ "$1" != "--query-gpu=name,memory.total,driver_version" ] || [ "$2" != "--format=csv,noheader,nounits" ]; then',
      '  echo "unexpected arguments: $*" >&2; exit 64',
      "fi",
      body,
    ].join("\n"),
  );
  await chmod(file, 0o755);
  return file;
}

const noProcFile = () => path.join(dir, "no-such-proc-file");

function recordingLog() {
  const lines: { level: string; obj: object; msg: string }[] = [];
  return {
    lines,
    info: (obj: object, msg: string) => lines.push({ level: "info", obj, msg }),
    warn: (obj: object, msg: string) => lines.push({ level: "warn", obj, msg }),
  };
}

describe("parseNvidiaSmiCsv", () => {
  it("parses one line per GPU", () => {
    expect(
      parseNvidiaSmiCsv("NVIDIA H100 80GB HBM3, 81559, 550.54.15\nTesla T4, 15360, 550.54.15\n"),
    ).toEqual([
      { name: "NVIDIA H100 80GB HBM3", memoryMiB: 81559, driverVersion: "550.54.15" },
      { name: "Tesla T4", memoryMiB: 15360, driverVersion: "550.54.15" },
    ]);
  });

  it("parses output captured from a real H200 machine", () => {
    expect(parseNvidiaSmiCsv("NVIDIA H200, 143771, 580.159.04\n")).toEqual([
      { name: "NVIDIA H200", memoryMiB: 143_771, driverVersion: "580.159.04" },
    ]);
  });

  it("rejects lines it does not understand", () => {
    expect(() => parseNvidiaSmiCsv("NVIDIA GeForce RTX 4090\n")).toThrow(/expected 3/);
    expect(() => parseNvidiaSmiCsv("NVIDIA GeForce RTX 4090, [N/A], 550.54.15\n")).toThrow(/memory MiB/);
  });
});

describe("probeCuda", () => {
  it("reports GPUs from nvidia-smi output", async () => {
    const smi = await fakeNvidiaSmi(
      "smi-ok",
      "printf 'NVIDIA GeForce RTX 4090, 24564, 550.54.15\\nNVIDIA GeForce RTX 3060, 12288, 550.54.15\\n'",
    );
    await expect(probeCuda({ nvidiaSmiPath: smi, procDriverVersionPath: noProcFile() })).resolves.toEqual({
      available: true,
      driverVersion: "550.54.15",
      gpus: [
        { name: "NVIDIA GeForce RTX 4090", memoryMiB: 24564, driverVersion: "550.54.15" },
        { name: "NVIDIA GeForce RTX 3060", memoryMiB: 12288, driverVersion: "550.54.15" },
      ],
    });
  });

  it("explains a missing nvidia-smi", async () => {
    const cuda = await probeCuda({
      nvidiaSmiPath: path.join(dir, "absent"),
      procDriverVersionPath: noProcFile(),
    });
    expect(cuda).toEqual({
      available: false,
      reason: "nvidia-smi not found: no NVIDIA driver on this machine",
      gpus: [],
    });
  });

  it("mentions a loaded kernel driver when only nvidia-smi is missing", async () => {
    const proc = path.join(dir, "nvidia-version");
    await writeFile(
      proc,
      "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\nGCC version:  gcc 12\n",
    );
    const cuda = await probeCuda({ nvidiaSmiPath: path.join(dir, "absent"), procDriverVersionPath: proc });
    expect(cuda.available).toBe(false);
    expect(cuda.driverVersion).toBe("550.54.15");
    expect(cuda.reason).toMatch(/nvidia-smi not found, although NVIDIA kernel driver 550\.54\.15 is loaded/);
  });

  it("reads the open kernel module's version line too", async () => {
    // Captured from a real H200 machine.
    const proc = path.join(dir, "nvidia-open-version");
    await writeFile(
      proc,
      "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.159.04  Release Build  (nixbld@)  \nGCC version:  gcc version 15.3.0 (GCC) \n",
    );
    const cuda = await probeCuda({ nvidiaSmiPath: path.join(dir, "absent"), procDriverVersionPath: proc });
    expect(cuda.driverVersion).toBe("580.159.04");
  });

  it("refuses malformed output", async () => {
    const smi = await fakeNvidiaSmi("smi-garbage", "echo 'No devices were found, or so'");
    const cuda = await probeCuda({ nvidiaSmiPath: smi, procDriverVersionPath: noProcFile() });
    expect(cuda.available).toBe(false);
    expect(cuda.reason).toMatch(/^nvidia-smi output could not be parsed/);
    expect(cuda.gpus).toEqual([]);
  });

  it("reports a driver that nvidia-smi cannot talk to", async () => {
    const smi = await fakeNvidiaSmi(
      "smi-broken",
      'echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver."; exit 9',
    );
    const cuda = await probeCuda({ nvidiaSmiPath: smi, procDriverVersionPath: noProcFile() });
    expect(cuda.available).toBe(false);
    expect(cuda.reason).toMatch(/^nvidia-smi failed \(exit code 9\)/);
  });

  it("gives up on an nvidia-smi that hangs", async () => {
    const smi = await fakeNvidiaSmi("smi-hang", "exec sleep 30");
    const cuda = await probeCuda({ nvidiaSmiPath: smi, procDriverVersionPath: noProcFile(), timeoutMs: 200 });
    expect(cuda).toMatchObject({ available: false, reason: "nvidia-smi did not answer within 200 ms" });
  });

  it("treats an empty GPU list as no CUDA", async () => {
    const smi = await fakeNvidiaSmi("smi-empty", "exit 0");
    const cuda = await probeCuda({ nvidiaSmiPath: smi, procDriverVersionPath: noProcFile() });
    expect(cuda).toMatchObject({ available: false, reason: "nvidia-smi lists no GPUs" });
  });
});

describe("detectHardware", () => {
  it("reports this machine's real CPU and memory", async () => {
    const hardware = hardwareSchema.parse(await detectHardware("auto"));
    expect(hardware.cpu.model).toBe(os.cpus()[0]?.model.trim());
    expect(hardware.cpu.cores).toBe(os.availableParallelism());
    expect(hardware.cpu.arch).toBe(os.arch());
    expect(hardware.memory.totalMiB).toBeGreaterThan(0);
    expect(hardware.memory.freeMiB).toBeLessThanOrEqual(hardware.memory.totalMiB);
  });

  it.skipIf(hasNvidiaDriver)("falls back to CPU with a reason on a machine without a GPU", async () => {
    const hardware = await detectHardware("auto");
    expect(hardware.device).toBe("cpu");
    expect(hardware.cuda.available).toBe(false);
    expect(hardware.cuda.reason).toBe("nvidia-smi not found: no NVIDIA driver on this machine");
  });

  it("uses CUDA when the driver sees a GPU and onnxruntime's CUDA provider loads", async () => {
    const smi = await fakeNvidiaSmi("smi-cuda", "echo 'NVIDIA A10G, 23028, 550.54.15'");
    const hardware = await detectHardware("auto", {
      nvidiaSmiPath: smi,
      procDriverVersionPath: noProcFile(),
      onnxCudaProbe: async () => ({ available: true }),
    });
    expect(hardware.device).toBe("cuda");
    expect(hardware.cuda.onnxRuntime).toEqual({ available: true });
    expect(nodeTier(hardware)).toBe("gpu");
  });

  it("falls back to CPU, with the reason, when the GPU is there but the CUDA provider does not load", async () => {
    // The exact line nvidia-smi printed on an H200 box whose Node had no CUDA provider installed.
    const smi = await fakeNvidiaSmi("smi-cuda-no-ort", "echo 'NVIDIA H200, 143771, 580.159.04'");
    const log = recordingLog();
    const hardware = await detectHardware("auto", {
      nvidiaSmiPath: smi,
      procDriverVersionPath: noProcFile(),
      log,
      // The real probe: this package's onnxruntime-node ships without the CUDA provider libraries.
      ...(hasNvidiaDriver ? { onnxCudaProbe: async () => ({ available: false, reason: "test" }) } : {}),
    });
    expect(hardware.device).toBe("cpu");
    expect(hardware.cuda.available).toBe(false);
    expect(hardware.cuda.gpus).toEqual([
      { name: "NVIDIA H200", memoryMiB: 143_771, driverVersion: "580.159.04" },
    ]);
    expect(hardware.cuda.reason).toMatch(/^NVIDIA GPU found, but /);
    expect(log.lines.at(-1)?.msg).toBe("CUDA not usable by onnxruntime; using CPU");
  });

  it("warns and falls back to CPU when CUDA is requested but absent", async () => {
    const log = recordingLog();
    const hardware = await detectHardware("cuda", {
      nvidiaSmiPath: path.join(dir, "absent"),
      procDriverVersionPath: noProcFile(),
      log,
    });
    expect(hardware.device).toBe("cpu");
    expect(log.lines).toEqual([
      {
        level: "warn",
        obj: { reason: "nvidia-smi not found: no NVIDIA driver on this machine" },
        msg: "INFERENCE_DEVICE=cuda but CUDA is not available; falling back to CPU",
      },
    ]);
  });

  it("does not probe the GPU when the CPU is forced", async () => {
    const smi = await fakeNvidiaSmi("smi-unused", "echo 'NVIDIA A10G, 23028, 550.54.15'");
    const hardware = await detectHardware("cpu", { nvidiaSmiPath: smi });
    expect(hardware.device).toBe("cpu");
    expect(hardware.cuda).toEqual({ available: false, reason: "CPU forced by INFERENCE_DEVICE", gpus: [] });
  });
});

describe("nodeTier", () => {
  const base = {
    cpu: { model: "x", cores: 8, arch: "x64" },
    memory: { totalMiB: 32_768, freeMiB: 16_000 },
    cuda: { available: false, gpus: [] },
    device: "cpu" as const,
  };

  it("sizes CPU nodes by cores and memory", () => {
    expect(nodeTier(base)).toBe("cpu");
    expect(nodeTier({ ...base, cpu: { ...base.cpu, cores: 2 } })).toBe("cpu-small");
    expect(nodeTier({ ...base, memory: { totalMiB: 4096, freeMiB: 1000 } })).toBe("cpu-small");
  });
});
