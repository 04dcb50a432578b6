// Keyboard shortcuts of the attack lab: Space runs and pauses, s steps, r resets, ? lists them in a modal dialog
// (also opened by the header button). Keys typed into a field stay in the field.
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
