import { afterEach, describe, expect, it } from 'vitest';
import { LoopLag } from './load.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const busy = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe('LoopLag', () => {
  let lag: LoopLag;
  afterEach(() => lag.stop());

  it('reads next to nothing on an idle loop', async () => {
    lag = new LoopLag();
    await sleep(300);
    expect(lag.ms).toBeLessThan(40);
  });

  it('takes one long pause for what it is, and turns that keep running late for an overload', async () => {
    lag = new LoopLag();
    await sleep(120);
    busy(250); // one long synchronous task
    await sleep(120);
    expect(lag.ms).toBeLessThan(100);
    // Turns of 200 ms, one after the other: the loop stays late.
    for (let i = 0; i < 4; i++) {
      busy(200);
      await sleep(0);
    }
    expect(lag.ms).toBeGreaterThan(100);
    await sleep(300);
    expect(lag.ms).toBeLessThan(100);
  });
});
