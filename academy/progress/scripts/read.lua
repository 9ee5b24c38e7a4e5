-- Read one task in one call: its status hash, and its progress and step hashes only while
-- it runs (a finished task keeps none: one HGETALL is all a finished poll costs). A running
-- task's hash has 'status'; a finished one's 's' (academy/progress/codec.py decodes both).
-- KEYS: status, progress, step (one hash tag), and optionally a fourth: a string the caller
-- reads along (a token's revocation stamp; single Redis only, it lives in another slot).
-- Returns {status} or {status, progress, step}, each a flat field/value list; with a fourth
-- key, its value ('' when absent) comes first.
local function read()
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
end

local out = read()
if #KEYS == 4 then
  table.insert(out, 1, redis.call('GET', KEYS[4]) or '')
end
return out
