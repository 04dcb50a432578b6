// The faces (?dataset=faces) in the attack lab: the data set is a parameter of the page, the grid shows one card per
// private person beside a real photo of them, the faces' notice and credit are on show, and an attack runs on them.
import * as fs from 'node:fs';
import { PNG } from 'pngjs';
import { DATASETS } from '../../src/worker/catalog.ts';
import { FACES_FILES, parseFaces, splitFaces } from '../../src/core/data/faces.ts';
import { canvasMean, expect, openLab, test } from './fixtures.ts';

const PEOPLE = DATASETS.faces.privateClasses;

test('?dataset=faces attacks the face recogniser: a card per private person beside their photo, the notice and credit', async ({ page }) => {
  await openLab(page, '?dataset=faces&backend=wasm&steps=15', 'wasm');
  await expect(page.getByTestId('dataset-picker')).toHaveValue('faces');
  await expect(page.getByTestId('target-picker')).toHaveValue('faces-target-none');
  await expect(page.getByTestId('dataset-notice')).toContainText('real people');
  await expect(page.getByTestId('dataset-notice')).toContainText('AT&T Laboratories Cambridge');
  // One card per private person, each with a real photo (a face has no black background: bright on average).
  for (const p of PEOPLE) await expect(page.getByTestId(`person-${p}`)).toBeVisible();
  await expect(page.getByTestId('digit-0')).toHaveCount(0);
  await expect.poll(() => canvasMean(page, `sample-${PEOPLE[0]}`)).toBeGreaterThan(40);
  // Attacks whose prior is trained per digit target are not offered on faces; PLG-MI has its faces GAN.
  await expect(page.getByRole('radio', { name: 'PLG-MI (conditional GAN)' })).toBeEnabled();
  await expect(page.getByRole('radio', { name: /^KED-MI/ })).toBeDisabled();
  await expect(page.getByRole('radio', { name: /PLG-MI\+\+/ })).toBeDisabled();
  await expect(page.getByRole('radio', { name: /LOKT/ })).toBeDisabled();
  await expect(page.getByRole('radio', { name: /MI-Face/ })).toBeEnabled();
  // The grid's explanation and "How to read this" speak of people and faces, not of digits.
  await page.getByTestId('grid-explain-button').click();
  await expect(page.getByTestId('grid-explain-text')).toContainText('One card per private person');
  await expect(page.getByTestId('grid-explain-text')).toContainText('a stranger');
  await expect(page.getByTestId('grid-explain-text')).not.toContainText('digit');
  await expect(page.locator('#explain-title + ul')).toContainText('what a face looks like');
  await expect(page.locator('#explain-title + ul')).not.toContainText('digit');

  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
  await expect(page.getByTestId('step-counter')).toHaveText('15 / 15');
  for (const p of PEOPLE.slice(0, 3)) {
    expect(await canvasMean(page, `recon-${p}`)).toBeGreaterThan(0);
    await expect(page.getByTestId(`verdict-${p}`)).toContainText(/evaluator sees\s*\d+ \(\d+(\.\d)?%\)/);
    await expect(page.getByTestId(`verdict2-${p}`)).toContainText(/judge 2 sees\s*\d+ \(\d+(\.\d)?%\)/);
  }
  await expect(page.getByTestId('accuracy-2')).toHaveText(/top-1 \d+(\.\d)?% · both \d+(\.\d)?%/);
  // Twenty confidence lines, one per person.
  await expect(page.getByTestId('confidence-chart').locator('path.series')).toHaveCount(PEOPLE.length);
});

test('PLG-MI on faces searches the faces\' conditional GAN: a face per person forms, judged by the faces evaluator', async ({ page }) => {
  await openLab(page, '?dataset=faces&attack=plg-mi&backend=wasm&steps=4&restarts=1', 'wasm');
  await expect(page.getByRole('radio', { name: 'PLG-MI (conditional GAN)' })).toBeChecked();
  await expect(page.getByTestId('attack-dataset-note')).toContainText('eigenface space');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
  await expect(page.getByTestId('step-counter')).toHaveText('4 / 4');
  for (const p of PEOPLE.slice(0, 3)) {
    // A GAN face is grey all over, not a black canvas.
    expect(await canvasMean(page, `recon-${p}`)).toBeGreaterThan(20);
    await expect(page.getByTestId(`verdict-${p}`)).toContainText(/evaluator sees\s*\d+ \(\d+(\.\d)?%\)/);
  }
});

test('the faces\' Trap-MID target shows its trapdoor: a trigger per person, the detector\'s histograms over public photos, reconstructions scored', async ({ page }) => {
  await openLab(page, '?dataset=faces&target=faces-target-trap-mid&backend=wasm&steps=5', 'wasm');
  const panel = page.getByTestId('trapdoor-panel');
  await expect(panel).toContainText('for each person a faint trigger pattern');
  await expect(panel.getByRole('group', { name: 'The learned triggers, one per person' }).locator('canvas')).toHaveCount(PEOPLE.length);
  await expect(page.getByTestId('hist-recon')).toContainText('public photos (other people)');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
  await expect(page.getByTestId('trap-stats')).toHaveAttribute('data-flagged', /^\d/);
});

test('the data set picker switches to the faces and back, and the URL follows', async ({ page }) => {
  await openLab(page, '?backend=wasm');
  await page.getByTestId('dataset-picker').selectOption('faces');
  await expect(page.getByTestId('target-picker')).toHaveValue('faces-target-none');
  await expect.poll(() => new URL(page.url()).searchParams.get('dataset')).toBe('faces');
  await expect(page.getByTestId(`person-${PEOPLE[0]}`)).toBeVisible();
  await expect.poll(() => canvasMean(page, `sample-${PEOPLE[0]}`)).toBeGreaterThan(40);
  await page.getByTestId('dataset-picker').selectOption('mnist');
  await expect(page.getByTestId('target-picker')).toHaveValue('target-none');
  await expect(page.getByTestId('digit-3')).toBeVisible();
  await expect.poll(() => new URL(page.url()).searchParams.get('dataset')).toBeNull();
});

test('a bad dataset value, a digits-only attack or a digit target on faces is corrected with a notice', async ({ page }) => {
  await openLab(page, '?dataset=cats&backend=wasm');
  await expect(page.getByTestId('message-url')).toContainText('Data set "cats" is unknown');
  await expect(page.getByTestId('dataset-picker')).toHaveValue('mnist');

  await openLab(page, '?dataset=faces&attack=ked-mi&target=target-none&backend=wasm');
  const notice = page.getByTestId('message-url');
  await expect(notice).toContainText('does not run on the Olivetti faces');
  await expect(notice).toContainText('Target "target-none" is not one of the Olivetti faces');
  await expect(page.getByRole('radio', { name: /MI-Face/ })).toBeChecked();
  await expect(page.getByTestId('target-picker')).toHaveValue('faces-target-none');
});

/** A private test photo of `person` (the target never trained on it) as a 64 x 96 PNG: white bands above and below. */
async function testPhotoPng(person: number): Promise<Buffer> {
  const read = (f: string) => new Uint8Array(fs.readFileSync(`data/olivetti/${f}`));
  const { privateTest } = splitFaces(await parseFaces(read(FACES_FILES.images.name), read(FACES_FILES.labels.name)));
  const k = Array.from(privateTest.labels).indexOf(person);
  const side = 64, png = new PNG({ width: side, height: 96 });
  png.data.fill(255);
  for (let i = 0; i < side * side; i++) {
    const grey = privateTest.images[k * side * side + i];
    png.data.set([grey, grey, grey, 255], 4 * (16 * side + i));
  }
  return PNG.sync.write(png);
}

test('probe a face: a training photo, and a photo file of a face the target never saw, cropped to its centre', async ({ page }) => {
  await openLab(page, '?dataset=faces&backend=wasm', 'wasm');
  const panel = page.getByTestId('probe-panel');
  await expect(panel.getByRole('heading')).toHaveText('Probe a face');
  await expect(page.getByTestId('probe-result')).toContainText('Load a photo or pick a training photo');

  // A training photo: the target names its person, and shows the five likeliest.
  const [first, second] = PEOPLE;
  await page.getByTestId('probe-sample').selectOption({ label: `person ${second}` });
  await expect(page.getByTestId('probe-predicted')).toHaveAttribute('data-class', String(second));
  await expect(page.getByTestId('probe-probs').locator('li')).toHaveCount(5);
  await expect(page.getByTestId('probe-result')).toContainText(`person ${second}'s training photo`);

  // A photo file, taller than wide: its central square is the test photo, which the target has never seen.
  await page.getByTestId('probe-file').setInputFiles({ name: 'portrait.png', mimeType: 'image/png', buffer: await testPhotoPng(first) });
  await expect(page.getByTestId('probe-predicted')).toHaveAttribute('data-class', String(first));
  await expect(page.getByTestId('probe-result')).toContainText('portrait.png: its central square');
  expect(await canvasMean(page, 'probe-face')).toBeGreaterThan(40);

  // Back to digits: the face is dropped, the digit pad is back.
  await page.getByTestId('dataset-picker').selectOption('mnist');
  await expect(panel.getByRole('heading')).toHaveText('Probe a digit');
  await expect(page.getByTestId('probe-predicted')).toHaveCount(0);
});
