// Liveroom demo console: the page state, one object shared by every module.

/** @typedef {import('./types').StreamInfo} StreamInfo */
/** @typedef {{ idName: string, nickName: string, role: number }} User */
/**
 * A remote stream of the room and its tile.
 * @typedef {object} RemoteStream
 * @property {StreamInfo} info
 * @property {HTMLElement} tile
 * @property {HTMLVideoElement} video
 * @property {boolean} playing
 * @property {number} camera 0: on (onRemoteCameraStatusUpdate)
 * @property {number} mic 0: on (onRemoteMicStatusUpdate)
 * @property {boolean} muted
 * @property {string} [stats]
 * @property {{ w: number, h: number }} [size]
 */
/**
 * This page's screen share while it runs.
 * @typedef {{ id: string, stream: MediaStream, state: 'connecting' | 'live' | 'retry', stats: string }} Screen
 */
/**
 * The mix this page runs (updateMixStream).
 * @typedef {object} Mix
 * @property {string} id
 * @property {string} size a key of MIX_SIZES
 * @property {boolean} running
 * @property {boolean} busy
 * @property {string} [flv]
 * @property {string} [hls]
 * @property {string[]} [inputs]
 */
/** @typedef {'chat' | 'signals' | 'log'} Badge */

export const S = {
  /**
   * The client, set by main() before the page binds any SDK call; it stays null only when the SDK did not load,
   * and the page then refuses to join.
   * @type {import('./types').ZegoClientInstance}
   */
  zg: /** @type {import('./types').ZegoClientInstance} */ (/** @type {unknown} */ (null)),
  /** @type {'out' | 'joining' | 'in'} */
  phase: 'out',
  room: '',
  /** @type {User} */
  me: { idName: '', nickName: '', role: 1 },
  server: '',
  /** @type {{ idName: string, nickName: string } | null} */
  anchor: null,
  online: 0,
  /** @type {Map<string, User>} by idName */
  users: new Map(),
  /** @type {Map<string, RemoteStream>} by stream_id */
  streams: new Map(),
  preview: false,
  /** @type {false | Promise<boolean>} */
  previewStarting: false,
  /** @type {string | null} the stream id */
  publishing: null,
  /** @type {'idle' | 'connecting' | 'live' | 'retry'} */
  publishState: 'idle',
  localStats: '',
  /** @type {Screen | null} while sharing the screen */
  screen: null,
  camera: true,
  mic: true,
  codec: 'VP8',
  /** @type {string | null} */
  lastParamError: null,
  errorsShown: 0,
  quiet: false,
  /** @type {Record<Badge, number>} */
  unread: { chat: 0, signals: 0, log: 0 },
  tab: 'room',
  /** @type {Mix | null} while this page mixes */
  mix: null,
  /** @type {Set<string>} stream ids unchecked in the mix card */
  mixOff: new Set(),
};
