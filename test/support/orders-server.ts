import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The `/orders` document: 3,500 orders of ~175 bytes, about 600 KB of JSON. */
export function ordersDocument(): {
  orders: Array<{ id: number; customer: string; total: number; note: string }>;
} {
  return {
    orders: Array.from({ length: 3500 }, (_, id) => ({
      id,
      customer: `customer-${id % 250}`,
      total: (id * 37) % 1000,
      note: `order ${String(id).padStart(5, '0')} `.repeat(10),
    })),
  };
}

/** A real HTTP server on 127.0.0.1 answering `GET /orders` with {@link ordersDocument}. */
export async function startOrdersServer(): Promise<{
  baseUrl: string;
  bytes: number;
  close(): Promise<void>;
}> {
  const body = JSON.stringify(ordersDocument());
  const server = createServer((req, res) => {
    if (req.url !== '/orders') {
      res.writeHead(404).end();
      return;
    }
    // One request per connection: a kept-alive socket the server closes after its idle timeout would
    // race the next request (ECONNRESET).
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    bytes: Buffer.byteLength(body),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
