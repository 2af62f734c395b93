import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { forbidden, unauthorized } from '../core/errors.js';
import { parseInput } from '../core/validate.js';

/**
 * Who may call an endpoint: `account` is anyone signed in (also while their
 * membership awaits approval), `member` an approved member.
 */
export type Access = 'public' | 'account' | 'member' | 'moderator' | 'admin';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface HandlerArgs<Q> {
  readonly req: Request;
  readonly res: Response;
  /**
   * The JSON body as it came: the service validates it (with the schema declared in `body`), once, since sockets and
   * federation call the same services without passing through here.
   */
  readonly body: unknown;
  readonly query: Q;
  readonly account: Request['account'];
}

export interface ApiRoute<Q extends z.ZodType> {
  readonly method: Method;
  /** Express path below /api/v1, e.g. `/boards/:slug`. */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly access: Access;
  /** Describes the body in the OpenAPI document; the service the handler calls validates it. */
  readonly body?: z.ZodType;
  readonly query?: Q;
  /** Success status; 200 by default. */
  readonly status?: number;
  /** The value is sent as JSON; return undefined after writing the response yourself. */
  readonly handler: (args: HandlerArgs<z.output<Q>>) => Promise<unknown>;
}

/** A handler's result for a call that answers nothing: whatever `work` resolves to, the route sends 204 (or its 201). */
export async function noContent(work: Promise<unknown>): Promise<undefined> {
  await work;
  return undefined;
}

interface Recorded {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  access: Access;
  status: number;
  body?: z.ZodType;
  query?: z.ZodType;
}

const roleRank = { member: 0, moderator: 1, admin: 2 } as const;

function allowed(access: Access, account: Request['account']): void {
  if (access === 'public') return;
  if (!account) throw unauthorized('login_required');
  if (access === 'account') return;
  if (account.status !== 'active') throw forbidden('pending_approval');
  if (access === 'moderator' && roleRank[account.role] < 1) throw forbidden('moderator_only');
  if (access === 'admin' && roleRank[account.role] < 2) throw forbidden('admin_only');
}

/**
 * The JSON API's router. Each route is declared once with its access rule and
 * schemas; the same declaration registers the express handler and describes it
 * in the OpenAPI document, so the document cannot drift from the routes.
 */
export class ApiRouter {
  readonly router = express.Router();
  private readonly routes: Recorded[] = [];

  route<Q extends z.ZodType = z.ZodUndefined>(def: ApiRoute<Q>): void {
    this.routes.push({
      method: def.method,
      path: def.path,
      summary: def.summary,
      tag: def.tag,
      access: def.access,
      status: def.status ?? 200,
      ...(def.body ? { body: def.body } : {}),
      ...(def.query ? { query: def.query } : {}),
    });
    this.router[def.method](def.path, (req, res, next) => {
      (async () => {
        allowed(def.access, req.account);
        const query = def.query ? parseInput(def.query, req.query) : undefined;
        const result = await def.handler({ req, res, body: req.body ?? {}, query: query as z.output<Q>, account: req.account });
        if (res.headersSent) return;
        if (result === undefined) res.status(def.status === 201 ? 201 : 204).end();
        else res.status(def.status ?? 200).json(result);
      })().catch(next);
    });
  }

  /** OpenAPI 3.1 description of every declared route. */
  openApi(info: { title: string; version: string; serverUrl: string }): Record<string, unknown> {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const r of this.routes) {
      const openPath = r.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const params = [...r.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      }));
      const queryParams = r.query ? queryParameters(r.query) : [];
      paths[openPath] ??= {};
      paths[openPath][r.method] = {
        summary: r.summary,
        tags: [r.tag],
        'x-access': r.access,
        ...(r.access === 'public' ? { security: [] } : {}),
        parameters: [...params, ...queryParams],
        ...(r.body
          ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(r.body, { io: 'input', unrepresentable: 'any' }) } } } }
          : {}),
        responses: {
          [String(r.status)]: { description: 'Success' },
          default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        },
      };
    }
    return {
      openapi: '3.1.0',
      info: { title: info.title, version: info.version },
      servers: [{ url: `${info.serverUrl}/api/v1` }],
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'psl_session' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
        schemas: {
          Error: {
            type: 'object',
            required: ['error'],
            properties: {
              error: {
                type: 'object',
                required: ['code', 'message'],
                properties: { code: { type: 'string' }, message: { type: 'string' }, fields: { type: 'object' } },
              },
            },
          },
        },
      },
      security: [{ session: [] }, { bearer: [] }],
      paths,
    };
  }
}

function queryParameters(schema: z.ZodType): unknown[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) ?? false,
    schema: s,
  }));
}

