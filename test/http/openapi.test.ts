import assert from 'node:assert/strict';
import type express from 'express';
import { startInstance, type TestInstance } from '../helpers/instance.js';
import { Client } from '../helpers/client.js';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  name: string;
  handle: { stack?: Layer[] };
}

/** Every route mounted on the API router, read from express itself rather than from our declarations. */
function mountedRoutes(router: express.Router): string[] {
  const out: string[] = [];
  for (const layer of (router as unknown as { stack: Layer[] }).stack) {
    if (!layer.route) continue;
    for (const method of Object.keys(layer.route.methods)) out.push(`${method} ${layer.route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
  }
  return out.sort();
}

describe('OpenAPI document', () => {
  let inst: TestInstance;
  before(async () => {
    inst = await startInstance();
  });
  after(async () => inst.close());

  it('describes exactly the routes the API serves, each with its access rule', async () => {
    const reply = await new Client(inst.url).api('GET', '/openapi.json');
    assert.equal(reply.status, 200);
    assert.equal(reply.json.openapi, '3.1.0');
    const documented: string[] = [];
    for (const [path, ops] of Object.entries(reply.json.paths as Record<string, Record<string, { 'x-access': string; summary: string }>>)) {
      for (const [method, op] of Object.entries(ops)) {
        documented.push(`${method} ${path}`);
        assert.ok(op.summary.length > 5, `${method} ${path} has a summary`);
        assert.ok(['public', 'account', 'member', 'moderator', 'admin'].includes(op['x-access']), `${method} ${path} has a known access level`);
      }
    }
    assert.deepEqual(documented.sort(), mountedRoutes(inst.parasol.api.router));
    for (const required of ['post /accounts', 'post /sessions', 'delete /sessions/current', 'get /me', 'post /tokens', 'delete /me', 'get /me/export']) {
      assert.ok(documented.includes(required), required);
    }
  });

  it('gives request bodies their JSON schema', async () => {
    const doc = (await new Client(inst.url).api('GET', '/openapi.json')).json;
    const schema = doc.paths['/accounts'].post.requestBody.content['application/json'].schema;
    assert.deepEqual(Object.keys(schema.properties).sort(), ['answer', 'handle', 'invite', 'passphrase']);
    assert.deepEqual(schema.required.sort(), ['handle', 'passphrase']);
  });
});
