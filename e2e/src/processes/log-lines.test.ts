import { describe, expect, it } from 'vitest';
import { formatLogLine } from './log-lines.js';

describe('formatLogLine', () => {
  const plain = { prefix: 'scorer', width: 8, colour: null };

  it('shortens a pino line to level, message and its own fields', () => {
    const line = JSON.stringify({ level: 30, time: 1, pid: 7, hostname: 'h', msg: 'models loaded', threads: 2 });
    expect(formatLogLine(line, plain)).toBe('scorer   | info  models loaded threads=2');
  });

  it('names warnings and errors and clips long fields', () => {
    const line = JSON.stringify({ level: 50, msg: 'failed', err: { message: 'x'.repeat(300) } });
    const out = formatLogLine(line, plain);
    expect(out.startsWith('scorer   | error failed err={"message":"xxx')).toBe(true);
    expect(out.endsWith('...')).toBe(true);
    expect(out.length).toBeLessThan(200);
  });

  it('passes other text through and colours the prefix when asked', () => {
    expect(formatLogLine('plain text', plain)).toBe('scorer   | plain text');
    expect(formatLogLine('{not json', plain)).toBe('scorer   | {not json');
    expect(formatLogLine('x', { ...plain, colour: 36 })).toBe('\u001b[36mscorer   |\u001b[0m x');
  });
});
