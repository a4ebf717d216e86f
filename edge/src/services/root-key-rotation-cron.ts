import { rewrapUserKeys, rootKeysOf } from "../crypto/data-keys.ts";
import type { Database } from "../db/client.ts";
import type { AppConfig } from "../env.ts";

/** User keys re-wrapped per run: small enough for one cron invocation, a rotation of 100k users in a few days. */
const REWRAP_BATCH = 500;

/**
 * Root-key rotation in the background: while DATA_ROOT_KEYS lists a version besides the current one,
 * each hourly run re-wraps a batch of user keys under the current version (docs/design/encryption.md).
 * With one version listed there is nothing to do and no query is made.
 */
export const rootKeyRotationTask = {
  name: "root-key-rotation",
  crons: ["0 * * * *"],
  async run(ctx: { db: Database; config: Pick<AppConfig, "DATA_ROOT_KEYS" | "DATA_ROOT_KEY_VERSION"> }) {
    const root = rootKeysOf(ctx.config);
    if (root.keys.size < 2) return;
    const { rewrapped, unreadable, remaining } = await rewrapUserKeys(ctx.db, root, { limit: REWRAP_BATCH });
    console.log(
      JSON.stringify({
        level: unreadable > 0 ? "warn" : "info",
        msg: "user keys re-wrapped under the current root key",
        rootVersion: root.current,
        rewrapped,
        remaining,
        // Keys under a version no longer listed: it was removed before their re-wrap, and they stay unusable
        // until it is put back.
        unreadable,
      }),
    );
  },
};
