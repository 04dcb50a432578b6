// The built site (dist/, from npm run build) served from a sub-path, as a blog would host it: `npm run test:dist`
// builds, then runs tests/dist. Kept apart from the dev-server suite (npm run test:e2e) because the build takes minutes.
import { defineConfig, devices } from '@playwright/test';

const PORT = 4174;
export const SUB_PATH = '/blog/playground/';

export default defineConfig({
  testDir: 'tests/dist',
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  timeout: 180_000,
  expect: { timeout: 60_000 },
  reporter: 'list',
  use: {
    baseURL: `http://localhost:${PORT}${SUB_PATH}`,
    viewport: { width: 1280, height: 900 },
    trace: 'retain-on-failure',
    // No GPU, as on many readers' machines: the embeds choose WASM by themselves (the demo page forces nothing).
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--disable-gpu', '--disable-software-rasterizer'] },
  },
  projects: [{ name: 'chromium', use: { ...devices['Desktop Chrome'], viewport: { width: 1280, height: 900 } } }],
  webServer: {
    command: `npx tsx scripts/serve-dist.ts --base ${SUB_PATH} --port ${PORT}`,
    url: `http://localhost:${PORT}${SUB_PATH}embed-demo.html`,
    reuseExistingServer: false,
    timeout: 30_000,
  },
});
