import { readFileSync } from 'node:fs';

/**
 * Prints where a `.cpuprofile` spent its time: self time by function and by
 * package (node_modules/<pkg>, src/…, node: internals), largest first.
 * Usage: `npx tsx bench/support/summarize-cpu-profile.ts FILE [TOP]`.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: summarize-cpu-profile.ts FILE [TOP]');
  process.exit(2);
}
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

function area(url: string, name: string): string {
  if (!url) return `(${name || 'native'})`;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1] as string;
  if (url.startsWith('node:')) return url;
  const src = /\/work\/main\/(.*)$/.exec(url);
  return src ? (src[1] as string) : url;
}

const byFunction = new Map<string, number>();
const byArea = new Map<string, number>();
for (const [id, us] of selfUs) {
  const f = byId.get(id)?.callFrame;
  if (!f) continue;
  const where = area(f.url, f.functionName);
  const key = `${f.functionName || '(anonymous)'} ${where}:${f.lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  byArea.set(where, (byArea.get(where) ?? 0) + us);
}
const show = (title: string, m: Map<string, number>) => {
  console.log(`\n${title} (total ${(total / 1000).toFixed(0)} ms sampled)`);
  for (const [k, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
  }
};
show('self time by area', byArea);
show('self time by function', byFunction);
