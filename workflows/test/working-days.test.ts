import { addWorkingDays } from '../src/workflow/working-days';

test('5 working days from a Tuesday is the next Tuesday; from a Friday, the next Friday', () => {
  // 2026-03-10 is a Tuesday (10:00 in Beijing = 02:00 UTC).
  expect(addWorkingDays(new Date('2026-03-10T02:00:00Z'), 5).toISOString()).toBe('2026-03-17T02:00:00.000Z');
  expect(addWorkingDays(new Date('2026-03-13T02:00:00Z'), 5).toISOString()).toBe('2026-03-20T02:00:00.000Z');
});

test('weekends count in Beijing time: Friday 23:00 UTC is already Saturday there', () => {
  // Friday 2026-03-13 23:00 UTC is Saturday 07:00 in Beijing: one working day later is Monday 07:00 there.
  expect(addWorkingDays(new Date('2026-03-13T23:00:00Z'), 1).toISOString()).toBe('2026-03-15T23:00:00.000Z');
  expect(addWorkingDays(new Date('2026-03-10T02:00:00Z'), 1).toISOString()).toBe('2026-03-11T02:00:00.000Z');
});
