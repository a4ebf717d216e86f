import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { randomToken } from "@inkwell/shared";

/** Every secret the local stack needs; generated randomly, never defaulted. */
export interface StackSecrets {
  JWT_SECRET: string;
  PASSWORD_PEPPER: string;
  /** `v1:<32 random bytes, base64url>`: wraps each user's data key. */
  DATA_ROOT_KEYS: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  QSTASH_TOKEN: string;
  QSTASH_CURRENT_SIGNING_KEY: string;
  QSTASH_NEXT_SIGNING_KEY: string;
  NODE_TOKEN_SECRET: string;
}

const SECRET_NAMES = [
  "JWT_SECRET",
  "PASSWORD_PEPPER",
  "DATA_ROOT_KEYS",
  "UPSTASH_REDIS_REST_TOKEN",
  "QSTASH_TOKEN",
  "QSTASH_CURRENT_SIGNING_KEY",
  "QSTASH_NEXT_SIGNING_KEY",
  "NODE_TOKEN_SECRET",
] as const satisfies readonly (keyof StackSecrets)[];

export function generateSecrets(): StackSecrets {
  return {
    JWT_SECRET: randomToken(48),
    PASSWORD_PEPPER: randomToken(48),
    DATA_ROOT_KEYS: `v1:${randomToken(32)}`,
    UPSTASH_REDIS_REST_TOKEN: randomToken(32),
    QSTASH_TOKEN: randomToken(32),
    QSTASH_CURRENT_SIGNING_KEY: `sig_${randomToken(32)}`,
    QSTASH_NEXT_SIGNING_KEY: `sig_${randomToken(32)}`,
    NODE_TOKEN_SECRET: randomToken(48),
  };
}

export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match?.[1] || line.trimStart().startsWith("#")) continue;
    let value = match[2] ?? "";
    if (/^".*"$/.test(value) || /^'.*'$/.test(value)) value = value.slice(1, -1);
    out[match[1]] = value;
  }
  return out;
}

export function formatDotenv(values: Record<string, string>, header: string): string {
  const lines = [header.replace(/^/gm, "# ")];
  for (const [key, value] of Object.entries(values)) lines.push(`${key}=${value}`);
  return `${lines.join("\n")}\n`;
}

/**
 * Reads the secrets from `.dev.vars`, creating the file with random values on first run and filling in
 * any secret that is missing; values the developer set by hand are kept.
 */
export function loadOrCreateDevSecrets(file: string): { secrets: StackSecrets; created: boolean } {
  const existing = existsSync(file) ? parseDotenv(readFileSync(file, "utf8")) : {};
  const fresh = generateSecrets();
  let changed = !existsSync(file);
  const secrets = { ...fresh };
  for (const name of SECRET_NAMES) {
    const value = existing[name];
    if (value) secrets[name] = value;
    else changed = true;
  }
  if (changed) {
    const merged = { ...existing, ...secrets };
    writeFileSync(
      file,
      formatDotenv(merged, "Local secrets for `npm run dev`, generated at random. Never commit this file."),
      { mode: 0o600 },
    );
  }
  return { secrets, created: changed };
}
