/**
 * Join-live (co-hosting) signalling (notes §6): `signal` sub_cmd 1001–1004 out, push_signal 11001–11004 in,
 * a JSON `signal_msg` riding inside. The server only relays; this module keeps the two maps the protocol needs:
 * our requests/invites waiting for a result, and requests received that we may still answer.
 * No client timeout: entries live until answered or the room resets.
 */
import type { Logger } from '../logging/logger';
import { SignalPushCmd, SignalSubCmd, type SignalMsg, type SignalReq } from '../wire/types';
import type { CallUser, Request } from './requester';

export interface JoinLiveDeps {
  request: Request;
  log: Logger;
  call: CallUser;
  selfIdName(): string;
  selfNickName(): string;
  roomId(): string;
  newRequestId(): string;
  emitRequest(requestId: string, fromIdName: string, fromNickName: string, roomId: string): void;
  emitInvite(requestId: string, fromIdName: string, fromNickName: string, roomId: string): void;
  emitEnd(requestId: string, fromIdName: string, fromNickName: string, roomId: string): void;
}

export class JoinLive {
  /** requestId → resultCallback(result, fromUserId, fromUserName) of our request or invite. */
  private awaitingResult = new Map<string, unknown>();
  /** requestId → requester's idName, for requests/invites we received and may answer. */
  private received = new Map<string, string>();

  constructor(private readonly deps: JoinLiveDeps) {}

  get pendingResults(): number {
    return this.awaitingResult.size;
  }

  hasReceived(requestId: string): boolean {
    return this.received.has(requestId);
  }

  request(dest: string, ok: unknown, err: unknown, resultCallback: unknown): number {
    return this.ask(SignalSubCmd.request, 'requestJoinLive', dest, ok, err, resultCallback);
  }

  invite(dest: string, ok: unknown, err: unknown, resultCallback: unknown): number {
    return this.ask(SignalSubCmd.invite, 'inviteJoinLive', dest, ok, err, resultCallback);
  }

  /** Answers a received request/invite; false if that requestId was never received (or already answered). */
  respond(requestId: string, accept: boolean, ok: unknown, err: unknown): boolean {
    const dest = this.received.get(requestId);
    if (dest === undefined) return false;
    this.received.delete(requestId);
    this.signal(SignalSubCmd.result, 'respondJoinLive', requestId, dest, accept ? 1 : 0, ok, err);
    return true;
  }

  end(dest: string, ok: unknown, err: unknown): number {
    return this.signal(SignalSubCmd.stop, 'endJoinLive', this.deps.newRequestId(), dest, undefined, ok, err);
  }

  onPush(subCmd: unknown, signalMsg: unknown): void {
    let msg: SignalMsg;
    try {
      msg = JSON.parse(String(signalMsg)) as SignalMsg;
    } catch {
      this.deps.log.warn('zc.joinlive.push bad signal_msg');
      return;
    }
    if (typeof msg !== 'object' || msg === null || typeof msg.request_id !== 'string' || typeof msg.from_userid !== 'string') {
      this.deps.log.warn('zc.joinlive.push signal_msg without request_id/from_userid');
      return;
    }
    const fromNick = typeof msg.from_username === 'string' ? msg.from_username : '';
    const roomId = typeof msg.room_id === 'string' ? msg.room_id : this.deps.roomId();
    switch (subCmd) {
      case SignalPushCmd.request:
        this.received.set(msg.request_id, msg.from_userid);
        this.deps.emitRequest(msg.request_id, msg.from_userid, fromNick, roomId);
        break;
      case SignalPushCmd.invite:
        this.received.set(msg.request_id, msg.from_userid);
        this.deps.emitInvite(msg.request_id, msg.from_userid, fromNick, roomId);
        break;
      case SignalPushCmd.result: {
        const cb = this.awaitingResult.get(msg.request_id);
        if (cb === undefined) {
          this.deps.log.warn(`zc.joinlive.result unknown request_id=${msg.request_id}`);
          return;
        }
        this.awaitingResult.delete(msg.request_id);
        this.deps.call('joinLive.resultCallback', cb, Number(msg.result) === 1, msg.from_userid, fromNick);
        break;
      }
      case SignalPushCmd.stop:
        this.deps.emitEnd(msg.request_id, msg.from_userid, fromNick, roomId);
        break;
      default:
        this.deps.log.warn(`zc.joinlive.push unknown sub_cmd=${String(subCmd)}`);
    }
  }

  reset(): void {
    this.awaitingResult.clear();
    this.received.clear();
  }

  private ask(subCmd: number, api: string, dest: string, ok: unknown, err: unknown, resultCallback: unknown): number {
    const requestId = this.deps.newRequestId();
    this.awaitingResult.set(requestId, resultCallback);
    return this.signal(subCmd, api, requestId, dest, undefined, ok, err, () => this.awaitingResult.delete(requestId));
  }

  private signal(
    subCmd: number,
    api: string,
    requestId: string,
    dest: string,
    result: number | undefined,
    ok: unknown,
    err: unknown,
    onFail?: () => void,
  ): number {
    const msg: SignalMsg = {
      request_id: requestId,
      room_id: this.deps.roomId(),
      from_userid: this.deps.selfIdName(),
      from_username: this.deps.selfNickName(),
      to_userid: dest,
    };
    if (result !== undefined) msg.result = result;
    return this.deps.request(
      'signal',
      { sub_cmd: subCmd, signal_msg: JSON.stringify(msg), dest_id_name: [dest] } satisfies SignalReq,
      {
        ok: (_body, seq) => this.deps.call(`${api}.success`, ok, seq),
        fail: (e, seq) => {
          if (onFail) onFail();
          this.deps.call(`${api}.error`, err, e, seq);
        },
      },
    );
  }
}
