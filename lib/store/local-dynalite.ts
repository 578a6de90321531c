import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

/** A running dynalite server. */
export interface LocalDynalite {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts dynalite (DynamoDB's wire protocol, no TTL, no transactions, no streams) on
 * `host:port` (default 127.0.0.1 and a free port); in memory unless `path` names a directory
 * for its LevelDB files. Tables become ACTIVE at once.
 */
export async function startLocalDynalite(
  options: { path?: string; host?: string; port?: number } = {},
): Promise<LocalDynalite> {
  const server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections?.();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
