// Starts a whole instance as its own process (`node server/main.ts`, production build), the way
// an operator runs it: for the browser tests and the two-instance federation tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './node.ts';

export interface Instance {
  url: URL;
  setupUrl: string | null;
  dataDir: string;
  output: string[];
  stop(): Promise<void>;
}

const root = fileURLToPath(new URL('../..', import.meta.url));

export async function startInstance(opts: { env?: Record<string, string>; name?: string } = {}): Promise<Instance> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), `militant-${opts.name ?? 'instance'}-`));
  const url = new URL(`http://127.0.0.1:${port}`);
  const child: ChildProcess = spawn(process.execPath, ['server/main.ts'], {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: url.origin,
      DATA_DIR: dataDir,
      ALLOW_PRIVATE_ADDRESS: 'true',
      LOG_LEVEL: 'warning',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  let setupUrl: string | null = null;
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output.push(text);
      const setup = /(http:\/\/\S+\/setup\?token=[a-z0-9]+)/.exec(text);
      if (setup) setupUrl = setup[1];
      if (/ready: /.test(text)) setTimeout(resolve, 50); // the setup link follows the ready line
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
    child.once('exit', (code) => reject(new Error(`instance exited with ${code}:\n${output.join('')}`)));
    setTimeout(() => reject(new Error(`instance not ready after 30 s:\n${output.join('')}`)), 30_000).unref();
  });
  await ready;
  return {
    url,
    get setupUrl() {
      return setupUrl;
    },
    dataDir,
    output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
