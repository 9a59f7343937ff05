/**
 * Preloaded (`--require`) into a service process a benchmark starts: counts the SQL statements the
 * process sends (every pool or client query goes through pg's Client#query) and, on SIGUSR2, writes the
 * count to QUERY_COUNT_FILE, so the benchmark can take the statements per order of a phase.
 */
const { writeFileSync } = require('node:fs');
const pg = require('pg');

let count = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(...args) {
  count++;
  return query.apply(this, args);
};
process.on('SIGUSR2', () => writeFileSync(process.env.QUERY_COUNT_FILE, String(count)));
