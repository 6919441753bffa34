import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startAutovacuumStandIn } from '../support/autovacuum-stand-in.js';
import { benchDatabaseUrl } from '../support/bench-args.js';
import type { Benchmark } from './benchmark.js';

const benchDir = fileURLToPath(new URL('..', import.meta.url));
const [name, ...args] = process.argv.slice(2);

function available(): string[] {
  return readdirSync(benchDir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.replace(/\.ts$/, ''));
}

if (!name || !/^[a-z0-9-]+$/.test(name) || !existsSync(join(benchDir, `${name}.ts`))) {
  console.error(
    `usage: npm run bench -- NAME [args]\nbenchmarks: ${available().join(', ') || '(none)'}`,
  );
  process.exit(2);
}

const mod = (await import(pathToFileURL(join(benchDir, `${name}.ts`)).href)) as {
  default: Benchmark;
  /** Set by benchmarks that run on PostgreSQL (see autovacuum-stand-in.ts). */
  usesPostgres?: boolean;
};
const progress = (message: string) => process.stderr.write(`[${name}] ${message}\n`);
const standIn =
  mod.usesPostgres && !args.includes('--no-vacuum-stand-in')
    ? await startAutovacuumStandIn(benchDatabaseUrl(), progress)
    : undefined;
const started = Date.now();
let result: Awaited<ReturnType<Benchmark>>;
let vacuumWork: { vacuums: number; analyzes: number } | undefined;
try {
  result = await mod.default({ args, progress });
} finally {
  vacuumWork = await standIn?.stop();
}
if (standIn?.active) {
  result.parameters = { ...result.parameters, autovacuumStandIn: vacuumWork };
}

const width = Math.max(...result.figures.map((f) => f.label.length), 6);
console.log(`\n${name}`);
console.log(`${'figure'.padEnd(width)}  ${'value'.padStart(14)}  key`);
for (const f of result.figures) {
  console.log(
    `${f.label.padEnd(width)}  ${f.value.toLocaleString('en-US').padStart(14)}  ${f.key}`,
  );
}

const out = {
  benchmark: name,
  ranAt: new Date().toISOString(),
  durationSeconds: Math.round((Date.now() - started) / 1000),
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, node: process.version },
  parameters: result.parameters ?? {},
  ...Object.fromEntries(result.figures.map((f) => [f.key, f.value])),
};
mkdirSync(join(benchDir, 'results'), { recursive: true });
const file = join(benchDir, 'results', `${name}.json`);
writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
console.log(`\nwritten ${file}`);
process.exit(0);
