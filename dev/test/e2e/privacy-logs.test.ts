import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStack } from "../../src/testing/test-stack.ts";

type RunningStack = Awaited<ReturnType<typeof startTestStack>>;

/**
 * Runs the user-facing flows with distinctive marker strings in every private field, then reads the
 * log of every process of the stack (edge, node, Chroma, Redis, the QStash and Upstash REST servers):
 * none of the markers may appear in any of them.
 */
describe("nothing private reaches the logs", () => {
  let stack: RunningStack;
  const marker = (what: string) => `zq${what}${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const secrets = {
    email: `${marker("mail")}@example.test`,
    password: marker("pass"),
    title: marker("title"),
    content: `Dear diary ${marker("content")} it was a long day`,
    edited: `Later ${marker("edit")} it got better`,
    query: marker("query"),
    keyName: marker("keyname"),
  };
  const tokens: string[] = [];

  beforeAll(async () => {
    stack = await startTestStack(["postgres", "redis", "qstash", "chroma", "edge", "node"], "privacy");
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it("runs the flows and finds no marker, token or key in any log", async () => {
    const api = async (p: string, init: { method?: string; body?: unknown; token?: string } = {}) => {
      const headers = new Headers();
      if (init.token) headers.set("Authorization", `Bearer ${init.token}`);
      if (init.body !== undefined) headers.set("Content-Type", "application/json");
      return await fetch(`${stack.edgeUrl}${p}`, {
        method: init.method ?? (init.body === undefined ? "GET" : "POST"),
        headers,
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
    };
    const reg = await api("/v1/auth/register", {
      body: { email: secrets.email, password: secrets.password },
    });
    expect(reg.status).toBe(201);
    const { accessToken, refreshToken } = (await reg.json()) as { accessToken: string; refreshToken: string };
    tokens.push(accessToken, refreshToken);
    // A wrong password and a failed login are the classic places where credentials leak into logs.
    expect(
      (await api("/v1/auth/login", { body: { email: secrets.email, password: `${secrets.password}x` } }))
        .status,
    ).toBe(401);
    const login = await api("/v1/auth/login", { body: { email: secrets.email, password: secrets.password } });
    tokens.push(((await login.json()) as { accessToken: string }).accessToken);
    const key = await api("/v1/api-keys", {
      token: accessToken,
      body: { name: secrets.keyName, scopes: ["entries:read"] },
    });
    const apiKey = ((await key.json()) as { key: string }).key;
    tokens.push(apiKey);
    const created = await api("/v1/entries", {
      token: accessToken,
      body: { title: secrets.title, content: secrets.content },
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(
      (
        await api(`/v1/entries/${id}`, {
          method: "PATCH",
          token: accessToken,
          body: { content: secrets.edited },
        })
      ).status,
    ).toBe(200);
    expect(
      (await api(`/v1/search?q=${encodeURIComponent(secrets.query)}`, { token: accessToken })).status,
    ).toBe(200);
    expect((await api(`/v1/entries?q=${encodeURIComponent(secrets.query)}`, { token: apiKey })).status).toBe(
      200,
    );
    expect((await api("/v1/me/export", { token: accessToken })).status).toBe(200);
    expect((await api("/v1/me/export?format=markdown", { token: accessToken })).status).toBe(200);
    // A forged token and an unknown route exercise the error paths too.
    expect((await api("/v1/me", { token: `${accessToken}x` })).status).toBe(401);
    expect(
      (await api("/v1/me", { method: "DELETE", token: accessToken, body: { password: secrets.password } }))
        .status,
    ).toBe(202);

    const logDir = path.join(stack.dataDir, "logs");
    const files = readdirSync(logDir).filter((f) => f.endsWith(".log"));
    expect(files).toEqual(expect.arrayContaining(["edge.log", "node.log", "qstash.log", "upstash-rest.log"]));
    const needles = [...Object.values(secrets).map((s) => s.replace(/^.*?(zq\w+).*$/, "$1")), ...tokens];
    for (const file of files) {
      const text = readFileSync(path.join(logDir, file), "utf8");
      for (const needle of needles) {
        expect(text.includes(needle), `${file} contains a private value`).toBe(false);
      }
    }
  });
});
