import type { AppContext } from '../context.js';
import { MemberDirectory } from '../accounts/member-directory.js';
import { AdminConsole, type FederationFacts } from './console.service.js';
import { AdminMembers } from './members.service.js';
import { SystemFacts } from './system-facts.js';

export interface AdminServices {
  readonly console: AdminConsole;
  readonly members: AdminMembers;
}

/** The console's services, built once the rest of the instance (federation included, when on) is. */
export function adminServices(
  ctx: AppContext,
  extra: { readonly federation: (() => Promise<FederationFacts>) | null; readonly passphraseChecks: () => { running: number; waiting: number } },
): AdminServices {
  const { config, store } = ctx;
  return {
    console: new AdminConsole({
      instance: ctx.instance,
      boards: ctx.forums.boards,
      reviews: ctx.reviews,
      rooms: ctx.rooms.rooms,
      rights: ctx.rights,
      backups: ctx.backups,
      jobs: ctx.jobs,
      system: new SystemFacts(config, store.kind),
      photoStorage: () => ctx.media.usage(),
      engine: store.kind,
      databaseEncrypted: config.secrets.databaseKey !== null,
      secretOutside: config.secrets.instanceSecret !== null,
      locales: ctx.i18n.locales,
      passphraseChecks: extra.passphraseChecks,
      federation: extra.federation,
    }),
    members: new AdminMembers({ accounts: ctx.accounts, directory: new MemberDirectory(store) }),
  };
}
