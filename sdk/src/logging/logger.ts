/**
 * The SDK's logger: console output at or above the local level, remote upload at or above the remote level
 * (only when a collector URL is known: config.logUrl or the login reply's config_info.log_url).
 * Messages are "action content", e.g. "zc.login.start roomid=r1"; see format.ts for the remote line format.
 */
import { formatLogLine, formatLogTime, type LogContext, splitMessage } from './format';
import { LogLevel, levelName, normalizeLevel } from './levels';
import { createRemoteLogSink, type RemoteLogSink } from './remote-log';

export class Logger {
  private localLevel: number = LogLevel.info;
  private remoteLevel: number = LogLevel.debug;
  private remote: RemoteLogSink | null = null;

  constructor(private readonly context: () => LogContext) {}

  setLocalLevel(level: number): void {
    this.localLevel = normalizeLevel(level);
  }

  setRemoteLevel(level: number): void {
    this.remoteLevel = normalizeLevel(level);
  }

  get remoteUrl(): string | null {
    return this.remote === null ? null : this.remote.url;
  }

  /** Opens (or switches to) the collector at `url`; an unsupported scheme turns remote logging off. */
  openRemote(url: string): void {
    if (this.remote !== null && this.remote.url === url) return;
    this.closeRemote();
    this.remote = createRemoteLogSink(url);
    if (this.remote === null) this.warn(`zc.log.remote unsupported log url scheme, remote logging off: ${url}`);
  }

  closeRemote(): void {
    if (this.remote !== null) this.remote.stop();
    this.remote = null;
  }

  debug(message: string): void {
    this.write(LogLevel.debug, message);
  }

  info(message: string): void {
    this.write(LogLevel.info, message);
  }

  warn(message: string): void {
    this.write(LogLevel.warn, message);
  }

  error(message: string): void {
    this.write(LogLevel.error, message);
  }

  /** A report record (notes §9): always uploaded when a collector is open, whatever the remote level. */
  report(record: Record<string, unknown>, idName: string, version: string): void {
    const line = JSON.stringify({ ...record, console: 'rtc', id_name: idName, version });
    if (LogLevel.report >= this.localLevel && this.localLevel < LogLevel.disable) {
      console.info(`[ZegoClient] ${formatLogTime(Date.now())} report ${line}`);
    }
    if (this.remote !== null) this.remote.push(line, true);
  }

  private write(level: number, message: string): void {
    if (level >= this.localLevel && this.localLevel < LogLevel.disable) {
      const { action, content } = splitMessage(message);
      const text = `[ZegoClient] ${formatLogTime(Date.now())} ${levelName(level)} ${action} ${content}`;
      if (level >= LogLevel.error) console.error(text);
      else if (level === LogLevel.warn) console.warn(text);
      else if (level === LogLevel.info) console.info(text);
      else console.debug(text);
    }
    if (this.remote !== null && level >= this.remoteLevel && this.remoteLevel < LogLevel.disable) {
      this.remote.push(formatLogLine(Date.now(), level, message, this.context()), false);
    }
  }
}
