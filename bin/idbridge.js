#!/usr/bin/env node
// The CLI runs the TypeScript sources directly through tsx's loader, so the
// installed program and the checked-out code can never drift apart.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
