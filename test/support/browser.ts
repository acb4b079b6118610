import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { describe } from 'vitest';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The system's Chromium: STRATA_CHROMIUM, else the usual Debian paths. */
export function findChromium(): string | undefined {
  const given = process.env.STRATA_CHROMIUM;
  if (given) return existsSync(given) ? given : undefined;
  return CANDIDATES.find((path) => existsSync(path));
}

/**
 * `describe` for tests in a real browser: skipped, with a visible message, when no Chromium is
 * installed; a failure instead when STRATA_REQUIRE_BROWSER=1 (CI).
 */
export function describeBrowser(name: string, body: (executablePath: string) => void): void {
  const executablePath = findChromium();
  if (!executablePath) {
    if (process.env.STRATA_REQUIRE_BROWSER === '1') {
      throw new Error('STRATA_REQUIRE_BROWSER=1 but no Chromium was found (apt-get install chromium, or set STRATA_CHROMIUM)');
    }
    process.stderr.write('[strata tests] no Chromium found: the browser tests are SKIPPED (apt-get install chromium, or set STRATA_CHROMIUM)\n');
    describe.skip(`${name} (SKIPPED: no Chromium; apt-get install chromium)`, () => undefined);
    return;
  }
  describe(name, () => body(executablePath));
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh profile and none of its own network traffic (no updates, sync,
 * field trials or QUIC), so every request it makes is one the page asked for.
 */
export async function launchBrowser(executablePath: string): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'strata-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1280, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
