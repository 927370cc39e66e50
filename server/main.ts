// Entry point: `node server/main.ts` (npm start) or `node server/main.ts --dev` (npm run dev).
import { ConfigError, loadConfig } from './config.ts';
import { setupLogging } from './logging.ts';
import { startNode } from './node.ts';

const dev = process.argv.includes('--dev');

async function main() {
  let config;
  try {
    config = loadConfig(process.env, { dev });
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
  await setupLogging(config.logLevel);
  const node = await startNode(config, { web: dev ? 'dev' : 'build', announceSetup: true });
  const where = config.role === 'worker' ? `worker (health on ${node.address.href})` : config.publicUrl.href;
  console.log(`Militant network ${config.dev ? '(dev) ' : ''}ready: ${where} — database ${config.database.dialect}${config.smtpUrl ? ', SMTP on' : ', no SMTP (mails kept for the admin at /admin/outbox)'}`);
  if (node.setupUrl) {
    const line = '─'.repeat(Math.min(100, node.setupUrl.length + 4));
    console.log(`\n${line}\n  No administrator yet. Open this one-time link to create the admin account:\n  ${node.setupUrl}\n${line}\n`);
  }
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal} received, stopping…`);
    const timer = setTimeout(() => process.exit(1), 10_000);
    timer.unref();
    await node.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((e) => {
  console.error('Could not start:', e instanceof Error ? e.message : e);
  if (process.env.LOG_LEVEL === 'debug') console.error(e);
  process.exit(1);
});
