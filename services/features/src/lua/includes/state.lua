-- Shared by every script (prepended by the loader, after the PLAN table generated from the feature
-- set). An entity's whole windowed state is one string, a cmsgpack array read with one GET and
-- written with one SET per script call; all windows of a bucket level are served by one backward
-- scan. (Measured against one hash field per level with struct records: slower on the simulator's
-- traffic, whose sparse entities pack to a few hundred bytes.)
--
--   1 latest transaction time   2 latest transaction time that left the raw log (time since previous)
--   3 latest label time         4 5 first id bucket kept, first bucket with outputs kept
--   6 unused (0)
--   7 8 9    transaction buckets per level (minute, hour, day): flat idx, PLAN.aggs..., ascending idx
--   10 11 12 folded fraud labels by their transaction's time, per level (the minute level stays
--            empty): flat idx, f, ascending idx
--   13 raw transactions of the last lateness + 1 min: flat time, amount, terminal
--   14 terminal -> latest time that left the raw log: flat; latest first, at most PLAN.distinctCap
--   15 fraud labels not folded yet: flat transaction time, label time, ascending
--   16 newest id bucket (its expiry is set)
--   17 transaction times from foldCut (see below) on, ascending: the fraud rates' raw part
--   18 how far transactions have moved: the latest of min(latest time, its partition's watermark);
--      nothing applied later is older than this minus the lateness
-- Numbers: 0 means none. Arrays only (no maps), so equal states pack to equal bytes.
local SIZE = { 60000, 3600000, 86400000 }
local HOUR = SIZE[2]
local T, P, U, IC, OC, TX, FL, RAW, TERMS, LRAW, TB, DRAW, H = 1, 2, 3, 4, 5, 7, 10, 13, 14, 15, 16, 17, 18
local STRIDE = #PLAN.aggs + 1
local PS, PX = PLAN.sumAt, PLAN.maxAt

local function floorTo(t, size)
  return t - t % size
end

-- An entity's state from its key's value (false: none yet).
local function stateOf(v)
  if v then return cmsgpack.unpack(v) end
  return { 0, 0, 0, 0, 0, 0, {}, {}, {}, {}, {}, {}, {}, {}, {}, 0, {}, 0 }
end

local function loadState(key)
  return stateOf(redis.call('GET', key))
end

local function saveState(key, st)
  redis.call('SET', key, cmsgpack.pack(st), 'PX', PLAN.keyTtl)
end

-- TTLs of the other keys (wall clock, for idle entities) are refreshed when the entity's latest
-- time enters a new hour, not on every event: an expiry about a month away moves by at most an hour.
local function newHour(before, after)
  return before == 0 or floorTo(before, HOUR) ~= floorTo(after, HOUR)
end

-- One level's sums over lo_k <= idx < hi for each lo_k of los[1..m] (descending), in one backward
-- scan: count (+1), sum (+ps) and max (+px) of each record; ps or px 0 when not kept.
local function suffixSums(arr, stride, ps, px, hi, los, m, rn, rs, rx)
  local n, s, x = 0, 0, 0
  local k = 1
  local lo = los[1]
  local i = #arr - stride + 1
  while i >= 1 do
    local idx = arr[i]
    if idx < hi then
      while idx < lo do
        rn[k], rs[k], rx[k] = n, s, x
        k = k + 1
        if k > m then return end
        lo = los[k]
      end
      n = n + arr[i + 1]
      if ps > 0 then s = s + arr[i + ps] end
      if px > 0 then
        local v = arr[i + px]
        if v > x then x = v end
      end
    end
    i = i - stride
  end
  for j = k, m do
    rn[j], rs[j], rx[j] = n, s, x
  end
end

-- Window aggregates of one series as of t, appended to out per window (count[, sum][, max]):
-- [floor_G(t) - W, t) = complete buckets at the window's level + the current partial bucket from
-- ever finer levels + (n0, s0, x0), the raw log's part strictly before t. Every bucket read lies
-- wholly before floor_M(t): later events that arrived earlier are never counted.
-- Scratch tables, overwritten by every seriesAgg (not allocated per event).
local wn, wsum, wmax, rn, rs, rx, los = {}, {}, {}, {}, {}, {}, {}
local function seriesAgg(levelsOf, base, stride, ps, px, wins, byLevel, t, n0, s0, x0, out)
  local pn, psum, pmax = n0, s0, x0
  for L = 1, 3 do
    local spec = byLevel[L]
    local hi = floorTo(t, SIZE[L]) / SIZE[L]
    local m = 0
    if spec.partial then
      m = 1
      los[1] = floorTo(t, SIZE[L + 1]) / SIZE[L]
    end
    for _, wi in ipairs(spec.wins) do
      m = m + 1
      los[m] = hi - wins[wi].w / SIZE[L]
    end
    if m > 0 then
      suffixSums(levelsOf[base + L - 1], stride, ps, px, hi, los, m, rn, rs, rx)
      local off = spec.partial and 1 or 0
      for j, wi in ipairs(spec.wins) do
        local k = j + off
        wn[wi], wsum[wi] = rn[k] + pn, rs[k] + psum
        if rx[k] > pmax then wmax[wi] = rx[k] else wmax[wi] = pmax end
      end
      if spec.partial then
        pn, psum = pn + rn[1], psum + rs[1]
        if rx[1] > pmax then pmax = rx[1] end
      end
    end
  end
  for wi = 1, #wins do
    out[#out + 1] = wn[wi]
    if ps > 0 then out[#out + 1] = wsum[wi] end
    if px > 0 then out[#out + 1] = wmax[wi] end
  end
end

-- Sum of the counts (record offset 1) of the buckets with lo <= idx < hi: ascending, read from the
-- oldest, as the delayed windows lie near the oldest buckets kept.
local function bucketCount(arr, stride, lo, hi)
  local n = 0
  for i = 1, #arr, stride do
    local idx = arr[i]
    if idx >= hi then break end
    if idx >= lo then n = n + arr[i + 1] end
  end
  return n
end

-- Entries of an ascending array in [lo, hi).
local function countRange(arr, lo, hi)
  local n = 0
  for i = 1, #arr do
    local v = arr[i]
    if v >= hi then break end
    if v >= lo then n = n + 1 end
  end
  return n
end

-- Per rate window, as of t: with s = t - PLAN.delay, the terminal's transactions in [start, s),
-- start = floor_G(s) - W, and those of them with a fraud label whose label time is before t.
-- Whole hour and day buckets serve [start, floor_H(s)); raw times [floor_H(s), s) (minute windows:
-- all of [start, s)). Folded labels all lie before floor_H(s) and were known before t (pruneLabels);
-- unfolded ones are checked one by one. Appends f, n per window.
local function rates(st, t, out)
  local s = t - PLAN.delay
  local hs, ds = floorTo(s, SIZE[2]), floorTo(s, SIZE[3])
  local draw, lraw = st[DRAW], st[LRAW]
  local recent = countRange(draw, hs, s)
  for _, win in ipairs(PLAN.labels) do
    local start = floorTo(s, SIZE[win.L]) - win.w
    local n, f = 0, 0
    if win.L == 1 then
      n = countRange(draw, start, s)
    else
      local hourFrom = start
      if win.L == 3 then hourFrom = ds end
      n = recent + bucketCount(st[TX + 1], STRIDE, hourFrom / SIZE[2], hs / SIZE[2])
      f = bucketCount(st[FL + 1], 2, hourFrom / SIZE[2], hs / SIZE[2])
      if win.L == 3 then
        n = n + bucketCount(st[TX + 2], STRIDE, start / SIZE[3], ds / SIZE[3])
        f = f + bucketCount(st[FL + 2], 2, start / SIZE[3], ds / SIZE[3])
      end
    end
    for i = 1, #lraw, 2 do
      local tt = lraw[i]
      if tt >= s then break end
      if tt >= start and lraw[i + 1] < t then f = f + 1 end
    end
    out[#out + 1] = f
    out[#out + 1] = n
  end
end

-- The entity's aggregates as of t (state strictly before t), appended to out: per amount window
-- the PLAN.aggs, per distinct window the count, the previous transaction time, per rate window f, n.
local function aggregates(st, t, out)
  local from = floorTo(t, SIZE[1])
  local raw = st[RAW]
  local n0, s0, x0 = 0, 0, 0
  local prev = st[P]
  for i = 1, #raw, 3 do
    local et = raw[i]
    if et < t then
      if et > prev then prev = et end
      if et >= from then
        local a = raw[i + 1]
        n0, s0 = n0 + 1, s0 + a
        if a > x0 then x0 = a end
      end
    end
  end
  seriesAgg(st, TX, STRIDE, PS, PX, PLAN.amount, PLAN.amountLevels, t, n0, s0, x0, out)
  if #PLAN.distinct > 0 then
    -- Terminals used in [start, t): the list's entries in range (latest first: one slice), plus
    -- the raw log's terminals not among them. No table per event: the raw log is a few entries.
    local terms = st[TERMS]
    local nt = #terms
    local a = 1
    while a < nt and terms[a + 1] >= t do a = a + 2 end
    for _, win in ipairs(PLAN.distinct) do
      local start = floorTo(t, SIZE[win.L]) - win.w
      local b = a
      while b < nt and terms[b + 1] >= start do b = b + 2 end
      local count = (b - a) / 2
      for i = 1, #raw, 3 do
        local et, term = raw[i], raw[i + 2]
        if et < t and et >= start and term ~= '' then
          local seen = false
          for j = a, b - 2, 2 do
            if terms[j] == term then
              seen = true
              break
            end
          end
          if not seen then
            for j = 1, i - 3, 3 do
              if raw[j + 2] == term and raw[j] < t and raw[j] >= start then
                seen = true
                break
              end
            end
          end
          if not seen then count = count + 1 end
        end
      end
      out[#out + 1] = count
    end
  end
  out[#out + 1] = prev
  if #PLAN.labels > 0 then rates(st, t, out) end
end

-- Adds one occurrence at t to the buckets of every level from `from` (default 1) on: merge(k, old)
-- or init(k) gives aggregate k.
local function bump(st, base, stride, t, merge, init, from)
  for L = from or 1, 3 do
    local arr = st[base + L - 1]
    local idx = floorTo(t, SIZE[L]) / SIZE[L]
    local i = #arr - stride + 1
    while i >= 1 and arr[i] > idx do i = i - stride end
    if i >= 1 and arr[i] == idx then
      for k = 1, stride - 1 do arr[i + k] = merge(k, arr[i + k]) end
    else
      i = i + stride
      table.insert(arr, i, idx)
      for k = 1, stride - 1 do table.insert(arr, i + k, init(k)) end
    end
  end
end

-- Drops the oldest buckets of each level, those wholly before upTo - lateness - retention[L].
local function pruneLevels(st, base, stride, upTo, retention)
  for L = 1, 3 do
    local arr = st[base + L - 1]
    local cutoff = upTo - PLAN.lateness - retention[L]
    local j = 1
    while j <= #arr and (arr[j] + 1) * SIZE[L] <= cutoff do j = j + stride end
    if j > 1 then
      local kept = {}
      for k = j, #arr do kept[#kept + 1] = arr[k] end
      st[base + L - 1] = kept
    end
  end
end

-- Every transaction still to be applied is at or after floor_M(latest - lateness) (as the raw log
-- assumes; `latest` is slot H, bounded by the partition's watermark), so every rate read to come has s >= that - delay. Raw times from foldCut on serve the
-- part of those reads after floor_H(s) (minute windows: after floor_M(s) - 1 h).
local function foldCut(latest)
  local cut = floorTo(floorTo(latest - PLAN.lateness, SIZE[1]) - PLAN.delay, SIZE[2])
  if PLAN.minuteRates then cut = cut - SIZE[2] end
  return cut
end

-- The longest rate window.
local RATE_SPAN = 0
for _, win in ipairs(PLAN.labels) do
  if win.w > RATE_SPAN then RATE_SPAN = win.w end
end

-- Transactions before this lie before every rate window a transaction still to come reads (its
-- start is at least floor_D(s) - the longest window): their labels can no longer count.
local function rateHorizon(latest)
  return floorTo(floorTo(latest - PLAN.lateness, SIZE[1]) - PLAN.delay, SIZE[3]) - RATE_SPAN
end

local function mergeF(_, old) return old + 1 end
local function initF(_) return 1 end

-- A fraud label folds into the buckets of its transaction's time once every transaction still to
-- come counts it: its label time is before floor_M(latest - lateness), and its transaction before
-- foldCut. Until then it stays raw, checked against each transaction's time (labels run ahead on a
-- replay, and the label gate lets labels after a batch's times be applied before it). A raw label
-- whose transaction is behind rateHorizon is dropped: it can no longer count. Only the
-- transactions' progress decides, and both scripts call this at the end of a call that changed the
-- state, so the final state is the same however the two streams interleaved.
local function pruneLabels(st)
  if #PLAN.labels == 0 or st[H] == 0 then return end
  local known = floorTo(st[H] - PLAN.lateness, SIZE[1])
  local cut = foldCut(st[H])
  local gone = rateHorizon(st[H])
  local lraw = st[LRAW]
  local folds = false
  for i = 1, #lraw, 2 do
    if lraw[i] >= cut then break end
    if lraw[i + 1] < known or lraw[i] < gone then
      folds = true
      break
    end
  end
  if folds then
    local kept = {}
    for i = 1, #lraw, 2 do
      local tt, lt = lraw[i], lraw[i + 1]
      if tt < gone then
        -- behind every window still to be read: dropped
      elseif tt < cut and lt < known then
        bump(st, FL, 2, tt, mergeF, initF, 2)
      else
        kept[#kept + 1] = tt
        kept[#kept + 1] = lt
      end
    end
    st[LRAW] = kept
  end
  pruneLevels(st, FL, 2, st[H] - PLAN.delay, PLAN.labelRetention)
end

-- Inserts v into an ascending array (kept sorted, so equal sets pack equally).
local function insertSorted(arr, v)
  local i = #arr
  while i >= 1 and arr[i] > v do i = i - 1 end
  table.insert(arr, i + 1, v)
end

-- Inserts the pair (a, b) into a flat array of pairs ascending by a, then b.
local function insertPair(arr, a, b)
  local i = #arr - 1
  while i >= 1 and (arr[i] > a or (arr[i] == a and arr[i + 1] > b)) do i = i - 2 end
  table.insert(arr, i + 2, a)
  table.insert(arr, i + 3, b)
end

-- Records that terminal `term` was used at t in the latest-first list.
local function noteTerminal(terms, term, t)
  for i = 1, #terms, 2 do
    if terms[i] == term then
      if terms[i + 1] >= t then return end
      table.remove(terms, i)
      table.remove(terms, i)
      break
    end
  end
  local p = 1
  while p <= #terms and (terms[p + 1] > t or (terms[p + 1] == t and terms[p] < term)) do p = p + 2 end
  table.insert(terms, p, term)
  table.insert(terms, p + 1, t)
end

local function fmt(v)
  return string.format('%d', v)
end

-- Keeps an id bucket's ids, drops their outputs (FEATURES_OUTPUT_RETENTION shorter than the ids').
-- In chunks: unpack() of a long list overflows the Lua stack.
local function expireOutputs(key)
  local fields = redis.call('HKEYS', key)
  for i = 1, #fields, 500 do
    local args = {}
    for j = i, math.min(i + 499, #fields) do
      args[#args + 1] = fields[j]
      args[#args + 1] = ''
    end
    redis.call('HSET', key, unpack(args))
  end
end
