import type { FollowsService } from '../../remote-boards/follows.js';
import type { AfterApex } from '../inbox-event.js';

/** Reject of the instance's Follow of a remote board, after apex's inbox: FollowsService records the refusal for the admin. */
export function rejectHandler(follows: FollowsService): AfterApex {
  return (event) => follows.onAnswer('Reject', event.actor, event.recipient, event.object);
}
