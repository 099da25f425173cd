// Liveroom demo console: SDK callbacks.

import { $, q } from './console-dom.js';
import { appendChat } from './console-chat.js';
import { describe, log, quietly, showError, toast } from './console-log.js';
import { resetRoom } from './console-login.js';
import { renderPeople, renderSignalTargets, upsertUser } from './console-people.js';
import { renderLocal, stopLive } from './console-publish.js';
import { renderScreen, stopShare } from './console-screen.js';
import { renderOnline, setStatus } from './console-session.js';
import { feed, joinLivePrompt, who } from './console-signals.js';
import { S } from './console-state.js';
import { addStream, fmtStats, removeStream, renderGrid, renderTile } from './console-streams.js';

/** @param {import('./types').ZegoClientInstance} zg */
export function wireCallbacks(zg) {
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
  zg.onUpdateOnlineCount = (_roomId, count) => {
    S.online = count;
    renderOnline();
  };
  zg.onGetTotalUserList = (_roomId, list) => {
    S.users.clear();
    for (const u of list) upsertUser(u);
    if (S.me.idName && !S.users.has(S.me.idName)) S.users.set(S.me.idName, { ...S.me });
    renderPeople();
    renderSignalTargets();
    renderOnline();
  };
  zg.onUserStateUpdate = (_roomId, list) => {
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
  zg.onRecvEndJoinLiveCommand = (_requestId, fromId, fromNick) => {
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
  zg.onPlayQualityUpdate = (streamId, quality) => {
    const s = S.streams.get(streamId);
    if (!s || !s.playing) return;
    s.stats = fmtStats(quality, s.size);
    q(s.tile, '.stats').textContent = s.stats;
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
