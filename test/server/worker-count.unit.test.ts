import assert from 'node:assert/strict';
import { workerCount } from '../../server/cluster/primary.js';

describe('PARASOL_WORKERS', () => {
  it('defaults to the cores the process may use, and at least one', () => {
    assert.equal(workerCount(undefined, 6), 6);
    assert.equal(workerCount('  ', 2), 2);
    assert.equal(workerCount(undefined, 0), 1);
  });

  it('takes a positive whole number, 1 meaning a single process', () => {
    assert.equal(workerCount('1', 8), 1);
    assert.equal(workerCount('3', 8), 3);
  });

  it('refuses anything else, naming the variable', () => {
    for (const bad of ['0', '-2', '1.5', 'two', '2x']) assert.throws(() => workerCount(bad, 4), /PARASOL_WORKERS must be a positive integer/, bad);
  });
});
