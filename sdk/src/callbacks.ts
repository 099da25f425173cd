/**
 * The application callbacks of the API reference §2 (and the media ones of the original SDK's list, notes §10),
 * as assignable properties. Argument names follow the reference.
 */
import type { ZegoError } from './errors';
import type { StreamInfo } from './room/stream-list';
import type { TotalUserItem, UserStateItem } from './room/user-list';

/** Message object of onRecvRoomMsg (reference §2.7). */
export interface RoomChatMessage {
  id_name: string;
  nick_name: string;
  role: number;
  msg_id: number;
  msg_category: number;
  msg_type: number;
  msg_content: string;
  send_time: number;
}

/** Message object of onRecvBigRoomMessage (reference §2.19). */
export interface BigRoomMessageItem {
  idName: string;
  nickName: string;
  messageId: string;
  category: number;
  type: number;
  content: string;
  time: number;
}

export interface ZegoCallbacks {
  onDisconnect(err: ZegoError): void;
  onKickOut(err: ZegoError): void;
  onGetAnchorInfo(anchor_userid: string, anchor_username: string): void;
  onRecvCustomCommand(from_idName: string, from_nickName: string, custom_content: unknown): void;
  onStreamUpdated(type: number, streamList: StreamInfo[]): void;
  onStreamExtraInfoUpdated(streamList: StreamInfo[]): void;
  onRecvRoomMsg(chat_data: RoomChatMessage[], server_msg_id: number, ret_msg_id: number): void;
  onUserStateUpdate(roomId: string, userList: UserStateItem[]): void;
  onGetTotalUserList(roomId: string, userList: TotalUserItem[]): void;
  onRecvJoinLiveRequest(requestId: string, from_idName: string, from_nickName: string, roomId: string): void;
  onRecvInviteJoinLiveRequest(requestId: string, from_idName: string, from_nickName: string, roomId: string): void;
  onRecvEndJoinLiveCommand(requestId: string, from_idName: string, from_nickName: string, roomId: string): void;
  onRecvReliableMessage(type: string, seq: number, data: string): void;
  onRecvBigRoomMessage(messageList: BigRoomMessageItem[], roomId: string): void;
  onUpdateOnlineCount(roomId: string, userCount: number): void;
  // Media callbacks (media module: a later issue). Declared now so applications can assign them.
  onPlayStateUpdate(type: number, streamId: string, error?: ZegoError): void;
  onPublishStateUpdate(type: number, streamId: string, error?: ZegoError | number): void;
  onVideoSizeChanged(streamId: string, videoWidth: number, videoHeight: number): void;
  onPlayQualityUpdate(streamId: string, streamQuality: Record<string, unknown>): void;
  onPublishQualityUpdate(streamId: string, streamQuality: Record<string, unknown>): void;
  onStreamUrlUpdate(streamId: string, url: string, type: number): void;
  onRemoteCameraStatusUpdate(streamID: string, status: number): void;
  onRemoteMicStatusUpdate(streamID: string, status: number): void;
  onScreenSharingEnded(stream?: unknown): void;
}

export type CallbackName = keyof ZegoCallbacks;

export const CALLBACK_NAMES: readonly CallbackName[] = [
  'onDisconnect',
  'onKickOut',
  'onGetAnchorInfo',
  'onRecvCustomCommand',
  'onStreamUpdated',
  'onStreamExtraInfoUpdated',
  'onRecvRoomMsg',
  'onUserStateUpdate',
  'onGetTotalUserList',
  'onRecvJoinLiveRequest',
  'onRecvInviteJoinLiveRequest',
  'onRecvEndJoinLiveCommand',
  'onRecvReliableMessage',
  'onRecvBigRoomMessage',
  'onUpdateOnlineCount',
  'onPlayStateUpdate',
  'onPublishStateUpdate',
  'onVideoSizeChanged',
  'onPlayQualityUpdate',
  'onPublishQualityUpdate',
  'onStreamUrlUpdate',
  'onRemoteCameraStatusUpdate',
  'onRemoteMicStatusUpdate',
  'onScreenSharingEnded',
];
