import type { Command } from 'commander';
import { installGracefulShutdown } from '../../core/shutdown.js';
import { startSandbox } from '../../sandbox/start-sandbox.js';
import { createCliContext } from '../cli-context.js';

export function registerSandboxCommand(program: Command): void {
  program
    .command('sandbox')
    .description('run the whole identification network on embedded databases (npm start)')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--port <port>', 'console port; the nodes use the next ports (default 7800)')
    .option('--data-dir <dir>', 'where the embedded databases live (default .idbridge/sandbox)')
    .option('--subscribers <n>', 'synthetic subscribers per operator (default 10000)')
    .option('--reset', 'delete the data directory first and start afresh')
    .action(
      async (opts: {
        config?: string;
        port?: string;
        dataDir?: string;
        subscribers?: string;
        reset?: boolean;
      }) => {
        const started = Date.now();
        const { config, log } = createCliContext(opts.config, {
          sandbox: {
            port: opts.port,
            dataDir: opts.dataDir,
            subscribersPerOperator: opts.subscribers,
          },
          // The sandbox prints its own lines; node logs only warnings and worse.
          log: { level: process.env.IDBRIDGE_LOG__LEVEL ?? 'warn' },
        });
        const shutdown = installGracefulShutdown(log);
        const sandbox = await startSandbox({ config, log, reset: opts.reset === true });
        shutdown.add(() => sandbox.stop());
        const { messenger, operators } = sandbox.network;
        for (const op of operators) {
          console.log(
            `operator  ${op.id.padEnd(8)} partner ${op.partnerUrl}  internal ${op.internalUrl}`,
          );
        }
        console.log(
          `messenger tamtam   app     ${messenger.appUrl}  partner  ${messenger.partnerUrl}`,
        );
        console.log(`console            ${sandbox.url}/   (health: ${sandbox.url}/health)`);
        console.log(
          `ready in ${((Date.now() - started) / 1000).toFixed(1)} s; data in ${config.sandbox.dataDir}; Ctrl-C to stop`,
        );
      },
    );
}
