/** ESM entry of liveroom-sdk. */
import { ZegoClient } from './zego-client';

export { ZegoClient };
export type { ZegoConfigOption, PublishOption, PlayOption, SupportResult } from './zego-client';
export type { PreviewOptions } from './media/constraints';
export type { DeviceInfo, DeviceItem } from './media/devices';
export type { AudioMixConfig } from './media/effects';
export type { ScreenCallback } from './media/screen';
export type { SoundMeter } from './media/sound-meter';
export type { ZegoCallbacks, RoomChatMessage, BigRoomMessageItem } from './callbacks';
export type { ZegoError } from './errors';
export type { StreamInfo } from './room/stream-list';
export type { UserStateItem, TotalUserItem } from './room/user-list';
export default ZegoClient;
