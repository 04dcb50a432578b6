// Bringing your own target to the attack lab: the files are picked on the page, checked and kept by the worker.
// The shipped target-none's files, uploaded, are accepted with their measured accuracy, become the target and are
// attacked by MI-Face; a broken model.json gives its message and the page keeps working. With SHOTS_DIR set, a
// screenshot of the attacked upload is written there.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canvasMean, expect, openLab, test } from './fixtures.ts';

const MODEL_DIR = path.resolve(import.meta.dirname, '../../public/models/target-none');
const modelFiles = ['model.json', 'weights.bin'].map((f) => path.join(MODEL_DIR, f));

test('an uploaded copy of target-none is accepted with its accuracy, picked and attacked by MI-Face', async ({ page }) => {
  await openLab(page, '?backend=wasm&steps=10', 'wasm');
  await page.getByTestId('load-model-files').setInputFiles(modelFiles);
  const note = page.getByTestId('uploaded-model');
  await expect(note).toBeVisible({ timeout: 60_000 });
  const text = ((await note.textContent()) ?? '').replace(/\s+/g, ' ');
  expect(text).toMatch(/Your model was accepted \(model\.json\): 5 outputs, read as digits 0–4; 1,199,237 parameters\./);
  expect(text).toMatch(/of 500 private test digits 0–4 right\. Attacks reconstruct the private digits among its outputs: 0–4\./);
  const accuracy = parseFloat((await page.getByTestId('uploaded-accuracy').textContent()) ?? '');
  expect(accuracy).toBeGreaterThan(95);
  // It is the target now, in the picker and the link.
  await expect(page.getByTestId('target-picker')).toHaveValue('uploaded');
  await expect(page.getByTestId('target-picker').locator('option:checked')).toHaveText('Your model (model.json)');
  expect(new URL(page.url()).searchParams.get('target')).toBe('uploaded');

  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('step-counter')).toHaveText('10 / 10');
  for (const d of [0, 1, 2, 3, 4]) await expect.poll(() => canvasMean(page, `recon-${d}`)).toBeGreaterThan(0);
  await expect(page.getByTestId('accuracy')).toHaveText(/top-1 \d+% · top-5 \d+%/);
  if (process.env.SHOTS_DIR) {
    fs.mkdirSync(process.env.SHOTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(process.env.SHOTS_DIR, 'uploaded-model-attacked.png'), fullPage: true });
  }

  // An attack that needs a prior trained for this very target says there is none.
  await page.getByTestId('reset').click();
  await page.getByTestId('attack-ked-mi').click();
  await expect(page.getByTestId('uploaded-attack-problem')).toContainText('there is no prior for an uploaded model');
  await page.getByTestId('attack-mi-face').click();
  await expect(page.getByTestId('uploaded-attack-problem')).toHaveCount(0);
});

test('a broken model.json gives its message; the page keeps working', async ({ page }) => {
  await openLab(page, '?backend=wasm&steps=5', 'wasm');
  await page.getByTestId('load-model-files').setInputFiles([
    { name: 'model.json', mimeType: 'application/json', buffer: Buffer.from('{"modelTopology": {"class_name": "Sequential"') },
    { name: 'weights.bin', mimeType: 'application/octet-stream', buffer: fs.readFileSync(modelFiles[1]) },
  ]);
  const message = page.getByTestId('message-upload');
  await expect(message).toContainText('model.json, weights.bin: not loaded as a target');
  await expect(message).toContainText('model.json is not valid JSON');
  await expect(page.getByTestId('uploaded-model')).toHaveCount(0);
  await expect(page.getByTestId('target-picker')).toHaveValue('target-none');
  await expect(page.getByTestId('load-model')).toBeEnabled();

  // A weight file missing: its own message. Then the page still runs an attack.
  await page.getByTestId('load-model-files').setInputFiles(modelFiles[0]);
  await expect(message).toContainText("needs the weight file 'weights.bin', which is not among the picked files");
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('step-counter')).toHaveText('5 / 5');
});
