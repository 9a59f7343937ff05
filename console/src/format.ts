/** How the console writes times and amounts: ISO instants in UTC to the second, amounts exactly as sent (decimal strings). */
export function at(iso: string | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** "in 3 h", "2 d ago": how far an instant is from now, beside the instant itself. */
export function relative(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '';
  const ms = new Date(iso).getTime() - now;
  const abs = Math.abs(ms);
  const [n, unit] =
    abs < 90_000
      ? [Math.round(abs / 1000), 's']
      : abs < 5_400_000
        ? [Math.round(abs / 60_000), 'min']
        : abs < 172_800_000
          ? [Math.round(abs / 3_600_000), 'h']
          : [Math.round(abs / 86_400_000), 'd'];
  return ms >= 0 ? `in ${n} ${unit}` : `${n} ${unit} ago`;
}
