--[[
  Applies a batch's transactions to one entity (customer or terminal), in order, and returns for
  each the entity's aggregates as of the transaction, computed from state strictly before it.
  Idempotent on the event id: a repeated id changes nothing and returns the aggregates stored the
  first time. With mode 'read' nothing is applied and the aggregates are as of just after the latest
  transaction (online read API). PLAN (generated from the feature set) is prepended.

  KEYS[1] state (string)       {e:id}:s2  cmsgpack array, see includes/state.lua
  KEYS[2] event ids (zset)     {e:id}:i2  event id -> event time
  KEYS[3] outputs (hash)       {e:id}:o2  event id -> cmsgpack of the aggregates returned the first time

  ARGV[1] mode: 'apply' or 'read'
  then per transaction (apply): event id, event time (ms), amount (minor units; 0 if the plan keeps
  no sum or max), terminal id ('' if the plan keeps no distinct terminals)

  Output (flat integers), apply: per transaction status then PLAN.width aggregates, status 1 applied,
  2 duplicate (stored aggregates), -1 duplicate whose stored aggregates are gone (zeros);
  read: { 3, aggregates..., as-of time } or { 0 } for an entity with no state.
  Aggregates: per amount window the PLAN.aggs, per distinct window the count, the previous
  transaction time (0: none), per label window the fraud labels.
]]
local st = loadState(KEYS[1])
local out = {}

if ARGV[1] == 'read' then
  if st[T] == 0 then return { 0 } end
  local t = st[T] + 1
  out[1] = 3
  aggregates(st, t, out)
  out[#out + 1] = t
  return out
end

local a -- the amount being applied, for merge/init: aggregate 1 is the count, PS the sum, PX the max
local function mergeTx(k, old)
  if k == 1 then return old + 1 end
  if k == PS then return old + a end
  if a > old then return a end
  return old
end
local function initTx(k)
  if k == 1 then return 1 end
  return a
end

local changed = false
local latestBefore = st[T]
for i = 2, #ARGV, 4 do
  local id = ARGV[i]
  local t = tonumber(ARGV[i + 1])
  if redis.call('ZADD', KEYS[2], 'NX', t, id) == 0 then
    local stored = redis.call('HGET', KEYS[3], id)
    if stored then
      out[#out + 1] = 2
      for _, v in ipairs(cmsgpack.unpack(stored)) do out[#out + 1] = v end
    else
      out[#out + 1] = -1
      for _ = 1, PLAN.width do out[#out + 1] = 0 end
    end
  else
    changed = true
    local agg = {}
    aggregates(st, t, agg)
    out[#out + 1] = 1
    for k = 1, #agg do out[#out + 1] = agg[k] end

    a = tonumber(ARGV[i + 2])
    bump(st, TX, STRIDE, t, mergeTx, initTx)
    local raw = st[RAW]
    raw[#raw + 1] = t
    raw[#raw + 1] = a
    raw[#raw + 1] = ARGV[i + 3]
    if t > st[T] then st[T] = t end
    local maxT = st[T]

    -- fold raw transactions that no accepted event can still need into slot P and the terminal list
    local horizon = floorTo(maxT - PLAN.lateness, SIZE[1])
    local kept, folded = {}, false
    for j = 1, #raw, 3 do
      local et = raw[j]
      if et < horizon then
        folded = true
        if et > st[P] then st[P] = et end
        if #PLAN.distinct > 0 and raw[j + 2] ~= '' then noteTerminal(st[TERMS], raw[j + 2], et) end
      else
        kept[#kept + 1] = et
        kept[#kept + 1] = raw[j + 1]
        kept[#kept + 1] = raw[j + 2]
      end
    end
    if folded then st[RAW] = kept end
    if #PLAN.distinct > 0 then
      local terms = st[TERMS]
      local cutoff = maxT - PLAN.lateness - PLAN.distinctRetention
      local n = #terms
      while n >= 2 and terms[n] < cutoff do n = n - 2 end
      for j = #terms, math.min(n, 2 * PLAN.distinctCap) + 1, -1 do terms[j] = nil end
    end
    pruneLevels(st, TX, STRIDE, maxT)

    -- an event already behind the output cutoff (a terminal fed by a lagging partition) keeps no output
    if t >= st[OC] then redis.call('HSET', KEYS[3], id, cmsgpack.pack(agg)) end
    local oc = floorTo(maxT - PLAN.lateness - PLAN.outputRetention, HOUR)
    if oc > st[OC] then
      hdelMany(KEYS[3], redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. fmt(oc)))
      st[OC] = oc
    end
    local ic = floorTo(maxT - PLAN.lateness - PLAN.idRetention, HOUR)
    if ic > st[IC] then
      redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. fmt(ic))
      st[IC] = ic
    end
  end
end
if changed then
  pruneLabels(st)
  saveState(KEYS[1], st)
  if newHour(latestBefore, st[T]) then
    for k = 2, 3 do redis.call('PEXPIRE', KEYS[k], PLAN.keyTtl) end
  end
end
return out
