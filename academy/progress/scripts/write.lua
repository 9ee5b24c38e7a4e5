-- Apply one task event atomically, only if it moves the task forward, and announce it.
-- KEYS: status, progress, step (one hash tag), then optionally the tenant's event stream
-- ARGV: attempt, status, only_if_exists ("1"/"0"), processing_ttl, terminal_ttl (0 = none),
--       n_status_fields, n_progress_fields, n_step_fields, then the field/value pairs in that order,
--       then channel ("" = no announce), stream maxlen, stream ttl, kind, task id.
-- Returns {applied (0/1), reason, event id when announced}.
--
-- Announcing inside the script makes the write and the announcement one step: no state is
-- stored without being announced, nor announced without being stored. The event (the task's
-- state after the write) is appended to the tenant's capped stream, whose entry id is the
-- event id a reconnecting viewer resumes from, and published on the tenant's channel as
-- "<id> <json>". On a Redis Cluster the stream is in another slot than the task's keys, so it
-- is not passed: the event is only published (PUBLISH takes no key) with an id from TIME.
local RANK = {NONE = -1, PENDING = 0, PROCESSING = 1, READY = 2, DONE = 2, FAILED = 2, CANCELLED = 2}

local attempt = tonumber(ARGV[1])
local status = ARGV[2]
local rank = RANK[status]
if rank == nil then
  return redis.error_reply('unknown status ' .. status)
end

-- A finished task's HASH names them 's' and 'a' (kept forever, so every byte counts:
-- academy/progress/codec.py); a running one, and one written before that layout, in full.
local cur = redis.call('HMGET', KEYS[1], 'status', 'attempt', 's', 'a')
local cur_status = cur[1] or cur[3]
local cur_attempt = tonumber(cur[2]) or tonumber(cur[4])
if cur_attempt == nil then
  if ARGV[3] == '1' then
    return {0, 'missing'}
  end
else
  if attempt < cur_attempt then
    return {0, 'stale attempt'}
  end
  if attempt == cur_attempt then
    local cur_rank = RANK[cur_status] or -1
    if cur_rank >= 2 then
      return {0, 'already terminal'}
    end
    if rank < cur_rank then
      return {0, 'backwards'}
    end
  else
    -- A newer attempt: nothing of the older one survives.
    redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
  end
end

local ns, np, nt = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local i = 9

-- The announcement's arguments follow the field/value pairs.
local function announce_args()
  local at = 9 + 2 * (tonumber(ARGV[6]) + tonumber(ARGV[7]) + tonumber(ARGV[8]))
  return ARGV[at], tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2]), ARGV[at + 3], ARGV[at + 4]
end

-- Publish the task's state as it now is; return the event id ('' when not announced).
local function announce(running)
  local channel, maxlen, ttl, kind, task_id = announce_args()
  if channel == nil or channel == '' or status == 'NONE' then
    return ''
  end
  local event = {k = kind, i = task_id, s = redis.call('HGETALL', KEYS[1])}
  if running then
    event.p = redis.call('HGETALL', KEYS[2])
    event.t = redis.call('HGETALL', KEYS[3])
  end
  local payload = cjson.encode(event)
  local id
  if KEYS[4] then
    id = redis.call('XADD', KEYS[4], 'MAXLEN', '~', maxlen, '*', 'e', payload)
    redis.call('EXPIRE', KEYS[4], ttl)
  else
    local now = redis.call('TIME')
    id = now[1] .. string.format('%03d', math.floor(now[2] / 1000)) .. '-' .. now[2] % 1000
  end
  redis.call('PUBLISH', channel, id .. ' ' .. payload)
  return id
end

-- Append the next n field/value pairs of ARGV to `into`.
local function take(n, into)
  for _ = 1, n * 2 do
    into[#into + 1] = ARGV[i]
    i = i + 1
  end
  return into
end

if rank >= 2 then
  -- A terminal state replaces the running fields (heartbeat and the like) entirely.
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], unpack(take(ns, {'s', status, 'a', ARGV[1]})))
else
  redis.call('HSET', KEYS[1], unpack(take(ns, {'status', status, 'attempt', ARGV[1]})))
end

if rank >= 2 then
  -- Finished: the running details are no longer shown, and dropping them keeps the
  -- terminal entry small enough to keep forever.
  redis.call('DEL', KEYS[2], KEYS[3])
  local ttl = tonumber(ARGV[5])
  if ttl > 0 then
    redis.call('EXPIRE', KEYS[1], ttl)
  else
    redis.call('PERSIST', KEYS[1])
  end
  return {1, status, announce(false)}
end

if np > 0 then
  redis.call('HSET', KEYS[2], unpack(take(np, {})))
end
if nt > 0 then
  redis.call('HSET', KEYS[3], unpack(take(nt, {})))
end
-- Running (or the short-lived NONE marker): the TTL slides forward with every write.
local ttl = tonumber(ARGV[4])
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('EXPIRE', KEYS[3], ttl)
return {1, status, announce(true)}
