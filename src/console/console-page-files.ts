import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const PAGE_DIR = join(import.meta.dirname, 'page');
const TABS_MARKER = '    <!-- console-tabs.html: the dashboard tabs both pages share -->\n';

/**
 * The console page (sandbox or one node's) with its script and style, read
 * once at start: small static files shipped in the source tree. Both pages
 * take the dashboard tabs from `console-tabs.html`.
 */
export function readConsolePageFiles(page: 'sandbox-console.html' | 'node-console.html'): {
  html: string;
  js: string;
  css: string;
} {
  const read = (name: string) => readFileSync(join(PAGE_DIR, name), 'utf8');
  const html = read(page);
  if (!html.includes(TABS_MARKER)) throw new Error(`${page} lacks the console-tabs marker`);
  return {
    html: html.replace(TABS_MARKER, read('console-tabs.html')),
    js: read('console.js'),
    css: read('console.css'),
  };
}
