/** Turns the services' pino JSON lines into one short, prefixed, optionally coloured line each. */

const COLOURS = [36, 35, 33, 32, 34, 91, 96, 95] as const;
const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'service', 'name', 'v']);

export function colourFor(index: number): number {
  return COLOURS[index % COLOURS.length] as number;
}

export interface LogLineOptions {
  prefix: string;
  /** Width the prefix is padded to, so the messages line up. */
  width: number;
  /** ANSI colour of the prefix, or null for none. */
  colour: number | null;
}

export function formatLogLine(line: string, options: LogLineOptions): string {
  const tag = `${options.prefix.padEnd(options.width)} |`;
  const prefix = options.colour === null ? tag : `\u001b[${options.colour}m${tag}\u001b[0m`;
  return `${prefix} ${summarize(line)}`;
}

function summarize(line: string): string {
  if (!line.startsWith('{')) return line;
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = typeof entry.level === 'number' ? (LEVELS[entry.level] ?? String(entry.level)) : 'info';
  const rest = Object.entries(entry)
    .filter(([key]) => !HIDDEN.has(key))
    .map(([key, value]) => `${key}=${compact(value)}`);
  return [level.padEnd(5), String(entry.msg ?? ''), ...rest].join(' ').trimEnd();
}

function compact(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}
