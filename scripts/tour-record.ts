// npm run tour:record
// The guided tour's recorded 2x2 table (step 5): MI-Face and PLG-MI, each against no defense and the Trap-MID target
// of step 4, over seeds 1-20 at the tour's own budget, through the engine and the config the tour page builds. Prints
// the table and writes src/pages/tour/recorded-runs.json, which the page shows and the tour's claims test re-measures
// (about 10 minutes on wasm: PLG-MI is ~11 s a run).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from './lib/node-io.ts';
import { measureTourRun, recordedCell, startTourEngine, type RecordedCell } from './lib/tour-runs.ts';
import { DEFAULT_TOUR_STEPS, TOUR_RUNS } from '../src/pages/tour/tour-config.ts';

const SEEDS = Array.from({ length: 20 }, (_, i) => i + 1);
const ATTACKS = [TOUR_RUNS.miFace.attack, TOUR_RUNS.plg.attack];
const TARGETS = [TOUR_RUNS.miFace.target, TOUR_RUNS.trapped.target];
const OUT = path.join(ROOT, 'src', 'pages', 'tour', 'recorded-runs.json');

const engine = await startTourEngine();
const cells: RecordedCell[] = [];
const t0 = performance.now();
for (const target of TARGETS) {
  for (const attack of ATTACKS) {
    const t = performance.now();
    const cell = await measureTourRun(engine, attack, target, SEEDS, DEFAULT_TOUR_STEPS);
    cells.push(recordedCell(cell));
    // Per seed on stderr: what the claims test checks seed by seed.
    for (const r of cell.seeds) console.error(`  seed ${r.seed}: top-1 ${r.top1.toFixed(2)}, ${JSON.stringify(r.verdicts)}, peak ${r.meanPeak.toFixed(2)}, flagged ${r.flagged ?? '-'}`);
    console.error(`${attack} vs ${target}: ${((performance.now() - t) / 1000).toFixed(0)} s`);
  }
}

const record = { command: 'npm run tour:record', date: new Date().toISOString(), seeds: SEEDS, steps: DEFAULT_TOUR_STEPS, backend: 'wasm', cells };
// One cell a line: the file is read by people reviewing a re-recording as much as by the page.
const flat = (v: unknown) => JSON.stringify(v, null, 1).replace(/\n\s*/g, ' ').replaceAll('[ ', '[').replaceAll(' ]', ']');
const json = `{\n${Object.entries(record).map(([k, v]) =>
  k === 'cells' ? `  "cells": [\n${cells.map((c) => `    ${flat(c)}`).join(',\n')}\n  ]` : `  "${k}": ${flat(v)}`).join(',\n')}\n}`;
fs.writeFileSync(OUT, json + '\n');

const pct = (v: number | null) => (v === null ? '-' : `${Math.round(100 * v)}%`).padStart(8);
console.log(`${SEEDS.length} seeds x ${DEFAULT_TOUR_STEPS} steps, wasm, ${((performance.now() - t0) / 1000).toFixed(0)} s; shares of all reconstructions`);
console.log(`${'attack'.padEnd(9)}${'target'.padEnd(24)}${['clear', 'barely', 'wrong', 'blank', 'top-1', 'flagged', 'peak'].map((h) => h.padStart(8)).join('')}`);
for (const c of cells) {
  console.log(`${c.attack.padEnd(9)}${c.target.padEnd(24)}${[c.clear, c.barely, c.wrong, c.blank, c.top1, c.flagged].map(pct).join('')}${c.meanPeak.toFixed(2).padStart(8)}`);
}
console.log(`wrote ${path.relative(ROOT, OUT)}`);
