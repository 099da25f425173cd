/**
 * Calls an application callback so that an exception thrown by it can never unwind into SDK code and leave
 * SDK state half-updated: the error is caught and logged.
 */
import type { Logger } from './logging/logger';

export type AnyFn = (...args: never[]) => unknown;

export function safeCall(logger: Logger, name: string, fn: unknown, args: unknown[]): void {
  if (typeof fn !== 'function') return;
  try {
    (fn as (...a: unknown[]) => unknown)(...args);
  } catch (e) {
    const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    logger.error(`zc.callback.throw application callback ${name} threw: ${detail}`);
  }
}
