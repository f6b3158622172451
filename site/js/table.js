// The per-operator table: sortable, with units, the bound and the time share.
import { el } from './dom.js';
import * as fmt from './format.js';

const COLUMNS = [
  { key: 'index', label: '#', num: true, get: (op, i) => i + 1, show: (v) => String(v) },
  { key: 'name', label: 'operator', get: (op) => op.name, show: (v) => v },
  { key: 'kind', label: 'layers', get: (op) => op.kind, show: (v) => v },
  { key: 'count', label: '×', num: true, get: (op) => op.count, show: (v) => String(v), title: 'blocks it occurs in' },
  { key: 'flops', label: 'FLOPs', num: true, get: (op) => op.flops, show: fmt.flops, exact: 'FLOP' },
  { key: 'weight_bytes', label: 'weights', num: true, get: (op) => op.weight_bytes, show: fmt.bytes, exact: 'bytes' },
  { key: 'input_bytes', label: 'act in', num: true, get: (op) => op.input_bytes, show: fmt.bytes, exact: 'bytes' },
  { key: 'output_bytes', label: 'act out', num: true, get: (op) => op.output_bytes, show: fmt.bytes, exact: 'bytes' },
  { key: 'kv', label: 'KV r / w', num: true, get: (op) => op.kv_read_bytes + op.kv_write_bytes, show: fmt.bytes, exact: 'bytes' },
  { key: 'intensity', label: 'FLOP/B', num: true, get: (op) => (op.intensity === null ? Infinity : op.intensity), show: (v) => (v === Infinity ? '∞' : fmt.sig3(v)) },
  { key: 'bound', label: 'bound', get: (op) => op.bound || '', show: (v) => v },
  { key: 'time_s', label: 'time', num: true, get: (op) => op.time_s ?? NaN, show: fmt.time, exact: 's' },
  { key: 'total_time_s', label: '× count', num: true, get: (op) => op.total_time_s ?? NaN, show: fmt.time, exact: 's', title: 'time × count' },
  { key: 'share', label: 'share', num: true, get: (op, i, total) => (total > 0 ? op.total_time_s / total : NaN), show: fmt.percent },
];

let sortKey = 'index';
let sortDir = 1;

export function renderTable(container, result, onSort) {
  const total = result.totals.time_s || 0;
  const rows = result.ops.map((op, i) => ({ op, values: COLUMNS.map((c) => c.get(op, i, total)) }));
  const ci = COLUMNS.findIndex((c) => c.key === sortKey);
  rows.sort((a, b) => {
    const x = a.values[ci];
    const y = b.values[ci];
    if (typeof x === 'number' && typeof y === 'number') {
      const nx = Number.isNaN(x) ? -Infinity : x;
      const ny = Number.isNaN(y) ? -Infinity : y;
      return (nx - ny) * sortDir;
    }
    return String(x).localeCompare(String(y)) * sortDir;
  });
  const head = el(
    'tr',
    {},
    COLUMNS.map((c) =>
      el(
        'th',
        {
          class: c.num ? 'num' : '',
          scope: 'col',
          title: c.title || `sort by ${c.label}`,
          'aria-sort': c.key === sortKey ? (sortDir > 0 ? 'ascending' : 'descending') : 'none',
          dataset: { key: c.key },
        },
        el('button', {
          type: 'button',
          class: 'sort',
          text: c.label + (c.key === sortKey ? (sortDir > 0 ? ' ▲' : ' ▼') : ''),
          onclick: () => {
            if (sortKey === c.key) sortDir = -sortDir;
            else {
              sortKey = c.key;
              sortDir = c.num && c.key !== 'index' ? -1 : 1;
            }
            onSort();
          },
        }),
      ),
    ),
  );
  const body = rows.map(({ op, values }) =>
    el(
      'tr',
      { class: op.bound ? `bound-${op.bound}` : '', dataset: { op: op.name } },
      COLUMNS.map((c, j) => {
        const v = values[j];
        const cell = el('td', { class: c.num ? 'num' : '', title: c.exact && Number.isFinite(v) ? fmt.exact(v, c.exact) : undefined }, c.show(v));
        if (c.key === 'share' && Number.isFinite(v)) cell.style.setProperty('--share', `${Math.min(100, 100 * v)}%`);
        if (c.key === 'bound' && v) cell.append(el('span', { class: `dot ${v}` }));
        return cell;
      }),
    ),
  );
  const t = result.totals;
  const foot = el(
    'tr',
    {},
    el('th', { scope: 'row', colspan: 4, text: 'total' }),
    el('td', { class: 'num', title: fmt.exact(t.flops, 'FLOP') }, fmt.flops(t.flops)),
    el('td', { class: 'num', title: fmt.exact(t.weight_bytes, 'bytes') }, fmt.bytes(t.weight_bytes)),
    el('td', { class: 'num', colspan: 2, title: fmt.exact(t.bytes, 'bytes moved in all') }, `${fmt.bytes(t.bytes)} moved`),
    el('td', { class: 'num', title: fmt.exact(t.kv_bytes, 'bytes') }, fmt.bytes(t.kv_bytes)),
    el('td', { class: 'num' }, fmt.sig3(t.intensity)),
    el('td', {}, ''),
    el('td', { class: 'num' }, ''),
    el('td', { class: 'num', title: fmt.exact(t.time_s, 's') }, fmt.time(t.time_s)),
    el('td', {}, ''),
  );
  container.replaceChildren(
    el('table', { class: 'ops', id: 'ops-table' }, el('thead', {}, head), el('tbody', {}, body), el('tfoot', {}, foot)),
  );
}
