import { createParasol } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { AppError, notFound } from './core/errors.js';

/**
 * Admin tasks from the shell: `npm run cli -- <command> [args]`. Works on a
 * stopped instance (it opens the same database) and writes secrets only to
 * this terminal.
 */
const usage = `Usage: npm run cli -- <command>

Commands:
  create-admin <handle>      create an admin account with a generated passphrase
  reset-passphrase <handle> --yes
                             set a generated passphrase and log the account out everywhere;
                             the member gets a new member key (without --yes: only says what that loses)
  setup-link                 print a new one-time link to create the first admin
  list-boards                list the forum boards
  retention                  delete everything whose lifetime has ended, now
`;

async function run(argv: string[]): Promise<number> {
  const [command, arg] = argv;
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(usage);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  const parasol = await createParasol(config, { logger: createLogger('warn') });
  const { accounts, instance, store } = parasol.ctx;
  const out = (text: string) => process.stdout.write(`${text}\n`);
  try {
    return await dispatch();
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    process.stderr.write(`Error: ${parasol.ctx.i18n.t('en', error.messageKey, error.params)}\n`);
    return 1;
  } finally {
    await parasol.close();
  }

  async function dispatch(): Promise<number> {
    switch (command) {
      case 'create-admin': {
        if (!arg) throw new Error('create-admin needs a handle');
        const { account, passphrase, recoveryCodes } = await accounts.createAdmin(arg);
        out(`Admin ${account.handle} created.\nPassphrase: ${passphrase}\nRecovery codes:\n  ${recoveryCodes.join('\n  ')}`);
        return 0;
      }
      case 'reset-passphrase': {
        if (!arg) throw new Error('reset-passphrase needs a handle');
        if (!(await accounts.byHandle(arg))) throw notFound('account_not_found');
        // Said before it happens: nobody can carry the member key over a reset.
        out(parasol.ctx.i18n.t('en', 'reset.key_warning'));
        if (argv[2] !== '--yes') {
          out('Nothing changed. Run again with --yes to reset.');
          return 2;
        }
        out(`New passphrase for ${arg}: ${await accounts.resetPassphrase(arg)}`);
        return 0;
      }
      case 'setup-link': {
        out(`${config.publicUrl}/setup/${await instance.issueSetupToken()}`);
        return 0;
      }
      case 'list-boards': {
        for (const b of await parasol.ctx.forums.boards.allBoards()) {
          out(`${b.slug.padEnd(24)} ${b.visibility.padEnd(8)} ${b.archived ? 'archived' : 'open    '} ${String(b.threadCount).padStart(6)} threads  ${b.name}`);
        }
        return 0;
      }
      case 'retention': {
        out(`Deleted ${await store.sweepExpired()} expired records.`);
        return 0;
      }
      default:
        process.stderr.write(`Unknown command: ${command}\n\n${usage}`);
        return 2;
    }
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`Error: ${error instanceof ConfigError || error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
