/** The inode-cache chart: capacity (bars) and hit rate (line) for each extra field size, drawn as SVG DOM. */
import type { FieldCostRow } from '../model/cache';
import { el, svg } from './dom';

const W = 560;
const H = 260;
const PAD = { left: 64, right: 64, top: 20, bottom: 40 };

export function cacheChart(rows: FieldCostRow[]): HTMLElement {
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img', class: 'cache-chart' });
  chart.appendChild(svg('title', {}, 'Inode cache capacity and hit rate by extra bytes in struct inode'));
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const maxCap = Math.max(...rows.map((r) => r.capacity));
  const minHit = Math.min(...rows.map((r) => r.hitRate));
  const maxHit = Math.max(...rows.map((r) => r.hitRate));
  const hitLo = Math.max(0, minHit - Math.max(0.01, (maxHit - minHit) * 2));
  const hitHi = Math.min(1, maxHit + Math.max(0.002, (maxHit - minHit) * 0.5));
  const slot = innerW / rows.length;
  const yCap = (c: number) => PAD.top + innerH - (c / maxCap) * innerH;
  const yHit = (h: number) => PAD.top + innerH - ((h - hitLo) / (hitHi - hitLo || 1)) * innerH;
  const points: string[] = [];
  rows.forEach((r, i) => {
    const x = PAD.left + i * slot;
    const bar = svg('rect', {
      x: x + slot * 0.15,
      y: yCap(r.capacity),
      width: slot * 0.7,
      height: PAD.top + innerH - yCap(r.capacity),
      class: 'bar',
    });
    bar.appendChild(
      svg(
        'title',
        {},
        `+${r.extraBytes} B: ${r.capacity} inodes (${r.perSlab} per slab, ${r.objectBytes} B each), hit rate ${(r.hitRate * 100).toFixed(2)}%`,
      ),
    );
    chart.appendChild(bar);
    chart.appendChild(
      svg(
        'text',
        { x: x + slot / 2, y: H - PAD.bottom + 16, 'text-anchor': 'middle', class: 'axis' },
        `+${r.extraBytes}`,
      ),
    );
    points.push(`${x + slot / 2},${yHit(r.hitRate)}`);
  });
  chart.appendChild(svg('polyline', { points: points.join(' '), class: 'hit-line', fill: 'none' }));
  rows.forEach((r, i) =>
    chart.appendChild(
      svg('circle', { cx: PAD.left + i * slot + slot / 2, cy: yHit(r.hitRate), r: 3, class: 'hit-dot' }),
    ),
  );
  chart.appendChild(svg('text', { x: PAD.left, y: 12, class: 'axis' }, `capacity (max ${maxCap})`));
  chart.appendChild(
    svg(
      'text',
      { x: W - PAD.right, y: 12, 'text-anchor': 'end', class: 'axis hit' },
      `hit rate ${(hitLo * 100).toFixed(1)}–${(hitHi * 100).toFixed(1)}%`,
    ),
  );
  chart.appendChild(
    svg('text', { x: W / 2, y: H - 6, 'text-anchor': 'middle', class: 'axis' }, 'bytes added to struct inode'),
  );
  return el('figure', { class: 'chart' }, [chart as unknown as Node, cacheTable(rows)]);
}

function cacheTable(rows: FieldCostRow[]): HTMLElement {
  const head = el(
    'tr',
    {},
    ['extra', 'object', 'per slab', 'capacity', 'hit rate', 'evictions'].map((h) => el('th', { text: h })),
  );
  const base = rows[0];
  const body = rows.map((r) =>
    el('tr', { class: r.capacity < base.capacity ? 'worse' : '' }, [
      el('td', { text: `+${r.extraBytes} B` }),
      el('td', { text: `${r.objectBytes} B` }),
      el('td', { text: String(r.perSlab) }),
      el('td', { text: `${r.capacity} (${(((r.capacity - base.capacity) / base.capacity) * 100).toFixed(1)}%)` }),
      el('td', { text: `${(r.hitRate * 100).toFixed(2)}%` }),
      el('td', { text: String(r.evictions) }),
    ]),
  );
  return el('table', { class: 'cache-table' }, [el('thead', {}, [head]), el('tbody', {}, body)]);
}
