import { OllamaBackend } from "./ollama-backend.ts";

/**
 * `npx tsx inference-node/src/llm/pull-ollama.ts [tag]`: pulls a model into the Ollama server the node uses
 * (OLLAMA_URL, default http://127.0.0.1:11434), showing progress. Without a tag it pulls OLLAMA_MODEL.
 * Unlike `ollama pull`, it works against a remote Ollama and needs no Ollama binary on this machine.
 */
async function main(): Promise<number> {
  const url = process.env.OLLAMA_URL?.trim() || "http://127.0.0.1:11434";
  const tag = process.argv[2] ?? (process.env.OLLAMA_MODEL?.trim() || "llama3.2:3b");
  const backend = new OllamaBackend({ url, model: tag });
  let lastLine = "";
  await backend.pull(tag, (progress) => {
    const percent =
      progress.total > 0 ? ` ${Math.floor((100 * (progress.completed ?? 0)) / progress.total)}%` : "";
    const line = `${progress.status}${percent}`;
    // One line per step and per whole percent, not one per chunk.
    if (line !== lastLine) process.stdout.write(`${line}\n`);
    lastLine = line;
  });
  const status = await backend.status();
  process.stdout.write(
    status.modelPresent ? `${tag} is ready on ${url}\n` : `${tag} did not appear on ${url}\n`,
  );
  return status.modelPresent ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
