// The guided tour's slow, narrated mode: a live attack pauses at a few stages (its first steps, half-way, the end) so
// a caption can say what is happening, and goes on when the reader presses Continue. Pure logic, no Svelte and no
// worker: which stage is due for a run's progress, and what Continue does.

export type StageId = 'first' | 'half' | 'end';

export interface Stage {
  id: StageId;
  /** The step at (or after) which the run stops for this stage. */
  atStep: number;
}

export interface RunProgress {
  /** The step the latest snapshot reports. */
  step: number;
  /** The run ended by itself (it reached its last step). */
  finished: boolean;
}

/** The stages of a run of `maxSteps` steps, in order: the first step, half-way, the end (none repeated). */
export function stagesFor(maxSteps: number): Stage[] {
  const last = Math.max(1, Math.round(maxSteps));
  const half = Math.round(last / 2);
  const stages: Stage[] = [];
  if (last > 1) stages.push({ id: 'first', atStep: 1 });
  if (half > 1 && half < last) stages.push({ id: 'half', atStep: half });
  stages.push({ id: 'end', atStep: last });
  return stages;
}

/** Whether the run has reached `stage` (the end only once it has finished: a run can stop short of its budget). */
export function reached(stage: Stage, p: RunProgress): boolean {
  return stage.id === 'end' ? p.finished : p.step >= stage.atStep;
}

/**
 * The stage the run should stop at now: the earliest one it has reached that the reader has not acknowledged yet, or
 * null. A run that overshot several stages before it could be paused shows them one after another, in order.
 */
export function dueStage(stages: readonly Stage[], p: RunProgress, acknowledged: readonly StageId[]): Stage | null {
  return stages.find((s) => !acknowledged.includes(s.id) && reached(s, p)) ?? null;
}

/** What pressing Continue on a caption does: show the next stage already reached, resume the paused run, or nothing (it has ended). */
export type ContinueAction = { kind: 'show'; stage: Stage } | { kind: 'resume' } | { kind: 'none' };

export function onContinue(stages: readonly Stage[], p: RunProgress, acknowledged: readonly StageId[]): ContinueAction {
  const next = dueStage(stages, p, acknowledged);
  if (next) return { kind: 'show', stage: next };
  return p.finished ? { kind: 'none' } : { kind: 'resume' };
}

/** Narration switched on in the middle of a run: the stages already behind it count as seen (no burst of old captions). */
export function passedStages(stages: readonly Stage[], p: RunProgress): StageId[] {
  return stages.filter((s) => reached(s, p)).map((s) => s.id);
}
