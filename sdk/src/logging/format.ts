/** The remote log line format of notes §9: one JSON object per line. */

export interface LogContext {
  appid: number;
  roomid: string;
  userid: string;
  userName: string;
  sessionid: string;
}

/** Content is cut to this many characters, as the original does. */
export const MAX_CONTENT_CHARS = 4500;

function pad(n: number, width: number): string {
  let s = String(n);
  while (s.length < width) s = '0' + s;
  return s;
}

/** "YYYY/MM/DD HH:mm:ss.mmm" in local time. */
export function formatLogTime(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getFullYear()}/${pad(d.getMonth() + 1, 2)}/${pad(d.getDate(), 2)} ` +
    `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}.${pad(d.getMilliseconds(), 3)}`
  );
}

/** Splits "zc.login.start roomid=1" into action "zc.login.start" and content "roomid=1". */
export function splitMessage(message: string): { action: string; content: string } {
  const i = message.indexOf(' ');
  if (i < 0) return { action: message, content: '' };
  return { action: message.slice(0, i), content: message.slice(i + 1) };
}

export function formatLogLine(nowMs: number, level: number, message: string, ctx: LogContext): string {
  const { action, content } = splitMessage(message);
  return JSON.stringify({
    time: formatLogTime(nowMs),
    level,
    action,
    content: content.length > MAX_CONTENT_CHARS ? content.slice(0, MAX_CONTENT_CHARS) : content,
    appid: ctx.appid,
    roomid: ctx.roomid,
    userid: ctx.userid,
    userName: ctx.userName,
    sessionid: ctx.sessionid,
  });
}
