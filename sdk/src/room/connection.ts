/**
 * The room WebSocket: one JSON object per text frame, `{header, body}` (notes §1.1). It owns only the socket;
 * which frames are accepted is the room's decision. Events from a socket that has been replaced or closed are
 * ignored, so a late `close` of an old socket can never disturb a newer one.
 */
import type { InboundFrame, ReqHeader } from '../wire/types';

export interface ConnectionEvents {
  onOpen(): void;
  onClose(): void;
  onFrame(frame: InboundFrame): void;
  onBadFrame(text: string): void;
}

const OPEN = 1;

export class RoomConnection {
  private socket: WebSocket | null = null;
  private socketUrl = '';

  constructor(private readonly events: ConnectionEvents) {}

  get url(): string {
    return this.socketUrl;
  }

  isOpen(): boolean {
    return this.socket !== null && this.socket.readyState === OPEN;
  }

  /** True while a socket exists that is connecting or open. */
  isActive(): boolean {
    return this.socket !== null && this.socket.readyState <= OPEN;
  }

  /** Replaces any current socket with a new one to `url`. Throws only if the URL is malformed. */
  open(url: string): void {
    this.close();
    const s = new WebSocket(url);
    this.socket = s;
    this.socketUrl = url;
    s.onopen = () => {
      if (this.socket === s) this.events.onOpen();
    };
    s.onclose = () => {
      if (this.socket !== s) return;
      this.socket = null;
      this.events.onClose();
    };
    s.onerror = () => {
      /* a close event always follows an error */
    };
    s.onmessage = (ev: MessageEvent) => {
      if (this.socket !== s) return;
      const text = typeof ev.data === 'string' ? ev.data : '';
      const frame = parseFrame(text);
      if (frame === null) this.events.onBadFrame(text);
      else this.events.onFrame(frame);
    };
  }

  /** Sends one request frame; false if the socket is not open (nothing is sent then). */
  send(header: ReqHeader, body: object): boolean {
    const s = this.socket;
    if (s === null || s.readyState !== OPEN) return false;
    s.send(JSON.stringify({ header, body }));
    return true;
  }

  /** Closes the socket without reporting a close event. */
  close(): void {
    const s = this.socket;
    this.socket = null;
    if (s === null) return;
    s.onopen = null;
    s.onclose = null;
    s.onerror = null;
    s.onmessage = null;
    try {
      s.close();
    } catch {
      /* closing a socket that never connected may throw in some browsers */
    }
  }
}

export function parseFrame(text: string): InboundFrame | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const { header, body } = v as { header?: unknown; body?: unknown };
  if (typeof header !== 'object' || header === null) return null;
  if (typeof (header as { cmd?: unknown }).cmd !== 'string') return null;
  const b = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  return { header: header as InboundFrame['header'], body: b };
}
