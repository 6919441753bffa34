import type { Command } from 'commander';
import { installGracefulShutdown } from '../../core/shutdown.js';
import { startSandbox } from '../../sandbox/start-sandbox.js';
import { createCliContext } from '../cli-context.js';

export function registerSandboxCommand(program: Command): void {
  program
    .command('sandbox')
    .description('run the whole identification network on embedded databases (npm start)')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .option('--port <port>', 'port of the sandbox listener (default 7800)')
    .option('--data-dir <dir>', 'where the embedded databases live (default .idbridge/sandbox)')
    .action(async (opts: { config?: string; port?: string; dataDir?: string }) => {
      const { config, log } = createCliContext(opts.config, {
        sandbox: { port: opts.port, dataDir: opts.dataDir },
      });
      const shutdown = installGracefulShutdown(log);
      const sandbox = await startSandbox({ config, log });
      shutdown.add(() => sandbox.stop());
      console.log(`sandbox ready: ${sandbox.url}/health  (Ctrl-C to stop)`);
    });
}
