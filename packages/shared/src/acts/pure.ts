/** What the workflow bundle may import of signed acts: shapes, kinds, decision content (no crypto, no I/O). */
export * from './act-kinds';
export * from './act-schema';
export * from './decision-schema';
