import { pino } from 'pino';

export type Logger = pino.Logger;

/** Structured JSON logs on stdout, one object per line, with the service name on every line. */
export function createLogger(service: string, level: pino.LevelWithSilent = 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
