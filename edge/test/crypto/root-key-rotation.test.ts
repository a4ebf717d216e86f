import { uuidv7 } from "@inkwell/shared";
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { DataKeyUnavailableError, rewrapUserKeys } from "../../src/crypto/data-keys.ts";
import { decryptField, encryptField, type FieldRef } from "../../src/crypto/field-cipher.ts";
import { userDataKeys } from "../../src/db/schema/index.ts";
import { cronTasks } from "../../src/scheduled.ts";
import { rootKeyRotationTask } from "../../src/services/root-key-rotation-cron.ts";
import { registerUser, testDb } from "../harness.ts";
import { keyring, newRootKeyItem, rootKeysFrom, testRootKeys } from "./helpers.ts";

const MARKER = "Rotation marker: the lighthouse keeper's last letter";

async function keyRows(userIds: string[]) {
  return await testDb()
    .select()
    .from(userDataKeys)
    .where(inArray(userDataKeys.userId, userIds))
    .orderBy(userDataKeys.userId);
}

describe("root-key rotation", () => {
  it("re-wraps user keys under the new root version without touching any ciphertext", async () => {
    const users = await Promise.all([registerUser(), registerUser()]);
    const ids = users.map((u) => u.id);
    const v1 = testRootKeys();
    const refs: FieldRef[] = ids.map((userId) => ({
      userId,
      table: "entries",
      rowId: uuidv7(),
      column: "content",
    }));
    const sealed = await Promise.all(refs.map((ref) => encryptField(keyring(v1), ref, MARKER)));
    const before = await keyRows(ids);
    expect(before.map((row) => row.rootVersion)).toEqual([1, 1]);

    // The operator adds v2 and makes it current; v1 stays listed until the re-wrap is done.
    const v1Item = `v1:${btoa(String.fromCharCode(...(v1.keys.get(1) ?? [])))}`;
    const v2Item = newRootKeyItem(2);
    const both = rootKeysFrom([v1Item, v2Item], 2);
    // Until re-wrapped, the keys still open under v1 through the rotated setting.
    expect(await decryptField(keyring(both), refs[0] as FieldRef, sealed[0] as string)).toBe(MARKER);

    const first = await rewrapUserKeys(testDb(), both, { limit: 1, userIds: ids });
    expect(first).toEqual({ rewrapped: 1, unreadable: 0, remaining: 1 });
    const second = await rewrapUserKeys(testDb(), both, { limit: 10, userIds: ids });
    expect(second).toEqual({ rewrapped: 1, unreadable: 0, remaining: 0 });
    // Nothing left to do: running again changes nothing.
    expect(await rewrapUserKeys(testDb(), both, { limit: 10, userIds: ids })).toEqual({
      rewrapped: 0,
      unreadable: 0,
      remaining: 0,
    });

    const after = await keyRows(ids);
    expect(after.map((row) => row.rootVersion)).toEqual([2, 2]);
    after.forEach((row, i) => {
      expect(row.version).toBe(before[i]?.version);
      expect(row.wrappedKey).not.toBe(before[i]?.wrappedKey);
    });

    // v1 removed from the setting: the old ciphertexts still decrypt, with v2 alone.
    const v2Only = rootKeysFrom([v2Item], 2);
    for (const [i, ref] of refs.entries()) {
      expect(await decryptField(keyring(v2Only), ref, sealed[i] as string)).toBe(MARKER);
    }
    // And v1 alone no longer opens them.
    await expect(decryptField(keyring(v1), refs[0] as FieldRef, sealed[0] as string)).rejects.toBeInstanceOf(
      DataKeyUnavailableError,
    );
  });

  it("wraps new users' keys under the current version and counts keys under a root no longer listed", async () => {
    const [fresh, stranded] = await Promise.all([registerUser(), registerUser()]);
    const v2 = newRootKeyItem(2);
    const v3 = newRootKeyItem(3);
    await keyring(rootKeysFrom([v2], 2)).current(stranded.id);
    await keyring(rootKeysFrom([v2, v3], 3)).current(fresh.id);
    const [row] = await testDb().select().from(userDataKeys).where(eq(userDataKeys.userId, fresh.id));
    expect(row?.rootVersion).toBe(3);

    // v2 dropped before its keys were moved: the key cannot be re-wrapped, and says so rather than failing.
    const v3Only = rootKeysFrom([v3], 3);
    expect(await rewrapUserKeys(testDb(), v3Only, { limit: 10, userIds: [fresh.id, stranded.id] })).toEqual({
      rewrapped: 0,
      unreadable: 1,
      remaining: 1,
    });
  });

  it("runs hourly, and with one root version listed leaves every key as it is", async () => {
    expect(cronTasks.find((task) => task.name === "root-key-rotation")?.crons).toEqual(["0 * * * *"]);
    const user = await registerUser();
    await keyring().current(user.id);
    const [before] = await keyRows([user.id]);
    const root = testRootKeys();
    await rootKeyRotationTask.run({
      db: testDb(),
      config: { DATA_ROOT_KEYS: new Map(root.keys), DATA_ROOT_KEY_VERSION: root.current },
    });
    expect(await keyRows([user.id])).toEqual([before]);
  });
});
