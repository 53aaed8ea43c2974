-- Shared by every script (prepended by the loader). Time buckets at three levels, in one hash per
-- entity: field <level><bucket index><aggregate>, e.g. M28333440n = count of minute 28333440.
-- Aggregates: n count, s sum of amounts, x max amount, f fraud labels. Meta fields: _t latest event
-- time seen, _u latest label time seen, _p latest transaction time that left the raw log (for time since previous).
local SIZES = { M = 60000, H = 3600000, D = 86400000 }
local LEVELS = { 'M', 'H', 'D' }
local FINER = { D = 'H', H = 'M' }

local function floorTo(t, size)
  return math.floor(t / size) * size
end

local function fmt(v)
  if v == nil or v == false then return '' end
  return string.format('%.17g', v)
end

local function levelOf(size)
  for _, L in ipairs(LEVELS) do
    if SIZES[L] == size then return L end
  end
  return redis.error_reply('unknown granularity ' .. tostring(size))
end

-- Reads the bucket hash into b[level][index] = { n =, s =, x =, f = } and meta.
local function readBuckets(key)
  local flat = redis.call('HGETALL', key)
  local b = { M = {}, H = {}, D = {} }
  local meta = {}
  for i = 1, #flat, 2 do
    local f = flat[i]
    local L = string.sub(f, 1, 1)
    if L == '_' then
      meta[f] = tonumber(flat[i + 1])
    else
      local idx = tonumber(string.sub(f, 2, -2))
      local bucket = b[L][idx]
      if not bucket then
        bucket = {}
        b[L][idx] = bucket
      end
      bucket[string.sub(f, -1)] = tonumber(flat[i + 1])
    end
  end
  return b, meta
end

-- Parses "W:G;W:G" (milliseconds) into a list of { w =, g = }.
local function parseWindows(spec)
  local out = {}
  for w, g in string.gmatch(spec, '(%d+):(%d+)') do
    out[#out + 1] = { w = tonumber(w), g = tonumber(g) }
  end
  return out
end

-- Aggregates over [floor_G(t) - W, t): complete buckets at the window's level, then the current
-- partial bucket from ever finer levels, then raw events of the current minute strictly before t.
-- Every bucket read lies wholly before floor_M(t), so events later than t (arrived earlier, out of
-- order) are never counted.
local function windowAgg(b, win, t, raw, lraw)
  local acc = { n = 0, s = 0, f = 0, x = nil }
  local function add(bk)
    acc.n = acc.n + (bk.n or 0)
    acc.s = acc.s + (bk.s or 0)
    acc.f = acc.f + (bk.f or 0)
    if bk.x and (acc.x == nil or bk.x > acc.x) then acc.x = bk.x end
  end
  local L = levelOf(win.g)
  local hi = floorTo(t, win.g)
  local lo = hi - win.w
  for idx, bk in pairs(b[L]) do
    local s0 = idx * win.g
    if s0 >= lo and s0 < hi then add(bk) end
  end
  while FINER[L] do
    local F = FINER[L]
    local fs = SIZES[F]
    local from = floorTo(t, SIZES[L])
    local to = floorTo(t, fs)
    for idx, bk in pairs(b[F]) do
      local s0 = idx * fs
      if s0 >= from and s0 < to then add(bk) end
    end
    L = F
  end
  local from = floorTo(t, SIZES.M)
  for _, e in ipairs(raw) do
    if e.t >= from and e.t < t then
      acc.n = acc.n + 1
      acc.s = acc.s + e.a
      if acc.x == nil or e.a > acc.x then acc.x = e.a end
    end
  end
  for _, lt in ipairs(lraw) do
    if lt >= from and lt < t then acc.f = acc.f + 1 end
  end
  return acc
end

-- Raw log member: "<event id>|<amount>|<terminal id>", scored by event time.
local function readRaw(key)
  local flat = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  local out = {}
  for i = 1, #flat, 2 do
    local id, a, term = string.match(flat[i], '^(.-)|(.-)|(.*)$')
    out[#out + 1] = { id = id, a = tonumber(a), term = term, t = tonumber(flat[i + 1]) }
  end
  return out
end

local function readTimes(key)
  local flat = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
  local out = {}
  for i = 2, #flat, 2 do out[#out + 1] = tonumber(flat[i]) end
  return out
end

-- HDEL in chunks: unpack() of a long list overflows the Lua stack.
local function hdelMany(key, fields)
  for i = 1, #fields, 1000 do
    redis.call('HDEL', key, unpack(fields, i, math.min(i + 999, #fields)))
  end
end

-- Adds one occurrence to the buckets of every level.
local function bump(key, b, t, fields, amount)
  for _, L in ipairs(LEVELS) do
    local idx = math.floor(t / SIZES[L])
    local prefix = L .. string.format('%d', idx)
    for a in string.gmatch(fields, '%a') do
      if a == 'x' then
        local bk = b[L][idx]
        local cur = bk and bk.x
        if cur == nil or amount > cur then redis.call('HSET', key, prefix .. 'x', amount) end
      elseif a == 's' then
        redis.call('HINCRBY', key, prefix .. 's', amount)
      else
        redis.call('HINCRBY', key, prefix .. a, 1)
      end
    end
  end
end

-- Drops buckets wholly older than what any event still accepted can read. retention = "M:H:D" in ms.
-- Only the aggregates named in `aggs` (transactions and labels advance in time separately).
local function pruneBuckets(key, b, maxT, lateness, retention, aggs)
  local r = {}
  for v in string.gmatch(retention, '%d+') do r[#r + 1] = tonumber(v) end
  local dead = {}
  for i, L in ipairs(LEVELS) do
    local cutoff = maxT - lateness - r[i]
    for idx, bk in pairs(b[L]) do
      if (idx + 1) * SIZES[L] <= cutoff then
        local prefix = L .. string.format('%d', idx)
        for a, _ in pairs(bk) do
          if string.find(aggs, a, 1, true) then dead[#dead + 1] = prefix .. a end
        end
      end
    end
  end
  hdelMany(key, dead)
end

-- Forgets event ids older than the id retention.
local function pruneIds(idsKey, cutoff)
  redis.call('ZREMRANGEBYSCORE', idsKey, '-inf', '(' .. fmt(cutoff))
end

-- Drops stored outputs of events older than the output retention (shorter than the id retention:
-- outputs serve redeliveries, ids guard the state). meta._o: the cutoff applied last time.
local function pruneOutputs(bucketKey, idsKey, outKey, meta, cutoff)
  local from = meta._o
  if from ~= nil and cutoff <= from then return end
  local old = redis.call('ZRANGEBYSCORE', idsKey, from and fmt(from) or '-inf', '(' .. fmt(cutoff))
  hdelMany(outKey, old)
  redis.call('HSET', bucketKey, '_o', fmt(cutoff))
end
