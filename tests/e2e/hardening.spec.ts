// Every page carries a Content-Security-Policy that runs no inline script and loads nothing from another origin,
// while the worker, WASM and the embeds keep working (the built site's long-task check is tests/dist/long-tasks).
import { expect, test } from './fixtures.ts';

const PAGES = ['index.html', 'attack.html', 'defense.html', 'benchmark.html', 'bench.html', 'embed.html', 'embed-demo.html'];

for (const file of PAGES) {
  test(`${file} has a Content-Security-Policy that refuses inline script, and works under it`, async ({ page, guard }) => {
    guard.allowConsoleError(/Content Security Policy/);
    await page.goto(`./${file}?backend=wasm`);
    const policy = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    const scriptSrc = policy!.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src'));
    expect(scriptSrc).toBe("script-src 'self' 'wasm-unsafe-eval'");
    expect(policy).toContain("default-src 'self'");
    // The page works under it: its engine comes up, and runs (the demo: the iframe's attack runs, and the demo's own
    // module script sizes the iframe to the height it posts).
    if (file === 'embed.html' || file === 'embed-demo.html') {
      const view = file === 'embed.html' ? page : page.frameLocator('iframe.inversion-playground');
      await expect.poll(async () => Number(await view.getByTestId('step-counter').getAttribute('data-step')), { timeout: 60_000 }).toBeGreaterThan(0);
      if (file === 'embed-demo.html') await expect.poll(() => page.locator('iframe.inversion-playground').evaluate((f) => f.style.height)).toMatch(/^\d+px$/);
    } else {
      await expect(page.getByTestId('backend-badge')).toHaveAttribute('data-status', 'ready', { timeout: 60_000 });
    }
    // And it is enforced: an injected inline script does not run, and the browser reports the violation.
    const { ran, violations } = await page.evaluate(async () => {
      const seen: string[] = [];
      document.addEventListener('securitypolicyviolation', (e) => seen.push(e.violatedDirective));
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.head.append(s);
      await new Promise((r) => setTimeout(r, 100));
      return { ran: (window as unknown as { __inlineRan?: boolean }).__inlineRan === true, violations: seen };
    });
    expect(ran).toBe(false);
    expect(violations).toEqual(['script-src-elem']);
  });
}
