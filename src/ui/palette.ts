// Every categorical colour the pages draw with, defined once: the Okabe-Ito set, which stays tellable apart with the
// common colour-vision deficiencies (tests/unit/palette.test.ts checks it under simulated deuteranopia, protanopia and
// tritanopia). Yellow is left out: thin lines and small points in it vanish on white. Colour never carries meaning
// alone here: every series has a legend label, every digit its number, every verdict its tick or cross.

/** The Okabe-Ito colours the pages use (Okabe & Ito 2008), with the page's ink and a mid grey in place of black and yellow. */
export const OKABE_ITO = {
  blue: '#0072B2',
  orange: '#E69F00',
  bluishGreen: '#009E73',
  reddishPurple: '#CC79A7',
  skyBlue: '#56B4E9',
  vermillion: '#D55E00',
  ink: '#1d2330',
  grey: '#6e6e6e',
} as const;

/** A ninth colour for a ninth attack: Paul Tol's "wine" (his muted scheme), apart from all of the above under the palette test. */
export const TOL_WINE = '#882255';
/** Another for the split attack: Tol's "indigo" (his muted scheme), apart from all of the above under the palette test. */
export const TOL_INDIGO = '#332288';
/** And one for PPA: Tol's "green" (his muted scheme), apart from all of the above under the palette test. */
export const TOL_GREEN = '#117733';
/** And one for C2FMI: Tol's "olive" (his muted scheme), apart from all of the above under the palette test. */
export const TOL_OLIVE = '#999933';
/** Two more for LOKT and the adaptive PLG-MI: Krzywinski's colour-blind-safe "lilac" and "brown" (his 15-colour
 *  palette), apart from all of the above and each other under the palette test. */
export const KRZYWINSKI_LILAC = '#b66dff';
export const KRZYWINSKI_BROWN = '#924900';

/** Series colours in the order a chart hands them out: one per attack of the catalog (the benchmark's scatter plot). */
export const CATEGORICAL: readonly string[] = [
  OKABE_ITO.blue, OKABE_ITO.orange, OKABE_ITO.bluishGreen, OKABE_ITO.reddishPurple, OKABE_ITO.skyBlue, OKABE_ITO.vermillion, OKABE_ITO.ink,
  OKABE_ITO.grey, TOL_WINE, TOL_INDIGO, TOL_GREEN, TOL_OLIVE, KRZYWINSKI_LILAC, KRZYWINSKI_BROWN,
];

/** One colour per attacked digit 0-4: the cards, the candidate rows and the confidence lines. */
export const DIGIT_COLORS: readonly string[] = CATEGORICAL.slice(0, 5);

/**
 * A series that is only context (the noisy running training accuracy): a light grey, behind the coloured ones, and
 * light enough to stay apart from every categorical colour (the palette test checks it with them).
 */
export const CONTEXT_GREY = '#b0b0b0';

/** The i-th categorical colour (wrapping round when there are more series than colours). */
export const seriesColor = (i: number): string => CATEGORICAL[i % CATEGORICAL.length];

/** The lightest and darkest ends of the heat ramp: white to a light Okabe-Ito blue, so dark text stays readable on every cell. */
const HEAT_FROM = [255, 255, 255];
const HEAT_TO = [150, 190, 220];

/**
 * A share in [0, 1] as a background on a single-hue ramp (white to blue): the darker, the higher. One hue only, so
 * the order reads the same to every eye, and light enough at 1 for the cells' dark text (WCAG AA).
 */
export function heatColor(share: number): string {
  const t = Math.min(1, Math.max(0, Number.isFinite(share) ? share : 0));
  const [r, g, b] = HEAT_FROM.map((from, i) => Math.round(from + (HEAT_TO[i] - from) * t));
  return `rgb(${r}, ${g}, ${b})`;
}
