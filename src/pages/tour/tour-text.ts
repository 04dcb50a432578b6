// What the guided tour says beside its figures: the one "what to notice" sentence of each step, the narrated mode's
// captions and the "What am I looking at?" paragraphs. Written for a reader with no machine-learning background; each
// claim here is one the tour's settings keep on every seed 1-20 (tests/unit/tour-claims.test.ts; the faces of step 6 on
// seeds 1-3 there, each run costing several seconds, and on 1-20 when it was written).
import type { StageId } from './narration.ts';

/** One sentence per step, always visible, pointing at the figure that carries the lesson. */
export const NOTICES: Record<number, string> = {
  1: 'the percentages under the pictures. The classifier is almost 100% sure of every one of its own training pictures; that over-confidence is the trace an attacker exploits.',
  2: '"target is sure" (close to 100%) against "evaluator sees". The attacked classifier is fooled every time, but the evaluator is at best "right, but barely": the faint strokes carry a trace of each digit, not a copy of a private picture.',
  3: 'the "clearly right" count at the end of each row. PLG-MI\'s whole, bright digits convince the evaluator more often than MI-Face\'s faint strokes from the same seed.',
  4: 'where the orange dots land in the lower histogram. The reconstructions sit right of the dashed threshold (all five on almost every seed): the attack fell into the trapdoor and rebuilt faint trigger patterns instead of digits (compare the full-contrast row with the triggers above it), and the defender\'s detector flags them.',
  5: 'the table\'s two rows. The same two attacks that recover the digits from an unprotected classifier are clearly right far less often against Trap-MID, and get caught.',
  6: 'the "Clearly right" count and each reconstruction beside the real photo. None is a photograph, only a blotchy grey layout of a face (in many, dark patches where the eyes and mouth go), yet the evaluator names the right person, at least 50% sure, for more than half of the 20 people on every seed.',
};

export const MI_CAPTIONS: Record<StageId, string> = {
  first: 'The attack starts from faint random noise and asks the classifier, for each digit, which way every pixel should move to make it surer. After a step or two the classifier is already leaning the right way, but the images show nothing yet.',
  half: 'Half-way: the classifier is now close to 100% sure about every image. Strokes appear where the classifier looks for them; the smoothness prior (the attack\'s assumption that real pictures are smooth) keeps them from turning into pure noise. Do the evaluator\'s verdicts agree yet?',
  end: 'Done. What you see is the classifier\'s idea of each digit, recovered without ever seeing a private image: right often enough to show the privacy leak, but too faint for the evaluator to be sure.',
};
export const PLG_CAPTIONS: Record<StageId, string> = {
  first: 'PLG-MI does not move pixels: it moves the input of a generator (a GAN trained on public digits 5-9, labelled by the attacked classifier), so every candidate is already a handwriting-like image from the first step.',
  half: 'Half-way: for each digit it keeps several candidates and follows the one the classifier is surest about. The images stay digit-shaped because the generator can only draw handwriting.',
  end: 'Done. Compare with MI-Face above: the GAN prior trades the faint strokes for whole, realistic digits, which is why GAN attacks recover more recognisable private data.',
};
export const TRAP_CAPTIONS: Record<StageId, string> = {
  first: 'The same MI-Face attack, now against a classifier trained with Trap-MID: for each digit it learned a faint trigger pattern that makes it answer that digit, whatever the image shows.',
  half: 'Half-way: the classifier is already sure, but look at the histogram below: the orange dots (the reconstructions) sit right of the threshold, where pictures carrying a trigger land.',
  end: 'Done. The attack found the trapdoor instead of the private digits: the reconstructions are nearly blank trigger patterns, and the detector flags them.',
};

export const FACES_CAPTIONS: Record<StageId, string> = {
  first: 'Step 2\'s MI-Face, now on 64 x 64 photos of faces: for each of the 20 people it starts from a faint noisy image and asks the face recogniser which way every pixel should move to make it surer the image shows that person.',
  half: 'Half-way: dark and light patches form where the recogniser looks to tell people apart, in many where the eyes and mouth go; the smoothness prior keeps them in patches rather than pure speckle. Compare each with the real photo beside it.',
  end: 'Done. Each image is the recogniser\'s idea of one person, rebuilt without seeing a single photo: a blotchy layout of a face, not a picture of it, but the evaluator names the right person for more than half of them.',
};

export const TEXTS = {
  memorised: 'Each image is a real training picture of the classifier under attack (one per private digit 0-4). Under it, the classifier\'s answer and how sure it is. These are the pictures an attacker should never see; the attacks in the next steps try to rebuild them from the classifier alone.',
  grid2: 'Five cards, one per private digit 0-4. The big image is the attack\'s reconstruction, built only by asking the classifier, and brightened up to 4 times so faint strokes show (an empty image stays dark); the small one beside it is a real private training picture, for comparison (the attack never sees it). "Target is sure" is the attacked classifier\'s confidence; "Evaluator sees" is what the independent evaluator reads in the reconstruction, and how sure it is. Its verdict: "clearly right" (it reads the digit and is at least 50% sure), "right, but barely" (its best guess is right, under 50% sure), "wrong digit", or "nearly blank" (almost no ink to judge). "Judge 2 sees" is a second judge, built differently and trained on distorted and adversarial digits: an image can fool one classifier with patterns no person sees, rarely two such different ones.',
  grid3: 'The same cards for PLG-MI: each reconstruction is an image drawn by a generator trained on public digits, steered by the classifier. The evaluator\'s verdicts say whether the drawing really is the private digit.',
  grid4: 'The same cards for MI-Face against the Trap-MID classifier, brightened up to 4 times (an almost empty image stays dark). The classifier is just as sure as in step 2, but the images are nearly blank: the evaluator finds no digit in them.',
  triggers: 'Top row: the trigger pattern Trap-MID planted for each digit. Bottom row: the same reconstructions as in the cards above, but stretched until their brightest pixel is white, so even the faintest pattern shows (this also turns a little noise into speckle). Where a reconstruction holds anything, it is the outline of its digit\'s trigger, not the digit: the attack found the trapdoor.',
  grid6: 'One card per private person of the face recogniser (numbered as in the database). The big image is the attack\'s reconstruction, built only by asking the recogniser; the small one beside it is a real photo of that person from the private training data, for comparison (the attack never sees it). "Target is sure" is the recogniser\'s confidence that the reconstruction shows that person; "Evaluator sees" is the person a second, separately trained face recogniser names in it, and how sure it is. Its verdict: "clearly right" (the right person, at least 50% sure), "right, but barely" (the right person, under 50% sure) or "wrong person". "Judge 2 sees" is a second judge that also knows the 20 strangers of the attacker\'s public photos: "a stranger" under a card means the reconstruction looks more like one of them than like anyone the recogniser learned.',
  compare: 'Top row: MI-Face\'s final reconstructions from step 2 (pixels moved one by one, brightened up to 4 times). Bottom row: PLG-MI\'s (a GAN prior), live. Under each image, the digit attacked and what the evaluator reads: ✓ clearly right, ~ right but barely (under 50% sure), ✗ wrong digit. At the end of each row, how many of the five the evaluator is clearly right about.',
} as const;
