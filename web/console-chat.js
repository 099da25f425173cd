// Liveroom demo console: Chat.

import { $, clock, h, initial } from './console-dom.js';
import { sdk, showError } from './console-log.js';
import { S } from './console-state.js';
import { bump } from './console-tabs.js';

export function scrollChat() {
  const list = $('chat-list');
  list.scrollTop = list.scrollHeight;
}

/**
 * @param {{ idName: string, nickName: string, text: string, time?: number, mine?: boolean, kind: 'room' | 'big' }} message
 */
export function appendChat({ idName, nickName, text, time, mine, kind }) {
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

/** @param {Event} e */
export function sendChat(e) {
  e.preventDefault();
  const input = $('chat-input');
  const text = input.value.trim();
  if (!text) return;
  const big = $('chat-kind').value === 'big';
  const li = appendChat({ idName: S.me.idName, nickName: S.me.nickName, text, mine: true, kind: big ? 'big' : 'room' });
  li.classList.add('pending');
  const done = () => li.classList.remove('pending');
  const failed = (/** @type {unknown} */ err) => {
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
