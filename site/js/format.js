// Units users can read: SI for FLOPs and rates, binary (GiB) for memory with decimal
// GB where a device capacity is compared, µs/ms/s for time, three significant digits,
// a thin space between number and unit.
export const THIN = '\u202F'; // narrow no-break space

export function sig3(v) {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(3);
}

function scaled(value, base, units) {
  if (!Number.isFinite(value)) return '–';
  let i = 0;
  let v = value;
  while (Math.abs(v) >= base - 0.5 && i < units.length - 1) {
    v /= base;
    i += 1;
  }
  return sig3(v) + THIN + units[i];
}

const SI = ['', 'k', 'M', 'G', 'T', 'P', 'E', 'Z'];
export const flops = (x) => scaled(x, 1000, SI.map((p) => p + 'FLOP'));
export const flopRate = (x) => scaled(x, 1000, SI.map((p) => p + 'FLOP/s'));
export const bytes = (x) => scaled(x, 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB']);
export const decimalBytes = (x) => scaled(x, 1000, SI.map((p) => p + 'B'));
export const bandwidth = (x) => scaled(x, 1000, SI.map((p) => p + 'B/s'));
export const count = (x) => scaled(x, 1000, ['', 'k', 'M', 'B', 'T', 'Q']).replace(/\u202F$/, '');
export const tokens = (x) => scaled(x, 1000, ['tokens', 'k tokens', 'M tokens', 'B tokens']);

export function time(s) {
  if (!Number.isFinite(s)) return '–';
  const a = Math.abs(s);
  if (a === 0) return '0' + THIN + 's';
  if (a < 1e-6) return sig3(s * 1e9) + THIN + 'ns';
  if (a < 1e-3) return sig3(s * 1e6) + THIN + 'µs';
  if (a < 1) return sig3(s * 1e3) + THIN + 'ms';
  if (a < 600) return sig3(s) + THIN + 's';
  if (a < 36000) return sig3(s / 60) + THIN + 'min';
  return sig3(s / 3600) + THIN + 'h';
}

export const rate = (x, unit) => (Number.isFinite(x) ? scaled(x, 1000, ['', 'k', 'M', 'G']).trimEnd() + THIN + unit : '–');
export const intensity = (x) => (x === null || x === undefined || !Number.isFinite(x) ? '∞' : sig3(x) + THIN + 'FLOP/B');
export const percent = (x) => (Number.isFinite(x) ? sig3(100 * x) + THIN + '%' : '–');

/** The exact value, for tooltips and copying. */
export function exact(x, unit = '') {
  if (typeof x !== 'number' || !Number.isFinite(x)) return String(x);
  const s = Number.isInteger(x) && Math.abs(x) < 2 ** 53 ? x.toLocaleString('en-US') : x.toPrecision(17).replace(/\.?0+(e|$)/, '$1');
  return unit ? `${s} ${unit}` : s;
}
