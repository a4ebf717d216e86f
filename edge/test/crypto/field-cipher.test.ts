import { uuidv7 } from "@inkwell/shared";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { DataKeyUnavailableError } from "../../src/crypto/data-keys.ts";
import {
  decryptField,
  encryptField,
  FieldDecryptError,
  type FieldRef,
  isFieldCiphertext,
} from "../../src/crypto/field-cipher.ts";
import { userDataKeys } from "../../src/db/schema/index.ts";
import { registerUser, testDb } from "../harness.ts";
import { keyring, newRootKeyItem, rootKeysFrom } from "./helpers.ts";

const MARKER = "Salt-marsh heron at dawn, 'tell nobody' — 秘密 ✨";

function entryRef(userId: string, rowId = uuidv7()): FieldRef {
  return { userId, table: "entries", rowId, column: "content" };
}

describe.concurrent("field encryption with per-user keys", () => {
  it("round-trips text in a versioned, self-describing form that holds none of it", async () => {
    const user = await registerUser();
    const keys = keyring();
    const ref = entryRef(user.id);
    const sealed = await encryptField(keys, ref, MARKER);
    expect(sealed).toMatch(/^ik1\.1\.[A-Za-z0-9_-]+$/);
    expect(isFieldCiphertext(sealed)).toBe(true);
    expect(isFieldCiphertext(MARKER)).toBe(false);
    expect(sealed).not.toContain("heron");
    // A fresh request (a new keyring) reads it: the key is stored, wrapped, not kept in memory.
    expect(await decryptField(keyring(), ref, sealed)).toBe(MARKER);
    expect(await decryptField(keyring(), ref, await encryptField(keys, ref, ""))).toBe("");
    // A random IV per value: the same text twice gives two ciphertexts.
    expect(await encryptField(keys, ref, MARKER)).not.toBe(sealed);
  });

  it("binds user, table, row and column: a ciphertext moved anywhere else does not decrypt", async () => {
    const [owner, other] = await Promise.all([registerUser(), registerUser()]);
    const keys = keyring();
    await keys.current(other.id);
    const ref = entryRef(owner.id);
    const sealed = await encryptField(keys, ref, MARKER);
    const moved: FieldRef[] = [
      { ...ref, rowId: uuidv7() },
      { ...ref, column: "title" },
      { ...ref, table: "entry_versions" },
      { ...ref, userId: other.id },
    ];
    for (const place of moved) {
      await expect(decryptField(keys, place, sealed)).rejects.toBeInstanceOf(FieldDecryptError);
    }
  });

  it("refuses altered, truncated and malformed ciphertexts", async () => {
    const user = await registerUser();
    const keys = keyring();
    const ref = entryRef(user.id);
    const sealed = await encryptField(keys, ref, MARKER);
    const at = sealed.length - 5;
    const flipped = `${sealed.slice(0, at)}${sealed[at] === "A" ? "B" : "A"}${sealed.slice(at + 1)}`;
    for (const bad of [flipped, sealed.slice(0, 30), "ik1.1.", "ik2.1.AAAA", MARKER]) {
      await expect(decryptField(keys, ref, bad)).rejects.toBeInstanceOf(FieldDecryptError);
    }
    // A version the user has no key of.
    await expect(decryptField(keys, ref, sealed.replace(/^ik1\.1\./, "ik1.2."))).rejects.toBeInstanceOf(
      DataKeyUnavailableError,
    );
  });

  it("creates one key per user even when requests race, and unwraps it once per request", async () => {
    const user = await registerUser();
    const first = keyring();
    const second = keyring();
    const [a, b] = await Promise.all([first.current(user.id), second.current(user.id)]);
    expect(a.version).toBe(1);
    const rows = await testDb().select().from(userDataKeys).where(eq(userDataKeys.userId, user.id));
    expect(rows).toHaveLength(1);
    const ref = entryRef(user.id);
    expect(await decryptField(second, ref, await encryptField(first, ref, MARKER))).toBe(MARKER);
    expect(b.userId).toBe(user.id);
    // The same request asks Postgres once: later lookups return the very key it unwrapped.
    expect(await first.current(user.id)).toBe(a);
    expect(await first.version(user.id, 1)).toBe(a);
    // Stored wrapped: neither the raw key nor anything readable sits in the row.
    expect(rows[0]?.rootVersion).toBe(1);
    expect(rows[0]?.wrappedKey).toMatch(/^[A-Za-z0-9_-]{80,}$/);
  });

  it("opens a wrapped key only with the root key that wrapped it", async () => {
    const user = await registerUser();
    const ref = entryRef(user.id);
    const sealed = await encryptField(keyring(), ref, MARKER);
    const strangerRoot = rootKeysFrom([newRootKeyItem(1)], 1);
    await expect(decryptField(keyring(strangerRoot), ref, sealed)).rejects.toBeInstanceOf(
      DataKeyUnavailableError,
    );
  });

  it("makes no key for an account that does not exist", async () => {
    await expect(keyring().current(uuidv7())).rejects.toThrow();
  });
});
