-- Sequence, store and publish one room message in one atomic step (all keys share the room's slot).
-- KEYS: 1 meta hash {epoch, seq}, 2 log stream (ids <seq>-0), 3 idempotency key (or the meta key when none)
-- ARGV: 1 frame head, 2 frame tail, 3 reply head, 4 reply tail, 5 ts, 6 epoch candidate,
--       7 history size, 8 history ttl ms, 9 has key ('1'/'0'), 10 channel, 11 sharded ('1'/'0'),
--       12 idempotency ttl ms
if ARGV[9] == '1' then
  local prior = redis.call('GET', KEYS[3])
  if prior then return {0, prior} end
end
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if not epoch then
  -- A new sequence: a new epoch, and nothing of an older one may survive in the log.
  epoch = ARGV[6]
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', 0)
end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local frame = ARGV[1] .. seq .. ARGV[2]
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[7], seq .. '-0', 'f', frame, 't', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[8])
redis.call('PEXPIRE', KEYS[2], ARGV[8])
local reply = ARGV[3] .. seq .. ARGV[4]
if ARGV[9] == '1' then redis.call('SET', KEYS[3], reply, 'PX', ARGV[12]) end
local payload = 'm|' .. seq .. '|' .. epoch .. '|' .. frame
if ARGV[11] == '1' then redis.call('SPUBLISH', ARGV[10], payload) else redis.call('PUBLISH', ARGV[10], payload) end
return {1, reply}
