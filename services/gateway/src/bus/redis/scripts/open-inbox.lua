-- A connection of the user opens its inbox: mark the user as seen (full inbox TTL from now on) and
-- return the highest confirmed seq and the stored dms.
-- KEYS: 1 inbox hash {seq, confirmed, seen}, 2 inbox stream. ARGV: 1 inbox ttl ms
redis.call('HSET', KEYS[1], 'seen', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
local confirmed = redis.call('HGET', KEYS[1], 'confirmed') or '0'
return {confirmed, redis.call('XRANGE', KEYS[2], '-', '+')}
