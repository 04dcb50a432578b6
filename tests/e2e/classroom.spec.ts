// Sharing a setup: "Copy link" in every page's header (the address holds the settings), its fallback where the
// Clipboard API is missing or refused, and teacher links that hide controls (`hide=`) of the attack lab, the defense
// lab and the benchmark.
import type { Page } from '@playwright/test';
import { expect, openLab, test } from './fixtures.ts';

/** Each page with settings in its link that differ from the defaults, so the copied link must carry them. */
const PAGES = [
  { name: 'attack lab', path: './attack.html?backend=wasm&steps=20&seed=7' },
  { name: 'defense lab', path: './defense.html?backend=wasm&epochs=2' },
  { name: 'benchmark', path: './benchmark.html?backend=wasm&budget=paper' },
  { name: 'speed', path: './bench.html?backend=wasm&repeats=2' },
  { name: 'guided tour', path: './index.html?backend=wasm&steps=7&seed=9' },
];

async function openReady(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
}

test('Copy link puts the page address, settings included, on the clipboard of every page', async ({ page, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  for (const { name, path } of PAGES) {
    await openReady(page, path);
    const status = page.getByTestId('copy-link-status');
    await page.getByRole('banner').getByRole('button', { name: 'Copy link' }).click();
    await expect(status, name).toHaveText('Link copied');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied, name).toBe(page.url());
    for (const [k, v] of new URL(path, 'http://x/').searchParams) expect(new URL(copied).searchParams.get(k), `${name}: ${k}`).toBe(v);
    // The confirmation goes away by itself.
    await expect(status, name).toHaveText('', { timeout: 5000 });
  }
});

const FALLBACKS = [
  // No Clipboard API at all (plain http on another host, old browsers).
  { why: 'missing', init: () => { Object.defineProperty(Navigator.prototype, 'clipboard', { value: undefined, configurable: true }); } },
  // The API is there but the browser refuses to write.
  { why: 'refused', init: () => { navigator.clipboard.writeText = () => Promise.reject(new DOMException('Write permission denied.', 'NotAllowedError')); } },
];

for (const { why, init } of FALLBACKS) {
  test(`Copy link shows the link in a selected read-only field when the clipboard is ${why}`, async ({ page }) => {
    await page.addInitScript(init);
    await openReady(page, './bench.html?backend=wasm&repeats=1');
    await page.getByTestId('copy-link').click();
    const field = page.getByRole('textbox', { name: /Copy this link yourself/ });
    await expect(field).toBeVisible();
    await expect(field).toHaveValue(page.url());
    await expect(field).toHaveAttribute('readonly', '');
    await expect(field).toBeFocused();
    // The whole link is selected, ready for Ctrl+C.
    expect(await field.evaluate((el: HTMLInputElement) => [el.selectionStart, el.selectionEnd])).toEqual([0, page.url().length]);
    await expect(page.getByTestId('copy-link-status')).toHaveText('');
    // Escape closes it and gives focus back to the button.
    await field.press('Escape');
    await expect(field).toHaveCount(0);
    await expect(page.getByTestId('copy-link')).toBeFocused();
  });
}

test('a teacher link hides the named controls, keeps hiding them and reports unknown names', async ({ page }) => {
  await openLab(page, '?backend=wasm&hide=attack,backend,seed,Steps,bogus', 'wasm');
  await expect(page.locator('#f-backend')).toHaveCount(0);
  await expect(page.locator('#f-seed')).toHaveCount(0);
  await expect(page.locator('#f-steps')).toHaveCount(0);
  await expect(page.getByRole('radio')).toHaveCount(0);
  // What is not named stays, and the chosen attack is still described.
  await expect(page.getByTestId('target-picker')).toBeVisible();
  await expect(page.getByTestId('f-learningRate')).toBeVisible();
  await expect(page.getByTestId('attack-summary')).toBeVisible();
  // An unknown name is a correction like any other bad value in a link: shown, dropped from the address.
  const notice = page.getByTestId('message-url');
  await expect(notice).toContainText('"bogus" is not a control of this page');
  await expect.poll(() => new URL(page.url()).searchParams.get('hide')).toBe('attack,backend,seed,steps');

  // Changing a visible setting rewrites the address, which still hides the same controls; the page still runs.
  await page.getByTestId('f-learningRate').fill('0.2');
  await page.getByTestId('f-learningRate').press('Enter');
  await expect.poll(() => new URL(page.url()).searchParams.get('lr')).toBe('0.2');
  expect(new URL(page.url()).searchParams.get('hide')).toBe('attack,backend,seed,steps');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', /running|done/);
  await page.getByTestId('reset').click();
});

test('a teacher link hides controls of the defense lab, keeps hiding them and reports unknown names', async ({ page }) => {
  await openReady(page, './defense.html?backend=wasm&hide=defense,seed,epochs,Alpha,bogus');
  await expect(page.getByRole('radio')).toHaveCount(0);
  await expect(page.locator('#f-seed')).toHaveCount(0);
  await expect(page.locator('#f-epochs')).toHaveCount(0);
  await expect(page.locator('#f-alpha')).toHaveCount(0);
  // The chosen defense is still described; its other knobs and the other training settings stay.
  await expect(page.getByTestId('defense-summary')).toBeVisible();
  await expect(page.getByTestId('f-beta')).toBeVisible();
  await expect(page.getByTestId('f-batchSize')).toBeVisible();
  await expect(page.getByTestId('message-url')).toContainText('"bogus" is not a control of this page');
  await expect.poll(() => new URL(page.url()).searchParams.get('hide')).toBe('defense,seed,epochs,alpha');

  await page.getByTestId('f-batchSize').fill('32');
  await page.getByTestId('f-batchSize').press('Enter');
  await expect.poll(() => new URL(page.url()).searchParams.get('batch')).toBe('32');
  expect(new URL(page.url()).searchParams.get('hide')).toBe('defense,seed,epochs,alpha');
  // The charts still explain themselves.
  await page.getByTestId('loss-chart-explain-button').click();
  await expect(page.getByTestId('loss-chart-explain-text')).toContainText('loss term');
});

test('a teacher link hides controls of the benchmark, keeps hiding them and reports unknown names', async ({ page }) => {
  await openReady(page, './benchmark.html?backend=wasm&hide=attacks,seeds,open,nope');
  await expect(page.getByTestId('attack-mi-face')).toHaveCount(0);
  await expect(page.locator('#f-seeds')).toHaveCount(0);
  await expect(page.getByTestId('open-record')).toHaveCount(0);
  await expect(page.getByTestId('defense-target-none')).toBeVisible();
  await expect(page.getByTestId('run')).toBeEnabled();
  await expect(page.getByTestId('message-url')).toContainText('"nope" is not a control of this page');
  await expect.poll(() => new URL(page.url()).searchParams.get('hide')).toBe('attacks,seeds,open');

  await page.getByTestId('f-budget').selectOption('paper');
  await expect.poll(() => new URL(page.url()).searchParams.get('budget')).toBe('paper');
  expect(new URL(page.url()).searchParams.get('hide')).toBe('attacks,seeds,open');
  await page.getByTestId('scatter-explain-button').click();
  await expect(page.getByTestId('scatter-explain-text')).toContainText('One point per finished cell');
});
