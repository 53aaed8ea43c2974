--[[
  Applies a batch's fraud labels to one terminal: counted in the label-time buckets and the raw
  label log, so a transaction at time t sees a label only when label_time < t, whether the label was
  applied before or after transactions later than it. Idempotent on the transaction id. PLAN
  (generated from the feature set) is prepended.

  KEYS[1] state (string)       {t:id}:s4  cmsgpack array, see includes/state.lua
  KEYS[2] label ids (zset)     {t:id}:j4  transaction id -> label time

  ARGV per label: transaction id, label time (ms), its partition's watermark just after it (0: none
  yet); label ids and state are pruned behind the earlier of that and the latest label time.

  Output: per label 1 applied, 2 duplicate.
]]
local st = loadState(KEYS[1])
local out = {}
local changed = false
local latestBefore = st[U]
local function mergeF(_, old) return old + 1 end
local function initF(_) return 1 end

for i = 1, #ARGV, 3 do
  local id = ARGV[i]
  local t = tonumber(ARGV[i + 1])
  local w = tonumber(ARGV[i + 2])
  if redis.call('ZADD', KEYS[2], 'NX', t, id) == 0 then
    out[#out + 1] = 2
  else
    changed = true
    bump(st, FL, 2, t, mergeF, initF)
    insertSorted(st[LRAW], t)
    if t > st[U] then st[U] = t end
    local upTo = st[U]
    if w < upTo then upTo = w end
    if upTo > st[HL] then st[HL] = upTo end
    local jc = floorTo(st[HL] - PLAN.lateness - PLAN.idRetention, HOUR)
    if st[HL] > 0 and jc > st[JC] then
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
