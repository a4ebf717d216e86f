import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { buildApp } from "../src/app.ts";
import { ConfigError, loadConfig } from "../src/config.ts";
import { listenAll } from "../src/listen.ts";
import { fakeRuntime } from "./helpers/fake-runtime.ts";
import { randomSigningKey } from "./helpers/qstash-signer.ts";
import { testConfig, testHardware } from "./helpers/test-config.ts";

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

function baseUrl(server: FastifyInstance): string {
  const address = server.server.address() as AddressInfo;
  return `http://${address.address}:${address.port}`;
}

describe("the node's two listeners", () => {
  it("serves /info and /metrics only on the private listener; the public one answers 404 for them", async () => {
    // Ports 0: the listeners get free ports; NODE_ADMIN_HOST is left at its default.
    const config = testConfig({ NODE_HOST: "127.0.0.1", NODE_PORT: "0", NODE_ADMIN_PORT: "0" });
    app = await buildApp(config, { runtime: fakeRuntime(), hardware: testHardware });
    await listenAll(app, config);
    const publicUrl = baseUrl(app);
    const adminUrl = baseUrl(app.admin);
    expect(adminUrl).not.toBe(publicUrl);

    for (const path of ["/info", "/metrics"]) {
      const res = await fetch(`${publicUrl}${path}`);
      expect(res.status, path).toBe(404);
      expect(await res.text()).not.toContain("inkwell_node");
    }
    // Liveness stays public: container health checks and the local stack probe it.
    expect((await fetch(`${publicUrl}/health`)).status).toBe(200);

    const info = await fetch(`${adminUrl}/info`);
    expect(info.status).toBe(200);
    expect(await info.json()).toMatchObject({ version: "0.1.0", device: "cpu", hardware: testHardware });
    const metrics = await fetch(`${adminUrl}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toContain('inkwell_node_info{version="0.1.0",device="cpu"} 1');
    // The public listener's traffic is what the metrics count, its 404s for /info included.
    expect(text).toContain(
      'inkwell_node_http_requests_total{method="GET",route="unmatched",status_code="404"} 2',
    );
    // Nothing else is served privately.
    expect((await fetch(`${adminUrl}/jobs/analyze-entry`, { method: "POST" })).status).toBe(404);
  });

  it("binds the private listener to loopback unless the operator names another address", () => {
    const config = testConfig({ NODE_HOST: "0.0.0.0" });
    expect(config.admin).toEqual({ host: "127.0.0.1", port: 9464 });
    expect(testConfig({ NODE_ADMIN_HOST: "10.0.0.5", NODE_ADMIN_PORT: "9100" }).admin).toEqual({
      host: "10.0.0.5",
      port: 9100,
    });
  });

  it("refuses one port for both listeners", () => {
    const env = {
      QSTASH_CURRENT_SIGNING_KEY: randomSigningKey(),
      QSTASH_NEXT_SIGNING_KEY: randomSigningKey(),
      NODE_PORT: "8788",
      NODE_ADMIN_PORT: "8788",
    };
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(/NODE_ADMIN_PORT/);
  });
});
