--[[
  Applies one fraud label to its terminal: counted in the label-time buckets and the raw label log,
  so a transaction at time t sees it only when label_time < t. Idempotent on the transaction id.

  KEYS[1] bucket hash          {t:id}:b
  KEYS[2] raw labels (zset)    {t:id}:l   member transaction id, scored by label time
  KEYS[3] label ids (zset)     {t:id}:j   transaction id -> label time

  ARGV[1] transaction id
  ARGV[2] label time (ms)
  ARGV[3] allowed lateness (ms)
  ARGV[4] bucket retention "M:H:D" (ms)
  ARGV[5] label-id retention (ms)
  ARGV[6] key TTL (ms)

  Output: 1 applied, 2 duplicate.
]]
local id = ARGV[1]
local t = tonumber(ARGV[2])
local lateness = tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[3], id) then return 2 end

local b, meta = readBuckets(KEYS[1])
bump(KEYS[1], b, t, 'f', 0)
redis.call('ZADD', KEYS[2], t, id)
local maxT = meta._u
if maxT == nil or t > maxT then
  maxT = t
  redis.call('HSET', KEYS[1], '_u', fmt(maxT))
end
-- Labels may run ahead of the transactions (another topic): keep them until the transactions,
-- not the labels, have moved past them.
local upTo = maxT
if meta._t and meta._t < upTo then upTo = meta._t end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', '(' .. fmt(floorTo(upTo - lateness, SIZES.M)))
pruneBuckets(KEYS[1], b, upTo, lateness, ARGV[4], 'f')
redis.call('ZADD', KEYS[3], t, id)
pruneIds(KEYS[3], maxT - lateness - tonumber(ARGV[5]))
for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[6]) end
return 1
