-- Apply one node's presence changes to a room, in order, and publish what the room's presence mode asks for
-- (PROTOCOL.md §5, §10.2): per-user events, one batched diff, or one occupancy count.
-- KEYS: 1 members hash (<node>:<conn> -> user \t name), 2 users hash (user -> connections),
--       3 names hash (user -> name), 4 order zset (users, lexicographic), 5 version counter (one per batch)
-- ARGV: 1 mode ('each' | 'batched' | 'count'), 2 each max, 3 batch max, 4 channel, 5 sharded ('1'/'0'),
--       6 room as JSON, then groups of 5: op ('j' join | 'l' leave | 'n' every member of a node),
--       member key (or node prefix), user, name, origin conn
-- Returns, per change, how many connections it added or removed; and the room's users after the batch.
-- Per-user events carry the room's users after their change and the batch's version:
-- e|<origin conn>|<users>|<version>|<frame>; counts: o|<users>|<connections>|<version>.
--#include publish
local mode, eachMax, batchMax = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local channel, room = ARGV[4], ARGV[6]
-- Orders this batch's counts against every other's, so a node keeps the newest whatever arrives first.
local version = redis.call('INCR', KEYS[5])
local function publish(payload) publishOn(channel, payload, ARGV[5]) end
local function perUser()
  return mode == 'each' and redis.call('HLEN', KEYS[2]) <= eachMax
end
local function diffed()
  return mode == 'batched' and redis.call('HLEN', KEYS[2]) <= batchMax
end
-- A batched diff: net changes per user (joined then left within the batch cancel out).
local joined, left, order, origins, originSeen = {}, {}, {}, {}, {}
local counted = false
local function change(user, name, isJoin, origin)
  if perUser() then
    local frame
    if isJoin then
      frame = '{"type":"user_joined","room":' .. room .. ',"user":' .. cjson.encode(user) .. ',"name":' .. cjson.encode(name) .. '}'
    else
      frame = '{"type":"user_left","room":' .. room .. ',"user":' .. cjson.encode(user) .. '}'
    end
    publish('e|' .. origin .. '|' .. redis.call('HLEN', KEYS[2]) .. '|' .. version .. '|' .. frame)
  elseif diffed() then
    if joined[user] == nil and left[user] == nil then order[#order + 1] = user end
    if isJoin then
      if left[user] then left[user] = nil else joined[user] = name end
    else
      if joined[user] then joined[user] = nil else left[user] = true end
    end
    if not originSeen[origin] then originSeen[origin] = true; origins[#origins + 1] = origin end
  end
end
local function added(key, user, name, origin)
  if redis.call('HSETNX', KEYS[1], key, user .. '\t' .. name) == 0 then return 0 end
  if redis.call('HINCRBY', KEYS[2], user, 1) == 1 then
    redis.call('HSET', KEYS[3], user, name)
    redis.call('ZADD', KEYS[4], 0, user)
    change(user, name, true, origin)
  end
  return 1
end
local function removed(key, value, origin)
  redis.call('HDEL', KEYS[1], key)
  local user = string.match(value, '^([^\t]*)')
  if redis.call('HINCRBY', KEYS[2], user, -1) <= 0 then
    redis.call('HDEL', KEYS[2], user)
    redis.call('HDEL', KEYS[3], user)
    redis.call('ZREM', KEYS[4], user)
    change(user, nil, false, origin)
  end
  return 1
end
local results = {}
for i = 7, #ARGV, 5 do
  local op, key, user, name, origin = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  local n = 0
  if op == 'j' then
    n = added(key, user, name, origin)
  elseif op == 'l' then
    local value = redis.call('HGET', KEYS[1], key)
    if value then n = removed(key, value, origin) end
  else
    local all = redis.call('HGETALL', KEYS[1])
    for j = 1, #all, 2 do
      if string.sub(all[j], 1, #key) == key then n = n + removed(all[j], all[j + 1], origin) end
    end
  end
  if n > 0 and not perUser() and not diffed() then counted = true end
  results[#results + 1] = n
end
local joinedJson, leftJson = {}, {}
for _, user in ipairs(order) do
  if joined[user] then
    joinedJson[#joinedJson + 1] = '{"user":' .. cjson.encode(user) .. ',"name":' .. cjson.encode(joined[user]) .. '}'
  elseif left[user] then
    leftJson[#leftJson + 1] = cjson.encode(user)
  end
end
if #joinedJson + #leftJson > 0 then
  publish('p|' .. table.concat(origins, ',') .. '|{"joined":[' .. table.concat(joinedJson, ',') .. '],"left":[' .. table.concat(leftJson, ',') .. ']}')
end
if counted then publish('o|' .. redis.call('HLEN', KEYS[2]) .. '|' .. redis.call('HLEN', KEYS[1]) .. '|' .. version) end
return {results, redis.call('HLEN', KEYS[2]), version}
