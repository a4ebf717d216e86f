import net from "node:net";

export interface TcpRelay {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Forwards every connection to `upstream` and nothing else. When the upstream is down it accepts and then
 * closes the connection, as a server going away would, instead of refusing it: wrangler dev's local
 * Hyperdrive proxy exits on a refused connection to Postgres (a deployed Worker's Hyperdrive does not),
 * so the edge gets this in front of Postgres and outlives a Postgres restart, as it would in production.
 */
export async function startTcpRelay(host: string, upstreamPort: number): Promise<TcpRelay> {
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  };
  const server = net.createServer((client) => {
    track(client);
    const upstream = net.connect({ host, port: upstreamPort });
    track(upstream);
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.end());
    upstream.on("close", () => client.end());
    client.on("close", () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : 0,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
