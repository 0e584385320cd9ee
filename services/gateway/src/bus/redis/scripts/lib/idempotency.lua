-- Idempotency (PROTOCOL.md §3): a keyed request's first reply is stored beside its target, so a repeat, or a
-- retry after an unknown outcome, gets that reply back and is applied at most once.
local function priorReply(key, keyed)
  if keyed then return redis.call('GET', key) end
  return false
end
local function rememberReply(key, keyed, reply, ttlMs)
  if keyed then redis.call('SET', key, reply, 'PX', ttlMs) end
end
