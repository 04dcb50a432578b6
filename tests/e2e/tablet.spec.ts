// A tablet in a classroom (portrait, 800 x 1100, touch): every page fits its width (nothing to scroll sideways),
// and a learner can run a shipped attack by tapping.
import { test, expect, openLab } from './fixtures.ts';

const TABLET = { width: 800, height: 1100 };
test.use({ viewport: TABLET, hasTouch: true });

/** How far the page sticks out to the right of the viewport, in CSS pixels (0 when it fits). */
function overflow(page: import('@playwright/test').Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

for (const entry of ['index.html', 'attack.html', 'defense.html', 'benchmark.html', 'bench.html', 'embed.html', 'embed-demo.html']) {
  test(`${entry} fits a tablet's width`, async ({ page }) => {
    await page.goto(`./${entry}?backend=wasm`);
    await expect(page.locator('h1, [data-testid="backend-badge"], inversion-playground, iframe').first()).toBeVisible({ timeout: 60_000 });
    // Not 'networkidle': the demo page's embedded attacks keep its frames busy. The page has loaded and its fonts are
    // in; it must fit now and a moment later, once the engine's first pictures are drawn.
    await page.waitForLoadState('load');
    await page.evaluate(() => document.fonts.ready.then(() => undefined));
    expect(await overflow(page), `${entry} is wider than the screen`).toBeLessThanOrEqual(0);
    await page.waitForTimeout(2000);
    expect(await overflow(page), `${entry} is wider than the screen`).toBeLessThanOrEqual(0);
  });
}

test('the attack lab runs a shipped attack by touch on a tablet, its grid on screen', async ({ page }) => {
  test.setTimeout(120_000);
  await openLab(page, '?backend=wasm&attack=mi-face&target=target-trap-mid&steps=6');
  await page.getByTestId('run').tap();
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'done', { timeout: 90_000 });
  for (const d of [0, 1, 2, 3, 4]) {
    const box = await page.getByTestId(`recon-${d}`).boundingBox();
    expect(box, `reconstruction ${d} is laid out`).not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(TABLET.width);
  }
  expect(await overflow(page)).toBeLessThanOrEqual(0);
});
