-- Confirm every inbox dm with seq <= upTo (never past the newest); returns the highest confirmed seq.
-- KEYS: 1 inbox hash, 2 inbox stream. ARGV: 1 upTo
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
local confirmed = tonumber(redis.call('HGET', KEYS[1], 'confirmed') or '0')
local upTo = math.min(tonumber(ARGV[1]), seq)
if upTo > confirmed then
  confirmed = upTo
  redis.call('HSET', KEYS[1], 'confirmed', confirmed)
  redis.call('XTRIM', KEYS[2], 'MINID', (confirmed + 1) .. '-0')
end
return confirmed
