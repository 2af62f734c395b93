import pg from 'pg';

/**
 * Benchmarks on PostgreSQL (BENCH_DATABASE_URL=postgres://…): each run gets a schema of its own on that server,
 * as test/helpers/test-database.ts gives each test instance, so that runs never see each other's data.
 */
async function query<T extends pg.QueryResultRow>(serverUrl: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Makes the schema and returns the DATABASE_URL that works in it (the server's URL with it as the search path). */
export async function newSchema(serverUrl: string, schema: string): Promise<{ schema: string; url: string }> {
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`not a schema name: ${schema}`);
  await query(serverUrl, `CREATE SCHEMA ${schema}`);
  const url = new URL(serverUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { schema, url: url.toString() };
}

export async function dropSchema(serverUrl: string, schema: string): Promise<void> {
  await query(serverUrl, `DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

/** The schema's tables with their indexes and TOAST, in MB. */
export async function schemaSizeMb(serverUrl: string, schema: string): Promise<number> {
  const [row] = await query<{ bytes: string | null }>(
    serverUrl,
    `SELECT sum(pg_total_relation_size(c.oid))::text AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
    [schema],
  );
  return Number(row?.bytes ?? 0) / 1e6;
}
