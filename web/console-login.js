// Liveroom demo console: Login / logout.

import { $, roleName } from './console-dom.js';
import { closeFlv } from './console-flv.js';
import { log, quietly, sdk, showError, toast } from './console-log.js';
import { renderLocal } from './console-publish.js';
import { stopShare } from './console-screen.js';
import { renderSession, setStatus } from './console-session.js';
import { S } from './console-state.js';
import { addStream, removeStream } from './console-streams.js';
import { selectTab } from './console-tabs.js';

/**
 * @typedef {{ room: string, idName: string, nickName: string, role: number, appid: number, server: string, token: string, logLevel: number }} LoginForm
 */

/** @returns {LoginForm | { error: string }} */
export function readLoginForm() {
  const room = $('in-room').value.trim();
  const idName = $('in-user').value.trim();
  const nickName = $('in-nick').value.trim() || idName;
  const role = Number(/** @type {HTMLInputElement} */ (document.querySelector('input[name="role"]:checked')).value);
  const appidText = $('in-appid').value.trim() || '1';
  const appid = Number(appidText);
  const server = $('in-server').value.trim();
  const token = $('in-token').value.trim();
  const logLevel = Number($('in-loglevel').value);
  if (!room) return { error: 'Enter a room ID.' };
  if (!idName) return { error: 'Enter a user ID.' };
  if (!/^[1-9]\d*$/.test(appidText) || !Number.isSafeInteger(appid)) return { error: 'The App ID must be a positive whole number (any number in dev mode; 1 by default).' };
  if (!/^wss?:\/\//i.test(server)) return { error: 'The server must be a ws:// or wss:// URL, e.g. ws://127.0.0.1:8282/ws.' };
  return { room, idName, nickName, role, appid, server, token, logLevel };
}

/**
 * @param {number} appid
 * @param {string} idName
 */
export async function fetchDevToken(appid, idName) {
  const url = `/token?app_id=${encodeURIComponent(appid)}&id_name=${encodeURIComponent(idName)}`;
  let r;
  try {
    r = await fetch(url, { cache: 'no-store' });
  } catch (e) {
    throw new Error(`Cannot reach the server for a token (${/** @type {Error} */ (e).message}).`);
  }
  const body = (await r.text()).trim();
  if (r.status === 404) throw new Error('This server is not in dev mode, so it mints no tokens: paste a token under Advanced (see liveroom token --help).');
  if (!r.ok) throw new Error(`The token request failed: HTTP ${r.status} ${body}`);
  return body;
}

/** @param {Event} e */
export async function join(e) {
  e.preventDefault();
  if (S.phase !== 'out') return;
  const f = readLoginForm();
  if ('error' in f) {
    showError('Cannot join', f.error);
    return;
  }
  S.phase = 'joining';
  S.me = { idName: f.idName, nickName: f.nickName, role: f.role };
  S.room = f.room;
  S.server = f.server;
  setStatus('connecting', `Joining “${f.room}”…`);
  renderSession();
  const fail = (/** @type {string} */ title, /** @type {unknown} */ err) => {
    S.phase = 'out';
    setStatus('error', 'Not in a room');
    renderSession();
    showError(title, err);
  };
  if (!sdk('config', { appid: f.appid, server: f.server, idName: f.idName, nickName: f.nickName, logLevel: f.logLevel })) {
    fail('Configuration refused', S.lastParamError || 'check the App ID, server and user ID');
    return;
  }
  S.zg.setUserStateUpdate(true);
  let token = f.token;
  if (!token) {
    try {
      token = await fetchDevToken(f.appid, f.idName);
    } catch (err) {
      fail('Cannot join', err);
      return;
    }
  }
  log('info', `login room=${f.room} user=${f.idName} role=${roleName(f.role)}`);
  const accepted = sdk(
    'login',
    f.room,
    f.role,
    token,
    (streamList) => onLoggedIn(streamList),
    (err) => fail(`Could not join “${f.room}”`, err),
  );
  if (!accepted && S.phase === 'joining') {
    S.phase = 'out';
    setStatus('error', 'Not in a room');
    renderSession();
  }
}

/** @param {import('./types').StreamInfo[]} streamList */
export function onLoggedIn(streamList) {
  S.phase = 'in';
  const u = new URL(location.href);
  u.searchParams.set('room', S.room);
  history.replaceState(null, '', u);
  if (!S.users.has(S.me.idName)) S.users.set(S.me.idName, { ...S.me });
  log('ok', `joined “${S.room}” as ${S.me.idName}; ${streamList.length} stream(s) live`);
  toast('ok', `Joined “${S.room}”`, streamList.length ? `${streamList.length} stream(s) live.` : 'Go live, or wait for others to join.');
  $('pub-stream').placeholder = defaultStreamId();
  for (const s of streamList) addStream(s);
  renderSession();
}

export function defaultStreamId() {
  return `${S.me.idName || 'user'}-cam`;
}

/** Clears everything that belongs to the room session (after logout, disconnect or kick-out). */
export function resetRoom() {
  if (S.screen) stopShare('left the room');
  if (S.publishing) {
    const id = S.publishing;
    quietly(() => S.zg.stopPublishingStream(id));
    S.publishing = null;
    S.publishState = 'idle';
    S.preview = false;
  }
  closeFlv();
  // The server stops a mix when the user who started it leaves the room.
  S.mix = null;
  S.mixOff.clear();
  for (const id of [...S.streams.keys()]) removeStream(id, { quiet: true });
  S.users.clear();
  S.anchor = null;
  S.online = 0;
  S.phase = 'out';
  for (const p of [...$('prompts').children]) p.remove();
  selectTab('room');
  renderLocal();
  renderSession();
}

export function leave() {
  if (S.phase !== 'in') return;
  if (S.publishing) sdk('stopPublishingStream', S.publishing);
  S.publishing = null;
  S.publishState = 'idle';
  S.preview = false;
  quietly(() => {
    for (const [id, s] of S.streams) if (s.playing) S.zg.stopPlayingStream(id);
  });
  S.zg.logout();
  log('info', `left “${S.room}”`);
  resetRoom();
  setStatus('offline', 'Not in a room');
  toast('info', 'You left the room');
}
