// Structured JSON logs (winston). Loggers are created by the composition roots and injected;
// there is no module-level logger.
import winston from 'winston';

export type Logger = winston.Logger;
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LoggerOptions {
  level?: LogLevel;
  /** Fields added to every line, e.g. { component: 'webhook' }. */
  defaultMeta?: Record<string, unknown>;
  /** Where lines go; stderr by default so stdout stays free for command output. */
  stream?: NodeJS.WritableStream;
  /** Drop everything (tests). */
  silent?: boolean;
}

/** Errors become { message, stack, ... } instead of the `{}` JSON.stringify gives them. */
const serialiseErrors = winston.format((info) => {
  for (const [key, value] of Object.entries(info)) {
    if (value instanceof Error) {
      (info as Record<string, unknown>)[key] = { name: value.name, message: value.message, stack: value.stack };
    }
  }
  return info;
});

export function createLogger(options: LoggerOptions = {}): Logger {
  return winston.createLogger({
    level: options.level ?? 'info',
    silent: options.silent ?? false,
    defaultMeta: options.defaultMeta ?? {},
    format: winston.format.combine(winston.format.timestamp(), serialiseErrors(), winston.format.json()),
    transports: [new winston.transports.Stream({ stream: options.stream ?? process.stderr })],
  });
}

/** A logger that writes nothing: the default in tests. */
export function silentLogger(): Logger {
  return createLogger({ silent: true });
}
