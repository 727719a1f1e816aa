import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the server misbehaves for one path. */
export type Fault =
  | 'ok'
  | 'truncate-once' // first response: half the bytes, no Content-Length, clean end
  | 'cut-once' // first response: full Content-Length, half the bytes, then the socket is destroyed
  | 'fail-5xx-twice' // 503 twice, then ok
  | 'not-found' // 404 always
  | 'ignore-range' // never honours Range: always 200 with the whole file
  | 'corrupt' // serves the right size with flipped bytes
  | 'stall-once' // first response: a few bytes, then nothing
  | 'slow' // ok, in small delayed chunks
  | 'endless' // 200 without Content-Length, a body that never ends (bounded here: 20× the file)
  | 'html'; // 200 text/html: a login or error page where the file should be

export interface FaultServer {
  url: string;
  /** Requests seen: path, Range header, status sent. */
  requests: { path: string; range?: string; status: number }[];
  serve(path: string, bytes: Uint8Array, fault?: Fault): void;
  close(): Promise<void>;
}

/** A local HTTP server for weight files that can fail in every way a real download fails. */
export async function startFaultServer(): Promise<FaultServer> {
  const files = new Map<string, { bytes: Uint8Array; fault: Fault; served: number }>();
  const requests: FaultServer['requests'] = [];
  const sockets = new Set<import('node:net').Socket>();

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    const entry = files.get(path);
    const log = (status: number) => requests.push({ path, range: req.headers.range, status });
    if (!entry || entry.fault === 'not-found') {
      log(404);
      res.writeHead(404).end('not found');
      return;
    }
    const n = entry.served++;
    const { bytes, fault } = entry;
    if (fault === 'fail-5xx-twice' && n < 2) {
      log(503);
      res.writeHead(503).end('busy');
      return;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m && fault !== 'ignore-range') start = Number(m[1]);
    if (start >= bytes.byteLength && start > 0) {
      log(416);
      res.writeHead(416).end();
      return;
    }
    let body = bytes.subarray(start);
    if (fault === 'corrupt') {
      body = body.slice();
      for (let i = 0; i < body.length; i += 997) body[i] = body[i]! ^ 0xff;
    }
    const status = start > 0 ? 206 : 200;
    log(status);
    if (fault === 'html') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Sign in</title>'.padEnd(2000, ' '));
      return;
    }
    if (fault === 'endless') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      let sent = 0;
      const chunk = Buffer.alloc(64 * 1024, 7);
      const more = () => {
        while (sent < 20 * bytes.byteLength && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', more);
        }
        res.end();
      };
      more();
      return;
    }
    const headers: Record<string, string | number> = { 'Content-Type': 'application/octet-stream' };
    if (status === 206)
      headers['Content-Range'] = `bytes ${start}-${bytes.byteLength - 1}/${bytes.byteLength}`;
    if (fault === 'truncate-once' && n === 0) {
      res.writeHead(status, headers);
      res.end(Buffer.from(body.subarray(0, Math.floor(body.length / 2))));
      return;
    }
    headers['Content-Length'] = body.byteLength;
    res.writeHead(status, headers);
    if (fault === 'cut-once' && n === 0) {
      res.write(Buffer.from(body.subarray(0, Math.floor(body.length / 2))), () =>
        setTimeout(() => req.socket.destroy(), 20),
      );
      return;
    }
    if (fault === 'stall-once' && n === 0) {
      res.write(Buffer.from(body.subarray(0, 100))); // then nothing, until the client gives up
      return;
    }
    if (fault === 'slow') {
      let offset = 0;
      const tick = () => {
        if (offset >= body.length) return void res.end();
        res.write(Buffer.from(body.subarray(offset, offset + 32 * 1024)));
        offset += 32 * 1024;
        setTimeout(tick, 60);
      };
      tick();
      return;
    }
    res.end(Buffer.from(body));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    serve(path, bytes, fault = 'ok') {
      files.set(path, { bytes, fault, served: 0 });
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
