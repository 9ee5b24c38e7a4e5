-- Read one task in one call: its status hash, and its progress and step hashes only while
-- it runs (a finished task keeps none: one HGETALL is all a finished poll costs).
-- KEYS: status, progress, step (one hash tag). Returns {status} or {status, progress, step},
-- each a flat field/value list.
local status = redis.call('HGETALL', KEYS[1])
for i = 1, #status, 2 do
  if status[i] == 'status' then
    local value = status[i + 1]
    if value == 'PENDING' or value == 'PROCESSING' then
      return {status, redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3])}
    end
    break
  end
end
return {status}
