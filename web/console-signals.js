// Liveroom demo console: Signals (commands, join-live, messages).

import { $, clock, h, initial } from './console-dom.js';
import { log, sdk, showError, toast } from './console-log.js';
import { goLive } from './console-publish.js';
import { S } from './console-state.js';
import { bump } from './console-tabs.js';

/**
 * @param {string} what
 * @param {string} body
 * @param {{ from?: string, actions?: HTMLElement[] }} [options]
 */
export function feed(what, body, { from, actions } = {}) {
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

/**
 * @param {string} idName
 * @param {string} [nick]
 */
export const who = (idName, nick) => (nick && nick !== idName ? `${nick} (${idName})` : idName);
export const target = () => $('sig-target').value;
export const targetName = () => {
  const u = S.users.get(target());
  return u ? u.nickName : target();
};

/** @param {'request' | 'invite'} kind */
export function askJoinLive(kind) {
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

export function endJoinLive() {
  const dest = target();
  if (!dest) return;
  const name = targetName();
  sdk('endJoinLive', dest, () => toast('info', `Ended ${name}'s co-hosting`), (err) => showError(`Could not end ${name}'s co-hosting`, err));
}

/** An incoming join-live request or invitation: a prompt with Accept / Decline (respondJoinLive). */
/**
 * @param {'request' | 'invite'} kind
 * @param {string} requestId
 * @param {string} fromId
 * @param {string} fromNick
 */
export function joinLivePrompt(kind, requestId, fromId, fromNick) {
  const name = fromNick || fromId;
  const title = kind === 'request' ? `${name} asks to join live` : `${name} invites you to join live`;
  const sub = kind === 'request' ? 'Accepting lets them co-host: they can publish their stream into the room.' : 'Accepting starts publishing your camera into the room.';
  log('info', `${title} (request ${requestId})`);
  const entry = feed(kind === 'request' ? 'Join-live request' : 'Join-live invitation', title, { from: who(fromId, fromNick) });
  const answer = (/** @type {boolean} */ yes) => {
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

/** @param {Event} e */
export function sendCommand(e) {
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

/** @param {Event} e */
export function sendReliable(e) {
  e.preventDefault();
  const type = $('rel-type').value.trim();
  const data = $('rel-data').value;
  if (!type) return showError('Reliable message', 'Enter a message type.');
  const ok = sdk('sendReliableMessage', type, data, (seq) => toast('ok', 'Reliable message sent', `type “${type}”, seq ${seq}`), (err) => showError('Reliable message failed', err));
  if (ok) $('rel-data').value = '';
}

/** @param {Event} e */
export function sendRelay(e) {
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
