// Accessibility: axe-core's WCAG 2 A and AA rules on each page once its engine is ready, and on the attack lab's
// states that only appear later (a run's verdicts and candidates, the trapdoor panel, the shortcuts dialog, the
// copy-link fallback). Serious and critical violations fail; each is printed with the elements it hit.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, openLab, test } from './fixtures.ts';

type Violation = Awaited<ReturnType<AxeBuilder['analyze']>>['violations'][number];

/** One line per violation and one per element it hit: rule, impact, what is wrong, where. */
function describe(violations: Violation[]): string {
  return violations
    .map((v) => [`${v.id} (${v.impact}): ${v.help}  ${v.helpUrl}`,
      ...v.nodes.map((n) => `    ${n.target.join(' ')}: ${n.failureSummary?.replace(/\s+/g, ' ') ?? ''}`)].join('\n'))
    .join('\n');
}

async function expectNoSeriousViolations(page: Page, what: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  const blocking = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(blocking.map((v) => v.id), `accessibility violations on the ${what}:\n${describe(blocking)}`).toEqual([]);
}

const PAGES = [
  { name: 'attack lab', path: './attack.html' },
  { name: 'defense lab', path: './defense.html' },
  { name: 'benchmark', path: './benchmark.html' },
  { name: 'speed page', path: './bench.html' },
  { name: 'guided tour', path: './index.html' },
];

for (const { name, path } of PAGES) {
  test(`${name} has no serious or critical WCAG 2 A/AA violations`, async ({ page }) => {
    await page.goto(`${path}?backend=wasm`);
    await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
    await expectNoSeriousViolations(page, name);
  });
}

test('attack lab states that appear later have no serious or critical WCAG 2 A/AA violations', async ({ page }) => {
  // The Trap-MID target shows the trapdoor panel (triggers, histograms).
  await openLab(page, '?backend=wasm&target=target-trap-mid', 'wasm');
  await expect(page.getByTestId('trapdoor-panel')).toBeVisible();
  await expectNoSeriousViolations(page, 'attack lab with the trapdoor panel');

  // A finished GAN run: verdicts (green and orange), the candidate grid, the charts.
  await openLab(page, '?backend=wasm&attack=gmi&steps=3', 'wasm');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('verdict-0')).toHaveAttribute('data-match', /true|false/);
  await expectNoSeriousViolations(page, 'attack lab after a GMI run');

  await page.keyboard.press('?');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
  await expectNoSeriousViolations(page, 'attack lab with the shortcuts dialog open');
  await page.keyboard.press('Escape');

  // The copy-link fallback field (no Clipboard API on this load).
  await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'clipboard', { value: undefined, configurable: true }));
  await openLab(page, '?backend=wasm', 'wasm');
  await page.getByTestId('copy-link').click();
  await expect(page.getByTestId('copy-link-field')).toBeVisible();
  await expectNoSeriousViolations(page, 'attack lab with the copy-link field open');
});

test('the embedded view (embed.html) after a run has no serious or critical WCAG 2 A/AA violations', async ({ page }) => {
  await page.goto('./embed.html?backend=wasm&steps=4&seed=abc');
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('embed-notice')).toBeVisible();
  await expectNoSeriousViolations(page, 'embedded view');
});

test('the guided tour\'s live attack (seed field, Pause / Resume) and its shortcuts dialog have no serious or critical WCAG 2 A/AA violations', async ({ page }) => {
  await page.goto('./index.html?backend=wasm&steps=4#step-2');
  await expect(page.getByTestId('live-2').getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expectNoSeriousViolations(page, 'guided tour, step 2');
  await page.keyboard.press('?');
  await expect(page.getByRole('dialog', { name: 'Keyboard shortcuts' })).toBeVisible();
  await expectNoSeriousViolations(page, 'guided tour with the shortcuts dialog open');
  await page.keyboard.press('Escape');
});
