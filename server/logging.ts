// Logs through LogTape (which Fedify also uses), to the console. Called once per process.
import { AsyncLocalStorage } from 'node:async_hooks';
import { configure, getConsoleSink, type LogLevel } from '@logtape/logtape';

let configured = false;

export async function setupLogging(level: 'debug' | 'info' | 'warning' | 'error'): Promise<void> {
  if (configured) return;
  configured = true;
  const lowest = level as LogLevel;
  await configure({
    // Fedify attaches request context (trace ids) to its log records through this.
    contextLocalStorage: new AsyncLocalStorage(),
    sinks: { console: getConsoleSink() },
    loggers: [
      { category: ['militant'], lowestLevel: lowest, sinks: ['console'] },
      // Fedify is chatty; one notch quieter than ours.
      { category: ['fedify'], lowestLevel: lowest === 'debug' ? 'info' : lowest === 'error' ? 'fatal' : lowest === 'warning' ? 'error' : 'warning', sinks: ['console'] },
      { category: ['logtape', 'meta'], lowestLevel: 'warning', sinks: ['console'] },
    ],
  });
}
