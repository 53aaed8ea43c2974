--[[
  Applies a batch's fraud labels to one terminal: each is kept with its transaction's time and its
  label time, so a transaction at time t counts it in the fraud rates' window of t - delay when its
  transaction lies there and its label time is before t, whether the label was applied before or
  after transactions later than it (see pruneLabels). Idempotent on the transaction id for as long
  as its transaction can be in a window (ids are kept until their transaction time passes
  rateHorizon). PLAN (generated from the feature set) is prepended.

  KEYS[1] state (string)       {t:id}:s5  cmsgpack array, see includes/state.lua
  KEYS[2] label ids (zset)     {t:id}:j5  transaction id -> transaction time

  ARGV per label: transaction id, label time (ms), transaction time (ms)

  Output: per label 1 applied, 2 duplicate.
]]
local st = loadState(KEYS[1])
local out = {}
local changed = false
local latestBefore = st[U]

for i = 1, #ARGV, 3 do
  local id = ARGV[i]
  local t = tonumber(ARGV[i + 1])
  local tt = tonumber(ARGV[i + 2])
  if redis.call('ZADD', KEYS[2], 'NX', tt, id) == 0 then
    out[#out + 1] = 2
  else
    changed = true
    insertPair(st[LRAW], tt, t)
    if t > st[U] then st[U] = t end
    out[#out + 1] = 1
  end
end
if changed then
  if st[H] > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. fmt(rateHorizon(st[H]))) end
  pruneLabels(st)
  saveState(KEYS[1], st)
  if newHour(latestBefore, st[U]) then
    redis.call('PEXPIRE', KEYS[2], PLAN.keyTtl)
  end
end
return out
