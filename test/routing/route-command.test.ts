import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type RouteCommandIo,
  registerRouteCommand,
  runRouteCommand,
} from '../../src/cli/commands/route-command.js';
import { FIXTURES } from './fixture-paths.js';

function captureIo(): RouteCommandIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (l) => out.push(l), stderr: (l) => err.push(l) };
}

const files = {
  plan: [FIXTURES.plan8Utf8Bom, FIXTURES.plan7Cp1251],
  ported: FIXTURES.portAllSmall,
};

describe('idbridge route', () => {
  afterEach(() => {
    process.exitCode = undefined;
  });

  it('is registered on a commander program and sets exit code 0 for a routed number', async () => {
    const io = captureIo();
    const program = new Command().exitOverride();
    registerRouteCommand(program, io);
    await program.parseAsync(
      [
        'route',
        '8 (916) 123-45-67',
        '--plan',
        FIXTURES.plan8Utf8Bom,
        '--plan',
        FIXTURES.plan7Cp1251,
        '--ported',
        FIXTURES.portAllSmall,
      ],
      { from: 'user' },
    );
    expect(process.exitCode).toBe(0);
    expect(io.out).toEqual([
      '8 (916) 123-45-67 (+79161234567) → megafon',
      '  source: ported, БДПН owner mMEGAFON, MNC 02',
      '  range holder: ПАО "Мобильные ТелеСистемы", ИНН 7740000076, г. Москва * Московская область (г. Москва)',
    ]);
  });

  it('prints load warnings to stderr with file:line', async () => {
    const io = captureIo();
    expect(await runRouteCommand('+79151234567', files, io)).toBe(0);
    expect(io.out[0]).toBe('+79151234567 → mts');
    expect(io.out[1]).toBe('  source: numbering-plan range');
    expect(io.err).toContain(
      `warning: ${FIXTURES.plan7Cp1251}:5: Емкость 1000000 is not До − От + 1 = 10000000; row skipped`,
    );
    expect(io.err).toContain(
      `warning: ${FIXTURES.portAllSmall}:8: expected 7 columns, found 3; row skipped`,
    );
    expect(
      io.err.some((l) => l.startsWith('loaded 8 mobile ranges from 2 file(s), 5 ported numbers')),
    ).toBe(true);
  });

  it('never writes a subscriber number in clear to stderr', async () => {
    const io = captureIo();
    await runRouteCommand('+79161234567', files, io);
    expect(io.err.join('\n')).not.toMatch(/9161234567/);
  });

  it('exits 1 with the reason for a number it cannot route', async () => {
    const io = captureIo();
    expect(await runRouteCommand('+7 495 123-45-67', files, io)).toBe(1);
    expect(io.out).toEqual([
      '+7 495 123-45-67 (+74951234567): not routable (NOT_MOBILE_RANGE): no mobile (DEF) range covers this number',
    ]);
    const io2 = captureIo();
    expect(await runRouteCommand('+79990000001', files, io2)).toBe(1);
    expect(io2.out).toEqual([
      '+79990000001: not routable (HOLDER_NOT_IN_DIRECTORY): range holder is not in the directory',
      '  range holder: ООО "Скартел", ИНН 7701725181, г. Москва * Московская область (г. Москва)',
    ]);
  });

  it('exits 1 naming the БДПН owner when a number is ported to an operator outside the directory', async () => {
    const io = captureIo();
    expect(await runRouteCommand('+79160000001', files, io)).toBe(1);
    expect(io.out[0]).toBe(
      '+79160000001: not routable (HOLDER_NOT_IN_DIRECTORY): ported to БДПН owner mUNKNOWN, MNC 25, which no directory participant serves',
    );
  });

  it('exits 2 for input that is not a phone number, before reading any file', async () => {
    const io = captureIo();
    expect(await runRouteCommand('call me', { plan: ['/nonexistent.csv'] }, io)).toBe(2);
    expect(io.err).toEqual([
      expect.stringMatching(/^idbridge route: a phone number may hold only digits/),
    ]);
    expect(io.out).toEqual([]);
  });

  it('exits 2 for a missing plan file', async () => {
    const io = captureIo();
    expect(await runRouteCommand('+79161234567', { plan: ['/nonexistent.csv'] }, io)).toBe(2);
    expect(io.err.join('\n')).toMatch(/cannot read numbering plan \/nonexistent\.csv/);
  });

  it('routes with a YAML directory file instead of the built-in operators', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idbridge-route-'));
    const directory = join(dir, 'directory.yaml');
    writeFileSync(
      directory,
      'participants:\n  - id: yota\n    role: operator\n    inn: "7701725181"\n  - id: mega\n    inn: "7812014560"\n    mncs: ["02"]\n',
    );
    const io = captureIo();
    expect(await runRouteCommand('+79990000001', { ...files, directory, json: true }, io)).toBe(0);
    expect(JSON.parse(io.out.join('\n'))).toMatchObject({
      input: '+79990000001',
      found: true,
      participantId: 'yota',
      source: 'range',
    });
    const io2 = captureIo();
    expect(await runRouteCommand('+79161234567', { ...files, directory }, io2)).toBe(0); // ported by OwnerId mMEGAFON, mapped by MNC 02
    expect(io2.out[0]).toBe('+79161234567 → mega');
  });

  it('takes the files from the config routing section when --plan is absent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idbridge-route-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `routing:\n  planFiles: [${JSON.stringify(FIXTURES.plan8Utf8Bom)}]\n  portedFile: ${JSON.stringify(FIXTURES.portAllSmall)}\n`,
    );
    const io = captureIo();
    expect(await runRouteCommand('+79161234567', { config }, io)).toBe(0);
    expect(io.out[0]).toBe('+79161234567 → megafon');
  });

  it('exits 2 for a malformed directory file, naming the bad entry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'idbridge-route-'));
    const directory = join(dir, 'directory.json');
    writeFileSync(
      directory,
      JSON.stringify([
        { id: 'ok', inn: '7740000076' },
        { id: 'bad', inn: 'x' },
      ]),
    );
    const io = captureIo();
    expect(await runRouteCommand('+79161234567', { ...files, directory }, io)).toBe(2);
    expect(io.err.join('\n')).toMatch(/invalid directory .*directory\.json: entry 1\.inn/);
  });
});
