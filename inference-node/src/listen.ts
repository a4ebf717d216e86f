import type { FastifyInstance } from "fastify";
import type { Config } from "./config.ts";

/** A listener that could not start, in one line that names the setting to change. */
export class ListenError extends Error {}

async function listenOn(
  app: FastifyInstance,
  address: { host: string; port: number },
  settings: { host: string; port: string },
): Promise<void> {
  try {
    await app.listen(address);
  } catch (error) {
    const { host, port } = address;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      throw new ListenError(
        `Port ${port} on ${host} is already in use; stop the other process or set ${settings.port}.`,
      );
    }
    if (code === "EACCES") {
      throw new ListenError(
        `Not allowed to listen on port ${port}; choose a port above 1023 with ${settings.port}.`,
      );
    }
    if (code === "EADDRNOTAVAIL") {
      throw new ListenError(`${host} is not an address of this machine; fix ${settings.host}.`);
    }
    throw error;
  }
}

/**
 * Opens the node's two listeners: the public one (jobs, /v1, /health), which QStash and the edge reach,
 * and the private one for /info and /metrics on NODE_ADMIN_HOST (loopback unless the operator says
 * otherwise). The private one first, so a node never serves publicly without it.
 */
export async function listenAll(app: FastifyInstance, config: Config): Promise<void> {
  await listenOn(app.admin, config.admin, { host: "NODE_ADMIN_HOST", port: "NODE_ADMIN_PORT" });
  await listenOn(app, { host: config.host, port: config.port }, { host: "NODE_HOST", port: "NODE_PORT" });
}
