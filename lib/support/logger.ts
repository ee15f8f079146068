import pino, { type Logger } from 'pino';

export type { Logger };

/** One logger per process; children carry context (scriptId, partition, offset...). */
export function createLogger(options: { level: string; pretty: boolean; name?: string }): Logger {
  if (options.pretty) {
    return pino({
      name: options.name,
      level: options.level,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } },
    });
  }
  return pino({ name: options.name, level: options.level });
}

/** A logger that discards everything, for tests. */
export const silentLogger: Logger = pino({ level: 'silent' });
