import { ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { AppError, notFound } from './core/errors.js';
import { runBackupCommand, backupCommands, backupUsage } from './backup/backup.cli.js';

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
${backupUsage}`;

/** The commands that open the instance; the first two take an account's handle. */
const instanceCommands = ['create-admin', 'reset-passphrase', 'setup-link', 'list-boards', 'retention'] as const;
type InstanceCommand = (typeof instanceCommands)[number];
const isInstanceCommand = (command: string): command is InstanceCommand => (instanceCommands as readonly string[]).includes(command);
const takesHandle: ReadonlySet<string> = new Set<InstanceCommand>(['create-admin', 'reset-passphrase']);

async function run(argv: string[]): Promise<number> {
  const [command, arg] = argv;
  if (!command || command === 'help' || command === '--help') {
    process.stdout.write(usage);
    return command ? 0 : 2;
  }
  // A mistyped command is told before anything is opened (or made, for a new data directory).
  const known = isInstanceCommand(command) ? command : null;
  if (!known && !backupCommands.has(command)) {
    process.stderr.write(`Unknown command: ${command}\n\n${usage}`);
    return 2;
  }
  if (takesHandle.has(command) && !arg) throw new Error(`${command} needs a handle`);
  const handle = arg ?? '';
  const config = loadConfig();
  // These work on the database file itself, before (or instead of) opening the instance.
  if (!known) return runBackupCommand(config, command, argv.slice(1));
  // Loaded only now: loading the whole server is most of the command's time.
  const { createParasol } = await import('./app.js');
  const parasol = await createParasol(config, { logger: createLogger('warn') });
  const { accounts, instance, store } = parasol.ctx;
  const out = (text: string) => process.stdout.write(`${text}\n`);
  try {
    return await dispatch(known);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    process.stderr.write(`Error: ${parasol.ctx.i18n.t('en', error.messageKey, error.params)}\n`);
    return 1;
  } finally {
    await parasol.close();
  }

  async function dispatch(command: InstanceCommand): Promise<number> {
    switch (command) {
      case 'create-admin': {
        const { account, passphrase, recoveryCodes } = await accounts.createAdmin(handle);
        out(`Admin ${account.handle} created.\nPassphrase: ${passphrase}\nRecovery codes:\n  ${recoveryCodes.join('\n  ')}`);
        return 0;
      }
      case 'reset-passphrase': {
        if (!(await accounts.byHandle(handle))) throw notFound('account_not_found');
        // Said before it happens: nobody can carry the member key over a reset.
        out(parasol.ctx.i18n.t('en', 'reset.key_warning'));
        if (argv[2] !== '--yes') {
          out('Nothing changed. Run again with --yes to reset.');
          return 2;
        }
        out(`New passphrase for ${handle}: ${await accounts.resetPassphrase(handle)}`);
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
