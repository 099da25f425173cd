// Liveroom demo console: People.

import { $, h, initial, roleName } from './console-dom.js';
import { S } from './console-state.js';
import { selectTab } from './console-tabs.js';

/** @param {{ idName: string, nickName?: string, role: number }} u */
export function upsertUser(u) {
  S.users.set(u.idName, { idName: u.idName, nickName: u.nickName || u.idName, role: u.role });
}

export function renderPeople() {
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

export function renderSignalTargets() {
  const sel = $('sig-target');
  const keep = sel.value;
  sel.textContent = '';
  const others = [...S.users.values()].filter((u) => u.idName !== S.me.idName);
  if (S.phase !== 'in') sel.append(h('option', { value: '', text: '— join a room first —' }));
  else if (others.length === 0) sel.append(h('option', { value: '', text: '— nobody else is here yet —' }));
  for (const u of others) sel.append(h('option', { value: u.idName, text: `${u.nickName} (${u.idName}) · ${roleName(u.role)}` }));
  if (others.some((u) => u.idName === keep)) sel.value = keep;
  else if (S.anchor && others.some((u) => u.idName === S.anchor?.idName)) sel.value = S.anchor.idName;
  renderSignalButtons();
}

export function renderSignalButtons() {
  const ok = S.phase === 'in' && $('sig-target').value !== '';
  for (const id of /** @type {const} */ (['btn-jl-request', 'btn-jl-invite', 'btn-jl-end'])) $(id).disabled = !ok;
}
