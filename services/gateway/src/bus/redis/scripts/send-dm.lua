-- Store a dm in the recipient's inbox and publish it to the recipient's nodes, atomically.
-- KEYS: 1 inbox hash {seq, confirmed}, 2 inbox stream (ids <seq>-0), 3 idempotency key (or KEYS[1] when none)
-- ARGV: 1 frame head, 2 frame tail, 3 reply head (ends before `online`), 4 ts, 5 inbox size, 6 inbox ttl ms,
--       7 has key ('1'/'0'), 8 channel, 9 sharded ('1'/'0'), 10 inbox ttl ms of a user never seen (§10.8),
--       11 idempotency ttl ms
--#include idempotency
--#include publish
local keyed = ARGV[7] == '1'
local prior = priorReply(KEYS[3], keyed)
if prior then return {0, prior} end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
local frame = ARGV[1] .. seq .. ARGV[2]
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[5], seq .. '-0', 'f', frame, 't', ARGV[4])
-- Only a user who has connected (open-inbox.lua marks it) keeps dms for the full inbox TTL.
local ttl = redis.call('HEXISTS', KEYS[1], 'seen') == 1 and ARGV[6] or ARGV[10]
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
local payload = 'd|' .. seq .. '|' .. frame
-- The recipient's nodes subscribe to its channel exactly while it has a connection: receivers = online.
local receivers = publishOn(ARGV[8], payload, ARGV[9])
local reply = ARGV[3] .. (receivers > 0 and 'true' or 'false') .. '}'
rememberReply(KEYS[3], keyed, reply, ARGV[11])
return {1, reply}
