--[[
  Applies a batch's fraud labels to one terminal: each is kept with its transaction's time and its
  label time, so a transaction at time t counts it in the fraud rates' window of t - delay when its
  transaction lies there and its label time is before t, whether the label was applied before or
  after transactions later than it (see pruneLabels). Idempotent on the transaction id. PLAN
  (generated from the feature set) is prepended.

  KEYS[1] state (string)       {t:id}:s4  cmsgpack array, see includes/state.lua
  KEYS[2] label ids (zset)     {t:id}:j4  transaction id -> label time

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
  if redis.call('ZADD', KEYS[2], 'NX', t, id) == 0 then
    out[#out + 1] = 2
  else
    changed = true
    insertPair(st[LRAW], tonumber(ARGV[i + 2]), t)
    if t > st[U] then st[U] = t end
    local jc = floorTo(st[U] - PLAN.lateness - PLAN.idRetention, HOUR)
    if jc > st[JC] then
      redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. fmt(jc))
      st[JC] = jc
    end
    out[#out + 1] = 1
  end
end
if changed then
  pruneLabels(st)
  saveState(KEYS[1], st)
  if newHour(latestBefore, st[U]) then
    redis.call('PEXPIRE', KEYS[2], PLAN.keyTtl)
  end
end
return out
