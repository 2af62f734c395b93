import type { FollowsService } from '../../remote-boards/follows.js';
import type { AfterApex } from '../inbox-event.js';

/**
 * Accept of the instance's Follow of a remote board. It runs after apex's
 * inbox, which checked it answers our Follow and listed the board in our
 * `following`: FollowsService records the follow as accepted, and the board's
 * posts are then read for what was missed.
 */
export function acceptHandler(follows: FollowsService): AfterApex {
  return (event) => follows.onAnswer('Accept', event.actor, event.recipient, event.object);
}
