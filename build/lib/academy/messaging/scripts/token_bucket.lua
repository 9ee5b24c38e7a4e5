-- A token bucket that reserves: take n tokens, let the balance go negative, and return
-- the seconds the caller must wait before using them. Same contract as TokenBucket.
-- KEYS[1] the bucket HASH {tokens, ts}; ARGV rate per second, burst, n.
-- The clock is the server's TIME, so workers on different machines share one clock.
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) + tonumber(time[2]) / 1000000
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(saved[1])
local ts = tonumber(saved[2])
if tokens == nil or ts == nil then
  tokens = burst
  ts = now
end
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate) - n
ts = math.max(ts, now)
-- %.17g: tostring() keeps 14 digits, which would round the timestamp to 0.1 ms.
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.17g', ts))
-- Gone once it would be full again: an idle tenant leaves no key behind.
redis.call('EXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 1)
if tokens >= 0 then
  return '0'
end
-- A string: Redis would truncate a Lua number to an integer.
return string.format('%.17g', -tokens / rate)
