import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "vitest";
import { LlamaCppBackend } from "../../src/llm/llama-cpp-backend.ts";
import { writeTinyLlamaGguf } from "./tiny-gguf.ts";

it("scratch", async () => {
  let t = Date.now();
  const lap = (m: string) => { console.log(m, Date.now() - t); t = Date.now(); };
  const info = writeTinyLlamaGguf(join(tmpdir(), "tiny.gguf"));
  lap("write");
  const log = { info: () => {}, warn: (o: object, m: string) => console.log("WARN", m, o) };
  const b = await LlamaCppBackend.load({ modelPath: info.path, device: "cpu", contextSize: 256, parallel: 2, threads: 1, log });
  lap("load");
  for (let i = 0; i < 2; i++) {
  const out: string[] = [];
  for await (const tk of b.generate({ system: "be kind", messages: [{ role: "user", content: "today I feel tired" }], maxTokens: 12, temperature: 0.7 })) out.push(tk);
  lap("gen");
  }
  await b.close();
  lap("close");
}, 60000);
