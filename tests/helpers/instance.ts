// Starts a whole instance as its own process (`node server/main.ts`, production build), the way
// an operator runs it: for the browser tests, the two-instance federation tests and the chat's
// fault tests (a process killed and started again on the same port and data).
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
  /** Stops the process (SIGTERM) and removes its data directory. */
  stop(): Promise<void>;
  /** Ends the process with a signal (SIGKILL: a crash) and waits for its exit; the data stays. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the process again (after `kill`) on the same port, data directory and environment. */
  restart(): Promise<void>;
}

const root = fileURLToPath(new URL('../..', import.meta.url));

export async function startInstance(opts: { env?: Record<string, string>; name?: string; port?: number } = {}): Promise<Instance> {
  const port = opts.port ?? (await freePort());
  const dataDir = mkdtempSync(join(tmpdir(), `militant-${opts.name ?? 'instance'}-`));
  const url = new URL(`http://127.0.0.1:${port}`);
  const env = {
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
  };
  const output: string[] = [];
  let setupUrl: string | null = null;
  let child: ChildProcess | null = null;

  const launch = () => {
    const proc = spawn(process.execPath, ['server/main.ts'], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    return new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        const text = chunk.toString();
        output.push(text);
        const setup = /(http:\/\/\S+\/setup\?token=[a-z0-9]+)/.exec(text);
        if (setup) setupUrl = setup[1];
        if (/ready: /.test(text)) setTimeout(resolve, 50); // the setup link follows the ready line
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', (c: Buffer) => output.push(c.toString()));
      proc.once('exit', (code, signal) => reject(new Error(`instance exited with ${code ?? signal}:\n${output.join('')}`)));
      setTimeout(() => reject(new Error(`instance not ready after 30 s:\n${output.join('')}`)), 30_000).unref();
    });
  };

  const kill = async (signal: NodeJS.Signals = 'SIGTERM') => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill(signal);
    await exited;
  };

  await launch();
  return {
    url,
    get setupUrl() {
      return setupUrl;
    },
    dataDir,
    output,
    async stop() {
      await kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
    kill,
    async restart() {
      await kill('SIGTERM');
      await launch();
    },
  };
}
