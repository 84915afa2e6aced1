/**
 * The console talks only to WeReply's JSON API (documented at /docs). Every call sends
 * `Authorization: Bearer <token>`; errors carry the API's `error` text, `details` and the whole body.
 */
let token: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setApiToken(t: string | null): void {
  token = t;
}
export function setOnUnauthorized(fn: (() => void) | null): void {
  onUnauthorized = fn;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: any,
  ) {
    super(message);
  }
  get details(): { field: string; message: string }[] {
    return Array.isArray(this.body?.details) ? this.body.details : [];
  }
}

export async function api<T = any>(method: string, path: string, body?: unknown, opts: { token?: string; signal?: AbortSignal } = {}): Promise<T> {
  const headers: Record<string, string> = {};
  const auth = opts.token ?? token;
  if (auth) headers.authorization = `Bearer ${auth}`;
  const isForm = body instanceof FormData;
  if (body !== undefined && !isForm) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, ...(body !== undefined ? { body: isForm ? body : JSON.stringify(body) } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  const text = await res.text();
  let parsed: any = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (!res.ok) {
    if (res.status === 401 && !opts.token) onUnauthorized?.();
    const msg = (parsed && typeof parsed === 'object' && parsed.error) || `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, String(msg), parsed);
  }
  return parsed as T;
}

export const get = <T = any>(path: string) => api<T>('GET', path);
export const post = <T = any>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});
export const put = <T = any>(path: string, body: unknown) => api<T>('PUT', path, body);
export const patch = <T = any>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const del = <T = any>(path: string) => api<T>('DELETE', path);

/** Upload with progress (fetch cannot report upload progress). */
export function upload<T = any>(path: string, form: FormData, onProgress: (percent: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    if (token) xhr.setRequestHeader('authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(Math.round((e.loaded / e.total) * 100));
    xhr.onload = () => {
      let body: any = xhr.responseText;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        /* not JSON */
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
      else reject(new ApiError(xhr.status, (body && body.error) || `${xhr.status}`, body));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network error', null));
    xhr.send(form);
  });
}

/** Object URL of an authenticated binary (material previews). */
export async function blobUrl(path: string): Promise<string> {
  const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) throw new ApiError(res.status, `${res.status}`, null);
  return URL.createObjectURL(await res.blob());
}

/**
 * Downloads an authenticated file (a plain <a href> cannot send the Authorization header): fetches it
 * as a blob and clicks a temporary link, named as the server's content-disposition says.
 */
export async function download(path: string, fallbackName: string): Promise<string> {
  const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!res.ok) {
    let body: any = null;
    try {
      body = await res.json();
    } catch {
      /* not JSON */
    }
    if (res.status === 401) onUnauthorized?.();
    throw new ApiError(res.status, (body && body.error) || `${res.status} ${res.statusText}`, body);
  }
  const name = /filename="?([^";]+)"?/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}

/**
 * Server-Sent Events over fetch (EventSource cannot send the Authorization header). Reconnects
 * after a pause until the returned function is called.
 */
export function subscribe(path: string, onEvent: (event: string, data: any) => void, onState?: (live: boolean) => void): () => void {
  let stopped = false;
  let controller: AbortController | null = null;
  const run = async () => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const res = await fetch(path, { headers: token ? { authorization: `Bearer ${token}`, accept: 'text/event-stream' } : {}, signal: controller.signal });
        // Signed out, disabled or expired: back to the sign-in page instead of retrying for ever.
        if (res.status === 401) {
          stopped = true;
          onUnauthorized?.();
          break;
        }
        // Too many streams open for this operator (other tabs): wait longer before trying again.
        if (res.status === 429) {
          onState?.(false);
          await new Promise((r) => setTimeout(r, 15_000));
          continue;
        }
        if (!res.ok || !res.body) throw new Error(String(res.status));
        onState?.(true);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i: number;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let event = 'message';
            const data: string[] = [];
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) event = line.slice(6).trim();
              else if (line.startsWith('data:')) data.push(line.slice(5).trim());
            }
            if (data.length) {
              let parsed: any = data.join('\n');
              try {
                parsed = JSON.parse(parsed);
              } catch {
                /* plain text */
              }
              onEvent(event, parsed);
            }
          }
        }
      } catch {
        /* reconnect below */
      }
      onState?.(false);
      if (!stopped) await new Promise((r) => setTimeout(r, 3000));
    }
  };
  void run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}
