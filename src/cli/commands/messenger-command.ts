import type { Command } from 'commander';
import { installGracefulShutdown } from '../../core/shutdown.js';
import { startMessengerNode } from '../../messenger/start-messenger-node.js';
import { createCliContext } from '../cli-context.js';
import { registerLegacyCommands } from './messenger-legacy-commands.js';

export function registerMessengerCommand(program: Command): Command {
  const messenger = program
    .command('messenger')
    .description('run a messenger node (app API for your backend, partner API for operators)')
    .option('-c, --config <file>', 'config file (YAML or JSON)')
    .action(async (opts: { config?: string }) => {
      const { config, log } = createCliContext(opts.config);
      const shutdown = installGracefulShutdown(log);
      const running = await startMessengerNode(config, log);
      shutdown.add(() => running.stop());
      console.log(
        `messenger ${config.node.id}: app API ${running.appUrl}, partner API ${running.partnerUrl}`,
      );
    });
  registerLegacyCommands(messenger);
  return messenger;
}
