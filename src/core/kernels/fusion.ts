// One switch for the fused attack path (nets/fused-chain.ts, kernels/attack-losses.ts): on by default; off, the attacks run
// tfjs-layers and tfjs's composed ops exactly as before them. The tests compare both paths and the benchmark counts
// the kernels of both ("before" and "after").
let enabled = true;

export function fusionOn(): boolean {
  return enabled;
}

/** Runs `f` with the fused path switched on or off, then restores the previous setting. */
export async function withFusion<T>(on: boolean, f: () => Promise<T> | T): Promise<T> {
  const before = enabled;
  enabled = on;
  try {
    return await f();
  } finally {
    enabled = before;
  }
}
