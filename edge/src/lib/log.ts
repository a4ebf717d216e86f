/**
 * The edge's one logger: one JSON line per event, `{level, msg, ...fields}`. The message is a fixed text
 * and the fields are names, ids, codes and counts — never what a person wrote, a credential or an error's
 * message (which can quote a query's parameters or a key): an error goes in by `errorName` and
 * `errorCodes` only.
 */

export type LogValue = string | number | boolean | null;
export type LogFields = Readonly<Record<string, LogValue | readonly LogValue[] | undefined>>;

type Level = "info" | "warn" | "error";

const WRITERS: Readonly<Record<Level, (line: string) => void>> = {
  info: (line) => console.log(line),
  warn: (line) => console.warn(line),
  error: (line) => console.error(line),
};

function write(level: Level, msg: string, fields: LogFields | undefined): void {
  WRITERS[level](JSON.stringify({ level, msg, ...fields }));
}

export const log = {
  info: (msg: string, fields?: LogFields): void => write("info", msg, fields),
  warn: (msg: string, fields?: LogFields): void => write("warn", msg, fields),
  error: (msg: string, fields?: LogFields): void => write("error", msg, fields),
};

/** An error's class name (`fallback` for anything thrown that is not an Error). */
export function errorName(err: unknown, fallback = "unknown"): string {
  return err instanceof Error ? err.name : fallback;
}

// SQLSTATE and system codes (`40001`, `ECONNRESET`, `CONNECT_TIMEOUT`): safe to log, unlike messages.
const SAFE_CODE = /^[A-Z0-9_]{2,40}$/;

/** The codes along an error's cause chain (`code`) and the class names of its causes (`cause`). */
export function errorCodes(err: unknown): { code?: string; cause?: string } {
  const codes: string[] = [];
  const causes: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && SAFE_CODE.test(code)) codes.push(code);
    if (depth > 0) causes.push(current.name);
    current = current.cause;
  }
  return {
    ...(codes.length ? { code: codes.join(">") } : {}),
    ...(causes.length ? { cause: causes.join(">") } : {}),
  };
}
