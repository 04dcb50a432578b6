// tfjs's threaded WASM build starts its helper threads (pthreads) from the *text* of its module factory
// (`factory.toString()` put in a Blob), so that function must not depend on anything outside itself. It does on one
// variable, `_scriptDir`, which a minifier renames (to `e`, say) in the built worker: every helper thread then fails
// with "e is not defined" and the backend waits for them forever. This makes that variable a global property, which
// no minifier renames and which a helper thread simply finds undefined (it is only read behind a typeof check there).
import type { Plugin } from 'vite';

const FACTORY = /tfjs-backend-wasm\/wasm-out\/tfjs-backend-wasm-threaded-simd\.js$/;
const GLOBAL = 'globalThis.__tfjsWasmScriptDir';

export function selfContainedWasmThreads(): Plugin {
  return {
    name: 'self-contained-wasm-threads',
    transform(code, id) {
      if (!FACTORY.test(id.split('?')[0])) return null;
      const fixed = code.replace('var _scriptDir =', `${GLOBAL} =`).replace(/\b_scriptDir\b/g, GLOBAL);
      if (fixed === code || /\bvar globalThis/.test(fixed)) throw new Error(`${id}: the _scriptDir this plugin rewrites is no longer there (tfjs changed)`);
      return { code: fixed, map: null };
    },
  };
}
