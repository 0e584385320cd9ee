-- Sequence, store and publish one room message in one atomic step (all keys share the room's slot).
-- KEYS: 1 meta hash {epoch, seq}, 2 log stream (ids <seq>-0), 3 idempotency key (or the meta key when none)
-- ARGV: 1 frame head, 2 frame tail, 3 reply head, 4 reply tail, 5 ts, 6 epoch candidate,
--       7 history size, 8 history ttl ms, 9 has key ('1'/'0'), 10 channel, 11 sharded ('1'/'0'),
--       12 idempotency ttl ms
--#include idempotency
--#include epoch
--#include publish
local keyed = ARGV[9] == '1'
local prior = priorReply(KEYS[3], keyed)
if prior then return {0, prior} end
local epoch = roomEpoch(KEYS[1], KEYS[2], ARGV[6], ARGV[8])
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local frame = ARGV[1] .. seq .. ARGV[2]
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[7], seq .. '-0', 'f', frame, 't', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[8])
redis.call('PEXPIRE', KEYS[2], ARGV[8])
local reply = ARGV[3] .. seq .. ARGV[4]
rememberReply(KEYS[3], keyed, reply, ARGV[12])
local payload = 'm|' .. seq .. '|' .. epoch .. '|' .. frame
publishOn(ARGV[10], payload, ARGV[11])
return {1, reply}
