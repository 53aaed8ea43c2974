-- Views for analysts (docs/analytics.md). Each deduplicates first (FINAL, or argMax over label
-- versions), so redelivered events never count twice. Joins are nested pairs with USING, the form
-- ClickHouse 18.16 accepts (one JOIN per SELECT); the right side of each is unique on its key.

-- The newest label of each transaction, as known now.
CREATE VIEW IF NOT EXISTS labels_latest AS
SELECT
  transaction_id,
  argMax(is_fraud, label_time_ms) AS is_fraud,
  max(label_time) AS label_time
FROM labels
GROUP BY transaction_id;

-- Decisions per day (event date, UTC), experiment variant, action and path.
CREATE VIEW IF NOT EXISTS decision_mix_daily AS
SELECT
  toDate(event_time) AS day,
  experiment_variant,
  action,
  path,
  count() AS decisions
FROM decisions FINAL
GROUP BY day, experiment_variant, action, path;

-- Fraud rate and amount at risk per day, deciding model and experiment variant. fraud_rate is over
-- the labelled decisions (NULL while none is labelled); amount_at_risk_minor is the amount of
-- transactions approved that turned out to be fraud. model_name and model_version are NULL for
-- decisions taken by the rules alone.
CREATE VIEW IF NOT EXISTS fraud_by_model_variant AS
SELECT
  day,
  model_name,
  model_version,
  experiment_variant,
  count() AS decisions,
  sum(amount_minor) AS total_amount_minor,
  sum(has_label) AS labelled,
  sum(is_fraud) AS frauds,
  if(sum(has_label) = 0, NULL, sum(is_fraud) / sum(has_label)) AS fraud_rate,
  sumIf(amount_minor, is_fraud = 1) AS fraud_amount_minor,
  sumIf(amount_minor, is_fraud = 1 AND action = 'APPROVE') AS amount_at_risk_minor
FROM (
  SELECT event_id, day, model_name, model_version, experiment_variant, action, amount_minor
  FROM (
    SELECT event_id, toDate(event_time) AS day, model_name, model_version, experiment_variant, action
    FROM decisions FINAL
  )
  ANY LEFT JOIN (
    SELECT event_id, amount_minor FROM transactions_enriched FINAL
  ) USING event_id
)
ANY LEFT JOIN (
  SELECT transaction_id AS event_id, is_fraud, toUInt8(1) AS has_label FROM labels_latest
) USING event_id
GROUP BY day, model_name, model_version, experiment_variant;

-- Confusion counts per model (champion and shadows) at score thresholds 0.1 to 0.9, over the
-- scored transactions whose label has arrived. A score at or above the threshold counts as flagged.
CREATE VIEW IF NOT EXISTS confusion_by_threshold AS
SELECT
  model_name,
  model_version,
  shadow,
  threshold,
  count() AS labelled,
  countIf(score >= threshold AND is_fraud = 1) AS tp,
  countIf(score >= threshold AND is_fraud = 0) AS fp,
  countIf(score < threshold AND is_fraud = 0) AS tn,
  countIf(score < threshold AND is_fraud = 1) AS fn
FROM (
  SELECT model_name, model_version, shadow, score, is_fraud,
    arrayJoin([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]) AS threshold
  FROM (
    SELECT event_id, model_name, model_version, shadow, score FROM scores FINAL
  )
  ANY INNER JOIN (
    SELECT transaction_id AS event_id, is_fraud FROM labels_latest
  ) USING event_id
)
GROUP BY model_name, model_version, shadow, threshold;

-- Logged features joined with every label version: one row per (transaction, label_time). A
-- training set as of a cut-off keeps label_time <= cut-off and the newest label per event (see
-- docs/analytics.md); features are the ones served, so training and serving cannot drift apart.
CREATE VIEW IF NOT EXISTS training_set AS
SELECT
  event_id,
  event_time,
  customer_id,
  amount_minor,
  channel,
  feature_set,
  feature_set_version,
  feature_values,
  is_fraud,
  label_time,
  label_time_ms
FROM (
  SELECT event_id, event_time, customer_id, amount_minor, channel, feature_set, feature_set_version, feature_values
  FROM transactions_enriched FINAL
)
ALL INNER JOIN (
  SELECT transaction_id AS event_id, is_fraud, label_time, label_time_ms FROM labels FINAL
) USING event_id;
