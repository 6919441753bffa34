import { Command } from 'commander';
import { isIdbridgeError } from '../core/errors.js';
import { maskPhoneNumbers } from '../core/mask-phone-numbers.js';
import { IDBRIDGE_VERSION } from '../core/version.js';
import { registerAuditCommand } from './commands/audit-command.js';
import { registerKeysCommand } from './commands/keys-command.js';
import { registerMessengerCommand } from './commands/messenger-command.js';
import { registerMigrateCommand } from './commands/migrate-command.js';
import { registerOperatorCommand } from './commands/operator-command.js';
import { registerOutboxCommand } from './commands/outbox-command.js';
import { registerReportCommand } from './commands/report-command.js';
import { registerRouteCommand } from './commands/route-command.js';
import { registerSandboxCommand } from './commands/sandbox-command.js';

const program = new Command()
  .name('idbridge')
  .description('Identify messenger users by phone number through their mobile operators')
  .version(IDBRIDGE_VERSION, '-V, --version', 'print the idbridge release and exit')
  .showHelpAfterError();

registerSandboxCommand(program);
registerOperatorCommand(program);
registerMessengerCommand(program);
registerMigrateCommand(program);
registerRouteCommand(program);
registerKeysCommand(program);
registerOutboxCommand(program);
registerAuditCommand(program);
registerReportCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Expected faults (bad config, bad input, a port in use) print one clear
  // line, with the underlying stack only at log level debug; anything else
  // prints its stack for a bug report. Numbers stay masked either way.
  const debug = (process.env.IDBRIDGE_LOG__LEVEL ?? '').toLowerCase() === 'debug';
  const stackOf = (e: unknown) => (e instanceof Error ? (e.stack ?? e.message) : String(e));
  const text = isIdbridgeError(err)
    ? `idbridge: ${err.message}${debug && err.cause !== undefined ? `\n${stackOf(err.cause)}` : ''}`
    : `idbridge: ${stackOf(err)}`;
  console.error(maskPhoneNumbers(text));
  process.exitCode = isIdbridgeError(err) && err.code === 'INVALID_ARGUMENT' ? 2 : 1;
  // A failed start has closed what it opened; should anything still hold the
  // event loop (a driver's socket), the process still ends.
  setTimeout(() => process.exit(), 3_000).unref();
}
