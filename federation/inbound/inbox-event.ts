import type { ApexActivity, ApexActor, ApexObject } from '../apex-types.js';

/** An inbox activity apex has taken in, as apex announces it once the response is sent. */
export interface InboxEvent {
  actor: ApexActor;
  activity: ApexActivity;
  recipient: ApexActor;
  object?: ApexObject;
}

/** What follows an activity of one type once apex's inbox has stored it. */
export type AfterApex = (event: InboxEvent) => Promise<void>;
