import { describe, expect, it } from 'vitest';
import { type RetrainingRecord, registrationAudit } from './retrain.js';

const record: RetrainingRecord = {
  trigger_id: 'trg-1',
  model_name: 'fraud_gbdt',
  champion_version: '3',
  reasons: ['drift of amount', 'AP fell'],
  cutoff: 0,
  train_from: 0,
  train_to: 0,
  eval_from: 0,
  eval_to: 0,
  train_rows: 900,
  train_frauds: 30,
  eval_rows: 300,
  eval_frauds: 9,
  metric: 'average_precision',
  margin: 0.01,
  candidate_roc_auc: 0.93,
  candidate_average_precision: 0.61,
  champion_roc_auc: 0.9,
  champion_average_precision: 0.5,
  decision: 'REGISTERED_SHADOW',
  candidate_version: '4',
  error: '',
  started_at: 0,
  duration_ms: 0,
};
const settings = { SERVICE_NAME: 'retrain', MODEL_REGISTRY: 'file', MODEL_REGISTRY_DIR: '/models' } as const;

describe('the audit of a retraining', () => {
  it('records a shadow registration: the job, the candidate, the trigger as the reason', () => {
    expect(registrationAudit(record, settings)).toEqual({
      actor: 'retrain',
      action: 'model.register',
      subject: 'fraud_gbdt@4',
      reason: 'retrained on trigger trg-1: drift of amount; AP fell',
      service: 'retrain',
      details: expect.objectContaining({
        alias: 'shadow',
        registry: '/models',
        trigger: 'trg-1',
        champion: 'fraud_gbdt@3',
        candidate: { roc_auc: 0.93, average_precision: 0.61 },
      }),
    });
  });

  it('records nothing when nothing was registered', () => {
    expect(registrationAudit({ ...record, decision: 'REJECTED', candidate_version: '' }, settings)).toBeUndefined();
    expect(registrationAudit({ ...record, decision: 'FAILED', candidate_version: '' }, settings)).toBeUndefined();
  });
});
