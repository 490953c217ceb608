/** Writes a run's rows as JSON, a Markdown table of ratios, and an SVG chart of the ratios. */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Row } from './harness.js';

interface Group {
  key: string;
  rows: Row[];
  base: Row | undefined;
}

/** multiproc's own rows (the first is the base of its group; the others are variants). */
function isOurs(r: Row): boolean {
  return r.impl.startsWith('multiproc');
}

function groups(rows: Row[]): Group[] {
  const byKey = new Map<string, Row[]>();
  for (const r of rows) {
    const key = `${r.workload} — ${r.metric}`;
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  return [...byKey].map(([key, rs]) => ({
    key,
    rows: rs,
    base: rs.find(isOurs),
  }));
}

/** How many times better multiproc is than `r` (>1: multiproc wins). */
function advantage(base: Row, r: Row): number {
  return base.higherIsBetter ? base.value / r.value : r.value / base.value;
}

function fmt(v: number): string {
  if (v >= 100) return Math.round(v).toLocaleString('en-US');
  if (v >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

export function markdown(rows: Row[]): string {
  const out = ['| workload — metric | implementation | value | multiproc advantage |', '|---|---|---|---|'];
  for (const g of groups(rows)) {
    for (const r of g.rows) {
      const adv = g.base && !isOurs(r) ? `${advantage(g.base, r).toFixed(2)}x` : '';
      out.push(
        `| ${g.key} | ${r.impl} | ${fmt(r.value)} ${r.unit}${r.note ? ` (${r.note})` : ''} | ${adv} |`,
      );
    }
  }
  return out.join('\n');
}

export function svg(rows: Row[]): string {
  const bars: Array<{ label: string; value: number }> = [];
  for (const g of groups(rows)) {
    if (!g.base) continue;
    for (const r of g.rows)
      if (!isOurs(r)) bars.push({ label: `${g.key} vs ${r.impl}`, value: advantage(g.base, r) });
  }
  const width = 900;
  const rowH = 22;
  const left = 520;
  const max = Math.max(2, ...bars.map((b) => Math.log10(b.value) + 1));
  const scale = (width - left - 60) / max;
  const lines = bars.map((b, i) => {
    const y = 30 + i * rowH;
    const w = Math.max(1, (Math.log10(Math.max(b.value, 0.1)) + 1) * scale);
    const color = b.value >= 1 ? '#2b8a3e' : '#c92a2a';
    const label = b.label.replace(/&/g, '&amp;').replace(/</g, '&lt;');
    return `<text x="${left - 8}" y="${y + 14}" text-anchor="end" font-size="12">${label}</text>
<rect x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 6}" fill="${color}"/>
<text x="${(left + w + 6).toFixed(1)}" y="${y + 15}" font-size="12">${b.value.toFixed(2)}x</text>`;
  });
  const height = 40 + bars.length * rowH;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<text x="10" y="18" font-size="14" font-weight="bold">multiproc advantage (log scale; &gt;1x = multiproc faster)</text>
<line x1="${left + scale}" y1="24" x2="${left + scale}" y2="${height}" stroke="#888" stroke-dasharray="3"/>
${lines.join('\n')}
</svg>`;
}

export function writeReport(dir: string, rows: Row[], meta: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/latest.json`, `${JSON.stringify({ ...meta, rows }, null, 2)}\n`);
  writeFileSync(`${dir}/latest.md`, `${markdown(rows)}\n`);
  writeFileSync(`${dir}/latest.svg`, svg(rows));
}
