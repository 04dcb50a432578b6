// The benchmark page (benchmark.html) in headless Chromium, on WASM with a tiny grid (one defense, MI-Face for a few
// steps, one seed, a small private reference): cells fill in, the progress bar reaches its end, a cell opens its
// reconstructions, CSV / JSON export, a saved record re-opens the same table, and bad links get a notice.
import * as fs from 'node:fs';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';

const TINY = 'defenses=target-dp-eps8&attacks=mi-face,ked-mi&seeds=1&steps=8&ref=10&backend=wasm';

async function openBenchmark(page: Page, query: string): Promise<void> {
  await page.goto(`./benchmark.html?${query}`);
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
}

test('runs a tiny grid: cells fill in, progress ends, a cell opens, exports download and re-open the same table', async ({ page }) => {
  test.setTimeout(150_000);
  await openBenchmark(page, TINY);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Which defense stops which attack?');
  await expect(page.getByTestId('table-source')).toHaveAttribute('data-source', 'selection');
  await expect(page.getByTestId('defense-target-dp-eps8').locator('input')).toBeChecked();
  await expect(page.getByTestId('defense-target-none').locator('input')).not.toBeChecked();
  // Four shipped targets share Trap-MID: each row is named apart.
  await expect(page.getByTestId('defense-target-trap-mid').locator('strong')).toHaveText('Trap-MID (trapdoors)');
  await expect(page.getByTestId('defense-target-trap-mid-capped').locator('strong')).toHaveText('Trap-MID capped');
  await expect(page.getByTestId('defense-target-trap-mid-warp').locator('strong')).toHaveText('Trap-MID capped, warp triggers');
  await expect(page.getByTestId('defense-target-trap-mid-ted').locator('strong')).toHaveText('Trap-MID capped, TeD trapdoors');
  await expect(page.getByTestId('attack-ked-mi').locator('input')).toBeChecked();
  await expect(page.getByTestId('f-seeds')).toHaveValue('1');
  await expect(page.getByTestId('f-steps')).toHaveValue('8');
  await expect(page.getByTestId('export-csv')).toBeDisabled();
  const cell = page.getByTestId('cell-target-dp-eps8-mi-face');
  await expect(cell).toHaveAttribute('data-status', 'empty');

  await page.getByTestId('run').click();
  // KED-MI has no GAN for target-dp-eps8: its cell says so (nothing runs) while MI-Face runs.
  await expect(page.getByTestId('cell-target-dp-eps8-ked-mi')).toHaveAttribute('data-status', 'no-prior', { timeout: 60_000 });
  await expect(page.getByTestId('cell-target-dp-eps8-ked-mi')).toContainText('no prior for this target');
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(cell).toHaveAttribute('data-status', 'done');
  await expect(cell.getByTestId('top1')).toHaveText(/^\d+(\.\d)?% \/ \d+(\.\d)?%$/);
  await expect(cell).toContainText(/KNN \d+ · FID \d+/);
  await expect(cell.getByTestId('top1-judge2')).toHaveText(/^judge 2 \d+(\.\d)?% · both \d+(\.\d)?%$/);
  await expect(page.getByTestId('cells-done')).toHaveText('2 / 2');
  const bar = page.getByTestId('progress');
  const total = Number(await bar.getAttribute('data-total'));
  expect(total).toBe(8);
  await expect(bar).toHaveAttribute('data-done', String(total));
  await expect(page.getByTestId('scatter').locator('g.point')).toHaveCount(1);
  const shown = await cell.getByTestId('top1').textContent();

  // A cell opens its reconstructions beside their nearest private images, with per-digit figures.
  await cell.click();
  await expect(cell).toHaveAttribute('aria-pressed', 'true');
  const detail = page.getByTestId('cell-detail');
  await expect(detail.getByTestId('per-class').locator('tbody tr')).toHaveCount(5);
  await expect(detail.getByTestId('pair')).toHaveCount(5);
  await expect(detail.getByTestId('recon-0')).toBeVisible();
  await expect(detail.getByTestId('nearest-4')).toBeVisible();
  // Both judges' figures, each pair's second verdict, and why the judges can disagree.
  await expect(detail.getByTestId('judges')).toHaveText(/Evaluator top-1 \d+(\.\d)?%; second judge top-1 \d+(\.\d)?%; both \d+(\.\d)?%; KNN-label \d+(\.\d)?%/);
  await expect(detail.getByTestId('pair-judge2')).toHaveCount(5);
  await detail.getByTestId('judges-explain-button').click();
  await expect(detail.getByTestId('judges-explain-text')).toBeVisible();
  await expect(detail.getByTestId('judges-explain-text')).toContainText(/adversarial/);

  // Exports: the table as CSV, the whole run as JSON.
  const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  expect(csvDownload.suggestedFilename()).toMatch(/^benchmark-.*\.csv$/);
  const csv = fs.readFileSync(await csvDownload.path(), 'utf8').trim().split('\n');
  expect(csv[0]).toMatch(/^defense,clean_accuracy,attack,status,.*,top1,top5,judge2_top1,both_top1,knn_label,/);
  expect(csv.slice(1).map((l) => l.split(',').slice(2, 4).join(','))).toEqual(['mi-face,done', 'ked-mi,no-prior']);
  const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
  const jsonPath = await jsonDownload.path();
  const record = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  expect(record).toMatchObject({ format: 'inversion-playground-benchmark', version: 1, backend: 'wasm', state: 'done' });
  expect(record.config).toMatchObject({ defenses: ['target-dp-eps8'], attacks: ['mi-face', 'ked-mi'], seeds: [1], steps: 8, referencePerDigit: 10 });
  expect(record.cells[0].images).toHaveLength(5);

  // A fresh page with the default selection re-opens the same table from the saved record.
  await openBenchmark(page, 'backend=wasm');
  await expect(page.getByTestId('cell-target-none-mi-face')).toHaveAttribute('data-status', 'empty');
  await page.getByTestId('open-file').setInputFiles(jsonPath);
  await expect(page.getByTestId('table-source')).toHaveAttribute('data-source', 'file');
  await expect(page.getByTestId('cell-target-dp-eps8-mi-face').getByTestId('top1')).toHaveText(shown!);
  await expect(page.getByTestId('cell-target-dp-eps8-ked-mi')).toHaveAttribute('data-status', 'no-prior');
  await expect(page.getByTestId('row-target-none')).toHaveCount(0);
  expect(new URL(page.url()).searchParams.get('defenses')).toBe('target-dp-eps8');
  await page.getByTestId('cell-target-dp-eps8-mi-face').click();
  await expect(page.getByTestId('cell-detail').getByTestId('pair')).toHaveCount(5);
  await expect(page.getByTestId('export-json')).toBeEnabled();

  // A file that is not a run record: a notice, and the table stays.
  await page.getByTestId('open-file').setInputFiles({ name: 'notes.json', mimeType: 'application/json', buffer: Buffer.from('{"hello": 1}') });
  await expect(page.getByTestId('message-open')).toContainText('notes.json could not be opened');
  await expect(page.getByTestId('table-source')).toHaveAttribute('data-source', 'file');
});

test('pause holds the grid, resume finishes it; a Trap-MID row says how many reconstructions its trapdoor flags', async ({ page }) => {
  test.setTimeout(150_000);
  await openBenchmark(page, 'defenses=target-trap-mid&attacks=mi-face&seeds=1-2&steps=150&ref=10&backend=wasm');
  const bar = page.getByTestId('progress');
  const done = async () => Number(await bar.getAttribute('data-done'));
  await expect(page.getByTestId('pause')).toBeDisabled();
  await page.getByTestId('run').click();
  await expect.poll(done, { timeout: 60_000 }).toBeGreaterThan(5);
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  await expect(page.getByTestId('resume')).toBeEnabled();
  await expect(page.getByTestId('cell-target-trap-mid-mi-face')).toContainText('paused at');
  // The step in flight may still land; after that the count holds.
  let held = await done();
  await expect.poll(async () => { const now = await done(); const same = now === held; held = now; return same; }, { intervals: [1500], timeout: 30_000 }).toBe(true);
  await page.waitForTimeout(1500);
  expect(await done()).toBe(held);
  expect(held).toBeLessThan(300);

  await page.getByTestId('resume').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(bar).toHaveAttribute('data-done', '300');
  const cell = page.getByTestId('cell-target-trap-mid-mi-face');
  await expect(cell.getByTestId('flagged')).toHaveText(/^\d+(\.\d)?% flagged by the trapdoor$/);
  await cell.click();
  await expect(page.getByTestId('cell-detail')).toContainText(/Trapdoor detection: \d+(\.\d)?% of the reconstructions score above the threshold/);
  await expect(page.getByTestId('cell-detail').getByTestId('pair').first()).toContainText(/trapdoor score -?\d/);
});

test('a malformed link gives a visible notice and the defaults; the page works', async ({ page }) => {
  await openBenchmark(page, 'defenses=%3Cscript%3E,target-nope&attacks=nope&seeds=9-1&budget=huge&knowledge=all&steps=abc&ref=1&backend=wasm');
  const notice = page.getByTestId('message-url');
  await expect(notice).toBeVisible();
  await expect(notice).toContainText('is not a model id');
  await expect(notice).toContainText('Attack "nope" is unknown');
  await expect(notice).toContainText("Seeds: '9-1': a range goes up");
  await expect(notice).toContainText('Budget "huge" is unknown');
  await expect(notice).toContainText('Attacker knowledge "all" is unknown');
  await expect(notice).toContainText('Steps "abc" is not a number');
  await expect(notice).toContainText('below 10');
  // target-nope is checked against the engine's targets once it is up.
  await expect(notice).toContainText('Defense "target-nope" is not a target here');
  // The defaults, written back to the address.
  await expect(page.getByTestId('defense-target-none').locator('input')).toBeChecked();
  await expect(page.getByTestId('defense-target-trap-mid').locator('input')).toBeChecked();
  await expect(page.getByTestId('attack-mi-face').locator('input')).toBeChecked();
  await expect(page.getByTestId('attack-plg-mi').locator('input')).toBeChecked();
  await expect(page.getByTestId('f-seeds')).toHaveValue('1');
  await expect(page.getByTestId('f-steps')).toHaveValue('');
  await expect(page.getByTestId('f-ref')).toHaveValue('10');
  await expect(page.getByTestId('row-target-none')).toBeVisible();
  await expect(page.getByTestId('cell-target-trap-mid-plg-mi')).toBeVisible();
  const url = new URL(page.url());
  expect(url.searchParams.has('defenses')).toBe(false);
  expect(url.searchParams.get('ref')).toBe('10');
  // The selection edits the address; a typed bad seed list is refused with a note.
  await page.getByTestId('attack-gmi').locator('input').check();
  expect(new URL(page.url()).searchParams.get('attacks')).toBe('mi-face,plg-mi,gmi');
  await page.getByTestId('f-seeds').fill('1-3,x');
  await page.getByTestId('f-seeds').press('Enter');
  await expect(page.locator('#f-seeds-hint')).toContainText("'x' is not a seed");
  await expect(page.getByTestId('f-seeds')).toHaveValue('1');
  await page.getByTestId('f-seeds').fill('2-4');
  await page.getByTestId('f-seeds').press('Enter');
  await expect.poll(() => new URL(page.url()).searchParams.get('seeds')).toBe('2-4');
  await expect(page.getByTestId('run')).toBeEnabled();
});

test('the querying columns run behind the chosen output defense and query budget, and the link keeps both', async ({ page }) => {
  test.setTimeout(120_000);
  await openBenchmark(page, 'defenses=target-none&attacks=genetic&seeds=1&steps=2&ref=10&defense=dp%3A1&queries=120&backend=wasm');
  await expect(page.getByTestId('f-output-defense')).toHaveValue('dp:1');
  await expect(page.getByTestId('f-queries')).toHaveValue('120');
  await expect(page.getByTestId('output-defense-hint')).toContainText('for Genetic search (black-box)');
  await page.getByTestId('f-output-defense').selectOption('round:1');
  await expect.poll(() => new URL(page.url()).searchParams.get('defense')).toBe('round:1');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('cell-target-none-genetic')).toContainText(/\d/, { timeout: 90_000 });
  await expect(page.getByTestId('table-source')).toContainText('The querying columns ran behind the output defense round:1, at most 120 queries a run.');
  // The budget of 120 stopped the search after its first generation (80 queries) and part of the second.
  const csv = await (async () => {
    const download = page.waitForEvent('download');
    await page.getByTestId('export-csv').click();
    return fs.readFileSync(await (await download).path(), 'utf8');
  })();
  const [head, row] = csv.trim().split('\n').map((l) => l.split(','));
  expect(row[head.indexOf('output_defense')]).toBe('round:1');
  expect(row[head.indexOf('query_budget')]).toBe('120');
  expect(Number(row[head.indexOf('queries_per_run')])).toBeLessThanOrEqual(120);
});
