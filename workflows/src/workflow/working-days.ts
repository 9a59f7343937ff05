/**
 * Working-day arithmetic for deadlines counted in working days (the FX declaration's "5 working days
 * after the funds arrive"). Pure and deterministic, usable in workflow code. Working days are Monday to
 * Friday in China Standard Time (UTC+8, no daylight saving); public holidays are not known here, so a
 * deadline over a holiday comes early, never late.
 */
const DAY_MS = 24 * 60 * 60 * 1000;
const CST_OFFSET_MS = 8 * 60 * 60 * 1000;

const isWeekend = (ms: number) => {
  const day = new Date(ms + CST_OFFSET_MS).getUTCDay();
  return day === 0 || day === 6;
};

/** The moment `days` working days after `from`: the same time of day, weekends skipped. */
export function addWorkingDays(from: Date, days: number): Date {
  let ms = from.getTime();
  let left = days;
  while (left > 0) {
    ms += DAY_MS;
    if (!isWeekend(ms)) left--;
  }
  return new Date(ms);
}
