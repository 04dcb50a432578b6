// The words the attack lab shows for its run and its targets, shared by the lab page and the embedded views.
import type { EngineStatus } from '../../ui/engine-lab.svelte.ts';
import type { RunStat } from '../../ui/run-stat.ts';
import { wholePct } from '../../ui/format.ts';
import type { AttackSnapshot, EngineInfo } from '../../worker/protocol.ts';
import type { RunStatus } from './lab.svelte.ts';

/** The Run button's label: what pressing it does now. */
export function runLabel(run: RunStatus): string {
  if (run === 'paused') return 'Resume';
  return run === 'done' || run === 'cancelled' || run === 'failed' ? 'Run again' : 'Run';
}

const RUN_TEXT: Record<RunStatus, string> = {
  idle: 'Ready', starting: 'Loading the models…', running: 'Running', paused: 'Paused', done: 'Finished', cancelled: 'Stopped', failed: 'Stopped by an error',
};

/** One line for the engine and the run together; `budgetStop`: the query budget a finished run stopped at. */
export function statusText(engine: EngineStatus, run: RunStatus, budgetStop: number | null = null): string {
  if (engine === 'starting') return 'Starting the engine…';
  if (engine === 'failed') return 'The engine is not running';
  return run === 'done' && budgetStop !== null ? `Stopped at the query budget (${budgetStop.toLocaleString('en-US')} queries)` : RUN_TEXT[run];
}

/**
 * An attack run's figures for RunStats: the step counter, the page's own figures (`between`), then the evaluator's
 * verdict (top-1, and top-5 unless `top5` is off) and the second judge's (top-1, and the share both judges agree on).
 */
export function attackStats(snap: AttackSnapshot | null, maxSteps: number, { between = [], top5 = true }: { between?: RunStat[]; top5?: boolean } = {}): RunStat[] {
  const step = snap?.step ?? 0;
  const acc = snap?.attackAccuracy;
  return [
    { label: 'Step', value: `${step} / ${maxSteps}`, testid: 'step-counter', data: { 'data-step': step } },
    ...between,
    {
      label: 'Evaluator accuracy', title: 'Share of the reconstructions the evaluator labels as their attacked digit', testid: 'accuracy',
      value: acc ? `top-1 ${wholePct(acc.top1)}${top5 ? ` · top-5 ${wholePct(acc.top5)}` : ''}` : '–',
    },
    {
      label: 'Second judge', title: 'Share the second judge (another design, trained against adversarial images) labels as their attacked digit, and the share both judges do',
      testid: 'accuracy-2', value: acc?.robustTop1 !== undefined ? `top-1 ${wholePct(acc.robustTop1)} · both ${wholePct(acc.bothTop1!)}` : '–',
    },
  ];
}

const TARGET_LABELS: Record<string, string> = {
  none: 'Unprotected', 'trap-mid': 'Trap-MID', mid: 'MID (bottleneck)', bido: 'BiDO', negls: 'NegLS', 'trap-mid-negls': 'Trap-MID + NegLS',
  'label-smoothing': 'Label smoothing', 'tl-dmi': 'TL-DMI (transfer learning)', 'dp-sgd': 'DP-SGD',
};

/** Shipped targets that share a defense with another one. */
const TARGET_NAMES: Record<string, string> = {
  'target-trap-mid-capped': 'Trap-MID capped',
  // The capped knobs with two other trigger families: learned warps of at most 1 px, and TeD's fixed random trapdoors.
  'target-trap-mid-warp': 'Trap-MID capped, warp triggers', 'target-trap-mid-ted': 'Trap-MID capped, TeD trapdoors',
  // DP-SGD at three privacy budgets (delta 1e-5; the manifest has the epsilon each reached).
  'target-dp-eps1': 'DP-SGD, ε ≤ 1', 'target-dp-eps8': 'DP-SGD, ε ≤ 8', 'target-dp-eps50': 'DP-SGD, ε ≤ 50',
  // The faces' two unprotected targets: the CNN, and Fredrikson et al.'s softmax regression (one layer, no hidden units).
  'faces-target-softmax': 'Softmax regression (unprotected)',
};

/** The own name of a shipped target that shares its defense with another one (else undefined). */
export function sharedDefenseName(id: string): string | undefined {
  return TARGET_NAMES[id];
}

/** A target's name for people: its own label, else its own shipped name, else its defense's, else its id. */
export function targetName(t: EngineInfo['models'][number]): string {
  return t.label ?? sharedDefenseName(t.id) ?? TARGET_LABELS[t.defense] ?? t.id;
}
