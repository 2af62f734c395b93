/** A route parameter as a string: express types it as optional, and the services answer an empty id with their 404. */
export const param = (value: string | undefined): string => value ?? '';
