/** ESM entry of liveroom-sdk. */
import { ZegoClient } from './zego-client';

export { ZegoClient };
export type { ZegoConfigOption } from './zego-client';
export type { ZegoCallbacks, RoomChatMessage, BigRoomMessageItem } from './callbacks';
export type { ZegoError } from './errors';
export type { StreamInfo } from './room/stream-list';
export type { UserStateItem, TotalUserItem } from './room/user-list';
export default ZegoClient;
