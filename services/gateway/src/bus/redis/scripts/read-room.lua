-- The room's epoch and latest seq (creating the epoch of a new room), plus stored messages.
-- KEYS: 1 meta hash, 2 log stream
-- ARGV: 1 epoch candidate, 2 history ttl ms, 3 mode ('since' | 'before' | 'state'), 4 since/before ('' for none),
--       5 count, 6 the epoch the reader knows ('' for any)
-- A read reads only what it may return (§10.8): nothing for another epoch, nothing past the latest seq.
--#include epoch
local epoch = roomEpoch(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq'))
local entries = {}
if ARGV[6] ~= '' and ARGV[6] ~= epoch then return {epoch, seq, entries} end
local at = tonumber(ARGV[4])
if ARGV[3] == 'since' and at < seq then
  entries = redis.call('XRANGE', KEYS[2], '(' .. ARGV[4] .. '-0', '+', 'COUNT', ARGV[5])
elseif ARGV[3] == 'before' and (at == nil or at > 1) then
  local upper = at == nil and '+' or ('(' .. ARGV[4] .. '-0')
  entries = redis.call('XREVRANGE', KEYS[2], upper, '-', 'COUNT', ARGV[5])
end
return {epoch, seq, entries}
