import { uuidv7 } from "@inkwell/shared";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import {
  DataKeyUnavailableError,
  importUserKey,
  type UserDataKey,
  unwrapUserKey,
} from "../../src/crypto/data-keys.ts";
import { decryptField, encryptField, type FieldRef, type KeySource } from "../../src/crypto/field-cipher.ts";
import { userDataKeys } from "../../src/db/schema/index.ts";
import { call, registerUser, testDb } from "../harness.ts";
import { keyring, testRootKeys } from "./helpers.ts";

const MARKER = "Shredding marker: what I never told my sister";

/** A key source that offers one given key whatever is asked: to try a stray key on a ciphertext. */
function only(key: UserDataKey): KeySource {
  return { current: async () => key, version: async () => key };
}

describe("crypto-shredding on account deletion", () => {
  it("leaves nothing that decrypts a ciphertext made before DELETE /v1/me", async () => {
    const [user, bystander] = await Promise.all([registerUser(), registerUser()]);
    await keyring().current(bystander.id);
    const ref: FieldRef = { userId: user.id, table: "entries", rowId: uuidv7(), column: "content" };
    const sealed = await encryptField(keyring(), ref, MARKER);
    expect(await decryptField(keyring(), ref, sealed)).toBe(MARKER);

    const res = await call("/v1/me", {
      method: "DELETE",
      token: user.accessToken,
      body: { password: user.password },
    });
    expect(res.status).toBeLessThan(300);

    // The wrapped key is gone, so the Worker's root keys open nothing of this account.
    expect(await testDb().select().from(userDataKeys).where(eq(userDataKeys.userId, user.id))).toHaveLength(
      0,
    );
    await expect(decryptField(keyring(), ref, sealed)).rejects.toBeInstanceOf(DataKeyUnavailableError);

    // Nor does any key that remains: every wrapped key left, opened under the root keys as its owner's,
    // fails on this ciphertext.
    const root = testRootKeys();
    const remaining = await testDb().select().from(userDataKeys).limit(2_000);
    let tried = 0;
    for (const row of remaining) {
      if (!root.keys.has(row.rootVersion)) continue;
      let key: UserDataKey;
      try {
        key = await importUserKey(
          row.userId,
          row.version,
          await unwrapUserKey(root, row.rootVersion, row.userId, row.version, row.wrappedKey),
        );
      } catch {
        continue;
      }
      tried += 1;
      await expect(decryptField(only(key), ref, sealed)).rejects.toThrow();
    }
    expect(tried).toBeGreaterThan(0);
  });
});
