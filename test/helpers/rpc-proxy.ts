import net from "node:net";
import { freePort } from "../../scripts/lib/anvil";

/**
 * A TCP relay in front of a chain node, to take the node away from a gateway and bring it back: `down()` closes the
 * port and every open connection (the gateway sees "connection refused"), `up()` listens again on the same port.
 */
export interface RpcProxy {
  url: string;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startRpcProxy(target: string): Promise<RpcProxy> {
  const t = new URL(target);
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const up = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect(Number(t.port), t.hostname);
        sockets.add(client).add(upstream);
        const end = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        for (const side of [client, upstream]) {
          side.on("error", end);
          side.on("close", end);
        }
        client.pipe(upstream).pipe(client);
      });
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        server = s;
        resolve();
      });
    });
  const down = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await up();
  return { url: `http://127.0.0.1:${port}`, down, up, close: down };
}
