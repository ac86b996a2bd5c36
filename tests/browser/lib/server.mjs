// Starts the real `wismo serve` for the browser tests and talks to it over HTTP.
//
// Each Server gets its own temporary directory with a SQLite file and a config file, a free port on
// 127.0.0.1, and admin/ingest/agent keys made with `wismo keys create` (as tests/integration/harness.py
// does).  stop() ends the process and answers its exit code; killNow() is the synchronous last resort
// used from process 'exit' handlers, so no server outlives the runner on any exit path.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function run(bin, args, timeoutMs) {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) {
        err.message += `\n${bin} ${args.join(' ')}\nstderr: ${stderr}`;
        reject(err);
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

export class Server {
  constructor(bin, { config = '' } = {}) {
    this.bin = bin;
    this.tmp = mkdtempSync(join(tmpdir(), 'wismo-browser-'));
    this.db = join(this.tmp, 'wismo.db');
    this.store = 'sqlite:' + this.db;
    this.configPath = join(this.tmp, 'wismo.ini');
    this.config = config; // a string, or a function of the base URL (known once the port is chosen)
    this.logPath = join(this.tmp, 'server.log');
    this.proc = null;
    this.port = 0;
    this.keys = {};
    this.exited = null; // {code, signal} once the process is gone
  }

  get base() {
    return `http://127.0.0.1:${this.port}`;
  }

  // Runs a wismo subcommand against this server's store and config; answers its stdout.
  async cli(...args) {
    const r = await run(this.bin, [...args, '--store', this.store, '--config', this.configPath], 120000);
    return r.stdout;
  }

  async makeKey(role) {
    const key = (await this.cli('keys', 'create', '--role', role)).trim();
    if (!key.startsWith('wsm_') || key.includes('\n')) throw new Error(`unexpected key output: ${key}`);
    return key;
  }

  async start({ readyMs = 60000 } = {}) {
    this.port = await freePort();
    writeFileSync(this.configPath, typeof this.config === 'function' ? this.config(this.base) : this.config);
    for (const role of ['admin', 'ingest', 'agent']) this.keys[role] = await this.makeKey(role);
    const log = openSync(this.logPath, 'a');
    this.proc = spawn(this.bin, ['serve', '--listen', `127.0.0.1:${this.port}`, '--store', this.store,
      '--config', this.configPath], { stdio: ['ignore', log, log] });
    closeSync(log);
    this.exitPromise = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exited = { code, signal };
        resolve(this.exited);
      });
    });
    const deadline = Date.now() + readyMs;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`server exited (${JSON.stringify(this.exited)}):\n${this.logTail()}`);
      try {
        const r = await fetch(this.base + '/healthz', { signal: AbortSignal.timeout(2000) });
        if (r.status === 200) return this;
      } catch {
        // not listening yet: wait for the next poll below
      }
      await Promise.race([this.exitPromise, new Promise((r) => setTimeout(r, 50))]);
    }
    throw new Error(`server did not answer /healthz within ${readyMs} ms:\n${this.logTail()}`);
  }

  logTail(chars = 4000) {
    try {
      const t = readFileSync(this.logPath, 'utf8');
      return t.slice(-chars);
    } catch {
      return '(no server log)';
    }
  }

  // SIGTERM, then SIGKILL after graceMs; answers {code, signal}.
  async stop(graceMs = 30000) {
    if (!this.proc) return null;
    if (!this.exited) {
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
      await this.exitPromise;
      clearTimeout(timer);
    }
    return this.exited;
  }

  killNow() {
    if (this.proc && !this.exited) {
      try {
        this.proc.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  cleanup() {
    rmSync(this.tmp, { recursive: true, force: true });
  }

  // One HTTP request; answers {status, headers, body} with body parsed when it is JSON.
  async request(method, path, { body, key = 'admin', headers = {}, redirect = 'manual' } = {}) {
    const h = { ...headers };
    if (body !== undefined && typeof body !== 'string') h['Content-Type'] = 'application/json';
    if (key) h.Authorization = 'Bearer ' + (this.keys[key] ?? key);
    const r = await fetch(this.base + path, {
      method,
      headers: h,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      redirect,
      signal: AbortSignal.timeout(30000),
    });
    const text = await r.text();
    const ctype = r.headers.get('content-type') || '';
    return { status: r.status, headers: r.headers, body: ctype.includes('json') && text ? JSON.parse(text) : text };
  }

  // POST /v1/events; throws unless every event was accepted.
  async postEvents(events) {
    const r = await this.request('POST', '/v1/events', { body: { events }, key: 'ingest' });
    if (r.status !== 200 || r.body.accepted !== events.length) {
      throw new Error(`POST /v1/events: ${r.status} ${JSON.stringify(r.body)}`);
    }
    return r.body;
  }
}
