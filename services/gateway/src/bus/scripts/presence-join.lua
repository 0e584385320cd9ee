-- Add one connection to a room's presence; announce the user when it is their first connection there.
-- KEYS: 1 members hash (<node>:<conn> -> user \t name), 2 users hash (user -> connections)
-- ARGV: 1 member key, 2 user, 3 name, 4 channel, 5 event payload, 6 sharded
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2] .. '\t' .. ARGV[3]) == 0 then return 0 end
if redis.call('HINCRBY', KEYS[2], ARGV[2], 1) == 1 then
  if ARGV[6] == '1' then redis.call('SPUBLISH', ARGV[4], ARGV[5]) else redis.call('PUBLISH', ARGV[4], ARGV[5]) end
end
return 1
