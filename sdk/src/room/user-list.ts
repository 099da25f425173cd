/**
 * Room members (notes §5), active only when setUserStateUpdate(true) preceded the login.
 * - Full list: paged `user_list` from index 0 until `ret_user_index == server_user_index`, then
 *   onGetTotalUserList. One fetch at a time.
 * - Increments: push_userlist_update is applied when `localSeq + actions.length == user_list_seq`. Out-of-order
 *   pushes are held for the merge timeout; pushes that close the gap release everything held, in seq order, as
 *   one onUserStateUpdate. A gap still open when the timeout ends triggers a full fetch, but not sooner than
 *   the refetch interval after the previous full fetch (1.9.x behaviour, protects the server in big rooms).
 */
import type { Logger } from '../logging/logger';
import type { PushUserListUpdate, UserListReq, WireUserAction, WireUserBaseInfo } from '../wire/types';
import type { Request } from './requester';

export const USERLIST_MERGE_TIMEOUT_MS = 5000;
export const USERLIST_REFETCH_INTERVAL_MS = 30000;
/** Bound on pages of one full fetch (a server answering nonsense must not loop us forever). */
export const USERLIST_MAX_PAGES = 1000;

/** Member object of onUserStateUpdate (reference §2.13). */
export interface UserStateItem {
  action: number;
  idName: string;
  nickName: string;
  role: number;
  loginTime: string;
}

/** Member object of onGetTotalUserList (reference §2.14). */
export interface TotalUserItem {
  idName: string;
  nickName: string;
  role: number;
}

export interface UserListDeps {
  request: Request;
  log: Logger;
  roomId(): string;
  emitTotal(roomId: string, users: TotalUserItem[]): void;
  emitUpdate(roomId: string, users: UserStateItem[]): void;
}

function toStateItem(a: WireUserAction): UserStateItem {
  return {
    action: Number(a.Action),
    idName: String(a.IdName ?? ''),
    nickName: String(a.NickName ?? ''),
    role: Number(a.Role),
    loginTime: a.LoginTime === undefined || a.LoginTime === null ? '' : String(a.LoginTime),
  };
}

function actionsOf(p: PushUserListUpdate): WireUserAction[] {
  return Array.isArray(p.user_actions) ? p.user_actions : [];
}

export class UserList {
  private localSeq = 0;
  private fetching = false;
  private lastFullFetchAt = -Infinity;
  private held: PushUserListUpdate[] = [];
  private mergeTimer: ReturnType<typeof setTimeout> | null = null;
  private refetchTimer: ReturnType<typeof setTimeout> | null = null;
  private mergeTimeoutMs = USERLIST_MERGE_TIMEOUT_MS;
  private refetchIntervalMs = USERLIST_REFETCH_INTERVAL_MS;
  private generation = 0;

  constructor(private readonly deps: UserListDeps) {}

  get seq(): number {
    return this.localSeq;
  }

  get isFetching(): boolean {
    return this.fetching;
  }

  /** Server-tunable timings from the login reply (`userlist_merge_timeout`, `userlist_interval`). */
  configure(mergeTimeoutMs: unknown, refetchIntervalMs: unknown): void {
    if (typeof mergeTimeoutMs === 'number' && mergeTimeoutMs >= 0) this.mergeTimeoutMs = mergeTimeoutMs;
    if (typeof refetchIntervalMs === 'number' && refetchIntervalMs >= 0) this.refetchIntervalMs = refetchIntervalMs;
  }

  /** Fetches the whole list (all pages) and reports it with onGetTotalUserList. */
  fetchAll(): void {
    if (this.fetching) return;
    this.clearRefetchTimer();
    this.fetching = true;
    this.lastFullFetchAt = Date.now();
    const gen = this.generation;
    const users: TotalUserItem[] = [];
    let pages = 0;
    const page = (index: number): void => {
      pages++;
      this.deps.request(
        'user_list',
        { user_index: index, sort_type: 0 } satisfies UserListReq,
        {
          ok: (body) => {
            if (gen !== this.generation) return;
            const infos = Array.isArray(body.user_baseinfos) ? (body.user_baseinfos as WireUserBaseInfo[]) : [];
            for (const u of infos) {
              users.push({ idName: String(u.id_name ?? ''), nickName: String(u.nick_name ?? ''), role: Number(u.role) });
            }
            const ret = Number(body.ret_user_index);
            const last = Number(body.server_user_index);
            if (ret !== last && infos.length > 0 && pages < USERLIST_MAX_PAGES && Number.isFinite(ret)) {
              page(ret + 1);
              return;
            }
            this.fetching = false;
            this.localSeq = Number(body.server_user_seq) || 0;
            this.deps.emitTotal(this.deps.roomId(), users);
            this.settleHeld();
          },
          fail: (err) => {
            if (gen !== this.generation) return;
            this.fetching = false;
            this.deps.log.warn(`zc.userlist.fetch failed ${err.code} ${err.msg}`);
          },
        },
      );
    };
    page(0);
  }

  /** Heartbeat `server_user_seq`: a different value means we missed something. */
  onServerSeq(serverSeq: unknown): void {
    if (typeof serverSeq !== 'number' || serverSeq === this.localSeq || this.fetching) return;
    // Held pushes may be about to close the gap; the merge timer decides then.
    if (this.mergeTimer !== null) return;
    this.deps.log.info(`zc.userlist.seq mismatch local=${this.localSeq} server=${serverSeq}, refetch`);
    this.fetchAll();
  }

  onPush(push: PushUserListUpdate): void {
    if (typeof push.user_list_seq !== 'number') return;
    if (push.user_list_seq <= this.localSeq) return; // already covered
    this.held.push(push);
    if (this.fetching) return; // applied after the fetch completes, if still newer
    this.settleHeld();
  }

  reset(): void {
    this.generation++;
    this.localSeq = 0;
    this.fetching = false;
    this.held = [];
    this.lastFullFetchAt = -Infinity;
    if (this.mergeTimer !== null) clearTimeout(this.mergeTimer);
    this.mergeTimer = null;
    this.clearRefetchTimer();
  }

  /** Applies held pushes that continue the local seq, as one callback; drops ones already covered. */
  private releaseHeld(): void {
    this.held = this.held.filter((p) => p.user_list_seq > this.localSeq);
    this.held.sort((a, b) => a.user_list_seq - b.user_list_seq);
    const items: UserStateItem[] = [];
    let roomId = '';
    while (this.held.length > 0) {
      const p = this.held[0];
      const actions = actionsOf(p);
      if (this.localSeq + actions.length !== p.user_list_seq) break;
      this.held.shift();
      this.localSeq = p.user_list_seq;
      roomId = typeof p.room_id === 'string' ? p.room_id : this.deps.roomId();
      for (const a of actions) items.push(toStateItem(a));
    }
    if (this.held.length === 0 && this.mergeTimer !== null) {
      clearTimeout(this.mergeTimer);
      this.mergeTimer = null;
    }
    if (items.length > 0) this.deps.emitUpdate(roomId, items);
  }

  /** Releases what continues the seq; if a gap remains, waits the merge timeout for the missing pushes. */
  private settleHeld(): void {
    this.releaseHeld();
    if (this.held.length > 0 && this.mergeTimer === null) {
      this.mergeTimer = setTimeout(() => this.onMergeTimeout(), this.mergeTimeoutMs);
    }
  }

  private onMergeTimeout(): void {
    this.mergeTimer = null;
    this.releaseHeld();
    if (this.held.length === 0) return;
    const wait = this.lastFullFetchAt + this.refetchIntervalMs - Date.now();
    this.deps.log.info(`zc.userlist.gap local=${this.localSeq} held=${this.held.length}, refetch in ${Math.max(0, wait)}ms`);
    if (wait <= 0) this.fetchAll();
    else if (this.refetchTimer === null) {
      this.refetchTimer = setTimeout(() => {
        this.refetchTimer = null;
        this.fetchAll();
      }, wait);
    }
  }

  private clearRefetchTimer(): void {
    if (this.refetchTimer !== null) clearTimeout(this.refetchTimer);
    this.refetchTimer = null;
  }
}
