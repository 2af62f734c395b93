import { defineCollection } from '../store/port.js';

/** A coarse area the admin defines (a town, a district): never coordinates. Reviews and alerts name one. */
export interface AreaDoc {
  id: string;
  name: string;
  position: number;
  createdAt: number;
}

/** A member who wants urgent warnings for an area. */
export interface AreaSubscriptionDoc {
  id: string;
  accountId: string;
  areaId: string;
  createdAt: number;
}

export const areasCollection = defineCollection<AreaDoc>({
  name: 'areas',
  fields: { position: 'number' },
  indexes: [{ fields: ['position'] }],
});

export const areaSubscriptionsCollection = defineCollection<AreaSubscriptionDoc>({
  name: 'area_subscriptions',
  fields: { accountId: 'string', areaId: 'string', createdAt: 'number' },
  indexes: [{ fields: ['accountId', 'createdAt'] }, { fields: ['areaId', 'createdAt'] }],
});

export const areasCollections = [areasCollection, areaSubscriptionsCollection];
