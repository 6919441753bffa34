import type { Command } from 'commander';
import { installGracefulShutdown } from '../../core/shutdown.js';
import { startOperatorNode } from '../../operator/start-operator-node.js';
import { createCliContext } from '../cli-context.js';
import { registerImportSubscribersCommand } from './import-subscribers-command.js';

export function registerOperatorCommand(program: Command): void {
  const operator = program
    .command('operator')
    .description('run an operator node (partner API, internal BSS API, background delivery)')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .action(async (opts: { config?: string }) => {
      const { config, log } = createCliContext(opts.config);
      const shutdown = installGracefulShutdown(log);
      const running = await startOperatorNode(config, log);
      shutdown.add(() => running.stop());
      console.log(
        `operator ${config.node.id}: partner API ${running.partnerUrl}, internal API ${running.internalUrl}`,
      );
    });
  registerImportSubscribersCommand(operator);
}
