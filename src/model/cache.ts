/**
 * A simulated inode cache: capacity from a memory budget and the in-memory inode size (the VFS `struct inode`
 * plus the filesystem's part, packed into slabs), LRU eviction that never evicts a pinned inode (referenced,
 * locked, delegated, or held by try_break_deleg()'s ihold), and statistics. Used by the `inode-field-cost`
 * scenario: what one more field in `struct inode` costs in cached inodes and hit rate.
 */

export interface InodeSizing {
  /** sizeof(struct inode). */
  vfsInodeBytes: number;
  /** The filesystem's part of its inode (e.g. ext4_inode_info minus the embedded struct inode). */
  fsInodeBytes: number;
  /** Bytes added to struct inode by the change under review. */
  extraBytes: number;
  /** Bytes per slab (order-3 slabs: 8 pages). */
  slabBytes: number;
  /** Object alignment in the slab. */
  align: number;
}

/**
 * Defaults modelled on an x86_64 ext4 inode cache (object ≈ 1176 bytes, 27 per 32 KiB slab). These are
 * assumptions, not measurements: configuration changes sizeof(struct inode). Override them per run.
 */
export const DEFAULT_SIZING: InodeSizing = {
  vfsInodeBytes: 624,
  fsInodeBytes: 552,
  extraBytes: 0,
  slabBytes: 32768,
  align: 8,
};

export interface Capacity {
  objectBytes: number;
  perSlab: number;
  slabs: number;
  capacity: number;
}

export function cacheCapacity(budgetBytes: number, s: InodeSizing): Capacity {
  const raw = s.vfsInodeBytes + s.fsInodeBytes + s.extraBytes;
  const objectBytes = Math.ceil(raw / s.align) * s.align;
  const perSlab = Math.max(1, Math.floor(s.slabBytes / objectBytes));
  const slabs = Math.floor(budgetBytes / s.slabBytes);
  return { objectBytes, perSlab, slabs, capacity: slabs * perSlab };
}

export interface CacheStats {
  hits: number;
  misses: number;
  evictions: number;
  /** Inodes kept beyond capacity because every candidate was pinned. */
  overCapacity: number;
  pinned: number;
  resident: number;
  hitRate: number;
}

/** LRU over inode numbers; pinned inodes are skipped by eviction. */
export class InodeCache {
  /** Map iteration order is insertion order: the first key is the least recently used. */
  private readonly lru = new Map<number, true>();
  private readonly pins = new Map<number, number>();
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  private overCapacity = 0;
  readonly evicted: number[] = [];

  constructor(
    readonly capacity: number,
    private readonly keepEvicted = false,
  ) {}

  /** Looks the inode up (iget): a hit moves it to the most recently used end; a miss reads it in. */
  access(ino: number): 'hit' | 'miss' {
    if (this.lru.delete(ino)) {
      this.lru.set(ino, true);
      this.hits++;
      return 'hit';
    }
    this.misses++;
    this.lru.set(ino, true);
    if (this.lru.size > this.capacity) this.evictOne(ino);
    return 'miss';
  }

  pin(ino: number): void {
    this.pins.set(ino, (this.pins.get(ino) ?? 0) + 1);
    if (!this.lru.has(ino)) this.access(ino);
  }

  isResident(ino: number): boolean {
    return this.lru.has(ino);
  }

  /** Evicts the least recently used unpinned inode other than `justRead`; counts an overflow if there is none. */
  private evictOne(justRead: number): void {
    // Pinned inodes met on the way are rotated to the recently used end (as the kernel's LRU walk rotates
    // inodes it cannot free), so each is skipped once per pass rather than on every eviction.
    const skipped: number[] = [];
    let victim = -1;
    for (const ino of this.lru.keys()) {
      if (!this.pins.has(ino) && ino !== justRead) {
        victim = ino;
        break;
      }
      if (ino !== justRead) skipped.push(ino);
    }
    for (const ino of skipped) {
      this.lru.delete(ino);
      this.lru.set(ino, true);
    }
    if (victim < 0) {
      this.overCapacity++;
      return;
    }
    this.lru.delete(victim);
    this.evictions++;
    if (this.keepEvicted) this.evicted.push(victim);
  }

  stats(): CacheStats {
    const total = this.hits + this.misses;
    return {
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      overCapacity: this.overCapacity,
      pinned: this.pins.size,
      resident: this.lru.size,
      hitRate: total ? this.hits / total : 0,
    };
  }
}

/** A small deterministic PRNG (mulberry32), so workloads replay exactly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Scatters popularity ranks over inode numbers (a permutation of 0..files-1 unless files is a multiple of the
 * prime 7919) so popularity does not follow allocation order; small integers keep the LRU map fast.
 */
function scatter(rank: number, files: number): number {
  return (rank * 7919 + 13) % files;
}

/** `count` accesses over `files` inodes with Zipf(s) popularity (file 0 the most popular). */
export function zipfWorkload(files: number, count: number, s: number, seed: number): Uint32Array {
  const cdf = new Float64Array(files);
  let sum = 0;
  for (let i = 0; i < files; i++) cdf[i] = sum += 1 / Math.pow(i + 1, s);
  const rnd = prng(seed);
  const out = new Uint32Array(count);
  for (let n = 0; n < count; n++) {
    const u = rnd() * sum;
    let lo = 0;
    let hi = files - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    out[n] = scatter(lo, files);
  }
  return out;
}

export interface FieldCostParams {
  budgetBytes: number;
  sizing: InodeSizing;
  /** Extra bytes to compare (the row for each); 0, 8 and 16 by default. */
  extras: number[];
  files: number;
  accesses: number;
  zipf: number;
  /** Inodes held pinned all along (open files, delegations, try_break_deleg references). */
  pinned: number;
  seed: number;
}

export const DEFAULT_FIELD_COST: FieldCostParams = {
  budgetBytes: 16 * 1024 * 1024,
  sizing: DEFAULT_SIZING,
  extras: [0, 8, 16, 24, 32, 40, 48, 56, 64],
  files: 40000,
  accesses: 300000,
  zipf: 0.9,
  pinned: 200,
  seed: 1,
};

export interface FieldCostRow extends Capacity, CacheStats {
  extraBytes: number;
}

/** Runs the same workload through a cache sized for each extra field size. */
export function fieldCostStudy(p: FieldCostParams): FieldCostRow[] {
  const workload = zipfWorkload(p.files, p.accesses, p.zipf, p.seed);
  const pinRnd = prng(p.seed + 1);
  const pinnedInodes = Array.from({ length: p.pinned }, () => scatter(Math.floor(pinRnd() * p.files), p.files));
  return p.extras.map((extraBytes) => {
    const cap = cacheCapacity(p.budgetBytes, { ...p.sizing, extraBytes });
    const cache = new InodeCache(cap.capacity);
    for (const ino of pinnedInodes) cache.pin(ino);
    for (let i = 0; i < workload.length; i++) cache.access(workload[i]);
    return { extraBytes, ...cap, ...cache.stats() };
  });
}
