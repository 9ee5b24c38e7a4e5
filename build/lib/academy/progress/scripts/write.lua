-- Apply one task event atomically, only if it moves the task forward.
-- KEYS: status, progress, step (one hash tag)
-- ARGV: attempt, status, only_if_exists ("1"/"0"), processing_ttl, terminal_ttl (0 = none),
--       n_status_fields, n_progress_fields, n_step_fields, then the field/value pairs in that order.
-- Returns {applied (0/1), reason}.
local RANK = {NONE = -1, PENDING = 0, PROCESSING = 1, READY = 2, DONE = 2, FAILED = 2}

local attempt = tonumber(ARGV[1])
local status = ARGV[2]
local rank = RANK[status]
if rank == nil then
  return redis.error_reply('unknown status ' .. status)
end

local cur = redis.call('HMGET', KEYS[1], 'status', 'attempt')
local cur_attempt = tonumber(cur[2])
if cur_attempt == nil then
  if ARGV[3] == '1' then
    return {0, 'missing'}
  end
else
  if attempt < cur_attempt then
    return {0, 'stale attempt'}
  end
  if attempt == cur_attempt then
    local cur_rank = RANK[cur[1]] or -1
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
end
redis.call('HSET', KEYS[1], unpack(take(ns, {'status', status, 'attempt', ARGV[1]})))

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
  return {1, status}
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
return {1, status}
