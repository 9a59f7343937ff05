import pino, { type Logger } from 'pino';
import { traceLogFields } from './telemetry/tracing';

export type { Logger };

/**
 * Structured JSON logs on stdout, each line with its time (ISO 8601) and, inside traced work, its
 * trace_id, span_id and case_id. Secrets never reach a log line: the paths below are redacted. */
export function createLogger(
  service: string,
  level: string = process.env.LOG_LEVEL ?? 'info',
  /** Where lines go (default stdout); tests read them. */
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    // The trace, span and case of the work the line is about, where known (telemetry/tracing.ts).
    mixin: traceLogFields,
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        '*.apiSecret',
        '*.secret',
        '*.privateKey',
        '*.password',
        '*.token',
        'SERVICE_TOKEN',
        '*.SERVICE_TOKEN',
        '*.DECISION_SIGNING_KEY',
        '*.PAYLOAD_CODEC_KEYS',
        // Database URLs carry their role's password (the owner's only in the provision step).
        'DATABASE_URL',
        '*.DATABASE_URL',
        '*.AUDIT_DATABASE_URL',
        '*.NOTIFICATIONS_DATABASE_URL',
        '*.DATABASE_OWNER_URL',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/** A logger that writes nothing, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
