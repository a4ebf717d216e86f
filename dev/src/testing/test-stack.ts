import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freeStackPorts, releasePorts } from "../lib/ports.ts";
import { generateSecrets } from "../secrets.ts";
import { type Stack, type StackPart, startStack } from "../stack.ts";

/**
 * A throwaway stack for a test run: fresh databases in a temp folder, random secrets, free ports.
 * Nothing is shared with `npm run dev` or with another run.
 */
export async function startTestStack(
  parts: StackPart[],
  label: string,
  options: { edgeVars?: Record<string, string>; edgeDatabaseRelay?: boolean } = {},
): Promise<Stack & { dataDir: string }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `inkwell-${label}-`));
  const ports = await freeStackPorts();
  let stack: Stack;
  try {
    stack = await startStack({
      dataDir,
      ports,
      secrets: generateSecrets(),
      persistent: false,
      parts,
      ...(options.edgeVars ? { edgeVars: options.edgeVars } : {}),
      ...(options.edgeDatabaseRelay ? { edgeDatabaseRelay: true } : {}),
      ...(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {}),
      log: () => {},
      onCrash: (service, detail) => {
        console.error(`[test stack] ${service} ${detail}`);
      },
    });
  } catch (err) {
    releasePorts(Object.values(ports));
    throw err;
  }
  const stopStack = stack.stop;
  return {
    ...stack,
    dataDir,
    stop: async () => {
      await stopStack();
      releasePorts(Object.values(ports));
    },
  };
}
