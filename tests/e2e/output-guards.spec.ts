// The output defenses that run a network the defender trained (Yang & Shao's purifier, Wen et al.'s adversarial noise)
// in the attack lab: the inversion network and the genetic search run through them against target-none (and the
// capped Trap-MID target, guards stacked on the trapdoor), and a target the defender trained no network for says so and
// stays usable.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Page } from '@playwright/test';
import { expect, expectQueriesGrow, openLab, runUntilReconstructed, test } from './fixtures.ts';

/** Skips until the served manifest lists the defender's network (npm run train -- --only ID, then npm run assets). */
function skipUnlessGuard(id: string): void {
  const file = path.resolve(import.meta.dirname, '../../public/models/manifest.json');
  const guards = fs.existsSync(file) ? ((JSON.parse(fs.readFileSync(file, 'utf8')) as { guards?: { id: string }[] }).guards ?? []) : [];
  test.skip(!guards.some((g) => g.id === id), `'${id}' is not in public/models/manifest.json yet (npm run train -- --only ${id}, then npm run assets)`);
}

test('the inversion network against the purifier: it fine-tunes on purified answers and rebuilds its victims from them', async ({ page }) => {
  skipUnlessGuard('purifier-target-none');
  test.setTimeout(180_000);
  await openLab(page, '?backend=wasm&attack=inversion-net&defense=purifier&steps=400&batchSize=8', 'wasm');
  await expect(page.getByLabel('Output defense')).toHaveValue('purifier');
  await runUntilReconstructed(page);
  await expect(page.getByTestId('victim-2')).toBeVisible({ timeout: 60_000 });
  await expectQueriesGrow(page);
  await expect(page.getByTestId('victims-summary')).toContainText(/Mean SSIM to the originals \d\.\d\d/);
  await page.getByTestId('pause').click();
});

/** Opens the lab on the genetic search behind an output defense, runs until reconstructed and checks the query count grows. */
async function geneticBehind(page: Page, defense: string, extra = ''): Promise<void> {
  test.setTimeout(180_000);
  await openLab(page, `?backend=wasm&attack=genetic&defense=${encodeURIComponent(defense)}&steps=200${extra}`, 'wasm');
  await expect(page.getByLabel('Output defense')).toHaveValue(defense);
  await runUntilReconstructed(page);
  await expectQueriesGrow(page);
}

test('the genetic search against adversarial output noise runs and counts its queries', async ({ page }) => {
  skipUnlessGuard('mimic-inv-target-none');
  await geneticBehind(page, 'adv-noise:5');
  await page.getByTestId('pause').click();
});

test('stacked on Trap-MID: the capped target\'s own purifier runs in front of it, and the trapdoor panel stays', async ({ page }) => {
  skipUnlessGuard('purifier-target-trap-mid-capped');
  await geneticBehind(page, 'purifier', '&target=target-trap-mid-capped');
  await expect(page.getByTestId('trapdoor-panel')).toBeVisible();
  await expect(page.getByTestId('message-run')).toHaveCount(0);
  await page.getByTestId('pause').click();
});

test('a target the defender trained no purifier for says so, and the lab keeps working', async ({ page }) => {
  await openLab(page, '?backend=wasm&attack=genetic&target=target-mid&defense=purifier&steps=3', 'wasm');
  await page.getByTestId('run').click();
  const alert = page.getByTestId('message-run');
  await expect(alert).toBeVisible();
  await expect(alert).toContainText('no purifier for this target');
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'idle');
  // Another defense on the same target runs.
  await page.getByLabel('Output defense').selectOption('none');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
});
