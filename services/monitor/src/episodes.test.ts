import { describe, expect, it } from 'vitest';
import { buildAlert, buildTrigger, type EpisodeKey, type EpisodeState, stepEpisode } from './episodes.js';
import { judged } from './figures.js';

const key: EpisodeKey = { kind: 'DRIFT', model_name: 'fraud_gbdt', model_version: '1', variant: 'control' };
const DAY = 86_400_000;

/** Runs a sequence of verdicts through the debounce rule; returns the events. */
function replay(verdicts: (boolean | undefined)[], clearRuns = 2) {
  let state: EpisodeState | undefined;
  const events: string[] = [];
  verdicts.forEach((v, i) => {
    const { next, event } = stepEpisode(state, key, v, (i + 1) * DAY, clearRuns);
    state = next;
    events.push(event ?? '-');
  });
  return { events, state };
}

describe('stepEpisode (the debounce rule)', () => {
  it('opens once per episode however many runs breach, and closes after clean runs in a row', () => {
    expect(replay([false, true, true, true, false, true, false, false, true]).events).toEqual([
      '-',
      'OPEN',
      '-',
      '-',
      '-', // one clean run: still open
      '-', // breach again: the clean count restarts
      '-',
      'RESOLVED',
      'OPEN', // a new episode
    ]);
  });

  it('ignores runs that could not judge, and a re-run of a window already handled', () => {
    expect(replay([true, undefined, undefined, true]).events).toEqual(['OPEN', '-', '-', '-']);
    const { state } = replay([true]);
    expect(stepEpisode(state, key, true, DAY, 2)).toEqual({ next: state, event: undefined });
    expect(stepEpisode(state, key, false, DAY / 2, 1).event).toBeUndefined();
  });

  it('names the episode by check, model, variant and the window end that opened it', () => {
    expect(replay([true]).state?.episode_id).toBe('drift:fraud_gbdt@1:control:1970-01-02T00:00:00.000Z');
  });
});

describe('alerts and triggers', () => {
  it('carry the breached figures as reasons and evidence, and the trigger shares the episode id', () => {
    const { state } = replay([true]);
    const base = { kind: 'DRIFT' as const, n: 600, nReference: 5000, metric: 'psi' };
    const figures = [
      judged({ ...base, subject: 'event_amount', value: 0.71 }, 'max', 0.25, true),
      judged({ ...base, subject: 'event_hour_of_day', value: 0.01 }, 'max', 0.25, true),
    ];
    const window = { start: 0, end: DAY, referenceStart: -30 * DAY, referenceEnd: -DAY };
    const alert = buildAlert(state as EpisodeState, 'OPEN', figures, window, 2, 5);
    expect(alert.reasons).toEqual(['psi(event_amount) 0.71 >= 0.25 (n=600)']);
    expect(alert.evidence).toEqual([{ subject: 'event_amount', metric: 'psi', value: 0.71, threshold: 0.25, n: 600 }]);
    expect(alert.alert_id).toBe(`${alert.episode_id}/OPEN`);
    const trigger = buildTrigger(alert, 'monitor', 6);
    expect(trigger).toMatchObject({ trigger_id: alert.episode_id, checks: ['DRIFT'], reference_start: -30 * DAY });
  });
});
