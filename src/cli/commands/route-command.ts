import type { Command } from 'commander';
import { loadConfig } from '../../config/load-config.js';
import { isIdbridgeError } from '../../core/errors.js';
import { maskPhoneNumbers } from '../../core/mask-phone-numbers.js';
import { KNOWN_OPERATORS } from '../../routing/known-operators.js';
import { loadRoutingDirectory } from '../../routing/load-routing-directory.js';
import { loadRoutingTable } from '../../routing/load-routing-table.js';
import { formatLoadWarning } from '../../routing/load-warning.js';
import { normalizeMsisdn } from '../../routing/normalize-msisdn.js';
import type { RangeInfo, RouteAnswer } from '../../routing/route-answer.js';

export interface RouteCommandOptions {
  plan?: string[];
  ported?: string;
  directory?: string;
  config?: string;
  json?: boolean;
}

/** Where the command writes; injectable so tests need no subprocess. */
export interface RouteCommandIo {
  stdout(line: string): void;
  stderr(line: string): void;
}

const processIo: RouteCommandIo = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

/** Exit codes: 0 routed, 1 not routable, 2 bad input (number, files, directory). */
export const ROUTE_EXIT = { FOUND: 0, NOT_FOUND: 1, BAD_INPUT: 2 } as const;

export function registerRouteCommand(program: Command, io: RouteCommandIo = processIo): void {
  program
    .command('route')
    .description(
      'show which operator serves a phone number (portability database first, then numbering plan; I5)',
    )
    .argument('<msisdn>', 'phone number as typed, e.g. "+7 916 123-45-67" or 89161234567')
    .option('--plan <file>', 'numbering-plan register (DEF-9xx CSV); repeatable', collect)
    .option('--ported <file>', 'portability snapshot (БДПН Port_All CSV)')
    .option(
      '--directory <file>',
      'participants (JSON or YAML list); default: the four national operators',
    )
    .option(
      '-c, --config <file>',
      'config file whose routing section names the files when --plan is absent',
    )
    .option('--json', 'print the answer as JSON')
    .action(async (msisdn: string, opts: RouteCommandOptions) => {
      process.exitCode = await runRouteCommand(msisdn, opts, io);
    });
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Runs the command and returns its exit code. Load warnings go to stderr. */
export async function runRouteCommand(
  input: string,
  opts: RouteCommandOptions,
  io: RouteCommandIo = processIo,
): Promise<number> {
  const warn = (text: string): void => io.stderr(maskPhoneNumbers(text));
  try {
    normalizeMsisdn(input); // fail fast on a bad number, before loading files
    let planFiles = opts.plan ?? [];
    let portedFile = opts.ported;
    if (planFiles.length === 0) {
      const routing = loadConfig({ file: opts.config }).routing;
      planFiles = [...routing.planFiles];
      portedFile ??= routing.portedFile;
    }
    if (planFiles.length === 0) {
      warn('idbridge route: give --plan FILE (or routing.planFiles in the config)');
      return ROUTE_EXIT.BAD_INPUT;
    }
    if (portedFile === undefined)
      warn('idbridge route: no --ported snapshot; ported numbers route to the range holder');
    const participants =
      opts.directory === undefined ? KNOWN_OPERATORS : await loadRoutingDirectory(opts.directory);
    const loaded = await loadRoutingTable({
      planFiles,
      portedFile,
      participants,
      onWarning: (w) => warn(`warning: ${formatLoadWarning(w)}`),
    });
    const s = loaded.table.stats;
    warn(
      `loaded ${s.ranges} mobile ranges from ${planFiles.length} file(s), ${s.portedNumbers} ported numbers`,
    );
    const answer = loaded.table.lookup(input);
    if (opts.json) io.stdout(JSON.stringify({ input, ...answer }, null, 2));
    else for (const line of describeAnswer(input, answer)) io.stdout(line);
    return answer.found ? ROUTE_EXIT.FOUND : ROUTE_EXIT.NOT_FOUND;
  } catch (err) {
    if (
      isIdbridgeError(err) &&
      (err.code === 'INVALID_ARGUMENT' || err.code === 'CONFIG_INVALID')
    ) {
      warn(`idbridge route: ${err.message}`);
      return ROUTE_EXIT.BAD_INPUT;
    }
    throw err;
  }
}

/** Human-readable answer; the number is shown as the user typed it. */
export function describeAnswer(input: string, a: RouteAnswer): string[] {
  const head = input.trim() === a.msisdn ? a.msisdn : `${input.trim()} (${a.msisdn})`;
  if (a.found) {
    const lines = [`${head} → ${a.participantId}`];
    if (a.source === 'ported')
      lines.push(
        `  source: ported, БДПН owner ${a.portOwner.ownerId || '-'}, MNC ${a.portOwner.mnc || '-'}`,
      );
    else lines.push('  source: numbering-plan range');
    if (a.range) lines.push(`  range holder: ${describeRange(a.range)}`);
    return lines;
  }
  switch (a.reason) {
    case 'NOT_RUSSIAN_NUMBER':
      return [`${head}: not routable (NOT_RUSSIAN_NUMBER): not a Russian number`];
    case 'NOT_MOBILE_RANGE':
      return [`${head}: not routable (NOT_MOBILE_RANGE): no mobile (DEF) range covers this number`];
    case 'HOLDER_NOT_IN_DIRECTORY':
      if (a.source === 'ported') {
        return [
          `${head}: not routable (HOLDER_NOT_IN_DIRECTORY): ported to БДПН owner ${a.portOwner.ownerId || '-'}, MNC ${a.portOwner.mnc || '-'}, which no directory participant serves`,
          ...(a.range ? [`  range holder: ${describeRange(a.range)}`] : []),
        ];
      }
      return [
        `${head}: not routable (HOLDER_NOT_IN_DIRECTORY): range holder is not in the directory`,
        `  range holder: ${describeRange(a.range)}`,
      ];
  }
}

function describeRange(r: RangeInfo): string {
  return `${r.holderName}, ИНН ${r.inn ?? 'unknown'}, ${r.region}${r.territory && r.territory !== r.region ? ` (${r.territory})` : ''}`;
}
