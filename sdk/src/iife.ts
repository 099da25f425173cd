/** IIFE entry: defines the global `ZegoClient` class, as the original SDK's script tag does. */
import { ZegoClient } from './zego-client';

(globalThis as unknown as { ZegoClient: typeof ZegoClient }).ZegoClient = ZegoClient;
