// Liveroom demo console: the whole product through the public ZegoClient Web SDK API alone.
// Loaded after /sdk/zego-client.js (global ZegoClient). No framework, no build step, no network resource
// other than this server. The client is exposed as window.zg for poking at it from the devtools console.

const $ = (id) => document.getElementById(id);

/** Creates an element: h('div', {class: 'x', text: 'hi', onclick: fn}, child, …). */
function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of kids.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

const ICON = {
  camOff: '<svg viewBox="0 0 24 24"><path d="M3.3 2.3 21.7 20.7l-1.4 1.4-3.4-3.4A2 2 0 0 1 14 18H4a2 2 0 0 1-2-2V8a2 2 0 0 1 1.6-2L1.9 3.7zM16 9.5l4-2.5v10l-.3-.2L8.2 6H14a2 2 0 0 1 2 2z"/></svg>',
  micOff: '<svg viewBox="0 0 24 24"><path d="M3.3 2.3 21.7 20.7l-1.4 1.4-4.5-4.5A7 7 0 0 1 13 17.9V21h-2v-3.1A7 7 0 0 1 5 11h2a5 5 0 0 0 7.4 4.4l-1.5-1.5A3 3 0 0 1 9 11v-.6L1.9 3.7zM15 5v5.6L9.1 4.7A3 3 0 0 1 15 5zm4 6a7 7 0 0 1-1 3.6l-1.5-1.5A5 5 0 0 0 17 11z"/></svg>',
};
function icon(name, title) {
  const s = h('span', { class: 'ico', title });
  s.innerHTML = ICON[name];
  return s;
}

const initial = (name) => (String(name || '?').trim()[0] || '?').toUpperCase();
const pad2 = (n) => String(n).padStart(2, '0');
const clock = (d = new Date()) => `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
const roleName = (r) => (Number(r) === 1 ? 'Anchor' : 'Audience');

// ------------------------------------------------------------------ state

const S = {
  zg: null,
  phase: 'out', // out | joining | in
  room: '',
  me: { idName: '', nickName: '', role: 1 },
  server: '',
  anchor: null,
  online: 0,
  users: new Map(), // idName → {idName, nickName, role}
  streams: new Map(), // stream_id → {info, tile, video, playing, muted}
  preview: false,
  previewStarting: false,
  publishing: null, // stream id
  publishState: 'idle', // idle | connecting | live | retry
  screen: null, // {id, stream, state: connecting | live | retry, stats} while sharing the screen
  camera: true,
  mic: true,
  codec: 'VP8',
  lastParamError: null,
  errorsShown: 0,
  quiet: false,
  unread: { chat: 0, signals: 0, log: 0 },
  tab: 'room',
  mix: null, // {id, size, running, busy, flv, hls, inputs} while this page mixes (updateMixStream)
  mixOff: new Set(), // stream ids unchecked in the mix card
};

// ------------------------------------------------------------------ log panel, toasts, errors

const LOG_MAX = 600;
function log(level, text, source = 'app') {
  const list = $('log-list');
  const li = h('li', { class: `${level} ${source}` }, h('time', { text: clock() }), h('span', { text: text }));
  list.append(li);
  while (list.children.length > LOG_MAX) list.firstChild.remove();
  if (S.tab === 'log') li.scrollIntoView({ block: 'nearest' });
  else if (level === 'error') bump('log');
}

function toast(kind, title, body, { ms, action } = {}) {
  const el = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, h('b', { text: title }), body ? h('div', { text: body }) : null);
  if (action) {
    el.append(
      h('div', { class: 'btn-row' }, h('button', { class: 'btn btn-primary btn-sm', text: action.label, onclick: (e) => { e.stopPropagation(); el.remove(); action.run(); } })),
    );
  }
  el.addEventListener('click', () => el.remove());
  $('toasts').append(el);
  while ($('toasts').children.length > 5) $('toasts').firstChild.remove();
  setTimeout(() => el.remove(), ms ?? (kind === 'error' ? 9000 : action ? 12000 : 5000));
  return el;
}

const ERROR_HINTS = {
  'ZegoClient.Error.Timeout': 'The server did not answer in time.',
  'ZegoClient.Error.Network': 'The connection to the server is lost.',
  'ZegoClient.Error.Kickout': 'The server signed you out.',
  'ZegoClient.Error.Server': 'The server refused the request.',
  'ZegoClient.Error.Param': 'Invalid parameters.',
  'ZegoClient.Error.requencyLimited': 'Too fast: at most one room message every half second.',
};
const DEVICE_ERRORS = {
  NotAllowedError: 'Permission to use the camera or microphone was denied. Allow it in the browser\'s address bar and try again.',
  NotFoundError: 'No camera or microphone was found.',
  NotReadableError: 'The camera or microphone is in use by another application.',
  OverconstrainedError: 'The device cannot deliver the chosen quality. Pick another preset.',
  AbortError: 'The device could not be started.',
  SecurityError: 'Camera access needs a secure page (https:// or http://localhost).',
  TypeError: 'The browser refused the device options.',
};

/** Liveroom's own server error codes (docs/protocol.md §2), which the SDK reports as "…result=<code>". */
const SERVER_CODES = {
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
function describe(err) {
  if (err === null || err === undefined) return 'unknown error';
  if (typeof err === 'string') return DEVICE_ERRORS[err] ? `${DEVICE_ERRORS[err]} (${err})` : err;
  if (typeof err === 'object' && ('code' in err || 'msg' in err)) {
    const msg = err.msg ? String(err.msg) : '';
    const serverCode = /(?:result=|code:|error code )(\d+)/.exec(msg);
    const hint = (serverCode && SERVER_CODES[serverCode[1]]) || ERROR_HINTS[err.code];
    return [hint, msg && msg !== hint ? msg : null].filter(Boolean).join(' ') + (err.code ? ` [${err.code}]` : '');
  }
  if (err instanceof Error || (typeof err === 'object' && 'message' in err)) {
    const name = err.name && DEVICE_ERRORS[err.name] ? DEVICE_ERRORS[err.name] : '';
    return [name, err.message].filter(Boolean).join(' ');
  }
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}

function showError(title, err) {
  S.errorsShown++;
  const text = describe(err);
  log('error', `${title}: ${text}`);
  toast('error', title, text);
}

/**
 * Calls zg[api](...args). The SDK never throws on bad input: it logs why and returns false. That reason (captured
 * from the SDK's console line) is shown, unless the call's own error callback already reported something.
 */
function sdk(api, ...args) {
  S.lastParamError = null;
  const before = S.errorsShown;
  let r;
  try {
    r = S.zg[api](...args);
  } catch (e) {
    showError(`${api} failed`, e);
    return false;
  }
  if (r === false && S.errorsShown === before) {
    showError(`${api} was refused`, S.lastParamError || 'invalid arguments, or not in a room');
  }
  return r;
}

/** Runs clean-up calls whose refusals mean nothing (the SDK may have stopped that stream already). */
function quietly(fn) {
  S.quiet = true;
  try {
    fn();
  } finally {
    S.quiet = false;
  }
}

/** Mirrors the SDK's console lines ("[ZegoClient] date time level action content") into the log panel. */
function captureSdkConsole() {
  const re = /^\[ZegoClient\] \S+ \S+ (\w+) (\S+) ?([\s\S]*)$/;
  for (const method of ['error', 'warn', 'info']) {
    const original = console[method].bind(console);
    console[method] = (...args) => {
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

// ------------------------------------------------------------------ tabs and badges

function selectTab(name) {
  S.tab = name;
  for (const t of document.querySelectorAll('.tab')) t.setAttribute('aria-selected', String(t.dataset.tab === name));
  for (const p of document.querySelectorAll('.panel')) p.classList.toggle('hidden', p.dataset.panel !== name);
  if (name in S.unread) {
    S.unread[name] = 0;
    renderBadge(name);
  }
  if (name === 'chat') scrollChat();
}

function bump(name) {
  if (S.tab === name) return;
  S.unread[name]++;
  renderBadge(name);
}

function renderBadge(name) {
  const b = $(`${name}-badge`);
  b.textContent = String(S.unread[name]);
  b.classList.toggle('hidden', S.unread[name] === 0);
}

// ------------------------------------------------------------------ session header and room card

/** The header pill; `lead` is left out at phone width. */
function setStatus(state, text, lead = '') {
  $('status-pill').dataset.state = state;
  const el = $('status-text');
  el.textContent = '';
  if (lead) el.append(h('span', { class: 'hide-phone', text: lead }));
  el.append(text);
  $('status-pill').title = lead + text;
}

function renderSession() {
  const inRoom = S.phase === 'in';
  document.body.dataset.phase = S.phase;
  $('login-form').classList.toggle('hidden', inRoom);
  $('room-info').classList.toggle('hidden', !inRoom);
  $('btn-leave').classList.toggle('hidden', !inRoom);
  $('btn-invite-link').classList.toggle('hidden', !inRoom);
  $('online-pill').classList.toggle('hidden', !inRoom);
  $('btn-join').disabled = S.phase === 'joining';
  $('btn-join').textContent = S.phase === 'joining' ? 'Joining…' : 'Join room';
  for (const el of $('login-form').querySelectorAll('input, select')) el.disabled = S.phase === 'joining';
  for (const id of ['chat-input', 'chat-send', 'cmd-input', 'cmd-send', 'rel-type', 'rel-data', 'rel-send', 'relay-type', 'relay-data', 'relay-send']) {
    $(id).disabled = !inRoom;
  }
  if (inRoom) {
    setStatus('online', `“${S.room}”`, `${S.me.nickName} in `);
    $('ri-room').textContent = S.room;
    $('ri-role').textContent = roleName(S.me.role);
    $('ri-you').textContent = `${S.me.nickName} (${S.me.idName})`;
    $('ri-server').textContent = S.server;
    $('chat-input').placeholder = `Message “${S.room}”`;
  }
  renderOnline();
  renderDock();
  renderSignalTargets();
  renderPeople();
  renderGrid();
}

function renderOnline() {
  const n = S.online || S.users.size;
  $('online-count').textContent = String(n);
  $('ri-online').textContent = n ? String(n) : '—';
  $('ri-anchor').textContent = S.anchor ? `${S.anchor.nickName || S.anchor.idName} (${S.anchor.idName})` : '—';
  $('ri-streams').textContent = String(S.streams.size);
}

function inviteLink() {
  const u = new URL(location.href);
  u.search = '';
  u.hash = '';
  u.searchParams.set('room', S.room);
  return u.toString();
}

async function copyInviteLink() {
  const link = inviteLink();
  try {
    await navigator.clipboard.writeText(link);
    toast('ok', 'Invite link copied', link);
  } catch {
    toast('info', 'Invite link', link, { ms: 15000 });
  }
}

// ------------------------------------------------------------------ login / logout

function readLoginForm() {
  const room = $('in-room').value.trim();
  const idName = $('in-user').value.trim();
  const nickName = $('in-nick').value.trim() || idName;
  const role = Number(document.querySelector('input[name="role"]:checked').value);
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

async function fetchDevToken(appid, idName) {
  const url = `/token?app_id=${encodeURIComponent(appid)}&id_name=${encodeURIComponent(idName)}`;
  let r;
  try {
    r = await fetch(url, { cache: 'no-store' });
  } catch (e) {
    throw new Error(`Cannot reach the server for a token (${e.message}).`);
  }
  const body = (await r.text()).trim();
  if (r.status === 404) throw new Error('This server is not in dev mode, so it mints no tokens: paste a token under Advanced (see liveroom token --help).');
  if (!r.ok) throw new Error(`The token request failed: HTTP ${r.status} ${body}`);
  return body;
}

async function join(e) {
  e.preventDefault();
  if (S.phase !== 'out') return;
  const f = readLoginForm();
  if (f.error) {
    showError('Cannot join', f.error);
    return;
  }
  S.phase = 'joining';
  S.me = { idName: f.idName, nickName: f.nickName, role: f.role };
  S.room = f.room;
  S.server = f.server;
  setStatus('connecting', `Joining “${f.room}”…`);
  renderSession();
  const fail = (title, err) => {
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

function onLoggedIn(streamList) {
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

function defaultStreamId() {
  return `${S.me.idName || 'user'}-cam`;
}

/** Clears everything that belongs to the room session (after logout, disconnect or kick-out). */
function resetRoom() {
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

function leave() {
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

// ------------------------------------------------------------------ people

function upsertUser(u) {
  S.users.set(u.idName, { idName: u.idName, nickName: u.nickName || u.idName, role: u.role });
}

function renderPeople() {
  const list = $('people-list');
  list.textContent = '';
  const users = [...S.users.values()].sort((a, b) => {
    if (a.idName === S.me.idName) return -1;
    if (b.idName === S.me.idName) return 1;
    return (a.role - b.role) || String(a.nickName).localeCompare(String(b.nickName));
  });
  const live = new Set([...S.streams.values()].map((s) => s.info.anchor_id_name));
  if (S.publishing) live.add(S.me.idName);
  for (const u of users) {
    const me = u.idName === S.me.idName;
    list.append(
      h('li', { class: 'person', dataset: { user: u.idName } },
        h('span', { class: 'avatar', text: initial(u.nickName) }),
        h('span', { class: 'who' }, h('b', { text: u.nickName }), h('span', { text: u.idName })),
        live.has(u.idName) ? h('span', { class: 'tag tag-live', text: 'LIVE' }) : null,
        me ? h('span', { class: 'tag tag-me', text: 'You' }) : h('span', { class: 'tag', text: roleName(u.role) }),
        me ? null : h('button', { class: 'btn btn-secondary', text: 'Signal', title: 'Send a command or a join-live request', onclick: () => { $('sig-target').value = u.idName; renderSignalButtons(); selectTab('signals'); } }),
      ),
    );
  }
  $('people-empty').classList.toggle('hidden', S.users.size > 0);
  $('people-count').textContent = S.users.size ? `${S.users.size} in room` : '';
}

function renderSignalTargets() {
  const sel = $('sig-target');
  const keep = sel.value;
  sel.textContent = '';
  const others = [...S.users.values()].filter((u) => u.idName !== S.me.idName);
  if (S.phase !== 'in') sel.append(h('option', { value: '', text: '— join a room first —' }));
  else if (others.length === 0) sel.append(h('option', { value: '', text: '— nobody else is here yet —' }));
  for (const u of others) sel.append(h('option', { value: u.idName, text: `${u.nickName} (${u.idName}) · ${roleName(u.role)}` }));
  if (others.some((u) => u.idName === keep)) sel.value = keep;
  else if (S.anchor && others.some((u) => u.idName === S.anchor.idName)) sel.value = S.anchor.idName;
  renderSignalButtons();
}

function renderSignalButtons() {
  const ok = S.phase === 'in' && $('sig-target').value !== '';
  for (const id of ['btn-jl-request', 'btn-jl-invite', 'btn-jl-end']) $(id).disabled = !ok;
}

// ------------------------------------------------------------------ chat

function scrollChat() {
  const list = $('chat-list');
  list.scrollTop = list.scrollHeight;
}

function appendChat({ idName, nickName, text, time, mine, kind }) {
  const li = h('li', { class: mine ? 'mine' : '' },
    h('span', { class: 'avatar', text: initial(nickName) }),
    h('div', { class: 'bubble' },
      h('div', { class: 'meta' }, h('b', { text: mine ? 'You' : nickName, title: idName }), h('span', { text: clock(time ? new Date(time) : new Date()) }), kind === 'big' ? h('span', { class: 'kind', text: 'big room' }) : null),
      h('div', { class: 'text', text }),
    ),
  );
  $('chat-list').append(li);
  $('chat-empty').classList.add('hidden');
  scrollChat();
  if (!mine) bump('chat');
  return li;
}

function sendChat(e) {
  e.preventDefault();
  const input = $('chat-input');
  const text = input.value.trim();
  if (!text) return;
  const big = $('chat-kind').value === 'big';
  const li = appendChat({ idName: S.me.idName, nickName: S.me.nickName, text, mine: true, kind: big ? 'big' : 'room' });
  li.classList.add('pending');
  const done = () => li.classList.remove('pending');
  const failed = (err) => {
    li.classList.remove('pending');
    li.classList.add('failed');
    showError('Message not sent', err);
  };
  const ok = big
    ? sdk('sendBigRoomMessage', 1, 1, text, done, (err) => failed(err))
    : sdk('sendRoomMsg', 1, 1, text, done, (err) => failed(err));
  if (ok) {
    input.value = '';
  } else {
    li.classList.remove('pending');
    li.classList.add('failed');
  }
}

// ------------------------------------------------------------------ signals (commands, join-live, messages)

function feed(what, body, { from, actions } = {}) {
  const li = h('li', null,
    h('div', { class: 'meta' }, h('span', { class: 'what', text: what }), h('time', { text: clock() })),
    from ? h('div', { class: 'muted small', text: from }) : null,
    body ? h('div', { class: 'body', text: body }) : null,
  );
  if (actions) li.append(h('div', { class: 'actions' }, actions));
  $('sig-feed').prepend(li);
  $('sig-empty').classList.add('hidden');
  bump('signals');
  return li;
}

const who = (idName, nick) => (nick && nick !== idName ? `${nick} (${idName})` : idName);
const target = () => $('sig-target').value;
const targetName = () => {
  const u = S.users.get(target());
  return u ? u.nickName : target();
};

function askJoinLive(kind) {
  const dest = target();
  if (!dest) return;
  const name = targetName();
  const verb = kind === 'request' ? 'request to join live' : 'invitation to join live';
  const api = kind === 'request' ? 'requestJoinLive' : 'inviteJoinLive';
  const ok = sdk(
    api,
    dest,
    () => {
      log('info', `${api} → ${dest} sent`);
      toast('info', kind === 'request' ? `Asked ${name} to let you join live` : `Invited ${name} to join live`, 'Waiting for the answer…');
    },
    (err) => showError(`Your ${verb} to ${name} failed`, err),
    (result, fromId, fromName) => {
      const yes = result === true;
      const title = `${fromName || name} ${yes ? 'accepted' : 'declined'} your ${verb}`;
      log(yes ? 'ok' : 'warn', title);
      const li = feed(yes ? 'Join-live accepted' : 'Join-live declined', title, { from: who(fromId, fromName) });
      li.dataset.kind = 'join-live-result';
      li.dataset.result = yes ? 'accepted' : 'declined';
      const goLiveAction = yes && kind === 'request' && !S.publishing ? { label: 'Go live now', run: goLive } : undefined;
      toast(yes ? 'ok' : 'warn', title, yes && kind === 'request' ? 'You may publish your stream now.' : '', { action: goLiveAction });
    },
  );
  if (ok) log('info', `${api} ${dest}`);
}

function endJoinLive() {
  const dest = target();
  if (!dest) return;
  const name = targetName();
  sdk('endJoinLive', dest, () => toast('info', `Ended ${name}'s co-hosting`), (err) => showError(`Could not end ${name}'s co-hosting`, err));
}

/** An incoming join-live request or invitation: a prompt with Accept / Decline (respondJoinLive). */
function joinLivePrompt(kind, requestId, fromId, fromNick) {
  const name = fromNick || fromId;
  const title = kind === 'request' ? `${name} asks to join live` : `${name} invites you to join live`;
  const sub = kind === 'request' ? 'Accepting lets them co-host: they can publish their stream into the room.' : 'Accepting starts publishing your camera into the room.';
  log('info', `${title} (request ${requestId})`);
  const entry = feed(kind === 'request' ? 'Join-live request' : 'Join-live invitation', title, { from: who(fromId, fromNick) });
  const answer = (yes) => {
    const ok = sdk(
      'respondJoinLive',
      requestId,
      yes,
      () => {
        log('ok', `answered ${name}: ${yes ? 'accepted' : 'declined'}`);
        toast(yes ? 'ok' : 'info', yes ? `You accepted ${name}` : `You declined ${name}`);
        if (yes && kind === 'invite' && !S.publishing) goLive();
      },
      (err) => showError(`Could not answer ${name}`, err),
    );
    if (ok) {
      card.remove();
      entry.append(h('div', { class: 'muted small', text: yes ? 'You accepted.' : 'You declined.' }));
    }
  };
  const card = h('div', { class: 'prompt', role: 'alertdialog', dataset: { requestId, kind } },
    h('span', { class: 'avatar', text: initial(name) }),
    h('div', { class: 'txt' }, h('b', { text: title }), h('span', { text: sub })),
    h('div', { class: 'btns' },
      h('button', { class: 'btn btn-ghost', text: 'Decline', onclick: () => answer(false) }),
      h('button', { class: 'btn btn-ok', text: 'Accept', onclick: () => answer(true) }),
    ),
  );
  $('prompts').append(card);
}

function sendCommand(e) {
  e.preventDefault();
  const dest = target();
  const raw = $('cmd-input').value.trim();
  if (!dest) return showError('No recipient', 'Choose a member under “To member”.');
  if (!raw) return;
  let content = raw;
  if (raw.startsWith('{')) {
    try {
      content = JSON.parse(raw);
    } catch {
      content = raw;
    }
  }
  const name = targetName();
  const ok = sdk(
    'sendCustomCommand',
    [dest],
    content,
    () => {
      log('ok', `custom command delivered to ${dest}`);
      toast('ok', `Command sent to ${name}`);
    },
    (err) => showError(`Command to ${name} failed`, err),
  );
  if (ok) $('cmd-input').value = '';
}

function sendReliable(e) {
  e.preventDefault();
  const type = $('rel-type').value.trim();
  const data = $('rel-data').value;
  if (!type) return showError('Reliable message', 'Enter a message type.');
  const ok = sdk('sendReliableMessage', type, data, (seq) => toast('ok', 'Reliable message sent', `type “${type}”, seq ${seq}`), (err) => showError('Reliable message failed', err));
  if (ok) $('rel-data').value = '';
}

function sendRelay(e) {
  e.preventDefault();
  const type = $('relay-type').value.trim();
  const data = $('relay-data').value;
  if (!type) return showError('Relay message', 'Enter a message type.');
  const ok = sdk(
    'sendRelayMessage',
    type,
    data,
    (seq, result) => {
      feed('Relay answer', String(result ?? ''), { from: `business server, seq ${seq}` });
      toast('ok', 'Relayed to the business server', result ? `Answer: ${result}` : '');
    },
    (err) => showError('Relay message failed', err),
  );
  if (ok) $('relay-data').value = '';
}

// ------------------------------------------------------------------ streams grid

function tileFor(info) {
  const id = info.stream_id;
  const nick = info.anchor_nick_name || info.anchor_id_name || 'Someone';
  const video = h('video', { autoplay: true, playsinline: true });
  const tile = h('article', { class: 'tile tile-remote', dataset: { stream: id, user: info.anchor_id_name || '', state: 'idle' } },
    video,
    h('div', { class: 'tile-placeholder hidden' },
      h('div', { class: 'avatar avatar-lg', text: initial(nick) }),
      h('p', { class: 'ph-text', text: 'Camera is off' }),
      h('button', { class: 'btn btn-secondary btn-sm ph-play hidden', text: 'Play stream', onclick: () => play(id) }),
    ),
    h('div', { class: 'state' }),
    h('div', { class: 'tile-top' },
      h('span', { class: 'tile-name' }, nick, h('small', { text: id })),
      h('span', { class: 'tile-icons' }),
      h('span', { class: 'tile-actions' },
        h('button', { class: 'act-flv', text: 'FLV', title: 'Watch over HTTP-FLV, the live-CDN path (mpegts.js)', onclick: () => openFlv(id) }),
        h('button', { class: 'act-mute', text: 'Mute', title: 'Mute this stream here', onclick: () => toggleMute(id) }),
        h('button', { class: 'act-play', text: 'Stop', title: 'Stop / start playing', onclick: () => (S.streams.get(id)?.playing ? stopPlay(id) : play(id)) }),
      ),
    ),
    h('div', { class: 'tile-extra', text: info.extra_info || '' }),
    h('div', { class: 'tile-bottom' }, h('span', { class: 'stats' })),
  );
  return { tile, video };
}

function addStream(info) {
  const id = info.stream_id;
  if (S.streams.has(id)) return;
  const { tile, video } = tileFor(info);
  const s = { info, tile, video, playing: false, camera: 0, mic: 0, muted: false };
  S.streams.set(id, s);
  $('grid').append(tile);
  renderTile(id);
  if ($('play-auto').checked) play(id);
}

function removeStream(id, { quiet } = {}) {
  const s = S.streams.get(id);
  if (!s) return;
  if (s.playing && !quiet) quietly(() => S.zg.stopPlayingStream(id));
  s.tile.remove();
  S.streams.delete(id);
  if (FLV.id === id) {
    stopFlvPlayer();
    setFlvState('The stream ended');
  }
}

function play(id) {
  const s = S.streams.get(id);
  if (!s || s.playing) return;
  const speaker = $('dev-speaker').value || undefined;
  const ok = sdk('startPlayingStream', id, s.video, speaker);
  if (ok) {
    s.playing = true;
    s.tile.dataset.state = 'connecting';
    s.stats = '';
  }
  renderTile(id);
}

function stopPlay(id) {
  const s = S.streams.get(id);
  if (!s || !s.playing) return;
  sdk('stopPlayingStream', id);
  s.playing = false;
  s.tile.dataset.state = 'idle';
  s.stats = '';
  renderTile(id);
}

function toggleMute(id) {
  const s = S.streams.get(id);
  if (!s) return;
  s.video.muted = !s.video.muted;
  if (!s.video.muted && s.video.paused) s.video.play().catch(() => undefined);
  renderTile(id);
}

const STATE_TEXT = { connecting: 'Connecting…', retry: 'Reconnecting…', error: 'Playback failed', idle: '' };

function renderTile(id) {
  const s = S.streams.get(id);
  if (!s) return;
  const t = s.tile;
  const state = t.dataset.state;
  t.dataset.camera = s.camera === 0 ? 'on' : 'off';
  const ph = t.querySelector('.tile-placeholder');
  const notPlaying = !s.playing;
  ph.classList.toggle('hidden', !(notPlaying || s.camera !== 0));
  t.querySelector('.ph-text').textContent = notPlaying ? 'Not playing' : 'Camera is off';
  t.querySelector('.ph-play').classList.toggle('hidden', !notPlaying);
  t.querySelector('.state').textContent = s.playing ? STATE_TEXT[state] || '' : '';
  t.querySelector('.stats').textContent = s.playing ? s.stats || '' : '';
  t.querySelector('.act-play').textContent = s.playing ? 'Stop' : 'Play';
  t.querySelector('.act-mute').textContent = s.video.muted ? 'Unmute' : 'Mute';
  t.querySelector('.act-mute').classList.toggle('hidden', !s.playing);
  t.querySelector('.act-flv').classList.toggle('hidden', !liveUrls(id).flv);
  const icons = t.querySelector('.tile-icons');
  icons.textContent = '';
  if (s.camera !== 0) icons.append(icon('camOff', 'Camera off'));
  if (s.mic !== 0) icons.append(icon('micOff', 'Microphone off'));
  t.querySelector('.tile-extra').textContent = s.info.extra_info || '';
}

function renderGrid() {
  const n = [...$('grid').children].filter((c) => !c.classList.contains('hidden')).length;
  $('grid').dataset.count = String(n);
  const hint = $('hint-text');
  hint.textContent = '';
  const narrow = window.matchMedia('(max-width: 860px)').matches;
  if (S.phase !== 'in') {
    hint.append(h('strong', { text: 'Welcome! ' }), `Join a room ${narrow ? 'above' : 'on the right'}, then press Go live. To watch yourself, open this page in a second tab and join the same room.`);
  } else if (S.streams.size === 0) {
    hint.append(h('strong', { text: 'No one else is streaming yet. ' }), 'Share the invite link, or open it in another tab: streams in the room appear here.');
  }
  $('grid-empty').classList.toggle('hidden', hint.textContent === '');
  $('ri-streams').textContent = String(S.streams.size);
  renderMix();
}

function fmtStats(q, extra) {
  const parts = [];
  const kbps = (Number(q.videoBitrate) || 0) + (Number(q.audioBitrate) || 0);
  parts.push(kbps >= 1000 ? `${(kbps / 1000).toFixed(2)} Mbps` : `${Math.round(kbps)} kbps`);
  parts.push(`${Math.round(Number(q.videoFPS) || 0)} fps`);
  if (q.frameWidth && q.frameHeight) parts.push(`${q.frameWidth}×${q.frameHeight}`);
  else if (extra && extra.w) parts.push(`${extra.w}×${extra.h}`);
  if (q.currentRoundTripTime !== undefined) parts.push(`RTT ${Math.round(Number(q.currentRoundTripTime) || 0)} ms`);
  return parts.join(' · ');
}

// ------------------------------------------------------------------ HTTP-FLV view (the live-CDN path)

// The server gives every stream HTTP-FLV and HLS URLs (the stream list's urls_flv / urls_hls). The FLV view plays one
// with mpegts.js (embedded from the SDK's npm devDependency, see web/vendor/README.md), loaded the first time it is needed.
const FLV = { id: null, open: 0, player: null, timer: null, last: null, media: null, loading: null };

/** The stream's URLs for this page: FLV as filterStreamList picks it (FLV outside Safari), and HLS. */
function liveUrls(id) {
  const s = S.streams.get(id);
  const info = (s && s.info) || {};
  const pick = (list) => list.find((u) => u.startsWith(`${location.protocol}//`)) || list[0] || '';
  const playable = S.zg ? S.zg.filterStreamList(id) : [];
  const flv = (Array.isArray(playable) && playable.find((u) => /\.flv(\?|$)/.test(u))) || pick([...(info.urls_flv || []), ...(info.urls_https_flv || [])]);
  const hls = pick([...(info.urls_hls || []), ...(info.urls_https_hls || [])]);
  return { flv, hls };
}

function loadMpegts() {
  if (window.mpegts) return Promise.resolve(window.mpegts);
  if (!FLV.loading) {
    FLV.loading = new Promise((resolve, reject) => {
      const fail = () => {
        FLV.loading = null;
        reject(new Error('GET /console/mpegts.min.js failed'));
      };
      const ok = () => (window.mpegts ? resolve(window.mpegts) : fail());
      document.head.append(h('script', { src: '/console/mpegts.min.js', onload: ok, onerror: fail }));
    });
  }
  return FLV.loading;
}

function setFlvState(text) {
  $('flv-state').textContent = text;
}

function flvError(type, detail, info) {
  const code = info && info.code;
  if (type === 'NetworkError' && code === 404) return 'The server answered 404: the stream is not being published';
  if (type === 'NetworkError' && code === 503) return 'The server answered 503: too many live outputs';
  return `${type}: ${detail}${info && info.msg ? ` (${info.msg})` : ''}`;
}

async function openFlv(id) {
  const s = S.streams.get(id);
  if (!s) return;
  closeFlv();
  const { flv, hls } = liveUrls(id);
  if (!flv) return toast('warn', 'No HTTP-FLV URL for this stream', 'The server has its live outputs off.');
  FLV.id = id;
  const mine = ++FLV.open;
  const nick = s.info.anchor_nick_name || s.info.anchor_id_name || 'Someone';
  $('flv-title').replaceChildren(nick, h('small', { class: 'muted', text: ` · ${id}` }));
  $('flv-kind').textContent = 'HTTP-FLV';
  $('flv-url').value = flv;
  $('hls-url').value = hls;
  $('hls-row').classList.toggle('hidden', !hls);
  $('flv-stats').textContent = '';
  for (const b of ['flv-copy', 'hls-copy']) $(b).textContent = 'Copy';
  const video = $('flv-video');
  video.muted = true;
  $('flv-mute').textContent = 'Unmute';
  setFlvState('Connecting…');
  $('flv-dialog').showModal();
  log('info', `HTTP-FLV view of ${id}: ${flv}`);
  let mpegts;
  try {
    mpegts = await loadMpegts();
  } catch (e) {
    if (FLV.open === mine && FLV.id === id) setFlvState(`Could not load the player: ${e.message}`);
    log('error', `HTTP-FLV: ${e.message}`);
    return;
  }
  if (FLV.open !== mine || FLV.id !== id) return; // closed, or another view opened meanwhile
  if (!mpegts.isSupported()) {
    // No Media Source Extensions (iPhone Safari): HLS plays natively there.
    if (hls && video.canPlayType('application/vnd.apple.mpegurl')) {
      $('flv-kind').textContent = 'HLS';
      video.src = hls;
      video.play().catch(() => undefined);
      FLV.timer = setInterval(renderFlvStats, 1000);
    } else {
      setFlvState('This browser cannot play FLV (no Media Source Extensions): copy a URL into a player');
    }
    return;
  }
  const player = mpegts.createPlayer(
    { type: 'flv', isLive: true, url: flv },
    { enableWorker: false, lazyLoad: false, liveBufferLatencyChasing: true, liveBufferLatencyMaxLatency: 3, liveBufferLatencyMinRemain: 0.5 },
  );
  player.on(mpegts.Events.ERROR, (type, detail, info) => {
    const text = flvError(type, detail, info);
    setFlvState(text);
    log('error', `HTTP-FLV ${id}: ${text}`);
    stopFlvPlayer();
  });
  player.on(mpegts.Events.LOADING_COMPLETE, () => {
    setFlvState('The stream ended');
    log('info', `HTTP-FLV ${id}: the stream ended`);
  });
  player.on(mpegts.Events.MEDIA_INFO, (mi) => (FLV.media = mi));
  player.attachMediaElement(video);
  player.load();
  const started = player.play();
  if (started && started.catch) started.catch(() => undefined);
  FLV.player = player;
  FLV.last = null;
  FLV.timer = setInterval(renderFlvStats, 1000);
}

const codecName = (c) => (!c ? '' : /^avc1/.test(c) ? 'H.264' : /^mp4a/.test(c) ? 'AAC' : c);

function renderFlvStats() {
  const v = $('flv-video');
  if (v.videoWidth > 0 && $('flv-state').textContent === 'Connecting…') setFlvState('');
  const q = v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality() : { totalVideoFrames: 0 };
  const now = { at: performance.now(), frames: q.totalVideoFrames };
  const parts = [];
  if (v.videoWidth) parts.push(`${v.videoWidth}×${v.videoHeight}`);
  if (FLV.last) parts.push(`${Math.round(((now.frames - FLV.last.frames) * 1000) / (now.at - FLV.last.at))} fps`);
  if (v.buffered.length) parts.push(`${Math.max(0, v.buffered.end(v.buffered.length - 1) - v.currentTime).toFixed(1)} s buffered`);
  const mi = FLV.media;
  if (mi) parts.push([codecName(mi.videoCodec), codecName(mi.audioCodec)].filter(Boolean).join(' + '));
  FLV.last = now;
  $('flv-stats').textContent = v.videoWidth ? parts.join(' · ') : '';
}

function stopFlvPlayer() {
  clearInterval(FLV.timer);
  FLV.timer = null;
  const p = FLV.player;
  FLV.player = null;
  FLV.media = null;
  if (p) {
    try {
      p.pause();
      p.unload();
      p.detachMediaElement();
      p.destroy();
    } catch (e) {
      log('warn', `HTTP-FLV: stopping the player: ${e.message}`);
    }
  }
  const v = $('flv-video');
  if (v.getAttribute('src') !== null) {
    v.removeAttribute('src');
    v.load();
  }
}

function closeFlv() {
  if (FLV.id === null) return;
  FLV.id = null;
  stopFlvPlayer();
  if ($('flv-dialog').open) $('flv-dialog').close();
}

async function copyField(inputId, buttonId) {
  const text = $(inputId).value;
  let ok = true;
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    $(inputId).select();
    ok = document.execCommand('copy');
  }
  $(buttonId).textContent = ok ? 'Copied' : 'Select and copy';
  setTimeout(() => ($(buttonId).textContent = 'Copy'), 2000);
}

// ------------------------------------------------------------------ stream mixing (reference §1.31, §1.32)

// The server composes streams of the room into one output stream, `mix-<room>`, published in the room as this user's
// stream: other pages get it in onStreamUpdated and play it like any stream (this page's SDK filters its own streams
// out). Calling updateMixStream again changes the inputs and layout of the running mix.
const MIX_SIZES = { '640x360': [640, 360, 15, 800000], '1280x720': [1280, 720, 20, 1500000] };
const mixOutputId = () => `mix-${S.room}`;

/** What can be mixed: this user's live streams (camera, screen), then the other streams of the room. */
function mixCandidates() {
  const out = [];
  const me = S.me.nickName || S.me.idName;
  if (S.publishing && S.publishState === 'live') out.push({ id: S.publishing, who: `${me} (you)` });
  if (S.screen && S.screen.state === 'live') out.push({ id: S.screen.id, who: `${me}'s screen (you)` });
  for (const [id, s] of S.streams) {
    if (id !== mixOutputId()) out.push({ id, who: s.info.anchor_nick_name || s.info.anchor_id_name || 'Someone' });
  }
  return out;
}

/** A grid of n cells over w×h, row by row: as many columns as rows, or one more. */
function gridRects(n, w, hgt) {
  const cols = Math.ceil(Math.sqrt(n));
  const rows = Math.ceil(n / cols);
  const cw = Math.floor(w / cols);
  const ch = Math.floor(hgt / rows);
  return Array.from({ length: n }, (_, i) => {
    const left = (i % cols) * cw;
    const top = Math.floor(i / cols) * ch;
    return { left, top, right: left + cw, bottom: top + ch };
  });
}

function startMix() {
  if (S.phase !== 'in' || (S.mix && S.mix.busy)) return;
  const inputs = mixCandidates().filter((c) => !S.mixOff.has(c.id));
  if (inputs.length === 0) return showError('Nothing to mix', 'Check at least one stream: go live, or wait for others to.');
  const running = !!(S.mix && S.mix.running);
  // Size, rate and codecs are fixed when a mix starts.
  const size = running ? S.mix.size : $('mix-size').value;
  const [w, hgt, fps, bitrate] = MIX_SIZES[size];
  const rects = gridRects(inputs.length, w, hgt);
  const id = mixOutputId();
  const config = {
    outputStreamId: id,
    outputWidth: w,
    outputHeight: hgt,
    outputFps: fps,
    outputBitrate: bitrate,
    streamList: inputs.map((c, i) => ({ streamId: c.id, ...rects[i] })),
  };
  const room = S.room;
  S.mix = { ...(S.mix || {}), id, size, running, busy: true };
  const ok = sdk(
    'updateMixStream',
    config,
    (outId, info) => {
      if (S.room !== room || S.phase !== 'in') return;
      const urls = info[0] || {};
      S.mix = { id: outId, size, running: true, busy: false, inputs: inputs.map((c) => c.id), flv: (urls.flvUrls || [])[0] || '', hls: (urls.hlsUrls || [])[0] || '' };
      log('ok', `${running ? 'updated' : 'started'} mix ${outId}: ${inputs.map((c) => c.id).join(', ')} (${w}×${hgt})`);
      toast('ok', running ? 'Mix updated' : 'Mixing', `${inputs.length} stream(s) in “${outId}”.${running ? '' : ' Others in the room see it as a stream.'}`);
      renderMix();
    },
    (err, missing) => {
      if (S.mix) S.mix.busy = false;
      if (S.mix && !S.mix.running) S.mix = null;
      showError(running ? 'Updating the mix failed' : 'Mixing failed', err);
      if (missing && missing.length) log('error', `mix inputs not in the room: ${missing.join(', ')}`);
      renderMix();
    },
  );
  if (!ok) S.mix = running ? { ...S.mix, busy: false } : null;
  renderMix();
}

function stopMix() {
  if (!S.mix || !S.mix.running || S.mix.busy) return;
  const id = S.mix.id;
  S.mix.busy = true;
  const done = () => {
    S.mix = null;
    renderMix();
  };
  const ok = sdk(
    'stopMixStream',
    { outputStreamId: id },
    () => {
      log('info', `stopped mix ${id}`);
      toast('info', 'Mix stopped', `“${id}” left the room.`);
      done();
    },
    (err) => {
      // 10000 + 1000000152: someone else in the room stopped it already.
      if (/result=1000010152/.test(String(err && err.msg))) return done();
      S.mix.busy = false;
      showError('Stopping the mix failed', err);
      renderMix();
    },
  );
  if (!ok) S.mix.busy = false;
  renderMix();
}

function renderMix() {
  const m = S.mix;
  const running = !!(m && m.running);
  const busy = !!(m && m.busy);
  const list = $('mix-inputs');
  const candidates = S.phase === 'in' ? mixCandidates() : [];
  const checked = candidates.filter((c) => !S.mixOff.has(c.id));
  const [w, hgt] = MIX_SIZES[running ? m.size : $('mix-size').value];
  const rects = gridRects(Math.max(checked.length, 1), w, hgt);
  list.textContent = '';
  for (const c of candidates) {
    const on = !S.mixOff.has(c.id);
    const k = checked.indexOf(c);
    const box = h('input', { type: 'checkbox', value: c.id });
    box.checked = on;
    box.addEventListener('change', () => {
      if (box.checked) S.mixOff.delete(c.id);
      else S.mixOff.add(c.id);
      renderMix();
    });
    const r = on ? rects[k] : null;
    const live = running && m.inputs && m.inputs.includes(c.id);
    list.append(
      h('li', { dataset: { stream: c.id } },
        h('label', {},
          box,
          h('span', { text: c.who }),
          h('small', { class: 'mono', text: c.id }),
          h('span', { class: 'mix-cell', text: r ? `${live ? '● ' : ''}${r.right - r.left}×${r.bottom - r.top} at ${r.left},${r.top}` : 'not mixed' }),
        ),
      ),
    );
  }
  $('mix-empty').classList.toggle('hidden', candidates.length > 0);
  $('mix-id').textContent = S.phase === 'in' ? mixOutputId() : 'mix-<room>';
  $('mix-size').disabled = running;
  const btn = $('btn-mix');
  btn.disabled = S.phase !== 'in' || busy || checked.length === 0;
  btn.textContent = busy ? 'Working…' : running ? 'Update mix' : 'Mix streams';
  $('btn-mix-stop').classList.toggle('hidden', !running);
  $('btn-mix-stop').disabled = busy;
  $('mix-live').classList.toggle('hidden', !running);
  $('mix-urls').classList.toggle('hidden', !running);
  $('mix-flv').value = running ? m.flv : '';
  $('mix-hls').value = running ? m.hls : '';
}

// ------------------------------------------------------------------ local preview and publishing

function previewOptions() {
  const q = Number($('pub-quality').value);
  const o = {
    audio: $('pub-audio').checked,
    video: $('pub-video').checked,
    videoQuality: q,
    horizontal: q !== 4 && !$('pub-horizontal').checked,
  };
  const cam = $('dev-camera').value;
  const mic = $('dev-mic').value;
  if (cam) o.videoInput = cam;
  if (mic) o.audioInput = mic;
  if (q === 4) {
    o.width = Number($('pub-w').value) || 640;
    o.height = Number($('pub-h').value) || 480;
    o.frameRate = Number($('pub-fps').value) || 15;
    o.bitrate = Number($('pub-kbps').value) || 800;
  }
  return o;
}

/** Starts the local preview; resolves true once it runs. */
function startPreview() {
  if (S.preview) return Promise.resolve(true);
  if (S.previewStarting) return S.previewStarting;
  const opts = previewOptions();
  if (!opts.audio && !opts.video) {
    showError('Nothing to preview', 'Turn on video or audio in the Media tab.');
    return Promise.resolve(false);
  }
  S.previewStarting = new Promise((resolve) => {
    const ok = sdk(
      'startPreview',
      $('local-video'),
      opts,
      () => {
        S.preview = true;
        S.previewStarting = false;
        S.camera = true;
        S.mic = true;
        log('ok', `preview started (quality ${opts.videoQuality}${opts.videoQuality === 4 ? ` ${opts.width}×${opts.height}` : ''})`);
        renderLocal();
        refreshDevices();
        resolve(true);
      },
      (reason) => {
        S.previewStarting = false;
        renderLocal();
        showError('Camera preview failed', reason);
        resolve(false);
      },
    );
    if (!ok) {
      S.previewStarting = false;
      resolve(false);
    }
  });
  renderLocal();
  return S.previewStarting;
}

function stopPreview() {
  if (!S.preview || S.publishing) return;
  sdk('stopPreview', $('local-video'));
  S.preview = false;
  log('info', 'preview stopped');
  renderLocal();
}

async function restartPreview() {
  if (!S.preview || S.publishing) return;
  quietly(() => S.zg.stopPreview($('local-video')));
  S.preview = false;
  await startPreview();
}

async function goLive() {
  if (S.publishing) return;
  if (S.phase !== 'in') return showError('Not in a room', 'Join a room first, then go live.');
  if (!(await startPreview())) return;
  const id = $('pub-stream').value.trim() || defaultStreamId();
  const codec = document.querySelector('input[name="codec"]:checked').value;
  const extra = $('pub-extra').value;
  const ok = sdk('startPublishingStream', id, $('local-video'), extra, { videoDecodeType: codec });
  if (!ok) return;
  S.publishing = id;
  S.codec = codec;
  S.publishState = 'connecting';
  S.localStats = '';
  log('info', `publishing ${id} (${codec})`);
  renderLocal();
  renderPeople();
}

function stopLive() {
  if (!S.publishing) return;
  const id = S.publishing;
  sdk('stopPublishingStream', id);
  S.publishing = null;
  S.publishState = 'idle';
  S.preview = false; // stopPublishingStream also stops the preview (reference §1.14)
  S.localStats = '';
  log('info', `stopped publishing ${id}`);
  toast('info', 'You are no longer live');
  renderLocal();
  renderPeople();
}

// ------------------------------------------------------------------ screen sharing (reference §4.3.3, §4.4)

/** Shares the screen as a second stream `<stream id>-screen`: capture, preview, publish. */
function startShare() {
  if (S.screen) return;
  if (S.phase !== 'in') return showError('Not in a room', 'Join a room first, then share your screen.');
  const codec = document.querySelector('input[name="codec"]:checked').value;
  const id = `${$('pub-stream').value.trim() || defaultStreamId()}-screen`;
  sdk('startScreenSharing', { frameRate: 15 }, false, (ok, streamOrReason) => {
    if (!ok) return showError('Screen sharing failed', streamOrReason);
    const stream = streamOrReason;
    const v = $('screen-video');
    const st = stream.getVideoTracks()[0]?.getSettings() || {};
    const opts = { externalMediaStream: stream, audio: false, video: true, videoQuality: 4, width: st.width || 1280, height: st.height || 720, frameRate: 15, bitrate: 1500 };
    const started = sdk('startPreview', v, opts, () => {
      if (!sdk('startPublishingStream', id, v, '', { videoDecodeType: codec })) {
        quietly(() => S.zg.stopPreview(v));
        stream.getTracks().forEach((t) => t.stop());
        return;
      }
      S.screen = { id, stream, state: 'connecting', stats: '' };
      log('info', `sharing the screen as ${id} (${st.width || '?'}×${st.height || '?'})`);
      renderScreen();
    }, (reason) => {
      stream.getTracks().forEach((t) => t.stop());
      showError('Screen sharing failed', reason);
    });
    if (!started) stream.getTracks().forEach((t) => t.stop());
  });
}

function stopShare(why) {
  if (!S.screen) return;
  const { id, stream } = S.screen;
  S.screen = null;
  quietly(() => S.zg.stopPublishingStream(id));
  quietly(() => S.zg.stopPreview($('screen-video')));
  stream.getTracks().forEach((t) => t.stop());
  $('screen-video').srcObject = null;
  log('info', `stopped sharing the screen (${why})`);
  renderScreen();
}

function renderScreen() {
  const sc = S.screen;
  $('tile-screen').classList.toggle('hidden', !sc);
  if (sc) {
    $('tile-screen').dataset.state = sc.state === 'live' ? 'live' : 'connecting';
    $('screen-live').textContent = sc.state === 'live' ? 'LIVE' : sc.state === 'retry' ? 'RECONNECTING' : 'CONNECTING';
    const name = $('screen-name');
    name.textContent = 'Your screen';
    name.append(h('small', { text: sc.id }));
    $('screen-stats').textContent = sc.stats;
  }
  const b = $('btn-screen');
  b.disabled = S.phase !== 'in';
  b.classList.toggle('active', !!sc);
  $('btn-screen-label').textContent = sc ? 'Stop sharing' : 'Share screen';
  renderGrid();
}

function toggleCamera() {
  if (!S.preview) return;
  if (sdk('enableCamera', $('local-video'), !S.camera)) S.camera = !S.camera;
  renderLocal();
}

function toggleMic() {
  if (!S.preview) return;
  if (sdk('enableMicrophone', $('local-video'), !S.mic)) S.mic = !S.mic;
  renderLocal();
}

function updateExtraInfo() {
  const extra = $('pub-extra').value;
  if (!S.publishing) {
    toast('info', 'Saved for your next stream', 'The extra info is sent when you go live.');
    return;
  }
  if (sdk('updateStreamExtraInfo', S.publishing, extra)) {
    toast('ok', 'Stream info updated', extra || '(empty)');
    log('info', `extra info of ${S.publishing}: ${extra}`);
  }
}

function renderLocal() {
  const t = $('tile-local');
  const live = S.publishing !== null;
  t.dataset.state = live ? (S.publishState === 'live' ? 'live' : 'connecting') : S.preview ? 'preview' : 'idle';
  const showVideo = S.preview && S.camera && $('pub-video').checked;
  $('local-placeholder').classList.toggle('hidden', showVideo);
  $('local-avatar').textContent = initial(S.me.nickName || $('in-nick').value || $('in-user').value);
  $('local-hint').textContent = S.previewStarting ? 'Starting camera…' : S.preview ? 'Camera is off' : 'Your camera is off';
  $('btn-preview-inline').classList.toggle('hidden', S.preview || !!S.previewStarting);
  const name = S.me.nickName || $('in-nick').value.trim() || $('in-user').value.trim() || 'You';
  const nameEl = $('local-name');
  nameEl.textContent = `${name} (you)`;
  if (live) nameEl.append(h('small', { text: `${S.publishing} · ${S.codec === 'H264' ? 'H.264' : 'VP8'}` }));
  $('local-live').classList.toggle('hidden', !live);
  $('local-live').textContent = S.publishState === 'live' ? 'LIVE' : S.publishState === 'retry' ? 'RECONNECTING' : live ? 'CONNECTING' : 'LIVE';
  const icons = $('local-icons');
  icons.textContent = '';
  if (S.preview && !S.camera) icons.append(icon('camOff', 'Your camera is off'));
  if (S.preview && !S.mic) icons.append(icon('micOff', 'Your microphone is off'));
  $('local-stats').textContent = live ? S.localStats || '' : '';
  renderDock();
  renderMix();
}

function renderDock() {
  const cam = $('btn-camera');
  const mic = $('btn-mic');
  cam.disabled = !S.preview;
  mic.disabled = !S.preview;
  cam.setAttribute('aria-pressed', String(!S.preview || S.camera));
  mic.setAttribute('aria-pressed', String(!S.preview || S.mic));
  const pv = $('btn-preview');
  pv.disabled = !!S.previewStarting;
  pv.classList.toggle('hidden', S.publishing !== null);
  pv.classList.toggle('active', S.preview);
  $('btn-preview-label').textContent = S.preview ? 'Stop preview' : 'Preview';
  $('btn-screen').disabled = S.phase !== 'in';
  const pub = $('btn-publish');
  pub.disabled = S.phase !== 'in';
  pub.classList.toggle('is-live', S.publishing !== null);
  $('btn-publish-label').textContent = S.publishing ? 'Stop live' : 'Go live';
  pub.title = S.phase !== 'in' ? 'Join a room to go live' : S.publishing ? 'Stop publishing (stopPublishingStream)' : 'Publish your camera to the room (startPublishingStream)';
}

// ------------------------------------------------------------------ devices and browser support

function fillSelect(sel, devices, defaultLabel) {
  const keep = sel.value;
  sel.textContent = '';
  sel.append(h('option', { value: '', text: defaultLabel }));
  devices.forEach((d, i) => sel.append(h('option', { value: d.deviceId, text: d.label || `Device ${i + 1}` })));
  if ([...sel.options].some((o) => o.value === keep)) sel.value = keep;
}

function refreshDevices() {
  S.zg.enumDevices(
    (info) => {
      fillSelect($('dev-camera'), info.cameras || [], 'Default camera');
      fillSelect($('dev-mic'), info.microphones || [], 'Default microphone');
      fillSelect($('dev-speaker'), info.speakers || [], 'Default speaker');
    },
    (err) => log('warn', `enumDevices: ${describe(err)}`),
  );
}

function onCameraChange() {
  if (!S.preview || !$('dev-camera').value) return;
  sdk('switchDevice', 'video', $('local-video'), $('dev-camera').value, () => toast('ok', 'Camera switched'), (err) => showError('Could not switch the camera', err));
}

function onMicChange() {
  if (!S.preview || !$('dev-mic').value) return;
  sdk('switchDevice', 'audio', $('local-video'), $('dev-mic').value, () => toast('ok', 'Microphone switched'), (err) => showError('Could not switch the microphone', err));
}

function onSpeakerChange() {
  const out = $('dev-speaker').value;
  for (const [id, s] of S.streams) if (s.playing && out) sdk('setPlayAudioOutput', id, out);
}

function onQualityChange() {
  $('pub-custom').classList.toggle('hidden', $('pub-quality').value !== '4');
  if (S.publishing) toast('info', 'Applies next time you go live', 'The quality of a running stream does not change.');
  else restartPreview();
}

function detectSupport() {
  const list = $('support-list');
  const render = (r) => {
    list.textContent = '';
    const items = [
      ['WebRTC', r.webRtc],
      ['Camera/mic', r.capture],
      ['VP8', r.videoDecodeType && r.videoDecodeType.VP8],
      ['H.264', r.videoDecodeType && r.videoDecodeType.H264],
      ['Screen sharing', r.screenSharing],
    ];
    for (const [name, yes] of items) list.append(h('li', { class: yes ? 'yes' : 'no', text: name }));
    const h264 = document.querySelector('input[name="codec"][value="H264"]');
    if (r.videoDecodeType && r.videoDecodeType.H264 === false) {
      h264.disabled = true;
      h264.parentElement.title = 'This browser cannot encode H.264';
    }
    if (!r.webRtc) toast('warn', 'This browser has no WebRTC', 'You can chat and signal, but not publish or play streams.');
  };
  try {
    ZegoClient.supportDetection(render, () => render({ webRtc: ZegoClient.isSupportWebrtc() }));
  } catch {
    render({ webRtc: ZegoClient.isSupportWebrtc() });
  }
}

// ------------------------------------------------------------------ SDK callbacks

function wireCallbacks(zg) {
  zg.onDisconnect = (err) => {
    log('error', `disconnected: ${describe(err)}`);
    resetRoom();
    setStatus('error', 'Disconnected');
    toast('error', 'Disconnected from the room', describe(err), { action: { label: 'Join again', run: () => $('login-form').requestSubmit() } });
  };
  zg.onKickOut = (err) => {
    const reason = /reason=1\b/.test(String(err && err.msg)) ? 'Someone logged in with the same user ID elsewhere.' : describe(err);
    log('error', `signed out by the server: ${describe(err)}`);
    resetRoom();
    setStatus('error', 'Signed out');
    toast('error', 'You were signed out', reason);
  };
  zg.onGetAnchorInfo = (idName, nickName) => {
    S.anchor = { idName, nickName };
    renderOnline();
    renderSignalTargets();
  };
  zg.onUpdateOnlineCount = (roomId, count) => {
    S.online = count;
    renderOnline();
  };
  zg.onGetTotalUserList = (roomId, list) => {
    S.users.clear();
    for (const u of list) upsertUser(u);
    if (S.me.idName && !S.users.has(S.me.idName)) S.users.set(S.me.idName, { ...S.me });
    renderPeople();
    renderSignalTargets();
    renderOnline();
  };
  zg.onUserStateUpdate = (roomId, list) => {
    for (const u of list) {
      if (u.action === 1) {
        // The online count comes with heartbeats; follow joins and leaves in between.
        if (!S.users.has(u.idName)) S.online = Math.max(S.online + 1, S.users.size + 1);
        upsertUser(u);
        if (u.idName !== S.me.idName) log('info', `${who(u.idName, u.nickName)} joined`);
      } else if (u.action === 2) {
        if (S.users.delete(u.idName)) S.online = Math.max(S.online - 1, S.users.size);
        log('info', `${who(u.idName, u.nickName)} left`);
      }
    }
    renderPeople();
    renderSignalTargets();
    renderOnline();
  };
  zg.onStreamUpdated = (type, list) => {
    for (const info of list) {
      if (type === 0) {
        log('info', `stream ${info.stream_id} of ${who(info.anchor_id_name, info.anchor_nick_name)} started`);
        addStream(info);
      } else {
        log('info', `stream ${info.stream_id} ended`);
        removeStream(info.stream_id);
      }
    }
    renderGrid();
    renderPeople();
    renderOnline();
  };
  zg.onStreamExtraInfoUpdated = (list) => {
    for (const info of list) {
      const s = S.streams.get(info.stream_id);
      if (s) {
        s.info = { ...s.info, extra_info: info.extra_info };
        renderTile(info.stream_id);
      }
      log('info', `extra info of ${info.stream_id}: ${info.extra_info}`);
      feed('Stream info', info.extra_info, { from: `${who(info.anchor_id_name, info.anchor_nick_name)} · ${info.stream_id}` });
    }
  };
  zg.onRecvRoomMsg = (chatData) => {
    for (const m of chatData || []) {
      if (m.id_name === S.me.idName) continue;
      appendChat({ idName: m.id_name, nickName: m.nick_name || m.id_name, text: m.msg_content, time: m.send_time, kind: 'room' });
    }
  };
  zg.onRecvBigRoomMessage = (list) => {
    for (const m of list || []) appendChat({ idName: m.idName, nickName: m.nickName || m.idName, text: m.content, time: m.time, kind: 'big' });
  };
  zg.onRecvCustomCommand = (fromId, fromNick, content) => {
    const text = typeof content === 'string' ? content : JSON.stringify(content);
    log('info', `command from ${fromId}: ${text}`);
    feed('Custom command', text, { from: who(fromId, fromNick) }).dataset.kind = 'command';
    toast('info', `Command from ${fromNick || fromId}`, text);
  };
  zg.onRecvReliableMessage = (type, seq, data) => {
    log('info', `reliable message ${type} #${seq}: ${data}`);
    feed(`Reliable message · ${type}`, data, { from: `seq ${seq}` });
  };
  zg.onRecvJoinLiveRequest = (requestId, fromId, fromNick) => joinLivePrompt('request', requestId, fromId, fromNick);
  zg.onRecvInviteJoinLiveRequest = (requestId, fromId, fromNick) => joinLivePrompt('invite', requestId, fromId, fromNick);
  zg.onRecvEndJoinLiveCommand = (requestId, fromId, fromNick) => {
    const name = fromNick || fromId;
    log('warn', `${name} ended your co-hosting`);
    feed('Join-live ended', `${name} ended your co-hosting`, { from: who(fromId, fromNick) });
    toast('warn', `${name} ended your co-hosting`, S.publishing ? 'Your stream was stopped.' : '');
    if (S.publishing) stopLive();
  };
  zg.onPublishStateUpdate = (type, streamId, err) => {
    if (S.screen && streamId === S.screen.id) {
      if (type === 0) toast('ok', 'Your screen is live', `Stream “${streamId}” is in the room.`);
      else if (type === 1) showError('Screen sharing failed', err);
      if (type === 1) stopShare('publishing failed');
      else S.screen.state = type === 0 ? 'live' : 'retry';
      return renderScreen();
    }
    if (streamId !== S.publishing) return;
    if (type === 0) {
      S.publishState = 'live';
      log('ok', `live: ${streamId}`);
      toast('ok', 'You are live', `Stream “${streamId}” is in the room.`);
    } else if (type === 2) {
      S.publishState = 'retry';
      log('warn', `publishing ${streamId}: reconnecting ${err ? describe(err) : ''}`);
    } else {
      S.publishing = null;
      S.publishState = 'idle';
      S.preview = false;
      showError('Publishing failed', err);
      quietly(() => S.zg.stopPreview($('local-video')));
    }
    renderLocal();
    renderPeople();
  };
  zg.onPublishQualityUpdate = (streamId, q) => {
    if (S.screen && streamId === S.screen.id) {
      S.screen.stats = fmtStats(q);
      $('screen-stats').textContent = S.screen.stats;
      return;
    }
    if (streamId !== S.publishing) return;
    S.localStats = fmtStats(q);
    $('local-stats').textContent = S.localStats;
  };
  zg.onPlayStateUpdate = (type, streamId, err) => {
    const s = S.streams.get(streamId);
    if (!s) return;
    if (type === 0) {
      s.tile.dataset.state = 'playing';
      log('ok', `playing ${streamId}`);
      // Autoplay with sound may be blocked without a user gesture: play muted and offer Unmute.
      setTimeout(() => {
        if (s.playing && s.video.paused && s.video.srcObject) {
          s.video.muted = true;
          s.video.play().catch(() => undefined);
          toast('info', 'Sound is muted', `The browser blocked autoplay with sound: press Unmute on ${s.info.anchor_nick_name || streamId}'s video.`);
          renderTile(streamId);
        }
      }, 800);
    } else if (type === 2) {
      s.tile.dataset.state = 'retry';
      log('warn', `playing ${streamId}: reconnecting`);
    } else {
      s.tile.dataset.state = 'error';
      s.playing = false;
      showError(`Cannot play ${s.info.anchor_nick_name || streamId}'s stream`, err);
    }
    renderTile(streamId);
  };
  zg.onPlayQualityUpdate = (streamId, q) => {
    const s = S.streams.get(streamId);
    if (!s || !s.playing) return;
    s.stats = fmtStats(q, s.size);
    s.tile.querySelector('.stats').textContent = s.stats;
  };
  zg.onVideoSizeChanged = (streamId, w, hgt) => {
    const s = S.streams.get(streamId);
    if (s) s.size = { w, h: hgt };
  };
  zg.onRemoteCameraStatusUpdate = (streamId, status) => {
    const s = S.streams.get(streamId);
    if (!s) return;
    s.camera = status;
    log('info', `${streamId}: camera ${status === 0 ? 'on' : 'off'}`);
    renderTile(streamId);
  };
  zg.onRemoteMicStatusUpdate = (streamId, status) => {
    const s = S.streams.get(streamId);
    if (!s) return;
    s.mic = status;
    log('info', `${streamId}: microphone ${status === 0 ? 'on' : 'off'}`);
    renderTile(streamId);
  };
  zg.onScreenSharingEnded = () => {
    if (!S.screen) return log('info', 'screen sharing ended');
    stopShare('the browser ended the share');
    toast('info', 'Screen sharing ended');
  };
}

// ------------------------------------------------------------------ start

function defaults() {
  const q = new URLSearchParams(location.search);
  const rand = Math.random().toString(36).slice(2, 6);
  $('in-room').value = q.get('room') || 'lobby';
  $('in-user').value = q.get('user') || `user-${rand}`;
  $('in-nick').value = q.get('nick') || '';
  $('in-nick').placeholder = $('in-user').value;
  const role = q.get('role');
  if (role === '2' || role === 'audience') document.querySelector('input[name="role"][value="2"]').checked = true;
  $('in-appid').value = q.get('appid') || '1';
  $('in-appid').placeholder = '1';
  $('in-server').value = q.get('server') || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  return q;
}

function bind() {
  for (const t of document.querySelectorAll('.tab')) t.addEventListener('click', () => selectTab(t.dataset.tab));
  $('login-form').addEventListener('submit', join);
  $('btn-leave').addEventListener('click', leave);
  $('btn-leave2').addEventListener('click', leave);
  $('btn-copy-link').addEventListener('click', copyInviteLink);
  $('btn-invite-link').addEventListener('click', copyInviteLink);
  $('in-user').addEventListener('input', () => {
    $('in-nick').placeholder = $('in-user').value;
    renderLocal();
  });
  $('in-nick').addEventListener('input', renderLocal);
  $('chat-form').addEventListener('submit', sendChat);
  $('chat-kind').addEventListener('change', () => {
    $('chat-input').placeholder = $('chat-kind').value === 'big' ? 'Big-room message (batched, for large rooms)' : `Message “${S.room || 'the room'}”`;
  });
  $('cmd-form').addEventListener('submit', sendCommand);
  $('reliable-form').addEventListener('submit', sendReliable);
  $('relay-form').addEventListener('submit', sendRelay);
  $('sig-target').addEventListener('change', renderSignalButtons);
  $('btn-jl-request').addEventListener('click', () => askJoinLive('request'));
  $('btn-jl-invite').addEventListener('click', () => askJoinLive('invite'));
  $('btn-jl-end').addEventListener('click', endJoinLive);
  $('btn-sig-clear').addEventListener('click', () => {
    $('sig-feed').textContent = '';
    $('sig-empty').classList.remove('hidden');
  });
  $('btn-log-clear').addEventListener('click', () => ($('log-list').textContent = ''));
  $('btn-camera').addEventListener('click', toggleCamera);
  $('btn-mic').addEventListener('click', toggleMic);
  $('btn-preview').addEventListener('click', () => (S.preview ? stopPreview() : startPreview()));
  $('btn-preview-inline').addEventListener('click', () => startPreview());
  $('btn-publish').addEventListener('click', () => (S.publishing ? stopLive() : goLive()));
  $('btn-screen').addEventListener('click', () => (S.screen ? stopShare('stopped') : startShare()));
  $('btn-extra').addEventListener('click', updateExtraInfo);
  $('btn-dev-refresh').addEventListener('click', refreshDevices);
  $('flv-close').addEventListener('click', closeFlv);
  $('flv-dialog').addEventListener('close', closeFlv);
  $('flv-mute').addEventListener('click', () => {
    const v = $('flv-video');
    v.muted = !v.muted;
    if (!v.muted && v.paused) v.play().catch(() => undefined);
    $('flv-mute').textContent = v.muted ? 'Unmute' : 'Mute';
  });
  $('flv-copy').addEventListener('click', () => copyField('flv-url', 'flv-copy'));
  $('hls-copy').addEventListener('click', () => copyField('hls-url', 'hls-copy'));
  $('btn-mix').addEventListener('click', startMix);
  $('btn-mix-stop').addEventListener('click', stopMix);
  $('mix-size').addEventListener('change', renderMix);
  $('mix-flv-copy').addEventListener('click', () => copyField('mix-flv', 'mix-flv-copy'));
  $('mix-hls-copy').addEventListener('click', () => copyField('mix-hls', 'mix-hls-copy'));
  for (const id of ['mix-flv', 'mix-hls']) $(id).addEventListener('focus', () => $(id).select());
  for (const id of ['flv-url', 'hls-url']) $(id).addEventListener('focus', () => $(id).select());
  $('dev-camera').addEventListener('change', onCameraChange);
  $('dev-mic').addEventListener('change', onMicChange);
  $('dev-speaker').addEventListener('change', onSpeakerChange);
  $('pub-quality').addEventListener('change', onQualityChange);
  $('pub-horizontal').addEventListener('change', () => restartPreview());
  for (const id of ['pub-video', 'pub-audio']) $(id).addEventListener('change', () => restartPreview());
  $('play-cycle').addEventListener('change', () => sdk('setQualityMonitorCycle', Number($('play-cycle').value)));
  window.addEventListener('resize', renderGrid);
  if (navigator.mediaDevices && 'ondevicechange' in navigator.mediaDevices) navigator.mediaDevices.addEventListener('devicechange', refreshDevices);
}

function fatal(title, text) {
  setStatus('error', 'SDK missing');
  const card = h('div', { class: 'card', role: 'alert' }, h('h2', { text: title }), h('p', { class: 'muted', text }));
  $('grid').replaceWith(card);
  $('btn-join').disabled = true;
  toast('error', title, text, { ms: 60000 });
}

function main() {
  captureSdkConsole();
  const q = defaults();
  bind();
  if (typeof window.ZegoClient !== 'function') {
    fatal('The browser SDK did not load', 'GET /sdk/zego-client.js failed: this server was built without the SDK bundle. Run npm --prefix sdk ci && npm --prefix sdk run build, then rebuild the server (./scripts/dev.sh does both).');
    return;
  }
  const zg = new ZegoClient();
  S.zg = zg;
  window.zg = zg;
  wireCallbacks(zg);
  zg.setQualityMonitorCycle(Number($('play-cycle').value));
  $('sdk-version').textContent = ZegoClient.getCurrentVersion();
  detectSupport();
  refreshDevices();
  renderLocal();
  renderSession();
  log('info', `console ready · SDK ${ZegoClient.getCurrentVersion()} · server ${$('in-server').value}`);
  if (q.get('autojoin') === '1') $('login-form').requestSubmit();
}

main();
