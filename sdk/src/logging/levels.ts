/** Log levels of config.logLevel / remoteLogLevel (API reference §1.1, notes §9 and §13). */
export const LogLevel = {
  debug: 0,
  info: 1,
  warn: 2,
  error: 3,
  /** Report records (per-stream event timelines). The reference says 98; the original code uses 99. */
  report: 98,
  disable: 100,
} as const;

export type LogLevelValue = number;

/** 99 is the original SDK's value for "report"; treat it as the reference's 98. */
export function normalizeLevel(level: number): number {
  return level === 99 ? LogLevel.report : level;
}

export function levelName(level: number): string {
  switch (level) {
    case LogLevel.debug:
      return 'debug';
    case LogLevel.info:
      return 'info';
    case LogLevel.warn:
      return 'warn';
    case LogLevel.error:
      return 'error';
    case LogLevel.report:
      return 'report';
    default:
      return String(level);
  }
}
