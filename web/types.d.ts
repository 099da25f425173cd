// Types for the console's JSDoc (checked by `npm --prefix web run typecheck`, never served): the SDK's global
// ZegoClient (from the SDK's built declarations, sdk/dist/types) and the slice of mpegts.js the FLV view uses.
import type { ZegoClient as Client } from '../sdk/dist/types/zego-client';

export type { ZegoError } from '../sdk/dist/types/errors';
export type { StreamInfo } from '../sdk/dist/types/room/stream-list';
export type ZegoClientInstance = Client;

/** Names of the client's methods: what sdk(api, …) calls. */
export type SdkApi = { [K in keyof Client]: Client[K] extends (...args: never[]) => unknown ? K : never }[keyof Client];

/** The mpegts.js player (its API as the FLV view uses it). */
export interface MpegtsPlayer {
  on(event: string, listener: (...args: any[]) => void): void;
  attachMediaElement(el: HTMLMediaElement): void;
  detachMediaElement(): void;
  load(): void;
  unload(): void;
  play(): Promise<void> | void;
  pause(): void;
  destroy(): void;
}

/** The mpegts.js global (window.mpegts), loaded from /console/mpegts.min.js. */
export interface Mpegts {
  isSupported(): boolean;
  createPlayer(source: { type: string; isLive: boolean; url: string }, config: Record<string, unknown>): MpegtsPlayer;
  Events: { ERROR: string; LOADING_COMPLETE: string; MEDIA_INFO: string };
}

/** The elements of index.html by id, with their types: what $(id) returns. */
export interface ElementsById {
  'session': HTMLElement;
  'status-pill': HTMLElement;
  'status-text': HTMLElement;
  'online-pill': HTMLElement;
  'online-count': HTMLElement;
  'btn-invite-link': HTMLButtonElement;
  'btn-leave': HTMLButtonElement;
  'grid-empty': HTMLElement;
  'hint-text': HTMLElement;
  'grid': HTMLElement;
  'tile-local': HTMLElement;
  'local-video': HTMLVideoElement;
  'local-placeholder': HTMLElement;
  'local-avatar': HTMLElement;
  'local-hint': HTMLElement;
  'btn-preview-inline': HTMLButtonElement;
  'local-live': HTMLElement;
  'local-name': HTMLElement;
  'local-icons': HTMLElement;
  'local-stats': HTMLElement;
  'tile-screen': HTMLElement;
  'screen-video': HTMLVideoElement;
  'screen-live': HTMLElement;
  'screen-name': HTMLElement;
  'screen-stats': HTMLElement;
  'btn-camera': HTMLButtonElement;
  'btn-mic': HTMLButtonElement;
  'btn-preview': HTMLButtonElement;
  'btn-preview-label': HTMLElement;
  'btn-screen': HTMLButtonElement;
  'btn-screen-label': HTMLElement;
  'btn-publish': HTMLButtonElement;
  'btn-publish-label': HTMLElement;
  'chat-badge': HTMLElement;
  'signals-badge': HTMLElement;
  'log-badge': HTMLElement;
  'login-form': HTMLFormElement;
  'in-room': HTMLInputElement;
  'in-user': HTMLInputElement;
  'in-nick': HTMLInputElement;
  'in-appid': HTMLInputElement;
  'in-loglevel': HTMLSelectElement;
  'in-server': HTMLInputElement;
  'in-token': HTMLInputElement;
  'btn-join': HTMLButtonElement;
  'room-info': HTMLElement;
  'ri-room': HTMLElement;
  'ri-role': HTMLElement;
  'ri-you': HTMLElement;
  'ri-anchor': HTMLElement;
  'ri-online': HTMLElement;
  'ri-streams': HTMLElement;
  'ri-server': HTMLElement;
  'btn-copy-link': HTMLButtonElement;
  'btn-leave2': HTMLButtonElement;
  'support-list': HTMLUListElement;
  'sdk-version': HTMLElement;
  'people-count': HTMLElement;
  'people-list': HTMLUListElement;
  'people-empty': HTMLElement;
  'chat-list': HTMLOListElement;
  'chat-empty': HTMLElement;
  'chat-form': HTMLFormElement;
  'chat-kind': HTMLSelectElement;
  'chat-input': HTMLInputElement;
  'chat-send': HTMLButtonElement;
  'sig-target': HTMLSelectElement;
  'btn-jl-request': HTMLButtonElement;
  'btn-jl-invite': HTMLButtonElement;
  'btn-jl-end': HTMLButtonElement;
  'cmd-form': HTMLFormElement;
  'cmd-input': HTMLInputElement;
  'cmd-send': HTMLButtonElement;
  'reliable-form': HTMLFormElement;
  'rel-type': HTMLInputElement;
  'rel-data': HTMLInputElement;
  'rel-send': HTMLButtonElement;
  'relay-form': HTMLFormElement;
  'relay-type': HTMLInputElement;
  'relay-data': HTMLInputElement;
  'relay-send': HTMLButtonElement;
  'btn-sig-clear': HTMLButtonElement;
  'sig-feed': HTMLOListElement;
  'sig-empty': HTMLElement;
  'dev-camera': HTMLSelectElement;
  'dev-mic': HTMLSelectElement;
  'dev-speaker': HTMLSelectElement;
  'btn-dev-refresh': HTMLButtonElement;
  'pub-quality': HTMLSelectElement;
  'pub-custom': HTMLElement;
  'pub-w': HTMLInputElement;
  'pub-h': HTMLInputElement;
  'pub-fps': HTMLInputElement;
  'pub-kbps': HTMLInputElement;
  'pub-video': HTMLInputElement;
  'pub-audio': HTMLInputElement;
  'pub-horizontal': HTMLInputElement;
  'pub-stream': HTMLInputElement;
  'pub-extra': HTMLInputElement;
  'btn-extra': HTMLButtonElement;
  'play-auto': HTMLInputElement;
  'play-cycle': HTMLSelectElement;
  'mix-card': HTMLElement;
  'mix-live': HTMLElement;
  'mix-id': HTMLElement;
  'mix-inputs': HTMLUListElement;
  'mix-empty': HTMLElement;
  'mix-size': HTMLSelectElement;
  'btn-mix': HTMLButtonElement;
  'btn-mix-stop': HTMLButtonElement;
  'mix-urls': HTMLElement;
  'mix-flv': HTMLInputElement;
  'mix-flv-copy': HTMLButtonElement;
  'mix-hls': HTMLInputElement;
  'mix-hls-copy': HTMLButtonElement;
  'log-verbose': HTMLInputElement;
  'btn-log-clear': HTMLButtonElement;
  'log-list': HTMLOListElement;
  'flv-dialog': HTMLDialogElement;
  'flv-kind': HTMLElement;
  'flv-title': HTMLElement;
  'flv-close': HTMLButtonElement;
  'flv-stage': HTMLElement;
  'flv-video': HTMLVideoElement;
  'flv-state': HTMLElement;
  'flv-stats': HTMLElement;
  'flv-mute': HTMLButtonElement;
  'flv-url': HTMLInputElement;
  'flv-copy': HTMLButtonElement;
  'hls-row': HTMLElement;
  'hls-url': HTMLInputElement;
  'hls-copy': HTMLButtonElement;
  'prompts': HTMLElement;
  'toasts': HTMLElement;
}

/** $(id)'s type: the element's type for an id of index.html, HTMLElement for any other. */
export type ElementOf<K extends string> = K extends keyof ElementsById ? ElementsById[K] : HTMLElement;

declare global {
  /** Defined by /sdk/zego-client.js (undefined when the server was built without the SDK bundle). */
  var ZegoClient: typeof Client;
  interface Window {
    zg: Client;
    mpegts?: Mpegts;
  }
}
