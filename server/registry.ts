// How the web layer reaches the services. SvelteKit bundles its own copies of the modules it
// imports, so a module-level singleton would exist twice; the services are built once at boot
// and published here under a global symbol, which every copy of this module reads.
import type { Services } from './services.ts';

const KEY = Symbol.for('militant.registry');
type Holder = { [KEY]?: Services };

export function setRegistry(services: Services | undefined): void {
  (globalThis as Holder)[KEY] = services;
}

/** The services of the running node; throws if the node was not started. */
export function registry(): Services {
  const services = (globalThis as Holder)[KEY];
  if (!services) throw new Error('services are not initialised: start the node with server/main.ts');
  return services;
}
