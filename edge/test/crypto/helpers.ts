import { randomToken } from "@inkwell/shared";
import { DataKeyring, rootKeysOf } from "../../src/crypto/data-keys.ts";
import type { RootKeys } from "../../src/crypto/root-keys.ts";
import { parseRootKeys } from "../../src/crypto/root-keys.ts";
import { parseEnv } from "../../src/env.ts";
import { edgeEnv, testDb } from "../harness.ts";

/** The root keys the Worker under test runs with. */
export function testRootKeys(): RootKeys {
  const parsed = parseEnv(edgeEnv);
  if (!parsed.ok) throw new Error(`the test bindings are invalid: ${parsed.problems.join("; ")}`);
  return rootKeysOf(parsed.config);
}

/** A fresh random root key setting such as an operator would generate: `v<n>:<base64url of 32 bytes>`. */
export function newRootKeyItem(version: number): string {
  return `v${version}:${randomToken(32)}`;
}

/** Root keys from a DATA_ROOT_KEYS-style list. */
export function rootKeysFrom(items: string[], current: number): RootKeys {
  const parsed = parseRootKeys(items.join(","));
  if ("problem" in parsed) throw new Error(parsed.problem);
  return { current, keys: parsed.keys };
}

/** A keyring as one request of the Worker would have it. */
export function keyring(root: RootKeys = testRootKeys()): DataKeyring {
  return new DataKeyring(testDb(), root);
}
