// Liveroom demo console: Session header and room card.

import { $, h, qAll, roleName } from './console-dom.js';
import { toast } from './console-log.js';
import { renderPeople, renderSignalTargets } from './console-people.js';
import { renderDock } from './console-publish.js';
import { S } from './console-state.js';
import { renderGrid } from './console-streams.js';

/** The header pill; `lead` is left out at phone width. */
/**
 * The header pill; `lead` is left out at phone width.
 * @param {'offline' | 'connecting' | 'online' | 'error'} state
 * @param {string} text
 * @param {string} [lead]
 */
export function setStatus(state, text, lead = '') {
  $('status-pill').dataset.state = state;
  const el = $('status-text');
  el.textContent = '';
  if (lead) el.append(h('span', { class: 'hide-phone', text: lead }));
  el.append(text);
  $('status-pill').title = lead + text;
}

export function renderSession() {
  const inRoom = S.phase === 'in';
  document.body.dataset.phase = S.phase;
  $('login-form').classList.toggle('hidden', inRoom);
  $('room-info').classList.toggle('hidden', !inRoom);
  $('btn-leave').classList.toggle('hidden', !inRoom);
  $('btn-invite-link').classList.toggle('hidden', !inRoom);
  $('online-pill').classList.toggle('hidden', !inRoom);
  $('btn-join').disabled = S.phase === 'joining';
  $('btn-join').textContent = S.phase === 'joining' ? 'Joining…' : 'Join room';
  for (const el of qAll(/** @type {HTMLFormElement} */ ($('login-form')), 'input, select')) /** @type {HTMLInputElement} */ (el).disabled = S.phase === 'joining';
  for (const id of /** @type {const} */ (['chat-input', 'chat-send', 'cmd-input', 'cmd-send', 'rel-type', 'rel-data', 'rel-send', 'relay-type', 'relay-data', 'relay-send'])) {
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

export function renderOnline() {
  const n = S.online || S.users.size;
  $('online-count').textContent = String(n);
  $('ri-online').textContent = n ? String(n) : '—';
  $('ri-anchor').textContent = S.anchor ? `${S.anchor.nickName || S.anchor.idName} (${S.anchor.idName})` : '—';
  $('ri-streams').textContent = String(S.streams.size);
}

export function inviteLink() {
  const u = new URL(location.href);
  u.search = '';
  u.hash = '';
  u.searchParams.set('room', S.room);
  return u.toString();
}

export async function copyInviteLink() {
  const link = inviteLink();
  try {
    await navigator.clipboard.writeText(link);
    toast('ok', 'Invite link copied', link);
  } catch {
    toast('info', 'Invite link', link, { ms: 15000 });
  }
}
