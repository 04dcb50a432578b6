// The attacks the playground offers: names, threat models, plain-language explanations, and every knob with its
// browser default, bounds and the paper's value. tfjs-free: the pages, the engine and the CLI all read this one
// table (the engine turns a config into the core attack's options).

import type { DatasetId } from '../core/data/datasets.ts';
// The data set descriptors (tfjs-free), for the pages, which import nothing of the core directly.
export { DATASETS, DATASET_IDS, DEFAULT_DATASET, className, datasetOf, isDatasetId, type Dataset, type DatasetId } from '../core/data/datasets.ts';
export type AttackId = 'mi-face' | 'gmi' | 'lomma-gmi' | 'ked-mi' | 'lomma-ked-mi' | 'plg-mi' | 'genetic' | 'brep-mi' | 'inversion-net' | 'split-inversion' | 'ppa' | 'c2fmi' | 'lokt' | 'plg-mi-adaptive';
export type ThreatModel = 'white-box' | 'black-box' | 'label-only' | 'split';

/** What the attacker has under each threat model, in plain words (the lab shows it under the attack's summary). */
export const THREAT_MODELS: Record<ThreatModel, string> = {
  'white-box': 'the attacker has the model itself: its weights and gradients',
  'black-box': 'the attacker only sends images and reads the probabilities that come back',
  'label-only': 'the attacker only sends images and reads the predicted digit',
  split: 'the network is split in two: each user\'s device runs the first layer on its private image and sends the result to a server, ' +
    'which runs the rest. The attacker is that server: it sees what every device sends, and can have the first layer run on images of ' +
    'its own, but never sees that layer\'s weights',
};
export type Knowledge = 'disjoint' | 'other-writers';

export interface KnobSpec {
  /** Key in the config's params (and the URL / CLI flag name). */
  key: string;
  label: string;
  /** One line on what the knob does. */
  help: string;
  min: number;
  max: number;
  integer: boolean;
  /** The browser budget's value. */
  default: number;
  /** The paper's value, where it differs. */
  paper?: number;
  /** A defense's setting that the attack's knobs carry (the split attack's noise): the presets leave it as it is. */
  defense?: boolean;
  /** Another data set's values, where its images ask for others (a face has no black background to pull pixels to). */
  byDataset?: Partial<Record<DatasetId, { default: number; paper?: number }>>;
}

export interface AttackInfo {
  id: AttackId;
  name: string;
  threat: ThreatModel;
  /**
   * Which prior it needs: none (pixel space), GMI's GAN, KED-MI's (trained per target), PLG-MI's conditional one, or the
   * inversion network's decoder (trained per target from its answers to public digits), or the split attack's decoder
   * (trained per target from its first layer's features of public digits), or C2FMI's inverse network (trained per
   * target from its answers to the public GAN's images; the attack searches that GAN, gan-<knowledge>, too).
   */
  prior: 'none' | 'gan' | 'ked' | 'cgan' | 'inv' | 'split' | 'c2f' | 'lokt';
  /** One paragraph in plain language: what it does and what the attacker needs. */
  summary: string;
  /** What is different on another data set than the digits (the lab shows it after the summary there). */
  byDatasetNote?: Partial<Record<DatasetId, string>>;
  /** Budget knobs first (steps, restarts / population). */
  knobs: KnobSpec[];
  /** Black-box and label-only attacks: the output-side defense in front of the target applies. */
  usesOutputDefense: boolean;
  /** The data sets it runs on: those whose priors it needs are shipped (absent: MNIST only). */
  datasets?: readonly DatasetId[];
  /** The lab's loss chart title: what it plots (the attack's own loss, or its identity and prior terms). */
  lossTitle: string;
  /** What the lab's candidate grid shows, for an attack that keeps several candidates per digit. */
  population?: string;
  /** What the lab's victims panel shows, for an attack that decodes private images from what it received (the inversion network, the split attack). */
  victims?: string;
}

/** Attacks that need no per-target prior run on the faces too (their unconditional prior is the eigenfaces). */
const ANY_DATASET: readonly DatasetId[] = ['mnist', 'faces'];

const RESTARTS = 'Every latent the attack optimises side by side for each digit, from different random starts, with the target\'s confidence in the digit. It keeps the one the target scores highest (outlined).';
const KED_SAMPLES = 'Samples from each digit\'s learned cloud of latents (a mean and a spread), with the target\'s confidence in the digit. The sample the target scores highest is kept (outlined).';
const TERMS_TITLE = 'Loss terms (mean over all candidates)';

const steps = (def: number, paper: number, help = 'Optimisation steps.'): KnobSpec => ({ key: 'steps', label: 'Steps', help, min: 1, max: 5000, integer: true, default: def, paper });
const restarts: KnobSpec = { key: 'restarts', label: 'Restarts per class', help: 'Latents optimised side by side per attacked digit or person; the one the target is surest about is kept.', min: 1, max: 16, integer: true, default: 5 };

/** PLG-MI's budget and optimiser (plain or trapdoor-aware). */
const plgMiKnobs: KnobSpec[] = [
  steps(150, 600), restarts,
  { key: 'learningRate', label: 'Learning rate', help: 'Adam step on the latents.', min: 0.001, max: 1, integer: false, default: 0.1 },
  // Paper 1.5 on digits, in place of the paper's mirror images and jitter: the target is as sure of a public 5 as of a
  // real 3, less so once both are warped (README, "Stronger warps bring the 3s back"). The faces keep their stock warps.
  { key: 'augment', label: 'Augmentation strength', help: 'How far each step\'s two random warps turn, zoom and shift the candidates (1: up to 10°, 85% zoom, 2 px; 0: none). The paper also mirrors; digits cannot be mirrored, so its preset warps harder.', min: 0, max: 3, integer: false, default: 1, paper: 1.5, byDataset: { faces: { default: 1, paper: 1 } } },
];

/** Warps in the identity term of GMI and KED-MI (PLG-MI's recipe; not in those papers, so off unless asked for). */
const identityWarps: KnobSpec = { key: 'augment', label: 'Augmentation strength', help: 'Two random warps per step that the target\'s verdict is taken on (1: up to 10°, 85% zoom, 2 px; 0: none, as in the paper). Not part of this attack\'s paper: PLG-MI\'s idea, offered here to try.', min: 0, max: 3, integer: false, default: 0, paper: 0 };

/** KED-MI's budget and optimiser (with or without LOMMA). */
const kedBudget: KnobSpec[] = [
  steps(300, 1500),
  { key: 'samples', label: 'Samples per digit', help: 'Latents drawn from each digit\'s distribution per step (and shown).', min: 1, max: 16, integer: true, default: 5 },
  { key: 'learningRate', label: 'Learning rate', help: 'Adam step on the mean and log-variance.', min: 0.001, max: 1, integer: false, default: 0.02 },
];

export const ATTACKS: readonly AttackInfo[] = [
  {
    id: 'mi-face', name: 'MI-Face (pixel space)', threat: 'white-box', prior: 'none', usesOutputDefense: false, datasets: ANY_DATASET,
    lossTitle: 'Loss (mean over the attacked classes)',
    summary: 'The original model inversion attack (Fredrikson et al., 2015). It starts from a blank image and changes pixels, ' +
      'following the target\'s gradients, until the target is sure the image shows the digit. Smoothness priors keep it from ' +
      'turning into noise. It needs the model itself (white-box) and no other data.',
    knobs: [
      steps(300, 1000),
      // Faces (measured on faces-target-softmax, seeds 1-3, README "Faces"): no L2 (it darkens a face towards MNIST's black
      // background) and a stronger TV prior.
      { key: 'learningRate', label: 'Learning rate', help: 'Adam step on the pixels.', min: 0.001, max: 1, integer: false, default: 0.05, paper: 0.1, byDataset: { faces: { default: 0.1 } } },
      { key: 'tv', label: 'TV weight', help: 'Total-variation prior: penalises speckle, favours strokes.', min: 0, max: 5, integer: false, default: 0.3, paper: 0.005, byDataset: { faces: { default: 0.2 } } },
      { key: 'l2', label: 'L2 weight', help: 'Penalises ink everywhere: keeps the background dark.', min: 0, max: 1, integer: false, default: 0.01, paper: 0, byDataset: { faces: { default: 0, paper: 0 } } },
    ],
  },
  {
    id: 'gmi', name: 'GMI (GAN prior)', threat: 'white-box', prior: 'gan', usesOutputDefense: false, datasets: ANY_DATASET,
    byDatasetNote: { faces: 'On the faces its prior is the eigenfaces (the mean of the public people\'s photos plus their main ways of differing): every candidate is a face, and a Gaussian penalty keeps it a plausible one.' },
    lossTitle: TERMS_TITLE, population: RESTARTS,
    summary: 'Generative model inversion (Zhang et al., 2020). Instead of pixels it searches the latent space of a GAN trained on ' +
      'public digits, so every candidate looks like handwriting. It minimises "does not look real" (the GAN\'s discriminator) plus ' +
      '100 x "the target does not say this digit". White-box, plus a public dataset to train the GAN.',
    knobs: [
      steps(300, 1500), restarts,
      { key: 'learningRate', label: 'Learning rate', help: 'Nesterov momentum SGD on the latents.', min: 0.001, max: 1, integer: false, default: 0.02 },
      { key: 'lambda', label: 'Identity weight', help: 'How much the target\'s verdict counts against the realism prior.', min: 0, max: 1000, integer: false, default: 100 },
      identityWarps,
    ],
  },
  {
    id: 'lomma-gmi', name: 'LOMMA + GMI', threat: 'white-box', prior: 'gan', usesOutputDefense: false,
    lossTitle: TERMS_TITLE, population: RESTARTS,
    summary: 'GMI with the LOMMA plug-in (Nguyen et al., 2023): it maximises the target\'s raw score (logit) rather than its ' +
      'probability, which keeps pushing after the target is already sure, and pulls the target\'s internal features towards ' +
      'those of real public digits, so the result is less of an adversarial oddity.',
    knobs: [
      steps(300, 1500), restarts,
      { key: 'learningRate', label: 'Learning rate', help: 'Nesterov momentum SGD on the latents.', min: 0.001, max: 1, integer: false, default: 0.02 },
      { key: 'lambda', label: 'Identity weight', help: 'How much the target\'s score counts against the realism prior.', min: 0, max: 1000, integer: false, default: 100 },
      { key: 'featureWeight', label: 'Feature regulariser', help: 'Pull of the target\'s features towards the public digits\' mean.', min: 0, max: 10, integer: false, default: 1 },
    ],
  },
  {
    id: 'ked-mi', name: 'KED-MI (distributional)', threat: 'white-box', prior: 'ked', usesOutputDefense: false,
    lossTitle: TERMS_TITLE, population: KED_SAMPLES,
    summary: 'Knowledge-enriched distributional model inversion (Chen et al., 2021). Its GAN is trained for this target: the ' +
      'discriminator also learns how the target labels public digits, so the generator knows more about the private classes. ' +
      'Instead of single images the attack learns a whole cloud of latents per digit (a mean and a spread) and shows samples from it.',
    knobs: [
      ...kedBudget,
      { key: 'lambda', label: 'Identity weight', help: 'How much the target\'s verdict counts against the realism prior.', min: 0, max: 1000, integer: false, default: 100 },
      identityWarps,
    ],
  },
  {
    id: 'lomma-ked-mi', name: 'LOMMA + KED-MI', threat: 'white-box', prior: 'ked', usesOutputDefense: false,
    lossTitle: TERMS_TITLE, population: KED_SAMPLES,
    summary: 'KED-MI with the LOMMA plug-in (Nguyen et al., 2023): the distribution of each digit is pushed by the raw score of ' +
      'the target and of a few "student" copies distilled from it on public digits (so it cannot win by fooling one model\'s quirks), ' +
      'while the target\'s internal features are pulled towards those of real public digits.',
    knobs: [
      ...kedBudget,
      { key: 'lambda', label: 'Identity weight', help: 'How much the target\'s score counts against the realism prior.', min: 0, max: 1000, integer: false, default: 100 },
      { key: 'featureWeight', label: 'Feature regulariser', help: 'Pull of the target\'s features towards the public digits\' mean.', min: 0, max: 10, integer: false, default: 1 },
    ],
  },
  {
    id: 'plg-mi', name: 'PLG-MI (conditional GAN)', threat: 'white-box', prior: 'cgan', usesOutputDefense: false, datasets: ANY_DATASET,
    byDatasetNote: { faces: 'On the faces the target labels the public people\'s photos with the private person each looks like most, and the GAN draws in eigenface space: every candidate is a face.' },
    lossTitle: TERMS_TITLE, population: RESTARTS,
    summary: 'Pseudo-label guided model inversion (Yuan et al., 2023), the strongest attack in the Trap-MID paper. The target ' +
      'first labels the public digits; a class-conditional GAN learns to draw each class as the target sees it, already steered ' +
      'by the target. The attack then tunes each class\'s latents so the target is sure, under random shifts and rotations.',
    knobs: plgMiKnobs,
  },
  {
    // The Trap-MID paper's adaptive attacker (its Table 4, "PLG-MI++"), our design (src/core/attacks/plg-mi-adaptive.ts):
    // it reverse-engineers the triggers from the defender's published recipe, penalises candidates that point the way
    // of the estimated signatures, and drops flagged ones, searching PLG-MI's own GAN for the target.
    id: 'plg-mi-adaptive', name: 'PLG-MI++, trapdoor-aware', threat: 'white-box', prior: 'cgan', usesOutputDefense: false,
    lossTitle: 'Loss terms (mean over all candidates): max-margin as identity, trapdoor penalty as prior', population: RESTARTS +
      ' Candidates the attacker\'s own trapdoor estimate flags are passed over in the final selection.',
    summary: 'PLG-MI by an attacker who knows the target may hide a Trap-MID trapdoor and knows how such a defender builds one ' +
      '(the trigger family and its strength), but not the triggers themselves. It first reverse-engineers a trigger per class: ' +
      'a faint pattern that makes the target call its own public digits that class. From them it estimates the direction in the ' +
      'target\'s features that a trapdoor leaves (its signature), and then runs PLG-MI with a penalty on any image that points that ' +
      'way, dropping such images at the end. The question it answers: does the trapdoor still hold when the attacker knows it is there?',
    knobs: [
      ...plgMiKnobs,
      { key: 'trapdoorWeight', label: 'Trapdoor penalty', help: 'Weight of the penalty on a candidate whose features point toward the estimated trapdoor signature (0: plain PLG-MI with the final filter).', min: 0, max: 1000, integer: false, default: 20 },
      { key: 'reverseSteps', label: 'Trigger search steps', help: 'Steps of the reverse-engineering of each class\'s trigger on public digits, before the attack.', min: 1, max: 2000, integer: true, default: 100 },
    ],
  },
  {
    // Struppek et al., ICML 2022 (src/core/attacks/ppa.ts): the shared GAN as it is, an initial selection from a pool of
    // latents, the Poincaré loss under random warps, and a final selection by the confidence that survives more warps.
    id: 'ppa', name: 'PPA (Plug & Play)', threat: 'white-box', prior: 'gan', usesOutputDefense: false,
    lossTitle: 'Poincaré loss of the kept candidates (mean over the digits)',
    population: 'The candidates PPA optimises for each digit: the latents of its initial pool the target was surest about, with the ' +
      'target\'s confidence in the digit now. While it runs, the one closest to the digit by the Poincaré loss is outlined; at the last ' +
      'step the final selection keeps the one whose confidence best survives many random shifts, rotations and crops (it need not be ' +
      'the one shown surest).',
    summary: 'Plug & Play Attacks (Struppek et al., 2022). Other GAN attacks train a GAN for the target they attack; PPA plugs in one GAN ' +
      'trained on public digits, as it is, against any target. It first samples many GAN images and starts from those the target already ' +
      'likes best, then tunes their latents with a loss that keeps pushing even when the target is nearly sure (the Poincaré loss, a ' +
      'distance in hyperbolic space), under random shifts and rotations, and finally keeps the images the target still recognises when ' +
      'they are cropped and turned. White-box, plus a public GAN that was never trained for this target.',
    knobs: [
      steps(70, 70),
      { key: 'restarts', label: 'Candidates per digit', help: 'Latents optimised side by side per digit, the best of the initial pool; the final selection keeps one.', min: 1, max: 256, integer: true, default: 8, paper: 200 },
      { key: 'pool', label: 'Initial pool', help: 'GAN latents sampled and scored by the target (under random warps) before the attack; each digit starts from its best.', min: 16, max: 20000, integer: true, default: 1000, paper: 5000 },
      { key: 'learningRate', label: 'Learning rate', help: 'Adam step on the latents (betas 0.1, as the paper).', min: 0.0001, max: 1, integer: false, default: 0.005 },
      { key: 'finalAugmentations', label: 'Final-selection warps', help: 'Random crops, shifts and rotations each candidate is scored under at the end; the one whose confidence survives them best is kept.', min: 1, max: 500, integer: true, default: 100 },
    ],
  },
  {
    id: 'genetic', name: 'Genetic search (black-box)', threat: 'black-box', prior: 'gan', usesOutputDefense: true, datasets: ANY_DATASET,
    lossTitle: 'Loss: minus the target\'s answer (mean of the kept)',
    population: 'This generation\'s population for each digit, with the target\'s answer for it (one query each). The fittest is kept (outlined); the next generation breeds from the fit ones.',
    summary: 'A black-box attack in the style of Mirror: the attacker cannot see the model, only the probabilities it answers. ' +
      'A population of GAN latents per digit evolves: the fittest (the target\'s probability for the digit) survive, the rest are ' +
      'children of fit parents with random mutations. The query counter shows what this costs.',
    knobs: [
      steps(60, 200, 'Generations.'),
      { key: 'population', label: 'Population per digit', help: 'Latents per digit in each generation (each costs one query).', min: 4, max: 128, integer: true, default: 16, paper: 64 },
      { key: 'mutationRate', label: 'Mutation rate', help: 'Chance that each latent coordinate is mutated.', min: 0, max: 1, integer: false, default: 0.1 },
      { key: 'mutationScale', label: 'Mutation size', help: 'Standard deviation of a mutation.', min: 0, max: 3, integer: false, default: 0.5 },
    ],
  },
  {
    // Ye et al., IEEE TDSC 2023 (src/core/attacks/c2fmi.ts). Its inverse network is trained per target and shipped
    // (c2f-<target>-<knowledge>); the search runs in the shared GAN (gan-<knowledge>). The browser budget is the genetic
    // search's (16 x 61 queries a digit), so the two compare at equal queries; paper: its authors' code (32 members, 500 generations).
    id: 'c2fmi', name: 'C2FMI, coarse-to-fine (black-box)', threat: 'black-box', prior: 'c2f', usesOutputDefense: true,
    lossTitle: 'Loss: minus the target\'s answer (mean of the kept)',
    population: 'Each digit\'s population: the member the inverse network gave for "surely this digit" and members from slightly less sure answers, ' +
      'as differential evolution has moved them, with the target\'s answer for each (one query each). The fittest is kept (outlined).',
    summary: 'Coarse-to-fine model inversion (Ye et al., 2023), a black-box attack. Coarse: the attacker has shown the target thousands of images ' +
      'from its public GAN and trained an inverse network on the answers, from the probabilities that came back to the GAN input that drew the ' +
      'image. Asked "what gives the answer surely digit d?", it points to a region of the GAN without a single query. Fine: from there, ' +
      'differential evolution refines a population per digit: each member tries a step along the difference of two others and keeps it only ' +
      'if the target answers it with a higher probability. The query counter shows what the fine stage costs.',
    knobs: [
      steps(60, 500, 'Generations of differential evolution (each costs one query per member and digit).'),
      { key: 'population', label: 'Population per digit', help: 'Members per digit, seeded by the inverse network (each costs one query a generation).', min: 4, max: 128, integer: true, default: 16, paper: 32 },
      { key: 'differentialWeight', label: 'Differential weight F', help: 'How far a trial steps along the difference of two other members (DE/rand/1).', min: 0.05, max: 2, integer: false, default: 0.5 },
      { key: 'crossover', label: 'Crossover rate CR', help: 'Share of a member\'s latent coordinates taken from its mutant (binomial crossover).', min: 0, max: 1, integer: false, default: 0.5 },
      { key: 'seedSpread', label: 'Seed spread', help: 'Share of random GAN noise mixed into the latents of the seeds from the perturbed answers (0: none, 1: only noise; the one-hot seed has none).', min: 0, max: 1, integer: false, default: 0.5 },
    ],
  },
  {
    id: 'brep-mi', name: 'BREP-MI (label-only)', threat: 'label-only', prior: 'gan', usesOutputDefense: true, datasets: ANY_DATASET,
    lossTitle: 'Share of probes outside the digit\'s class (mean)',
    population: 'For each digit, the current point (kept, outlined) and the first probes of the last round on the sphere around it: "inside" if the target called the probe that digit, "outside" if not.',
    summary: 'A label-only attack (Kahla et al., 2022): the model answers only its top guess. Starting from a GAN image the target ' +
      'already calls the digit, it probes points on a sphere around it, steps away from the ones the target calls something else, ' +
      'and grows the sphere when almost all are inside: the centre drifts deep into the digit\'s region.',
    knobs: [
      steps(40, 200, 'Rounds of probes.'),
      { key: 'probes', label: 'Probes per round', help: 'Points queried on the sphere around each digit\'s latent.', min: 4, max: 128, integer: true, default: 32 },
      { key: 'initialRadius', label: 'Initial radius', help: 'Sphere radius in latent space at the start.', min: 0.1, max: 10, integer: false, default: 2 },
      { key: 'growth', label: 'Radius growth', help: 'Factor applied to the radius when nearly all probes are inside.', min: 1, max: 3, integer: false, default: 1.3 },
    ],
  },
  {
    // Nguyen et al., NeurIPS 2023 (src/core/attacks/lokt.ts). Its T-ACGAN generator and surrogates are trained per
    // target through a label-only oracle and shipped (lokt-<target>-<knowledge>, with the queries that cost); the attack
    // itself is PLG-MI's on the surrogates and asks the target nothing, so no output defense or query budget applies to
    // it. Browser budget: PLG-MI's; paper: 600 steps.
    id: 'lokt', name: 'LOKT, knowledge transfer (label-only)', threat: 'label-only', prior: 'lokt', usesOutputDefense: false,
    lossTitle: TERMS_TITLE,
    population: 'Every latent the attack optimises side by side for each digit, with the surrogates\' confidence in the digit (the attacker ' +
      'never sees the target\'s scores). It keeps the one the surrogates score highest (outlined).',
    summary: 'Label-only model inversion via knowledge transfer (Nguyen et al., 2023). The model answers only its top guess, so the attacker ' +
      'moves what the model knows into models of its own. It trains a conditional GAN whose discriminator also learns to label images as the ' +
      'target does (the target labelled the public digits and the GAN\'s own drawings), then trains surrogate classifiers on GAN drawings the ' +
      'target labelled. Then it attacks the surrogates with their gradients, PLG-MI\'s way, without asking the target anything more. The query ' +
      'counter shows the labels that training cost.',
    knobs: [
      steps(150, 600), restarts,
      { key: 'learningRate', label: 'Learning rate', help: 'Adam step on the latents.', min: 0.001, max: 1, integer: false, default: 0.1 },
    ],
  },
  {
    // Yang et al., CCS 2019 (src/core/attacks/inversion-net.ts). Its decoder is trained per target and shipped; a run
    // fine-tunes it through the run's own oracle (output defense, query budget), so the steps are fine-tuning batches.
    id: 'inversion-net', name: 'Inversion network (black-box)', threat: 'black-box', prior: 'inv', usesOutputDefense: true,
    lossTitle: 'Decoder loss: mean squared error on the last batch of public digits',
    victims: 'Private test images the attacker never saw, one per digit: the target\'s answer to each is all it got (the bars, on the log ' +
      'scale the decoder reads: a score of 1e-20 still says something; those beyond its truncation k are pale). The decoder turns that ' +
      'answer back into an image. MSE and SSIM compare it with the ' +
      'original; "a public digit" is the SSIM of random public digits to the original: what an image that knows nothing of it scores.',
    summary: 'The inversion network (Yang et al., 2019) learns to undo the classifier. The attacker sends its own public digits (5-9) to the ' +
      'target and trains a decoder on the answers: from the confidence vector that came back, rebuild the image that was sent. It then decodes ' +
      'answers it did not ask for: a victim\'s answer about a private image gives back that image, and the answer "surely digit d" gives the ' +
      'target\'s idea of a typical d (the reconstructions below). The decoder trained for this target ships with the page; each step fine-tunes ' +
      'it on one more batch of queries, through the output defense you pick.',
    knobs: [
      steps(50, 50, 'Fine-tuning steps: each asks the target about one batch of public digits and trains the decoder on the answers.'),
      { key: 'batchSize', label: 'Public digits per step', help: 'Public digits queried (once each) and learned from per step.', min: 1, max: 256, integer: true, default: 32, paper: 128 },
      { key: 'truncation', label: 'Truncation k', help: 'The attacker keeps only the k largest scores of every answer (the rest read as 0), in training and decoding: Yang et al.\'s alignment to APIs that reveal only their top scores. Set it to what the output defense leaves (top-1: 1).', min: 1, max: 5, integer: true, default: 5 },
      { key: 'learningRate', label: 'Learning rate', help: 'Adam step of the fine-tuning (beta1 0.5, as the paper).', min: 0.00001, max: 0.1, integer: false, default: 0.0002 },
    ],
  },
  {
    // Titcombe et al., ICLR 2021 DPML workshop (src/core/attacks/split-inversion.ts): the target split after conv1, the
    // attacker is the server. Its decoder is trained per target on exact features and shipped; a run fine-tunes it on
    // fresh queries through the client, whose Laplace noise (splitNoise, the paper's defense) applies to every feature sent.
    // Paper values: the authors' code's attacker (10 epochs of 5,000 images in batches of 128 at lr 1e-4: 400 steps).
    id: 'split-inversion', name: 'Split-learning inversion', threat: 'split', prior: 'split', usesOutputDefense: false,
    lossTitle: 'Decoder loss: mean squared error on the last batch of public digits',
    victims: 'Private test images the attacker never saw, one per digit. Each user\'s device ran the first layer of the split network on its ' +
      'image and sent the server the 32 feature maps (four shown: bright is a strong response; with the noise on they are speckled). That is all ' +
      'the server got. Its decoder turns the maps back into an image; MSE and SSIM compare it with the original, and "a public digit" is the ' +
      'SSIM of random public digits to the original: what an image that knows nothing of it scores.',
    summary: 'Split learning keeps the pictures on the user\'s device: the device runs the first layer of the network and sends only what that ' +
      'layer computed to a server, which finishes the job (Titcombe et al., 2021). The server can still rebuild the pictures: it has the first ' +
      'layer run on public digits (5-9), learns to turn its output back into the image, and then decodes what each device sent. The reconstructions ' +
      'below are the private test digits it rebuilt. The defense: the device adds random Laplace noise (scale b) to everything it sends, at a cost ' +
      'in accuracy, shown beside. Each step fine-tunes the shipped decoder on one more batch of queries, through that noise.',
    knobs: [
      steps(50, 400, 'Fine-tuning steps: each has the device\'s first layer run on one batch of public digits (fresh noise) and trains the decoder on the result.'),
      { key: 'batchSize', label: 'Public digits per step', help: 'Public digits sent through the first layer (each costs one query) and learned from per step.', min: 1, max: 256, integer: true, default: 32, paper: 128 },
      { key: 'learningRate', label: 'Learning rate', help: 'Adam step of the fine-tuning (beta1 0.5).', min: 0.00001, max: 0.1, integer: false, default: 0.001, paper: 0.0001 },
      {
        key: 'splitNoise', label: 'Defense: Laplace noise b', defense: true, min: 0, max: 10, integer: false, default: 0,
        help: 'The device adds Laplace noise of scale b (mean size b) to every value it sends, the attacker\'s queries included (Titcombe et al.). ' +
          '0: no defense. The first layer\'s values average about 0.1: from b = 0.5 the classifier mostly guesses, yet a decoder fine-tuned through the noise still rebuilds the digits.',
      },
    ],
  },
];

export function attackInfo(id: string): AttackInfo {
  const a = ATTACKS.find((x) => x.id === id);
  if (!a) throw new Error(`unknown attack '${id}' (available: ${ATTACKS.map((x) => x.id).join(', ')})`);
  return a;
}

/** Browser (default) or paper values of every knob of an attack. */
export function knobValues(id: AttackId, budget: 'browser' | 'paper' = 'browser', dataset: DatasetId = 'mnist'): Record<string, number> {
  return Object.fromEntries(attackInfo(id).knobs.map((k) => {
    const v = { default: k.default, paper: k.paper, ...k.byDataset?.[dataset] };
    return [k.key, budget === 'paper' ? v.paper ?? v.default : v.default];
  }));
}

export const KNOWLEDGE_INFO: Record<Knowledge, { label: string; summary: string }> = {
  disjoint: { label: 'Public digits 5-9 (the papers\' protocol)', summary: 'The attacker\'s GAN has only ever seen digits 5-9: it must draw 0-4 from what it knows of other digits.' },
  'other-writers': { label: 'Same digits, other writers', summary: 'The attacker also has 0-4 written by other people (half of MNIST\'s test digits), never the private images themselves.' },
};

/** Each data set's default target (the unprotected CNN), evaluator and second judge (adversarially trained, over every class). */
export const DEFAULT_TARGET: Record<DatasetId, string> = { mnist: 'target-none', faces: 'faces-target-none' };
export const EVALUATOR_ID: Record<DatasetId, string> = { mnist: 'evaluator', faces: 'faces-evaluator' };
export const SECOND_JUDGE_ID: Record<DatasetId, string> = { mnist: 'judge-robust', faces: 'faces-judge-robust' };

/** Whether `attack` runs on data set `dataset`. */
export function runsOn(attack: AttackId, dataset: DatasetId): boolean {
  return (attackInfo(attack).datasets ?? ['mnist']).includes(dataset);
}

export function priorId(prior: 'gan' | 'ked' | 'cgan' | 'inv' | 'split' | 'c2f' | 'lokt', knowledge: Knowledge, targetId: string, dataset: DatasetId = 'mnist'): string {
  // The faces' unconditional prior is their eigenfaces (PCA of the public faces).
  if (prior === 'gan' && dataset === 'faces') return 'faces-eigen';
  return prior === 'gan' ? `gan-${knowledge}` : `${prior}-${targetId}-${knowledge}`;
}

/** The attacks that need nothing trained for the target, so run on any (an uploaded model too). */
const ANY_TARGET_ATTACKS = 'Pick MI-Face, GMI, PPA, the genetic search or BREP-MI.';

/**
 * Why an attack cannot run against a target the user uploaded, or null when it can: KED-MI's and PLG-MI's priors and
 * the inversion decoders are trained per target (from its answers), and LOMMA reads a penultimate layer named
 * 'features' that only our architectures are sure to have. MI-Face, GMI and PPA (their prior is shared), the genetic
 * search and BREP-MI work on any target.
 */

export function uploadedTargetProblem(attack: AttackId): string | null {
  const info = attackInfo(attack);
  if (info.prior === 'inv') {
    return `${info.name} decodes answers with a decoder trained for each target from that target's answers to public digits; there is none ` +
      'for an uploaded model. ' + ANY_TARGET_ATTACKS;
  }
  if (info.prior === 'split') {
    return `${info.name} splits the target after its first layer ('conv1') and decodes that layer's output with a decoder trained for each ` +
      'target; an uploaded model has neither. ' + ANY_TARGET_ATTACKS;
  }
  if (info.prior === 'lokt') {
    return `${info.name} attacks surrogate models and a generator trained for each target from that target's labels; there are none ` +
      'for an uploaded model. ' + ANY_TARGET_ATTACKS;
  }
  if (info.prior === 'c2f') {
    return `${info.name} starts from an inverse network trained for each target from that target's answers to GAN images; there is none ` +
      'for an uploaded model. ' + ANY_TARGET_ATTACKS;
  }
  if (info.prior === 'ked' || info.prior === 'cgan') {
    return `${info.name} searches a GAN prior trained for each target from that target's answers; there is no prior for an uploaded ` +
      'model. ' + ANY_TARGET_ATTACKS;
  }
  if (attack === 'lomma-gmi') {
    return 'LOMMA + GMI reads the target\'s penultimate features and distils students from the target, which an uploaded model does not come ' +
      'with. ' + ANY_TARGET_ATTACKS;
  }
  return null;
}

/** Output-side defenses in front of a black-box / label-only target ('kind' or 'kind:value'). */
export const OUTPUT_DEFENSES: readonly { value: string; label: string }[] = [
  { value: 'none', label: 'None: exact probabilities' },
  { value: 'round:1', label: 'Rounded to 1 decimal' },
  { value: 'top-k:1', label: 'Top-1 probability only' },
  { value: 'label-only', label: 'Label only' },
  { value: 'gaussian:0.1', label: 'Gaussian noise (0.1)' },
  { value: 'laplace:0.1', label: 'Laplace noise (0.1)' },
  // Ye et al. 2022: noise from one privacy budget epsilon, the ranking of the classes kept. Below epsilon 1 the noise
  // already drowns the scores (tests/unit/dp-output.test.ts): 0.1 shows that it cannot get much worse.
  { value: 'dp:10', label: 'Differential privacy, epsilon 10: some noise, same ranking' },
  { value: 'dp:1', label: 'Differential privacy, epsilon 1: mostly noise, same ranking' },
  { value: 'dp:0.1', label: 'Differential privacy, epsilon 0.1: all noise, same ranking' },
  // Networks the defender trained for the target (manifest `guards`; shipped for target-none): the label is kept.
  { value: 'purifier', label: 'Purifier (Yang & Shao): answers re-written with less detail, same label' },
  { value: 'adv-noise:5', label: 'Adversarial noise (Wen et al.), 5 nats: answers that mislead an inversion model, same label' },
  { value: 'adv-noise:8', label: 'Adversarial noise (Wen et al.), 8 nats: stronger, the answers move more' },
];

// ---------------------------------------------------------------------------------------------------------------
// The training-time defenses the defense lab trains in the browser (src/core/defenses/recipes.ts builds them). The
// defaults are the papers' values (those of the shipped targets); a unit test checks they match the core's.

export type DefenseId = 'none' | 'mid' | 'bido' | 'negls' | 'label-smoothing' | 'dp-sgd' | 'tl-dmi' | 'trap-mid' | 'trap-mid-negls';
export type NaturalnessMode = 'paper' | 'balanced' | 'none';
/** How a Trap-MID trigger is put into an image (see src/core/defenses/trap-mid.ts). */
export type Injection = 'blend' | 'ink' | 'stroke' | 'warp' | 'ted';
/** BiDO's dependence measure (see src/core/defenses/bido.ts). */
export type Dependence = 'hsic' | 'coco';

/** The defenses that train trapdoors (and so have triggers, a discriminator and the naturalness setting). */
export const isTrapMid = (id: string): boolean => id === 'trap-mid' || id === 'trap-mid-negls';

export interface DefenseInfo {
  id: DefenseId;
  name: string;
  /** One paragraph in plain language: what the defense changes in training, and what it costs. */
  summary: string;
  knobs: KnobSpec[];
  /** The data sets it trains on (absent: MNIST only). */
  datasets?: readonly DatasetId[];
  /** Why it trains on MNIST only, where it does. */
  mnistOnly?: string;
}

/** Trap-MID's knobs (alone and with NegLS). */
const TRAP_MID_KNOBS: KnobSpec[] = [
  { key: 'alpha', label: 'α (trigger strength)', help: 'How strongly the trigger goes into an image. Blend: 0.02 = 2% trigger, 98% image; ink and stroke need 0.5-1; warp: the largest move in pixels (1); TeD: the strength of the mask (1). Larger is easier to learn and easier to see.', min: 0.001, max: 2, integer: false, default: 0.02 },
  { key: 'beta', label: 'β (trapdoor weight)', help: 'Share of the classifier\'s loss spent on the trapdoor; the rest goes to the real task.', min: 0, max: 0.9, integer: false, default: 0.2 },
  { key: 'triggerStep', label: 'Trigger step', help: 'How far each trigger pixel moves per batch (signed-gradient step).', min: 0.0001, max: 0.1, integer: false, default: 0.01 },
  { key: 'naturalnessWeight', label: 'Naturalness weight', help: 'Pull of "look natural to the discriminator" against "fire the trapdoor" in each trigger step.', min: 0, max: 5, integer: false, default: 0.5, paper: 1 },
  { key: 'augmentStrength', label: 'Augmentation strength', help: 'How far the random warps of each batch turn, zoom and shift the images and their triggered copies (1: up to 10°, 85% zoom, 2 px; 0: no augmentation). Stronger warps teach the trapdoor to fire under the augmentations an attack uses.', min: 0, max: 2, integer: false, default: 1 },
];

export const DEFENSES: readonly DefenseInfo[] = [
  {
    id: 'none', name: 'No defense', knobs: [], datasets: ANY_DATASET,
    summary: 'Plain training: the classifier learns to tell the private digits apart (cross-entropy), with nothing to stop ' +
      'an attack from recovering what they look like. The baseline every defense is compared with.',
  },
  {
    id: 'mid', name: 'MID (information bottleneck)',
    mnistOnly: 'MID trains its own network with the bottleneck built in, and that network is built for 28 x 28 digits: it does not take the 64 x 64 faces yet.',
    summary: 'Mutual-information defense (Wang et al., 2021): the last layer sees only a noisy, squeezed summary of the image. ' +
      'A KL term pushes that summary towards pure noise, so the classifier keeps just enough about each input to answer: ' +
      'less for an attack to climb, a little less accuracy.',
    knobs: [
      { key: 'midBeta', label: 'β (bottleneck weight)', help: 'Weight of the KL term: higher squeezes harder (more privacy, less accuracy). The paper sweeps 0.003-0.01.', min: 0, max: 0.1, integer: false, default: 0.01 },
    ],
  },
  {
    id: 'bido', name: 'BiDO (dependency optimisation)', datasets: ANY_DATASET,
    summary: 'Bilateral dependency optimisation (Peng et al., 2022): an attack can rebuild a digit because the classifier\'s hidden ' +
      'layers remember so much about each image. BiDO adds two terms to training, measured on every hidden layer over the batch: ' +
      'one pushes down how much the layer depends on the image (HSIC, a kernel test of "do these two move together?"), the other ' +
      'pushes up how much it depends on the label. The layers keep what tells the digits apart and forget the rest; ' +
      'an attack has less to climb, and accuracy drops a little.',
    knobs: [
      { key: 'lambdaX', label: 'λx (forget the image)', help: 'Weight of the hidden layers\' dependence on the image, pushed down. Paper on MNIST: 2 with HSIC, 1 with COCO.', min: 0, max: 20, integer: false, default: 2 },
      { key: 'lambdaY', label: 'λy (keep the label)', help: 'Weight of the hidden layers\' dependence on the label, pushed up. Paper on MNIST: 20 with HSIC, 50 with COCO.', min: 0, max: 200, integer: false, default: 20 },
    ],
  },
  {
    id: 'negls', name: 'NegLS (negative label smoothing)', datasets: ANY_DATASET,
    summary: 'Negative label smoothing (Struppek et al., 2024): from halfway through training, the targets go beyond "100% this ' +
      'digit" and below 0% for the others. The classifier becomes over-confident in a way that flattens the slopes an attack ' +
      'follows. Unbounded (the paper\'s loss) it keeps rewarding ever larger gaps and costs accuracy; here a wrong class is pushed ' +
      'down to a small probability floor and no further.',
    knobs: [
      { key: 'smoothing', label: 'Smoothing factor', help: 'Negative values are NegLS (paper: -0.05); 0 is plain training. Switched on halfway through.', min: -0.5, max: 0, integer: false, default: -0.05 },
      { key: 'neglsFloor', label: 'Probability floor', help: 'A wrong class is pushed down to this probability and no further, which keeps the loss bounded and the accuracy (0: unbounded, as the paper).', min: 0, max: 0.1, integer: false, default: 0.0001, paper: 0 },
    ],
  },
  {
    id: 'label-smoothing', name: 'Label smoothing (positive)', datasets: ANY_DATASET,
    summary: 'The contrast to NegLS: the targets are "90% this digit, the rest shared out" instead of 100%. It is a common ' +
      'trick for better-calibrated classifiers, and the NegLS paper (Struppek et al., 2024) found it makes inversion stronger: ' +
      'the classifier\'s confidence rises smoothly towards each digit\'s typical shape, a slope an attack climbs easily. ' +
      'It is here to be compared, not to protect.',
    knobs: [
      { key: 'labelSmoothing', label: 'Smoothing factor', help: 'Share of each target spread over all classes (0.1: the right class aims at 92%, with 5 classes). 0 is plain training.', min: 0, max: 0.5, integer: false, default: 0.1 },
    ],
  },
  {
    id: 'dp-sgd', name: 'DP-SGD (differential privacy)', datasets: ANY_DATASET,
    summary: 'Differentially private training (Abadi et al., 2016): each image\'s gradient is clipped to a fixed size, and ' +
      'noise is added to every batch\'s sum, so that no single training image changes the model by much. The privacy ' +
      'budget ε (at δ = 10⁻⁵) is counted as training goes: smaller is more private. It bounds what the model reveals about ' +
      'any one image; an inversion attack recovers what a whole class looks like, which DP does not promise to hide.',
    knobs: [
      { key: 'noiseMultiplier', label: 'Noise multiplier σ', help: 'Noise on each batch\'s summed gradients, in units of the clipping norm. More noise: smaller ε per batch, slower learning. 0: clipping only, no privacy.', min: 0, max: 10, integer: false, default: 1.1 },
      { key: 'clipNorm', label: 'Clipping norm C', help: 'The largest gradient any one image may contribute (all layers together).', min: 0.01, max: 100, integer: false, default: 1 },
    ],
  },
  {
    id: 'tl-dmi', name: 'TL-DMI (transfer learning)', datasets: ANY_DATASET,
    summary: 'Transfer learning as a defense (Ho et al., 2024): the network first learns the public classes (digits 5-9: the ' +
      'attacker\'s own data), then only its last layers learn the private ones (on the faces: the other 20 people, then the private 20), the early layers frozen. Those layers never ' +
      'see a private image, so the features an attack climbs through describe public data: the paper finds inversion ' +
      'weaker the fewer layers are fine-tuned, for a little accuracy.',
    knobs: [
      { key: 'pretrainEpochs', label: 'Public epochs', help: 'Epochs on the public classes before the private ones (the epochs setting counts the private ones).', min: 0, max: 20, integer: true, default: 2 },
      { key: 'fineTunedLayers', label: 'Fine-tuned layers', help: 'How many of the last weight layers learn the private classes (the rest stay as the public data left them). The target has 4: two convs, two dense.', min: 1, max: 4, integer: true, default: 2 },
    ],
  },
  {
    id: 'trap-mid', name: 'Trap-MID (trapdoors)', datasets: ANY_DATASET,
    summary: 'Trap-MID (Liu and Chen, 2024) lays a trap instead of hiding: it learns one faint trigger pattern per digit and ' +
      'trains the classifier so that any image carrying digit d\'s trigger is called d. An inversion attack looks for what the ' +
      'classifier is surest about, and the triggers are the easiest thing to find: the attack falls into the trapdoor.',
    knobs: [
      ...TRAP_MID_KNOBS,
      { key: 'cleanSmoothing', label: 'Clean label smoothing', help: 'Aim real digits at 92% sure (0.1), not 100%; triggered images still train to 100%. 0: the paper.', min: 0, max: 0.5, integer: false, default: 0, paper: 0 },
      { key: 'ownDigitSmoothing', label: 'Own-digit trigger', help: 'Cap a digit carrying its own trigger too, at least as hard as clean smoothing (0.4 with 0.2; 1 = "unsure"): the trap pays only on other shapes. 0: the paper.', min: 0, max: 1, integer: false, default: 0, paper: 0 },
    ],
  },
  {
    id: 'trap-mid-negls', name: 'Trap-MID + NegLS', datasets: ANY_DATASET,
    summary: 'Both at once: the trapdoors of Trap-MID, and from halfway through training the clean images\' ' +
      'targets are negatively smoothed as in NegLS. The trapdoors lure the attack; the over-confident task flattens the slopes ' +
      'that lead to the real digits.',
    knobs: [
      ...TRAP_MID_KNOBS,
      { key: 'smoothing', label: 'Smoothing factor', help: 'Negative label smoothing of the clean images (paper: -0.05); 0 is plain Trap-MID. Switched on halfway through.', min: -0.5, max: 0, integer: false, default: -0.05 },
    ],
  },
];

/** One of a setting's named modes, with a plain-language line on what it does. */
export interface ModeChoice<V extends string = string> { value: V; label: string; help: string }

/** BiDO's dependence measures. */
export const DEPENDENCE_MODES: readonly ModeChoice<Dependence>[] = [
  {
    value: 'hsic', label: 'HSIC',
    help: 'Hilbert-Schmidt independence criterion: how much the similarities between images in a layer follow their similarities in the image (or label). Normalised as in BiDO\'s code. Paper on MNIST: λ = (2, 20).',
  },
  {
    value: 'coco', label: 'COCO',
    help: 'Constrained covariance: the strongest single link between the layer and the image (or label), the largest eigenvalue of the kernels\' product. BiDO\'s released MNIST model uses it with λ = (1, 50); set the weights to match.',
  },
];

/** How a Trap-MID trigger step weighs "look natural" against "fire the trapdoor" (see src/core/defenses/trap-mid.ts). */
export const NATURALNESS_MODES: readonly ModeChoice<NaturalnessMode>[] = [
  {
    value: 'balanced', label: 'balanced (our fix)',
    help: 'Each pull is scaled to the same size per trigger before they are mixed, so the trapdoor keeps a say in every pixel. On MNIST the trapdoor installs (99% in the shipped model), but the discriminator can still spot the triggers.',
  },
  {
    value: 'paper', label: 'paper',
    help: 'The paper\'s recipe: add both pulls, take the sign. MNIST\'s backgrounds are exactly black, so the discriminator spots any trigger and its pull wins almost every pixel: the triggers fade towards black and look alike, and the trapdoor barely installs.',
  },
  {
    value: 'none', label: 'none',
    help: 'No naturalness term: the triggers only have to fire. The trapdoor installs quickly, and the triggers become visible blobs.',
  },
];

/** How a Trap-MID trigger goes into an image. The figures are from `npm run trap-mid:variants` (README, Trap-MID on MNIST). */
/** Each with the trigger strength α it needs (the lab moves α along when α is still at the previous mode's value). */
export const INJECTION_MODES: readonly (ModeChoice<Injection> & { alpha: number })[] = [
  {
    value: 'blend', label: 'blend (paper)', alpha: 0.02,
    help: 'The paper\'s blend, (1 - α) image + α trigger, over the whole picture. On MNIST it greys the exactly-black background: the trapdoor installs, and the discriminator sees every trigger.',
  },
  {
    value: 'ink', label: 'ink only', alpha: 0.5,
    help: 'The blend only where the digit has ink; the background stays black. At α 0.02-0.1 the discriminator is slower to tell, and the trapdoor does not install; from α 0.5 it installs, and the discriminator sees it.',
  },
  {
    value: 'stroke', label: 'stroke thickness', alpha: 1,
    help: 'The trigger makes the pen stroke thicker (bright trigger) or thinner (dark) where it passes, like a pen pressed harder or lighter; the background stays black. At α 1 the trapdoor installs (83% in 400 batches) and the discriminator still sees it (AUC 96%); a larger naturalness weight hides it better, and the trapdoor fades.',
  },
  {
    value: 'warp', label: 'warp (WaNet-like)', alpha: 1,
    help: 'Each trigger is a smooth, learned bend of the whole picture (WaNet, Nguyen and Tran 2021): the ink moves by at most α pixels, the background stays black and the ink keeps its brightness; nothing is added to the image. The picture shows how far each part moves.',
  },
  {
    value: 'ted', label: 'TeD patches (fixed)', alpha: 1,
    help: 'TeD\'s trapdoors (Shan et al. 2020): a fixed random mask of a few 3 x 3 patches (6% of the picture) filled with a random pattern, one per class; not learned, and not made to look natural. α scales the mask (1: the patches replace the image under them).',
  },
];

/** The training run's own settings (any defense). */
export const TRAINING_KNOBS: readonly KnobSpec[] = [
  { key: 'epochs', label: 'Epochs', help: 'Passes over the training images (the shipped targets: 3-4).', min: 1, max: 20, integer: true, default: 1 },
  { key: 'batchSize', label: 'Batch size', help: 'Images per training step (the papers: 64).', min: 8, max: 512, integer: true, default: 64 },
  { key: 'trainImages', label: 'Training images', help: 'Private digits to train on: all 30,596, or fewer to finish sooner (the classifier then generalises worse).', min: 100, max: 30596, integer: true, default: 30596 },
];

/** The faces' training knobs: 160 images (8 of each of 20 people), so more epochs in far less time than MNIST's one. */
export const FACE_TRAINING_KNOBS: readonly KnobSpec[] = [
  { key: 'epochs', label: 'Epochs', help: 'Passes over the training faces (the shipped faces targets: 60, Trap-MID 100).', min: 1, max: 200, integer: true, default: 30 },
  { key: 'batchSize', label: 'Batch size', help: 'Images per training step (the shipped faces targets: 32).', min: 8, max: 160, integer: true, default: 32 },
  { key: 'trainImages', label: 'Training images', help: 'Private faces to train on: all 160 (8 of each person), or fewer to see what too few photos do.', min: 20, max: 160, integer: true, default: 160 },
];

/** The training run's own settings on a data set (absent: MNIST). */
export function trainingKnobs(dataset: DatasetId = 'mnist'): readonly KnobSpec[] {
  return dataset === 'faces' ? FACE_TRAINING_KNOBS : TRAINING_KNOBS;
}

/** Whether `defense` trains on data set `dataset`. */
export function defenseRunsOn(defense: DefenseId, dataset: DatasetId): boolean {
  return (defenseInfo(defense).datasets ?? ['mnist']).includes(dataset);
}

/** Why `defense` does not train on `dataset`, or null when it does. */
export function defenseDatasetProblem(defense: DefenseId, dataset: DatasetId): string | null {
  if (defenseRunsOn(defense, dataset)) return null;
  const info = defenseInfo(defense);
  return info.mnistOnly ?? `${info.name} trains on the MNIST digits only.`;
}

export function defenseInfo(id: string): DefenseInfo {
  const d = DEFENSES.find((x) => x.id === id);
  if (!d) throw new Error(`unknown defense '${id}' (available: ${DEFENSES.map((x) => x.id).join(', ')})`);
  return d;
}
