--[[
  Applies one transaction to one entity (customer or terminal) and returns the entity's aggregates
  as of the transaction, computed from state strictly before it. Idempotent on the event id: a
  repeated id changes nothing and returns the aggregates stored the first time. With mode 'read'
  nothing is applied and the aggregates are as of just after the latest event (online read API).

  KEYS[1] bucket hash          {e:id}:b
  KEYS[2] raw log (zset)       {e:id}:r   recent transactions, member "<id>|<amount>|<terminal>"
  KEYS[3] terminals (hash)     {e:id}:d   terminal id -> latest time that left the raw log
  KEYS[4] event ids (zset)     {e:id}:i   event id -> event time
  KEYS[5] outputs (hash)       {e:id}:o   event id -> aggregates returned the first time
  KEYS[6] raw labels (zset)    {e:id}:l   recent fraud labels, scored by label time

  ARGV[1]  mode: 'apply' or 'read'
  ARGV[2]  event id
  ARGV[3]  event time (ms)
  ARGV[4]  amount (integer minor units)
  ARGV[5]  terminal id ('' when distinct terminals are not kept)
  ARGV[6]  allowed lateness (ms)
  ARGV[7]  amount windows "W:G;..." (ms): count, sum, max for each
  ARGV[8]  distinct-terminal windows "W:G;..." ('' for none)
  ARGV[9]  label windows "W:G;..." ('' for none): fraud labels for each
  ARGV[10] aggregates kept per bucket, e.g. 'nsx' or 'n'
  ARGV[11] bucket retention "M:H:D" (ms, beyond the latest time minus lateness)
  ARGV[12] distinct-terminal retention (ms)
  ARGV[13] event-id retention (ms)
  ARGV[14] key TTL (ms, wall clock: an idle entity disappears)
  ARGV[15] output retention (ms): how long a redelivery gets its stored aggregates back

  Output: { status, aggregates[, as-of time for a read] } with status 1 applied, 2 duplicate (stored aggregates), 3 read,
  -1 duplicate whose stored aggregates are gone, 0 nothing known (read of an unknown entity).
  aggregates: comma-separated; per amount window n,s,x; per distinct window the count; the time of
  the previous transaction; per label window f. '' where undefined.
]]
local mode = ARGV[1]
local id = ARGV[2]
local lateness = tonumber(ARGV[6])

if mode == 'apply' then
  if redis.call('ZSCORE', KEYS[4], id) then
    local stored = redis.call('HGET', KEYS[5], id)
    if stored then return { 2, stored } end
    return { -1, '' }
  end
end

local b, meta = readBuckets(KEYS[1])
local t
if mode == 'read' then
  if meta._t == nil then return { 0, '' } end
  t = meta._t + 1
else
  t = tonumber(ARGV[3])
end
local raw = readRaw(KEYS[2])
local lraw = readTimes(KEYS[6])

local parts = {}
for _, win in ipairs(parseWindows(ARGV[7])) do
  local acc = windowAgg(b, win, t, raw, {})
  parts[#parts + 1] = fmt(acc.n)
  parts[#parts + 1] = fmt(acc.s)
  parts[#parts + 1] = fmt(acc.x)
end

local distinctWindows = parseWindows(ARGV[8])
local termFlat = {}
if #distinctWindows > 0 then termFlat = redis.call('HGETALL', KEYS[3]) end
if #distinctWindows > 0 then
  -- latest occurrence strictly before t, per terminal
  local latest = {}
  for i = 1, #termFlat, 2 do latest[termFlat[i]] = tonumber(termFlat[i + 1]) end
  for _, e in ipairs(raw) do
    if e.t < t and (latest[e.term] == nil or e.t > latest[e.term]) then latest[e.term] = e.t end
  end
  for _, win in ipairs(distinctWindows) do
    local start = floorTo(t, win.g) - win.w
    local count = 0
    for _, lt in pairs(latest) do
      if lt >= start and lt < t then count = count + 1 end
    end
    parts[#parts + 1] = fmt(count)
  end
end

local prev = meta._p
for _, e in ipairs(raw) do
  if e.t < t and (prev == nil or e.t > prev) then prev = e.t end
end
parts[#parts + 1] = fmt(prev)

for _, win in ipairs(parseWindows(ARGV[9])) do
  local acc = windowAgg(b, win, t, {}, lraw)
  parts[#parts + 1] = fmt(acc.f)
end

local packed = table.concat(parts, ',')
if mode == 'read' then return { 3, packed, t } end

-- apply
local amount = tonumber(ARGV[4])
local term = ARGV[5]
bump(KEYS[1], b, t, ARGV[10], amount)
redis.call('ZADD', KEYS[2], t, id .. '|' .. ARGV[4] .. '|' .. term)
local maxT = meta._t
if maxT == nil or t > maxT then
  maxT = t
  redis.call('HSET', KEYS[1], '_t', fmt(maxT))
end

-- fold raw transactions that no accepted event can still need into _p and the terminal hash
local horizon = floorTo(maxT - lateness, SIZES.M)
local p = meta._p
local folded = {}
for _, e in ipairs(raw) do
  if e.t < horizon then
    if p == nil or e.t > p then p = e.t end
    if #distinctWindows > 0 and e.term ~= '' then
      if folded[e.term] == nil or e.t > folded[e.term] then folded[e.term] = e.t end
    end
  end
end
if p ~= meta._p then redis.call('HSET', KEYS[1], '_p', fmt(p)) end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. fmt(horizon))
if #distinctWindows > 0 then
  local known = {}
  for i = 1, #termFlat, 2 do known[termFlat[i]] = tonumber(termFlat[i + 1]) end
  for name, ft in pairs(folded) do
    if known[name] == nil or ft > known[name] then
      redis.call('HSET', KEYS[3], name, fmt(ft))
      known[name] = ft
    end
  end
  local cutoff = maxT - lateness - tonumber(ARGV[12])
  local dead = {}
  for name, lt in pairs(known) do
    if lt < cutoff then dead[#dead + 1] = name end
  end
  hdelMany(KEYS[3], dead)
  redis.call('PEXPIRE', KEYS[3], ARGV[14])
end
pruneBuckets(KEYS[1], b, maxT, lateness, ARGV[11], ARGV[10])

redis.call('ZADD', KEYS[4], t, id)
-- an event already behind the output cutoff (a terminal fed by a lagging partition) keeps no output
if meta._o == nil or t >= meta._o then redis.call('HSET', KEYS[5], id, packed) end
pruneIds(KEYS[4], maxT - lateness - tonumber(ARGV[13]))
pruneOutputs(KEYS[1], KEYS[4], KEYS[5], meta, maxT - lateness - tonumber(ARGV[15]))
for i = 1, 6 do
  if i ~= 3 and i ~= 6 then redis.call('PEXPIRE', KEYS[i], ARGV[14]) end
end
return { 1, packed }
