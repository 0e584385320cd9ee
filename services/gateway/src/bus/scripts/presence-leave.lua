-- Remove connections from a room's presence: one member key, or every member of a dead node (prefix mode).
-- Announces user_left for each user left with no connection in the room.
-- KEYS: 1 members hash, 2 users hash
-- ARGV: 1 member key or node prefix, 2 mode ('one' | 'node'), 3 channel, 4 origin conn, 5 user_left head, 6 sharded
local removed = {}
if ARGV[2] == 'one' then
  local value = redis.call('HGET', KEYS[1], ARGV[1])
  if value then
    redis.call('HDEL', KEYS[1], ARGV[1])
    removed[1] = value
  end
else
  local all = redis.call('HGETALL', KEYS[1])
  local prefix = ARGV[1]
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, #prefix) == prefix then
      redis.call('HDEL', KEYS[1], all[i])
      removed[#removed + 1] = all[i + 1]
    end
  end
end
for _, value in ipairs(removed) do
  local user = string.match(value, '^([^\t]*)')
  if redis.call('HINCRBY', KEYS[2], user, -1) <= 0 then
    redis.call('HDEL', KEYS[2], user)
    local payload = 'e|' .. ARGV[4] .. '|' .. ARGV[5] .. cjson.encode(user) .. '}'
    if ARGV[6] == '1' then redis.call('SPUBLISH', ARGV[3], payload) else redis.call('PUBLISH', ARGV[3], payload) end
  end
end
return #removed
