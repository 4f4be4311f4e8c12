import { createServer, type Server } from "node:net";

/**
 * A port on 127.0.0.1 the OS picks, kept bound: the caller serves on the returned server later (an
 * `http.Server` can listen on it), so no other process can take the port in between.
 */
export function reservePort(): Promise<{ port: number; server: Server }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (typeof address === "object" && address) resolve({ port: address.port, server });
      else reject(new Error("no port"));
    });
  });
}

/** A free TCP port on 127.0.0.1 (the OS picks; we release it immediately for the child to take). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}
