/**
 * A small HTTP client with a cookie jar, like one browser: it keeps the
 * session and CSRF cookies and reads the CSRF token out of a form page.
 */
export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Parsed JSON body (undefined when the body is not JSON). */
  readonly json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary API answers
}

export class Client {
  readonly cookies = new Map<string, string>();
  bearer: string | null = null;

  constructor(readonly base: string) {}

  async request(method: string, path: string, init: { body?: string; type?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (init.type) headers['content-type'] = init.type;
    if (this.bearer) headers.authorization = `Bearer ${this.bearer}`;
    const res = await fetch(this.base + path, { method, headers, body: init.body, redirect: 'manual' });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (/expires=Thu, 01 Jan 1970/i.test(cookie) || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  }

  get(path: string, headers?: Record<string, string>): Promise<Reply> {
    return this.request('GET', path, { headers });
  }

  /** JSON API call. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply> {
    return this.request(method, `/api/v1${path}`, body === undefined ? { headers } : { body: JSON.stringify(body), type: 'application/json', headers });
  }

  /** Loads `page` for its CSRF token, then posts the form to `action` like a browser without JavaScript. */
  async submit(page: string, action: string, fields: Record<string, string>): Promise<Reply> {
    const form = await this.get(page);
    const token = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1];
    if (!token) throw new Error(`no CSRF token on ${page} (status ${form.status})`);
    return this.post(action, { _csrf: token, ...fields });
  }

  post(action: string, fields: Record<string, string>): Promise<Reply> {
    return this.request('POST', action, { body: new URLSearchParams(fields).toString(), type: 'application/x-www-form-urlencoded' });
  }
}

let counter = 0;
/** A fresh valid handle per call, so tests never collide. */
export function handle(prefix = 'member'): string {
  counter += 1;
  return `${prefix}_${process.pid % 1000}_${counter}`;
}

export const PASS = 'correct horse battery staple';
