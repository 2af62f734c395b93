import assert from 'node:assert/strict';
import type { Request, RequestHandler, Response } from 'express';
import type { ApexActivity, ApexActor } from '../../federation/apex-types.js';
import { afterApex, inboundActivities } from '../../federation/inbound/dispatch.js';
import type { InboxEvent } from '../../federation/inbound/inbox-event.js';
import type { AccountMoves } from '../../federation/moves.js';
import type { RegionalNetwork } from '../../federation/network.js';
import type { FollowsService } from '../../federation/remote-boards/follows.js';
import type { RemoteMirror } from '../../federation/remote-boards/mirror.js';
import type { AccountDeletions } from '../../federation/inbound/account-deletion.js';
import type { RemoteRestores } from '../../federation/inbound/restores.js';
import { Iris } from '../../federation/iris.js';

/** Which inbox step took an activity, and what the inbox answered. */
interface Outcome {
  readonly steps: string[];
  status: number | null;
  passedOn: boolean;
  error: unknown;
}

function harness(options: { partnerObject?: boolean; contributionsTakes?: boolean } = {}) {
  const steps: string[] = [];
  const network = {
    partnerObject: (body: Record<string, unknown>) => (options.partnerObject ? (body.object as Record<string, unknown>) : null),
    receive: async () => {
      steps.push('network');
    },
  } as unknown as RegionalNetwork;
  const mirror = {
    receive: async () => {
      steps.push('mirror');
    },
  } as unknown as RemoteMirror;
  const moves = {
    receive: async () => {
      steps.push('moves');
    },
  } as unknown as AccountMoves;
  const contributions: RequestHandler = (_req, res, next) => {
    steps.push('contributions');
    if (options.contributionsTakes) res.status(202).end();
    else next();
  };
  const deletions = {
    forget: async () => {
      steps.push('deletions');
    },
  } as unknown as AccountDeletions;
  const restores = {
    undo: async (body: Record<string, unknown>) => {
      const undone = body.object as { type?: unknown } | undefined;
      if (undone?.type !== 'Delete') return false;
      steps.push('restores');
      return true;
    },
  } as unknown as RemoteRestores;
  const inbound = inboundActivities({ network, contributions, deletions, mirror, moves, restores, follow: {} as never, iris: new Iris('https://a.example') });

  return async (activity: Record<string, unknown>): Promise<Outcome> => {
    const outcome: Outcome = { steps, status: null, passedOn: false, error: undefined };
    const req = { body: activity, rawBody: Buffer.from(JSON.stringify(activity)) } as unknown as Request;
    await new Promise<void>((resolve) => {
      const res = {
        locals: {},
        status(code: number) {
          outcome.status = code;
          return this;
        },
        end() {
          resolve();
        },
      } as unknown as Response;
      inbound(req, res, (error?: unknown) => {
        outcome.passedOn = error === undefined;
        outcome.error = error;
        resolve();
      });
    });
    return outcome;
  };
}

const activity = (type: string, object: unknown = 'https://b.example/o/1') => ({ id: `https://b.example/s/${type}`, type, actor: 'https://b.example/u/bo', object });

describe('inbound dispatch (one handler per activity type)', () => {
  it('takes an Announce to the mirror and answers 202, without trying the other steps', async () => {
    const out = await harness()(activity('Announce'));
    assert.deepEqual(out.steps, ['mirror'], 'only the mirror saw it');
    assert.equal(out.status, 202);
    assert.equal(out.passedOn, false, 'apex never sees an Announce');
  });

  it('gives a Create, Update, Delete, Like, EmojiReact, Undo and Flag to the contributions step, and passes on what it leaves', async () => {
    for (const type of ['Create', 'Update', 'Delete', 'Like', 'EmojiReact', 'Undo', 'Flag']) {
      const out = await harness()(activity(type));
      assert.deepEqual(out.steps, ['contributions'], `${type} reached the contributions step`);
      assert.equal(out.passedOn, true, `${type} left by it goes on to apex`);
    }
    const taken = await harness({ contributionsTakes: true })(activity('Create'));
    assert.equal(taken.status, 202, 'a post taken is answered by its handler');
    assert.equal(taken.passedOn, false, 'and apex does not see it');
  });

  it('takes an account’s Delete of itself to the account deletions, not to the contributions step', async () => {
    const gone = await harness()(activity('Delete', 'https://b.example/u/bo'));
    assert.deepEqual(gone.steps, ['deletions']);
    assert.equal(gone.status, 202);
  });

  it('takes a Move as sent to the moves service, and passes on a type without a handler', async () => {
    const moved = await harness()({ ...activity('Move'), target: 'https://c.example/u/bo' });
    assert.deepEqual(moved.steps, ['moves'], 'the Move reached the moves service');
    assert.equal(moved.status, 202);
    const other = await harness()(activity('Add'));
    assert.deepEqual(other.steps, [], 'no handler kept an Add of something of another server');
    assert.equal(other.passedOn, true, 'it went on to apex');
  });

  it('takes a restore (an Undo of a Delete) to the restores before the contributions step', async () => {
    const out = await harness()(activity('Undo', { id: 'https://b.example/s/del', type: 'Delete', actor: 'https://b.example/u/bo', object: 'https://b.example/u/bo' }));
    assert.deepEqual(out.steps, ['restores']);
    assert.equal(out.status, 202);
  });

  it('refuses a remote actor’s Lock, Add, Remove or Undo of a Lock of one of our posts or collections (403), and passes on others', async () => {
    const ours = 'https://a.example/ap/o/ab';
    const lock = { ...activity('Lock', ours), audience: 'https://a.example/ap/b/general' };
    for (const act of [
      lock,
      { ...activity('Add', ours), target: 'https://a.example/ap/b/general/featured' },
      { ...activity('Remove', 'https://b.example/u/bo'), target: 'https://a.example/ap/b/general/moderators' },
      activity('Undo', { id: 'https://b.example/s/lock', type: 'Lock', actor: 'https://b.example/u/bo', object: ours }),
    ]) {
      const out = await harness()(act);
      assert.equal(out.passedOn, false, `${act.type} is not passed on`);
      assert.equal((out.error as { status?: number; code?: string }).status, 403);
      assert.equal((out.error as { code?: string }).code, 'not_board_moderator');
      assert.deepEqual(out.steps, [], 'nothing else saw it');
    }
    const elsewhere = await harness()(activity('Undo', { id: 'https://b.example/s/lock', type: 'Lock', actor: 'https://b.example/u/bo', object: 'https://b.example/o/1' }));
    assert.equal(elsewhere.passedOn, true, 'an Undo of a Lock of another server’s post goes on');
  });

  it('takes partners’ own vocabulary first, by its object, whatever the activity', async () => {
    const out = await harness({ partnerObject: true })(activity('Announce', { id: 'https://b.example/ap/r/ab', type: 'ParasolReview' }));
    assert.deepEqual(out.steps, ['network'], 'the network step took it before the Announce handler');
    assert.equal(out.status, 202);
  });

  it('after apex, records the answers to our Follows and nothing else', async () => {
    const answers: string[] = [];
    const follows = {
      onAnswer: async (type: string) => {
        answers.push(type);
      },
    } as unknown as FollowsService;
    const after = afterApex(follows);
    const event = (type: string): InboxEvent => ({ actor: {} as ApexActor, recipient: {} as ApexActor, activity: { type } as ApexActivity });
    for (const type of ['Accept', 'Reject', 'Create', 'Follow']) await after(event(type));
    assert.deepEqual(answers, ['Accept', 'Reject']);
  });
});
