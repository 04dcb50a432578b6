// The attack lab in real headless Chromium. WASM is the fast backend here (WebGPU and WebGL run on SwiftShader),
// so most tests force it; one test runs the default order (WebGPU first) with a handful of steps.
import { ATTACKS, KNOWLEDGE_INFO, attackInfo, knobValues, priorId, type AttackId } from '../../src/worker/catalog.ts';
import {
  canvasMean, expect, expectRoundTrip, expectStaysPaused, injectDeviceLoss, msPerStep, openLab, reconstructionImages, settledStep, shownStep,
  skipUnlessServed, test,
} from './fixtures.ts';

test('loads, starts the engine worker and shows the backend and the private samples', async ({ page }) => {
  await openLab(page, '?backend=wasm', 'wasm');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Inversion Playground');
  await expect(page.getByTestId('backend-name')).toHaveText('WASM');
  // The refusal disclosure is there and opens.
  await page.getByTestId('backend-badge').locator('summary').click();
  await expect(page.getByTestId('backend-badge').locator('details')).toHaveAttribute('open', '');
  // Real private digits are drawn beside the (still blank) reconstructions.
  for (const d of [0, 1, 2, 3, 4]) {
    await expect.poll(() => canvasMean(page, `sample-${d}`)).toBeGreaterThan(5);
    expect(await canvasMean(page, `recon-${d}`)).toBe(0);
  }
  await expect(page.getByTestId('pause')).toBeDisabled();
  await expect(page.getByTestId('reset')).toBeDisabled();
  await expect(page.getByRole('img', { name: /Reconstruction of digit 3: blank/ })).toBeVisible();
});

test('Run forms the reconstructions, advances the step counter and draws the charts', async ({ page }) => {
  await openLab(page, '?backend=wasm&steps=20', 'wasm');
  const before = await reconstructionImages(page);
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('step-counter')).toHaveText('20 / 20');
  const after = await reconstructionImages(page);
  for (let d = 0; d < 5; d++) expect(after[d], `reconstruction of digit ${d} changed`).not.toBe(before[d]);
  for (let d = 0; d < 5; d++) expect(await canvasMean(page, `recon-${d}`)).toBeGreaterThan(0);

  // Charts: one loss line, five confidence lines, all with data.
  const lossPaths = page.getByTestId('loss-chart').locator('path.series');
  await expect(lossPaths).toHaveCount(1);
  expect((await lossPaths.first().getAttribute('d'))?.length ?? 0).toBeGreaterThan(20);
  const confPaths = page.getByTestId('confidence-chart').locator('path.series');
  await expect(confPaths).toHaveCount(5);
  for (const d of await confPaths.evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? ''))) expect(d.length).toBeGreaterThan(20);

  // Scores: the target's confidence and the evaluator's verdict per digit, the attack accuracy, the elapsed time.
  for (const d of [0, 1, 2, 3, 4]) {
    await expect(page.getByTestId(`confidence-${d}`)).toHaveText(/^\d+(\.\d)?%$/);
    await expect(page.getByTestId(`verdict-${d}`)).toContainText(/evaluator sees\s*\d \(\d+(\.\d)?%\)/);
    const match = await page.getByTestId(`verdict-${d}`).getAttribute('data-match');
    expect(['true', 'false']).toContain(match);
    // ... and the second judge's, under it.
    await expect(page.getByTestId(`verdict2-${d}`)).toContainText(/judge 2 sees\s*\d \(\d+(\.\d)?%\)/);
    await expect(page.getByTestId(`verdict2-${d}`)).toHaveAttribute('data-match', /^(true|false)$/);
    await expect(page.getByTestId(`verdict2-${d}`)).toHaveAttribute('data-verdict', /^(clear|barely|wrong|blank)$/);
  }
  await expect(page.getByTestId('accuracy')).toHaveText(/top-1 \d+% · top-5 \d+%/);
  await expect(page.getByTestId('accuracy-2')).toHaveText(/top-1 \d+% · both \d+%/);
  await expect(page.getByTestId('elapsed')).toHaveText(/\d+(\.\d)? s/);
  await expect(page.getByRole('img', { name: /Reconstruction of digit 2 at step 20: target confidence \d/ })).toBeVisible();

  // The run is reproducible from its link: the settings are in the URL.
  expect(new URL(page.url()).searchParams.get('steps')).toBe('20');
  await expect(page.getByTestId('run')).toHaveText(/Run again/);
});

test('Pause, Step, Resume and Reset', async ({ page }) => {
  await openLab(page, '?backend=wasm&steps=3000', 'wasm');
  await page.getByTestId('run').click();
  await expect.poll(() => shownStep(page)).toBeGreaterThan(0);
  await expect(page.getByTestId('f-steps')).toBeDisabled();
  const pace = await msPerStep(page);
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  await expect(page.getByTestId('pause')).toBeDisabled();
  await expect(page.getByTestId('run')).toHaveText(/Resume/);

  // Stays put while paused; each Step moves exactly one step (the first one also brings the view up to date).
  const paused = await expectStaysPaused(page, pace);
  await page.getByTestId('step').click();
  await expect.poll(() => shownStep(page)).toBeGreaterThan(paused);
  const once = await settledStep(page);
  const img = await reconstructionImages(page);
  await page.getByTestId('step').click();
  await expect.poll(() => shownStep(page)).toBe(once + 1);
  await expect(page.getByTestId('step')).toBeEnabled();
  expect(await reconstructionImages(page)).not.toEqual(img);

  // Resume runs on from there.
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'running');
  await expect.poll(() => shownStep(page)).toBeGreaterThan(once + 5);

  // Reset stops the run and clears the view.
  await page.getByTestId('reset').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'idle');
  await expect(page.getByTestId('step-counter')).toHaveText('0 / 3000');
  await page.waitForTimeout(300);
  expect(await shownStep(page)).toBe(0);
  for (let d = 0; d < 5; d++) expect(await canvasMean(page, `recon-${d}`)).toBe(0);
  await expect(page.getByTestId('loss-chart').locator('path.series')).toHaveAttribute('d', '');
  await expect(page.getByTestId('f-steps')).toBeEnabled();
});

test('Step from a fresh page starts a paused run at step 1', async ({ page }) => {
  await openLab(page, '?backend=wasm&steps=50', 'wasm');
  await page.getByTestId('step').click();
  await expect(page.getByTestId('step-counter')).toHaveText('1 / 50');
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
  expect(await canvasMean(page, 'recon-0')).toBeGreaterThan(0);
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('step-counter')).toHaveText('50 / 50');
});

test('the settings inputs validate, clamp and write the URL', async ({ page }) => {
  await openLab(page, '?backend=wasm', 'wasm');
  const steps = page.getByTestId('f-steps');
  await steps.fill('999999');
  await steps.press('Enter');
  await expect(steps).toHaveValue('5000');
  await expect(page.locator('#f-steps-note')).toContainText('above 5000');
  await expect.poll(() => new URL(page.url()).searchParams.get('steps')).toBe('5000');

  const lr = page.getByTestId('f-learningRate');
  await lr.fill('0.2');
  await lr.press('Tab');
  await expect.poll(() => new URL(page.url()).searchParams.get('lr')).toBe('0.2');

  const seed = page.getByTestId('f-seed');
  await seed.fill('-3');
  await seed.press('Tab');
  await expect(seed).toHaveValue('0');
  await page.getByLabel('Start image').selectOption('zeros');
  await expect.poll(() => new URL(page.url()).searchParams.get('init')).toBe('zeros');
});

test('?backend=webgl runs on WebGL', async ({ page }) => {
  await openLab(page, '?backend=webgl&steps=3', 'webgl');
  await expect(page.getByTestId('backend-name')).toHaveText('WebGL 2');
  await expect(page.getByLabel('Backend')).toHaveValue('webgl');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('step-counter')).toHaveText('3 / 3');
});

test('without ?backend=, the engine refuses WebGPU and WebGL on SwiftShader (software) for WASM, says why, and runs', async ({ page }) => {
  await openLab(page, '?steps=2');
  const badge = page.getByTestId('backend-badge');
  await expect(badge).toHaveAttribute('data-backend', 'wasm');
  await badge.locator('summary').click();
  const reasons = badge.locator('li');
  await expect(reasons.filter({ hasText: 'WebGPU' })).toContainText(/adapter is software \(.*swiftshader.*\).*slower than WASM/i);
  await expect(reasons.filter({ hasText: 'WebGL 2' })).toContainText(/adapter is software \(.*SwiftShader.*\)/);
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('step-counter')).toHaveText('2 / 2');
  expect(await canvasMean(page, 'recon-1')).toBeGreaterThan(0);
});

test('?backend=webgpu still runs on the emulated WebGPU adapter when asked', async ({ page }) => {
  test.setTimeout(150_000);
  await openLab(page, '?backend=webgpu&steps=2', 'webgpu');
  await expect(page.getByTestId('backend-name')).toHaveText('WebGPU');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(page.getByTestId('step-counter')).toHaveText('2 / 2');
});

test('a malformed URL is corrected with a visible notice and the page still runs', async ({ page }) => {
  await openLab(page, '?steps=abc&seed=-5&backend=nonsense&lr=7&tv=x');
  const notice = page.getByTestId('message-url');
  await expect(notice).toBeVisible();
  await expect(notice).toContainText('invalid');
  await expect(notice).toContainText('Steps "abc" is not a number');
  await expect(notice).toContainText('Seed -5 is below 0');
  await expect(notice).toContainText('Backend "nonsense" is unknown');
  await expect(notice).toContainText('Learning rate 7 is above 1');
  await expect(page.getByTestId('f-steps')).toHaveValue('300');
  await expect(page.getByTestId('f-seed')).toHaveValue('0');
  await expect(page.getByTestId('f-learningRate')).toHaveValue('1');
  // The address now holds the corrected settings.
  const q = new URL(page.url()).searchParams;
  expect(q.get('seed')).toBe('0');
  expect(q.get('backend')).toBeNull();
  expect(q.get('steps')).toBeNull();
  // Keep the run tiny (the automatic backend is WebGPU on SwiftShader here), then run it.
  await page.getByTestId('f-steps').fill('2');
  await page.getByTestId('f-steps').press('Enter');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 120_000 });
  await expect(page.getByTestId('step-counter')).toHaveText('2 / 2');
  // The notice can be dismissed.
  await notice.getByRole('button', { name: /Dismiss/ }).click();
  await expect(notice).toHaveCount(0);
});

test('a missing model shows a clear error and the page stays usable', async ({ page, guard }) => {
  guard.allowConsoleError(/404|Failed to load resource/i);
  await page.route('**/models/target-none/model.json', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await openLab(page, '?backend=wasm&steps=5', 'wasm');
  await page.getByTestId('run').click();
  const alert = page.getByTestId('message-run');
  await expect(alert).toBeVisible();
  await expect(alert).toHaveAttribute('role', 'alert');
  await expect(alert).toContainText('The attack could not start');
  await expect(alert).toContainText("model 'target-none' could not be loaded");
  await expect(alert).toContainText('404');
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'idle');
  await expect(page.getByTestId('run')).toBeEnabled();
  await expect(page.getByTestId('f-steps')).toBeEnabled();

  // Once the model is back, the same page runs.
  await page.unroute('**/models/target-none/model.json');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('step-counter')).toHaveText('5 / 5');
  await expect(alert).toHaveCount(0);
});

test('an engine that cannot start shows an error with a restart button', async ({ page, guard }) => {
  guard.allowConsoleError(/500|Failed to load resource/i);
  let fail = true;
  await page.route('**/models/manifest.json', (route) => (fail ? route.fulfill({ status: 500, body: 'oops' }) : route.continue()));
  await page.goto('./attack.html?backend=wasm&steps=3');
  const alert = page.getByTestId('message-init');
  await expect(alert).toBeVisible({ timeout: 60_000 });
  await expect(alert).toContainText('The engine could not start');
  await expect(alert).toContainText('manifest.json: HTTP 500');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'failed');
  await expect(page.getByTestId('run')).toBeDisabled();
  fail = false;
  await page.getByTestId('restart-engine').click();
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready');
  await expect(alert).toHaveCount(0);
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done');
});

test('a crashed engine worker is replaced and the page says so', async ({ page, guard }) => {
  guard.allowConsoleError(/simulated worker crash/);
  // The first worker script the page loads throws at start-up; the replacement loads normally.
  await page.route(/engine\.worker/, (route) => route.fulfill({ status: 200, contentType: 'text/javascript', body: 'throw new Error("simulated worker crash");' }), { times: 1 });
  await page.goto('./attack.html?backend=wasm&steps=5');
  const notice = page.getByTestId('message-crash');
  await expect(notice).toBeVisible({ timeout: 60_000 });
  await expect(notice).toContainText('crashed and was restarted');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'wasm');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done');
});

test('the backend picker restarts the engine on the chosen backend', async ({ page }) => {
  await openLab(page, '?backend=wasm&steps=2', 'wasm');
  await page.getByLabel('Backend').selectOption('webgl');
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'webgl', { timeout: 60_000 });
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready');
  expect(new URL(page.url()).searchParams.get('backend')).toBe('webgl');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
});

test('a job that fails mid-run (GPU device lost) shows the error and offers WASM', async ({ page }) => {
  await openLab(page, '?backend=webgl&steps=3000', 'webgl');
  await page.getByTestId('run').click();
  await expect.poll(() => shownStep(page), { timeout: 60_000 }).toBeGreaterThan(0);
  await injectDeviceLoss(page);
  const alert = page.getByTestId('message-job-failed');
  await expect(alert).toBeVisible({ timeout: 60_000 });
  await expect(alert).toHaveAttribute('role', 'alert');
  await expect(alert).toContainText('The attack stopped at step');
  await expect(alert).toContainText('GPU device was lost');
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'failed');
  // The reconstructions of the last good snapshot stay on screen.
  expect(await canvasMean(page, 'recon-0')).toBeGreaterThan(0);

  await page.getByTestId('switch-backend').click();
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready');
  await expect(alert).toHaveCount(0);
  expect(new URL(page.url()).searchParams.get('backend')).toBe('wasm');
  await page.getByTestId('f-steps').fill('10');
  await page.getByTestId('f-steps').press('Enter');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('step-counter')).toHaveText('10 / 10');
});

test('boost contrast brightens the faint reconstructions on screen only', async ({ page }) => {
  await openLab(page, '?backend=wasm&steps=30', 'wasm');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done');
  const plain = await canvasMean(page, 'recon-2');
  const accuracy = await page.getByTestId('accuracy').textContent();
  await page.getByTestId('stretch').check();
  await expect.poll(() => canvasMean(page, 'recon-2')).toBeGreaterThan(plain * 1.2);
  // The evaluator's verdict is about the real pixels: unchanged.
  await expect(page.getByTestId('accuracy')).toHaveText(accuracy!);
  await page.getByTestId('stretch').uncheck();
  await expect.poll(() => canvasMean(page, 'recon-2')).toBeCloseTo(plain, 5);
});

// ---------------------------------------------------------------------------------------------------------------
// Every attack of the catalog: the picker, its settings in the URL, and the GAN attacks' candidate grid.

test('the attack picker shows every attack with its threat model and summary, and the settings follow the choice', async ({ page }) => {
  await openLab(page, '?backend=wasm', 'wasm');
  for (const a of ATTACKS) {
    await expect(page.getByTestId(`attack-${a.id}`)).toContainText(a.name);
    await expect(page.getByTestId(`attack-${a.id}`)).toContainText(a.threat);
  }
  await expect(page.getByRole('radio', { name: /MI-Face/ })).toBeChecked();
  await expect(page.getByLabel('Start image')).toBeVisible();
  await expect(page.getByTestId('knowledge')).toHaveCount(0);
  await expect(page.getByTestId('output-defense')).toHaveCount(0);

  // GMI: its summary, the attacker-knowledge select with its one-line summary, the catalog's knobs.
  await page.getByRole('radio', { name: /GMI \(GAN prior\)/ }).check();
  const summary = page.getByTestId('attack-summary');
  await expect(summary).toContainText(attackInfo('gmi').summary);
  await expect(summary).toContainText('white-box');
  await expect.poll(() => new URL(page.url()).searchParams.get('attack')).toBe('gmi');
  await expect(page.getByLabel('Start image')).toHaveCount(0);
  await expect(page.getByTestId('f-tv')).toHaveCount(0);
  await expect(page.getByTestId('f-restarts')).toHaveValue('5');
  await expect(page.getByLabel('Identity weight')).toHaveValue('100');
  await expect(page.getByText(attackInfo('gmi').knobs[1].help)).toBeVisible();
  await page.getByLabel('What the attacker knows').selectOption('other-writers');
  await expect(page.getByText(KNOWLEDGE_INFO['other-writers'].summary)).toBeVisible();
  await expect.poll(() => new URL(page.url()).searchParams.get('knowledge')).toBe('other-writers');
  await expect(page.getByTestId('output-defense')).toHaveCount(0);

  // Paper settings and back to the browser budget.
  await page.getByTestId('preset-paper').click();
  await expect(page.getByTestId('f-steps')).toHaveValue(String(knobValues('gmi', 'paper').steps));
  await expect.poll(() => new URL(page.url()).searchParams.get('steps')).toBe('1500');
  await page.getByTestId('preset-browser').click();
  await expect(page.getByTestId('f-steps')).toHaveValue('300');
  await expect.poll(() => new URL(page.url()).searchParams.get('steps')).toBeNull();

  // The black-box attack has an output defense; its paper budget is a bigger population.
  await page.getByTestId('attack-genetic').click();
  await expect(summary).toContainText('black-box');
  await page.getByLabel('Output defense').selectOption('label-only');
  await expect.poll(() => new URL(page.url()).searchParams.get('defense')).toBe('label-only');
  await page.getByTestId('preset-paper').click();
  await expect(page.getByTestId('f-population')).toHaveValue('64');
  await page.getByTestId('attack-brep-mi').click();
  await expect(summary).toContainText('label-only');
  await expect(page.getByTestId('f-probes')).toHaveValue('32');

  // MI-Face's paper settings include the paper's blank start.
  await page.getByTestId('attack-mi-face').click();
  await expect(page.getByTestId('f-tv')).toHaveValue('0.3');
  await page.getByTestId('preset-paper').click();
  await expect(page.getByTestId('f-steps')).toHaveValue('1000');
  await expect(page.getByTestId('f-tv')).toHaveValue('0.005');
  await expect(page.getByLabel('Start image')).toHaveValue('zeros');
  const q = new URL(page.url()).searchParams;
  expect([q.get('attack'), q.get('steps'), q.get('lr'), q.get('l2'), q.get('init'), q.get('defense')]).toEqual([null, '1000', '0.1', '0', 'zeros', null]);
});

test('attack, knowledge, output defense, knobs, target and seed round-trip through the URL', async ({ page }) => {
  const query = '?attack=genetic&knowledge=other-writers&defense=round%3A1&steps=12&population=24&mutationRate=0.2&seed=7&target=target-mid&backend=wasm';
  await expectRoundTrip(page, query, async (pass) => {
    await expect(page.getByRole('radio', { name: /Genetic search/ }), pass).toBeChecked();
    await expect(page.getByLabel('What the attacker knows')).toHaveValue('other-writers');
    await expect(page.getByLabel('Output defense')).toHaveValue('round:1');
    await expect(page.getByTestId('f-steps')).toHaveValue('12');
    await expect(page.getByTestId('f-population')).toHaveValue('24');
    await expect(page.getByTestId('f-mutationRate')).toHaveValue('0.2');
    await expect(page.getByTestId('f-mutationScale')).toHaveValue('0.5');
    await expect(page.getByTestId('f-seed')).toHaveValue('7');
    await expect(page.getByTestId('target-picker')).toHaveValue('target-mid');
  });
});

test('the genetic search against differentially private answers stops at its query budget, and both settings round-trip through the link', async ({ page }) => {
  skipUnlessServed('GAN prior', 'gan-disjoint');
  // 5 digits x 4 latents = 20 queries a generation: 50 pays for the first population, one generation and half of another.
  await openLab(page, '?backend=wasm&attack=genetic&population=4&steps=500', 'wasm');
  await page.getByLabel('Output defense').selectOption('dp:1');
  await page.getByTestId('f-budget').fill('50');
  await page.getByTestId('f-budget').press('Enter');
  await expect.poll(() => new URL(page.url()).searchParams.get('budget')).toBe('50');
  expect(new URL(page.url()).searchParams.get('defense')).toBe('dp:1');

  await page.getByTestId('run').click();
  const status = page.getByTestId('run-status');
  await expect(status).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(status).toHaveText('Stopped at the query budget (50 queries)');
  await expect(page.getByTestId('queries')).toHaveText('50 / 50');
  await expect(page.getByTestId('step-counter')).toHaveText('2 / 500');

  await page.reload();
  await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
  await expect(page.getByLabel('Output defense')).toHaveValue('dp:1');
  await expect(page.getByTestId('f-budget')).toHaveValue('50');
  expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({
    backend: 'wasm', attack: 'genetic', population: '4', steps: '500', defense: 'dp:1', budget: '50',
  });
});

test('bad attack settings in the URL are corrected with a notice and the page stays usable', async ({ page }) => {
  await openLab(page, '?backend=wasm&attack=nope');
  await expect(page.getByTestId('message-url')).toContainText('Attack "nope" is unknown');
  await expect(page.getByRole('radio', { name: /MI-Face/ })).toBeChecked();

  await openLab(page, '?backend=wasm&attack=brep-mi&probes=500&growth=abc&defense=weird&knowledge=mine&tv=0.5&init=zeros&steps=2.5');
  const notice = page.getByTestId('message-url');
  for (const text of [
    'Probes per round 500 is above 128; using 128', 'Radius growth "abc" is not a number; using 1.3',
    'Output defense "weird" is unknown', 'Attacker knowledge "mine" is unknown', 'Steps 2.5 is not a whole number; using 3',
    'TV weight (tv) is not a setting of BREP-MI (label-only); ignored', 'Start image (init) is not a setting of BREP-MI',
  ]) await expect(notice).toContainText(text);
  await expect(page.getByRole('radio', { name: /BREP-MI/ })).toBeChecked();
  await expect(page.getByTestId('f-probes')).toHaveValue('128');
  await expect(page.getByTestId('f-growth')).toHaveValue('1.3');
  await expect(page.getByLabel('Output defense')).toHaveValue('none');
  await expect(page.getByLabel('What the attacker knows')).toHaveValue('disjoint');
  const q = new URL(page.url()).searchParams;
  expect(Object.fromEntries(q)).toEqual({ attack: 'brep-mi', probes: '128', steps: '3', backend: 'wasm' });
  // A typed value is clamped to the knob's bounds too.
  await page.getByTestId('f-growth').fill('9');
  await page.getByTestId('f-growth').press('Enter');
  await expect(page.getByTestId('f-growth')).toHaveValue('3');
  await expect(page.locator('#f-growth-note')).toContainText('above 3');
});

test('a GAN attack whose prior is not shipped says so, and the page stays usable', async ({ page }) => {
  // Serve a manifest without priors, whatever has been trained.
  await page.route('**/models/manifest.json', async (route) => {
    const response = await route.fetch();
    const manifest = await response.json();
    delete manifest.priors;
    await route.fulfill({ response, json: manifest });
  });
  await openLab(page, '?backend=wasm&attack=gmi&steps=3', 'wasm');
  await page.getByTestId('run').click();
  const alert = page.getByTestId('message-run');
  await expect(alert).toContainText('The attack could not start');
  await expect(alert).toContainText("no GAN prior 'gan-disjoint'");
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'idle');
  await expect(page.getByTestId('run')).toBeEnabled();
  await page.getByTestId('attack-mi-face').click();
  await page.getByTestId('f-steps').fill('3');
  await page.getByTestId('f-steps').press('Enter');
  await page.getByTestId('run').click();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done');
  await expect(page.getByTestId('step-counter')).toHaveText('3 / 3');
});

/** Small populations keep the runs quick; many steps keep each run alive until the test pauses it. */
const SMALL: Partial<Record<AttackId, { query: string; perDigit: number }>> = {
  gmi: { query: 'restarts=3', perDigit: 3 },
  'lomma-gmi': { query: 'restarts=3', perDigit: 3 },
  'ked-mi': { query: 'samples=3', perDigit: 3 },
  'lomma-ked-mi': { query: 'samples=3', perDigit: 3 },
  'plg-mi': { query: 'restarts=3', perDigit: 3 },
  ppa: { query: 'restarts=3&pool=60', perDigit: 3 },
  genetic: { query: 'population=8', perDigit: 8 },
  'brep-mi': { query: 'probes=8', perDigit: 8 }, // the current point and 7 of its probes
  c2fmi: { query: 'population=8', perDigit: 8 },
  'plg-mi-adaptive': { query: 'restarts=3&reverseSteps=10', perDigit: 3 },
  lokt: { query: 'restarts=3', perDigit: 3 },
};

// The attacks that keep several candidates per digit (the inversion network decodes one per digit: its own spec).
for (const a of ATTACKS.filter((x) => x.prior !== 'none' && x.population)) {
  const prior = priorId(a.prior as Exclude<typeof a.prior, 'none'>, 'disjoint', 'target-none');
  test(`${a.name}: the candidates form with the kept one marked, and pause and reset stop the run`, async ({ page }) => {
    skipUnlessServed('GAN prior', prior);
    test.setTimeout(180_000);
    const small = SMALL[a.id]!;
    await openLab(page, `?backend=wasm&attack=${a.id}&steps=2000&${small.query}`, 'wasm');
    await page.getByTestId('run').click();
    await expect(page.getByTestId('candidate-grid')).toBeVisible({ timeout: 120_000 });
    await expect.poll(() => shownStep(page)).toBeGreaterThan(1);
    await page.getByTestId('pause').click();
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'paused');
    await settledStep(page);

    // One row per attacked digit: every candidate, exactly one kept, each with its score.
    for (const d of [0, 1, 2, 3, 4]) {
      const row = page.getByTestId(`candidates-${d}`);
      await expect(row.getByRole('listitem')).toHaveCount(small.perDigit);
      await expect(row.getByTestId('kept-candidate')).toHaveCount(1);
      await expect(row.getByTestId('kept-candidate')).toContainText('kept');
    }
    const score = a.id === 'brep-mi' ? 'inside the class' : 'target confidence \\d+(\\.\\d)?%';
    await expect(page.getByRole('img', { name: new RegExp(`^Digit 3, candidate \\d+ of ${small.perDigit}, kept: ${score}$`) })).toBeVisible();
    // The kept candidates are the reconstructions beside the real digits, with the evaluator's verdict.
    for (const d of [0, 1, 2, 3, 4]) await expect(page.getByTestId(`verdict-${d}`)).toContainText(/evaluator sees\s*\d/);

    if (a.threat === 'white-box') {
      // Identity and prior terms, two lines with data (PPA has no prior term: one line, its Poincaré loss).
      const lines = page.getByTestId('loss-chart').locator('path.series');
      await expect(lines).toHaveCount(a.id === 'ppa' ? 1 : 2);
      for (const d of await lines.evaluateAll((ps) => ps.map((p) => p.getAttribute('d') ?? ''))) expect(d.length).toBeGreaterThan(10);
    } else {
      await expect(page.getByTestId('queries')).toHaveText(/^[1-9][\d,]*$/);
    }
    if (a.id === 'brep-mi') {
      await expect(page.getByTestId('radius')).toHaveText(/^\d+\.\d( · \d+\.\d){4}$/);
      await expect(page.getByTestId('candidates-0')).toContainText(/radius \d+\.\d\d/);
      await expect(page.getByTestId('radius-chart').locator('path.series')).toHaveCount(5);
    }

    await page.getByTestId('reset').click();
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'idle');
    await expect(page.getByTestId('candidate-grid')).toHaveCount(0);
    await expect(page.getByText('Press Run to watch the candidates form.')).toBeVisible();
    await expect(page.getByTestId('f-steps')).toBeEnabled();
  });
}
