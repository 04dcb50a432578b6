// The shape of models/manifest.json, shared by the browser, the CLI and the tests.

export type ModelRole = 'target' | 'evaluator' | 'generator' | 'discriminator' | 'student';

export interface ModelEntry {
  id: string;
  role: ModelRole;
  /** Training-time defense of a target ('none' for the unprotected one and for non-targets). */
  defense: string;
  /** model.json, relative to the models folder. */
  path: string;
  /** Digit label of each output, in output order. */
  classes: number[];
  input: [number, number, number];
  output: 'logits';
  architecture: string;
  params: number;
  /** Top-1 accuracy on the test images of `classes`. */
  testAccuracy: number;
  trainAccuracy?: number;
  dataSplit: string;
  trainCommand: string;
  seed: number;
  epochs: number;
  trainSeconds: number;
  trainBackend: string;
  /** Trap-MID targets: the trapdoor they carry. */
  trapdoor?: TrapdoorInfo;
  /** sha256 of weights.bin. */
  sha256: string;
  bytes: number;
}

export interface TrapdoorInfo {
  /** Float32 triggers, [classes, 28, 28, 1] in [0, 1], relative to the models folder. */
  triggers: string;
  triggersSha256: string;
  alpha: number;
  injection: 'blend' | 'ink';
  beta: number;
  naturalness: 'paper' | 'balanced' | 'none';
  naturalnessWeight: number;
  /** Triggered private-test images (trigger of another class) classified as the trigger's class. */
  trapdoorAccuracy: number;
  /** ROC-AUC of the naturalness discriminator, clean vs triggered private-test images (0.5 = indistinguishable). */
  naturalnessAuc: number;
}

export interface Manifest {
  version: 1;
  models: ModelEntry[];
}

export function findModel(manifest: Manifest, id: string): ModelEntry {
  const e = manifest.models.find((m) => m.id === id);
  if (!e) throw new Error(`no model '${id}' in the manifest (have: ${manifest.models.map((m) => m.id).join(', ') || 'none'})`);
  return e;
}

/** Output index of digit `d` for this model, or -1 when it has no such class. */
export function classIndex(entry: ModelEntry, d: number): number {
  return entry.classes.indexOf(d);
}
