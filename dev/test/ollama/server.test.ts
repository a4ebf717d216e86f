import { Ollama, type ProgressResponse } from "ollama";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OllamaStandIn, startOllamaStandIn } from "../../src/ollama/server.ts";

let standIn: OllamaStandIn;
let client: Ollama;

beforeAll(async () => {
  standIn = await startOllamaStandIn({
    models: [{ name: "llama3.2:3b" }, { name: "tiny:latest" }],
    pullable: ["qwen2.5:0.5b"],
  });
  client = new Ollama({ host: standIn.url });
});
afterAll(async () => {
  await standIn.close();
});

const collect = async (
  parts: AsyncIterable<{ message: { content: string }; done: boolean; done_reason?: string }>,
) => {
  const tokens: string[] = [];
  let last: { done: boolean; done_reason?: string } | undefined;
  for await (const part of parts) {
    if (part.message.content) tokens.push(part.message.content);
    last = part;
  }
  return { tokens, last };
};

describe("the Ollama stand-in, through the official client", () => {
  it("lists its models with /api/tags and says which version it is", async () => {
    const list = await client.list();
    expect(list.models.map((m) => m.name)).toEqual(["llama3.2:3b", "tiny:latest"]);
    expect(list.models[0]?.details.family).toBe("llama");
    expect((await client.version()).version).toContain("stand-in");
  });

  it("streams a chat answer token by token, ending with done and stop", async () => {
    const stream = await client.chat({
      model: "llama3.2:3b",
      messages: [
        { role: "system", content: "be brief" },
        { role: "user", content: "hello there friend" },
      ],
      stream: true,
    });
    const { tokens, last } = await collect(stream);
    expect(tokens.join("")).toBe("You said: hello there friend");
    expect(tokens.length).toBe(5);
    expect(last).toMatchObject({ done: true, done_reason: "stop" });
    expect(standIn.chats.at(-1)?.messages[0]).toEqual({ role: "system", content: "be brief" });
  });

  it("honours num_predict and reports length", async () => {
    const stream = await client.chat({
      model: "tiny",
      messages: [{ role: "user", content: "one two three four five six" }],
      stream: true,
      options: { num_predict: 3, temperature: 0.2 },
    });
    const { tokens, last } = await collect(stream);
    expect(tokens).toEqual(["You", " said:", " one"]);
    expect(last?.done_reason).toBe("length");
    expect(standIn.chats.at(-1)?.options).toMatchObject({ num_predict: 3, temperature: 0.2 });
  });

  it("answers a non-streamed chat in one piece", async () => {
    const reply = await client.chat({
      model: "tiny",
      messages: [{ role: "user", content: "hi" }],
      stream: false,
    });
    expect(reply.message.content).toBe("You said: hi");
    expect(reply.done).toBe(true);
  });

  it("answers 404 for an unknown model, like Ollama", async () => {
    const error = await client
      .chat({ model: "nope:7b", messages: [{ role: "user", content: "hi" }], stream: true })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "ResponseError", status_code: 404 });
    expect((error as Error).message).toContain("not found");
  });

  it("sends an error line mid-stream, which the client throws", async () => {
    standIn.configure({ failAfterTokens: 2 });
    try {
      const stream = await client.chat({
        model: "tiny",
        messages: [{ role: "user", content: "a b c d e" }],
        stream: true,
      });
      const seen: string[] = [];
      const error = await (async () => {
        for await (const part of stream) seen.push(part.message.content);
      })().catch((e: unknown) => e);
      expect(seen).toEqual(["You", " said:"]);
      expect((error as Error).message).toContain("unexpectedly stopped");
    } finally {
      standIn.configure({ failAfterTokens: undefined });
    }
  });

  it("notices when the client aborts a stream", async () => {
    standIn.configure({ tokenDelayMs: 20 });
    try {
      const stream = await client.chat({
        model: "tiny",
        messages: [{ role: "user", content: "a b c d e f g h i j k l m n o p" }],
        stream: true,
      });
      let count = 0;
      const error = await (async () => {
        for await (const _ of stream) {
          count += 1;
          if (count === 2) stream.abort();
        }
      })().catch((e: unknown) => e);
      expect((error as Error).name).toBe("AbortError");
      const record = standIn.chats.at(-1);
      await expect.poll(() => record?.aborted).toBe(true);
      expect(record?.tokensSent).toBeLessThan(18);
    } finally {
      standIn.configure({ tokenDelayMs: 0 });
    }
  });

  it("pulls a model with progress, after which it is listed", async () => {
    const progress: ProgressResponse[] = [];
    for await (const step of await client.pull({ model: "qwen2.5:0.5b", stream: true })) progress.push(step);
    expect(progress.at(-1)?.status).toBe("success");
    const withBytes = progress.filter((p) => p.total > 0);
    expect(withBytes.at(-1)?.completed).toBe(withBytes.at(-1)?.total);
    expect((await client.list()).models.map((m) => m.name)).toContain("qwen2.5:0.5b");
    await expect(client.pull({ model: "nothing:here" })).rejects.toMatchObject({ status_code: 500 });
  });
});
