// Keyboard shortcuts: the attack lab (Space runs and pauses, s steps, r resets), the defense lab and the benchmark
// (Space starts, pauses and resumes the job, c cancels it) and the guided tour (arrows or n / p move between steps,
// Space pauses and resumes the step's live attack). On every page ? lists them in a modal dialog (also opened by the
// header button), and keys typed into a field stay in the field.
import type { Locator, Page } from '@playwright/test';
import { knobValues } from '../../src/worker/catalog.ts';
import { expect, openLab, settledStep, shownStep, test } from './fixtures.ts';

test('Space runs, pauses and resumes; s steps; r resets', async ({ page }) => {
  await openLab(page, '?backend=wasm&steps=3000', 'wasm');
  const status = page.getByTestId('run-status');
  await page.keyboard.press('Space');
  await expect(status).toHaveAttribute('data-status', 'running');
  await expect.poll(() => shownStep(page)).toBeGreaterThan(0);
  await page.keyboard.press('Space');
  await expect(status).toHaveAttribute('data-status', 'paused');
  const paused = await settledStep(page);
  // Space did not scroll the page (it is the page's key, not the browser's).
  expect(await page.evaluate(() => window.scrollY)).toBe(0);

  await page.keyboard.press('s');
  await expect.poll(() => shownStep(page)).toBe(paused + 1);
  await expect(status).toHaveAttribute('data-status', 'paused');

  await page.keyboard.press('Space');
  await expect(status).toHaveAttribute('data-status', 'running');
  await expect.poll(() => shownStep(page)).toBeGreaterThan(paused + 1);

  await page.keyboard.press('r');
  await expect(status).toHaveAttribute('data-status', 'idle');
  await expect(page.getByTestId('step-counter')).toHaveText('0 / 3000');
  await expect(page.getByTestId('reset')).toBeDisabled();
});

test('s on an idle page takes one step and leaves the run paused', async ({ page }) => {
  await openLab(page, '?backend=wasm&steps=50', 'wasm');
  await page.keyboard.press('s');
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  await expect.poll(() => shownStep(page)).toBe(1);
});

test('keys typed into a field are not shortcuts', async ({ page }) => {
  await openLab(page, '?backend=wasm&steps=50', 'wasm');
  const seed = page.getByTestId('f-seed');
  await seed.fill('');
  await seed.focus();
  // Space, s, r and ? in a number field: nothing starts, steps, resets or opens.
  for (const key of ['Space', 's', 'r', '?', '4']) await page.keyboard.press(key);
  await expect(seed).toHaveValue('4');
  await page.waitForTimeout(500);
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'idle');
  await expect(page.getByTestId('step-counter')).toHaveText('0 / 50');
  await expect(page.getByRole('dialog')).toHaveCount(0);

  // Space on a focused button is the button's (here: Paper settings), not Run.
  await page.getByTestId('preset-paper').focus();
  await page.keyboard.press('Space');
  await expect.poll(() => new URL(page.url()).searchParams.get('steps')).toBe(String(knobValues('mi-face', 'paper').steps));
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'idle');
});

test('? and the header button open the shortcuts dialog; Escape and Close shut it', async ({ page }) => {
  await openLab(page, '?backend=wasm&steps=50', 'wasm');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(dialog).toBeHidden();

  await page.keyboard.press('?');
  await expect(dialog).toBeVisible();
  await expect(dialog.locator('kbd')).toHaveText(['Space', 's', 'r', '?']);
  await expect(dialog).toContainText('Run, pause, resume');
  // Focus moves into the dialog; the page's shortcuts wait while it is open.
  await expect(dialog.getByRole('button', { name: 'Close' })).toBeFocused();
  await page.keyboard.press('s');
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'idle');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  const opener = page.getByRole('banner').getByRole('button', { name: 'Keyboard shortcuts' });
  await opener.click();
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Close' })).toBeFocused();
  // Modal: the page behind is inert until it closes.
  expect(await dialog.evaluate((d) => d.matches(':modal'))).toBe(true);
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
  // Focus returns to the button that opened it.
  await expect(opener).toBeFocused();
});

/** Opens a page with its engine ready. */
async function openReady(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
}

/** ? opens the page's shortcuts dialog with these keys (as shown) and this line; Escape shuts it. */
async function expectHelp(page: Page, keys: string[], line: string): Promise<void> {
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(dialog).toBeHidden();
  await page.keyboard.press('?');
  await expect(dialog).toBeVisible();
  await expect(dialog.locator('kbd')).toHaveText(keys);
  await expect(dialog).toContainText(line);
  await expect(dialog.getByRole('button', { name: 'Close' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
}

/** Space then c on a job page (the defense lab, the benchmark): start, pause, resume, cancel. */
async function spaceThenCancel(page: Page, start: Locator): Promise<void> {
  const status = page.getByTestId('run-status');
  await expect(start).toBeEnabled();
  const scrolled = await page.evaluate(() => window.scrollY); // focusing a field lower down may have scrolled it
  await page.keyboard.press('Space');
  await expect(status).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  await page.keyboard.press('Space');
  await expect(status).toHaveAttribute('data-status', 'paused');
  await expect(page.getByTestId('resume')).toBeEnabled();
  await page.keyboard.press('Space');
  await expect(status).toHaveAttribute('data-status', 'running');
  await expect(page.getByTestId('pause')).toBeEnabled();
  await page.keyboard.press('c');
  await expect(status).toHaveAttribute('data-status', 'cancelled');
  await expect(start).toBeEnabled();
  // Space did not scroll the page.
  expect(await page.evaluate(() => window.scrollY)).toBe(scrolled);
}

test('defense lab: Space trains, pauses and resumes; c cancels; ? lists the keys; typing in a field is not a shortcut', async ({ page }) => {
  test.setTimeout(180_000);
  await openReady(page, './defense.html?epochs=3&batch=32&images=3200&backend=wasm');
  const train = page.getByTestId('train');

  // In the seed field Space, c and ? are typing, not shortcuts.
  const seed = page.getByTestId('f-seed');
  await seed.focus();
  for (const key of ['Space', 'c', '?']) await page.keyboard.press(key);
  await page.waitForTimeout(500);
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'idle');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await seed.blur();

  await expectHelp(page, ['Space', 'c', '?'], 'Train, pause, resume');
  await spaceThenCancel(page, train);
  await expect(train).toHaveText(/Train again/);
});

test('benchmark: Space runs, pauses and resumes the grid; c cancels; ? lists the keys', async ({ page }) => {
  test.setTimeout(180_000);
  await openReady(page, './benchmark.html?defenses=target-none&attacks=mi-face&seeds=1-3&steps=2000&ref=10&backend=wasm');
  await expectHelp(page, ['Space', 'c', '?'], 'Cancel the benchmark');
  await spaceThenCancel(page, page.getByTestId('run'));
  await expect(page.getByTestId('run')).toHaveText(/Run again/);
});

test('guided tour: arrows and n / p move between steps, Space pauses and resumes the live attack, ? lists the keys', async ({ page }) => {
  test.setTimeout(180_000);
  await openReady(page, './index.html?backend=wasm&steps=3000');
  const indicator = page.getByTestId('step-indicator');
  await expect(indicator).toHaveAttribute('data-step', '1');
  // Nothing before the first step: the key is left alone.
  await page.keyboard.press('ArrowLeft');
  await expect(indicator).toHaveAttribute('data-step', '1');
  await page.keyboard.press('ArrowRight');
  await expect(page).toHaveURL(/#step-2$/);
  await expect(page.getByTestId('tour-step-2')).toBeVisible();
  await page.keyboard.press('n');
  await expect(indicator).toHaveAttribute('data-step', '3');
  await page.keyboard.press('p');
  await expect(indicator).toHaveAttribute('data-step', '2');

  // Step 2's attack runs by itself; Space pauses it and resumes it, as its Pause / Resume button does.
  const live = page.getByTestId('live-2');
  const status = live.getByTestId('run-status');
  const button = live.getByTestId('pause-resume');
  await expect(status).toHaveAttribute('data-status', 'running', { timeout: 60_000 });
  await expect(button).toHaveText(/Pause/);
  await page.keyboard.press('Space');
  await expect(status).toHaveAttribute('data-status', 'paused');
  await expect(button).toHaveText(/Resume/);
  await page.keyboard.press('Space');
  await expect(status).toHaveAttribute('data-status', 'running');
  await button.click();
  await expect(status).toHaveAttribute('data-status', 'paused');
  await button.click();
  await expect(status).toHaveAttribute('data-status', 'running');

  // In the seed field n, p, the arrows and Space are typing, not shortcuts.
  const seed = live.getByTestId('live-2-seed');
  await seed.focus();
  for (const key of ['n', 'p', 'ArrowRight', 'ArrowLeft', 'Space']) await page.keyboard.press(key);
  await expect(indicator).toHaveAttribute('data-step', '2');
  await expect(status).toHaveAttribute('data-status', 'running');
  await seed.blur();

  await expectHelp(page, ['→', 'n', '←', 'p', 'Space', '?'], 'Next step');
  // Step 3 still needs it (its comparison); leaving for step 4 stops it.
  await page.keyboard.press('ArrowRight');
  await expect(indicator).toHaveAttribute('data-step', '3');
  await expect(status).toHaveAttribute('data-status', 'running');
  await page.keyboard.press('ArrowRight');
  await expect(indicator).toHaveAttribute('data-step', '4');
  await expect(status).toHaveAttribute('data-status', 'cancelled');
});
