// Liveroom demo console: log panel, toasts, errors, and the guarded SDK call.

import { $, clock, h } from './console-dom.js';
import { S } from './console-state.js';
import { bump } from './console-tabs.js';

export const LOG_MAX = 600;
/**
 * @param {'info' | 'ok' | 'warn' | 'error'} level
 * @param {string} text
 * @param {'app' | 'sdk'} [source]
 */
export function log(level, text, source = 'app') {
  const list = $('log-list');
  const li = h('li', { class: `${level} ${source}` }, h('time', { text: clock() }), h('span', { text: text }));
  list.append(li);
  while (list.children.length > LOG_MAX) list.firstElementChild?.remove();
  if (S.tab === 'log') li.scrollIntoView({ block: 'nearest' });
  else if (level === 'error') bump('log');
}

/**
 * @param {'ok' | 'info' | 'warn' | 'error'} kind
 * @param {string} title
 * @param {string} [body]
 * @param {{ ms?: number, action?: { label: string, run: () => unknown } }} [options]
 */
export function toast(kind, title, body, { ms, action } = {}) {
  const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, h('b', { text: title }), body ? h('div', { text: body }) : null);
  if (action) {
    el.append(
      h('div', { class: 'btn-row' }, h('button', { class: 'btn btn-primary btn-sm', text: action.label, onclick: (/** @type {Event} */ e) => { e.stopPropagation(); el.remove(); action.run(); } })),
    );
  }
  el.addEventListener('click', () => el.remove());
  $('toasts').append(el);
  while ($('toasts').children.length > 5) $('toasts').firstElementChild?.remove();
  setTimeout(() => el.remove(), ms ?? (kind === 'error' ? 9000 : action ? 12000 : 5000));
  return el;
}

/** @type {Record<string, string>} */
export const ERROR_HINTS = {
  'ZegoClient.Error.Timeout': 'The server did not answer in time.',
  'ZegoClient.Error.Network': 'The connection to the server is lost.',
  'ZegoClient.Error.Kickout': 'The server signed you out.',
  'ZegoClient.Error.Server': 'The server refused the request.',
  'ZegoClient.Error.Param': 'Invalid parameters.',
  'ZegoClient.Error.requencyLimited': 'Too fast: at most one room message every half second.',
};
/** @type {Record<string, string>} */
export const DEVICE_ERRORS = {
  NotAllowedError: 'Permission to use the camera or microphone was denied. Allow it in the browser\'s address bar and try again.',
  NotFoundError: 'No camera or microphone was found.',
  NotReadableError: 'The camera or microphone is in use by another application.',
  OverconstrainedError: 'The device cannot deliver the chosen quality. Pick another preset.',
  AbortError: 'The device could not be started.',
  SecurityError: 'Camera access needs a secure page (https:// or http://localhost).',
  TypeError: 'The browser refused the device options.',
};

/** Liveroom's own server error codes (docs/protocol.md §2), which the SDK reports as "…result=<code>". */
/** @type {Record<string, string>} */
export const SERVER_CODES = {
  1006: 'The server does not know this session: join again.',
  1008: 'The token was refused: bad, expired, or minted for another app or room.',
  1000000002: 'The server found the request invalid.',
  1000000003: 'Rate limited: slow down a little.',
  1000000004: 'The room does not exist and may not be created.',
  1000000005: 'The content is too long.',
  1000000006: 'This room already has 10 reliable message types.',
  1000000007: 'That member is not in the room.',
  1000000008: 'The stream is not in the room.',
  1000000009: 'That stream ID belongs to another user.',
  1000000010: 'No business server is configured for relay messages (relay.url in the server configuration).',
  1000000011: 'The business server did not accept the relay message.',
  1000000012: 'The room is full.',
  1000000013: 'Too many streams in this room or for this user.',
  1000000014: 'Your token does not allow publishing.',
  1000000015: 'The server has reached its room limit.',
  1000000016: 'The server is shutting down.',
  1000000017: 'The business server refused your login.',
  1000000018: 'The business server could not check your login.',
  1000000099: 'Internal server error: see the server log.',
  // Mixing: the SDK reports the server's code plus 10000 (reference §1.31).
  1000010002: 'The server found the mix request invalid.',
  1000010009: 'That output stream ID is already a stream of the room.',
  1000010013: 'Too many streams in this room or for this user.',
  1000010014: 'Your token does not allow publishing, so you cannot mix either.',
  1000010150: 'A mix input is not (or no longer) a stream of this room.',
  1000010151: 'Mixing is not available on this server (no live outputs, or GStreamer is missing an element).',
  1000010152: 'No such mix in this room: it has already stopped.',
};

/** Turns an SDK error ({code, msg}), a DOMException name or an Error into one readable line. */
/** @param {unknown} err */
export function describe(err) {
  if (err === null || err === undefined) return 'unknown error';
  if (typeof err === 'string') return DEVICE_ERRORS[err] ? `${DEVICE_ERRORS[err]} (${err})` : err;
  if (typeof err === 'object' && ('code' in err || 'msg' in err)) {
    const e = /** @type {{ code?: unknown, msg?: unknown }} */ (err);
    const msg = e.msg ? String(e.msg) : '';
    const serverCode = /(?:result=|code:|error code )(\d+)/.exec(msg);
    const hint = (serverCode && SERVER_CODES[serverCode[1]]) || ERROR_HINTS[String(e.code)];
    return [hint, msg && msg !== hint ? msg : null].filter(Boolean).join(' ') + (e.code ? ` [${e.code}]` : '');
  }
  if (err instanceof Error || (typeof err === 'object' && 'message' in err)) {
    const e = /** @type {{ name?: string, message?: unknown }} */ (err);
    const name = e.name && DEVICE_ERRORS[e.name] ? DEVICE_ERRORS[e.name] : '';
    return [name, e.message].filter(Boolean).join(' ');
  }
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}

/**
 * @param {string} title
 * @param {unknown} err
 */
export function showError(title, err) {
  S.errorsShown++;
  const text = describe(err);
  log('error', `${title}: ${text}`);
  toast('error', title, text);
}

/**
 * Calls zg[api](...args). The SDK never throws on bad input: it logs why and returns false. That reason (captured
 * from the SDK's console line) is shown, unless the call's own error callback already reported something.
 * @template {import('./types').SdkApi} K
 * @param {K} api
 * @param {Parameters<import('./types').ZegoClientInstance[K]>} args
 * @returns {ReturnType<import('./types').ZegoClientInstance[K]> | false}
 */
export function sdk(api, ...args) {
  S.lastParamError = null;
  const before = S.errorsShown;
  /** @type {ReturnType<import('./types').ZegoClientInstance[K]>} */
  let r;
  try {
    r = /** @type {(...a: unknown[]) => ReturnType<import('./types').ZegoClientInstance[K]>} */ (S.zg[api]).apply(S.zg, args);
  } catch (e) {
    showError(`${api} failed`, e);
    return false;
  }
  if (r === false && S.errorsShown === before) {
    showError(`${api} was refused`, S.lastParamError || 'invalid arguments, or not in a room');
  }
  return r;
}

/**
 * Runs clean-up calls whose refusals mean nothing (the SDK may have stopped that stream already).
 * @param {() => void} fn
 */
export function quietly(fn) {
  S.quiet = true;
  try {
    fn();
  } finally {
    S.quiet = false;
  }
}

/** Mirrors the SDK's console lines ("[ZegoClient] date time level action content") into the log panel. */
export function captureSdkConsole() {
  const re = /^\[ZegoClient\] \S+ \S+ (\w+) (\S+) ?([\s\S]*)$/;
  for (const method of /** @type {const} */ (['error', 'warn', 'info'])) {
    const original = console[method].bind(console);
    console[method] = (/** @type {unknown[]} */ ...args) => {
      original(...args);
      const line = args[0];
      if (typeof line !== 'string' || !line.startsWith('[ZegoClient]')) return;
      const m = re.exec(line);
      if (!m) return;
      const [, level, action, content] = m;
      if (level === 'error' && action.endsWith('.param')) S.lastParamError = content;
      if (S.quiet) return;
      if (level === 'error') log('error', `${action} ${content}`, 'sdk');
      else if (level === 'warn') log('warn', `${action} ${content}`, 'sdk');
      else if ($('log-verbose').checked) log('info', `${action} ${content}`, 'sdk');
    };
  }
  window.addEventListener('error', (e) => showError('Unexpected error', e.error || e.message));
  window.addEventListener('unhandledrejection', (e) => showError('Unexpected error', e.reason));
}
