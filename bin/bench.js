#!/usr/bin/env node
// `npm run bench -- NAME [args]` runs bench/NAME.ts under tsx.
import { register } from 'tsx/esm/api';

register();
await import('../bench/harness/run-benchmark.ts');
