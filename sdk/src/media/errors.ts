/**
 * Publish and play error objects (reference §2.8 and §2.11): `{code, msg}` with the `ZegoPublish.*` /
 * `ZegoPlay.*` codes. Every failing step of a negotiation has a symbolic key; the kind (publish or play) picks
 * the code. Play negotiation is client-offer (notes §13), so the reference's server-offer play codes name the
 * analogous steps: answer missing → `ZegoPlay.Timeout.RemoteOffer`, bad answer or a refused remote description →
 * `ZegoPlay.Error.RemoteOffer`, the local offer → `ZegoPlay.Error.CreateAnswer`.
 */
import type { ZegoError } from '../errors';

export type MediaKind = 'publish' | 'play';

export type MediaErrorKey =
  | 'Dispatch'
  | 'TimeoutDispatch'
  | 'Token'
  | 'TimeoutSession'
  | 'Session'
  | 'CreateOffer'
  | 'LocalDesc'
  | 'TimeoutDesc'
  | 'TimeoutServerAnswer'
  | 'ServerAnswer'
  | 'RemoteDesc'
  | 'TimeoutCandidate'
  | 'TimeoutServerCandidate'
  | 'ServerCandidate'
  | 'ConnectionFailed'
  | 'ConnectionClosed'
  | 'SessionClosed'
  | 'SocketError';

const PUBLISH: Record<MediaErrorKey, [string, string]> = {
  Dispatch: ['ZegoPublish.Error.Dispatch', 'dispatch signaling failed'],
  TimeoutDispatch: ['ZegoPublish.Timeout.Dispatch', 'dispatch signaling timed out'],
  Token: ['ZegoPublish.Error.Token', 'token error'],
  TimeoutSession: ['ZegoPublish.Timeout.Session', 'session creation timed out'],
  Session: ['ZegoPublish.Error.Session', 'session creation failed'],
  CreateOffer: ['ZegoPublish.Error.CreateOffer', 'creating the offer failed'],
  LocalDesc: ['ZegoPublish.Error.LocalDesc', 'local SDP failed'],
  TimeoutDesc: ['ZegoPublish.Timeout.Desc', 'sending SDP timed out'],
  TimeoutServerAnswer: ['ZegoPublish.Timeout.ServerAnswer', 'server answer timed out'],
  ServerAnswer: ['ZegoPublish.Error.ServerAnswer', 'server answer error'],
  RemoteDesc: ['ZegoPublish.Error.RemoteDesc', 'server description error'],
  TimeoutCandidate: ['ZegoPublish.Timeout.Candidate', 'sending candidate timed out'],
  TimeoutServerCandidate: ['ZegoPublish.Timeout.ServerCandidate', 'receiving candidate timed out'],
  ServerCandidate: ['ZegoPublish.Error.ServerCandidate', 'receiving candidate error'],
  ConnectionFailed: ['ZegoPublish.Error.ConnectionFailed', 'media network connection failed'],
  ConnectionClosed: ['ZegoPublish.Error.ConnectionClosed', 'media network connection closed'],
  SessionClosed: ['ZegoPublish.Error.SessionClosed', 'session closed'],
  SocketError: ['ZegoPublish.Error.SocketError', 'websocket connection failed'],
};

const PLAY: Record<MediaErrorKey, [string, string]> = {
  Dispatch: ['ZegoPlay.Error.Dispatch', 'dispatch signaling failed'],
  TimeoutDispatch: ['ZegoPlay.Timeout.Dispatch', 'dispatch signaling timed out'],
  Token: ['ZegoPlay.Error.Token', 'token error'],
  TimeoutSession: ['ZegoPlay.Timeout.Session', 'session creation timed out'],
  Session: ['ZegoPlay.Error.Session', 'session creation failed'],
  CreateOffer: ['ZegoPlay.Error.CreateAnswer', 'creating the local offer failed'],
  LocalDesc: ['ZegoPlay.Error.LocalDesc', 'local SDP failed'],
  TimeoutDesc: ['ZegoPlay.Timeout.Desc', 'sending SDP timed out'],
  TimeoutServerAnswer: ['ZegoPlay.Timeout.RemoteOffer', 'server answer timed out'],
  ServerAnswer: ['ZegoPlay.Error.RemoteOffer', 'server answer error'],
  RemoteDesc: ['ZegoPlay.Error.RemoteOffer', 'server description error'],
  TimeoutCandidate: ['ZegoPlay.Timeout.Candidate', 'sending candidate timed out'],
  TimeoutServerCandidate: ['ZegoPlay.Timeout.ServerCandidate', 'receiving candidate timed out'],
  ServerCandidate: ['ZegoPlay.Error.ServerCandidate', 'receiving candidate error'],
  ConnectionFailed: ['ZegoPlay.Error.ConnectionFailed', 'media network connection failed'],
  ConnectionClosed: ['ZegoPlay.Error.ConnectionClosed', 'media network connection closed'],
  SessionClosed: ['ZegoPlay.Error.SessionClosed', 'session closed'],
  SocketError: ['ZegoPlay.Error.SocketError', 'websocket connection failed'],
};

/** The error object of a failed step; `detail` (if any) is appended to the message. */
export function mediaError(kind: MediaKind, key: MediaErrorKey, detail?: string): ZegoError {
  const [code, msg] = (kind === 'publish' ? PUBLISH : PLAY)[key];
  return { code, msg: detail ? `${msg}: ${detail}` : msg };
}

/** A step failure inside a negotiation: the key and a detail for the message and the log. */
export interface MediaFailure {
  key: MediaErrorKey;
  detail: string;
}
