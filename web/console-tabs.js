// Liveroom demo console: Tabs and badges.

import { $, qAll } from './console-dom.js';
import { scrollChat } from './console-chat.js';
import { S } from './console-state.js';

/** @param {string} name a data-tab of index.html */
export function selectTab(name) {
  S.tab = name;
  for (const t of qAll(document, '.tab')) t.setAttribute('aria-selected', String(t.dataset.tab === name));
  for (const p of qAll(document, '.panel')) p.classList.toggle('hidden', p.dataset.panel !== name);
  if (name in S.unread) {
    S.unread[/** @type {Badge} */ (name)] = 0;
    renderBadge(/** @type {Badge} */ (name));
  }
  if (name === 'chat') scrollChat();
}

/** @typedef {import('./console-state.js').Badge} Badge */

/** @param {Badge} name */
export function bump(name) {
  if (S.tab === name) return;
  S.unread[name]++;
  renderBadge(name);
}

/** @param {Badge} name */
export function renderBadge(name) {
  const b = $(`${name}-badge`);
  b.textContent = String(S.unread[name]);
  b.classList.toggle('hidden', S.unread[name] === 0);
}
