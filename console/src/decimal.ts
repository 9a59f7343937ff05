/**
 * Exact sums of decimal strings for display: money is never added as floating point (0.1 + 0.2 is not
 * 0.3). Each amount is scaled to whole units of its smallest decimal place and added as a BigInt; the
 * result keeps the most decimal places of its terms. Numbers (for drawing only) come from Number().
 */
const DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;

function parse(text: string): { units: bigint; scale: number } {
  const m = DECIMAL.exec(text.trim());
  if (!m) throw new Error(`not a decimal: ${text}`);
  const fraction = m[3] ?? '';
  const units = BigInt(`${m[2]}${fraction}`);
  return { units: m[1] === '-' ? -units : units, scale: fraction.length };
}

/** a + b + … exactly, as a decimal string with the largest scale among the terms. */
export function sumDecimals(terms: string[]): string {
  const parsed = terms.map(parse);
  const scale = Math.max(0, ...parsed.map((p) => p.scale));
  const total = parsed.reduce((s, p) => s + p.units * 10n ** BigInt(scale - p.scale), 0n);
  const negative = total < 0n;
  const digits = (negative ? -total : total).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale ? `.${digits.slice(digits.length - scale)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** -a, exactly. */
export function negateDecimal(text: string): string {
  const t = text.trim();
  return t.startsWith('-')
    ? t.slice(1)
    : /^[0.]+$/.test(t.replace('+', ''))
      ? t.replace('+', '')
      : `-${t.replace('+', '')}`;
}
