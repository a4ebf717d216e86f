import { randomToken } from "@inkwell/shared";
import { describe, expect, it } from "vitest";
import { parseRootKeys } from "../../src/crypto/root-keys.ts";

function problem(value: string): string | undefined {
  const parsed = parseRootKeys(value);
  return "problem" in parsed ? parsed.problem : undefined;
}

const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

describe("DATA_ROOT_KEYS", () => {
  it("reads versions of 32 random bytes, base64 or base64url", () => {
    const a = crypto.getRandomValues(new Uint8Array(32));
    const parsed = parseRootKeys(` v1:${base64(a)} , v7:${randomToken(32)}`);
    if ("problem" in parsed) throw new Error(parsed.problem);
    expect([...parsed.keys.keys()]).toEqual([1, 7]);
    expect(parsed.keys.get(1)).toEqual(a);
    expect(parsed.keys.get(7)?.length).toBe(32);
  });

  it("refuses missing, malformed, short, long and unversioned keys without echoing them", () => {
    const short = randomToken(16);
    expect(problem("")).toBe("is missing");
    expect(problem(randomToken(32))).toMatch(/v<number>/);
    expect(problem(`v0:${randomToken(32)}`)).toMatch(/v<number>/);
    expect(problem(`v1:${short}`)).toMatch(/32 bytes/);
    expect(problem(`v1:${short}`)).not.toContain(short);
    expect(problem(`v1:${randomToken(48)}`)).toMatch(/32 bytes/);
    expect(problem("v1:not base64!")).toMatch(/v<number>/);
  });

  it("refuses keys that are not random: zeros, a repeated pattern", () => {
    expect(problem(`v1:${base64(new Uint8Array(32))}`)).toMatch(/not random/);
    const pattern = Uint8Array.from({ length: 32 }, (_, i) => i % 4);
    expect(problem(`v1:${base64(pattern)}`)).toMatch(/not random/);
  });

  it("refuses a version listed twice and one key under two versions", () => {
    const key = randomToken(32);
    expect(problem(`v1:${key},v1:${randomToken(32)}`)).toMatch(/twice/);
    expect(problem(`v1:${key},v2:${key}`)).toMatch(/same key/);
  });
});
