// The benchmark on the faces (benchmark.html?dataset=faces) in headless Chromium on WASM, with a tiny grid (the softmax
// face recogniser, MI-Face for a few steps, one seed): the faces' own rows and columns, the real-people notice, a cell
// judged twice (the faces' second judge knows all 40 people), 64 x 64 pairs and "person k" rows in
// the cell's detail, the data set in the CSV and the run record; a bad data set in the link is corrected.
import * as fs from 'node:fs';
import type { Page } from '@playwright/test';
import { DATASETS } from '../../src/worker/catalog.ts';
import { expect, test } from './fixtures.ts';

const PEOPLE = DATASETS.faces.privateClasses;

async function openBenchmark(page: Page, query: string): Promise<void> {
  await page.goto(`./benchmark.html?${query}`);
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
}

test('?dataset=faces runs a 1-cell grid: two judges, 64 x 64 pairs per person, the data set in the exports', async ({ page }) => {
  test.setTimeout(150_000);
  await openBenchmark(page, 'dataset=faces&defenses=faces-target-softmax&attacks=mi-face&seeds=1&steps=3&backend=wasm');
  await expect(page.getByTestId('dataset-picker')).toHaveValue('faces');
  await expect(page.getByTestId('dataset-notice')).toContainText('real people');
  await expect(page.getByTestId('dataset-notice')).toContainText('AT&T Laboratories Cambridge');
  // The faces' rows only; the attacks that need a digit GAN are not offered; knowledge is the faces' one setting.
  await expect(page.getByTestId('defense-faces-target-softmax').locator('input')).toBeChecked();
  await expect(page.getByTestId('defense-faces-target-none').locator('input')).not.toBeChecked();
  await expect(page.getByTestId('defense-target-none')).toHaveCount(0);
  await expect(page.getByTestId('attack-ked-mi').locator('input')).toBeDisabled();
  await expect(page.getByTestId('attack-plg-mi').locator('input')).toBeEnabled();
  await expect(page.getByTestId('attack-gmi').locator('input')).toBeEnabled();
  await expect(page.getByTestId('f-knowledge')).toHaveCount(0);
  await expect(page.getByTestId('how-to-read').getByTestId('two-judges')).toContainText('knows all 40 people');

  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  const cell = page.getByTestId('cell-faces-target-softmax-mi-face');
  await expect(cell).toHaveAttribute('data-status', 'done');
  await expect(cell.getByTestId('top1')).toHaveText(/^\d+(\.\d)?% \/ \d+(\.\d)?%$/);
  await expect(cell).toContainText(/KNN \d+ · FID \d+/);
  // Both judges' figures.
  const judge2 = cell.getByTestId('top1-judge2');
  await expect(judge2).toHaveText(/^judge 2 \d+(\.\d)?% · both \d+(\.\d)?%$/);
  await expect(judge2).toHaveAttribute('title', /attacked person/);
  await expect(page.getByTestId('progress')).toHaveAttribute('data-done', '3');
  await expect(page.getByTestId('table-source')).toContainText('160 private training images (all of them');

  await cell.click();
  const detail = page.getByTestId('cell-detail');
  await expect(detail.getByTestId('judges')).toContainText(/second judge top-1 \d+(\.\d)?%; both \d+(\.\d)?%; KNN-label \d+(\.\d)?%/);
  await expect(detail.getByTestId('no-judge2')).toHaveCount(0);
  await expect(detail.getByTestId('public-nearest')).toContainText(/nearest a stranger's photo \d+(\.\d)?%/);
  const rows = detail.getByTestId('per-class').locator('tbody tr');
  await expect(rows).toHaveCount(PEOPLE.length);
  await expect(rows.first().locator('th')).toHaveText(`person ${PEOPLE[0]}`);
  await expect(rows.first().locator('td').nth(3)).toHaveText(/^\d+(\.\d)?%$/);
  await expect(detail.getByTestId('pair')).toHaveCount(PEOPLE.length);
  await expect(detail.getByTestId('pair').first()).toContainText(`person ${PEOPLE[0]} · seed 1: evaluator says person`);
  await expect(detail.getByTestId('pair-judge2').first()).toHaveText(/^person \d+$/);
  await expect(detail.getByTestId('judges-explain')).toHaveCount(1);
  // 64 x 64 images, drawn at twice their size.
  for (const id of ['recon-0', 'nearest-0']) {
    await expect(detail.getByTestId(id)).toHaveAttribute('width', '64');
    await expect(detail.getByTestId(id)).toHaveAttribute('height', '64');
  }
  const box = await detail.getByTestId('nearest-0').boundingBox();
  expect(Math.round(box!.width)).toBe(128);
  // The nearest private image is a real photo: bright on average (a face has no black background).
  const mean = await detail.getByTestId('nearest-0').evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let s = 0;
    for (let i = 0; i < d.length; i += 4) s += d[i];
    return s / (d.length / 4);
  });
  expect(mean).toBeGreaterThan(40);

  const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-csv').click()]);
  const [head, row] = fs.readFileSync(await csvDownload.path(), 'utf8').trim().split('\n');
  const cols = head.split(','), vals = row.split(',');
  expect(vals[cols.indexOf('dataset')]).toBe('faces');
  expect(Number(vals[cols.indexOf('judge2_top1')])).toBeGreaterThanOrEqual(0);
  expect(vals[cols.indexOf('knn_label')]).toMatch(/^[01](\.\d+)?$/);
  const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
  const jsonPath = await jsonDownload.path();
  const record = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
  expect(record.config).toMatchObject({ dataset: 'faces', defenses: ['faces-target-softmax'], attacks: ['mi-face'], steps: 3 });
  expect(record.reference).toEqual({ images: 160, perDigit: null, fidImages: 160 });

  // The record re-opens on an MNIST page as the faces table, and switches the page to the faces.
  await openBenchmark(page, 'backend=wasm');
  await page.getByTestId('open-file').setInputFiles(jsonPath);
  await expect(page.getByTestId('table-source')).toHaveAttribute('data-source', 'file');
  await expect(page.getByTestId('dataset-picker')).toHaveValue('faces');
  await expect(page.getByTestId('cell-faces-target-softmax-mi-face').getByTestId('top1-judge2')).toHaveText(await judge2.textContent() ?? '');
  await expect.poll(() => new URL(page.url()).searchParams.get('dataset')).toBe('faces');
});

test('a bad data set in the link is corrected with a notice; the picker switches data sets and the rows follow', async ({ page }) => {
  await openBenchmark(page, 'dataset=cats&backend=wasm');
  await expect(page.getByTestId('message-url')).toContainText('Data set "cats" is unknown (use mnist, faces); using mnist');
  await expect(page.getByTestId('dataset-picker')).toHaveValue('mnist');
  await expect(page.getByTestId('defense-target-none').locator('input')).toBeChecked();
  await expect(page.getByTestId('defense-faces-target-none')).toHaveCount(0);
  // The digits' page explains why their two judges can disagree.
  await expect(page.getByTestId('how-to-read').getByTestId('two-judges')).toContainText('Two judges');
  expect(new URL(page.url()).searchParams.has('dataset')).toBe(false);

  await page.getByTestId('dataset-picker').selectOption('faces');
  await expect.poll(() => new URL(page.url()).searchParams.get('dataset')).toBe('faces');
  await expect(page.getByTestId('defense-faces-target-none').locator('input')).toBeChecked();
  await expect(page.getByTestId('defense-target-none')).toHaveCount(0);
  await expect(page.getByTestId('row-faces-target-none')).toBeVisible();
  await expect(page.getByTestId('cell-faces-target-none-mi-face')).toBeVisible();
  await expect(page.getByTestId('dataset-notice')).toBeVisible();
  await page.getByTestId('dataset-picker').selectOption('mnist');
  await expect(page.getByTestId('defense-target-none').locator('input')).toBeChecked();
  await expect(page.getByTestId('row-target-trap-mid')).toBeVisible();
  await expect.poll(() => new URL(page.url()).searchParams.has('dataset')).toBe(false);

  // Digits in a faces link: the rows and the attacks that are not the faces' are dropped, each with a notice.
  await openBenchmark(page, 'dataset=faces&defenses=target-none&attacks=ked-mi,mi-face&knowledge=other-writers&backend=wasm');
  const notice = page.getByTestId('message-url');
  await expect(notice).toContainText('KED-MI (distributional) does not run on the Olivetti faces');
  await expect(notice).toContainText('Attacker knowledge "other-writers" is a digits setting');
  await expect(notice).toContainText('Defense "target-none" is not a target of the Olivetti faces');
  await expect(page.getByTestId('defense-faces-target-none').locator('input')).toBeChecked();
  await expect(page.getByTestId('attack-mi-face').locator('input')).toBeChecked();
  await expect(page.getByTestId('attack-ked-mi').locator('input')).not.toBeChecked();
});
