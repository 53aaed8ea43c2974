--[[
  Applies a batch's transactions to entities (customers, terminals or a declared entity), each
  entity's in order, and returns for each the entity's aggregates as of the transaction, computed
  from state strictly before it. Idempotent on the event id: a repeated id changes nothing and
  returns the aggregates stored the first time. With mode 'read' nothing is applied and the
  aggregates of KEYS[1]'s entity are as of just after its latest transaction (online read API).
  PLAN (generated from the feature set) is prepended. One call serves many entities: the call's
  cost is paid once (on a Redis Cluster, the caller groups entities by slot).

  Per entity, two keys (KEYS[2j - 1], KEYS[2j]):
  state (string)               {e:id}:s5  cmsgpack array, see includes/state.lua
  id buckets' base             {e:id}:d5: one hash per PLAN.idBucket of event time, named base ..
                               bucket index (same hash tag, so the same slot): event id -> cmsgpack
                               of the aggregates returned the first time, '' once the output expired;
                               reads ('|' ids) in hashes of their own, base .. 'p' .. index of
                               PLAN.probeBucket, expiring (wall clock) PLAN.probeRetention after
                               their latest record

  ARGV[1] mode: 'apply' or 'read'
  ARGV[2] (apply) one cmsgpack array (one argument, not thousands: the client's cost is per
  argument): per entity, in KEYS' order, how many transactions n, then per transaction: event id,
  event time (ms), amount (minor units; 0 if the plan keeps no sum or max), terminal id ('' if the
  plan keeps no distinct terminals), its partition's watermark just after it (0: none yet). State
  folds and prunes up to the earlier of that watermark and the entity's latest time, minus the
  lateness: an outlier ahead of its partition's traffic moves neither. An id starting with '|'
  reads the aggregates as of the event time and applies nothing (an event of a declared entity's
  stream that does not change it), recording them under that id for a redelivery within
  PLAN.probeRetention (after it, the same id is read afresh). An empty id reads and records nothing
  (a request's probe: the request keeps its vectors itself).

  Output, one cmsgpack array of integers; apply: per entity, per transaction status then PLAN.width aggregates,
  status 1 applied, 2 duplicate (stored aggregates), -1 duplicate whose stored aggregates are gone
  (zeros), 3 read (an id starting with '|', or empty);
  read: { 3, aggregates..., as-of time } or { 0 } for an entity with no state.
  Aggregates: per amount window the PLAN.aggs, per distinct window the count, the previous
  transaction time (0: none), per fraud-rate window the fraud-labelled transactions and the
  transactions of the window as of t - PLAN.delay.
]]
local out = {}

if ARGV[1] == 'read' then
  local st = loadState(KEYS[1])
  if st[T] == 0 then return cmsgpack.pack({ 0 }) end
  local t = st[T] + 1
  out[1] = 3
  aggregates(st, t, out)
  out[#out + 1] = t
  return cmsgpack.pack(out)
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

local A
-- Only unrecorded reads ('' ids) from `from` to `to`.
local function onlyReads(from, to)
  for i = from, to, 5 do
    if A[i] ~= '' then return false end
  end
  return true
end
local nothing

local B = PLAN.idBucket
A = cmsgpack.unpack(ARGV[2])
local at = 1
for e = 1, #KEYS, 2 do
  local stateKey, base = KEYS[e], KEYS[e + 1]
  local from = at + 1
  local to = at + 5 * A[at]
  at = to + 1
  local v = redis.call('GET', stateKey)
  if not v and onlyReads(from, to) then
    -- reads of an entity with no state (most of a request's candidates are items its user never
    -- bought): the same aggregates each, computed once
    if not nothing then
      nothing = {}
      aggregates(stateOf(false), A[from + 1], nothing)
    end
    for _ = from, to, 5 do
      out[#out + 1] = 3
      for k = 1, #nothing do out[#out + 1] = nothing[k] end
    end
  else
    local st = stateOf(v)
    local changed = false
    if st[T] == 0 and to >= from then
      -- a new entity: no bucket before its first event's exists to prune
      local first = floorTo(A[from + 1] - PLAN.lateness, B) / B
      st[IC], st[OC] = first, first
    end
    for i = from, to, 5 do
      local id = A[i]
      local t = A[i + 1]
      local agg = {}
      aggregates(st, t, agg)
      if id == '' then
        out[#out + 1] = 3
        for k = 1, #agg do out[#out + 1] = agg[k] end
      elseif string.byte(id, 1) == 124 then
        -- '|' (no id holds one): a read as of t for an event that reads this entity without changing
        -- it. Recorded apart from the ids for PLAN.probeRetention (a redelivery gets the same aggregates
        -- back): a request's candidates are many, and a redelivery comes within a restart, not a week.
        -- The hash's expiry moves with each record, so each is kept at least that long.
        local probes = base .. 'p' .. fmt(floorTo(t, PLAN.probeBucket) / PLAN.probeBucket)
        if redis.call('HSETNX', probes, id, cmsgpack.pack(agg)) == 0 then
          out[#out + 1] = 2
          for _, v in ipairs(cmsgpack.unpack(redis.call('HGET', probes, id))) do out[#out + 1] = v end
        else
          redis.call('PEXPIRE', probes, PLAN.probeRetention)
          out[#out + 1] = 3
          for k = 1, #agg do out[#out + 1] = agg[k] end
        end
      else
        local b = floorTo(t, B) / B
        local bucket = base .. fmt(b)
        -- one command checks and records the id, with the output (none for an event already behind the
        -- output cutoff: a terminal fed by a lagging partition)
        local stored = ''
        if b >= st[OC] then stored = cmsgpack.pack(agg) end
        if redis.call('HSETNX', bucket, id, stored) == 0 then
          stored = redis.call('HGET', bucket, id)
          if stored and stored ~= '' then
            out[#out + 1] = 2
            for _, v in ipairs(cmsgpack.unpack(stored)) do out[#out + 1] = v end
          else
            out[#out + 1] = -1
            for _ = 1, PLAN.width do out[#out + 1] = 0 end
          end
        else
          changed = true
          -- each bucket's expiry is set once, when it is created (the newest bucket; an older one only
          -- for a late event)
          if b > st[TB] then
            redis.call('PEXPIRE', bucket, PLAN.keyTtl)
            st[TB] = b
          elseif b < st[TB] and redis.call('PTTL', bucket) == -1 then
            redis.call('PEXPIRE', bucket, PLAN.keyTtl)
          end
          out[#out + 1] = 1
          for k = 1, #agg do out[#out + 1] = agg[k] end

          a = A[i + 2]
          bump(st, TX, STRIDE, t, mergeTx, initTx)
          local raw = st[RAW]
          raw[#raw + 1] = t
          raw[#raw + 1] = a
          raw[#raw + 1] = A[i + 3]
          if t > st[T] then st[T] = t end
          -- how far state can fold and prune: nothing accepted later from this partition is older than
          -- its watermark minus the lateness
          local upTo = st[T]
          local w = A[i + 4]
          if w < upTo then upTo = w end
          if upTo > st[H] then st[H] = upTo end
          if #PLAN.labels > 0 then
            local draw = st[DRAW]
            insertSorted(draw, t)
            local cut = foldCut(upTo)
            if draw[1] < cut then
              local j = 1
              while j <= #draw and draw[j] < cut do j = j + 1 end
              local kept = {}
              for k = j, #draw do kept[#kept + 1] = draw[k] end
              st[DRAW] = kept
            end
          end

          -- fold raw transactions that no accepted event can still need into slot P and the terminal list
          local horizon = floorTo(upTo - PLAN.lateness, SIZE[1])
          local fold = false
          for j = 1, #raw, 3 do
            if raw[j] < horizon then
              fold = true
              break
            end
          end
          if fold then
            local kept = {}
            for j = 1, #raw, 3 do
              local et = raw[j]
              if et < horizon then
                if et > st[P] then st[P] = et end
                if #PLAN.distinct > 0 and raw[j + 2] ~= '' then noteTerminal(st[TERMS], raw[j + 2], et) end
              else
                kept[#kept + 1] = et
                kept[#kept + 1] = raw[j + 1]
                kept[#kept + 1] = raw[j + 2]
              end
            end
            st[RAW] = kept
          end
          if #PLAN.distinct > 0 then
            local terms = st[TERMS]
            local cutoff = upTo - PLAN.lateness - PLAN.distinctRetention
            local n = #terms
            while n >= 2 and terms[n] < cutoff do n = n - 2 end
            for j = #terms, math.min(n, 2 * PLAN.distinctCap) + 1, -1 do terms[j] = nil end
          end
          pruneLevels(st, TX, STRIDE, upTo, PLAN.retention)

          -- Buckets wholly behind the id cutoff go; behind the output cutoff, their outputs do.
          local ic = floorTo(upTo - PLAN.lateness - PLAN.idRetention, B) / B
          while st[IC] < ic do
            redis.call('DEL', base .. fmt(st[IC]))
            st[IC] = st[IC] + 1
          end
          local oc = floorTo(upTo - PLAN.lateness - PLAN.outputRetention, B) / B
          if st[OC] < st[IC] then st[OC] = st[IC] end
          while st[OC] < oc do
            expireOutputs(base .. fmt(st[OC]))
            st[OC] = st[OC] + 1
          end
        end
      end
    end
    if changed then
      pruneLabels(st)
      saveState(stateKey, st)
    end
  end
end
return cmsgpack.pack(out)
