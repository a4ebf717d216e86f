import { mkdir, open, readdir, readFile, rename, rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { isWellFormedId } from "./ids.ts";
import { type MessageRecord, messageRecordSchema, PENDING_STATES } from "./model.ts";

/**
 * Messages kept in memory and mirrored to one JSON file per message under `<dataDir>/messages`.
 * Each write goes to a unique temp file, is fsynced and renamed over the old one, so a crash leaves either
 * the previous or the new version, never a torn file. Writes to one message are chained so they land in
 * the order they were asked for.
 */
export class MessageStore {
  private readonly records = new Map<string, MessageRecord>();
  private readonly writes = new Map<string, Promise<void>>();
  private tmpCounter = 0;

  private constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  static async open(dataDir: string, logger: Logger): Promise<MessageStore> {
    const dir = path.join(dataDir, "messages");
    await mkdir(dir, { recursive: true });
    const store = new MessageStore(dir, logger);
    await store.load();
    return store;
  }

  private async load(): Promise<void> {
    for (const name of await readdir(this.dir)) {
      const file = path.join(this.dir, name);
      if (name.endsWith(".tmp")) {
        // An interrupted write: the rename never happened, so the previous version is still authoritative.
        await rm(file, { force: true });
        continue;
      }
      if (!name.endsWith(".json")) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readFile(file, "utf8"));
      } catch (err) {
        this.logger.warn({ file: name, err: String(err) }, "skipping unreadable message file");
        continue;
      }
      const result = messageRecordSchema.safeParse(parsed);
      if (!result.success || `${result.data.messageId}.json` !== name) {
        this.logger.warn({ file: name }, "skipping message file that does not match the schema");
        continue;
      }
      this.records.set(result.data.messageId, result.data);
    }
  }

  get(messageId: string): MessageRecord | undefined {
    return this.records.get(messageId);
  }

  all(): MessageRecord[] {
    return [...this.records.values()];
  }

  pending(): MessageRecord[] {
    return this.all().filter((r) => PENDING_STATES.has(r.state));
  }

  /**
   * Records the message in memory at once (so concurrent publishes see it, e.g. for deduplication) and
   * resolves once its current state is durable on disk.
   */
  save(record: MessageRecord): Promise<void> {
    if (!isWellFormedId(record.messageId))
      throw new Error("refusing to persist a message with a malformed id");
    this.records.set(record.messageId, record);
    const snapshot = JSON.stringify(record);
    const previous = this.writes.get(record.messageId) ?? Promise.resolve();
    const next = previous.then(() => this.writeFile(record.messageId, snapshot));
    const tracked = next.finally(() => {
      if (this.writes.get(record.messageId) === tracked) this.writes.delete(record.messageId);
    });
    this.writes.set(record.messageId, tracked);
    return next;
  }

  async remove(messageId: string): Promise<void> {
    this.records.delete(messageId);
    const previous = this.writes.get(messageId) ?? Promise.resolve();
    await previous.catch(() => undefined);
    await rm(this.fileFor(messageId), { force: true });
  }

  /** Waits for every write asked for so far. */
  async flush(): Promise<void> {
    await Promise.allSettled([...this.writes.values()]);
  }

  private fileFor(messageId: string): string {
    return path.join(this.dir, `${messageId}.json`);
  }

  private async writeFile(messageId: string, contents: string): Promise<void> {
    this.tmpCounter += 1;
    const tmp = path.join(this.dir, `${messageId}.${process.pid}.${this.tmpCounter}.tmp`);
    const handle = await open(tmp, "w");
    try {
      await handle.writeFile(contents, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.fileFor(messageId));
  }
}
