/** The kernel model: kernel features, lease conflicts and grants, and the inode cache. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kernelFeatures } from '../../src/model/kernel';
import {
  conflicts,
  grantRefusal,
  recheckAfterInsert,
  startBreak,
  insertLease,
  expireConflicting,
  returnLeases,
} from '../../src/model/leases';
import { initialKernel, type InodeState, type Lease } from '../../src/model/state';
import { cacheCapacity, DEFAULT_SIZING, fieldCostStudy, InodeCache, zipfWorkload } from '../../src/model/cache';

const lease = (kind: Lease['kind'], type: Lease['type'], holder = 1): Lease => ({
  kind,
  type,
  holder,
  breaking: false,
});
const fileInode = (): InodeState =>
  initialKernel([{ name: 'f', dir: false, names: ['d/f'], refcount: 0, leases: [] }], []).inodes[0];

test('kernel features switch at 3.13 (trylock, deleg breaking), 4.0 (re-check) and 6.19 (directories)', () => {
  assert.deepEqual([kernelFeatures('3.12').grantTrylock, kernelFeatures('3.13').grantTrylock], [false, true]);
  assert.deepEqual([kernelFeatures('3.19').grantRecheck, kernelFeatures('4.19.1').grantRecheck], [false, true]);
  assert.deepEqual(
    [kernelFeatures('6.18').dirDelegations, kernelFeatures('6.19').dirDelegations, kernelFeatures('7.1.5').era],
    [false, true, '6.19'],
  );
  assert.throws(() => kernelFeatures('six'), /not a kernel version/);
});

test('leases_conflict: a delegation breaker leaves FL_LEASE alone; a read breaker only breaks write leases', () => {
  assert.equal(conflicts(lease('lease', 'read'), { kind: 'deleg', write: true }), false);
  assert.equal(conflicts(lease('deleg', 'read'), { kind: 'deleg', write: true }), true);
  assert.equal(conflicts(lease('deleg', 'read'), { kind: 'lease', write: true }), true);
  assert.equal(conflicts(lease('deleg', 'read'), { kind: 'lease', write: false }), false);
  assert.equal(conflicts(lease('lease', 'write'), { kind: 'lease', write: false }), true);
  assert.equal(conflicts(lease('layout', 'read'), { kind: 'lease', write: true }), false);
  assert.equal(conflicts(lease('layout', 'read'), { kind: 'layout', write: true }), true);
});

test('generic_add_lease refuses a read delegation on a file open for write, a recalled file, and directories before 6.19', () => {
  const ino = fileInode();
  const req = { kind: 'deleg' as const, type: 'read' as const, holder: 1 };
  assert.equal(grantRefusal(ino, req, { dirDelegations: false, isDir: false }), null);
  ino.writecount = 1;
  assert.match(grantRefusal(ino, req, { dirDelegations: false, isDir: false })!.why, /open for write/);
  ino.writecount = 0;
  ino.recallBlocked = true;
  assert.match(grantRefusal(ino, req, { dirDelegations: false, isDir: false })!.why, /recalled recently/);
  ino.recallBlocked = false;
  assert.equal(grantRefusal(ino, req, { dirDelegations: false, isDir: true })!.errno, 22);
  assert.equal(grantRefusal(ino, req, { dirDelegations: true, isDir: true }), null);
  assert.equal(grantRefusal(ino, { ...req, type: 'write' }, { dirDelegations: true, isDir: true })!.errno, 22);
});

test('break marks a recall, recall blocking remembers it; timeout and DELEGRETURN remove leases', () => {
  const k = initialKernel([{ name: 'f', dir: false, names: [], refcount: 0, leases: [] }], []);
  insertLease(k, 0, { kind: 'deleg', type: 'read', holder: 2 });
  insertLease(k, 0, { kind: 'lease', type: 'read', holder: 3 });
  assert.equal(startBreak(k, 0, { kind: 'deleg', write: true }, true), 1);
  assert.deepEqual(
    k.inodes[0].leases.map((l) => l.breaking),
    [true, false],
  );
  assert.equal(k.inodes[0].recallBlocked, true);
  assert.deepEqual(
    expireConflicting(k, 0, { kind: 'deleg', write: true }).map((l) => l.holder),
    [2],
  );
  assert.equal(returnLeases(k, 0, 3), 1);
  assert.deepEqual(k.inodes[0].leases, []);
});

test('the re-check after insertion undoes a grant an open slipped under', () => {
  const k = initialKernel([{ name: 'f', dir: false, names: [], refcount: 0, leases: [] }], []);
  insertLease(k, 0, { kind: 'deleg', type: 'read', holder: 1 });
  assert.equal(recheckAfterInsert(k, 0, { kind: 'deleg', type: 'read', holder: 1 }), false);
  k.inodes[0].writecount = 1;
  assert.equal(recheckAfterInsert(k, 0, { kind: 'deleg', type: 'read', holder: 1 }), true);
  assert.deepEqual(k.inodes[0].leases, []);
});

test('inode cache: slab packing decides the capacity; +8 bytes can cost nothing and +40 a whole object per slab', () => {
  const at = (extra: number) => cacheCapacity(16 * 1048576, { ...DEFAULT_SIZING, extraBytes: extra });
  assert.deepEqual([at(0).objectBytes, at(0).perSlab, at(0).capacity], [1176, 27, 512 * 27]);
  assert.equal(at(8).capacity, at(0).capacity);
  assert.equal(at(40).perSlab, 26);
  assert.equal(
    cacheCapacity(16 * 1048576, { ...DEFAULT_SIZING, extraBytes: 3 }).objectBytes,
    1184,
    'rounded up to the alignment',
  );
});

test('inode cache: LRU evicts the least recently used unpinned inode and never a pinned one', () => {
  const c = new InodeCache(2, true);
  c.pin(1);
  c.access(2);
  c.access(1);
  c.access(3); // 1 is pinned, so 2 goes
  assert.deepEqual(c.evicted, [2]);
  assert.equal(c.isResident(1), true);
  c.access(4); // 3 goes; 1 still pinned
  assert.deepEqual(c.evicted, [2, 3]);
  c.pin(4);
  c.access(5); // everything else pinned: over capacity rather than evicting a pin
  const s = c.stats();
  assert.equal(s.overCapacity, 1);
  assert.equal(s.pinned, 2);
  assert.ok(c.isResident(1) && c.isResident(4));
});

test('Zipf workload is deterministic and skewed; a smaller cache never has a better hit rate', () => {
  const a = zipfWorkload(1000, 5000, 1, 7);
  assert.deepEqual(a, zipfWorkload(1000, 5000, 1, 7));
  const counts = new Map<number, number>();
  for (const x of a) counts.set(x, (counts.get(x) ?? 0) + 1);
  const top = Math.max(...counts.values());
  assert.ok(top > (5000 / 1000) * 20, `the most popular file should dominate (got ${top})`);
  const rows = fieldCostStudy({
    budgetBytes: 1048576,
    sizing: DEFAULT_SIZING,
    extras: [0, 8, 16, 40, 64],
    files: 3000,
    accesses: 20000,
    zipf: 0.9,
    pinned: 10,
    seed: 1,
  });
  for (let i = 1; i < rows.length; i++) {
    assert.ok(rows[i].capacity <= rows[i - 1].capacity);
    if (rows[i].capacity < rows[i - 1].capacity) assert.ok(rows[i].hitRate <= rows[i - 1].hitRate);
  }
  console.log(
    `# field cost: ${rows.map((r) => `+${r.extraBytes}: ${r.capacity} inodes, ${(r.hitRate * 100).toFixed(2)}%`).join('; ')}`,
  );
});
