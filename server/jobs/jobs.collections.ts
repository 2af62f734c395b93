import { defineCollection } from '../store/port.js';

/**
 * The lease on one background job (the id is the job's name): which process holds it, until when. Neither field
 * names a person or a machine: the holder is a random id a process draws at start.
 */
export interface JobLeaseDoc {
  id: string;
  /** The holding process's random id, or null once released. */
  holder: string | null;
  /** When the lease lapses unless renewed, in the database's time (ms epoch). Not a TTL: a lapsed lease is taken over, not deleted. */
  until: number;
}

export const jobLeasesCollection = defineCollection<JobLeaseDoc>({
  name: 'job_leases',
  fields: {},
  indexes: [],
  shownInAnswers: false,
});

export const jobsCollections = [jobLeasesCollection];
