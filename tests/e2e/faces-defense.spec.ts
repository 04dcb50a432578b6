// The defense lab on the Olivetti faces in real headless Chromium (WASM backend): a face recogniser trains for a few
// epochs on the 160 private photos, the accuracy shows, and the kept model opens as a faces target in the attack lab;
// Trap-MID draws its 64 x 64 triggers and sample; the data set picker and bad links are handled.
import type { Page } from '@playwright/test';
import { expect, shownStep, test } from './fixtures.ts';

async function openDefense(page: Page, query: string): Promise<void> {
  await page.goto(`./defense.html?${query}`);
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
  await expect(page.getByTestId('train')).toBeEnabled();
}

const status = (page: Page) => page.getByTestId('run-status');
const canvasWidth = (page: Page, testid: string) => page.getByTestId(testid).evaluate((c) => (c as HTMLCanvasElement).width);

test('trains a face recogniser for a few epochs: accuracy on the 40 test photos, attackable as a faces target', async ({ page }) => {
  test.setTimeout(180_000);
  await openDefense(page, 'dataset=faces&defense=none&epochs=3&backend=wasm');
  await expect(page.getByTestId('dataset-picker')).toHaveValue('faces');
  await expect(page.getByTestId('dataset-notice')).toContainText('real people');
  await expect(page.getByTestId('defense-intro')).toContainText('20 private people');
  await expect(page.getByTestId('defense-none')).toHaveClass(/chosen/);
  // MID's network takes 28 x 28 digits only: offered on MNIST, not here, with the reason.
  await expect(page.getByTestId('defense-mid').locator('input')).toBeDisabled();
  await expect(page.getByTestId('defense-unavailable')).toContainText('28 x 28');
  await expect(page.getByTestId('f-trainImages')).toHaveValue('160');

  await page.getByTestId('train').click();
  await expect(status(page)).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(page.getByTestId('final-accuracy')).toHaveText(/\d+(\.\d)?%/);
  await expect(page.getByTestId('result')).toContainText('all 40 private test images');
  await expect(page.getByTestId('step-counter')).toContainText('15 / 15'); // 3 epochs of 5 batches
  await expect(page.getByTestId('trapdoor-panel')).toHaveCount(0);

  const link = page.getByTestId('attack-link');
  await expect(link).toHaveAttribute('href', /attack\.html\?dataset=faces&target=trained-in-browser/);
  await link.click();
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
  await expect(page.getByTestId('dataset-picker')).toHaveValue('faces');
  await expect(page.getByTestId('target-picker')).toHaveValue('trained-in-browser');
  await expect(page.getByTestId('message-url')).toHaveCount(0);
});

test('Trap-MID on the faces: one 64 x 64 trigger per person, a photo with another person\'s trigger, trapdoor figures', async ({ page }) => {
  test.setTimeout(180_000);
  await openDefense(page, 'dataset=faces&epochs=2&backend=wasm');
  await expect(page.getByTestId('defense-trap-mid')).toHaveClass(/chosen/);
  await expect(page.getByTestId('defense-summary')).toContainText('one faint trigger pattern per person');
  await page.getByTestId('train').click();
  await expect(status(page)).toHaveAttribute('data-status', 'running');
  await expect.poll(() => shownStep(page), { timeout: 120_000 }).toBeGreaterThanOrEqual(2);
  await expect(page.getByTestId('trigger-19')).toBeVisible();
  expect(await canvasWidth(page, 'trigger-0')).toBe(64);
  expect(await canvasWidth(page, 'sample-clean')).toBe(64);
  await expect(page.getByTestId('trapdoor-panel')).toContainText(/says person \d+/);
  await expect(page.getByTestId('trap-stats')).toContainText('On 40 test images');
  await expect(page.getByTestId('accuracy-chart').locator('path[data-series="test images"]')).toHaveCount(1);
  await page.getByTestId('cancel').click();
  await expect(status(page)).toHaveAttribute('data-status', 'cancelled');
});

test('corrects a bad data set in the link with a notice; the picker switches the knobs and the defenses offered', async ({ page }) => {
  await openDefense(page, 'dataset=cifar&epochs=2&backend=wasm');
  const notice = page.getByTestId('message-url');
  await expect(notice).toContainText('Data set "cifar" is unknown (use mnist, faces); using mnist');
  await expect(page.getByTestId('dataset-picker')).toHaveValue('mnist');
  await expect(page.getByTestId('f-epochs')).toHaveValue('2');
  expect(new URL(page.url()).searchParams.has('dataset')).toBe(false);
  await expect(page.getByTestId('dataset-notice')).toHaveCount(0);

  // MID chosen on the digits gives way to the default defense on the faces; the faces' own training knobs come along.
  await page.getByTestId('defense-mid').click();
  await page.getByTestId('dataset-picker').selectOption('faces');
  await expect(page.getByTestId('defense-trap-mid')).toHaveClass(/chosen/);
  await expect(page.getByTestId('f-epochs')).toHaveValue('30');
  await expect(page.getByTestId('f-batchSize')).toHaveValue('32');
  await expect(page.getByTestId('dataset-notice')).toBeVisible();
  expect(new URL(page.url()).searchParams.get('dataset')).toBe('faces');
  expect(new URL(page.url()).searchParams.has('defense')).toBe(false);
  // BiDO trains on the faces too (its hidden layers are the faces CNN's).
  await page.getByTestId('defense-bido').click();
  await expect(page.getByTestId('f-lambdaX')).toBeVisible();

  await page.getByTestId('dataset-picker').selectOption('mnist');
  await expect(page.getByTestId('f-epochs')).toHaveValue('1');
  await expect(page.getByTestId('f-trainImages')).toHaveValue('30596');
  await expect(page.getByTestId('defense-mid').locator('input')).toBeEnabled();
  await expect(page.getByTestId('defense-unavailable')).toHaveCount(0);

  // A link that asks for MID on the faces says why not.
  await openDefense(page, 'dataset=faces&defense=mid&backend=wasm');
  await expect(page.getByTestId('message-url')).toContainText('does not train on the Olivetti faces');
  await expect(page.getByTestId('defense-trap-mid')).toHaveClass(/chosen/);
});
