// One engine worker for every <inversion-playground> element of a page: a worker each would load tfjs and the
// models once per element and fight over the same cores. The engine keeps each element's attack a separate job;
// what must happen once is the engine's start (init cancels every job), so it is shared too.
import { EngineClient, type WorkerCrashedError } from '../ui/engine-client.ts';
import type { EngineConnection, EngineSource } from '../ui/engine-lab.svelte.ts';
import type { BackendName, EngineInfo } from '../worker/protocol.ts';

interface SharedWorker {
  client: EngineClient;
  /** The labs using it, by the crash handler each gave. */
  users: Set<(error: WorkerCrashedError) => void>;
  /** The engine's one start: on the backend the first element asks for (later ones share it, whatever they ask). */
  ready?: Promise<EngineInfo>;
}

/** An EngineSource whose connections share one worker, loading the assets from `baseUrl` (the site root). */
export function sharedWorker(baseUrl: string): EngineSource {
  let current: SharedWorker | undefined;
  return (onCrash): EngineConnection => {
    // A crashed worker is replaced by the first element that reconnects; the others join the new one.
    if (!current || current.client.isCrashed) {
      const users = new Set<(error: WorkerCrashedError) => void>();
      current = { client: new EngineClient((e) => users.forEach((notify) => notify(e))), users };
    }
    const worker = current;
    worker.users.add(onCrash);
    return {
      client: worker.client,
      init: (backend: BackendName | undefined) => {
        // A failed start is not kept: the next element (or a retry) tries again.
        worker.ready ??= worker.client.init({ baseUrl, backend }).catch((e: unknown) => {
          worker.ready = undefined;
          throw e;
        });
        return worker.ready;
      },
      close: () => {
        worker.users.delete(onCrash);
        // The last element gone (removed from the page): stop the worker; a new element starts a fresh one.
        if (worker.users.size === 0) {
          worker.client.dispose();
          if (current === worker) current = undefined;
        }
      },
    };
  };
}
