/**
 * Small helpers for tests that drive the mock over real HTTP: a WeCom API call and a throwaway
 * callback receiver. No test-framework imports, so they also work from benchmarks.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ApiAnswer {
  status: number;
  json: Record<string, unknown> & { errcode: number; errmsg: string };
}

/** Calls the mock's /cgi-bin/ API; POST with a JSON body when `body` is given, else GET. */
export async function callApi(
  baseUrl: string,
  path: string,
  opts: { query?: Record<string, string | undefined>; body?: unknown; method?: string } = {},
): Promise<ApiAnswer> {
  const u = new URL(path, baseUrl);
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) u.searchParams.set(k, v);
  const method = opts.method ?? (opts.body === undefined ? 'GET' : 'POST');
  const res = await fetch(u, {
    method,
    headers: opts.body === undefined ? undefined : { 'content-type': 'application/json' },
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  });
  return { status: res.status, json: (await res.json()) as ApiAnswer['json'] };
}

export interface ReceivedRequest {
  method: string;
  url: URL;
  body: string;
}

export interface Receiver {
  url: string;
  received: ReceivedRequest[];
  close(): Promise<void>;
}

/**
 * A local HTTP server standing in for WeReply's callback endpoint. `answer` decides the reply for the
 * n-th request (1-based); returning undefined leaves the request unanswered (a timeout).
 */
export async function startReceiver(
  answer: (req: ReceivedRequest, n: number) => { status: number; body?: string } | undefined,
  path = '/wecom/kf/callback',
): Promise<Receiver> {
  const received: ReceivedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: ReceivedRequest = {
        method: req.method ?? 'GET',
        url: new URL(req.url ?? '/', 'http://receiver'),
        body: Buffer.concat(chunks).toString('utf8'),
      };
      received.push(r);
      const a = answer(r, received.length);
      if (!a) return;
      res.writeHead(a.status, { 'content-type': 'text/plain' });
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A valid PNG header followed by filler, `size` bytes in total. */
export function fakePng(size = 64): Buffer {
  const b = Buffer.alloc(size, 0x20);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(b);
  return b;
}

/** multipart/form-data body with one "media" part, as WeCom's media/upload expects. */
export function mediaForm(data: Buffer, filename: string): { body: Buffer; contentType: string } {
  const boundary = '----mockwecom' + Math.random().toString(16).slice(2);
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="media"; filename="${filename}"; filelength=${data.length}\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, data, tail]), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Uploads one file to the mock's media/upload. */
export async function uploadMedia(
  baseUrl: string,
  accessToken: string,
  type: string,
  data: Buffer,
  filename: string,
): Promise<ApiAnswer> {
  const { body, contentType } = mediaForm(data, filename);
  const u = new URL('/cgi-bin/media/upload', baseUrl);
  u.searchParams.set('access_token', accessToken);
  u.searchParams.set('type', type);
  const res = await fetch(u, { method: 'POST', headers: { 'content-type': contentType }, body: new Uint8Array(body) });
  return { status: res.status, json: (await res.json()) as ApiAnswer['json'] };
}
