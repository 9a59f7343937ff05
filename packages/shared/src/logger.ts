import pino, { type Logger } from 'pino';

export type { Logger };

/** Structured JSON logs on stdout. Secrets never reach a log line: the paths below are redacted. */
export function createLogger(service: string, level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
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
  });
}

/** A logger that writes nothing, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
